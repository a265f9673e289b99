package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/vigil-project/vigil/internal/source"
)

// (a) Every record is delivered once, in order per partition, and the group
// commits the partitions' ends.
func TestConsumeAndCommit(t *testing.T) {
	c := newCluster(t)
	produce(t, c, 0, 1000, nil)
	tr := newTracker(t)
	r := start(t, "a", testOptions(c, "g"), tr.ackAll)

	waitFor(t, 20*time.Second, "1000 records acknowledged and committed", func() bool {
		return tr.numAcked() == 1000 && allCommitted(c, "g")()
	})
	tr.mu.Lock()
	for n := range 1000 {
		if d := tr.delivered[n]; d != 1 {
			t.Errorf("record %d delivered %d times, want 1", n, d)
		}
	}
	tr.mu.Unlock()
	tr.checkOrdered(c)

	waitFor(t, 5*time.Second, "stats to show no lag", func() bool {
		s := r.in.Stats()
		return len(s.Partitions) == testPartitions && s.Lag == 0
	})
	s := r.in.Stats()
	if s.Records != 1000 || s.Acked != s.Batches || s.Failed != 0 || s.Redelivered != 0 || s.Commits == 0 || s.CommitErrors != 0 {
		t.Errorf("stats %+v: want 1000 records, every batch acked, no failure, some commits", s)
	}
	if s.Batches < 1000/testBatch {
		t.Errorf("%d batches for 1000 records of at most %d", s.Batches, testBatch)
	}
	var bytes int64
	for n := range 1000 {
		bytes += int64(len(fmt.Sprintf(`{"n":%d}`, n)))
	}
	if s.Bytes != bytes {
		t.Errorf("stats: %d bytes, want %d", s.Bytes, bytes)
	}
	for _, p := range s.Partitions {
		if p.Topic != testTopic || p.Committed != 250 || p.HighWatermark != 250 || p.Lag != 0 {
			t.Errorf("partition stats %+v: want committed = high watermark = 250", p)
		}
	}
	if err := r.wait(t); err != nil {
		t.Errorf("Run: %v, want nil after cancellation", err)
	}
}

// (b) Batches acknowledged with an error are sent again until they succeed;
// the partition's later records wait behind them, and nothing is lost.
func TestRedeliveryAfterErrors(t *testing.T) {
	c := newCluster(t)
	produce(t, c, 0, 1000, nil)
	tr := newTracker(t)
	const failures = 12
	var mu sync.Mutex
	failed := 0
	r := start(t, "b", testOptions(c, "g"), func(input string, b source.Batch) {
		ms := tr.deliver(input, b)
		mu.Lock()
		fail := failed < failures
		if fail {
			failed++
		}
		mu.Unlock()
		if fail {
			tr.ack(b, ms, errors.New("sink unavailable"))
			return
		}
		tr.ack(b, ms, nil)
	})

	waitFor(t, 20*time.Second, "1000 records acknowledged and committed", func() bool {
		return tr.numAcked() == 1000 && allCommitted(c, "g")()
	})
	// Each partition's offsets were acknowledged once each, in order:
	// nothing was skipped past a failed batch.
	tr.checkOrdered(c)
	redelivered := 0
	tr.mu.Lock()
	for n := range 1000 {
		if tr.acked[n] != 1 {
			t.Errorf("record %d acknowledged %d times, want 1", n, tr.acked[n])
		}
		redelivered += tr.delivered[n] - 1
	}
	tr.mu.Unlock()
	if redelivered == 0 {
		t.Error("no record was delivered again")
	}
	s := r.in.Stats()
	if s.Failed != failures || s.Redelivered != failures || s.Batches != s.Acked+s.Failed {
		t.Errorf("stats %+v: want %d failed and redelivered batches, batches = acked + failed", s, failures)
	}
}

