// Command confluent is klamm's interop test program for confluent-kafka-go
// 0.11.6 (Debian's golang-github-confluentinc-confluent-kafka-go-dev, cgo over
// librdkafka).
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
	"os"
	"sort"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/kafka"
)

const (
	libraryVersion   = "0.11.6" // pinned by the Debian package
	scenarioTimeout  = 30 * time.Second
	programBudget    = 110 * time.Second
	settleAfterCount = 1500 * time.Millisecond // extra polling to catch duplicates
)

var (
	bootstrap string
	prefix    string
	started   = time.Now()
)

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "[confluent %6.2fs] %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
}

// skipError marks a scenario the library cannot do.
type skipError struct{ reason string }

func (e skipError) Error() string { return e.reason }

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// run runs one scenario with its own deadline and prints its result line.
func run(name string, fn func(deadline time.Time) error) {
	budgetLeft := programBudget - time.Since(started)
	if budgetLeft <= 0 {
		fmt.Printf("FAIL %s: not run, program time budget (%v) used up\n", name, programBudget)
		return
	}
	timeout := scenarioTimeout
	if budgetLeft < timeout {
		timeout = budgetLeft
	}
	deadline := time.Now().Add(timeout)
	logf("=== %s", name)
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- fn(deadline)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout + 2*time.Second):
		err = fmt.Errorf("scenario did not finish within %v", timeout)
	}
	switch e := err.(type) {
	case nil:
		fmt.Printf("PASS %s\n", name)
	case skipError:
		fmt.Printf("SKIP %s: %s\n", name, oneLine(e.reason))
	default:
		fmt.Printf("FAIL %s: %s\n", name, oneLine(err.Error()))
	}
	logf("--- %s done: %v", name, err)
}

func remainingMs(deadline time.Time) int {
	ms := int(time.Until(deadline) / time.Millisecond)
	if ms < 1 {
		ms = 1
	}
	return ms
}

// ---------------------------------------------------------------- helpers

type record struct {
	key, value string
	headers    []kafka.Header
}

func keyed(from, to int) []record {
	var out []record
	for i := from; i < to; i++ {
		out = append(out, record{key: fmt.Sprintf("k%d", i), value: fmt.Sprintf("v%d", i)})
	}
	return out
}

