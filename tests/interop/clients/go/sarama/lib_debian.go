//go:build klamm_debian

package main

import "github.com/IBM/sarama"

// The GOPATH build over Debian's sarama 1.22.1 (build.sh maps its
// Shopify/sarama source to the IBM import path).
const debianVersion = "1.22.1"

// sarama 1.22's default speaks Kafka 0.8 formats; 2.1 is the newest Kafka it
// knows.
var kafkaVersion = sarama.V2_1_0_0
