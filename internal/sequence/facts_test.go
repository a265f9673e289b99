package sequence

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// TestDecodeKeyInvertsEncodeKey: a key state's values are read back from
// the key the facts carry.
func TestDecodeKeyInvertsEncodeKey(t *testing.T) {
	for _, vals := range [][]any{
		nil,
		{nil},
		{"a"},
		{"", "x:y;z", "s3:abc"},
		{int64(0), int64(-42), int64(1) << 61},
		{1.5, -0.25, 1e300, 3.0},
		{true, false, nil, "ü", int64(7)},
	} {
		key := encodeKey(vals)
		got := decodeKey(key)
		if diff := cmp.Diff(vals, got); diff != "" {
			t.Errorf("decodeKey(%q) -(want) +(got):\n%s", key, diff)
		}
	}
	for _, bad := range []string{"q", "i12", "s5:ab", "s-1:", "fx;"} {
		if got := decodeKey(bad); got != nil {
			t.Errorf("decodeKey(%q) = %v, want nil", bad, got)
		}
	}
}

// TestPushFactsIsPush: an event's facts read where it is evaluated give
// the matcher what Push reads of it.
func TestPushFactsIsPush(t *testing.T) {
	q := compileTest(t, `sequence by k with maxspan=10ms [a where n == 1] by k2 ![b where true] by k2 [c where n != 2] by k2 until [a where n == 2] by k2`)
	events := []string{
		ev("a", 1, "1", "n", "1", "k", "x", "k2", "p"),
		ev("c", 2, "2", "n", "1", "k", "x", "k2", "p"),
		ev("a", 3, "3", "n", "1", "k", "y", "k2", "p"),
		ev("b", 4, "4", "k", "y", "k2", "p"),
		ev("c", 5, "5", "n", "0", "k", "y", "k2", "p"),
		ev("a", 6, "6", "n", "1", "k", "x", "k2", "q"),
		ev("a", 7, "7", "n", "2", "k", "x", "k2", "q"),
		ev("c", 8, "8", "n", "0", "k", "x", "k2", "q"),
	}
	evs := make([]*event.Event, len(events))
	for i, e := range events {
		evs[i] = event.New([]byte(e), q.Plan())
	}
	want, _ := runFiltered(t, q, evs, false)
	got, _ := runFiltered(t, q, evs, true)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("-(Push) +(PushFacts):\n%s", diff)
	}
	if len(want) != 1 {
		t.Errorf("results %v, want one (x p: 1, 2)", want)
	}
}

