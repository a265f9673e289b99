package sequence

import (
	"slices"

	"github.com/vigil-project/vigil/internal/match"
)

// SortResults orders sequences as Elasticsearch returns them (and Flush
// and Selection give them): by their last event. A matcher returns them
// as it completes them, which for a sequence ending with a missing-event
// step can be after later ones.
func SortResults(rs []*Result) { sortResults(rs) }

// sortResults orders sequences by their last event.
func sortResults(rs []*Result) {
	slices.SortStableFunc(rs, func(a, b *Result) int { return a.last.Compare(b.last) })
}

// compareSamples orders samples as Elasticsearch's composite aggregation
// returns their keys: component by component, null first.
func compareSamples(a, b *Result) int {
	for i := range min(len(a.JoinKeys), len(b.JoinKeys)) {
		x, y := a.JoinKeys[i], b.JoinKeys[i]
		switch {
		case x == nil && y == nil:
			continue
		case x == nil:
			return -1
		case y == nil:
			return 1
		}
		if c := match.CompareKeys(x, y); c != 0 {
			return c
		}
	}
	return len(a.JoinKeys) - len(b.JoinKeys)
}

// Selection keeps the results a search returns: Elasticsearch's size and
// result position (head: the first, tail: the last), or the query's head
// and tail pipes. It holds at most as many results as it may return, so
// its memory is bounded by the size (or the first pipe's count).
type Selection struct {
	q     *Query
	n     int  // results kept at most
	tail  bool // keep the last n, else the first n
	rest  []match.Limit
	kept  []*Result
	added int
}

// NewSelection returns the selection of q's results for a search of size
// results (Elasticsearch's size, 10 by default in the API, 50 in its spec
// tests) at the head or the tail. With head or tail pipes, Elasticsearch
// puts a limit of size in the first pipe's direction under that pipe (the
// pipe then decides, not the result position), and each later pipe cuts
// what the one before kept: match.FirstLimit.
func (q *Query) NewSelection(size int, tail bool) *Selection {
	if q.sample {
		tail = false // samples come in key order, from the first
	}
	first, rest := match.FirstLimit(q.pipes, size, tail)
	return &Selection{q: q, n: first.N, tail: first.Tail, rest: rest}
}

func (s *Selection) compare(a, b *Result) int {
	if s.q.sample {
		return compareSamples(a, b)
	}
	return a.last.Compare(b.last)
}

// Add offers results, in any order.
func (s *Selection) Add(rs ...*Result) {
	for _, r := range rs {
		s.added++
		if s.n <= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(s.kept, r, s.compare)
		// Equal places keep arrival order: insert after equals.
		for i < len(s.kept) && s.compare(s.kept[i], r) == 0 {
			i++
		}
		if len(s.kept) == s.n {
			if s.tail {
				if i == 0 {
					continue
				}
				s.kept = slices.Delete(s.kept, 0, 1)
				i--
			} else {
				if i == s.n {
					continue
				}
				s.kept = s.kept[:s.n-1]
			}
		}
		s.kept = slices.Insert(s.kept, i, r)
	}
}

// Seen is the number of results offered.
func (s *Selection) Seen() int { return s.added }

// Results returns the selected results in Elasticsearch's order.
func (s *Selection) Results() []*Result {
	out := slices.Clone(s.kept)
	from, to := match.CutLimits(len(out), s.rest)
	return out[from:to]
}