// (c) A new input in the group resumes after the committed offsets: records
// acknowledged before the restart are not delivered again, the batches left
// unacknowledged are.
func TestResumeAfterRestart(t *testing.T) {
	c := newCluster(t)
	produce(t, c, 0, 1000, nil)
	tr := newTracker(t)

	// The first input acknowledges two batches per partition and holds
	// the third.
	var mu sync.Mutex
	okBatches := map[int32]int{}
	ackedEnd := map[int32]int64{}
	var held []source.Batch
	heldRecords := map[int]bool{}
	opts := testOptions(c, "g")
	opts.DrainTimeout = 300 * time.Millisecond
	first := start(t, "first", opts, func(input string, b source.Batch) {
		ms := tr.deliver(input, b)
		p := ms[0].partition
		mu.Lock()
		defer mu.Unlock()
		if okBatches[p] < 2 {
			okBatches[p]++
			ackedEnd[p] = ms[len(ms)-1].offset + 1
			tr.ack(b, ms, nil)
			return
		}
		held = append(held, b)
		for _, m := range ms {
			heldRecords[m.n] = true
		}
	})
	waitFor(t, 20*time.Second, "a batch held in each partition", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(held) == testPartitions
	})
	mu.Lock()
	wantCommitted := map[int32]int64{}
	for p, end := range ackedEnd {
		wantCommitted[p] = end
	}
	mu.Unlock()
	waitFor(t, 10*time.Second, "the acknowledged batches committed", func() bool {
		return equalOffsets(committed(c, "g"), wantCommitted)
	})
	if err := first.wait(t); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	s := first.in.Stats()
	if s.Abandoned != testPartitions {
		t.Errorf("first input abandoned %d batches, want %d (the held ones)", s.Abandoned, testPartitions)
	}
	// Acknowledging after Run returned is ignored: no commit, no panic.
	for _, b := range held {
		b.Ack(nil)
	}
	waitFor(t, 5*time.Second, "late acknowledgements counted", func() bool {
		return first.in.Stats().LateAcks == testPartitions
	})
	if got := committed(c, "g"); !equalOffsets(got, wantCommitted) {
		t.Errorf("committed %v after late acknowledgements, want %v", got, wantCommitted)
	}

	firstAcked := map[int]bool{}
	tr.mu.Lock()
	for n := range tr.acked {
		firstAcked[n] = true
	}
	tr.mu.Unlock()
	second := start(t, "second", testOptions(c, "g"), tr.ackAll)
	waitFor(t, 20*time.Second, "1000 records acknowledged and committed", func() bool {
		return tr.numAcked() == 1000 && allCommitted(c, "g")()
	})
	tr.mu.Lock()
	got := tr.by["second"]
	tr.mu.Unlock()
	for n := range firstAcked {
		if got[n] > 0 {
			t.Errorf("record %d, acknowledged before the restart, delivered again", n)
		}
	}
	for n := range heldRecords {
		if got[n] != 1 {
			t.Errorf("record %d, held unacknowledged at the restart, delivered %d times after it, want 1", n, got[n])
		}
	}
	if len(got)+len(firstAcked) != 1000 {
		t.Errorf("second input got %d records, first acknowledged %d: want 1000 together", len(got), len(firstAcked))
	}
	if err := second.wait(t); err != nil {
		t.Errorf("second Run: %v", err)
	}
}

