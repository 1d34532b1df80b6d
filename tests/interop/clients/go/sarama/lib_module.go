//go:build !klamm_debian

package main

import "github.com/IBM/sarama"

// The module build: the version comes from the build information.
const debianVersion = ""

// What a user of a Kafka 4 broker configures: sarama then uses the newest
// request versions it has for Kafka 4.0.
var kafkaVersion = sarama.V4_0_0_0
