package match

import "strings"

// glob is a precompiled KQL wildcard pattern: `*` is any run of characters
// (none, `/` and newlines included) and every other character, `?` too, is
// literal. Common shapes take fast paths; the general case matches the
// middle parts greedily, leftmost first, which is exact for `*`-only
// patterns and linear in the value (no backtracking).
type glob struct {
	parts  []string // the pattern split at `*`: at least two for a wildcard
	shape  globShape
	minLen int // the length of the literal parts together
}

type globShape uint8

const (
	globExact    globShape = iota // no `*`
	globAny                       // only `*`s
	globPrefix                    // abc*
	globSuffix                    // *abc
	globContains                  // *abc*
	globGeneral
)

func newGlob(parts []string) *glob {
	g := &glob{parts: parts}
	for _, p := range parts {
		g.minLen += len(p)
	}
	n := len(parts)
	switch {
	case n == 1:
		g.shape = globExact
	case g.minLen == 0:
		g.shape = globAny
	case n == 2 && parts[1] == "":
		g.shape = globPrefix
	case n == 2 && parts[0] == "":
		g.shape = globSuffix
	case n == 3 && parts[0] == "" && parts[2] == "":
		g.shape = globContains
	default:
		g.shape = globGeneral
	}
	return g
}

func (g *glob) match(s string) bool {
	p := g.parts
	switch g.shape {
	case globExact:
		return s == p[0]
	case globAny:
		return true
	case globPrefix:
		return strings.HasPrefix(s, p[0])
	case globSuffix:
		return strings.HasSuffix(s, p[1])
	case globContains:
		return strings.Contains(s, p[1])
	}
	if len(s) < g.minLen || !strings.HasPrefix(s, p[0]) || !strings.HasSuffix(s, p[len(p)-1]) {
		return false
	}
	// The prefix and suffix are fixed; the middle parts go leftmost-first in
	// what lies between them.
	s = s[len(p[0]) : len(s)-len(p[len(p)-1])]
	for _, mid := range p[1 : len(p)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return true
}

// String returns the pattern with its wildcards.
func (g *glob) String() string { return strings.Join(g.parts, "*") }
