// Package harness is what klamm's Go interop programs (confluent, sarama,
// kafkago) share beyond their client library: the scenario list, the result
// lines run.py reads, the time limits, the records they send and the checks
// of what came back. Keeping it in one place keeps the three programs'
// reports comparable scenario by scenario.
package harness

import (
	"fmt"
	"os"
	"strings"
	"time"
)

const (
	scenarioTimeout = 30 * time.Second
	programBudget   = 110 * time.Second
	// Consumers keep going this long after the expected count arrived, to
	// catch duplicates.
	settleAfterCount = 1500 * time.Millisecond
)

var (
	tag     string
	started = time.Now()
)

// Start reads the bootstrap address and the topic prefix from the command
// line, or exits with the usage of program; logTag names it in log lines.
func Start(program, logTag string) (bootstrap, prefix string) {
	if len(os.Args) != 3 {
		fmt.Fprintf(os.Stderr, "usage: %s <bootstrap host:port> <prefix>\n", program)
		os.Exit(2)
	}
	tag = logTag
	return os.Args[1], os.Args[2]
}

// Logf logs to stderr: stdout carries only the lines run.py reads.
func Logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "[%s %6.2fs] %s\n", tag, time.Since(started).Seconds(), fmt.Sprintf(format, args...))
}

// skipError marks a scenario the library cannot do.
type skipError struct{ reason string }

func (e skipError) Error() string { return e.reason }

// Skipf is a scenario's error for what the library cannot do: it is reported
// as SKIP, not FAIL.
func Skipf(format string, args ...interface{}) error {
	return skipError{fmt.Sprintf(format, args...)}
}

// oneLine keeps a reason on its result line: run.py reads line by line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// Scenario is one scenario's test; it should give up by deadline.
type Scenario func(deadline time.Time) error

// Scenarios are a program's implementations of the matrix's scenarios.
type Scenarios struct {
	ProduceAutoTopic Scenario
	CreateTopic      Scenario
	ProduceKeyed     Scenario
	GroupConsume     Scenario
	CommitResume     Scenario
	Headers          Scenario
	Compression      func(codec string) Scenario
	GroupTakeover    Scenario
	ListTopics       Scenario
}

// Run runs the scenarios in the order, and under the names, that every
// program reports, then exits 0: failures are reported, not exit codes.
func (s Scenarios) Run() {
	run("produce-auto-topic", s.ProduceAutoTopic)
	run("create-topic", s.CreateTopic)
	run("produce-keyed", s.ProduceKeyed)
	run("group-consume", s.GroupConsume)
	run("commit-resume", s.CommitResume)
	run("headers", s.Headers)
	for _, codec := range []string{"gzip", "snappy", "lz4", "zstd"} {
		run("compression-"+codec, s.Compression(codec))
	}
	run("group-takeover", s.GroupTakeover)
	run("list-topics", s.ListTopics)
	Logf("done in %.1fs", time.Since(started).Seconds())
	os.Exit(0)
}

// run runs one scenario with its own deadline and prints its result line.
// A scenario stuck in its library past the deadline is abandoned, so that
// the others still run.
func run(name string, fn Scenario) {
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
	Logf("=== %s", name)
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
	Logf("--- %s done: %v", name, err)
}

// ---------------------------------------------------------------- records

// Record is a record to produce. Headers are in no library's type so that
// the records can be shared; programs convert them.
type Record struct {
	Key, Value string
	Headers    []Header
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// Keyed returns the records k<from>=v<from> up to k<to-1>=v<to-1>.
func Keyed(from, to int) []Record {
	var out []Record
	for i := from; i < to; i++ {
		out = append(out, Record{Key: fmt.Sprintf("k%d", i), Value: fmt.Sprintf("v%d", i)})
	}
	return out
}

// Compressible returns the compression scenario's 50 records, with
// repetitive values so that the codec has something to do.
func Compressible(codec string) []Record {
	var out []Record
	for i := 0; i < 50; i++ {
		out = append(out, Record{Key: fmt.Sprintf("k%d", i), Value: fmt.Sprintf("v%d-%s", i, strings.Repeat(codec, 40))})
	}
	return out
}

// KeyedPartitions checks that each key of recs went to one partition
// (parts[i] is where recs[i] went) and that they used all partitions, and
// returns where each key went.
func KeyedPartitions(recs []Record, parts []int32, partitions int) (map[string]int32, error) {
	byKey := map[string]int32{}
	used := map[int32]bool{}
	for i, r := range recs {
		if p, ok := byKey[r.Key]; ok && p != parts[i] {
			return nil, fmt.Errorf("key %s went to partitions %d and %d", r.Key, p, parts[i])
		}
		byKey[r.Key] = parts[i]
		used[parts[i]] = true
	}
	if len(used) != partitions {
		return nil, fmt.Errorf("records used %d partitions, want %d: %v", len(used), partitions, used)
	}
	return byKey, nil
}

// ---------------------------------------------------------------- consuming

// Collect calls round, which appends what arrived to got, until want
// records arrived in all and then for settleAfterCount more, or until the
// deadline.
func Collect[M any](got [][]M, want int, deadline time.Time, round func() error) error {
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
			return fmt.Errorf("received %d of %d records before the deadline", total(), want)
		}
		if err := round(); err != nil {
			return err
		}
		if settleEnd.IsZero() && total() >= want {
			settleEnd = time.Now().Add(settleAfterCount)
			if settleEnd.After(deadline) {
				settleEnd = deadline
			}
		}
	}
}

