package match

import (
	"strconv"

	"github.com/vigil-project/vigil/internal/eql"
)

// Limit is an EQL head or tail pipe: keep the first (or, with Tail, the
// last) N results of what comes before it.
type Limit struct {
	N    int
	Tail bool
}

// EQLLimits returns a statement's pipes as limits, in order. Elasticsearch
// runs two pipes, head and tail, each with one non-negative integer; any
// other pipe or argument is a *CompileError at the pipe.
func EQLLimits(s *eql.Statement) ([]Limit, error) {
	var ls []Limit
	for _, p := range s.Pipes {
		if p.Name != "head" && p.Name != "tail" {
			return nil, &CompileError{Pos: kqlPos(p.At), Msg: "pipe " + p.Name + " is not supported (Elasticsearch runs head and tail)"}
		}
		n := -1
		if len(p.Args) == 1 {
			if num, ok := p.Args[0].(*eql.Number); ok && num.IsInteger() {
				if v, err := strconv.Atoi(num.Text); err == nil {
					n = v
				}
			}
		}
		if n < 0 {
			return nil, &CompileError{Pos: kqlPos(p.At), Msg: "pipe " + p.Name + " takes one non-negative integer"}
		}
		ls = append(ls, Limit{N: n, Tail: p.Name == "tail"})
	}
	return ls, nil
}

// ApplyLimits selects from n results, in order, the ones a search of size
// results at the tail (or head) returns, as Elasticsearch plans it: without
// pipes, the last (first) size; with pipes, a limit of size in the first
// pipe's direction goes under it, then each pipe keeps its first or last N
// of what the one before kept. It returns the kept range [from, to).
func ApplyLimits(n int, ls []Limit, size int, tail bool) (from, to int) {
	from, to = 0, n
	cut := func(k int, t bool) {
		if k >= to-from {
			return
		}
		if t {
			from = to - k
		} else {
			to = from + k
		}
	}
	if len(ls) == 0 {
		cut(size, tail)
		return from, to
	}
	cut(size, ls[0].Tail)
	for _, l := range ls {
		cut(l.N, l.Tail)
	}
	return from, to
}
