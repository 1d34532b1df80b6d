//go:build klamm_debian

package main

import (
	"time"

	kafka "github.com/segmentio/kafka-go"
	"klamm-interop/harness"
)

// The GOPATH build over Debian's kafka-go 0.2.1.
const debianVersion = "0.2.1"

// configureWriter has nothing to set: 0.2.1's writer fetches metadata with
// a version that lets the broker create the topic.
func configureWriter(*kafka.Writer) {}

// setHeaders drops the headers: 0.2.1's Message has none (it writes magic 1
// message sets); only the headers scenario has any, and it is skipped.
func setHeaders(*kafka.Message, []harness.Header) {}

func headers(deadline time.Time) error {
	return harness.Skipf("kafka-go 0.2.1 has no record headers (its Message has none; it writes magic 1 message sets)")
}
