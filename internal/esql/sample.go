package esql

// sampleStage is SAMPLE p. Elasticsearch keeps each row with probability p,
// at random, so that two runs over the same data differ. A detection engine
// must give the same alerts for the same data (a re-run, hunt and serve, an
// execution and the next one over an overlapping window), so Vigil decides
// by the row itself: a row is kept when a 64-bit hash of it falls in the
// lowest fraction p of the hash's range. The hash covers the row's values
// (every column it holds at SAMPLE, the fields the query reads among them)
// and, while the rows are still FROM's documents, the document's text. So a
// document (or a row after STATS) is always kept or always dropped, whatever
// the run, the order of the input or the other rows; over many distinct
// rows about p of them are kept. Equal rows share one fate (Elasticsearch
// would draw for each).
type sampleStage struct {
	below uint64 // keep a row whose hash is below this
}

func newSampleStage(p float64) *sampleStage {
	return &sampleStage{below: uint64(p * (1 << 64))}
}

func (s *sampleStage) newOp() op { return s }

func (s *sampleStage) push(r *Run, row []any, emit func([]any) bool) bool {
	var raw []byte
	if r.doc != nil {
		raw = r.doc.Raw()
	}
	if sampleHash(raw, row) < s.below {
		return emit(row)
	}
	return true
}

func (s *sampleStage) finish(*Run, func([]any) bool) {}

// sampleHash hashes a document's text and a row's values (encoded as STATS
// encodes group keys): FNV-1a, then a 64-bit finalizer so that every bit of
// the result depends on every byte.
func sampleHash(raw []byte, row []any) uint64 {
	h := uint64(14695981039346656037)
	add := func(b []byte) {
		for _, c := range b {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	add(raw)
	var buf [64]byte
	for _, v := range row {
		if xs, ok := v.([]any); ok {
			// a mark and the count first: [a, b] differs from a then b
			add([]byte{0xfe, byte(len(xs))})
			for _, x := range xs {
				add(appendKey(buf[:0], x))
			}
			continue
		}
		add(appendKey(buf[:0], v))
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
