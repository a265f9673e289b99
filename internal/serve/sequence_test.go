package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/state"
)

// seqRuleFile is an eql sequence rule run every 5 minutes over the last
// 10.
const seqRuleFile = `[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"

[rule]
author = ["Test"]
description = "curl started, then an HTTPS connection from the same host within a minute."
name = "Curl then HTTPS"
risk_score = 47
rule_id = "00000000-0000-4000-8000-000000000051"
severity = "medium"
type = "eql"
language = "eql"
interval = "5m"
from = "now-10m"
query = '''
sequence by host.id with maxspan=1m
  [process where event.type == "start" and process.name == "curl"]
  [network where destination.port == 443]
'''
`

// curlStart and https are the two steps' events on a host at hh:mm:ss.
func curlStart(host, at string) []byte {
	return fmt.Appendf(nil, `{"@timestamp":"2026-03-14T%sZ","event":{"category":"process","type":"start"},"process":{"name":"curl"},"host":{"id":%q}}`, at, host)
}

func https(host, at string) []byte {
	return fmt.Appendf(nil, `{"@timestamp":"2026-03-14T%sZ","event":{"category":"network"},"destination":{"port":443},"host":{"id":%q}}`, at, host)
}

// sequenceDetector loads seqRuleFile into a detector over st.
func sequenceDetector(t *testing.T, st *state.Store, rec *recorder, now *time.Time, opts DetectorOptions) *Detector {
	t.Helper()
	return ruleDetector(t, seqRuleFile, st, rec, now, opts)
}

// ruleDetector loads the one rule of file into a detector over st.
func ruleDetector(t *testing.T, file string, st *state.Store, rec *recorder, now *time.Time, opts DetectorOptions) *Detector {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rule.toml")
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Store, opts.Sink, opts.Now = st, rec, func() time.Time { return *now }
	d := NewDetector(opts)
	l := &RuleLoader{Paths: []string{path}, Now: opts.Now, Install: d.SetRules}
	if err := l.Load(); err != nil {
		t.Fatal(err)
	}
	if st := l.Status(); st.Runnable != 1 {
		t.Fatalf("the rule does not run in serve: %+v", st)
	}
	return d
}

// TestSequenceStreamingAcrossRestart: serve holds the events a sequence
// rule's steps select in the state database; a sequence whose events
// arrive out of order, across a restart, alerts at the rule's next
// execution (a shell and a building block per event); later executions,
// whose look-back covers it again, and a batch delivered again write no
// duplicate.
func TestSequenceStreamingAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	st, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d := sequenceDetector(t, st, rec, &now, DetectorOptions{})
	if err := d.Tick(ctx); err != nil { // schedules the first execution at 09:35
		t.Fatal(err)
	}
	// The connection arrives before the process start that precedes it.
	if err := d.Process(ctx, "in", batchOf([][]byte{https("a", "09:30:10"), curlStart("b", "09:29:00")}, nil)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d = sequenceDetector(t, st, rec, &now, DetectorOptions{})
	d.Tick(ctx) // schedules
	late := batchOf([][]byte{curlStart("a", "09:30:00")}, nil)
	if err := d.Process(ctx, "in", late); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 0 {
		t.Fatalf("%d alerts before the execution", len(rec.alerts))
	}
	now = time.Date(2026, 3, 14, 9, 35, 0, 0, time.UTC)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 3 {
		t.Fatalf("%d alerts at the execution, want 3 (host a's sequence)", len(rec.alerts))
	}
	var shell map[string]any
	json.Unmarshal(rec.alerts[2].Doc, &shell)
	if shell["kibana.alert.group.id"] != rec.alerts[2].ID || shell["host"].(map[string]any)["id"] != "a" {
		t.Fatalf("third alert is not host a's shell: %v", shell)
	}
	// The same events again, and the next execution, whose look-back
	// (09:30 - 09:40) still holds the sequence: no new alert.
	if err := d.Process(ctx, "in", late); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2026, 3, 14, 9, 40, 0, 0, time.UTC)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountAlerts(ctx); len(rec.alerts) != 3 || n != 3 {
		t.Fatalf("%d alerts delivered, %d stored; want 3 (no duplicate)", len(rec.alerts), n)
	}
	// Two executions later, past the look-back, the events are forgotten.
	now = time.Date(2026, 3, 14, 9, 50, 0, 0, time.UTC)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if held, _ := st.SequenceEvents(ctx, "00000000-0000-4000-8000-000000000051", time.Time{}); len(held) != 0 {
		t.Fatalf("%d events still held past the look-back", len(held))
	}
}