func newProducer(extra kafka.ConfigMap) (*kafka.Producer, error) {
	conf := kafka.ConfigMap{
		"bootstrap.servers":  bootstrap,
		"enable.idempotence": false,
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
func produce(topic string, recs []record, extra kafka.ConfigMap, deadline time.Time) ([]int32, error) {
	p, err := newProducer(extra)
	if err != nil {
		return nil, fmt.Errorf("NewProducer: %v", err)
	}
	defer p.Close()
	dr := make(chan kafka.Event, len(recs))
	for i, r := range recs {
		m := &kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
			Key:            []byte(r.key),
			Value:          []byte(r.value),
			Headers:        r.headers,
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

// consumed is what a consumer got: messages in arrival order.
type consumed struct {
	msgs []*kafka.Message
}

func (c *consumed) keys() map[string]int {
	out := map[string]int{}
	for _, m := range c.msgs {
		out[string(m.Key)]++
	}
	return out
}

// pollUntil polls consumers round-robin, collecting messages into got[i],
// until want messages in total were received (then it keeps polling for
// settleAfterCount to catch duplicates) or the deadline passes.
func pollUntil(cs []*kafka.Consumer, got []*consumed, want int, deadline time.Time) error {
	total := func() int {
		n := 0
		for _, g := range got {
			n += len(g.msgs)
		}
		return n
	}
	var settleEnd time.Time
	for {
		now := time.Now()
		if !settleEnd.IsZero() && now.After(settleEnd) {
			return nil
		}
		if now.After(deadline) {
			if total() >= want {
				return nil
			}
			return fmt.Errorf("received %d of %d records before the deadline", total(), want)
		}
		for i, c := range cs {
			ev := c.Poll(100)
			switch e := ev.(type) {
			case *kafka.Message:
				if e.TopicPartition.Error != nil {
					return fmt.Errorf("consume error: %v", e.TopicPartition.Error)
				}
				got[i].msgs = append(got[i].msgs, e)
			case kafka.Error:
				logf("consumer %d error event: %v", i, e)
				if e.Code() != kafka.ErrTransport && e.Code() != kafka.ErrAllBrokersDown {
					return fmt.Errorf("consumer error event: %v", e)
				}
			case nil:
			default:
				logf("consumer %d event: %v", i, e)
			}
		}
		if settleEnd.IsZero() && total() >= want {
			settleEnd = time.Now().Add(settleAfterCount)
			if settleEnd.After(deadline) {
				settleEnd = deadline
			}
		}
	}
}

// checkExactly checks that msgs hold exactly the records in want, each once,
// with matching values.
func checkExactly(msgs []*kafka.Message, want []record) error {
	wantVal := map[string]string{}
	for _, r := range want {
		wantVal[r.key] = r.value
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		k := string(m.Key)
		v, ok := wantVal[k]
		if !ok {
			return fmt.Errorf("unexpected record key=%q at %v", k, m.TopicPartition)
		}
		if seen[k] {
			return fmt.Errorf("record %q received twice (second at %v)", k, m.TopicPartition)
		}
		seen[k] = true
		if string(m.Value) != v {
			return fmt.Errorf("record %q has value %q, want %q", k, m.Value, v)
		}
	}
	if len(seen) != len(want) {
		return fmt.Errorf("received %d distinct records of %d", len(seen), len(want))
	}
	return nil
}

func closeConsumer(c *kafka.Consumer, deadline time.Time) {
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		logf("consumer Close did not return before the deadline")
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
}

func assignment(c *kafka.Consumer) []int32 {
	tps, err := c.Assignment()
	if err != nil {
		logf("Assignment: %v", err)
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
	_, err := produce(prefix+"-auto", keyed(0, 100), nil, deadline)
	return err
}

func createTopicScenario(deadline time.Time) error {
	return createTopic(prefix+"-three", 3, deadline)
}

func produceKeyed(deadline time.Time) error {
	recs := keyed(0, 300)
	parts, err := produce(prefix+"-three", recs, nil, deadline)
	if err != nil {
		return err
	}
	return checkKeyedPartitions(recs, parts)
}

func checkKeyedPartitions(recs []record, parts []int32) error {
	byKey := map[string]int32{}
	used := map[int32]bool{}
	for i, r := range recs {
		if p, ok := byKey[r.key]; ok && p != parts[i] {
			return fmt.Errorf("key %s went to partitions %d and %d", r.key, p, parts[i])
		}
		byKey[r.key] = parts[i]
		used[parts[i]] = true
	}
	if len(used) != 3 {
		return fmt.Errorf("records used %d partitions, want 3: %v", len(used), used)
	}
	keyedPartitions = byKey
	return nil
}

// checkPartitions checks that records were read from the partition their
// delivery report named.
func checkPartitions(msgs []*kafka.Message) error {
	if keyedPartitions == nil {
		return nil
	}
	for _, m := range msgs {
		if p, ok := keyedPartitions[string(m.Key)]; ok && p != m.TopicPartition.Partition {
			return fmt.Errorf("record %s read from partition %d, its delivery report said %d", m.Key, m.TopicPartition.Partition, p)
		}
	}
	return nil
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
	got := []*consumed{{}}
	if err := pollUntil([]*kafka.Consumer{c}, got, 300, deadline); err != nil {
		return err
	}
	if err := checkExactly(got[0].msgs, keyed(0, 300)); err != nil {
		return err
	}
	return checkPartitions(got[0].msgs)
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
	logf("committed %v", committed)
	if sum != 300 {
		c.Close()
		return fmt.Errorf("committed offsets add up to %d, want 300: %v", sum, committed)
	}
	closeConsumer(c, deadline)

	more := keyed(300, 350)
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
	got := []*consumed{{}}
	if err := pollUntil([]*kafka.Consumer{c2}, got, 50, deadline); err != nil {
		return err
	}
	return checkExactly(got[0].msgs, more)
}

func headers(deadline time.Time) error {
	topic := prefix + "-headers"
	want := []kafka.Header{{Key: "h1", Value: []byte("v1")}, {Key: "h2", Value: []byte{0x00, 0x01}}}
	if _, err := produce(topic, []record{{key: "hk", value: "hv", headers: want}}, nil, deadline); err != nil {
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
	got := []*consumed{{}}
	if err := pollUntil([]*kafka.Consumer{c}, got, 1, deadline); err != nil {
		return err
	}
	if len(got[0].msgs) != 1 {
		return fmt.Errorf("received %d records, want 1", len(got[0].msgs))
	}
	m := got[0].msgs[0]
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

func compression(codec string) func(deadline time.Time) error {
	return func(deadline time.Time) error {
		topic := prefix + "-" + codec
		var recs []record
		for i := 0; i < 50; i++ {
			// Repetitive values so that the codec has something to do.
			recs = append(recs, record{
				key:   fmt.Sprintf("k%d", i),
				value: fmt.Sprintf("v%d-%s", i, strings.Repeat(codec, 40)),
			})
		}
		// librdkafka refuses, at configuration time, a codec it was built without.
		probe, err := newProducer(kafka.ConfigMap{"compression.codec": codec})
		if err != nil {
			return skipError{fmt.Sprintf("this librdkafka build cannot do %s: %v", codec, err)}
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
		got := []*consumed{{}}
		if err := pollUntil([]*kafka.Consumer{c}, got, len(recs), deadline); err != nil {
			return err
		}
		if len(got[0].msgs) != len(recs) {
			return fmt.Errorf("received %d records, want %d", len(got[0].msgs), len(recs))
		}
		for i, m := range got[0].msgs { // one partition: order is kept
			if string(m.Key) != recs[i].key || string(m.Value) != recs[i].value {
				return fmt.Errorf("record #%d is %q=%q, want %q=%q", i, m.Key, m.Value, recs[i].key, recs[i].value)
			}
		}
		return nil
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
	gotA := &consumed{}
	for len(assignment(a)) != 4 {
		if time.Now().After(deadline) {
			return fmt.Errorf("consumer A alone has partitions %v, want all 4", assignment(a))
		}
		if ev := a.Poll(100); ev != nil {
			if m, ok := ev.(*kafka.Message); ok {
				gotA.msgs = append(gotA.msgs, m)
			} else {
				logf("A event: %v", ev)
			}
		}
	}
	logf("A alone holds %v", assignment(a))

	b, err := newConsumer(group, nil)
	if err != nil {
		return fmt.Errorf("NewConsumer B: %v", err)
	}
	defer closeConsumer(b, deadline.Add(5*time.Second))
	if err := b.SubscribeTopics([]string{topic}, nil); err != nil {
		return fmt.Errorf("SubscribeTopics B: %v", err)
	}
	gotB := &consumed{}
	balanced := func() bool {
		pa, pb := assignment(a), assignment(b)
		if len(pa) != 2 || len(pb) != 2 {
			return false
		}
		seen := map[int32]bool{}
		for _, p := range append(pa, pb...) {
			seen[p] = true
		}
		return len(seen) == 4
	}
	for !balanced() {
		if time.Now().After(deadline) {
			return fmt.Errorf("after B joined: A holds %v, B holds %v; want 2 each, disjoint", assignment(a), assignment(b))
		}
		for _, x := range []struct {
			c   *kafka.Consumer
			got *consumed
			n   string
		}{{a, gotA, "A"}, {b, gotB, "B"}} {
			if ev := x.c.Poll(100); ev != nil {
				if m, ok := ev.(*kafka.Message); ok {
					x.got.msgs = append(x.got.msgs, m)
				} else {
					logf("%s event: %v", x.n, ev)
				}
			}
		}
	}
	logf("A holds %v, B holds %v", assignment(a), assignment(b))
	if len(gotA.msgs)+len(gotB.msgs) != 0 {
		return fmt.Errorf("received %d records before any was produced", len(gotA.msgs)+len(gotB.msgs))
	}

	recs := keyed(0, 40)
	if _, err := produce(topic, recs, nil, deadline); err != nil {
		return fmt.Errorf("producing 40: %v", err)
	}
	got := []*consumed{gotA, gotB}
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
		for _, m := range got[i].msgs {
			if !mine[m.TopicPartition.Partition] {
				return fmt.Errorf("consumer %c received %v, not one of its partitions", "AB"[i], m.TopicPartition)
			}
		}
	}
	logf("A received %d, B received %d", len(gotA.msgs), len(gotB.msgs))
	return checkExactly(append(append([]*kafka.Message{}, gotA.msgs...), gotB.msgs...), recs)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: confluent <bootstrap host:port> <prefix>")
		os.Exit(2)
	}
	bootstrap, prefix = os.Args[1], os.Args[2]
	_, rdver := kafka.LibraryVersion()
	fmt.Printf("VERSION confluent-kafka-go %s (librdkafka %s)\n", libraryVersion, rdver)

	run("produce-auto-topic", produceAutoTopic)
	run("create-topic", createTopicScenario)
	run("produce-keyed", produceKeyed)
	run("group-consume", groupConsume)
	run("commit-resume", commitResume)
	run("headers", headers)
	for _, codec := range []string{"gzip", "snappy", "lz4", "zstd"} {
		run("compression-"+codec, compression(codec))
	}
	run("group-takeover", groupTakeover)
	logf("done in %.1fs", time.Since(started).Seconds())
	os.Exit(0)
}
