package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/sink"
	"github.com/vigil-project/vigil/internal/source"
	"github.com/vigil-project/vigil/internal/state"
)

// recorder is a sink that keeps what it was given and can be told to fail.
type recorder struct {
	mu     sync.Mutex
	alerts []sink.Alert
	fail   error
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Close() error { return nil }
func (r *recorder) Write(_ context.Context, as []sink.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.alerts = append(r.alerts, as...)
	return nil
}

func openStore(t *testing.T) *state.Store {
	t.Helper()
	st, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func sampleLines(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open("../../testdata/sample/azure-activity.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	return lines
}

var fixedNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func builtinDetector(t *testing.T, st *state.Store, s sink.Sink) *Detector {
	t.Helper()
	plan := event.NewPlan()
	rules, problems, err := ruleset.Load(nil, plan, func() time.Time { return fixedNow })
	if err != nil || len(problems.Errors) > 0 {
		t.Fatalf("load built-in rules: %v %v", err, problems.Lines())
	}
	d := NewDetector(DetectorOptions{Store: st, Sink: s, Now: func() time.Time { return fixedNow }})
	d.SetRules(rules, plan)
	return d
}

func batchOf(lines [][]byte, ack func(error)) source.Batch {
	var b source.Batch
	for i, l := range lines {
		b.Records = append(b.Records, source.Record{Data: l, Origin: "test line " + string(rune('1'+i))})
	}
	b.Ack = ack
	return b
}

func TestDetectorRawAzureEndToEnd(t *testing.T) {
	st := openStore(t)
	rec := &recorder{}
	d := builtinDetector(t, st, rec)
	var acks []error
	ack := func(err error) { acks = append(acks, err) }
	lines := sampleLines(t)
	if err := d.Process(context.Background(), "test", batchOf(lines, ack)); err != nil {
		t.Fatal(err)
	}
	if len(acks) != 1 || acks[0] != nil {
		t.Fatalf("acks %v, want one nil", acks)
	}
	seed := 0
	for _, a := range rec.alerts {
		if a.RuleID == "60884af6-f553-4a6c-af13-300047455491" {
			seed++
			var doc map[string]any
			if err := json.Unmarshal(a.Doc, &doc); err != nil {
				t.Fatal(err)
			}
			ev, _ := doc["event"].(map[string]any)
			if ev["ingested"] == nil {
				t.Errorf("alert lacks event.ingested (arrival time): %v", ev)
			}
		}
	}
	if seed != 2 {
		t.Fatalf("seed rule alerts: %d, want 2 (the sample's two successful Run Commands); all: %d", seed, len(rec.alerts))
	}
	n, _ := st.CountAlerts(context.Background())
	if n != len(rec.alerts) {
		t.Fatalf("store holds %d alerts, sink got %d", n, len(rec.alerts))
	}
	if got := d.events.Value("test"); got != 70 {
		t.Errorf("events counted %v, want 70", got)
	}

	// Redelivery of the same records: acknowledged, no new alert.
	before := len(rec.alerts)
	acks = nil
	if err := d.Process(context.Background(), "test", batchOf(lines, ack)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != before || len(acks) != 1 || acks[0] != nil {
		t.Fatalf("redelivery: %d alerts (want %d), acks %v", len(rec.alerts), before, acks)
	}
}

func TestDetectorSinkFailureIsNotAcked(t *testing.T) {
	st := openStore(t)
	rec := &recorder{fail: errors.New("webhook down")}
	d := builtinDetector(t, st, rec)
	var got error = errors.New("not acked")
	lines := sampleLines(t)
	if err := d.Process(context.Background(), "test", batchOf(lines, func(err error) { got = err })); err == nil || got == nil {
		t.Fatalf("process err %v, ack %v: want both errors", err, got)
	}
	if n, _ := st.CountAlerts(context.Background()); n != 0 {
		t.Fatalf("%d alerts stored although the sink failed", n)
	}
	rec.fail = nil
	if err := d.Process(context.Background(), "test", batchOf(lines, func(err error) { got = err })); err != nil || got != nil {
		t.Fatalf("retry: %v %v", err, got)
	}
	if len(rec.alerts) == 0 {
		t.Fatal("no alert delivered after the sink recovered")
	}
}

func TestDetectorBadRecordsCountedNotFatal(t *testing.T) {
	st := openStore(t)
	d := builtinDetector(t, st, nil)
	var acked bool
	b := batchOf([][]byte{[]byte(`{"a":`), []byte(`[1]`), []byte(`{"records":[1]}`), []byte(`{"@timestamp":"2026-03-14T11:59:00Z","event":{"action":"x"}}`)}, func(err error) { acked = err == nil })
	if err := d.Process(context.Background(), "in", b); err != nil || !acked {
		t.Fatalf("err %v acked %v", err, acked)
	}
	if d.bad.Value("in") != 3 || d.events.Value("in") != 1 {
		t.Fatalf("bad %v events %v, want 3 and 1", d.bad.Value("in"), d.events.Value("in"))
	}
}

func TestWithIngested(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	const want = "2026-01-02T03:04:05.000000006Z"
	for _, in := range []string{
		`{"a":1}`,
		`{}`,
		`{"event":{}}`,
		`{"event":{"action":"x"},"b":"{\"event\":1}"}`,
		`{ "x": {"event": 1}, "event" : { "kind":"event" } }`,
		`{"event":"weird"}`,
	} {
		out := withIngested([]byte(in), ts)
		ev := event.New(out, nil)
		if err := ev.Err(); err != nil {
			t.Errorf("%s -> %s: %v", in, out, err)
			continue
		}
		vals := ev.Get("event.ingested")
		if len(vals) != 1 || vals[0].Str != want {
			t.Errorf("%s -> %s: event.ingested %v", in, out, vals)
		}
		if strings.Count(string(out), want) != 1 {
			t.Errorf("%s -> %s", in, out)
		}
	}
}

// TestDetectorUsesTheSendersID: a _bulk _id identifies the event in alert
// ids, as Elasticsearch's _id does in Kibana's: the same document sent with
// two ids is two events; sent again with one id, one event.
func TestDetectorUsesTheSendersID(t *testing.T) {
	st := openStore(t)
	rec := &recorder{}
	d := builtinDetector(t, st, rec)
	doc := []byte(`{"@timestamp":"2026-03-14T11:59:00Z","event":{"dataset":"azure.activitylogs","outcome":"success"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"}}}`)
	b := source.Batch{Records: []source.Record{{Data: doc, ID: "a"}, {Data: doc, ID: "b"}, {Data: doc, ID: "a"}}}
	if err := d.Process(context.Background(), "bulk", b); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 2 {
		t.Fatalf("%d alerts, want 2 (ids a and b)", len(rec.alerts))
	}
}
