// Command kafkago is klamm's interop test program for segmentio's kafka-go
// 0.2.1 (Debian's golang-github-segmentio-kafka-go-dev).
//
// kafka-go 0.2.1 speaks only the pre-0.11 message format (Produce v2, magic 1
// message sets, Fetch v2) and CreateTopics v0, which Kafka 4 dropped and klamm
// does not serve: its scenarios are expected to fail against klamm. It has no
// record headers and no zstd codec (those scenarios SKIP).
//
// Usage: kafkago <bootstrap host:port> <prefix>
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
)

const (
	libraryVersion   = "0.2.1" // pinned by the Debian package
	scenarioTimeout  = 30 * time.Second
	programBudget    = 110 * time.Second
	settleAfterCount = 1500 * time.Millisecond // extra reading to catch duplicates
	// kafka-go retries forever inside its reader and writer: give each
	// produce or consume step a shorter bound than the scenario's so that the
	// program gets through all scenarios within its budget.
	stepTimeout = 8 * time.Second
)

var (
	bootstrap string
	prefix    string
	started   = time.Now()
)

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "[kafkago-test %6.2fs] %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
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

var subscribedRE = regexp.MustCompile(`subscribed to partitions: map\[([^\]]*)\]`)

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

type record struct{ key, value string }

func keyed(from, to int) []record {
	var out []record
	for i := from; i < to; i++ {
		out = append(out, record{key: fmt.Sprintf("k%d", i), value: fmt.Sprintf("v%d", i)})
	}
	return out
}

func produce(topic string, recs []record, codec kafka.CompressionCodec, deadline time.Time) error {
	l := newLogs("writer " + topic)
	info, errs := l.loggers()
	w := kafka.NewWriter(kafka.WriterConfig{
		Brokers:          []string{bootstrap},
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
	defer func() {
		done := make(chan struct{})
		go func() { w.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			logf("Writer.Close did not return within 2s")
		}
	}()
	msgs := make([]kafka.Message, len(recs))
	for i, r := range recs {
		msgs[i] = kafka.Message{Key: []byte(r.key), Value: []byte(r.value)}
	}
	ctx, cancel := context.WithDeadline(context.Background(), stepDeadline(deadline))
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return withLastError(fmt.Errorf("WriteMessages: %v", err), l)
	}
	return nil
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
		Brokers:           []string{bootstrap},
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
					logf("%s: FetchMessage: %v", name, err)
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
		logf("%s: Reader.Close did not return within 3s", rd.name)
	}
}

// collect reads from readers until want messages arrived in total (then it
// reads settleAfterCount more to catch duplicates) or the deadline passes.
func collect(rs []*reader, got [][]kafka.Message, want int, deadline time.Time) error {
	total := func() int {
		n := 0
		for _, g := range got {
			n += len(g)
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
			err := fmt.Errorf("received %d of %d records before the deadline", total(), want)
			for _, r := range rs {
				err = withLastError(err, r.logs)
			}
			return err
		}
		progressed := false
		for i, r := range rs {
			select {
			case m := <-r.msgs:
				got[i] = append(got[i], m)
				progressed = true
			default:
			}
		}
		if !progressed {
			time.Sleep(10 * time.Millisecond)
		}
		if settleEnd.IsZero() && total() >= want {
			settleEnd = time.Now().Add(settleAfterCount)
			if settleEnd.After(deadline) {
				settleEnd = deadline
			}
		}
	}
}

