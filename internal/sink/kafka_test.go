package sink

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func newKafkaCluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(3, "alerts")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// consumeAll reads the topic until it has n records or the deadline.
func consumeAll(t *testing.T, brokers []string, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records before the deadline", len(out), n)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	return out
}

func TestKafkaProducesOneRecordPerAlert(t *testing.T) {
	c := newKafkaCluster(t)
	s, err := NewKafka(KafkaOptions{Brokers: c.ListenAddrs(), Topic: "alerts"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	batch := testAlerts(6, 0)
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	recs := consumeAll(t, c.ListenAddrs(), "alerts", len(batch))
	got := map[string]Alert{}
	for _, r := range recs {
		headers := map[string]string{}
		for _, h := range r.Headers {
			headers[h.Key] = string(h.Value)
		}
		if _, dup := got[string(r.Key)]; dup {
			t.Errorf("alert %s produced twice", r.Key)
		}
		got[string(r.Key)] = Alert{ID: string(r.Key), RuleID: headers["rule_id"], Severity: headers["severity"], Doc: json.RawMessage(r.Value)}
	}
	for _, a := range batch {
		g, ok := got[a.ID]
		if !ok {
			t.Errorf("alert %s missing from the topic", a.ID)
			continue
		}
		if g.RuleID != "r1" || g.Severity != "high" || !jsonEqual(t, g.Doc, a.Doc) || docID(t, g.Doc) != a.ID {
			t.Errorf("record %s: headers rule_id=%q severity=%q, value %s", a.ID, g.RuleID, g.Severity, g.Doc)
		}
	}
	if len(recs) != len(batch) {
		t.Errorf("%d records, want %d", len(recs), len(batch))
	}
	if got, want := s.Stats(), (Stats{Written: 6}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestKafkaRejectsOversizedAlertAndProducesTheOthers(t *testing.T) {
	c := newKafkaCluster(t)
	s, err := NewKafka(KafkaOptions{Brokers: c.ListenAddrs(), Topic: "alerts", MaxMessageBytes: 2000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	batch := testAlerts(3, 0)
	batch[1].Doc = json.RawMessage(`{"kibana.alert.uuid":"a0001","pad":"` + strings.Repeat("x", 4000) + `"}`)
	err = Retry(s, RetryOptions{Sleep: noSleep}).Write(context.Background(), batch)
	if !IsPermanent(err) || !strings.Contains(err.Error(), "alert a0001") || !strings.Contains(err.Error(), "MESSAGE_TOO_LARGE") {
		t.Fatalf("err = %v, want a0001 rejected as too large", err)
	}
	var keys []string
	for _, r := range consumeAll(t, c.ListenAddrs(), "alerts", 2) {
		keys = append(keys, string(r.Key))
	}
	if !cmp.Equal(slices.Sorted(slices.Values(keys)), []string{"a0000", "a0002"}) {
		t.Errorf("topic holds %v", keys)
	}
}

func TestKafkaBrokerDownIsTransientAndRecovers(t *testing.T) {
	// Reserve a port, and start the broker on it only after a failed Write.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	brokers := []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	s, err := NewKafka(KafkaOptions{Brokers: brokers, Topic: "alerts", Timeout: time.Second,
		ClientOptions: []kgo.Opt{kgo.MetadataMinAge(100 * time.Millisecond), kgo.RetryBackoffFn(func(int) time.Duration { return 50 * time.Millisecond })}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	batch := testAlerts(2, 0)
	err = s.Write(context.Background(), batch)
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a transient failure", err)
	}

	newKafkaCluster(t, kfake.Ports(port))
	r := Retry(s, RetryOptions{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	recs := consumeAll(t, brokers, "alerts", 2)
	if len(recs) != 2 {
		t.Errorf("%d records, want 2", len(recs))
	}
}

func TestKafkaOptions(t *testing.T) {
	for _, opts := range []KafkaOptions{{}, {Brokers: []string{"127.0.0.1:9092"}}, {Topic: "alerts"}} {
		if _, err := NewKafka(opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
	if !kafkaTransient(context.DeadlineExceeded) || kafkaTransient(kgo.ErrClientClosed) || !kafkaTransient(errors.New("dial tcp: refused")) {
		t.Error("kafkaTransient misclassifies")
	}
}
