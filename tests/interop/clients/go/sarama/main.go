// Command sarama is klamm's interop test program for sarama. build.sh builds
// it twice from this source: in module mode against IBM/sarama from the
// module proxy, and in GOPATH mode against Debian's Shopify/sarama 1.22.1,
// mapped to the IBM import path. What differs between the two (the Kafka
// version each is configured for) is in lib_module.go and lib_debian.go.
//
// Usage: sarama <bootstrap host:port> <prefix>
//
// It prints `VERSION ...` and then one `PASS|FAIL|SKIP <scenario>` line per
// scenario on stdout, logs to stderr, and exits 0 even when scenarios fail.
package main

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"klamm-interop/harness"
)

// libraryVersion is the module's version, or in the GOPATH build Debian's.
var libraryVersion = harness.ModuleVersion("github.com/IBM/sarama", debianVersion)

var bootstrap, prefix string

// brokers is the bootstrap list: run.py gives a comma-separated one when it
// runs the program against a simulated cluster.
func brokers() []string { return strings.Split(bootstrap, ",") }

// ---------------------------------------------------------------- helpers

func newConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = kafkaVersion
	c.ClientID = "klamm-interop-sarama"
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 10 * time.Second
	c.Net.WriteTimeout = 10 * time.Second
	c.Metadata.Retry.Max = 5
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Admin.Timeout = 10 * time.Second

	// An idempotent producer needs acks=all and one request in flight per
	// broker connection (sarama refuses the config otherwise).
	c.Producer.Idempotent = true
	c.Net.MaxOpenRequests = 1
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.Partitioner = sarama.NewHashPartitioner
	c.Producer.Flush.Frequency = 5 * time.Millisecond

	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	// With the default Retention of 0, sarama 1.22 commits with OffsetCommit
	// v1, which Kafka 4 removed (KIP-896) and klamm does not serve (it closes
	// the connection, and the commit is lost with only an error on Errors()).
	// A retention time makes it use v2.
	c.Consumer.Offsets.Retention = 7 * 24 * time.Hour
	c.Consumer.MaxWaitTime = 250 * time.Millisecond
	c.Consumer.Group.Session.Timeout = 6 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	c.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	c.Consumer.Group.Rebalance.Retry.Backoff = 250 * time.Millisecond
	return c
}

// view is m as harness's checks see it.
func view(m *sarama.ConsumerMessage) harness.Received {
	return harness.Received{Key: m.Key, Value: m.Value, Partition: m.Partition, At: fmt.Sprintf("%s[%d]@%d", m.Topic, m.Partition, m.Offset)}
}

func saramaHeaders(hs []harness.Header) []sarama.RecordHeader {
	var out []sarama.RecordHeader
	for _, h := range hs {
		out = append(out, sarama.RecordHeader{Key: []byte(h.Key), Value: h.Value})
	}
	return out
}

// produce sends records to topic with an async producer and waits for every
// acknowledgement. It returns the partition each record landed in, in order.
func produce(topic string, recs []harness.Record, conf *sarama.Config, deadline time.Time) ([]int32, error) {
	if conf == nil {
		conf = newConfig()
	}
	p, err := sarama.NewAsyncProducer(brokers(), conf)
	if err != nil {
		return nil, fmt.Errorf("NewAsyncProducer: %v", err)
	}
	stop := make(chan struct{})
	inputDone := make(chan struct{})
	go func() {
		defer close(inputDone)
		for i, r := range recs {
			select {
			case p.Input() <- &sarama.ProducerMessage{
				Topic:    topic,
				Key:      sarama.StringEncoder(r.Key),
				Value:    sarama.StringEncoder(r.Value),
				Headers:  saramaHeaders(r.Headers),
				Metadata: i,
			}:
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		// Stop feeding before closing: a send on the closed input panics.
		close(stop)
		<-inputDone
		p.AsyncClose()
		go func() {
			for range p.Successes() {
			}
		}()
		closed := make(chan struct{})
		go func() {
			for range p.Errors() {
			}
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			harness.Logf("producer did not shut down within 5s")
		}
	}()
	parts := make([]int32, len(recs))
	seen := make([]bool, len(recs))
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for n := 0; n < len(recs); n++ {
		select {
		case m := <-p.Successes():
			i := m.Metadata.(int)
			if seen[i] {
				return nil, fmt.Errorf("record #%d acknowledged twice", i)
			}
			seen[i] = true
			parts[i] = m.Partition
		case e := <-p.Errors():
			return nil, fmt.Errorf("record #%v failed: %v", e.Msg.Metadata, e.Err)
		case <-timer.C:
			return nil, fmt.Errorf("only %d of %d records acknowledged before the deadline", n, len(recs))
		}
	}
	return parts, nil
}

// member is one consumer group member consuming one topic in the background.
type member struct {
	name   string
	topic  string
	cg     sarama.ConsumerGroup
	cancel context.CancelFunc
	done   chan struct{}
	msgs   chan *sarama.ConsumerMessage

	mu       sync.Mutex
	claims   []int32 // partitions of the current session, nil between sessions
	sessions int
	errs     []error
}

func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims = append([]int32{}, s.Claims()[m.topic]...)
	sort.Slice(m.claims, func(i, j int) bool { return m.claims[i] < m.claims[j] })
	m.sessions++
	harness.Logf("%s: session %d (generation %d) claims %v", m.name, m.sessions, s.GenerationID(), m.claims)
	return nil
}

func (m *member) Cleanup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims = nil
	harness.Logf("%s: session ends", m.name)
	return nil
}