// TestKeySetKeepsResults: leaving out the events a KeySet finds useless
// (Skip instead of PushFacts) gives the results of pushing every event, in
// the same order once sorted (SortResults), for sequences of every shape (missing-event steps
// leading, between and trailing, until, runs, per-step keys, optional
// keys, no keys) over streams long enough for the matcher's collections
// (every 4,096 events) to run; and it does leave events out.
func TestKeySetKeepsResults(t *testing.T) {
	queries := []string{
		`sequence by k [a where n == 1] [b where true]`,
		`sequence by k with maxspan=20ms [a where n == 1] [b where n != 2] [c where true]`,
		`sequence by k with maxspan=15ms [a where n == 1] ![b where true] [c where true]`,
		`sequence by k with maxspan=15ms [a where n == 1] [c where true] ![b where true]`,
		`sequence by k with maxspan=15ms ![b where true] [a where n == 1] [c where true]`,
		`sequence by k with maxspan=15ms ![b where n == 0] [a where true] [c where true] ![b where n == 2]`,
		`sequence by k with maxspan=30ms [a where true] [b where true] with runs=2 until [c where n == 2]`,
		`sequence with maxspan=10ms [a where n == 1] by k [b where true] by k2`,
		`sequence by ?k [a where true] [b where n == 1]`,
		`sequence with maxspan=5ms [a where n == 1] [b where n == 1]`,
		`sequence by k, k2 with maxspan=40ms [a where true] [b where true] [c where n == 0]`,
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	skippedAll := 0
	for _, query := range queries {
		q := compileTest(t, query)
		for _, pool := range []int{3, 60, 6000} {
			evs := randomEvents(rnd, q, 5000, pool)
			want, _ := runFiltered(t, q, evs, false)
			got, skipped := runFiltered(t, q, evs, true)
			skippedAll += skipped
			if !slices.Equal(want, got) {
				d := cmp.Diff(want, got)
				if len(d) > 3000 {
					d = d[:3000] + "..."
				}
				t.Errorf("%s, %d keys: %d results unfiltered, %d filtered; -(all) +(filtered):\n%s", query, pool, len(want), len(got), d)
			}
		}
	}
	if skippedAll == 0 {
		t.Errorf("no event was left out")
	}
}

// TestKeySetKeepsSamples is TestKeySetKeepsResults for samples.
func TestKeySetKeepsSamples(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	skippedAll := 0
	for _, query := range []string{
		`sample by k [a where n == 1] [b where true]`,
		`sample by k, k2 [a where true] [b where true] [c where n != 1]`,
		`sample by ?k [a where true] [b where n == 0]`,
	} {
		q := compileTest(t, query)
		for _, pool := range []int{3, 60, 3000} {
			evs := randomEvents(rnd, q, 5000, pool)
			want, _ := runFiltered(t, q, evs, false)
			got, skipped := runFiltered(t, q, evs, true)
			skippedAll += skipped
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s, %d keys: -(all) +(filtered):\n%s", query, pool, diff)
			}
		}
	}
	if skippedAll == 0 {
		t.Errorf("no event was left out")
	}
}

// TestKeySetBound: past MaxKeys key values a KeySet needs every event.
func TestKeySetBound(t *testing.T) {
	q := compileTest(t, `sequence by k [a where true] [b where true]`)
	ks := q.NewKeySet()
	ks.MaxKeys = 2
	var facts [][]byte
	for i, k := range []string{"x", "y", "z"} {
		e := event.New([]byte(ev("a", i, fmt.Sprint(i), "k", k)), q.Plan())
		f := q.AppendFacts(nil, e)
		facts = append(facts, f)
		if err := ks.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range facts {
		if !ks.Needed(f) {
			t.Errorf("event %d not needed past the bound", i)
		}
	}
}

// FuzzKeySet is TestKeySetKeepsResults over the fuzzer's cases (the
// sequences and events of FuzzSequence).
func FuzzKeySet(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{7, 200, 3, 1, 9, 9, 9, 2, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7})
	f.Add([]byte{3, 5, 1, 0, 2, 1, 0, 1, 2, 0, 1, 0, 2, 1, 1, 0, 0, 2, 2, 1, 0, 1, 2, 2, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		query, events := drawCase(data)
		q := compileTest(t, query)
		evs := make([]*event.Event, len(events))
		for i, e := range events {
			evs[i] = event.New([]byte(e), q.Plan())
		}
		want, _ := runFiltered(t, q, evs, false)
		got, _ := runFiltered(t, q, evs, true)
		if !slices.Equal(want, got) {
			t.Fatalf("%s\nevents:\n%s\nall      %v\nfiltered %v", query, strings.Join(events, "\n"), want, got)
		}
	})
}

