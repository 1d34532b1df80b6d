//go:build !klamm_debian

package main

import (
	"bytes"
	"fmt"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/zstd"
	"klamm-interop/harness"
)

// The module build: the version comes from the build information.
const debianVersion = ""

func init() { codecs["zstd"] = zstd.NewCompressionCodec() }

// configureWriter asks for topic creation: kafka-go v0.4 writers send
// Metadata with allow_auto_topic_creation=false unless told to, and the
// auto-topic scenario is about a producer that creates its topic.
func configureWriter(w *kafka.Writer) { w.AllowAutoTopicCreation = true }

func setHeaders(m *kafka.Message, hs []harness.Header) {
	for _, h := range hs {
		m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: h.Value})
	}
}

func headers(deadline time.Time) error {
	topic := prefix + "-headers"
	sent := harness.Record{Key: "hk", Value: "hv", Headers: []harness.Header{{Key: "h1", Value: []byte("v1")}, {Key: "h2", Value: []byte{0x00, 0x01}}}}
	if err := produce(topic, []harness.Record{sent}, nil, deadline); err != nil {
		return err
	}
	r := newReader("headers", prefix+"-headers-group", topic)
	defer r.close()
	got := make([][]kafka.Message, 1)
	if err := collect([]*reader{r}, got, 1, stepDeadline(deadline)); err != nil {
		return err
	}
	if len(got[0]) != 1 {
		return fmt.Errorf("received %d records, want 1", len(got[0]))
	}
	m := got[0][0]
	if string(m.Key) != "hk" || string(m.Value) != "hv" {
		return fmt.Errorf("record is %q=%q, want hk=hv", m.Key, m.Value)
	}
	ok := len(m.Headers) == len(sent.Headers)
	for i := 0; ok && i < len(m.Headers); i++ {
		ok = m.Headers[i].Key == sent.Headers[i].Key && bytes.Equal(m.Headers[i].Value, sent.Headers[i].Value)
	}
	if !ok {
		return fmt.Errorf("received headers %v, want h1=v1 h2=\\x00\\x01", m.Headers)
	}
	return nil
}
