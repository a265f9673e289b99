package sequence

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// FuzzSequence compares the streaming matcher with a reference written the
// way Elasticsearch's sequence matcher works over one window holding every
// event: stage after stage, each stage's hits matched against lists of
// sequences per key of the previous stage (the latest before the hit is
// taken, it and older ones leave the list), until markers checked between
// a sequence's last event and the hit, and missing-event steps judged
// afterwards by searching the events as Elasticsearch's per-sequence
// queries do. Queries and events are drawn from the fuzzer's bytes.
func FuzzSequence(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{7, 200, 3, 1, 9, 9, 9, 2, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7})
	f.Add([]byte{255, 128, 64, 32, 16, 8, 4, 2, 1, 0, 1, 2, 4, 8, 16, 32, 64, 128, 255})
	f.Add([]byte{3, 5, 1, 0, 2, 1, 0, 1, 2, 0, 1, 0, 2, 1, 1, 0, 0, 2, 2, 1, 0, 1, 2, 2, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		query, events := drawCase(data)
		st, err := eql.Parse(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		q, err := Compile(st, Options{Schema: testSchema})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		m, _ := q.NewSequenceMatcher()
		var got []*Result
		evs := make([]*event.Event, len(events))
		for i, e := range events {
			evs[i] = event.New([]byte(e), q.Plan())
			rs, err := m.Push(evs[i], nil)
			if err != nil {
				t.Fatalf("%s: %v", e, err)
			}
			got = append(got, rs...)
		}
		got = append(got, m.Flush()...)
		sortResults(got)
		want := reference(q, evs)
		g, w := describe(got), describe(want)
		if !slices.Equal(g, w) {
			t.Fatalf("%s\nevents:\n%s\ngot  %v\nwant %v", query, strings.Join(events, "\n"), g, w)
		}
	})
}

// drawCase builds a sequence query and a short stream of events from data.
func drawCase(data []byte) (string, []string) {
	i := 0
	next := func(n int) int {
		if i >= len(data) {
			return 0
		}
		v := int(data[i]) % n
		i++
		return v
	}
	cats := []string{"a", "b", "c"}
	var b strings.Builder
	b.WriteString("sequence")
	seqBy := next(2) == 1
	if seqBy {
		b.WriteString(" by k")
	}
	if ms := []int{0, 0, 2, 5}[next(4)]; ms > 0 {
		fmt.Fprintf(&b, " with maxspan=%dms", ms)
	}
	steps := 2 + next(3)
	positive := 0
	stepBy := next(3) == 0 // per-step by (on k2) on every step, or none
	for s := 0; s < steps; s++ {
		missing := next(4) == 0
		if s == steps-1 && positive == 0 {
			missing = false
		}
		if !missing {
			positive++
		}
		if missing {
			b.WriteString(" !")
		} else {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "[%s where %s]", cats[next(3)], []string{"true", "n == 1", "n != 1"}[next(3)])
		if stepBy {
			b.WriteString(" by k2")
		}
		if !missing && next(5) == 0 {
			b.WriteString(" with runs=2")
		}
	}
	if next(4) == 0 {
		fmt.Fprintf(&b, " until [%s where n == 2]", cats[next(3)])
		if stepBy {
			b.WriteString(" by k2")
		}
	}
	var events []string
	n := next(14)
	ts := 0
	for e := 0; e < n; e++ {
		ts += next(3)
		kv := []string{"n", fmt.Sprint(next(3))}
		if k := []string{"x", "y", ""}[next(3)]; k != "" {
			kv = append(kv, "k", k)
		}
		if k := []string{"x", "y"}[next(2)]; k != "" {
			kv = append(kv, "k2", k)
		}
		events = append(events, ev(cats[next(3)], ts, fmt.Sprint(e), kv...))
	}
	return b.String(), events
}

func describe(rs []*Result) []string {
	var out []string
	for _, r := range rs {
		var parts []string
		for _, h := range r.Events {
			if h == nil {
				parts = append(parts, "-")
			} else {
				parts = append(parts, fmt.Sprint(h.Arrival))
			}
		}
		out = append(out, fmt.Sprintf("%v:%s", r.JoinKeys, strings.Join(parts, ",")))
	}
	return out
}

// refSeq is a sequence of the reference.
type refSeq struct {
	key  string
	vals []any
	hits []int // event index per step, -1 unset
	last int
}