func compileTest(t *testing.T, query string) *Query {
	t.Helper()
	st, err := eql.Parse(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	q, err := Compile(st, Options{Schema: testSchema})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return q
}

// randomEvents draws n events in time order: categories a, b, c, n in
// 0..2, k among pool values (sometimes missing), k2 among 3.
func randomEvents(rnd *rand.Rand, q *Query, n, pool int) []*event.Event {
	out := make([]*event.Event, 0, n)
	ms := 0
	for i := range n {
		ms += rnd.IntN(3)
		kv := []string{"n", fmt.Sprint(rnd.IntN(3)), "k2", fmt.Sprint("v", rnd.IntN(3))}
		if rnd.IntN(20) > 0 {
			kv = append(kv, "k", fmt.Sprint("k", rnd.IntN(pool)))
		}
		e := ev([]string{"a", "b", "c"}[rnd.IntN(3)], ms, fmt.Sprint(i), kv...)
		out = append(out, event.New([]byte(e), q.Plan()))
	}
	return out
}

// runFiltered runs q over evs in order: with filter, through facts read
// first, a KeySet of them all, and Skip for the events it does not need;
// else with Push. It returns the results in the order they came (Flush's
// last), each as its join keys and its events' arrival numbers, and the
// events skipped.
func runFiltered(t *testing.T, q *Query, evs []*event.Event, filter bool) ([]string, int) {
	t.Helper()
	var facts [][]byte
	var ks *KeySet
	if filter {
		ks = q.NewKeySet()
		for _, e := range evs {
			f := q.AppendFacts(nil, e)
			facts = append(facts, f)
			if err := ks.Add(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	skipped := 0
	var got []*Result
	if q.IsSample() {
		s, err := q.NewSampler()
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			switch {
			case !filter:
				s.Push(e, nil)
			case ks.Needed(facts[i]):
				if err := s.PushFacts(facts[i], nil); err != nil {
					t.Fatal(err)
				}
			default:
				s.Skip()
				skipped++
			}
		}
		return describe(s.Flush()), skipped
	}
	m, err := q.NewSequenceMatcher()
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		var rs []*Result
		var err error
		switch {
		case !filter:
			rs, err = m.Push(e, nil)
		case ks.Needed(facts[i]):
			ns, tb, _ := q.Order(e)
			rs, err = m.PushFacts(facts[i], ns, tb, nil)
		default:
			rs = m.Skip(mustTime(t, q, e))
			skipped++
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rs...)
	}
	got = append(got, m.Flush()...)
	sortResults(got)
	return describe(got), skipped
}

func mustTime(t *testing.T, q *Query, e *event.Event) int64 {
	t.Helper()
	ns, _, ok := q.Order(e)
	if !ok {
		t.Fatalf("no time: %s", e.Raw())
	}
	return ns
}

// TestAppendFactsKnown: a step whose verdict the caller knows is taken at
// its word (not evaluated), and an unknown one is evaluated.
func TestAppendFactsKnown(t *testing.T) {
	q := compileTest(t, `sequence by k [a where n == 1] [c where true]`)
	if len(q.Selectors()) != 2 {
		t.Fatalf("%d selectors, want 2", len(q.Selectors()))
	}
	e := event.New([]byte(ev("a", 1, "1", "n", "1", "k", "x")), q.Plan())
	plain := q.AppendFacts(nil, e)
	for _, tt := range []struct {
		name    string
		verdict func(int) (bool, bool)
		want    []byte
	}{
		{"nothing known", func(int) (bool, bool) { return false, false }, plain},
		{"first step known true", func(i int) (bool, bool) { return i == 0, i == 0 }, plain},
		// The caller's word, though the event is no c: the verdict is
		// not checked against the step.
		{"second step said true", func(i int) (bool, bool) { return true, i == 1 }, q.AppendFactsKnown(nil, event.New([]byte(ev("a", 1, "1", "n", "1", "k", "x", "event.category", "c")), q.Plan()), nil)},
		{"first step said false", func(i int) (bool, bool) { return false, i == 0 }, []byte{0}},
	} {
		if got := q.AppendFactsKnown(nil, e, tt.verdict); !slices.Equal(got, tt.want) {
			t.Errorf("%s: facts %v, want %v", tt.name, got, tt.want)
		}
	}
	if len(plain) < 2 || plain[0] != 1 {
		t.Errorf("the a event's facts %v: want one step", plain)
	}
}
