// Command kafkago is klamm's interop test program for segmentio's kafka-go.
// build.sh builds it twice from this source: in module mode against kafka-go
// v0.4 from the module proxy, and in GOPATH mode against Debian's 0.2.1. What
// 0.2.1 lacks (record headers, zstd, a writer that asks for topic creation)
// is in lib_module.go and lib_debian.go.
//
// kafka-go 0.2.1 speaks only the pre-0.11 message format (Produce v2, magic 1
// message sets, Fetch v2) and CreateTopics v0, which Kafka 4 dropped and klamm
// does not serve: that build's scenarios are expected to fail.
//
// Usage: kafkago <bootstrap host:port[,host:port...]> <prefix>
//
// It prints `VERSION ...` and then one `PASS|FAIL|SKIP <scenario>` line per
// scenario on stdout, logs to stderr, and exits 0 even when scenarios fail.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
	"klamm-interop/harness"
)

// libraryVersion is the module's version, or in the GOPATH build Debian's.
var libraryVersion = harness.ModuleVersion("github.com/segmentio/kafka-go", debianVersion)

const (
	// kafka-go retries forever inside its reader and writer: give each
	// produce or consume step a shorter bound than the scenario's so that the
	// program gets through all scenarios within its budget.
	stepTimeout = 8 * time.Second
)

var bootstrap, prefix string

// brokers is the bootstrap list: run.py gives a comma-separated one when it
// runs the program against three brokers.
func brokers() []string { return strings.Split(bootstrap, ",") }

func stepDeadline(deadline time.Time) time.Time {
	if d := time.Now().Add(stepTimeout); d.Before(deadline) {
		return d
	}
	return deadline
}

// ---------------------------------------------------------------- logging

// libLog is a writer for kafka-go's loggers: it copies lines to stderr,
// remembers the last error line and the partitions each reader subscribed to.
type libLog struct {
	name  string
	mu    sync.Mutex
	last  string
	subs  []int32
	isErr bool
}

// The line a reader logs when it takes its assignment: 0.2.1 writes
// `subscribed to partitions: map[0:-2 1:-2]`, v0.4 writes
// `subscribed to topics and partitions: map[{topic:t partition:0}:-2 ...]`.
var (
	subscribedRE   = regexp.MustCompile(`subscribed to (?:topics and )?partitions: map\[(.*)\]`)
	topicPartition = regexp.MustCompile(`partition:(\d+)\}`)
)

func (l *libLog) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	fmt.Fprintf(os.Stderr, "[kafka-go %s] %s\n", l.name, line)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isErr {
		l.last = line
	}
	if m := subscribedRE.FindStringSubmatch(line); m != nil {
		var subs []int32
		for _, p := range topicPartition.FindAllStringSubmatch(m[1], -1) {
			if n, err := strconv.Atoi(p[1]); err == nil {
				subs = append(subs, int32(n))
			}
		}
		for _, kv := range strings.Fields(m[1]) {
			if i := strings.IndexByte(kv, ':'); i > 0 {
				if n, err := strconv.Atoi(kv[:i]); err == nil {
					subs = append(subs, int32(n))
				}
			}
		}
		sort.Slice(subs, func(i, j int) bool { return subs[i] < subs[j] })
		l.subs = subs
	}
	return len(p), nil
}

func (l *libLog) lastError() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

func (l *libLog) subscribed() []int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int32{}, l.subs...)
}

type logs struct {
	info, errs *libLog
}

func newLogs(name string) logs {
	return logs{info: &libLog{name: name}, errs: &libLog{name: name + " error", isErr: true}}
}

func (l logs) loggers() (*log.Logger, *log.Logger) {
	return log.New(l.info, "", 0), log.New(l.errs, "", 0)
}

// withLastError adds the library's last logged error to err.
func withLastError(err error, l logs) error {
	if last := l.errs.lastError(); last != "" {
		return fmt.Errorf("%v; last library error: %s", err, last)
	}
	return err
}

// ---------------------------------------------------------------- helpers

// view is m as harness's checks see it.
func view(m kafka.Message) harness.Received {
	return harness.Received{Key: m.Key, Value: m.Value, Partition: int32(m.Partition), At: fmt.Sprintf("%s[%d]@%d", m.Topic, m.Partition, m.Offset)}
}

