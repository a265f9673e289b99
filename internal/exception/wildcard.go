package exception

import (
	"strings"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
)

// A "matches" entry is Elasticsearch's wildcard query, which KQL cannot
// express: `*` is any run of characters, `?` exactly one character, and `\`
// makes the next character literal (a trailing `\` is itself). On keyword
// fields (and constant_keyword, wildcard, flattened) the pattern covers the
// whole value, case-sensitively; on text fields it is lower-cased and
// matched against each lower-cased token of the value.

// pattern is a compiled wildcard: the pattern split at its `*`s into
// segments of literal characters and `?`s.
type pattern struct {
	segs    []segment // at least one; len(segs)-1 stars
	literal bool      // no `*` and no `?`: plain equality with segs[0]
}

// segment is a run of the pattern between two `*`s: literal characters and
// `?`s.
type segment struct {
	runes []rune // the characters; at the positions of `?`, a placeholder
	any   []bool // any[i]: runes[i] is a `?`
	text  string // the characters, when the segment has no `?`
	runeN int    // len(runes)
	plain bool   // no `?`
}

// compilePattern reads Elasticsearch wildcard syntax.
func compilePattern(p string) *pattern {
	var segs []segment
	var cur segment
	done := func() {
		cur.runeN = len(cur.runes)
		cur.plain = true
		for _, a := range cur.any {
			cur.plain = cur.plain && !a
		}
		if cur.plain {
			cur.text = string(cur.runes)
		}
		segs = append(segs, cur)
		cur = segment{}
	}
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '*':
			done()
		case r == '?':
			cur.runes = append(cur.runes, '?')
			cur.any = append(cur.any, true)
		case r == '\\' && i+1 < len(rs):
			i++
			cur.runes = append(cur.runes, rs[i])
			cur.any = append(cur.any, false)
		default:
			cur.runes = append(cur.runes, r)
			cur.any = append(cur.any, false)
		}
	}
	done()
	return &pattern{segs: segs, literal: len(segs) == 1 && segs[0].plain}
}

// matchAt reports whether seg matches s starting at byte i, and where it
// ends.
func (seg *segment) matchAt(s string, i int) (int, bool) {
	if seg.plain {
		if strings.HasPrefix(s[i:], seg.text) {
			return i + len(seg.text), true
		}
		return 0, false
	}
	for k, want := range seg.runes {
		if i >= len(s) {
			return 0, false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !seg.any[k] && r != want {
			return 0, false
		}
		i += size
	}
	return i, true
}

// match reports whether the whole of s matches. The first segment is
// anchored at the start, the last at the end, and the middle ones are placed
// leftmost-first: as each segment has a fixed number of characters, the
// earliest place never loses a match.
func (p *pattern) match(s string) bool {
	if p.literal {
		return s == p.segs[0].text
	}
	first := &p.segs[0]
	i, ok := first.matchAt(s, 0)
	if !ok {
		return false
	}
	if len(p.segs) == 1 {
		return i == len(s)
	}
	for k := 1; k < len(p.segs)-1; k++ {
		seg := &p.segs[k]
		found := false
		for j := i; j <= len(s); {
			if end, ok := seg.matchAt(s, j); ok {
				i, found = end, true
				break
			}
			if j == len(s) {
				break
			}
			_, size := utf8.DecodeRuneInString(s[j:])
			j += size
		}
		if !found {
			return false
		}
	}
	// The last segment ends the value: it starts lastN runes before the end.
	last := &p.segs[len(p.segs)-1]
	start := len(s)
	for n := 0; n < last.runeN; n++ {
		if start <= i {
			return false
		}
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	if start < i {
		return false
	}
	end, ok := last.matchAt(s, start)
	return ok && end == len(s)
}

// wildcardCond is a matches / does not match entry.
type wildcardCond struct {
	id     event.FieldID
	pat    *pattern
	text   bool // the field is analyzed text: match tokens
	limit  bool // keyword: values over ignore_above are not indexed
	negate bool
}

func (c *wildcardCond) eval(ev *event.Event) bool {
	return c.any(ev) != c.negate
}

func (c *wildcardCond) any(ev *event.Event) bool {
	for _, v := range ev.Values(c.id) {
		s, ok := match.KeywordText(v)
		if !ok {
			continue
		}
		if c.text {
			found := false
			match.EachToken(s, func(tok string) bool {
				found = c.pat.match(tok)
				return !found
			})
			if found {
				return true
			}
			continue
		}
		if c.limit && match.TooLongForKeyword(s) {
			continue
		}
		if c.pat.match(s) {
			return true
		}
	}
	return false
}

// wildcardType says how a wildcard query treats a field of type t: as whole
// values (keyword-like), as tokens (text), or not at all (Elasticsearch
// fails the search on numbers, dates, ips, booleans and objects).
func wildcardType(t ecs.Type) (text, ok bool) {
	switch {
	case t.IsExact():
		return false, true
	case t.IsText():
		return true, true
	}
	return false, false
}
