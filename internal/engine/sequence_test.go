package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sequence"
)

// seqRule compiles an eql sequence rule for the engine.
func seqRule(t *testing.T, query string) (*Rule, *event.Plan) {
	t.Helper()
	st, err := eql.Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	plan := event.NewPlan()
	q, err := sequence.Compile(st, sequence.Options{Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	return &Rule{ID: "seq", Sequence: q, Match: q.Relevant, Alert: alert.Rule{UUID: "seq", Name: "Seq", Type: "eql", Severity: "low"},
		Window: Window{Interval: 5 * time.Minute, MaxSignals: 100}}, plan
}

// seqMatch is a match of r on the event raw, as the Evaluator makes it.
func seqMatch(t *testing.T, r *Rule, plan *event.Plan, id, raw string) Match {
	t.Helper()
	ev := event.New([]byte(raw), plan)
	ns, tb, ok := r.Sequence.Order(ev)
	if !ok {
		t.Fatalf("%s: no time", raw)
	}
	return Match{Rule: r, Time: time.Unix(0, ns).UTC(), HasTime: true, EventID: id, Raw: []byte(raw),
		Order: SequenceOrder{Time: ns, Tiebreaker: tb, OK: ok}}
}

// runSeq holds ms and runs r's execution at at, in one Session over a
// new MemoryStore.
func runSeq(t *testing.T, x *Session, r *Rule, at time.Time, ms []Match) []Alert {
	t.Helper()
	ctx := context.Background()
	if _, err := x.Add(ctx, r, at, ms); err != nil {
		t.Fatal(err)
	}
	if err := x.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	alerts, err := x.Run(ctx, r, at)
	if err != nil {
		t.Fatal(err)
	}
	return alerts
}

// TestSequenceExecutor: the executor, given one execution's matches in
// any order, finds the sequences and returns for each its building
// blocks and shell; max_signals counts sequences.
func TestSequenceExecutor(t *testing.T) {
	r, plan := seqRule(t, `sequence by host.id with maxspan=1m [process where true] [network where true]`)
	ev := func(id, ts, cat, host string) Match {
		return seqMatch(t, r, plan, id, fmt.Sprintf(`{"@timestamp":%q,"event":{"category":%q},"host":{"id":%q}}`, ts, cat, host))
	}
	ms := []Match{ // input order is not time order
		ev("n1", "2026-03-14T09:00:10Z", "network", "a"),
		ev("p1", "2026-03-14T09:00:00Z", "process", "a"),
		ev("n2", "2026-03-14T09:03:00Z", "network", "b"), // past maxspan
		ev("p2", "2026-03-14T09:00:00Z", "process", "b"),
		ev("n3", "2026-03-14T09:00:30Z", "network", "c"),
		ev("p3", "2026-03-14T09:00:20Z", "process", "c"),
	}
	at := time.Date(2026, 3, 14, 9, 5, 0, 0, time.UTC)
	x := &Session{Store: NewMemoryStore(), Budget: &Budget{}}
	alerts := runSeq(t, x, r, at, ms)
	if len(alerts) != 6 {
		t.Fatalf("%d alerts, want 6 (two sequences: a and c)", len(alerts))
	}
	for i, want := range []string{"p1", "n1", "", "p3", "n3", ""} {
		a := alerts[i]
		if want == "" {
			if a.Doc["kibana.alert.building_block_type"] != nil || a.Doc["kibana.alert.group.id"] != a.ID {
				t.Errorf("alert %d: not a shell: %v", i, a.Doc["kibana.alert.building_block_type"])
			}
			continue
		}
		anc := a.Doc["kibana.alert.ancestors"].([]any)[0].(map[string]any)
		if anc["id"] != want || a.Doc["kibana.alert.building_block_type"] != "default" {
			t.Errorf("alert %d: ancestor %v, want building block of %s", i, anc["id"], want)
		}
		if a.Exec != at {
			t.Errorf("alert %d: execution %v, want %v", i, a.Exec, at)
		}
	}

	// max_signals 1: the first sequence only.
	r.Window.MaxSignals = 1
	x = &Session{Store: NewMemoryStore(), Budget: &Budget{}}
	var dropped int
	x.Drop = func(_ *Rule, _ time.Time, reason string) {
		if reason == DropMaxSignals {
			dropped++
		}
	}
	alerts = runSeq(t, x, r, at, ms)
	if len(alerts) != 3 || dropped != 0 {
		t.Errorf("max_signals 1: %d alerts, %d dropped; want 3 (one sequence: the search's size) and 0", len(alerts), dropped)
	}
}

// TestHuntSequenceSpill: past HuntOptions.SequenceMemory the events
// sequence and sample rules hold are sorted through run files on disk; the
// alerts are those of the hunt that held everything in memory, for any
// input order, with and without --replay, and the run files are removed.
func TestHuntSequenceSpill(t *testing.T) {
	plan := event.NewPlan()
	compile := func(id, query, tiebreaker string) *Rule {
		st, err := eql.Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		q, err := sequence.Compile(st, sequence.Options{Plan: plan, TiebreakerField: tiebreaker})
		if err != nil {
			t.Fatal(err)
		}
		return &Rule{ID: id, Sequence: q, Match: q.Relevant, Alert: alert.Rule{UUID: id, Name: id, Type: "eql", Severity: "low"},
			Window: Window{Interval: 5 * time.Minute, Lookback: 10 * time.Minute, MaxSignals: 100}}
	}
	rules := []*Rule{
		compile("seq", `sequence by host.id with maxspan=2m [process where true] [network where true] [file where true]`, ""),
		compile("seq-tb", `sequence by host.id [process where true] by user.name [network where true] by user.name`, "event.sequence"),
		compile("sample", `sample by host.id [process where true] [file where true]`, ""),
	}
	r := rand.New(rand.NewPCG(7, 8))
	cats := []string{"process", "network", "file", "dns"}
	var lines [][]byte
	base := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for i := range 600 {
		ts := base.Add(time.Duration(r.IntN(1200)) * time.Second).Format(time.RFC3339) // many ties
		lines = append(lines, fmt.Appendf(nil, `{"@timestamp":%q,"event":{"category":%q,"sequence":%d},"host":{"id":"h%d"},"user":{"name":"u%d"},"n":%d}`,
			ts, cats[r.IntN(len(cats))], r.IntN(5), r.IntN(8), r.IntN(2), i))
	}
	lines = append(lines, lines[3], lines[10]) // the same events again
	hunt := func(memory int, in [][]byte, replay bool) ([]string, string) {
		eng := New(Options{Rules: rules, Plan: plan})
		tmp := t.TempDir()
		var ids []string
		h := NewHunt(HuntOptions{Engine: eng, SequenceMemory: memory, SequenceTempDir: tmp, Replay: replay, Emit: func(a Alert) error {
			ids = append(ids, a.Rule.ID+" "+a.ID)
			return nil
		}})
		for _, l := range in {
			if err := h.Event(event.New(l, eng.Plan())); err != nil {
				t.Fatal(err)
			}
		}
		spilled := false
		for _, o := range h.seq.orders {
			spilled = spilled || o.sorter.Runs() > 0
		}
		stats, err := h.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if memory < 1<<20 && !spilled {
			t.Fatalf("memory %d: nothing written to disk", memory)
		}
		if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
			t.Errorf("memory %d: %d files left in the temporary directory", memory, len(ents))
		}
		var sum []string
		for _, st := range stats {
			sum = append(sum, fmt.Sprintf("%s matches %d dups %d alerts %d dropped %d", st.Rule.ID, st.Matches, st.Duplicates, st.Alerts, st.SequenceDropped))
		}
		slices.Sort(ids)
		return ids, strings.Join(sum, "; ")
	}
	for _, replay := range []bool{false, true} {
		want, wantStats := hunt(1<<30, lines, replay)
		if len(want) < 30 {
			t.Fatalf("replay %v: %d alerts: the data makes too few sequences to compare", replay, len(want))
		}
		for i := range 3 {
			in := slices.Clone(lines)
			r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
			got, gotStats := hunt(16000+i*8000, in, replay)
			if !slices.Equal(got, want) {
				t.Fatalf("replay %v, shuffle %d with a tiny memory bound: %d alerts differ from the %d held in memory", replay, i, len(got), len(want))
			}
			if gotStats != wantStats {
				t.Errorf("replay %v, shuffle %d: stats\n%s\nwant\n%s", replay, i, gotStats, wantStats)
			}
		}
	}
}

// TestHuntSample: a sample rule alerts as Kibana wraps a sample's
// hits.sequences: per join key whose steps are all filled, one building
// block per event (group index in step order) and a shell; keys missing a
// step make nothing.
func TestHuntSample(t *testing.T) {
	r, plan := seqRule(t, `sample by host.id [process where true] [network where true]`)
	eng := New(Options{Rules: []*Rule{r}, Plan: plan})
	var alerts []Alert
	h := NewHunt(HuntOptions{Engine: eng, Emit: func(a Alert) error {
		alerts = append(alerts, a)
		return nil
	}})
	for _, l := range []string{
		`{"@timestamp":"2026-03-14T09:00:05Z","event":{"category":"network"},"host":{"id":"a"},"n":1}`,
		`{"@timestamp":"2026-03-14T09:00:00Z","event":{"category":"process"},"host":{"id":"a"},"n":2}`,
		`{"@timestamp":"2026-03-14T09:00:00Z","event":{"category":"process"},"host":{"id":"b"},"n":3}`,
	} {
		if err := h.Event(event.New([]byte(l), eng.Plan())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Finish(); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 3 {
		t.Fatalf("%d alerts, want 3 (host a's sample: 2 building blocks and a shell)", len(alerts))
	}
	shell := alerts[2].ID
	for i, wantN := range []float64{2, 1} {
		a := alerts[i]
		if a.Doc["kibana.alert.building_block_type"] != "default" || a.Doc["kibana.alert.group.id"] != shell || a.Doc["kibana.alert.group.index"] != i {
			t.Errorf("alert %d: %v %v %v, want building block %d of group %s", i, a.Doc["kibana.alert.building_block_type"], a.Doc["kibana.alert.group.id"], a.Doc["kibana.alert.group.index"], i, shell)
		}
		if n, _ := alert.Lookup(a.Doc, "n"); fmt.Sprint(n) != fmt.Sprint(wantN) {
			t.Errorf("alert %d: event n=%v, want %v (the process step first)", i, n, wantN)
		}
	}
	if h, _ := alert.Lookup(alerts[2].Doc, "host.id"); h != "a" {
		t.Errorf("shell: host.id %v, want a (the events' common fields)", h)
	}
}

// TestHuntMissingEventStep: a sequence with a missing-event step alerts
// with building blocks of its present events only.
func TestHuntMissingEventStep(t *testing.T) {
	r, plan := seqRule(t, `sequence by host.id with maxspan=1m [process where true] ![file where true] [network where true]`)
	eng := New(Options{Rules: []*Rule{r}, Plan: plan})
	var alerts []Alert
	h := NewHunt(HuntOptions{Engine: eng, Emit: func(a Alert) error {
		alerts = append(alerts, a)
		return nil
	}})
	for _, l := range []string{
		`{"@timestamp":"2026-03-14T09:00:00Z","event":{"category":"process"},"host":{"id":"a"}}`,
		`{"@timestamp":"2026-03-14T09:00:05Z","event":{"category":"network"},"host":{"id":"a"}}`,
	} {
		if err := h.Event(event.New([]byte(l), eng.Plan())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Finish(); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 3 {
		t.Fatalf("%d alerts, want 3 (2 building blocks and a shell)", len(alerts))
	}
}

// TestHuntSequenceSuppression: alert suppression of a sequence rule, as
// Kibana's bulkCreateSuppressedSequencesInMemory: the shell is suppressed
// by the group_by values it holds (the fields common to the sequence's
// events); a folded shell's building blocks are not written; with
// doNotSuppress a shell lacking a group_by field is an ordinary alert.
func TestHuntSequenceSuppression(t *testing.T) {
	lines := []string{
		`{"@timestamp":"2026-03-14T09:00:00Z","event":{"category":"process"},"host":{"id":"a"},"user":{"name":"x"}}`,
		`{"@timestamp":"2026-03-14T09:00:01Z","event":{"category":"network"},"host":{"id":"a"},"user":{"name":"x"}}`,
		`{"@timestamp":"2026-03-14T09:00:02Z","event":{"category":"process"},"host":{"id":"a"},"user":{"name":"x"}}`,
		`{"@timestamp":"2026-03-14T09:00:03Z","event":{"category":"network"},"host":{"id":"a"},"user":{"name":"y"}}`,
		`{"@timestamp":"2026-03-14T09:00:04Z","event":{"category":"process"},"host":{"id":"b"},"user":{"name":"x"}}`,
		`{"@timestamp":"2026-03-14T09:00:05Z","event":{"category":"network"},"host":{"id":"b"},"user":{"name":"x"}}`,
	}
	run := func(s *Suppression) ([]Alert, *RuleStats) {
		r, plan := seqRule(t, `sequence by host.id [process where true] [network where true]`)
		r.Suppression = s
		eng := New(Options{Rules: []*Rule{r}, Plan: plan})
		var alerts []Alert
		h := NewHunt(HuntOptions{Engine: eng, Emit: func(a Alert) error {
			alerts = append(alerts, a)
			return nil
		}})
		for _, l := range lines {
			if err := h.Event(event.New([]byte(l), eng.Plan())); err != nil {
				t.Fatal(err)
			}
		}
		stats, err := h.Finish()
		if err != nil {
			t.Fatal(err)
		}
		return alerts, stats[0]
	}
	shells := func(as []Alert) map[string]Alert {
		out := map[string]Alert{}
		for _, a := range as {
			if a.Doc["kibana.alert.building_block_type"] == nil {
				h, _ := alert.Lookup(a.Doc, "host.id")
				out[fmt.Sprint(h)] = a
			}
		}
		return out
	}

	alerts, st := run(nil)
	if len(alerts) != 9 {
		t.Fatalf("without suppression: %d alerts, want 9 (3 sequences)", len(alerts))
	}

	alerts, st = run(&Suppression{GroupBy: []string{"host.id"}})
	sh := shells(alerts)
	if len(alerts) != 6 || len(sh) != 2 || st.Suppressed != 1 {
		t.Fatalf("by host.id: %d alerts, shells %v, %d suppressed; want 6 (host a's first sequence and host b's), 1 suppressed", len(alerts), len(sh), st.Suppressed)
	}
	if c := sh["a"].Doc["kibana.alert.suppression.docs_count"]; c != 1 {
		t.Errorf("host a's shell: docs_count %v, want 1", c)
	}
	if c := sh["b"].Doc["kibana.alert.suppression.docs_count"]; c != 0 {
		t.Errorf("host b's shell: docs_count %v, want 0", c)
	}
	for _, a := range alerts {
		if a.Doc["kibana.alert.building_block_type"] != nil && a.Doc["kibana.alert.suppression.docs_count"] != nil {
			t.Errorf("building block %s has suppression fields", a.ID)
		}
	}

	// user.name differs within host a's second sequence: its shell lacks
	// it. suppress (the default): a group of its own (null); doNotSuppress:
	// an ordinary alert.
	alerts, st = run(&Suppression{GroupBy: []string{"user.name"}})
	if len(alerts) != 6 || st.Suppressed != 1 {
		t.Errorf("by user.name: %d alerts, %d suppressed; want 6 (x: host a's first and b's folded; null: host a's second)", len(alerts), st.Suppressed)
	}
	alerts, st = run(&Suppression{GroupBy: []string{"user.name"}, DoNotSuppress: true})
	if len(alerts) != 6 || st.Suppressed != 1 {
		t.Errorf("by user.name, doNotSuppress: %d alerts, %d suppressed; want 6", len(alerts), st.Suppressed)
	}
	for _, a := range alerts {
		if h, _ := alert.Lookup(a.Doc, "user.name"); a.Doc["kibana.alert.building_block_type"] == nil && h == nil && a.Doc["kibana.alert.suppression.terms"] != nil {
			t.Errorf("doNotSuppress: the shell without user.name has suppression terms")
		}
	}
}

// TestHuntSequenceDuplicate: an event given twice (same _id) takes part
// once, counted as a duplicate, wherever the copy comes in the input.
func TestHuntSequenceDuplicate(t *testing.T) {
	r, plan := seqRule(t, `sequence by host.id [process where true] [network where true]`)
	p := `{"_id":"e1","@timestamp":"2026-03-14T09:00:00Z","event":{"category":"process"},"host":{"id":"a"}}`
	n := `{"_id":"e2","@timestamp":"2026-03-14T09:00:01Z","event":{"category":"network"},"host":{"id":"a"}}`
	for _, in := range [][]string{{p, n, p}, {p, p, n}, {n, p, p}} {
		eng := New(Options{Rules: []*Rule{r}, Plan: plan})
		var alerts []Alert
		h := NewHunt(HuntOptions{Engine: eng, Emit: func(a Alert) error {
			alerts = append(alerts, a)
			return nil
		}})
		for _, l := range in {
			if err := h.Event(event.New([]byte(l), eng.Plan())); err != nil {
				t.Fatal(err)
			}
		}
		stats, err := h.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if len(alerts) != 3 || stats[0].Duplicates != 1 {
			t.Errorf("%d alerts, %d duplicates; want 3 (one sequence) and 1", len(alerts), stats[0].Duplicates)
		}
	}
}

// TestHuntArenaCopies: the events sequence steps hold, copied into an
// Evaluator's Arena while the input's buffer is reused for every event (as
// hunt's pipeline reuses its blocks), give the alerts of events each read
// into a buffer of its own and copied one by one (no Arena).
func TestHuntArenaCopies(t *testing.T) {
	r, plan := seqRule(t, `sequence by host.id with maxspan=1m [process where true] [network where true]`)
	var lines []string
	base := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for i := range 3000 {
		cat := []string{"process", "network", "file"}[i%3]
		// Events of various sizes, a few larger than an arena's share.
		pad := strings.Repeat("x", (i*37)%200+(i%500/499)*(arenaSlab/8))
		lines = append(lines, fmt.Sprintf(`{"@timestamp":%q,"event":{"category":%q},"host":{"id":"h%d"},"pad":%q,"n":%d}`,
			base.Add(time.Duration(i)*time.Second).Format(time.RFC3339), cat, i%7, pad, i))
	}
	hunt := func(arena *Arena) []string {
		eng := New(Options{Rules: []*Rule{r}, Plan: plan})
		var ids []string
		h := NewHunt(HuntOptions{Engine: eng, Emit: func(a Alert) error {
			ids = append(ids, a.ID)
			return nil
		}})
		x := Evaluator{Engine: eng, Arena: arena}
		var buf []byte
		for _, l := range lines {
			if arena != nil {
				buf = append(buf[:0], l...) // one buffer, overwritten
			} else {
				buf = []byte(l)
			}
			ms, err := x.Evaluate(event.New(buf, eng.Plan()), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if err := h.Add(m); err != nil {
					t.Fatal(err)
				}
			}
			if arena != nil {
				for i := range buf {
					buf[i] = ' ' // the input's buffer refilled
				}
			}
		}
		if _, err := h.Finish(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		return ids
	}
	want := hunt(nil)
	if len(want) < 100 {
		t.Fatalf("%d alerts: too few sequences to compare", len(want))
	}
	if got := hunt(&Arena{}); !slices.Equal(got, want) {
		t.Errorf("with an arena: %d alerts, want the %d of copies one by one", len(got), len(want))
	}
}

// TestHuntSkipsEventsNoSequenceUses: at the end of a hunt the events
// whose join keys never met every step a result fills are skipped, not
// pushed (sequence.KeySet): the alerts and the rules' statistics are
// those of pushing every event, with and without --replay, for sequences
// with missing-event steps (between, trailing), until, per-step keys and
// runs, and for samples; most events are skipped.
func TestHuntSkipsEventsNoSequenceUses(t *testing.T) {
	plan := event.NewPlan()
	compile := func(id, query string) *Rule {
		st, err := eql.Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		q, err := sequence.Compile(st, sequence.Options{Plan: plan})
		if err != nil {
			t.Fatal(err)
		}
		return &Rule{ID: id, Sequence: q, Match: q.Relevant, Alert: alert.Rule{UUID: id, Name: id, Type: "eql", Severity: "low"},
			Window: Window{Interval: 5 * time.Minute, Lookback: 10 * time.Minute, MaxSignals: 100}}
	}
	rules := []*Rule{
		compile("rare-first", `sequence by host.id with maxspan=2m [file where n == 0] [process where true]`),
		compile("between", `sequence by host.id with maxspan=2m [process where n == 1] ![dns where user.name < "u2"] [network where true]`),
		compile("trailing", `sequence by host.id with maxspan=1m [file where n < 2] [network where true] ![process where user.name < "u2"]`),
		compile("until", `sequence with maxspan=3m [process where true] by user.name [network where true] by user.name with runs=2 until [dns where n == 1] by user.name`),
		compile("sample", `sample by host.id [file where n == 0] [dns where true]`),
	}
	r := rand.New(rand.NewPCG(9, 10))
	cats := []string{"process", "network", "file", "dns"}
	var lines [][]byte
	base := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for i := range 3000 {
		ts := base.Add(time.Duration(r.IntN(3600)) * time.Second).Format(time.RFC3339)
		cat := cats[r.IntN(len(cats))]
		n := r.IntN(3)
		if cat == "file" && r.IntN(20) > 0 {
			n = 2 // files that start a sequence are rare
		}
		lines = append(lines, fmt.Appendf(nil, `{"@timestamp":%q,"event":{"category":%q},"host":{"id":"h%d"},"user":{"name":"u%d"},"n":%d,"i":%d}`,
			ts, cat, r.IntN(60), r.IntN(400), n, i))
	}
	hunt := func(replay, noKeys bool, budget int) ([]string, string, int) {
		eng := New(Options{Rules: rules, Plan: plan})
		var out []string
		h := NewHunt(HuntOptions{Engine: eng, Replay: replay, Emit: func(a Alert) error {
			doc, err := MarshalAlert(a.Doc)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, a.Rule.ID+" "+a.ID+" "+string(doc))
			return nil
		}})
		h.seq.noKeys = noKeys
		if budget > 0 {
			h.seq.init(h)
			h.seq.keyBudget = budget
		}
		for _, l := range lines {
			if err := h.Event(event.New(l, eng.Plan())); err != nil {
				t.Fatal(err)
			}
		}
		stats, err := h.Finish()
		if err != nil {
			t.Fatal(err)
		}
		var sum []string
		for _, st := range stats {
			sum = append(sum, fmt.Sprintf("%s matches %d dups %d alerts %d dropped %d no time %d", st.Rule.ID, st.Matches, st.Duplicates, st.Alerts, st.SequenceDropped, st.NoTime))
		}
		return out, strings.Join(sum, "; "), h.seq.skipped
	}
	for _, replay := range []bool{false, true} {
		want, wantStats, _ := hunt(replay, true, 0)
		got, gotStats, skipped := hunt(replay, false, 0)
		// Past the key sets' budget, the largest are dropped: their
		// rules push every event, the others still skip some.
		bounded, boundedStats, skippedBounded := hunt(replay, false, 100)
		if !slices.Equal(bounded, want) || boundedStats != wantStats {
			t.Errorf("replay %v, key sets bounded: %d alerts, want %d, or stats\n%s\nwant\n%s", replay, len(bounded), len(want), boundedStats, wantStats)
		}
		if skippedBounded == 0 || skippedBounded >= skipped {
			t.Errorf("replay %v, key sets bounded: %d events skipped, want fewer than %d, some", replay, skippedBounded, skipped)
		}
		perRule := map[string]int{}
		for _, a := range want {
			perRule[strings.Fields(a)[0]]++
		}
		for _, r := range rules {
			if perRule[r.ID] == 0 {
				t.Errorf("replay %v: rule %s raised no alert: the data does not test it", replay, r.ID)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("replay %v: %d alerts with events skipped, %d with every event pushed, or in another order", replay, len(got), len(want))
		}
		if gotStats != wantStats {
			t.Errorf("replay %v: stats\n%s\nwant\n%s", replay, gotStats, wantStats)
		}
		t.Logf("replay %v: %d alerts, %d events skipped", replay, len(got), skipped)
		if skipped < 1000 {
			t.Errorf("replay %v: %d events skipped, want more than 1,000", replay, skipped)
		}
	}
}

// TestHuntHoldsNoKeylessEvent: an event a step selects but whose join key
// is null takes part in no sequence: it is counted as a match, not held.
func TestHuntHoldsNoKeylessEvent(t *testing.T) {
	r, plan := seqRule(t, `sequence by host.id with maxspan=1m [process where true] [network where true]`)
	eng := New(Options{Rules: []*Rule{r}, Plan: plan})
	var alerts []Alert
	h := NewHunt(HuntOptions{Engine: eng, Emit: func(a Alert) error {
		alerts = append(alerts, a)
		return nil
	}})
	lines := []string{
		`{"@timestamp":"2026-03-14T09:00:00Z","event":{"category":"process"},"host":{"id":"a"}}`,
		`{"@timestamp":"2026-03-14T09:00:05Z","event":{"category":"network"},"host":{"id":"a"}}`,
	}
	for i := range 50 {
		lines = append(lines, fmt.Sprintf(`{"@timestamp":"2026-03-14T09:00:%02dZ","event":{"category":%q},"host":{"name":"b"}}`, i, []string{"process", "network"}[i%2]))
	}
	for _, l := range lines {
		if err := h.Event(event.New([]byte(l), eng.Plan())); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.finishHeld(); err != nil {
		t.Fatal(err)
	}
	if n := h.seq.orders[0].sorter.Len(); n != 2 {
		t.Errorf("%d events held, want 2 (those with a host.id)", n)
	}
	stats, err := h.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 3 {
		t.Fatalf("%d alerts, want 3 (2 building blocks and a shell)", len(alerts))
	}
	if len(stats) != 1 || stats[0].Matches != 52 {
		t.Errorf("stats %+v, want 52 matches", stats)
	}
}

// TestSessionHoldsNoKeylessEvent: in a Session (serve), an event a step
// selects with a null join key is not stored, nor counted as dropped: it
// takes part in no sequence, and the sequences are found as before.
func TestSessionHoldsNoKeylessEvent(t *testing.T) {
	r, plan := seqRule(t, `sequence by host.id with maxspan=1m [process where true] [network where true]`)
	eng := New(Options{Rules: []*Rule{r}, Plan: plan})
	x := &Evaluator{Engine: eng}
	var ms []Match
	for _, l := range []string{
		`{"@timestamp":"2026-03-14T09:00:00Z","event":{"category":"process"},"host":{"id":"a"}}`,
		`{"@timestamp":"2026-03-14T09:00:01Z","event":{"category":"process"},"host":{"name":"b"}}`,
		`{"@timestamp":"2026-03-14T09:00:05Z","event":{"category":"network"},"host":{"id":"a"}}`,
	} {
		var err error
		if ms, err = x.Evaluate(event.New([]byte(l), eng.Plan()), ms); err != nil {
			t.Fatal(err)
		}
	}
	if len(ms) != 3 || !ms[1].keyless() || ms[0].keyless() {
		t.Fatalf("matches %d, keyless %v %v; want 3, the second keyless", len(ms), ms[0].keyless(), ms[1].keyless())
	}
	s := &Session{Store: NewMemoryStore(), Budget: &Budget{}}
	var drops []string
	s.Drop = func(_ *Rule, _ time.Time, reason string) { drops = append(drops, reason) }
	alerts := runSeq(t, s, r, time.Date(2026, 3, 14, 9, 5, 0, 0, time.UTC), ms)
	if len(alerts) != 3 || len(drops) != 0 {
		t.Errorf("%d alerts, drops %v; want 3 (a sequence) and none", len(alerts), drops)
	}
	held, err := s.Store.SequenceEvents(context.Background(), r.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 2 {
		t.Errorf("%d events stored, want 2 (those with a host.id)", len(held))
	}
}
