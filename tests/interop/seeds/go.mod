module klamm-seeds

go 1.24.0

require (
	github.com/segmentio/kafka-go v0.4.51
	gopkg.in/confluentinc/confluent-kafka-go.v1 v1.8.2
)

require (
	github.com/confluentinc/confluent-kafka-go v1.8.2 // indirect
	github.com/klauspost/compress v1.15.9 // indirect
	github.com/pierrec/lz4/v4 v4.1.15 // indirect
)
