package rule

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// posIndex records where each key, table and array element of a TOML
// document starts, so that problems found in the decoded values can point
// at the text: [rule.threshold] value, the second [[rule.threat_mapping]]'s
// first entry, the third element of group_by, a key inside an inline table.
//
// A path is a list of segments: keys as decoded, and "[i]" for the i-th
// element of an array (of tables or of values). Where a key appears more
// than once (a table and its dotted keys), the first place wins.
type posIndex struct {
	at         map[string]int // path -> byte offset
	arrays     map[string]int // path of an array of tables -> elements seen
	src        string
	lineStarts []int
}

type filePos struct{ line, col int }

// maxValueDepth bounds the nesting of arrays and inline tables the scanner
// descends into; deeper values are skipped without positions.
const maxValueDepth = 64

func pathKey(segs []string) string { return strings.Join(segs, "\x00") }

func elemSeg(i int) string { return "[" + strconv.Itoa(i) + "]" }

// lookup returns the position of path, or of its closest ancestor that has
// one, and whether it found any.
func (x *posIndex) lookup(path []string) (filePos, bool) {
	for n := len(path); n > 0; n-- {
		if off, ok := x.at[pathKey(path[:n])]; ok {
			return x.pos(off), true
		}
	}
	return filePos{}, false
}

// pos is the line and column (in characters, from 1) of byte offset i.
func (x *posIndex) pos(i int) filePos {
	line := sort.Search(len(x.lineStarts), func(n int) bool { return x.lineStarts[n] > i }) - 1
	line = max(line, 0)
	start := x.lineStarts[line]
	return filePos{line: line + 1, col: utf8.RuneCountInString(x.src[start:min(max(i, start), len(x.src))]) + 1}
}

// indexPositions scans a TOML document (one that decoded without error;
// anything else is scanned on a best-effort basis and never panics).
func indexPositions(src string) *posIndex {
	idx := &posIndex{at: map[string]int{}, arrays: map[string]int{}, src: src, lineStarts: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			idx.lineStarts = append(idx.lineStarts, i+1)
		}
	}
	s := &posScanner{src: src, idx: idx}
	s.document()
	return s.idx
}

// posScanner fills a posIndex; positions are byte offsets until looked up.
type posScanner struct {
	src string
	i   int
	idx *posIndex
	cur []string // the current table's path
}

func (s *posScanner) record(path []string, p int) {
	k := pathKey(path)
	if _, ok := s.idx.at[k]; !ok {
		s.idx.at[k] = p
	}
}

// recordPrefixes records path and its prefixes longer than from.
func (s *posScanner) recordPrefixes(path []string, from int, p int) {
	for n := from + 1; n <= len(path); n++ {
		s.record(path[:n], p)
	}
}

func (s *posScanner) peek() byte {
	if s.i < len(s.src) {
		return s.src[s.i]
	}
	return 0
}

func (s *posScanner) eat(tok string) bool {
	if strings.HasPrefix(s.src[s.i:], tok) {
		s.i += len(tok)
		return true
	}
	return false
}

// skipBlank skips spaces and tabs.
func (s *posScanner) skipBlank() {
	for s.i < len(s.src) && (s.src[s.i] == ' ' || s.src[s.i] == '\t') {
		s.i++
	}
}

// skipSpace skips blanks, newlines and comments.
func (s *posScanner) skipSpace() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		case '#':
			s.skipLine()
		default:
			return
		}
	}
}

func (s *posScanner) skipLine() {
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		s.i++
	}
}

// document = { table-header | array-table-header | key "=" value }
func (s *posScanner) document() {
	for {
		s.skipSpace()
		if s.i >= len(s.src) {
			return
		}
		start := s.i
		p := start
		switch {
		case s.eat("[["):
			keys := s.key()
			s.skipBlank()
			if len(keys) > 0 && s.eat("]]") {
				s.arrayTable(keys, p)
			}
		case s.eat("["):
			keys := s.key()
			s.skipBlank()
			if len(keys) > 0 && s.eat("]") {
				s.table(keys, p)
			}
		default:
			keys := s.key()
			s.skipBlank()
			if len(keys) > 0 && s.eat("=") {
				path := append(append([]string(nil), s.cur...), keys...)
				s.recordPrefixes(path, len(s.cur), p)
				s.skipBlank()
				s.value(path, 0)
			}
		}
		s.skipBlank()
		if s.i == start || s.peek() != '\n' && s.peek() != '#' {
			s.skipLine() // malformed or trailing text: resume on the next line
		}
	}
}

