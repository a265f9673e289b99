package match

import (
	"slices"

	"github.com/vigil-project/vigil/internal/event"
)

// foldGlobSetMatcher is more than setThreshold wildcard terms on one
// keyword field with the lowercase normalizer (an OR of foldGlobMatchers,
// as Elastic's lists of tool names on process.name.caseless): the value is
// lowered once, and only the patterns whose literal head starts it are
// tried, found by the head's length and text.
type foldGlobSetMatcher struct {
	globs []*glob            // lower-cased, in query order
	heads map[string][]*glob // by the text before their first `*`
	lens  []int              // the heads' lengths, ascending
	rest  []*glob            // patterns starting with `*`
}

func newFoldGlobSet(globs []*glob) *foldGlobSetMatcher {
	m := &foldGlobSetMatcher{globs: globs, heads: map[string][]*glob{}}
	for _, g := range globs {
		h := g.parts[0]
		if h == "" {
			m.rest = append(m.rest, g)
			continue
		}
		m.heads[h] = append(m.heads[h], g)
		if !slices.Contains(m.lens, len(h)) {
			m.lens = append(m.lens, len(h))
		}
	}
	slices.Sort(m.lens)
	return m
}

func (m *foldGlobSetMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	if !ok || tooLong(s) {
		return false
	}
	var buf [256]byte
	s = lowerInto(&buf, s)
	for _, n := range m.lens {
		if n > len(s) {
			break
		}
		for _, g := range m.heads[s[:n]] {
			if g.match(s) {
				return true
			}
		}
	}
	for _, g := range m.rest {
		if g.match(s) {
			return true
		}
	}
	return false
}
