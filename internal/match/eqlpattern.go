package match

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wildcard is an EQL wildcard pattern: `*` any run of characters, `?` one
// character; nothing escapes them (Elasticsearch builds the pattern with an
// escape character no string can hold).
type wildcard struct {
	pat string
	// Quick necessary conditions: the literal text before the first
	// wildcard is a prefix of every match, the text after the last one a
	// suffix, and the longest literal run is somewhere in it.
	prefixS, suffixS, mustS string
	// anchor is the position in mustS of its first byte that is no
	// letter (searched for in either case alike), -1 when all are.
	anchor int
}

func newWildcard(p string) *wildcard {
	w := &wildcard{pat: p}
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '*' || r == '?' }) {
		if len(part) > len(w.mustS) {
			w.mustS = part
		}
	}
	if i := strings.IndexAny(p, "*?"); i > 0 {
		w.prefixS = p[:i]
	}
	if i := strings.LastIndexAny(p, "*?"); i >= 0 && i < len(p)-1 {
		w.suffixS = p[i+1:]
	}
	w.anchor = strings.IndexFunc(w.mustS, func(r rune) bool { return !unicode.IsLetter(r) })
	return w
}

// maybeString is maybe on a string.
func (w *wildcard) maybeString(s string) bool {
	if w.prefixS != "" && !strings.HasPrefix(s, w.prefixS) || w.suffixS != "" && !strings.HasSuffix(s, w.suffixS) {
		return false
	}
	if w.prefixS == "" && w.suffixS == "" {
		return strings.Contains(s, w.mustS)
	}
	return true
}

// maybeFoldASCII reports whether an ASCII s can match the folded
// pattern, ignoring case: its prefix, suffix and longest literal are
// there.
func (w *wildcard) maybeFoldASCII(s string) bool {
	if len(w.prefixS) > len(s) || !equalFoldASCII(s[:len(w.prefixS)], w.prefixS) ||
		len(w.suffixS) > len(s) || !equalFoldASCII(s[len(s)-len(w.suffixS):], w.suffixS) {
		return false
	}
	if len(w.prefixS) == 0 && len(w.suffixS) == 0 {
		return containsFoldASCII(s, w.mustS, w.anchor)
	}
	return true
}