// (d) Two inputs in one group split the partitions; a rebalance loses
// nothing and duplicates at most a batch per partition.
func TestRebalanceTwoInputs(t *testing.T) {
	c := newCluster(t)
	tr := newTracker(t)
	// Batches take a while to process, acknowledged from other
	// goroutines, so that some are in flight when partitions are revoked.
	slow := func(input string, b source.Batch) {
		ms := tr.deliver(input, b)
		go func() {
			time.Sleep(2 * time.Millisecond) // processing time, not synchronization
			tr.ack(b, ms, nil)
		}()
	}
	produce(t, c, 0, 400, nil)
	a := start(t, "a", testOptions(c, "g"), slow)
	waitFor(t, 20*time.Second, "the first input to consume", func() bool { return tr.numAcked() >= 100 })

	b := start(t, "b", testOptions(c, "g"), slow)
	produce(t, c, 400, 100, nil) // during the rebalance
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.WaitGroupInfo(ctx, "g", func(g *kfake.GroupInfo) bool {
		return g != nil && g.State == "Stable" && len(g.Members) == 2 &&
			g.Members[0].NumAssigned() == 2 && g.Members[1].NumAssigned() == 2
	}); err != nil {
		t.Fatalf("group never split 2+2: %v", err)
	}
	for i := 5; i < 10; i++ {
		produce(t, c, i*100, 100, nil)
		waitFor(t, 20*time.Second, fmt.Sprintf("%d records acknowledged", (i+1)*100), func() bool {
			return tr.numAcked() == (i+1)*100
		})
	}
	waitFor(t, 20*time.Second, "every partition committed", allCommitted(c, "g"))

	tr.mu.Lock()
	dups := 0
	for n := range 1000 {
		if tr.acked[n] == 0 {
			t.Errorf("record %d never acknowledged", n)
		}
		dups += tr.delivered[n] - 1
	}
	fromA, fromB := len(tr.by["a"]), len(tr.by["b"])
	tr.mu.Unlock()
	if fromA == 0 || fromB == 0 {
		t.Errorf("records per input: a %d, b %d; want both > 0", fromA, fromB)
	}
	if dups > testPartitions*testBatch {
		t.Errorf("%d records delivered twice, want at most a batch per partition (%d)", dups, testPartitions*testBatch)
	}
	t.Logf("a got %d records, b %d, %d duplicates", fromA, fromB, dups)
	if s := a.in.Stats(); s.Revoked < 2 || s.Abandoned != 0 || s.LateAcks != 0 {
		t.Errorf("first input stats %+v: want 2 or more partitions revoked, every batch in flight waited for", s)
	}
	if s := b.in.Stats(); s.Records == 0 || len(s.Partitions) != 2 {
		t.Errorf("second input stats %+v: want records from 2 partitions", s)
	}
}

// (e) SASL PLAIN as Event Hubs uses it: the right credentials consume, wrong
// ones stop Run with an error that says what to check.
func TestSASLPlain(t *testing.T) {
	const conn = "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=vigil;SharedAccessKey=c2VjcmV0;EntityPath=" + testTopic
	c := newCluster(t, kfake.EnableSASL(), kfake.Superuser("PLAIN", "$ConnectionString", conn))
	produce(t, c, 0, 100, nil, kgo.SASL(plain.Auth{User: "$ConnectionString", Pass: conn}.AsMechanism()))

	eh := EventHubs("", conn)
	opts := testOptions(c, "g")
	opts.SASL = eh.SASL
	opts.Topics = eh.Topics
	tr := newTracker(t)
	r := start(t, "sasl", opts, tr.ackAll)
	waitFor(t, 20*time.Second, "100 records acknowledged and committed", func() bool {
		return tr.numAcked() == 100 && allCommitted(c, "g")()
	})
	if err := r.wait(t); err != nil {
		t.Errorf("Run: %v", err)
	}

	const wrong = "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=vigil;SharedAccessKey=d3Jvbmc="
	opts.SASL.Password = wrong
	in, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := make(chan source.Batch)
	err = in.Run(ctx, out)
	switch {
	case err == nil || ctx.Err() != nil:
		t.Fatalf("Run with a wrong password: %v, want an authentication error before the deadline", err)
	case !strings.Contains(err.Error(), "check the username and password"):
		t.Errorf("Run: %v, want advice", err)
	case strings.Contains(err.Error(), "d3Jvbmc"):
		t.Errorf("the error shows the password: %v", err)
	}
	t.Logf("wrong password: %v", err)
}