// resolve maps a header's keys to a path: a key naming an array of tables
// means its latest element.
func (s *posScanner) resolve(keys []string) []string {
	var path []string
	for _, k := range keys {
		path = append(path, k)
		if n, ok := s.idx.arrays[pathKey(path)]; ok {
			path = append(path, elemSeg(n-1))
		}
	}
	return path
}

// table handles [a.b.c].
func (s *posScanner) table(keys []string, p int) {
	path := s.resolve(keys)
	s.recordPrefixes(path, 0, p)
	s.cur = path
}

// arrayTable handles [[a.b.c]]: a new element of the array a.b.c.
func (s *posScanner) arrayTable(keys []string, p int) {
	base := append(s.resolve(keys[:len(keys)-1]), keys[len(keys)-1])
	k := pathKey(base)
	n := s.idx.arrays[k]
	s.idx.arrays[k] = n + 1
	path := append(base, elemSeg(n))
	s.recordPrefixes(path, 0, p)
	s.cur = path
}

// key = simple-key { "." simple-key }
func (s *posScanner) key() []string {
	var keys []string
	for {
		s.skipBlank()
		k, ok := s.simpleKey()
		if !ok {
			return keys
		}
		keys = append(keys, k)
		s.skipBlank()
		if s.peek() != '.' {
			return keys
		}
		s.i++
	}
}

// simple-key = bare-key | basic-string | literal-string
func (s *posScanner) simpleKey() (string, bool) {
	start := s.i
	switch s.peek() {
	case '"':
		s.skipString()
		raw := s.src[start:s.i]
		if k, err := strconv.Unquote(raw); err == nil {
			return k, true
		}
		return strings.Trim(raw, `"`), true
	case '\'':
		s.skipString()
		return strings.Trim(s.src[start:s.i], "'"), true
	}
	for s.i < len(s.src) {
		c := s.src[s.i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			s.i++
			continue
		}
		break
	}
	return s.src[start:s.i], s.i > start
}

// value = string | array | inline-table | scalar
func (s *posScanner) value(path []string, depth int) {
	switch s.peek() {
	case '"', '\'':
		s.skipString()
	case '[':
		if depth >= maxValueDepth {
			s.skipNested()
			return
		}
		s.i++
		for n := 0; ; n++ {
			s.skipSpace()
			if s.i >= len(s.src) || s.eat("]") {
				return
			}
			el := append(append([]string(nil), path...), elemSeg(n))
			s.record(el, s.i)
			s.value(el, depth+1)
			s.skipSpace()
			if s.eat(",") {
				continue
			}
			s.eat("]")
			return
		}
	case '{':
		if depth >= maxValueDepth {
			s.skipNested()
			return
		}
		s.i++
		for {
			s.skipSpace()
			if s.i >= len(s.src) || s.eat("}") {
				return
			}
			p := s.i
			keys := s.key()
			s.skipBlank()
			if len(keys) == 0 || !s.eat("=") {
				return
			}
			sub := append(append([]string(nil), path...), keys...)
			s.recordPrefixes(sub, len(path), p)
			s.skipBlank()
			s.value(sub, depth+1)
			s.skipSpace()
			if s.eat(",") {
				continue
			}
			s.eat("}")
			return
		}
	default:
		for s.i < len(s.src) && !strings.ContainsRune(",]}#\n", rune(s.src[s.i])) {
			s.i++
		}
	}
}

// skipNested skips an array or inline table without recording positions.
func (s *posScanner) skipNested() {
	depth := 0
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case '"', '\'':
			s.skipString()
			continue
		case '#':
			s.skipLine()
			continue
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		}
		s.i++
		if depth <= 0 {
			return
		}
	}
}

// skipString skips a basic, literal or multi-line string.
func (s *posScanner) skipString() {
	q := s.src[s.i]
	triple := strings.Repeat(string(q), 3)
	if s.eat(triple) {
		for s.i < len(s.src) {
			if q == '"' && s.src[s.i] == '\\' {
				s.i += 2
				continue
			}
			if s.eat(triple) {
				for n := 0; n < 2 && s.peek() == q; n++ { // up to two quotes end the content
					s.i++
				}
				return
			}
			s.i++
		}
		s.i = len(s.src)
		return
	}
	s.i++
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		c := s.src[s.i]
		s.i++
		if q == '"' && c == '\\' {
			s.i++
			continue
		}
		if c == q {
			return
		}
	}
	s.i = min(s.i, len(s.src))
}