func produce(topic string, recs []harness.Record, codec kafka.CompressionCodec, deadline time.Time) error {
	l := newLogs("writer " + topic)
	info, errs := l.loggers()
	w := kafka.NewWriter(kafka.WriterConfig{
		Brokers:          brokers(),
		Topic:            topic,
		Balancer:         &kafka.Hash{},
		RequiredAcks:     -1,
		BatchTimeout:     10 * time.Millisecond,
		MaxAttempts:      3,
		ReadTimeout:      5 * time.Second,
		WriteTimeout:     5 * time.Second,
		CompressionCodec: codec,
		Logger:           info,
		ErrorLogger:      errs,
	})
	configureWriter(w)
	defer func() {
		done := make(chan struct{})
		go func() { w.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			harness.Logf("Writer.Close did not return within 2s")
		}
	}()
	msgs := make([]kafka.Message, len(recs))
	for i, r := range recs {
		msgs[i] = kafka.Message{Key: []byte(r.Key), Value: []byte(r.Value)}
		setHeaders(&msgs[i], r.Headers)
	}
	ctx, cancel := context.WithDeadline(context.Background(), stepDeadline(deadline))
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := w.WriteMessages(ctx, msgs...)
		if err == nil {
			return nil
		}
		// A topic the writer has the broker create is not there yet in
		// Kafka's first Metadata answer (UNKNOWN_TOPIC_OR_PARTITION while its
		// controller creates it). The writer fails the whole call on that,
		// before sending anything, and kafka-go's README retries the write.
		if (errors.Is(err, kafka.UnknownTopicOrPartition) || errors.Is(err, kafka.LeaderNotAvailable)) && attempt < 20 && ctx.Err() == nil {
			harness.Logf("WriteMessages to %s, attempt %d: %v; retrying", topic, attempt, err)
			time.Sleep(250 * time.Millisecond)
			continue
		}
		return withLastError(fmt.Errorf("WriteMessages: %v", err), l)
	}
}

type reader struct {
	name string
	r    *kafka.Reader
	logs logs
	msgs chan kafka.Message
	stop context.CancelFunc
	done chan struct{}
}

func newReader(name, group, topic string) *reader {
	l := newLogs(name)
	info, errs := l.loggers()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           brokers(),
		GroupID:           group,
		Topic:             topic,
		MinBytes:          1,
		MaxBytes:          1e6,
		MaxWait:           250 * time.Millisecond,
		HeartbeatInterval: 500 * time.Millisecond,
		SessionTimeout:    6 * time.Second,
		RebalanceTimeout:  10 * time.Second,
		CommitInterval:    0, // synchronous commits
		Logger:            info,
		ErrorLogger:       errs,
	})
	ctx, cancel := context.WithCancel(context.Background())
	rd := &reader{name: name, r: r, logs: l, msgs: make(chan kafka.Message, 10000), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(rd.done)
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				if ctx.Err() == nil {
					harness.Logf("%s: FetchMessage: %v", name, err)
				}
				return
			}
			rd.msgs <- m
		}
	}()
	return rd
}

func (rd *reader) close() {
	rd.stop()
	<-rd.done
	done := make(chan struct{})
	go func() { rd.r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		harness.Logf("%s: Reader.Close did not return within 3s", rd.name)
	}
}

// collect reads from readers into got as harness.Receive does; if too few
// arrive, the error carries the readers' last library errors.
func collect(rs []*reader, got [][]kafka.Message, want int, deadline time.Time) error {
	chans := make([]chan kafka.Message, len(rs))
	for i, r := range rs {
		chans[i] = r.msgs
	}
	err := harness.Receive(chans, got, want, deadline)
	if err != nil {
		for _, r := range rs {
			err = withLastError(err, r.logs)
		}
	}
	return err
}

func dial(deadline time.Time) (*kafka.Conn, error) {
	ctx, cancel := context.WithDeadline(context.Background(), stepDeadline(deadline))
	defer cancel()
	conn, err := kafka.DefaultDialer.DialContext(ctx, "tcp", brokers()[0])
	if err != nil {
		return nil, fmt.Errorf("Dial: %v", err)
	}
	conn.SetDeadline(stepDeadline(deadline))
	return conn, nil
}

func createTopic(topic string, partitions int, deadline time.Time) error {
	conn, err := dial(deadline)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}); err != nil {
		return fmt.Errorf("CreateTopics (v0): %v", err)
	}
	return harness.Eventually(stepDeadline(deadline), func() error {
		conn2, err := dial(deadline)
		if err != nil {
			return err
		}
		defer conn2.Close()
		parts, err := conn2.ReadPartitions(topic)
		if err != nil {
			return fmt.Errorf("ReadPartitions: %v", err)
		}
		if len(parts) != partitions {
			return fmt.Errorf("metadata shows %d partitions for %s, want %d", len(parts), topic, partitions)
		}
		return nil
	})
}

// ---------------------------------------------------------------- scenarios

// groupReader is kept open between group-consume and commit-resume, with
// what it read.
var (
	groupReader *reader
	groupRead   []kafka.Message
)

func produceAutoTopic(deadline time.Time) error {
	return produce(prefix+"-auto", harness.Keyed(0, 100), nil, deadline)
}

func createTopicScenario(deadline time.Time) error {
	return createTopic(prefix+"-three", 3, deadline)
}

func produceKeyed(deadline time.Time) error {
	// kafka-go's Writer reports no partitions; group-consume checks where
	// the records landed.
	return produce(prefix+"-three", harness.Keyed(0, 300), nil, deadline)
}

