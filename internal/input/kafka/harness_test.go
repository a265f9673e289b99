package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vigil-project/vigil/internal/source"
)

const (
	testTopic      = "audit"
	testPartitions = 4
	testBatch      = 50
)

func newCluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.SeedTopics(testPartitions, testTopic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// produce writes messages {"n":from} .. {"n":from+count-1}, message n to
// partition n%4; value, when not nil, overrides the value of message n.
func produce(t *testing.T, c *kfake.Cluster, from, count int, value func(n int) []byte, extra ...kgo.Opt) {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, count)
	for i := range recs {
		n := from + i
		v := fmt.Appendf(nil, `{"n":%d}`, n)
		if value != nil {
			v = value(n)
		}
		recs[i] = &kgo.Record{Topic: testTopic, Partition: int32(n % testPartitions), Value: v}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("producing: %v", err)
	}
}

func testOptions(c *kfake.Cluster, group string) Options {
	return Options{
		Brokers:         c.ListenAddrs(),
		Topics:          []string{testTopic},
		Group:           group,
		Index:           "logs-test",
		MaxBatchRecords: testBatch,
		DrainTimeout:    5 * time.Second,
		RetryBackoff:    5 * time.Millisecond,
		kgoOpts: []kgo.Opt{
			kgo.HeartbeatInterval(100 * time.Millisecond),
			kgo.RebalanceTimeout(10 * time.Second),
			kgo.FetchMaxWait(200 * time.Millisecond),
		},
	}
}

// runner runs one Input; every batch it sends goes to handle, on the
// runner's reading goroutine.
type runner struct {
	name string
	in   *Input
	stop context.CancelFunc
	errc chan error
}

func start(t *testing.T, name string, opts Options, handle func(name string, b source.Batch)) *runner {
	t.Helper()
	opts.Name = name
	in, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{name: name, in: in, stop: cancel, errc: make(chan error, 1)}
	out := make(chan source.Batch)
	go func() {
		r.errc <- in.Run(ctx, out)
		close(out)
	}()
	go func() {
		for b := range out {
			handle(name, b)
		}
	}()
	t.Cleanup(func() { r.wait(t) })
	return r
}

// wait stops the input and returns Run's error.
func (r *runner) wait(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case err, ok := <-r.errc:
		if ok {
			close(r.errc)
			return err
		}
		return nil // already waited for
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: Run did not return after its context was cancelled", r.name)
		return nil
	}
}

// msg is one delivered record, decoded.
type msg struct {
	n         int
	partition int32
	offset    int64
}

func decode(t *testing.T, r source.Record) msg {
	t.Helper()
	var v struct{ N int }
	if err := json.Unmarshal(r.Data, &v); err != nil {
		t.Errorf("record %s: %v", r.Origin, err)
	}
	var m msg
	if _, err := fmt.Sscanf(r.Origin, "kafka "+testTopic+"/%d@%d", &m.partition, &m.offset); err != nil {
		t.Errorf("origin %q: %v", r.Origin, err)
	}
	if r.Index != "logs-test" {
		t.Errorf("record %s: index %q, want logs-test", r.Origin, r.Index)
	}
	m.n = v.N
	return m
}

// tracker records what every input delivered and what was acknowledged.
type tracker struct {
	t         *testing.T
	mu        sync.Mutex
	delivered map[int]int            // n -> deliveries
	acked     map[int]int            // n -> Ack(nil)
	by        map[string]map[int]int // input -> n -> deliveries
	okOffsets map[int32][]int64      // partition -> offsets acknowledged with nil, in order
}

func newTracker(t *testing.T) *tracker {
	return &tracker{t: t, delivered: map[int]int{}, acked: map[int]int{}, by: map[string]map[int]int{}, okOffsets: map[int32][]int64{}}
}

// deliver notes a batch's records as delivered to input and returns them.
func (tr *tracker) deliver(input string, b source.Batch) []msg {
	tr.t.Helper()
	if len(b.Records) == 0 || len(b.Records) > testBatch {
		tr.t.Errorf("%s: batch of %d records, want 1..%d", input, len(b.Records), testBatch)
	}
	ms := make([]msg, len(b.Records))
	for i, r := range b.Records {
		ms[i] = decode(tr.t, r)
		if ms[i].partition != ms[0].partition {
			tr.t.Errorf("%s: batch mixes partitions %d and %d", input, ms[0].partition, ms[i].partition)
		}
		if i > 0 && ms[i].offset <= ms[i-1].offset {
			tr.t.Errorf("%s: batch offsets out of order: %d after %d", input, ms[i].offset, ms[i-1].offset)
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.by[input] == nil {
		tr.by[input] = map[int]int{}
	}
	for _, m := range ms {
		tr.delivered[m.n]++
		tr.by[input][m.n]++
	}
	return ms
}

// ack acknowledges b with err and notes it.
func (tr *tracker) ack(b source.Batch, ms []msg, err error) {
	if err == nil {
		tr.mu.Lock()
		for _, m := range ms {
			tr.acked[m.n]++
			tr.okOffsets[m.partition] = append(tr.okOffsets[m.partition], m.offset)
		}
		tr.mu.Unlock()
	}
	b.Ack(err)
}

func (tr *tracker) numAcked() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.acked)
}

// ackAll is a handler that acknowledges every batch with nil.
func (tr *tracker) ackAll(input string, b source.Batch) {
	tr.ack(b, tr.deliver(input, b), nil)
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// endOffsets returns the partitions' high watermarks.
func endOffsets(c *kfake.Cluster) map[int32]int64 {
	m := map[int32]int64{}
	for p := range int32(testPartitions) {
		m[p] = c.PartitionInfo(testTopic, p).HighWatermark
	}
	return m
}

// committed returns the group's committed offsets of the test topic.
func committed(c *kfake.Cluster, group string) map[int32]int64 {
	m := map[int32]int64{}
	if gi := c.GroupInfo(group); gi != nil {
		for p, gc := range gi.Commits[testTopic] {
			m[p] = gc.Offset
		}
	}
	return m
}

func equalOffsets(a, b map[int32]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// allCommitted reports whether the group committed every partition's end.
func allCommitted(c *kfake.Cluster, group string) func() bool {
	return func() bool { return equalOffsets(committed(c, group), endOffsets(c)) }
}

// checkOrdered fails unless each partition's offsets acknowledged with nil
// are 0, 1, 2, ... up to its end offset: each once, in order, none missing.
func (tr *tracker) checkOrdered(c *kfake.Cluster) {
	tr.t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for p, end := range endOffsets(c) {
		offs := tr.okOffsets[p]
		want := make([]int64, end)
		for i := range want {
			want[i] = int64(i)
		}
		if !slices.Equal(offs, want) {
			tr.t.Errorf("partition %d: offsets acknowledged %v, want 0..%d once each in order", p, abbreviate(offs), end-1)
		}
	}
}

func abbreviate(offs []int64) string {
	if len(offs) <= 12 {
		return fmt.Sprint(offs)
	}
	return fmt.Sprintf("%v ... %v (%d)", offs[:6], offs[len(offs)-6:], len(offs))
}