func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for msg := range c.Messages() {
		m.msgs <- msg
		s.MarkMessage(msg, "")
	}
	return nil
}

func (m *member) currentClaims() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int32{}, m.claims...)
}

func (m *member) firstError() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.errs) > 0 {
		return m.errs[0]
	}
	return nil
}

func startMember(name, group, topic string, conf *sarama.Config) (*member, error) {
	if conf == nil {
		conf = newConfig()
	}
	cg, err := sarama.NewConsumerGroup(brokers(), group, conf)
	if err != nil {
		return nil, fmt.Errorf("NewConsumerGroup: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{
		name: name, topic: topic, cg: cg, cancel: cancel,
		done: make(chan struct{}), msgs: make(chan *sarama.ConsumerMessage, 10000),
	}
	go func() {
		for err := range cg.Errors() {
			harness.Logf("%s: consumer group error: %v", name, err)
			m.mu.Lock()
			m.errs = append(m.errs, err)
			m.mu.Unlock()
		}
	}()
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, m); err != nil {
				harness.Logf("%s: Consume: %v", name, err)
				m.mu.Lock()
				m.errs = append(m.errs, err)
				m.mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(250 * time.Millisecond):
				}
			}
		}
	}()
	return m, nil
}

// stop ends the member's session, which commits its marked offsets
// synchronously (sarama 1.22 has no explicit commit call: the offset manager
// flushes when the session is released), then leaves the group.
func (m *member) stop(deadline time.Time) error {
	m.cancel()
	select {
	case <-m.done:
	case <-time.After(time.Until(deadline)):
		return fmt.Errorf("%s: session did not end before the deadline", m.name)
	}
	closed := make(chan error, 1)
	go func() { closed <- m.cg.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			return fmt.Errorf("%s: Close: %v", m.name, err)
		}
		return nil
	case <-time.After(time.Until(deadline)):
		return fmt.Errorf("%s: Close did not return before the deadline", m.name)
	}
}

// collect takes messages from members into got as harness.Receive does; if
// too few arrive, the error names the first member's first error.
func collect(ms []*member, got [][]*sarama.ConsumerMessage, want int, deadline time.Time) error {
	chans := make([]chan *sarama.ConsumerMessage, len(ms))
	for i, m := range ms {
		chans[i] = m.msgs
	}
	err := harness.Receive(chans, got, want, deadline)
	if err == nil {
		return nil
	}
	for _, m := range ms {
		if e := m.firstError(); e != nil {
			return fmt.Errorf("%v; %s: %v", err, m.name, e)
		}
	}
	return err
}

func createTopic(topic string, partitions int32, deadline time.Time) error {
	admin, err := sarama.NewClusterAdmin(brokers(), newConfig())
	if err != nil {
		return fmt.Errorf("NewClusterAdmin: %v", err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false); err != nil {
		return fmt.Errorf("CreateTopic: %v", err)
	}
	return harness.Eventually(deadline, func() error {
		md, err := admin.DescribeTopics([]string{topic})
		if err != nil {
			return fmt.Errorf("DescribeTopics: %v", err)
		}
		if len(md) != 1 || md[0].Name != topic {
			return fmt.Errorf("DescribeTopics returned %d topics", len(md))
		}
		if md[0].Err != sarama.ErrNoError {
			return fmt.Errorf("metadata for %s: %v", topic, md[0].Err)
		}
		if int32(len(md[0].Partitions)) != partitions {
			return fmt.Errorf("metadata shows %d partitions for %s, want %d", len(md[0].Partitions), topic, partitions)
		}
		return nil
	})
}

// ---------------------------------------------------------------- scenarios

// groupMember is kept running between group-consume and commit-resume.
var groupMember *member

// keyedPartitions is where produce-keyed's acknowledgements put each key.
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
	conf := newConfig()
	// Commit only when the session ends (commit-resume), not in the background.
	conf.Consumer.Offsets.CommitInterval = time.Hour
	m, err := startMember("group", prefix+"-group", prefix+"-three", conf)
	if err != nil {
		return err
	}
	groupMember = m
	got := make([][]*sarama.ConsumerMessage, 1)
	if err := collect([]*member{m}, got, 300, deadline); err != nil {
		return err
	}
	if err := harness.CheckExactly(got[0], view, harness.Keyed(0, 300)); err != nil {
		return err
	}
	return harness.CheckPartitions(got[0], view, keyedPartitions, "acknowledgement")
}