func checkExactly(msgs []kafka.Message, want []record) error {
	wantVal := map[string]string{}
	for _, r := range want {
		wantVal[r.key] = r.value
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		k := string(m.Key)
		v, ok := wantVal[k]
		if !ok {
			return fmt.Errorf("unexpected record key=%q at %s[%d]@%d", k, m.Topic, m.Partition, m.Offset)
		}
		if seen[k] {
			return fmt.Errorf("record %q received twice (second at %s[%d]@%d)", k, m.Topic, m.Partition, m.Offset)
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

func dial(deadline time.Time) (*kafka.Conn, error) {
	ctx, cancel := context.WithDeadline(context.Background(), stepDeadline(deadline))
	defer cancel()
	conn, err := kafka.DefaultDialer.DialContext(ctx, "tcp", bootstrap)
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
}

// ---------------------------------------------------------------- scenarios

// groupReader is kept open between group-consume and commit-resume, with
// what it read.
var (
	groupReader *reader
	groupRead   []kafka.Message
)

func produceAutoTopic(deadline time.Time) error {
	return produce(prefix+"-auto", keyed(0, 100), nil, deadline)
}

func createTopicScenario(deadline time.Time) error {
	return createTopic(prefix+"-three", 3, deadline)
}

func produceKeyed(deadline time.Time) error {
	// kafka-go's Writer reports no partitions; group-consume checks where
	// the records landed.
	return produce(prefix+"-three", keyed(0, 300), nil, deadline)
}

func groupConsume(deadline time.Time) error {
	r := newReader("group", prefix+"-group", prefix+"-three")
	groupReader = r
	got := make([][]kafka.Message, 1)
	if err := collect([]*reader{r}, got, 300, stepDeadline(deadline)); err != nil {
		return err
	}
	groupRead = got[0]
	if err := checkExactly(got[0], keyed(0, 300)); err != nil {
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
	more := keyed(300, 350)
	if err := produce(prefix+"-three", more, nil, deadline); err != nil {
		return fmt.Errorf("producing 50 more: %v", err)
	}
	r2 := newReader("resume", prefix+"-group", prefix+"-three")
	defer r2.close()
	got := make([][]kafka.Message, 1)
	if err := collect([]*reader{r2}, got, 50, stepDeadline(deadline)); err != nil {
		return err
	}
	return checkExactly(got[0], more)
}

func headers(deadline time.Time) error {
	return skipError{"kafka-go 0.2.1 has no record headers (its Message has none; it writes magic 1 message sets)"}
}

func compression(codec string, cc kafka.CompressionCodec) func(deadline time.Time) error {
	return func(deadline time.Time) error {
		if cc == nil {
			return skipError{fmt.Sprintf("kafka-go 0.2.1 has no %s codec", codec)}
		}
		topic := prefix + "-" + codec
		var recs []record
		for i := 0; i < 50; i++ {
			recs = append(recs, record{key: fmt.Sprintf("k%d", i), value: fmt.Sprintf("v%d-%s", i, strings.Repeat(codec, 40))})
		}
		if err := produce(topic, recs, cc, deadline); err != nil {
			return err
		}
		r := newReader(codec, prefix+"-"+codec+"-group", topic)
		defer r.close()
		got := make([][]kafka.Message, 1)
		if err := collect([]*reader{r}, got, len(recs), stepDeadline(deadline)); err != nil {
			return err
		}
		if len(got[0]) != len(recs) {
			return fmt.Errorf("received %d records, want %d", len(got[0]), len(recs))
		}
		for i, m := range got[0] {
			if string(m.Key) != recs[i].key || !bytes.Equal(m.Value, []byte(recs[i].value)) {
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
	balanced := func() bool {
		pa, pb := a.logs.info.subscribed(), b.logs.info.subscribed()
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
			return fmt.Errorf("after B joined: A holds %v, B holds %v; want 2 each, disjoint", a.logs.info.subscribed(), b.logs.info.subscribed())
		}
		time.Sleep(20 * time.Millisecond)
	}
	recs := keyed(0, 40)
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
	return checkExactly(append(append([]kafka.Message{}, got[0]...), got[1]...), recs)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: kafkago <bootstrap host:port> <prefix>")
		os.Exit(2)
	}
	bootstrap, prefix = os.Args[1], os.Args[2]
	fmt.Printf("VERSION kafka-go %s\n", libraryVersion)

	run("produce-auto-topic", produceAutoTopic)
	run("create-topic", createTopicScenario)
	run("produce-keyed", produceKeyed)
	run("group-consume", groupConsume)
	run("commit-resume", commitResume)
	run("headers", headers)
	run("compression-gzip", compression("gzip", gzip.NewCompressionCodec()))
	run("compression-snappy", compression("snappy", snappy.NewCompressionCodec()))
	run("compression-lz4", compression("lz4", lz4.NewCompressionCodec()))
	run("compression-zstd", compression("zstd", nil))
	run("group-takeover", groupTakeover)
	logf("done in %.1fs", time.Since(started).Seconds())
	os.Exit(0)
}