// Empty messages are counted, skipped and committed.
func TestEmptyValuesSkipped(t *testing.T) {
	c := newCluster(t)
	produce(t, c, 0, 200, func(n int) []byte {
		if n%10 == 0 || n >= 180 { // the last 5 per partition too
			return nil
		}
		return fmt.Appendf(nil, `{"n":%d}`, n)
	})
	tr := newTracker(t)
	r := start(t, "empty", testOptions(c, "g"), tr.ackAll)
	waitFor(t, 20*time.Second, "every partition committed", allCommitted(c, "g"))
	s := r.in.Stats()
	if s.Empty != 20+18 || s.Records != 200-38 {
		t.Errorf("stats: %d empty, %d records; want 38 and 162", s.Empty, s.Records)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for n := range 200 {
		want := 1
		if n%10 == 0 || n >= 180 {
			want = 0
		}
		if tr.acked[n] != want {
			t.Errorf("record %d acknowledged %d times, want %d", n, tr.acked[n], want)
		}
	}
}

// Run leaves once ctx is cancelled even if a batch is never acknowledged,
// after DrainTimeout, and a restart delivers the batch again.
func TestStopWithUnacknowledgedBatch(t *testing.T) {
	c := newCluster(t)
	produce(t, c, 0, 4, nil)
	opts := testOptions(c, "g")
	opts.DrainTimeout = 200 * time.Millisecond
	got := make(chan source.Batch, testPartitions)
	r := start(t, "stuck", opts, func(_ string, b source.Batch) { got <- b })
	for range testPartitions {
		select {
		case <-got:
		case <-time.After(20 * time.Second):
			t.Fatal("no batch")
		}
	}
	begin := time.Now()
	if err := r.wait(t); err != nil {
		t.Errorf("Run: %v", err)
	}
	if d := time.Since(begin); d < opts.DrainTimeout {
		t.Errorf("Run returned after %v, before the drain timeout %v", d, opts.DrainTimeout)
	}
	if n := len(committed(c, "g")); n != 0 {
		t.Errorf("%d partitions committed, want none", n)
	}
}

// A revoked partition whose batch is not acknowledged within DrainTimeout is
// handed over uncommitted: the next owner reads the batch again, and only
// that batch is delivered twice.
func TestRebalanceGivesUpUnacknowledgedBatch(t *testing.T) {
	c := newCluster(t)
	tr := newTracker(t)
	produce(t, c, 0, 40, nil) // 10 per partition: one batch each

	// a holds every batch it gets.
	var mu sync.Mutex
	var heldByA []msg
	opts := testOptions(c, "g")
	opts.DrainTimeout = 300 * time.Millisecond
	a := start(t, "a", opts, func(input string, b source.Batch) {
		ms := tr.deliver(input, b)
		mu.Lock()
		heldByA = append(heldByA, ms...)
		mu.Unlock()
	})
	waitFor(t, 20*time.Second, "a batch held in each partition", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(heldByA) == 40
	})

	b := start(t, "b", testOptions(c, "g"), tr.ackAll)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.WaitGroupInfo(ctx, "g", func(g *kfake.GroupInfo) bool {
		return g != nil && g.State == "Stable" && len(g.Members) == 2 &&
			g.Members[0].NumAssigned() == 2 && g.Members[1].NumAssigned() == 2
	}); err != nil {
		t.Fatalf("group never split 2+2: %v", err)
	}
	waitFor(t, 20*time.Second, "b to read its partitions", func() bool { return tr.numAcked() == 20 })

	// b's two partitions are committed to their end, a's not at all.
	ends := endOffsets(c)
	waitFor(t, 10*time.Second, "b's partitions committed", func() bool {
		got := committed(c, "g")
		if len(got) != 2 {
			return false
		}
		for p, off := range got {
			if off != ends[p] {
				return false
			}
		}
		return true
	})
	if s := a.in.Stats(); s.Abandoned != 2 || s.Revoked != 2 {
		t.Errorf("a's stats %+v: want 2 revoked partitions with their batch given up", s)
	}
	tr.mu.Lock()
	dups := 0
	for n, d := range tr.delivered {
		if d > 1 {
			dups++
			if tr.by["a"][n] != 1 || tr.by["b"][n] != 1 {
				t.Errorf("record %d delivered %d times to a and %d to b, want once each", n, tr.by["a"][n], tr.by["b"][n])
			}
		}
	}
	tr.mu.Unlock()
	if dups != 20 {
		t.Errorf("%d records delivered twice, want the 20 of the 2 batches given up", dups)
	}
	if err := b.wait(t); err != nil {
		t.Errorf("b: %v", err)
	}
	if err := a.wait(t); err != nil {
		t.Errorf("a: %v", err)
	}
}

