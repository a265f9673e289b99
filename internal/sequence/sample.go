package sequence

import (
	"errors"
	"slices"

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
	facts   []byte    // the facts of the event Push reads
	fk      []factKey // the current event's facts, by step
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
	s.facts = s.q.AppendFacts(s.facts[:0], ev)
	s.push(s.facts, ref, ev.Raw())
}

// PushFacts is Push for an event read before (Query.AppendFacts): the
// sampler reads nothing more of it and keeps no copy of its JSON (ref is
// the caller's handle on it). A corrupt record is an error, and ignored.
func (s *Sampler) PushFacts(facts []byte, ref any) error {
	return s.push(facts, ref, nil)
}

// Skip stands for an event left out because no sample can use it
// (KeySet.Needed): counted as if pushed, so that the samples are those
// pushing it would give.
func (s *Sampler) Skip() {
	s.stats.Events++
	s.arrival++
}

func (s *Sampler) push(facts []byte, ref any, raw []byte) error {
	s.stats.Events++
	defer func() { s.arrival++ }()
	fk, err := s.q.loadFacts(facts, s.fk)
	s.fk = fk
	if err != nil {
		return err
	}
	var h *Hit
	n := len(s.q.steps)
	for i, st := range s.q.steps {
		f := fk[st.src]
		if !f.ok {
			continue
		}
		sk := s.keys[string(f.key)]
		if sk == nil {
			if len(s.keys) >= s.q.opts.MaxKeys {
				s.stats.Dropped++
				continue
			}
			k := string(f.key)
			sk = &sampleKey{vals: decodeKey(k), hits: make([][]*Hit, n)}
			s.keys[k] = sk
			s.order = append(s.order, sk)
		}
		if len(sk.hits[i]) >= n {
			continue
		}
		if h == nil {
			h = &Hit{Ref: ref, Arrival: s.arrival}
			if raw != nil {
				h.Raw = append([]byte(nil), raw...)
			}
		}
		sk.hits[i] = append(sk.hits[i], h)
	}
	return nil
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
