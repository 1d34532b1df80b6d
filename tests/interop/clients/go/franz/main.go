// Command franz is klamm's interop test program for twmb's franz-go (kgo,
// and kadm for the admin calls), built in module mode from the module proxy.
// It runs the scenarios of the other programs (the list is harness's) with
// franz-go's defaults where they matter to a user: an idempotent producer
// with acks=all, the cooperative-sticky group balancer, Kafka's murmur2
// partitioning of keys.
//
// Usage: franz <bootstrap host:port[,host:port...]> <prefix>
//
// It prints `VERSION ...` and then one `PASS|FAIL|SKIP <scenario>` line per
// scenario on stdout, logs to stderr, and exits 0 even when scenarios fail.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"klamm-interop/harness"
)

var (
	bootstrap, prefix string
	libraryVersion    = harness.ModuleVersion("github.com/twmb/franz-go", "?")
	kadmVersion       = harness.ModuleVersion("github.com/twmb/franz-go/pkg/kadm", "?")
)

// logger sends franz-go's own log lines (at info level) to stderr, named.
type logger struct{ name string }

func (l logger) Level() kgo.LogLevel { return kgo.LogLevelInfo }

func (l logger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	harness.Logf("[kgo %s %s] %s %v", l.name, level, msg, keyvals)
}

func newClient(name string, opts ...kgo.Opt) (*kgo.Client, error) {
	base := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(bootstrap, ",")...),
		kgo.ClientID("klamm-interop-franz"),
		kgo.WithLogger(logger{name}),
		kgo.DialTimeout(5 * time.Second),
		kgo.RequestTimeoutOverhead(5 * time.Second),
		kgo.ProducerLinger(5 * time.Millisecond),
		// A topic the producer has Kafka create is still unknown in the
		// first Metadata answer; franz-go asks again only after this age
		// (default 5 s), which would add 5 s to each scenario on Kafka.
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	return kgo.NewClient(append(base, opts...)...)
}

// view is r as harness's checks see it.
func view(r *kgo.Record) harness.Received {
	return harness.Received{Key: r.Key, Value: r.Value, Partition: r.Partition, At: fmt.Sprintf("%s[%d]@%d", r.Topic, r.Partition, r.Offset)}
}

