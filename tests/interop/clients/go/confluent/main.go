// Command confluent is klamm's interop test program for confluent-kafka-go
// (cgo over librdkafka). build.sh builds it twice from this source: in
// module mode against confluent-kafka-go/v2 from the module proxy (with the
// librdkafka it bundles), and in GOPATH mode against Debian's 0.11.6 (over
// Debian's librdkafka), mapped to the v2 import path; the API it uses is the
// same in both.
//
// Usage: confluent <bootstrap host:port> <prefix>
//
// It prints `VERSION ...` and then one `PASS|FAIL|SKIP <scenario>` line per
// scenario on stdout, logs to stderr, and exits 0 even when scenarios fail.
package main

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"klamm-interop/harness"
)

// libraryVersion is the module's version, or in the GOPATH build Debian's.
var libraryVersion = harness.ModuleVersion("github.com/confluentinc/confluent-kafka-go/v2", "0.11.6")

var bootstrap, prefix string

func remainingMs(deadline time.Time) int {
	ms := int(time.Until(deadline) / time.Millisecond)
	if ms < 1 {
		ms = 1
	}
	return ms
}

// ---------------------------------------------------------------- helpers

// view is m as harness's checks see it.
func view(m *kafka.Message) harness.Received {
	return harness.Received{Key: m.Key, Value: m.Value, Partition: m.TopicPartition.Partition, At: m.TopicPartition.String()}
}

func kafkaHeaders(hs []harness.Header) []kafka.Header {
	var out []kafka.Header
	for _, h := range hs {
		out = append(out, kafka.Header{Key: h.Key, Value: h.Value})
	}
	return out
}

func newProducer(extra kafka.ConfigMap) (*kafka.Producer, error) {
	conf := kafka.ConfigMap{
		"bootstrap.servers":  bootstrap,
		"enable.idempotence": true,
		"acks":               "all",
		"linger.ms":          5,
		"message.timeout.ms": 20000,
		"socket.timeout.ms":  10000,
	}
	for k, v := range extra {
		conf[k] = v
	}
	return kafka.NewProducer(&conf)
}

// produce sends records to topic and waits for every delivery report.
// It returns the partition each record landed in, in order.
func produce(topic string, recs []harness.Record, extra kafka.ConfigMap, deadline time.Time) ([]int32, error) {
	p, err := newProducer(extra)
	if err != nil {
		return nil, fmt.Errorf("NewProducer: %v", err)
	}
	defer p.Close()
	dr := make(chan kafka.Event, len(recs))
	for i, r := range recs {
		m := &kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
			Key:            []byte(r.Key),
			Value:          []byte(r.Value),
			Headers:        kafkaHeaders(r.Headers),
			Opaque:         i,
		}
		if err := p.Produce(m, dr); err != nil {
			return nil, fmt.Errorf("Produce #%d: %v", i, err)
		}
	}
	parts := make([]int32, len(recs))
	seen := make([]bool, len(recs))
	for n := 0; n < len(recs); n++ {
		select {
		case ev := <-dr:
			m, ok := ev.(*kafka.Message)
			if !ok {
				return nil, fmt.Errorf("unexpected delivery event %v", ev)
			}
			if m.TopicPartition.Error != nil {
				return nil, fmt.Errorf("delivery of record #%v failed: %v", m.Opaque, m.TopicPartition.Error)
			}
			i := m.Opaque.(int)
			if seen[i] {
				return nil, fmt.Errorf("two delivery reports for record #%d", i)
			}
			seen[i] = true
			parts[i] = m.TopicPartition.Partition
		case <-time.After(time.Until(deadline)):
			return nil, fmt.Errorf("only %d of %d records acknowledged before the deadline", n, len(recs))
		}
	}
	return parts, nil
}

func newConsumer(group string, extra kafka.ConfigMap) (*kafka.Consumer, error) {
	conf := kafka.ConfigMap{
		"bootstrap.servers":     bootstrap,
		"group.id":              group,
		"auto.offset.reset":     "earliest",
		"enable.auto.commit":    false,
		"session.timeout.ms":    6000,
		"heartbeat.interval.ms": 500,
		"socket.timeout.ms":     10000,
	}
	for k, v := range extra {
		conf[k] = v
	}
	return kafka.NewConsumer(&conf)
}

