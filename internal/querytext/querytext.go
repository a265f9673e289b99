// Package querytext holds what Vigil's query languages (KQL, EQL) share
// about their text: positions in it and syntax errors that show the
// offending line with a caret under the fault.
package querytext

import (
	"fmt"
	"strings"
	"unicode"
)

// Pos is a position in the query text. Offset is a byte offset; Line and Col
// are 1-based, Col counting runes (so the caret lines up under the fault).
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// Error is a syntax error in a query (kql.Error and eql.Error are this
// type); use errors.As to reach it.
type Error struct {
	Pos   Pos    // where the fault is; 1-based line and rune column
	Msg   string // what is wrong, lower case
	Hint  string // what to do about it, or ""
	Query string // the whole query, for Detail
}

// Error returns "line:col: msg".
func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// maxExcerpt is how many runes of the offending line Detail shows at most.
const maxExcerpt = 100

// Detail renders the error for people: the message, the offending line of
// the query with a caret under the fault, and the hint:
//
//	1:4: unexpected ":" after the value "C"
//	 | a:C:\Windows
//	 |    ^
//	hint: quote values that contain ':' ...
func (e *Error) Detail() string {
	var b strings.Builder
	b.WriteString(e.Error())
	if line, ok := queryLine(e.Query, e.Pos.Line); ok {
		runes := []rune(line)
		col := max(e.Pos.Col-1, 0)
		col = min(col, len(runes))
		// Keep long lines readable: show a window around the caret.
		start, end := 0, len(runes)
		if end > maxExcerpt {
			start = max(col-maxExcerpt/2, 0)
			end = min(start+maxExcerpt, len(runes))
			start = max(end-maxExcerpt, 0)
		}
		b.WriteString("\n | ")
		if start > 0 {
			b.WriteString("...")
		}
		b.WriteString(string(runes[start:end]))
		if end < len(runes) {
			b.WriteString("...")
		}
		b.WriteString("\n | ")
		if start > 0 {
			b.WriteString("   ")
		}
		for _, r := range runes[start:col] {
			switch {
			case r == '\t':
				b.WriteByte('\t') // keep the caret under the fault
			case zeroWidth(r):
			case wide(r):
				b.WriteString("  ") // a terminal gives it two columns
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('^')
	}
	if e.Hint != "" {
		b.WriteString("\nhint: ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// zeroWidth tells a rune a terminal draws over the one before it
// (combining marks, format characters such as U+200B).
func zeroWidth(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf)
}

// wide tells a rune a terminal draws two columns wide: the East Asian
// wide and fullwidth blocks (CJK, Hangul, kana, fullwidth forms) and
// emoji.
func wide(r rune) bool {
	for _, rg := range wideRanges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

var wideRanges = [][2]rune{
	{0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},
	{0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE30, 0xFE4F}, {0xFF00, 0xFF60},
	{0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
}

// queryLine returns the n-th (1-based) line of q without its line ending.
func queryLine(q string, n int) (string, bool) {
	if q == "" || n < 1 {
		return "", false
	}
	for i := 1; i < n; i++ {
		j := strings.IndexByte(q, '\n')
		if j < 0 {
			return "", false
		}
		q = q[j+1:]
	}
	if j := strings.IndexByte(q, '\n'); j >= 0 {
		q = q[:j]
	}
	return strings.TrimSuffix(q, "\r"), true
}

// EditDistance is the Levenshtein distance between a and b (insertions,
// deletions and substitutions of bytes), for "did you mean" suggestions.
// Strings over 64 bytes are 99 apart: suggestions are for names.
func EditDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// SkipBlank returns the offset in src past the blanks (space, tab, CR,
// LF) and the // and /* */ comments at off, as EQL and ES|QL write them;
// ok is false when a /* comment at the returned offset is not closed.
func SkipBlank(src string, off int) (end int, ok bool) {
	for off < len(src) {
		c := src[off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			off++
		case strings.HasPrefix(src[off:], "//"):
			i := strings.IndexByte(src[off:], '\n')
			if i < 0 {
				return len(src), true
			}
			off += i + 1
		case strings.HasPrefix(src[off:], "/*"):
			i := strings.Index(src[off+2:], "*/")
			if i < 0 {
				return off, false
			}
			off += 2 + i + 2
		default:
			return off, true
		}
	}
	return off, true
}