func commitResume(deadline time.Time) error {
	m := groupMember
	groupMember = nil
	if m == nil {
		return fmt.Errorf("no consumer left by group-consume")
	}
	if err := m.stop(deadline); err != nil {
		return err
	}
	// What did the close-time commit store?
	admin, err := sarama.NewClusterAdmin(brokers(), newConfig())
	if err != nil {
		return fmt.Errorf("NewClusterAdmin: %v", err)
	}
	topic := prefix + "-three"
	resp, err := admin.ListConsumerGroupOffsets(prefix+"-group", map[string][]int32{topic: {0, 1, 2}})
	admin.Close()
	if err != nil {
		return fmt.Errorf("ListConsumerGroupOffsets: %v", err)
	}
	var sum int64
	var offsets []string
	for p := int32(0); p < 3; p++ {
		b := resp.GetBlock(topic, p)
		if b == nil {
			return fmt.Errorf("no committed offset for %s[%d]", topic, p)
		}
		if b.Err != sarama.ErrNoError {
			return fmt.Errorf("committed offset of %s[%d]: %v", topic, p, b.Err)
		}
		sum += b.Offset
		offsets = append(offsets, fmt.Sprintf("%d@%d", p, b.Offset))
	}
	harness.Logf("committed %v", offsets)
	if sum != 300 {
		return fmt.Errorf("committed offsets %v add up to %d, want 300", offsets, sum)
	}

	more := harness.Keyed(300, 350)
	if _, err := produce(topic, more, nil, deadline); err != nil {
		return fmt.Errorf("producing 50 more: %v", err)
	}
	m2, err := startMember("resume", prefix+"-group", topic, nil)
	if err != nil {
		return err
	}
	defer m2.stop(deadline.Add(5 * time.Second))
	got := make([][]*sarama.ConsumerMessage, 1)
	if err := collect([]*member{m2}, got, 50, deadline); err != nil {
		return err
	}
	return harness.CheckExactly(got[0], view, more)
}

func headers(deadline time.Time) error {
	topic := prefix + "-headers"
	sent := harness.Record{Key: "hk", Value: "hv", Headers: []harness.Header{{Key: "h1", Value: []byte("v1")}, {Key: "h2", Value: []byte{0x00, 0x01}}}}
	want := saramaHeaders(sent.Headers)
	if _, err := produce(topic, []harness.Record{sent}, nil, deadline); err != nil {
		return err
	}
	m, err := startMember("headers", prefix+"-headers-group", topic, nil)
	if err != nil {
		return err
	}
	defer m.stop(deadline.Add(5 * time.Second))
	got := make([][]*sarama.ConsumerMessage, 1)
	if err := collect([]*member{m}, got, 1, deadline); err != nil {
		return err
	}
	if len(got[0]) != 1 {
		return fmt.Errorf("received %d records, want 1", len(got[0]))
	}
	msg := got[0][0]
	if string(msg.Key) != "hk" || string(msg.Value) != "hv" {
		return fmt.Errorf("record is %q=%q, want hk=hv", msg.Key, msg.Value)
	}
	var have []string
	for _, h := range msg.Headers {
		have = append(have, fmt.Sprintf("%q=%q", h.Key, h.Value))
	}
	if len(msg.Headers) != len(want) {
		return fmt.Errorf("received headers %v, want h1=v1 h2=\\x00\\x01", have)
	}
	for i := range want {
		if !bytes.Equal(msg.Headers[i].Key, want[i].Key) || !bytes.Equal(msg.Headers[i].Value, want[i].Value) {
			return fmt.Errorf("received headers %v, want h1=v1 h2=\\x00\\x01", have)
		}
	}
	return nil
}

var codecs = map[string]sarama.CompressionCodec{
	"gzip":   sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy,
	"lz4":    sarama.CompressionLZ4,
	"zstd":   sarama.CompressionZSTD,
}