// pollUntil polls consumers round-robin, collecting messages into got[i],
// as harness.Collect describes.
func pollUntil(cs []*kafka.Consumer, got [][]*kafka.Message, want int, deadline time.Time) error {
	return harness.Collect(got, want, deadline, func() error {
		for i, c := range cs {
			ev := c.Poll(100)
			switch e := ev.(type) {
			case *kafka.Message:
				if e.TopicPartition.Error != nil {
					return fmt.Errorf("consume error: %v", e.TopicPartition.Error)
				}
				got[i] = append(got[i], e)
			case kafka.Error:
				harness.Logf("consumer %d error event: %v", i, e)
				if e.Code() != kafka.ErrTransport && e.Code() != kafka.ErrAllBrokersDown {
					return fmt.Errorf("consumer error event: %v", e)
				}
			case nil:
			default:
				harness.Logf("consumer %d event: %v", i, e)
			}
		}
		return nil
	})
}

func closeConsumer(c *kafka.Consumer, deadline time.Time) {
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		harness.Logf("consumer Close did not return before the deadline")
	}
}

func newAdmin() (*kafka.AdminClient, error) {
	return kafka.NewAdminClient(&kafka.ConfigMap{
		"bootstrap.servers": bootstrap,
		"socket.timeout.ms": 10000,
	})
}

func createTopic(topic string, partitions int, deadline time.Time) error {
	a, err := newAdmin()
	if err != nil {
		return fmt.Errorf("NewAdminClient: %v", err)
	}
	defer a.Close()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	res, err := a.CreateTopics(ctx, []kafka.TopicSpecification{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: 1,
	}}, kafka.SetAdminOperationTimeout(10*time.Second))
	if err != nil {
		return fmt.Errorf("CreateTopics: %v", err)
	}
	if len(res) != 1 || res[0].Topic != topic {
		return fmt.Errorf("CreateTopics returned %v", res)
	}
	if res[0].Error.Code() != kafka.ErrNoError {
		return fmt.Errorf("CreateTopics %s: %v", topic, res[0].Error)
	}
	return harness.Eventually(deadline, func() error {
		md, err := a.GetMetadata(&topic, false, remainingMs(deadline))
		if err != nil {
			return fmt.Errorf("GetMetadata: %v", err)
		}
		tm, ok := md.Topics[topic]
		if !ok {
			return fmt.Errorf("topic %s not in metadata", topic)
		}
		if tm.Error.Code() != kafka.ErrNoError {
			return fmt.Errorf("metadata for %s: %v", topic, tm.Error)
		}
		if len(tm.Partitions) != partitions {
			return fmt.Errorf("metadata shows %d partitions for %s, want %d", len(tm.Partitions), topic, partitions)
		}
		return nil
	})
}