// Receive is Collect for consumers that deliver on channels, chans[i]
// into got[i]. A round takes at most one message from each channel, so that
// none waits behind another, and pauses when none was ready.
func Receive[M any](chans []chan M, got [][]M, want int, deadline time.Time) error {
	return Collect(got, want, deadline, func() error {
		progressed := false
		for i, c := range chans {
			select {
			case m := <-c:
				got[i] = append(got[i], m)
				progressed = true
			default:
			}
		}
		if !progressed {
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	})
}

// ---------------------------------------------------------------- checks

// Received is a consumed message as the checks see it, whatever the
// library's type; programs pass a view function that makes one.
type Received struct {
	Key, Value []byte
	Partition  int32
	At         string // where it was read, for error messages
}

// CheckExactly checks that msgs hold exactly the records in want, each
// once, with matching values.
func CheckExactly[M any](msgs []M, view func(M) Received, want []Record) error {
	wantVal := map[string]string{}
	for _, r := range want {
		wantVal[r.Key] = r.Value
	}
	seen := map[string]bool{}
	for _, msg := range msgs {
		m := view(msg)
		k := string(m.Key)
		v, ok := wantVal[k]
		if !ok {
			return fmt.Errorf("unexpected record key=%q at %s", k, m.At)
		}
		if seen[k] {
			return fmt.Errorf("record %q received twice (second at %s)", k, m.At)
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

// CheckInOrder checks that msgs are the records in want, in order (as read
// from one partition).
func CheckInOrder[M any](msgs []M, view func(M) Received, want []Record) error {
	if len(msgs) != len(want) {
		return fmt.Errorf("received %d records, want %d", len(msgs), len(want))
	}
	for i, msg := range msgs {
		m := view(msg)
		if string(m.Key) != want[i].Key || string(m.Value) != want[i].Value {
			return fmt.Errorf("record #%d is %q=%q, want %q=%q", i, m.Key, m.Value, want[i].Key, want[i].Value)
		}
	}
	return nil
}

// CheckPartitions checks that records were read from the partition byKey
// holds for their key, which the producer's ack (named so in the error)
// reported.
func CheckPartitions[M any](msgs []M, view func(M) Received, byKey map[string]int32, ack string) error {
	for _, msg := range msgs {
		m := view(msg)
		if p, ok := byKey[string(m.Key)]; ok && p != m.Partition {
			return fmt.Errorf("record %s read from partition %d, its %s said %d", m.Key, m.Partition, ack, p)
		}
	}
	return nil
}

// Eventually calls check until it returns nil or the deadline passes, and
// returns its last error. After CreateTopics, the broker a client asks next
// may not know the topic yet (Kafka's brokers learn it from the controller a
// moment later; klamm's share one state): the checks of a new topic's
// metadata go through this.
func Eventually(deadline time.Time, check func() error) error {
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// CheckListed is list-topics' check: a listing of every topic (what names
// holds, as what listed it) must hold those the earlier scenarios made under
// prefix (every program makes <prefix>-auto and -gzip).
func CheckListed(names []string, prefix, what string) error {
	listed := map[string]bool{}
	for _, n := range names {
		listed[n] = true
	}
	for _, want := range []string{prefix + "-auto", prefix + "-gzip"} {
		if !listed[want] {
			return fmt.Errorf("%s lists %d topics, not %s", what, len(names), want)
		}
	}
	return nil
}

// Balanced tells whether two group members hold half of partitions each,
// together all of them.
func Balanced(a, b []int32, partitions int) bool {
	if len(a) != partitions/2 || len(b) != partitions/2 {
		return false
	}
	seen := map[int32]bool{}
	for _, held := range [][]int32{a, b} {
		for _, p := range held {
			seen[p] = true
		}
	}
	return len(seen) == partitions
}