func compression(codec string) harness.Scenario {
	cc := codecs[codec]
	return func(deadline time.Time) error {
		topic := prefix + "-" + codec
		recs := harness.Compressible(codec)
		conf := newConfig()
		conf.Producer.Compression = cc
		// Batch the 50 records together.
		conf.Producer.Flush.Frequency = 100 * time.Millisecond
		conf.Producer.Flush.Messages = 50
		if err := conf.Validate(); err != nil {
			return harness.Skipf("sarama refuses %s: %v", codec, err)
		}
		if _, err := produce(topic, recs, conf, deadline); err != nil {
			if cc == sarama.CompressionZSTD && strings.Contains(err.Error(), sarama.ErrUnsupportedCompressionType.Error()) {
				// sarama 1.22 has zstd codecs but sends them in Produce v3 (and
				// fetches with Fetch v4); Kafka >= 2.1 takes zstd only in
				// Produce v7+ / Fetch v10+ and answers UNSUPPORTED_COMPRESSION_TYPE.
				return harness.Skipf("sarama %s sends zstd batches in Produce v3; zstd needs Produce v7+ (Kafka >= 2.1), the broker answered: %v", libraryVersion, err)
			}
			return err
		}
		m, err := startMember(codec, prefix+"-"+codec+"-group", topic, nil)
		if err != nil {
			return err
		}
		defer m.stop(deadline.Add(5 * time.Second))
		got := make([][]*sarama.ConsumerMessage, 1)
		if err := collect([]*member{m}, got, len(recs), deadline); err != nil {
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
	a, err := startMember("A", group, topic, nil)
	if err != nil {
		return err
	}
	defer a.stop(deadline.Add(5 * time.Second))
	for len(a.currentClaims()) != 4 {
		if time.Now().After(deadline) {
			return fmt.Errorf("consumer A alone has partitions %v, want all 4 (error: %v)", a.currentClaims(), a.firstError())
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, err := startMember("B", group, topic, nil)
	if err != nil {
		return err
	}
	defer b.stop(deadline.Add(5 * time.Second))
	balanced := func() bool { return harness.Balanced(a.currentClaims(), b.currentClaims(), 4) }
	for !balanced() {
		if time.Now().After(deadline) {
			return fmt.Errorf("after B joined: A holds %v, B holds %v; want 2 each, disjoint (errors: %v / %v)",
				a.currentClaims(), b.currentClaims(), a.firstError(), b.firstError())
		}
		time.Sleep(20 * time.Millisecond)
	}
	harness.Logf("A holds %v, B holds %v", a.currentClaims(), b.currentClaims())

	recs := harness.Keyed(0, 40)
	if _, err := produce(topic, recs, nil, deadline); err != nil {
		return fmt.Errorf("producing 40: %v", err)
	}
	got := make([][]*sarama.ConsumerMessage, 2)
	if err := collect([]*member{a, b}, got, 40, deadline); err != nil {
		return err
	}
	if !balanced() {
		return fmt.Errorf("assignment changed while consuming: A holds %v, B holds %v", a.currentClaims(), b.currentClaims())
	}
	for i, m := range []*member{a, b} {
		mine := map[int32]bool{}
		for _, p := range m.currentClaims() {
			mine[p] = true
		}
		for _, msg := range got[i] {
			if !mine[msg.Partition] {
				return fmt.Errorf("consumer %s received a record of partition %d, not one of its own", m.name, msg.Partition)
			}
		}
	}
	harness.Logf("A received %d, B received %d", len(got[0]), len(got[1]))
	return harness.CheckExactly(append(append([]*sarama.ConsumerMessage{}, got[0]...), got[1]...), view, recs)
}

// listTopics asks for every topic, from a client and from an admin client.
func listTopics(deadline time.Time) error {
	client, err := sarama.NewClient(brokers(), newConfig())
	if err != nil {
		return fmt.Errorf("NewClient: %v", err)
	}
	defer client.Close()
	names, err := client.Topics()
	if err != nil {
		return fmt.Errorf("Client.Topics: %v", err)
	}
	if err := harness.CheckListed(names, prefix, "Client.Topics()"); err != nil {
		return err
	}
	admin, err := sarama.NewClusterAdmin(brokers(), newConfig())
	if err != nil {
		return fmt.Errorf("NewClusterAdmin: %v", err)
	}
	defer admin.Close()
	details, err := admin.ListTopics()
	if err != nil {
		return fmt.Errorf("ClusterAdmin.ListTopics: %v", err)
	}
	names = nil
	for name := range details {
		names = append(names, name)
	}
	return harness.CheckListed(names, prefix, "ClusterAdmin.ListTopics()")
}

func main() {
	bootstrap, prefix = harness.Start("sarama", "sarama-test")
	sarama.Logger = log.New(os.Stderr, "[sarama] ", log.Lmicroseconds)
	fmt.Printf("VERSION sarama %s\n", libraryVersion)
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