func assignment(c *kafka.Consumer) []int32 {
	tps, err := c.Assignment()
	if err != nil {
		harness.Logf("Assignment: %v", err)
		return nil
	}
	var out []int32
	for _, tp := range tps {
		out = append(out, tp.Partition)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ---------------------------------------------------------------- scenarios

// groupConsumer is kept open between group-consume and commit-resume.
var groupConsumer *kafka.Consumer

// keyedPartitions is where produce-keyed's delivery reports put each key.
var keyedPartitions map[string]int32

func produceAutoTopic(deadline time.Time) error {
	_, err := produce(prefix+"-auto", harness.Keyed(0, 100), nil, deadline)
	return err
}

func createTopicScenario(deadline time.Time) error {
	return createTopic(prefix+"-three", 3, deadline)
}

func produceKeyed(deadline time.Time) error {
	recs := harness.Keyed(0, 300)
	parts, err := produce(prefix+"-three", recs, nil, deadline)
	if err != nil {
		return err
	}
	keyedPartitions, err = harness.KeyedPartitions(recs, parts, 3)
	return err
}

func groupConsume(deadline time.Time) error {
	c, err := newConsumer(prefix+"-group", nil)
	if err != nil {
		return fmt.Errorf("NewConsumer: %v", err)
	}
	if err := c.SubscribeTopics([]string{prefix + "-three"}, nil); err != nil {
		c.Close()
		return fmt.Errorf("SubscribeTopics: %v", err)
	}
	groupConsumer = c
	got := make([][]*kafka.Message, 1)
	if err := pollUntil([]*kafka.Consumer{c}, got, 300, deadline); err != nil {
		return err
	}
	if err := harness.CheckExactly(got[0], view, harness.Keyed(0, 300)); err != nil {
		return err
	}
	return harness.CheckPartitions(got[0], view, keyedPartitions, "delivery report")
}

func commitResume(deadline time.Time) error {
	c := groupConsumer
	groupConsumer = nil
	if c == nil {
		return fmt.Errorf("no consumer left by group-consume")
	}
	committed, err := c.Commit()
	if err != nil {
		c.Close()
		return fmt.Errorf("Commit: %v", err)
	}
	var sum int64
	for _, tp := range committed {
		if tp.Error != nil {
			c.Close()
			return fmt.Errorf("Commit of %v: %v", tp, tp.Error)
		}
		sum += int64(tp.Offset)
	}
	harness.Logf("committed %v", committed)
	if sum != 300 {
		c.Close()
		return fmt.Errorf("committed offsets add up to %d, want 300: %v", sum, committed)
	}
	closeConsumer(c, deadline)

	more := harness.Keyed(300, 350)
	if _, err := produce(prefix+"-three", more, nil, deadline); err != nil {
		return fmt.Errorf("producing 50 more: %v", err)
	}
	c2, err := newConsumer(prefix+"-group", nil)
	if err != nil {
		return fmt.Errorf("NewConsumer: %v", err)
	}
	defer closeConsumer(c2, deadline.Add(5*time.Second))
	if err := c2.SubscribeTopics([]string{prefix + "-three"}, nil); err != nil {
		return fmt.Errorf("SubscribeTopics: %v", err)
	}
	got := make([][]*kafka.Message, 1)
	if err := pollUntil([]*kafka.Consumer{c2}, got, 50, deadline); err != nil {
		return err
	}
	return harness.CheckExactly(got[0], view, more)
}

func headers(deadline time.Time) error {
	topic := prefix + "-headers"
	sent := harness.Record{Key: "hk", Value: "hv", Headers: []harness.Header{{Key: "h1", Value: []byte("v1")}, {Key: "h2", Value: []byte{0x00, 0x01}}}}
	want := kafkaHeaders(sent.Headers)
	if _, err := produce(topic, []harness.Record{sent}, nil, deadline); err != nil {
		return err
	}
	c, err := newConsumer(prefix+"-headers-group", nil)
	if err != nil {
		return fmt.Errorf("NewConsumer: %v", err)
	}
	defer closeConsumer(c, deadline.Add(5*time.Second))
	if err := c.SubscribeTopics([]string{topic}, nil); err != nil {
		return fmt.Errorf("SubscribeTopics: %v", err)
	}
	got := make([][]*kafka.Message, 1)
	if err := pollUntil([]*kafka.Consumer{c}, got, 1, deadline); err != nil {
		return err
	}
	if len(got[0]) != 1 {
		return fmt.Errorf("received %d records, want 1", len(got[0]))
	}
	m := got[0][0]
	if string(m.Key) != "hk" || string(m.Value) != "hv" {
		return fmt.Errorf("record is %q=%q, want hk=hv", m.Key, m.Value)
	}
	if len(m.Headers) != len(want) {
		return fmt.Errorf("received headers %v, want %v", m.Headers, want)
	}
	for i := range want {
		if m.Headers[i].Key != want[i].Key || !bytes.Equal(m.Headers[i].Value, want[i].Value) {
			return fmt.Errorf("received headers %v, want %v", m.Headers, want)
		}
	}
	return nil
}

func compression(codec string) harness.Scenario {
	return func(deadline time.Time) error {
		topic := prefix + "-" + codec
		recs := harness.Compressible(codec)
		// librdkafka refuses, at configuration time, a codec it was built without.
		probe, err := newProducer(kafka.ConfigMap{"compression.codec": codec})
		if err != nil {
			return harness.Skipf("this librdkafka build cannot do %s: %v", codec, err)
		}
		probe.Close()
		// A long linger so that the 50 records travel compressed together.
		if _, err := produce(topic, recs, kafka.ConfigMap{"compression.codec": codec, "linger.ms": 100}, deadline); err != nil {
			return err
		}
		c, err := newConsumer(prefix+"-"+codec+"-group", nil)
		if err != nil {
			return fmt.Errorf("NewConsumer: %v", err)
		}
		defer closeConsumer(c, deadline.Add(5*time.Second))
		if err := c.SubscribeTopics([]string{topic}, nil); err != nil {
			return fmt.Errorf("SubscribeTopics: %v", err)
		}
		got := make([][]*kafka.Message, 1)
		if err := pollUntil([]*kafka.Consumer{c}, got, len(recs), deadline); err != nil {
			return err
		}
		return harness.CheckInOrder(got[0], view, recs)
	}
}

func groupTakeover(deadline time.Time) error {
	topic := prefix + "-four"
	group := prefix + "-takeover"
	if err := createTopic(topic, 4, deadline); err != nil {
		return err
	}
	a, err := newConsumer(group, nil)
	if err != nil {
		return fmt.Errorf("NewConsumer A: %v", err)
	}
	defer closeConsumer(a, deadline.Add(5*time.Second))
	if err := a.SubscribeTopics([]string{topic}, nil); err != nil {
		return fmt.Errorf("SubscribeTopics A: %v", err)
	}
	got := make([][]*kafka.Message, 2) // A's, B's
	for len(assignment(a)) != 4 {
		if time.Now().After(deadline) {
			return fmt.Errorf("consumer A alone has partitions %v, want all 4", assignment(a))
		}
		if ev := a.Poll(100); ev != nil {
			if m, ok := ev.(*kafka.Message); ok {
				got[0] = append(got[0], m)
			} else {
				harness.Logf("A event: %v", ev)
			}
		}
	}
	harness.Logf("A alone holds %v", assignment(a))

	b, err := newConsumer(group, nil)
	if err != nil {
		return fmt.Errorf("NewConsumer B: %v", err)
	}
	defer closeConsumer(b, deadline.Add(5*time.Second))
	if err := b.SubscribeTopics([]string{topic}, nil); err != nil {
		return fmt.Errorf("SubscribeTopics B: %v", err)
	}
	balanced := func() bool { return harness.Balanced(assignment(a), assignment(b), 4) }
	for !balanced() {
		if time.Now().After(deadline) {
			return fmt.Errorf("after B joined: A holds %v, B holds %v; want 2 each, disjoint", assignment(a), assignment(b))
		}
		for i, c := range []*kafka.Consumer{a, b} {
			if ev := c.Poll(100); ev != nil {
				if m, ok := ev.(*kafka.Message); ok {
					got[i] = append(got[i], m)
				} else {
					harness.Logf("%c event: %v", "AB"[i], ev)
				}
			}
		}
	}
	harness.Logf("A holds %v, B holds %v", assignment(a), assignment(b))
	if len(got[0])+len(got[1]) != 0 {
		return fmt.Errorf("received %d records before any was produced", len(got[0])+len(got[1]))
	}

	recs := harness.Keyed(0, 40)
	if _, err := produce(topic, recs, nil, deadline); err != nil {
		return fmt.Errorf("producing 40: %v", err)
	}
	if err := pollUntil([]*kafka.Consumer{a, b}, got, 40, deadline); err != nil {
		return err
	}
	if !balanced() {
		return fmt.Errorf("assignment changed while consuming: A holds %v, B holds %v", assignment(a), assignment(b))
	}
	// Each consumer must only have received records of its own partitions.
	for i, c := range []*kafka.Consumer{a, b} {
		mine := map[int32]bool{}
		for _, p := range assignment(c) {
			mine[p] = true
		}
		for _, m := range got[i] {
			if !mine[m.TopicPartition.Partition] {
				return fmt.Errorf("consumer %c received %v, not one of its partitions", "AB"[i], m.TopicPartition)
			}
		}
	}
	harness.Logf("A received %d, B received %d", len(got[0]), len(got[1]))
	return harness.CheckExactly(append(append([]*kafka.Message{}, got[0]...), got[1]...), view, recs)
}

// listTopics asks for every topic (Metadata for all topics: librdkafka >=
// 2.1 sends v12), from a consumer and from an admin client.
func listTopics(deadline time.Time) error {
	c, err := newConsumer(prefix+"-lister", nil)
	if err != nil {
		return fmt.Errorf("NewConsumer: %v", err)
	}
	defer closeConsumer(c, deadline.Add(5*time.Second))
	a, err := newAdmin()
	if err != nil {
		return fmt.Errorf("NewAdminClient: %v", err)
	}
	defer a.Close()
	for _, lister := range []struct {
		what string
		get  func(*string, bool, int) (*kafka.Metadata, error)
	}{{"Consumer.GetMetadata(all)", c.GetMetadata}, {"AdminClient.GetMetadata(all)", a.GetMetadata}} {
		md, err := lister.get(nil, true, remainingMs(deadline))
		if err != nil {
			return fmt.Errorf("%s: %v", lister.what, err)
		}
		var names []string
		for name := range md.Topics {
			names = append(names, name)
		}
		if err := harness.CheckListed(names, prefix, lister.what); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	bootstrap, prefix = harness.Start("confluent", "confluent")
	_, rdver := kafka.LibraryVersion()
	fmt.Printf("VERSION confluent-kafka-go %s (librdkafka %s)\n", libraryVersion, rdver)
	harness.Scenarios{
		ProduceAutoTopic: produceAutoTopic,
		CreateTopic:      createTopicScenario,
		ProduceKeyed:     produceKeyed,
		GroupConsume:     groupConsume,
		CommitResume:     commitResume,
		Headers:          headers,
		Compression:      compression,
		GroupTakeover:    groupTakeover,
		ListTopics:       listTopics,
	}.Run()
}
