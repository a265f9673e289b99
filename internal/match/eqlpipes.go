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
	first, rest := FirstLimit(ls, size, tail)
	from, to = cut(0, n, first)
	f, t := CutLimits(to-from, rest)
	return from + f, from + t
}

// FirstLimit splits what a search keeps as its results arrive, the first
// limit (size in the result position's direction, or the smaller of size
// and the first pipe's N in that pipe's direction), from the pipes that then
// cut what it kept (CutLimits).
func FirstLimit(ls []Limit, size int, tail bool) (first Limit, rest []Limit) {
	if len(ls) == 0 {
		return Limit{N: size, Tail: tail}, nil
	}
	return Limit{N: min(size, ls[0].N), Tail: ls[0].Tail}, ls[1:]
}

// CutLimits applies limits in turn to n results in order and returns the
// range [from, to) they keep.
func CutLimits(n int, ls []Limit) (from, to int) {
	from, to = 0, n
	for _, l := range ls {
		from, to = cut(from, to, l)
	}
	return from, to
}

// cut keeps the first (or last) l.N of [from, to).
func cut(from, to int, l Limit) (int, int) {
	if l.N >= to-from {
		return from, to
	}
	if l.Tail {
		return to - l.N, to
	}
	return from, from + l.N
}