// reference runs q over evs (in order) as Elasticsearch's matcher does over
// a single window.
func reference(q *Query, evs []*event.Event) []*Result {
	n := len(evs)
	times := make([]int64, n)
	for i, e := range evs {
		times[i], _, _ = q.Order(e)
	}
	ms := func(i int) int64 { return floorMs(times[i]) }
	type keyed struct {
		key  string
		vals []any
		ok   bool
	}
	keyOf := func(s *step, i int) keyed {
		var buf []any
		k, vals, ok := readKey(s, evs[i], &buf)
		return keyed{k, slices.Clone(vals), ok}
	}
	groups := make([]map[string][]*refSeq, len(q.steps))
	for i := range groups {
		groups[i] = map[string][]*refSeq{}
	}
	var untils []int // event indexes of until events, in order
	untilKey := map[int]string{}
	if q.until != nil {
		for i := range evs {
			if q.until.m.Match(evs[i]) {
				if k := keyOf(q.until, i); k.ok {
					untils = append(untils, i)
					untilKey[i] = k.key
				}
			}
		}
	}
	var completed []*refSeq
	prevPos := func(s int) int {
		for j := s - 1; j >= 0; j-- {
			if !q.steps[j].missing {
				return j
			}
		}
		return -1
	}
	for s, st := range q.steps {
		if st.missing {
			continue
		}
		for i := range evs {
			if !st.m.Match(evs[i]) {
				continue
			}
			k := keyOf(st, i)
			if !k.ok {
				continue
			}
			if s == q.firstPos {
				sq := &refSeq{key: k.key, vals: k.vals, hits: slices.Repeat([]int{-1}, len(q.steps)), last: i}
				sq.hits[s] = i
				if s == q.lastPos {
					completed = append(completed, sq)
				} else {
					groups[s][k.key] = append(groups[s][k.key], sq)
				}
				continue
			}
			p := prevPos(s)
			list := groups[p][k.key]
			j := -1
			for x, sq := range list {
				if sq.last < i { // ordinals: time, then arrival; events are in order
					j = x
				} else {
					break
				}
			}
			if j < 0 {
				continue
			}
			sq := list[j]
			groups[p][k.key] = list[j+1:]
			if q.maxSpan > 0 && times[i]-times[sq.hits[q.firstPos]] > q.maxSpan {
				continue
			}
			nearest := -1
			for _, u := range untils {
				if u < i && untilKey[u] == k.key {
					nearest = u
				}
			}
			if nearest >= 0 && nearest >= sq.last {
				continue
			}
			sq.hits[s] = i
			sq.last = i
			if s == q.lastPos {
				completed = append(completed, sq)
			} else {
				groups[s][k.key] = append(groups[s][k.key], sq)
			}
		}
	}
	slices.SortStableFunc(completed, func(a, b *refSeq) int { return a.last - b.last })
	var out []*Result
	for _, sq := range completed {
		if q.hasMiss && !refMissingOK(q, sq, evs, ms, times) {
			continue
		}
		r := &Result{JoinKeys: sq.vals}
		for _, i := range sq.hits {
			if i < 0 {
				r.Events = append(r.Events, nil)
			} else {
				r.Events = append(r.Events, &Hit{Arrival: uint64(i)})
			}
		}
		out = append(out, r)
	}
	return out
}

// refMissingOK judges a completed sequence's missing-event steps by
// searching every event, as Elasticsearch's per-sequence queries do.
func refMissingOK(q *Query, sq *refSeq, evs []*event.Event, ms func(int) int64, times []int64) bool {
	key := func(s *step, i int) (string, bool) {
		var buf []any
		k, _, ok := readKey(s, evs[i], &buf)
		return k, ok
	}
	var lastLeading, firstTrailing int64
	hasLeading, hasTrailing := false, false
	first, last := sq.hits[q.firstPos], sq.hits[q.lastPos]
	for j, s := range q.steps {
		if !s.missing {
			continue
		}
		for i := range evs {
			if !s.m.Match(evs[i]) {
				continue
			}
			if k, ok := key(s, i); !ok || k != sq.key {
				continue
			}
			switch {
			case j < q.firstPos:
				if ms(i) < ms(first) && (!hasLeading || times[i] > lastLeading) {
					lastLeading, hasLeading = times[i], true
				}
			case j > q.lastPos:
				if ms(i) > ms(last) && (!hasTrailing || times[i] < firstTrailing) {
					firstTrailing, hasTrailing = times[i], true
				}
			default:
				prev, next := -1, -1
				for x := j - 1; x >= 0; x-- {
					if !q.steps[x].missing {
						prev = sq.hits[x]
						break
					}
				}
				for x := j + 1; x < len(q.steps); x++ {
					if !q.steps[x].missing {
						next = sq.hits[x]
						break
					}
				}
				if ms(i) > ms(prev) && ms(i) < ms(next) {
					return false
				}
			}
		}
	}
	bigger := func(from int64, hasFrom bool, to int64, hasTo bool) bool {
		if !hasFrom || !hasTo {
			return true
		}
		return q.maxSpan > 0 && to-from > q.maxSpan
	}
	m0 := q.steps[0].missing
	mLast := q.steps[len(q.steps)-1].missing
	return !hasTrailing && !hasLeading ||
		!hasLeading && m0 ||
		!hasTrailing && mLast ||
		m0 && mLast && bigger(lastLeading, hasLeading, firstTrailing, hasTrailing) ||
		m0 && !mLast && bigger(lastLeading, hasLeading, times[last], true) ||
		!m0 && mLast && bigger(times[first], true, firstTrailing, hasTrailing)
}

// TestDifferential runs the fuzz comparison on 3,000 pseudo-random cases
// (a fixed seed), so that every test run checks it; it also checks that the
// cases are not vacuous.
func TestDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	nonEmpty := 0
	for range 3000 {
		data := make([]byte, 60)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		query, events := drawCase(data)
		st, err := eql.Parse(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		q, err := Compile(st, Options{Schema: testSchema})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		m, _ := q.NewSequenceMatcher()
		evs := make([]*event.Event, len(events))
		var got []*Result
		for i, e := range events {
			evs[i] = event.New([]byte(e), q.Plan())
			rs, _ := m.Push(evs[i], nil)
			got = append(got, rs...)
		}
		got = append(got, m.Flush()...)
		sortResults(got)
		want := reference(q, evs)
		if len(want) > 0 {
			nonEmpty++
		}
		if g, w := describe(got), describe(want); !slices.Equal(g, w) {
			t.Fatalf("%s\nevents:\n%s\ngot  %v\nwant %v", query, strings.Join(events, "\n"), g, w)
		}
	}
	if nonEmpty < 300 {
		t.Errorf("only %d of 3000 cases have sequences", nonEmpty)
	}
}
