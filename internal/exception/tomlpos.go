package exception

import (
	"strconv"
	"strings"
)

// BurntSushi/toml decodes the file but keeps the positions of keys to
// itself, so the lines of tables, inline tables and keys are found here by a
// small scanner over the (already validated) TOML text. It names every
// table by its indexed path, e.g. list[0].item[1].entry[0] for the first
// entry of the second item of the first list, whether it was written as a
// [[list.item.entry]] header or as an inline table in an array. A document
// it does not follow only costs precision: lookups fall back to the
// enclosing table's line, or to 0.

// tomlPos holds the lines found.
type tomlPos struct {
	tables map[string]int // indexed table path -> line
	keys   map[string]int // indexed key path -> line (first occurrence)
	order  []keyPos       // every key and table header, in document order
}

type keyPos struct {
	plain   string // the path without indices: list.item.entry.operator
	indexed string // list[0].item[1].entry[0].operator
	line    int
}

// table returns the line of an indexed table path, or of the closest
// enclosing table found; 0 if none.
func (p *tomlPos) table(path string) int {
	for path != "" {
		if n, ok := p.tables[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// key returns the line of key in the table at path, else the table's line.
func (p *tomlPos) key(path, key string) int {
	if n, ok := p.keys[path+"."+key]; ok {
		return n
	}
	return p.table(path)
}

// nth returns the n-th (0-based) key whose plain path is plain.
func (p *tomlPos) nth(plain string, n int) (keyPos, bool) {
	for _, k := range p.order {
		if k.plain == plain {
			if n == 0 {
				return k, true
			}
			n--
		}
	}
	return keyPos{}, false
}

// maxScanDepth bounds the nesting of arrays and inline tables followed.
const maxScanDepth = 64

type tomlScanner struct {
	src   string
	i     int
	line  int
	depth int
	pos   *tomlPos
	// Array-of-tables headers: which plain paths are arrays, and the index
	// of the element being filled.
	arrays map[string]bool
	cur    map[string]int
}

func scanTOML(src string) *tomlPos {
	s := &tomlScanner{src: src, line: 1, pos: &tomlPos{tables: map[string]int{}, keys: map[string]int{}},
		arrays: map[string]bool{}, cur: map[string]int{}}
	s.document()
	return s.pos
}

func (s *tomlScanner) peek(k int) byte {
	if s.i+k < len(s.src) {
		return s.src[s.i+k]
	}
	return 0
}

func (s *tomlScanner) next() {
	if s.i < len(s.src) {
		if s.src[s.i] == '\n' {
			s.line++
		}
		s.i++
	}
}

// space skips spaces and tabs; with newlines, also line ends and comments.
func (s *tomlScanner) space(newlines bool) {
	for s.i < len(s.src) {
		switch c := s.src[s.i]; {
		case c == ' ' || c == '\t':
			s.i++
		case newlines && (c == '\n' || c == '\r'):
			s.next()
		case newlines && c == '#':
			for s.i < len(s.src) && s.src[s.i] != '\n' {
				s.i++
			}
		default:
			return
		}
	}
}

// skipLine moves to the start of the next line.
func (s *tomlScanner) skipLine() {
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		s.i++
	}
	s.next()
}

func (s *tomlScanner) document() {
	plain, indexed := "", ""
	for s.i < len(s.src) {
		start := s.i
		s.space(true)
		if s.i >= len(s.src) {
			return
		}
		switch s.src[s.i] {
		case '[':
			array := s.peek(1) == '['
			line := s.line
			s.i++
			if array {
				s.i++
			}
			segs := s.keyPath()
			plain = strings.Join(segs, ".")
			if array {
				for p := range s.cur {
					if strings.HasPrefix(p, plain+".") {
						delete(s.cur, p)
					}
				}
				s.arrays[plain] = true
				if _, ok := s.cur[plain]; ok {
					s.cur[plain]++
				} else {
					s.cur[plain] = 0
				}
			}
			indexed = s.indexPath(segs)
			s.pos.tables[indexed] = line
			s.pos.order = append(s.pos.order, keyPos{plain: plain, indexed: indexed, line: line})
			s.skipLine()
		default:
			s.keyValue(plain, indexed)
			s.skipLine()
		}
		if s.i == start {
			s.next() // never stall on text the scanner does not follow
		}
	}
}

// indexPath writes the segments of a header with the indices of the arrays
// of tables among them.
func (s *tomlScanner) indexPath(segs []string) string {
	var plain, out strings.Builder
	for k, seg := range segs {
		if k > 0 {
			plain.WriteByte('.')
			out.WriteByte('.')
		}
		plain.WriteString(seg)
		out.WriteString(seg)
		if s.arrays[plain.String()] {
			out.WriteString("[" + strconv.Itoa(s.cur[plain.String()]) + "]")
		}
	}
	return out.String()
}

// keyPath reads a dotted key: bare or quoted segments separated by dots.
func (s *tomlScanner) keyPath() []string {
	var segs []string
	for {
		s.space(false)
		var seg string
		switch c := s.peek(0); {
		case c == '"' || c == '\'':
			q := c
			s.i++
			var b strings.Builder
			for s.i < len(s.src) && s.src[s.i] != q && s.src[s.i] != '\n' {
				if q == '"' && s.src[s.i] == '\\' && s.i+1 < len(s.src) {
					s.i++
				}
				b.WriteByte(s.src[s.i])
				s.i++
			}
			if s.peek(0) == q {
				s.i++
			}
			seg = b.String()
		default:
			j := s.i
			for j < len(s.src) && isBareKey(s.src[j]) {
				j++
			}
			seg = s.src[s.i:j]
			s.i = j
		}
		segs = append(segs, seg)
		s.space(false)
		if s.peek(0) != '.' {
			return segs
		}
		s.i++
	}
}

func isBareKey(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// keyValue reads key = value in the table at plain/indexed.
func (s *tomlScanner) keyValue(plain, indexed string) {
	line := s.line
	segs := s.keyPath()
	if s.peek(0) != '=' {
		return
	}
	s.i++
	key := strings.Join(segs, ".")
	kp := keyPos{plain: join(plain, key), indexed: join(indexed, key), line: line}
	s.pos.order = append(s.pos.order, kp)
	if _, ok := s.pos.keys[kp.indexed]; !ok {
		s.pos.keys[kp.indexed] = line
	}
	s.space(false)
	s.value(kp.plain, kp.indexed)
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// value skips a value, recording the inline tables of arrays and their keys.
func (s *tomlScanner) value(plain, indexed string) {
	if s.depth >= maxScanDepth {
		return
	}
	s.depth++
	defer func() { s.depth-- }()
	switch c := s.peek(0); c {
	case '"', '\'':
		s.str(c)
	case '[':
		s.i++
		for n := 0; ; n++ {
			s.space(true)
			if s.i >= len(s.src) {
				return
			}
			if s.peek(0) == ']' {
				s.i++
				return
			}
			el := indexed + "[" + strconv.Itoa(n) + "]"
			if s.peek(0) == '{' {
				s.pos.tables[el] = s.line
			}
			start := s.i
			s.value(plain, el)
			s.space(true)
			switch s.peek(0) {
			case ',':
				s.i++
			case ']':
				s.i++
				return
			default:
				if s.i == start {
					return
				}
			}
		}
	case '{':
		s.i++
		for {
			s.space(true)
			if s.i >= len(s.src) {
				return
			}
			if s.peek(0) == '}' {
				s.i++
				return
			}
			start := s.i
			s.keyValue(plain, indexed)
			s.space(true)
			switch s.peek(0) {
			case ',':
				s.i++
			case '}':
				s.i++
				return
			default:
				if s.i == start {
					return
				}
			}
		}
	default:
		for s.i < len(s.src) && !strings.ContainsRune(",]}#\r\n", rune(s.src[s.i])) {
			s.i++
		}
	}
}

// str skips a string quoted with q: basic or literal, on one line or
// multi-line.
func (s *tomlScanner) str(q byte) {
	if s.peek(1) == q && s.peek(2) == q {
		s.i += 3
		for s.i < len(s.src) {
			if q == '"' && s.src[s.i] == '\\' {
				s.next()
				s.next()
				continue
			}
			if s.src[s.i] == q && s.peek(1) == q && s.peek(2) == q {
				s.i += 3
				for s.peek(0) == q { // up to two more quotes belong to the content
					s.i++
				}
				return
			}
			s.next()
		}
		return
	}
	s.i++
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		c := s.src[s.i]
		if q == '"' && c == '\\' {
			s.i += 2
			continue
		}
		s.i++
		if c == q {
			return
		}
	}
}
