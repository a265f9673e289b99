package esql

import "slices"

// presentState is PRESENT(x) (ABSENT(x)): whether the group's rows hold a
// value of x (hold none). A group of no rows: PRESENT false, ABSENT true.
type presentState struct {
	a      *aggSpec
	absent bool
	seen   bool
}

func (s *presentState) add(r *Run, row []any) {
	if v, ok := s.a.arg(r, row); ok && v != nil {
		s.seen = true
	}
}

func (s *presentState) result(*Run) any { return s.seen != s.absent }

// maxSample bounds SAMPLE's count of values (the values a group holds).
const maxSample = 100_000

// sampleState is the aggregate SAMPLE(x, n): up to n of the group's values.
// Elasticsearch picks them at random; Vigil, for the reasons of the SAMPLE
// command (see sampleStage), picks by hash: each value is hashed with the
// number of times an equal value came before it in the group (so the k-th
// "M" and the first "M" are drawn apart), and the n values of the lowest
// hashes are kept, in the order of their hashes. The pick depends on the
// group's values only, not on their order. Memory: the n values, and a
// count per distinct value of the group.
type sampleState struct {
	a     *aggSpec
	seen  map[string]uint32 // occurrences so far, by appendKey's encoding
	picks []samplePick      // at most a.limit, sorted by hash
}

type samplePick struct {
	h uint64
	v any
}

func (s *sampleState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	if s.seen == nil {
		s.seen = map[string]uint32{}
	}
	for _, x := range values(v) {
		key := appendKey(nil, x)
		k := s.seen[string(key)]
		s.seen[string(key)] = k + 1
		h := sampleHash(nil, []any{x, int64(k)})
		if len(s.picks) == s.a.limit && h >= s.picks[len(s.picks)-1].h {
			continue
		}
		i, _ := slices.BinarySearchFunc(s.picks, h, func(p samplePick, h uint64) int {
			switch {
			case p.h < h:
				return -1
			case p.h > h:
				return 1
			}
			return 0
		})
		s.picks = slices.Insert(s.picks, i, samplePick{h, x})
		if len(s.picks) > s.a.limit {
			s.picks = s.picks[:s.a.limit]
		}
	}
}

func (s *sampleState) result(*Run) any {
	out := make([]any, len(s.picks))
	for i, p := range s.picks {
		out[i] = p.v
	}
	return mvOf(out)
}