// produce sends records to topic and waits for every acknowledgement; it
// returns the partition each record landed in, in order.
func produce(topic string, recs []harness.Record, deadline time.Time, opts ...kgo.Opt) ([]int32, error) {
	cl, err := newClient("producer", append([]kgo.Opt{kgo.AllowAutoTopicCreation()}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("NewClient: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	rs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		rs[i] = &kgo.Record{Topic: topic, Key: []byte(r.Key), Value: []byte(r.Value)}
		for _, h := range r.Headers {
			rs[i].Headers = append(rs[i].Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
	}
	results := cl.ProduceSync(ctx, rs...)
	if err := results.FirstErr(); err != nil {
		return nil, fmt.Errorf("ProduceSync: %v", err)
	}
	parts := make([]int32, len(recs))
	for i, r := range rs {
		parts[i] = r.Partition
	}
	return parts, nil
}

// member is a group consumer and the partitions its rebalance callbacks
// say it holds (cooperative rebalances add and revoke some at a time).
type member struct {
	name string
	cl   *kgo.Client
	mu   sync.Mutex
	held map[int32]bool
}

func newMember(name, group, topic string, opts ...kgo.Opt) (*member, error) {
	m := &member{name: name, held: map[int32]bool{}}
	update := func(add bool) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range parts[topic] {
				if add {
					m.held[p] = true
				} else {
					delete(m.held, p)
				}
			}
			harness.Logf("%s: assigned=%v %v, now holds %v", name, add, parts, m.heldLocked())
		}
	}
	base := []kgo.Opt{
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(6 * time.Second),
		kgo.HeartbeatInterval(500 * time.Millisecond),
		kgo.RebalanceTimeout(10 * time.Second),
		kgo.FetchMaxWait(250 * time.Millisecond),
		kgo.OnPartitionsAssigned(update(true)),
		kgo.OnPartitionsRevoked(update(false)),
		kgo.OnPartitionsLost(update(false)),
	}
	cl, err := newClient(name, append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("NewClient %s: %v", name, err)
	}
	m.cl = cl
	return m, nil
}

func (m *member) heldLocked() []int32 {
	var out []int32
	for p := range m.held {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (m *member) holds() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.heldLocked()
}

// poll takes what arrives within a short wait; a fetch error other than the
// wait running out fails the scenario.
func (m *member) poll(wait time.Duration) ([]*kgo.Record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	fs := m.cl.PollRecords(ctx, 1000)
	for _, e := range fs.Errors() {
		if errors.Is(e.Err, context.DeadlineExceeded) || errors.Is(e.Err, context.Canceled) {
			continue
		}
		return nil, fmt.Errorf("%s: fetch error on %s[%d]: %v", m.name, e.Topic, e.Partition, e.Err)
	}
	return fs.Records(), nil
}

// collect polls members round-robin into got, as harness.Collect describes.
func collect(ms []*member, got [][]*kgo.Record, want int, deadline time.Time) error {
	return harness.Collect(got, want, deadline, func() error { return collectRound(ms, got) })
}

// close leaves the group and closes the client, bounded by deadline.
func (m *member) close(deadline time.Time) {
	done := make(chan struct{})
	go func() { m.cl.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		harness.Logf("%s: Close did not return before the deadline", m.name)
	}
}

func createTopic(topic string, partitions int32, deadline time.Time) error {
	cl, err := newClient("admin")
	if err != nil {
		return fmt.Errorf("NewClient: %v", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	res, err := adm.CreateTopics(ctx, partitions, 1, nil, topic)
	if err != nil {
		return fmt.Errorf("CreateTopics: %v", err)
	}
	if r, ok := res[topic]; !ok || r.Err != nil {
		return fmt.Errorf("CreateTopics %s: %v (%v)", topic, r.Err, res)
	}
	return harness.Eventually(deadline, func() error {
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return fmt.Errorf("Metadata: %v", err)
		}
		td, ok := md.Topics[topic]
		if !ok || td.Err != nil {
			return fmt.Errorf("metadata for %s: %v", topic, td.Err)
		}
		if len(td.Partitions) != int(partitions) {
			return fmt.Errorf("metadata shows %d partitions for %s, want %d", len(td.Partitions), topic, partitions)
		}
		return nil
	})
}

// committed adds up the offsets group committed for topic's partitions.
func committed(group, topic string, partitions int32, deadline time.Time) (int64, error) {
	cl, err := newClient("admin")
	if err != nil {
		return 0, fmt.Errorf("NewClient: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	offsets, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err != nil {
		return 0, fmt.Errorf("FetchOffsets: %v", err)
	}
	var sum int64
	for p := int32(0); p < partitions; p++ {
		o, ok := offsets.Lookup(topic, p)
		if !ok {
			return 0, fmt.Errorf("no committed offset for %s[%d]", topic, p)
		}
		if o.Err != nil {
			return 0, fmt.Errorf("committed offset of %s[%d]: %v", topic, p, o.Err)
		}
		sum += o.At
	}
	return sum, nil
}

// ---------------------------------------------------------------- scenarios

// groupMember is kept open between group-consume and commit-resume.
var groupMember *member

// keyedPartitions is where produce-keyed's acknowledgements put each key.
var keyedPartitions map[string]int32

func produceAutoTopic(deadline time.Time) error {
	_, err := produce(prefix+"-auto", harness.Keyed(0, 100), deadline)
	return err
}

func createTopicScenario(deadline time.Time) error {
	return createTopic(prefix+"-three", 3, deadline)
}

func produceKeyed(deadline time.Time) error {
	recs := harness.Keyed(0, 300)
	parts, err := produce(prefix+"-three", recs, deadline)
	if err != nil {
		return err
	}
	keyedPartitions, err = harness.KeyedPartitions(recs, parts, 3)
	return err
}

func groupConsume(deadline time.Time) error {
	m, err := newMember("group", prefix+"-group", prefix+"-three")
	if err != nil {
		return err
	}
	groupMember = m
	got := make([][]*kgo.Record, 1)
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
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	err := m.cl.CommitUncommittedOffsets(ctx)
	cancel()
	m.close(deadline)
	if err != nil {
		return fmt.Errorf("CommitUncommittedOffsets: %v", err)
	}
	topic := prefix + "-three"
	sum, err := committed(prefix+"-group", topic, 3, deadline)
	if err != nil {
		return err
	}
	if sum != 300 {
		return fmt.Errorf("committed offsets add up to %d, want 300", sum)
	}
	more := harness.Keyed(300, 350)
	if _, err := produce(topic, more, deadline); err != nil {
		return fmt.Errorf("producing 50 more: %v", err)
	}
	m2, err := newMember("resume", prefix+"-group", topic)
	if err != nil {
		return err
	}
	defer m2.close(deadline.Add(5 * time.Second))
	got := make([][]*kgo.Record, 1)
	if err := collect([]*member{m2}, got, 50, deadline); err != nil {
		return err
	}
	return harness.CheckExactly(got[0], view, more)
}

func headers(deadline time.Time) error {
	topic := prefix + "-headers"
	sent := harness.Record{Key: "hk", Value: "hv", Headers: []harness.Header{{Key: "h1", Value: []byte("v1")}, {Key: "h2", Value: []byte{0x00, 0x01}}}}
	if _, err := produce(topic, []harness.Record{sent}, deadline); err != nil {
		return err
	}
	m, err := newMember("headers", prefix+"-headers-group", topic)
	if err != nil {
		return err
	}
	defer m.close(deadline.Add(5 * time.Second))
	got := make([][]*kgo.Record, 1)
	if err := collect([]*member{m}, got, 1, deadline); err != nil {
		return err
	}
	if len(got[0]) != 1 {
		return fmt.Errorf("received %d records, want 1", len(got[0]))
	}
	r := got[0][0]
	if string(r.Key) != "hk" || string(r.Value) != "hv" {
		return fmt.Errorf("record is %q=%q, want hk=hv", r.Key, r.Value)
	}
	ok := len(r.Headers) == len(sent.Headers)
	for i := 0; ok && i < len(r.Headers); i++ {
		ok = r.Headers[i].Key == sent.Headers[i].Key && bytes.Equal(r.Headers[i].Value, sent.Headers[i].Value)
	}
	if !ok {
		return fmt.Errorf("received headers %v, want h1=v1 h2=\\x00\\x01", r.Headers)
	}
	return nil
}

var codecs = map[string]kgo.CompressionCodec{
	"gzip":   kgo.GzipCompression(),
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
}

func compression(codec string) harness.Scenario {
	return func(deadline time.Time) error {
		topic := prefix + "-" + codec
		recs := harness.Compressible(codec)
		// A long linger so that the 50 records travel compressed together.
		if _, err := produce(topic, recs, deadline, kgo.ProducerBatchCompression(codecs[codec]), kgo.ProducerLinger(100*time.Millisecond)); err != nil {
			return err
		}
		m, err := newMember(codec, prefix+"-"+codec+"-group", topic)
		if err != nil {
			return err
		}
		defer m.close(deadline.Add(5 * time.Second))
		got := make([][]*kgo.Record, 1)
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
	a, err := newMember("A", group, topic)
	if err != nil {
		return err
	}
	defer a.close(deadline.Add(5 * time.Second))
	got := make([][]*kgo.Record, 2) // A's, B's
	// Polling is what drives a franz-go member through its rebalances.
	for len(a.holds()) != 4 {
		if time.Now().After(deadline) {
			return fmt.Errorf("consumer A alone holds %v, want all 4", a.holds())
		}
		if err := collectRound([]*member{a}, got[:1]); err != nil {
			return err
		}
	}
	b, err := newMember("B", group, topic)
	if err != nil {
		return err
	}
	defer b.close(deadline.Add(5 * time.Second))
	balanced := func() bool { return harness.Balanced(a.holds(), b.holds(), 4) }
	for !balanced() {
		if time.Now().After(deadline) {
			return fmt.Errorf("after B joined: A holds %v, B holds %v; want 2 each, disjoint", a.holds(), b.holds())
		}
		if err := collectRound([]*member{a, b}, got); err != nil {
			return err
		}
	}
	harness.Logf("A holds %v, B holds %v", a.holds(), b.holds())
	if n := len(got[0]) + len(got[1]); n != 0 {
		return fmt.Errorf("received %d records before any was produced", n)
	}
	recs := harness.Keyed(0, 40)
	if _, err := produce(topic, recs, deadline); err != nil {
		return fmt.Errorf("producing 40: %v", err)
	}
	if err := collect([]*member{a, b}, got, 40, deadline); err != nil {
		return err
	}
	if !balanced() {
		return fmt.Errorf("assignment changed while consuming: A holds %v, B holds %v", a.holds(), b.holds())
	}
	for i, m := range []*member{a, b} {
		mine := map[int32]bool{}
		for _, p := range m.holds() {
			mine[p] = true
		}
		for _, r := range got[i] {
			if !mine[r.Partition] {
				return fmt.Errorf("consumer %s received a record of partition %d, not one of its own", m.name, r.Partition)
			}
		}
	}
	harness.Logf("A received %d, B received %d", len(got[0]), len(got[1]))
	return harness.CheckExactly(append(append([]*kgo.Record{}, got[0]...), got[1]...), view, recs)
}

// collectRound polls each member once into got.
func collectRound(ms []*member, got [][]*kgo.Record) error {
	for i, m := range ms {
		rs, err := m.poll(100 * time.Millisecond)
		if err != nil {
			return err
		}
		got[i] = append(got[i], rs...)
	}
	return nil
}

// listTopics asks for every topic through kadm.
func listTopics(deadline time.Time) error {
	cl, err := newClient("admin")
	if err != nil {
		return fmt.Errorf("NewClient: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	topics, err := kadm.NewClient(cl).ListTopics(ctx)
	if err != nil {
		return fmt.Errorf("ListTopics: %v", err)
	}
	return harness.CheckListed(topics.Names(), prefix, "kadm ListTopics")
}

func main() {
	bootstrap, prefix = harness.Start("franz", "franz")
	fmt.Printf("VERSION franz-go %s (kadm %s)\n", libraryVersion, kadmVersion)
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
