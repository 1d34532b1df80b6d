// Package kgo pins franz-go for the conformance run: its kgo integration
// tests are compiled from the module cache (go test github.com/twmb/franz-go/pkg/kgo).
package kgo

import _ "github.com/twmb/franz-go/pkg/kgo"
