package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/vigil-project/vigil/internal/source"
)

func cluster(t *testing.T, opts ...kfake.Opt) []string {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(4, "azure")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func produce(t *testing.T, brokers []string, from, to int, extra ...kgo.Opt) {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic("azure")}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprint(i % 7)), Value: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// member consumes with an input of the group, acking through ack.
type member struct {
	in     *Input
	cancel context.CancelFunc
	done   chan error
	got    atomic.Int64
	parts  sync.Map // partitions it received records from
}

func join(t *testing.T, opts Options, seen *sync.Map, ack func() error) *member {
	t.Helper()
	if opts.Group == "" {
		opts.Group = "vigil"
	}
	opts.Topics = []string{"azure"}
	opts.Index = "logs-azure.activitylogs-default"
	opts.MaxBatch = 50
	in, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{in: in, cancel: cancel, done: make(chan error, 1)}
	out := make(chan source.Batch)
	go func() { m.done <- in.Run(ctx, out) }()
	go func() {
		for {
			select {
			case b := <-out:
				err := ack()
				if err == nil {
					for _, r := range b.Records {
						v, _ := seen.LoadOrStore(string(r.Data), new(atomic.Int32))
						v.(*atomic.Int32).Add(1)
						var topic string
						var part, off int
						fmt.Sscanf(r.Origin, "kafka %5s/%d@%d", &topic, &part, &off)
						m.parts.Store(part, true)
					}
					m.got.Add(int64(len(b.Records)))
				}
				b.Ack(err)
			case <-ctx.Done():
				return
			}
		}
	}()
	return m
}

func (m *member) stop(t *testing.T) error {
	m.cancel()
	select {
	case err := <-m.done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("input did not stop")
		return nil
	}
}

func distinct(seen *sync.Map) (n, dups int) {
	seen.Range(func(_, v any) bool {
		n++
		if v.(*atomic.Int32).Load() > 1 {
			dups++
		}
		return true
	})
	return
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestConsumeCommitRedeliverResume(t *testing.T) {
	brokers := cluster(t)
	produce(t, brokers, 0, 1000)
	var seen sync.Map
	var fails atomic.Int32
	fails.Store(3)
	m := join(t, Options{Brokers: brokers}, &seen, func() error {
		if fails.Add(-1) >= 0 {
			return errors.New("sink down")
		}
		return nil
	})
	waitFor(t, "1000 records", func() bool { n, _ := distinct(&seen); return n == 1000 })
	waitFor(t, "no lag", func() bool { return m.in.Lag() == 0 })
	if err := m.stop(t); err != nil {
		t.Fatal(err)
	}
	if _, dups := distinct(&seen); dups != 0 {
		t.Errorf("%d records acked twice", dups)
	}
	if st := m.in.Stats(); st.Commits == 0 || st.CommitErrors != 0 {
		t.Errorf("stats %+v", st)
	}
	// A new member of the group starts after the committed offsets.
	produce(t, brokers, 1000, 1100)
	m = join(t, Options{Brokers: brokers}, &seen, func() error { return nil })
	waitFor(t, "the 100 new records", func() bool { n, _ := distinct(&seen); return n == 1100 })
	m.stop(t)
	if _, dups := distinct(&seen); dups != 0 {
		t.Errorf("%d records read again after a restart", dups)
	}
}

func TestRebalanceAcrossTwoMembers(t *testing.T) {
	brokers := cluster(t)
	produce(t, brokers, 0, 400)
	var seen sync.Map
	slow := func() error { time.Sleep(5 * time.Millisecond); return nil }
	a := join(t, Options{Brokers: brokers}, &seen, slow)
	waitFor(t, "the first member to consume", func() bool { return a.got.Load() > 0 })
	b := join(t, Options{Brokers: brokers}, &seen, slow)
	for i := 400; i < 2000; i += 100 {
		produce(t, brokers, i, i+100)
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, "all 2000 records", func() bool { n, _ := distinct(&seen); return n == 2000 })
	waitFor(t, "the second member to get partitions", func() bool { return b.got.Load() > 0 })
	a.stop(t)
	b.stop(t)
	_, dups := distinct(&seen)
	if dups > 4*50 {
		t.Errorf("%d records delivered twice: more than one batch per partition", dups)
	}
	t.Logf("member a: %d records, member b: %d, duplicates %d", a.got.Load(), b.got.Load(), dups)
}

func TestSASLPlain(t *testing.T) {
	brokers := cluster(t, kfake.EnableSASL(), kfake.Superuser("PLAIN", "vigil", "s3cret"))
	produce(t, brokers, 0, 10, kgo.SASL(plain.Auth{User: "vigil", Pass: "s3cret"}.AsMechanism()))
	var seen sync.Map
	m := join(t, Options{Brokers: brokers, SASLMechanism: "PLAIN", Username: "vigil", Password: "s3cret"}, &seen, func() error { return nil })
	waitFor(t, "10 records with the right credentials", func() bool { n, _ := distinct(&seen); return n == 10 })
	m.stop(t)

	bad := join(t, Options{Brokers: brokers, Group: "other", SASLMechanism: "PLAIN", Username: "vigil", Password: "wrong"}, &sync.Map{}, func() error { return nil })
	select {
	case err := <-bad.done:
		if err == nil || !strings.Contains(err.Error(), "sasl_mechanism, username and password") {
			t.Fatalf("wrong credentials: %v", err)
		}
	case <-time.After(20 * time.Second):
		bad.stop(t)
		t.Fatal("wrong credentials: the input did not stop with an error")
	}
	if _, err := New(Options{Brokers: brokers, Topics: []string{"a"}, Group: "g", SASLMechanism: "SCRAM"}); err == nil {
		t.Error("SCRAM accepted")
	}
}