// Failed commits are retried; records are not delivered again for it.
func TestCommitErrorsRetried(t *testing.T) {
	c := newCluster(t)
	produce(t, c, 0, 200, nil)
	f := kfake.Fault{Group: "g", Err: kerr.InvalidCommitOffsetSize, Count: 3}
	const offsetCommit = 8 // the request's key
	f.Keys = append(f.Keys, offsetCommit)
	h := c.Fault(f)
	tr := newTracker(t)
	r := start(t, "commits", testOptions(c, "g"), tr.ackAll)
	waitFor(t, 20*time.Second, "200 records acknowledged and committed", func() bool {
		return tr.numAcked() == 200 && allCommitted(c, "g")()
	})
	if n := h.Hits(); n != 3 {
		t.Errorf("%d commits failed, want 3", n)
	}
	s := r.in.Stats()
	if s.CommitErrors != 3 || s.Commits == 0 || s.Redelivered != 0 {
		t.Errorf("stats %+v: want 3 commit errors, then commits, no redelivery", s)
	}
	tr.checkOrdered(c)
}

// StartOffset "latest" skips what a new group's partitions held before.
func TestStartLatest(t *testing.T) {
	c := newCluster(t)
	produce(t, c, 0, 100, nil)
	opts := testOptions(c, "g")
	opts.StartOffset = "latest"
	tr := newTracker(t)
	start(t, "latest", opts, tr.ackAll)
	// Until the input has found the partitions' ends, records produced
	// may be skipped too: produce until one arrives.
	deadline := time.Now().Add(20 * time.Second)
	for n := 100; tr.numAcked() == 0; n += testPartitions {
		if time.Now().After(deadline) {
			t.Fatal("no record consumed")
		}
		produce(t, c, n, testPartitions, nil)
		for wait := time.Now().Add(200 * time.Millisecond); tr.numAcked() == 0 && time.Now().Before(wait); {
			time.Sleep(5 * time.Millisecond)
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for n := range tr.delivered {
		if n < 100 {
			t.Errorf("record %d, produced before the group started at the latest offsets, delivered", n)
		}
	}
}

// When the member is evicted, its partitions are lost: batches in flight
// are dropped uncommitted (their late acknowledgements ignored) and read
// again after the member rejoins.
func TestLostPartitions(t *testing.T) {
	c := newCluster(t)
	produce(t, c, 0, 40, nil) // one batch per partition
	tr := newTracker(t)
	var mu sync.Mutex
	var held []source.Batch
	var heldMsgs [][]msg
	holding := true
	r := start(t, "lost", testOptions(c, "g"), func(input string, b source.Batch) {
		ms := tr.deliver(input, b)
		mu.Lock()
		defer mu.Unlock()
		if holding {
			held = append(held, b)
			heldMsgs = append(heldMsgs, ms)
			return
		}
		tr.ack(b, ms, nil)
	})
	waitFor(t, 20*time.Second, "a batch held in each partition", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(held) == testPartitions
	})
	f := kfake.Fault{Group: "g", Err: kerr.UnknownMemberID}
	const heartbeat = 12 // the request's key
	f.Keys = append(f.Keys, heartbeat)
	c.Fault(f)
	waitFor(t, 20*time.Second, "the partitions lost", func() bool { return r.in.Stats().Lost == testPartitions })
	mu.Lock()
	holding = false
	for i, b := range held {
		tr.ack(b, heldMsgs[i], nil) // too late: ignored
	}
	mu.Unlock()
	waitFor(t, 20*time.Second, "the records delivered again and committed", func() bool {
		tr.mu.Lock()
		again := 0
		for _, d := range tr.delivered {
			if d == 2 {
				again++
			}
		}
		tr.mu.Unlock()
		return again == 40 && allCommitted(c, "g")()
	})
	if s := r.in.Stats(); s.LateAcks != testPartitions || s.Abandoned != testPartitions {
		t.Errorf("stats %+v: want the %d held batches abandoned and their acknowledgements late", s, testPartitions)
	}
}