// equalFoldASCII reports whether ASCII s lowered is low.
func equalFoldASCII(s, low string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != low[i] {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether ASCII s lowered contains low, found
// by its byte at anchor when that is no letter (one vector search), else
// by its first byte in either case.
func containsFoldASCII(s, low string, anchor int) bool {
	n := len(low)
	if n == 0 {
		return true
	}
	if anchor >= 0 {
		c := low[anchor]
		for i := anchor; i+n-anchor <= len(s); {
			j := strings.IndexByte(s[i:len(s)-n+anchor+1], c)
			if j < 0 {
				return false
			}
			if at := i + j - anchor; equalFoldASCII(s[at:at+n], low) {
				return true
			}
			i += j + 1
		}
		return false
	}
	c, up := low[0], low[0]-('a'-'A')
	for i := 0; i+n <= len(s); i++ {
		if d := s[i]; (d == c || d == up) && equalFoldASCII(s[i:i+n], low) {
			return true
		}
	}
	return false
}

// isASCII reports whether s is ASCII.
func isASCII(s string) bool { return IsASCII(s) }

// IsASCII reports whether s is ASCII (FoldCase keeps its length then).
func IsASCII(s string) bool {
	// Eight bytes at a time (command lines are long, and every folded
	// pattern asks of each value).
	var w uint64
	for ; len(s) >= 8; s = s[8:] {
		w |= uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	}
	var or byte
	for i := 0; i < len(s); i++ {
		or |= s[i]
	}
	return w&0x8080808080808080 == 0 && or < utf8.RuneSelf
}

// match reports whether the whole of s matches, backtracking to the last
// star only (linear for the patterns rules use).
func (w *wildcard) match(s string) bool {
	p := w.pat
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				star, mark = pi, si
				pi++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[si:])
				pi++
				si += n
				continue
			default:
				if p[pi] == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		// Let the last star take one more character.
		_, n := utf8.DecodeRuneInString(s[mark:])
		mark += n
		pi, si = star+1, mark
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchFoldASCII is match on an ASCII s lowered byte by byte (the
// pattern is folded already).
func (w *wildcard) matchFoldASCII(s string) bool {
	p := w.pat
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				star, mark = pi, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			default:
				d := s[si]
				if 'A' <= d && d <= 'Z' {
					d += 'a' - 'A'
				}
				if c == d {
					pi++
					si++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		mark++
		pi, si = star+1, mark
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// luceneRegexp translates a Lucene regular expression (the syntax of
// Elasticsearch's regexp query, all operators on) into an anchored Go
// regexp. Lucene's complement (~), intersection (&) and numeric interval
// (<n-m>) have no Go equivalent: they are errors; so are Perl constructs
// Lucene does not know (groups with ?, anchors are literal in Lucene).
func luceneRegexp(src string, fold bool) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^(?s:")
	if fold {
		b.WriteString("(?i)")
	}
	if err := translateLucene(src, &b); err != nil {
		return nil, err
	}
	b.WriteString(")$")
	return regexp.Compile(b.String())
}

func translateLucene(src string, b *strings.Builder) error {
	depth := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case '\\':
			if i+1 >= len(src) {
				return fmt.Errorf("trailing backslash")
			}
			r, n := utf8.DecodeRuneInString(src[i+1:])
			switch r {
			case 'd', 'D', 's', 'S', 'w', 'W':
				b.WriteByte('\\')
				b.WriteRune(r)
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
			i += 1 + n
		case '"':
			j := strings.IndexByte(src[i+1:], '"')
			if j < 0 {
				return fmt.Errorf("unterminated quoted string")
			}
			b.WriteString("(?:" + regexp.QuoteMeta(src[i+1:i+1+j]) + ")")
			i += j + 2
		case '.':
			b.WriteByte('.')
			i++
		case '@':
			b.WriteString("(?:.*)")
			i++
		case '#':
			b.WriteString(`[^\x00-\x{10FFFF}]`)
			i++
		case '(':
			if i+1 < len(src) && src[i+1] == '?' {
				return fmt.Errorf("(? is not Lucene syntax")
			}
			depth++
			b.WriteString("(?:")
			i++
		case ')':
			if depth == 0 {
				return fmt.Errorf("unbalanced )")
			}
			depth--
			b.WriteByte(')')
			i++
		case '|', '*', '+', '?':
			b.WriteByte(c)
			i++
		case '{':
			j := strings.IndexByte(src[i:], '}')
			if j < 0 || !repeatRE.MatchString(src[i:i+j+1]) {
				return fmt.Errorf("invalid repetition at %q", src[i:])
			}
			b.WriteString(src[i : i+j+1])
			i += j + 1
		case '[':
			n, err := translateClass(src[i:], b)
			if err != nil {
				return err
			}
			i += n
		case '~', '&':
			return fmt.Errorf("the operator %c (complement, intersection) is not supported", c)
		case '<':
			return fmt.Errorf("numeric intervals <n-m> are not supported")
		default:
			r, n := utf8.DecodeRuneInString(src[i:])
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += n
		}
	}
	if depth != 0 {
		return fmt.Errorf("unbalanced (")
	}
	return nil
}

var repeatRE = regexp.MustCompile(`^\{[0-9]+(,[0-9]*)?\}$`)

// translateClass translates a character class `[...]` at the start of s
// and returns its length in s.
func translateClass(s string, b *strings.Builder) (int, error) {
	i := 1
	b.WriteByte('[')
	if i < len(s) && s[i] == '^' {
		b.WriteByte('^')
		i++
	}
	first := true
	for {
		if i >= len(s) {
			return 0, fmt.Errorf("unterminated character class")
		}
		c := s[i]
		if c == ']' && !first {
			b.WriteByte(']')
			return i + 1, nil
		}
		first = false
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return 0, fmt.Errorf("trailing backslash")
			}
			r, n := utf8.DecodeRuneInString(s[i+1:])
			switch r {
			case 'd', 'D', 's', 'S', 'w', 'W':
				b.WriteByte('\\')
				b.WriteRune(r)
			default:
				writeClassRune(b, r)
			}
			i += 1 + n
		case c == '-' && i+1 < len(s) && s[i+1] != ']' && i > 1:
			b.WriteByte('-')
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			writeClassRune(b, r)
			i += n
		}
	}
}

func writeClassRune(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
		fmt.Fprintf(b, `\x{%x}`, r)
		return
	}
	b.WriteRune(r)
}

// headIndex narrows a long list of folded wildcard patterns for an ASCII
// value: a pattern's head (its text before the first `*`, where `?` is any
// one byte) must start the value, so a trie of heads walked along the value
// yields the only patterns that can match, whatever their number.
type headIndex struct {
	nodes []headNode
	free  []int // patterns starting with `*`: always candidates
}

type headNode struct {
	edge  headEdge   // the first edge (to 0: none), most nodes' only one
	edges []headEdge // the others
	any   int32      // the child through `?`, or -1
	ends  []int      // patterns whose head ends here
}

type headEdge struct {
	b  byte
	to int32
}

// minIndexed is how many wildcard patterns a list needs for a headIndex.
const minIndexed = 8

func newHeadIndex(ws []*wildcard) *headIndex {
	h := &headIndex{nodes: []headNode{{any: -1}}}
	for i, w := range ws {
		head := w.pat
		if j := strings.IndexByte(head, '*'); j >= 0 {
			head = head[:j]
		}
		if head == "" {
			h.free = append(h.free, i)
			continue
		}
		n := int32(0)
		for k := 0; k < len(head); k++ {
			n = h.child(n, head[k])
		}
		h.nodes[n].ends = append(h.nodes[n].ends, i)
	}
	return h
}

// child returns the node after n on byte c ('?': any byte), adding it.
func (h *headIndex) child(n int32, c byte) int32 {
	if c == '?' {
		if h.nodes[n].any < 0 {
			h.nodes = append(h.nodes, headNode{any: -1})
			h.nodes[n].any = int32(len(h.nodes) - 1)
		}
		return h.nodes[n].any
	}
	if e := h.nodes[n].edge; e.to != 0 && e.b == c {
		return e.to
	}
	for _, e := range h.nodes[n].edges {
		if e.b == c {
			return e.to
		}
	}
	h.nodes = append(h.nodes, headNode{any: -1})
	to := int32(len(h.nodes) - 1)
	if h.nodes[n].edge.to == 0 {
		h.nodes[n].edge = headEdge{b: c, to: to}
	} else {
		h.nodes[n].edges = append(h.nodes[n].edges, headEdge{b: c, to: to})
	}
	return to
}

// candidates appends to out the patterns whose head starts v lowered
// (ASCII).
func (h *headIndex) candidates(v string, out []int) []int {
	out = append(out, h.free...)
	type step struct {
		n   int32
		pos int
	}
	var stackBuf [8]step
	stack := append(stackBuf[:0], step{0, 0})
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		node := &h.nodes[s.n]
		out = append(out, node.ends...)
		if s.pos >= len(v) {
			continue
		}
		c := v[s.pos]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if e := node.edge; e.to != 0 && e.b == c {
			stack = append(stack, step{e.to, s.pos + 1})
		} else {
			for _, e := range node.edges {
				if e.b == c {
					stack = append(stack, step{e.to, s.pos + 1})
					break
				}
			}
		}
		if node.any >= 0 {
			stack = append(stack, step{node.any, s.pos + 1})
		}
	}
	return out
}