func groupConsume(deadline time.Time) error {
	r := newReader("group", prefix+"-group", prefix+"-three")
	groupReader = r
	got := make([][]kafka.Message, 1)
	if err := collect([]*reader{r}, got, 300, stepDeadline(deadline)); err != nil {
		return err
	}
	groupRead = got[0]
	if err := harness.CheckExactly(got[0], view, harness.Keyed(0, 300)); err != nil {
		return err
	}
	used := map[int]bool{}
	for _, m := range got[0] {
		used[m.Partition] = true
	}
	if len(used) != 3 {
		return fmt.Errorf("records came from %d partitions, want 3", len(used))
	}
	return nil
}

func commitResume(deadline time.Time) error {
	r := groupReader
	groupReader = nil
	if r == nil {
		return fmt.Errorf("no reader left by group-consume")
	}
	if len(groupRead) == 0 {
		r.close()
		return fmt.Errorf("group-consume read nothing to commit")
	}
	ctx, cancel := context.WithDeadline(context.Background(), stepDeadline(deadline))
	err := r.r.CommitMessages(ctx, groupRead...)
	cancel()
	r.close()
	if err != nil {
		return withLastError(fmt.Errorf("CommitMessages: %v", err), r.logs)
	}
	more := harness.Keyed(300, 350)
	if err := produce(prefix+"-three", more, nil, deadline); err != nil {
		return fmt.Errorf("producing 50 more: %v", err)
	}
	r2 := newReader("resume", prefix+"-group", prefix+"-three")
	defer r2.close()
	got := make([][]kafka.Message, 1)
	if err := collect([]*reader{r2}, got, 50, stepDeadline(deadline)); err != nil {
		return err
	}
	return harness.CheckExactly(got[0], view, more)
}

// codecs are the codecs both versions have; lib_module.go adds zstd.
var codecs = map[string]kafka.CompressionCodec{
	"gzip":   gzip.NewCompressionCodec(),
	"snappy": snappy.NewCompressionCodec(),
	"lz4":    lz4.NewCompressionCodec(),
}

func compression(codec string) harness.Scenario {
	cc := codecs[codec]
	return func(deadline time.Time) error {
		if cc == nil {
			return harness.Skipf("kafka-go %s has no %s codec", libraryVersion, codec)
		}
		topic := prefix + "-" + codec
		recs := harness.Compressible(codec)
		if err := produce(topic, recs, cc, deadline); err != nil {
			return err
		}
		r := newReader(codec, prefix+"-"+codec+"-group", topic)
		defer r.close()
		got := make([][]kafka.Message, 1)
		if err := collect([]*reader{r}, got, len(recs), stepDeadline(deadline)); err != nil {
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
	a := newReader("A", group, topic)
	defer a.close()
	for len(a.logs.info.subscribed()) != 4 {
		if time.Now().After(stepDeadline(deadline)) {
			return withLastError(fmt.Errorf("reader A alone subscribed to %v, want all 4", a.logs.info.subscribed()), a.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b := newReader("B", group, topic)
	defer b.close()
	balanced := func() bool { return harness.Balanced(a.logs.info.subscribed(), b.logs.info.subscribed(), 4) }
	for !balanced() {
		if time.Now().After(deadline) {
			return fmt.Errorf("after B joined: A holds %v, B holds %v; want 2 each, disjoint", a.logs.info.subscribed(), b.logs.info.subscribed())
		}
		time.Sleep(20 * time.Millisecond)
	}
	recs := harness.Keyed(0, 40)
	if err := produce(topic, recs, nil, deadline); err != nil {
		return fmt.Errorf("producing 40: %v", err)
	}
	got := make([][]kafka.Message, 2)
	if err := collect([]*reader{a, b}, got, 40, stepDeadline(deadline)); err != nil {
		return err
	}
	for i, r := range []*reader{a, b} {
		mine := map[int]bool{}
		for _, p := range r.logs.info.subscribed() {
			mine[int(p)] = true
		}
		for _, m := range got[i] {
			if !mine[m.Partition] {
				return fmt.Errorf("reader %s received a record of partition %d, not one of its own", r.name, m.Partition)
			}
		}
	}
	return harness.CheckExactly(append(append([]kafka.Message{}, got[0]...), got[1]...), view, recs)
}

// listTopics reads every partition of every topic (a Metadata request for
// all topics) over one connection.
func listTopics(deadline time.Time) error {
	conn, err := dial(deadline)
	if err != nil {
		return err
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions()
	if err != nil {
		return fmt.Errorf("ReadPartitions(): %v", err)
	}
	var names []string
	for _, p := range parts {
		names = append(names, p.Topic)
	}
	return harness.CheckListed(names, prefix, "Conn.ReadPartitions()")
}

func main() {
	bootstrap, prefix = harness.Start("kafkago", "kafkago-test")
	fmt.Printf("VERSION kafka-go %s\n", libraryVersion)
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
