package esql

import "math"

// sampleStage is SAMPLE p. Elasticsearch keeps each row with probability p,
// at random, so that two runs over the same data differ. A detection engine
// must give the same alerts for the same data (a re-run, hunt and serve, an
// execution and the next one over an overlapping window), so Vigil decides
// by the row itself: a row is kept when a 64-bit hash of its values (the
// columns visible at SAMPLE, in order) falls in the lowest fraction p of the
// hash's range. The same row is therefore always kept or always dropped,
// whatever the run, the order of the input or the other rows; over many
// distinct rows about p of them are kept. Rows with equal values share one
// fate (Elasticsearch would draw for each).
type sampleStage struct {
	slots []int  // the visible columns' slots
	below uint64 // keep a row whose hash is below this
}

func newSampleStage(p float64, sc *scope) *sampleStage {
	st := &sampleStage{below: uint64(p * (1 << 64))}
	if p >= 1 {
		st.below = math.MaxUint64
	}
	for _, col := range sc.cols {
		st.slots = append(st.slots, col.slot)
	}
	return st
}

func (s *sampleStage) newOp() op { return s }

func (s *sampleStage) push(r *Run, row []any, emit func([]any) bool) bool {
	if s.hash(row) < s.below {
		return emit(row)
	}
	return true
}

func (s *sampleStage) finish(*Run, func([]any) bool) {}

// hash encodes the row's visible values as STATS encodes group keys, then
// hashes them: FNV-1a, then a 64-bit finalizer so that every bit of the
// result depends on every byte.
func (s *sampleStage) hash(row []any) uint64 {
	var key []byte
	var buf [128]byte
	key = buf[:0]
	for _, sl := range s.slots {
		var v any
		if sl < len(row) {
			v = row[sl]
		}
		for _, x := range values(v) {
			key = appendKey(key, x)
		}
		if v == nil {
			key = appendKey(key, nil)
		}
		key = append(key, 0xff) // end of a column: [a, b] then c differs from a then [b, c]
	}
	h := uint64(14695981039346656037)
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
