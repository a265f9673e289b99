package sequence

import (
	"errors"
	"slices"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
)

// Sampler gathers a sample query's candidates over events pushed in any
// order, and gives the samples at Flush. It keeps, per join-key value and
// step, the first events of the step (as many as the query has steps:
// enough to fill every step with distinct events, as Elasticsearch's final
// per-key searches fetch); its memory is bounded by MaxKeys times that.
// It is not safe for concurrent use.
type Sampler struct {
	q       *Query
	keys    map[string]*sampleKey
	order   []*sampleKey
	arrival uint64
	stats   Stats
	kbuf    []any
	sb      strings.Builder
}

type sampleKey struct {
	vals []any
	hits [][]*Hit // by step
}

// NewSampler returns a sampler for a sample query.
func (q *Query) NewSampler() (*Sampler, error) {
	if !q.sample {
		return nil, errors.New("a sequence is not a sample: use NewSequenceMatcher")
	}
	return &Sampler{q: q, keys: map[string]*sampleKey{}}, nil
}

// Stats returns the sampler's counters.
func (s *Sampler) Stats() Stats {
	st := s.stats
	st.Keys = len(s.keys)
	return st
}

// Push gives the sampler an event (built with Query.Plan); ref is the
// caller's handle on it. The sampler copies the event's JSON when it keeps
// it.
func (s *Sampler) Push(ev *event.Event, ref any) {
	s.stats.Events++
	var h *Hit
	n := len(s.q.steps)
	for i, st := range s.q.steps {
		if !st.m.Match(ev) {
			continue
		}
		key, vals, ok := readKey(st, ev, &s.kbuf, &s.sb)
		if !ok {
			continue
		}
		sk := s.keys[key]
		if sk == nil {
			if len(s.keys) >= s.q.opts.MaxKeys {
				s.stats.Dropped++
				continue
			}
			sk = &sampleKey{vals: slices.Clone(vals), hits: make([][]*Hit, n)}
			s.keys[key] = sk
			s.order = append(s.order, sk)
		}
		if len(sk.hits[i]) >= n {
			continue
		}
		if h == nil {
			h = &Hit{Raw: append([]byte(nil), ev.Raw()...), Ref: ref, Arrival: s.arrival}
		}
		sk.hits[i] = append(sk.hits[i], h)
	}
	s.arrival++
}

// Flush returns the samples, in Elasticsearch's order (ascending join
// keys, null first), at most MaxSamplesPerKey per key, and empties the
// sampler. A key whose search for distinct events exceeds a bound (65,536
// steps: it is exponential when there is no solution) gives what was found
// and is counted in Stats.Dropped.
func (s *Sampler) Flush() []*Result {
	var out []*Result
	for _, sk := range s.order {
		complete := true
		for _, hs := range sk.hits {
			if len(hs) == 0 {
				complete = false
				break
			}
		}
		if !complete {
			continue
		}
		picked, complete := pickDistinct(sk.hits, s.q.opts.MaxSamplesPerKey)
		if !complete {
			s.stats.Dropped++
		}
		for _, hits := range picked {
			out = append(out, &Result{JoinKeys: sk.vals, Events: hits})
		}
	}
	slices.SortStableFunc(out, compareSamples)
	clear(s.keys)
	s.order = nil
	return out
}

// maxPickSteps bounds the search for distinct events of one key: with no
// solution the depth-first search is exponential in the number of steps.
const maxPickSteps = 1 << 16

// pickDistinct chooses one event per step, all distinct, trying the
// candidates in order (depth first, as Elasticsearch does), up to n
// combinations; complete is false when the search gave up at maxPickSteps.
func pickDistinct(cands [][]*Hit, n int) (out [][]*Hit, complete bool) {
	partial := make([]*Hit, 0, len(cands))
	budget := maxPickSteps
	var walk func(i int) bool
	walk = func(i int) bool {
		if i == len(cands) {
			out = append(out, slices.Clone(partial))
			return len(out) >= n
		}
		if budget--; budget < 0 {
			return true
		}
		for _, h := range cands[i] {
			if slices.Contains(partial, h) {
				continue
			}
			partial = append(partial, h)
			if walk(i + 1) {
				return true
			}
			partial = partial[:len(partial)-1]
		}
		return false
	}
	walk(0)
	return out, budget >= 0
}