// TestSequenceEventsLimit: past DetectorOptions.SequenceEvents the events
// are dropped, counted under reason sequence_cap and logged; serve goes on.
func TestSequenceEventsLimit(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	var log bytes.Buffer
	d := sequenceDetector(t, openStore(t), rec, &now, DetectorOptions{SequenceEvents: 2,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	d.Tick(ctx)
	var lines [][]byte
	for i := range 5 {
		lines = append(lines, curlStart(fmt.Sprintf("h%d", i), "09:30:00"))
	}
	if err := d.Process(ctx, "in", batchOf(lines, nil)); err != nil {
		t.Fatal(err)
	}
	if got := d.dropped.Value("00000000-0000-4000-8000-000000000051", engine.DropSequenceCap); got != 3 {
		t.Errorf("%v events counted as dropped, want 3", got)
	}
	if !strings.Contains(log.String(), "eql sequence rule: events dropped") || !strings.Contains(log.String(), "dropped=3") {
		t.Errorf("no warning logged:\n%s", log.String())
	}
	// Once the executions expire them (past the look-back), events are
	// held again and complete their sequences.
	for _, at := range []string{"09:35", "09:40", "09:45"} {
		now, _ = time.Parse(time.RFC3339, "2026-03-14T"+at+":00Z")
		if err := d.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Process(ctx, "in", batchOf([][]byte{curlStart("h9", "09:45:00"), https("h9", "09:45:05")}, nil)); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2026, 3, 14, 9, 50, 0, 0, time.UTC)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 3 {
		t.Fatalf("%d alerts, want 3 (host h9's sequence)", len(rec.alerts))
	}
}

// BenchmarkDetectorSequence streams 2,000 events of 200 hosts (a curl
// start and an HTTPS connection each, 5 per host) in batches of 200
// through seqRuleFile over SQLite, a minute apart, with executions every 5
// minutes; "query" is the same stream through a single-event eql rule on
// the connections (one alert each), the baseline of the ratio.
func BenchmarkDetectorSequence(b *testing.B) {
	ctx := context.Background()
	var lines [][]byte
	for i := range 1000 {
		host := fmt.Sprintf("h%d", i%200)
		at := fmt.Sprintf("09:%02d:%02d", 30+i/100, i%60)
		lines = append(lines, curlStart(host, at))
		lines = append(lines, https(host, at))
	}
	for _, c := range []struct{ name, rule string }{
		{"query", strings.Replace(seqRuleFile, "sequence by host.id with maxspan=1m\n  [process where event.type == \"start\" and process.name == \"curl\"]\n  [network where destination.port == 443]", "network where destination.port == 443", 1)},
		{"sequence", seqRuleFile},
	} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, "rule.toml")
			if err := os.WriteFile(path, []byte(c.rule), 0o644); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n++
				st, err := state.Open(ctx, filepath.Join(dir, fmt.Sprintf("%d.db", n)))
				if err != nil {
					b.Fatal(err)
				}
				now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
				rec := &recorder{}
				d := NewDetector(DetectorOptions{Store: st, Sink: rec, Now: func() time.Time { return now }})
				l := &RuleLoader{Paths: []string{path}, Now: func() time.Time { return now }, Install: d.SetRules}
				if err := l.Load(); err != nil {
					b.Fatal(err)
				}
				d.Tick(ctx)
				for j := 0; j < len(lines); j += 200 {
					if err := d.Process(ctx, "in", batchOf(lines[j:j+200], nil)); err != nil {
						b.Fatal(err)
					}
					now = now.Add(time.Minute)
					if err := d.Tick(ctx); err != nil {
						b.Fatal(err)
					}
				}
				if len(rec.alerts) == 0 {
					b.Fatal("no alert: the benchmark measures nothing")
				}
				st.Close()
			}
		})
	}
}

// TestSequenceEventsOfRemovedRule: once a sequence rule is no longer
// loaded, the events held for it are forgotten (no execution of it would
// expire them).
func TestSequenceEventsOfRemovedRule(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	d := sequenceDetector(t, st, &recorder{}, &now, DetectorOptions{})
	d.Tick(ctx)
	if err := d.Process(ctx, "in", batchOf([][]byte{curlStart("a", "09:30:00")}, nil)); err != nil {
		t.Fatal(err)
	}
	const id = "00000000-0000-4000-8000-000000000051"
	if held, _ := st.SequenceEvents(ctx, id, time.Time{}); len(held) != 1 {
		t.Fatalf("%d events held, want 1", len(held))
	}
	d.Tick(ctx) // the same rules: nothing forgotten
	if held, _ := st.SequenceEvents(ctx, id, time.Time{}); len(held) != 1 {
		t.Fatalf("%d events held after a tick, want 1", len(held))
	}
	d = builtinDetector(t, st, &recorder{}) // the rule is gone
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if held, _ := st.SequenceEvents(ctx, id, time.Time{}); len(held) != 0 {
		t.Fatalf("%d events still held for a rule no longer loaded", len(held))
	}
}

// TestSampleRuleInServe: an eql sample rule runs at its executions as a
// sequence rule does; its sample is a building block per event and a
// shell, as Kibana wraps a sample's hits.sequences.
func TestSampleRuleInServe(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	file := strings.Replace(seqRuleFile, `sequence by host.id with maxspan=1m`, `sample by host.id`, 1)
	d := ruleDetector(t, file, st, rec, &now, DetectorOptions{})
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	// A sample does not care for order: the connection comes first.
	if err := d.Process(ctx, "in", batchOf([][]byte{https("a", "09:29:10"), curlStart("a", "09:30:00"), curlStart("b", "09:30:00")}, nil)); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2026, 3, 14, 9, 35, 0, 0, time.UTC)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 3 {
		t.Fatalf("%d alerts, want 3 (host a's sample: 2 building blocks and a shell)", len(rec.alerts))
	}
	var shell map[string]any
	json.Unmarshal(rec.alerts[2].Doc, &shell)
	if shell["kibana.alert.group.id"] != rec.alerts[2].ID {
		t.Fatalf("third alert is not the shell: %v", shell)
	}
}
