package event

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxDepth is the deepest nesting of objects and arrays a document may have,
// the top-level object included: encoding/json's limit, so that both decoders
// accept the same documents.
const maxDepth = 10000

// SyntaxError reports a malformed document.
type SyntaxError struct {
	Offset int    // byte offset of the fault in the document
	Msg    string // what was wrong there
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("malformed JSON at byte %d: %s", e.Offset, e.Msg)
}

// scanner makes the single pass over an event's JSON that validates it and
// extracts the planned paths. The grammar is RFC 8259's, with encoding/json's
// choices where it leaves room: the top level must be one object, nesting is
// limited to maxDepth, and strings may hold invalid UTF-8 (each bad byte
// decodes to U+FFFD).
//
// Every method takes the offset of the first byte of what it scans and
// returns the offset just after it, or -1 once an error is recorded.
type scanner struct {
	d     []byte
	t     *trie
	e     *Event // receives the values
	depth int
	err   *SyntaxError
}

func (s *scanner) fail(off int, msg string) int {
	if s.err == nil {
		s.err = &SyntaxError{Offset: off, Msg: msg}
	}
	return -1
}

func (s *scanner) eof() int { return s.fail(len(s.d), "unexpected end of input") }

func (s *scanner) unexpected(i int) int {
	if i >= len(s.d) {
		return s.eof()
	}
	return s.fail(i, "unexpected "+quoteByte(s.d[i]))
}

// quoteByte shows a byte in an error message: 'x' when printable ASCII, else
// its hex code.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// document scans the whole input: one object, surrounded by whitespace.
func (s *scanner) document() {
	d := s.d
	i := skipWS(d, 0)
	if i >= len(d) {
		s.eof()
		return
	}
	if d[i] != '{' {
		s.fail(i, "expected an object, found "+quoteByte(d[i]))
		return
	}
	j, _ := s.object(i, 1)
	if j < 0 {
		return
	}
	if j = skipWS(d, j); j < len(d) {
		s.fail(j, "unexpected "+quoteByte(d[j])+" after the object")
	}
}

// skipWS returns the offset of the first non-whitespace byte at or after i.
func skipWS(d []byte, i int) int {
	for ; i < len(d); i++ {
		if c := d[i]; c > ' ' || (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
			return i
		}
	}
	return i
}

// object scans the object whose '{' is at i and whose path has trie node st:
// its keys are looked up below st (0: nothing planned below, skip it all).
// leaf reports whether the object holds a non-null scalar at any depth.
func (s *scanner) object(i int, st int32) (end int, leaf bool) {
	if s.depth++; s.depth > maxDepth {
		return s.fail(i, "nesting deeper than 10000 levels"), false
	}
	d := s.d
	var start *[256]uint8 // nil: skip every key
	if st != 0 {
		start = s.t.nodes[st].start
	}
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == '}' {
		s.depth--
		return i + 1, false
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return s.unexpected(i), false
		}
		var kst int32
		var j int
		if start == nil || i+1 >= len(d) || start[d[i+1]] == 0 {
			// No kid can start this way (see key).
			j = s.skipString(i + 1)
		} else {
			kst, j = s.key(i+1, st)
		}
		if j < 0 {
			return -1, false
		}
		if j = skipWS(d, j); j >= len(d) || d[j] != ':' {
			return s.unexpected(j), false
		}
		if j = skipWS(d, j+1); j >= len(d) {
			return s.eof(), false
		}
		var l bool
		if kst == 0 {
			j, l = s.skip(j)
		} else {
			j, l = s.value(j, kst)
		}
		if j < 0 {
			return -1, false
		}
		leaf = leaf || l
		if j = skipWS(d, j); j >= len(d) {
			return s.eof(), false
		}
		switch d[j] {
		case ',':
			i = skipWS(d, j+1)
		case '}':
			s.depth--
			return j + 1, leaf
		default:
			return s.unexpected(j), false
		}
	}
}

// array scans the array whose '[' is at i. Its elements all have the array's
// path, trie state st.
func (s *scanner) array(i int, st int32) (end int, leaf bool) {
	if s.depth++; s.depth > maxDepth {
		return s.fail(i, "nesting deeper than 10000 levels"), false
	}
	d := s.d
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == ']' {
		s.depth--
		return i + 1, false
	}
	for {
		if i >= len(d) {
			return s.eof(), false
		}
		var j int
		var l bool
		if st == 0 {
			j, l = s.skip(i)
		} else {
			j, l = s.value(i, st)
		}
		if j < 0 {
			return -1, false
		}
		leaf = leaf || l
		if j = skipWS(d, j); j >= len(d) {
			return s.eof(), false
		}
		switch d[j] {
		case ',':
			i = skipWS(d, j+1)
		case ']':
			s.depth--
			return j + 1, leaf
		default:
			return s.unexpected(j), false
		}
	}
}

// skip validates the value at i without extracting anything.
func (s *scanner) skip(i int) (end int, leaf bool) {
	switch c := s.d[i]; c {
	case '"':
		return s.skipString(i + 1), true
	case '{':
		return s.object(i, 0)
	case '[':
		return s.array(i, 0)
	case 't':
		return s.literal(i, "true"), true
	case 'f':
		return s.literal(i, "false"), true
	case 'n':
		return s.literal(i, "null"), false
	default:
		return s.number(i), true
	}
}

// value scans the value at i whose path has the live trie state st,
// extracting it when the path is planned.
func (s *scanner) value(i int, st int32) (end int, leaf bool) {
	n := &s.t.nodes[st]
	d := s.d
	switch c := d[i]; c {
	case '"':
		if n.id < 0 {
			return s.skipString(i + 1), true
		}
		j, str := s.str(i + 1)
		if j >= 0 {
			s.e.add(n.id, Value{Kind: KindString, Str: str})
		}
		return j, true
	case '{':
		kids := st
		if len(n.kids) == 0 {
			kids = 0
		}
		j, leaf := s.object(i, kids)
		if j >= 0 && leaf && n.id >= 0 {
			// Appended at the close, but no value of the same path can
			// come from inside it, so values stay in document order.
			s.e.add(n.id, Value{Kind: KindObject})
		}
		return j, leaf
	case '[':
		return s.array(i, st)
	case 't', 'f':
		word := "true"
		if c == 'f' {
			word = "false"
		}
		j := s.literal(i, word)
		if j >= 0 && n.id >= 0 {
			s.e.add(n.id, Value{Kind: KindBool, Bool: c == 't'})
		}
		return j, true
	case 'n':
		return s.literal(i, "null"), false
	default:
		j := s.number(i)
		if j >= 0 && n.id >= 0 {
			lit := d[i:j]
			s.e.add(n.id, Value{Kind: KindNumber, Str: aliasString(lit), Num: parseNumber(lit)})
		}
		return j, true
	}
}

// key looks up the key starting after the quote at i-1, segment by segment,
// below node st and returns the node of its path (0 when nothing planned
// follows).
func (s *scanner) key(i int, st int32) (kst int32, end int) {
	d, t := s.d, s.t
	start, st0 := i, st
	for {
		n := &t.nodes[st]
		if i >= len(d) {
			return 0, s.eof()
		}
		c := d[i]
		var first uint8
		if n.start != nil {
			first = n.start[c]
		}
		switch first {
		case 0:
			// The decoded key has this byte here too (it is no escape), so
			// no kid can match.
			return 0, s.skipString(i)
		case viaSegments:
			return s.keyBySegments(start, i, st, st0)
		}
		// Compare the raw bytes with the kids starting with c: with
		// eight bytes to read, their first eight bytes in one word first,
		// then the terminator, since these reject most.
		next, l := int32(0), 0
		var word uint64
		wide := i+8 <= len(d)
		if wide {
			word = binary.LittleEndian.Uint64(d[i:])
		}
		for k := int(first) - 1; k < len(n.kids); k++ {
			kid := &n.kids[k]
			if l = len(kid.seg); l > 0 && kid.seg[0] != c {
				break
			}
			if wide && word&kid.mask != kid.head {
				if l == 0 {
					break
				}
				continue
			}
			if i+l < len(d) && (d[i+l] == '"' || d[i+l] == '.') && (l <= 8 && wide || string(d[i:i+l]) == kid.seg) {
				next = kid.node
				break
			}
			if l == 0 {
				break // "" is the only kid for '"' and '.'
			}
		}
		if next == 0 {
			// No kid, unless escapes decode to one.
			j := plainRun(d, i)
			if j < len(d) && d[j] == '\\' {
				return s.slowKey(start, st0)
			}
			return 0, s.skipString(i)
		}
		if i += l; d[i] == '"' {
			return t.final(next), i + 1
		}
		st, i = next, i+1
	}
}

// keyBySegments goes on with a key from i, at node st, one segment at a
// time: the way for nodes whose kids cannot be compared with raw bytes.
func (s *scanner) keyBySegments(start, i int, st, st0 int32) (kst int32, end int) {
	d, t := s.d, s.t
	for {
		j := keyRun(d, i)
		if j >= len(d) {
			return 0, s.eof()
		}
		c := d[j]
		if c != '"' && c != '.' {
			// Decode first: escapes and invalid UTF-8 change the bytes.
			return s.slowKey(start, st0)
		}
		if st = t.childBytes(st, d[i:j]); st == 0 {
			if c == '"' {
				return 0, j + 1
			}
			return 0, s.skipString(j + 1)
		}
		if c == '"' {
			return t.final(st), j + 1
		}
		i = j + 1
	}
}

func (s *scanner) slowKey(start int, st int32) (kst int32, end int) {
	buf, end := s.unquote(s.e.scratch[:0], start)
	s.e.scratch = buf
	if end < 0 {
		return 0, -1
	}
	for {
		j := bytes.IndexByte(buf, '.')
		if j < 0 {
			return s.t.final(s.t.childBytes(st, buf)), end
		}
		if st = s.t.childBytes(st, buf[:j]); st == 0 {
			return 0, end
		}
		buf = buf[j+1:]
	}
}

// str decodes the string starting after the quote at i-1. A string without
// escapes and with valid UTF-8 aliases the document; others are decoded into
// the event's arena.
func (s *scanner) str(i int) (end int, str string) {
	d := s.d
	j := asciiRun(d, i)
	if j < len(d) && d[j] == '"' {
		return j + 1, aliasString(d[i:j])
	}
	if j < len(d) && d[j] >= utf8.RuneSelf {
		if j = plainRun(d, j); j < len(d) && d[j] == '"' && utf8.Valid(d[i:j]) {
			return j + 1, aliasString(d[i:j])
		}
	}
	a := s.e.arena
	start := len(a)
	a, end = s.unquote(a, i)
	s.e.arena = a
	if end < 0 {
		return -1, ""
	}
	return end, aliasString(a[start:])
}

// aliasString returns b as a string without copying: b must not change while
// the string is in use.
func aliasString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// SWAR constants: one in each byte, and each byte's top bit.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// Eight bytes at a time, a byte is flagged (its top bit set in the mask) when
// it equals c (zero in x^c), is below 0x20, or is at least 0x80. Borrows can
// flag bytes above the first hit, never below it, so the lowest flag is
// exact.

// plainRun returns the offset of the first '"', '\\' or control character at
// or after i (len(d) if none): the end of a run of plain string bytes.
func plainRun(d []byte, i int) int {
	for ; i+8 <= len(d); i += 8 {
		x := binary.LittleEndian.Uint64(d[i:])
		q := x ^ (lsb * '"')
		b := x ^ (lsb * '\\')
		if m := ((q - lsb) &^ q) | ((b - lsb) &^ b) | ((x - lsb*0x20) &^ x); m&msb != 0 {
			return i + bits.TrailingZeros64(m&msb)>>3
		}
	}
	for ; i < len(d); i++ {
		if c := d[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// asciiRun is plainRun that also stops at bytes of 0x80 and above.
func asciiRun(d []byte, i int) int {
	for ; i+8 <= len(d); i += 8 {
		x := binary.LittleEndian.Uint64(d[i:])
		q := x ^ (lsb * '"')
		b := x ^ (lsb * '\\')
		if m := ((q - lsb) &^ q) | ((b - lsb) &^ b) | ((x - lsb*0x20) &^ x) | x; m&msb != 0 {
			return i + bits.TrailingZeros64(m&msb)>>3
		}
	}
	for ; i < len(d); i++ {
		if c := d[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// keyRun is asciiRun that also stops at '.': the end of a key's segment.
func keyRun(d []byte, i int) int {
	for ; i+8 <= len(d); i += 8 {
		x := binary.LittleEndian.Uint64(d[i:])
		q := x ^ (lsb * '"')
		b := x ^ (lsb * '\\')
		p := x ^ (lsb * '.')
		if m := ((q - lsb) &^ q) | ((b - lsb) &^ b) | ((p - lsb) &^ p) | ((x - lsb*0x20) &^ x) | x; m&msb != 0 {
			return i + bits.TrailingZeros64(m&msb)>>3
		}
	}
	for ; i < len(d); i++ {
		if c := d[i]; c == '"' || c == '\\' || c == '.' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// skipString validates the string starting after the quote at i-1.
func (s *scanner) skipString(i int) int {
	d := s.d
	for {
		// plainRun, inlined: most strings end within a few words.
		for i+8 <= len(d) {
			x := binary.LittleEndian.Uint64(d[i:])
			q := x ^ (lsb * '"')
			b := x ^ (lsb * '\\')
			if m := ((q - lsb) &^ q) | ((b - lsb) &^ b) | ((x - lsb*0x20) &^ x); m&msb != 0 {
				i += bits.TrailingZeros64(m&msb) >> 3
				break
			}
			i += 8
		}
		for i < len(d) {
			if c := d[i]; c == '"' || c == '\\' || c < 0x20 {
				break
			}
			i++
		}
		if i >= len(d) {
			return s.eof()
		}
		switch c := d[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(d) {
				return s.eof()
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, j := s.hex4(i + 2); j < 0 {
					return -1
				}
				i += 6
			default:
				return s.fail(i, "invalid escape "+strconv.Quote(string(d[i:i+2]))+" in string")
			}
		default:
			return s.fail(i, "control character "+quoteByte(c)+" in string")
		}
	}
}

// hex4 reads the four hex digits of a \u escape at i.
func (s *scanner) hex4(i int) (r rune, end int) {
	d := s.d
	for k := 0; k < 4; k++ {
		if i+k >= len(d) {
			return 0, s.eof()
		}
		c := d[i+k]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, s.fail(i+k, "invalid \\u escape: "+quoteByte(c)+" is not a hex digit")
		}
		r = r<<4 | rune(c)
	}
	return r, i + 4
}

// unquote appends the decoded string starting after the quote at i-1 to dst,
// as encoding/json decodes it: escapes resolved, a \u surrogate pair joined,
// a lone surrogate and each byte of invalid UTF-8 replaced by U+FFFD.
func (s *scanner) unquote(dst []byte, i int) ([]byte, int) {
	d := s.d
	for {
		j := i
		for j < len(d) {
			if c := d[j]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				break
			}
			j++
		}
		dst = append(dst, d[i:j]...)
		if i = j; i >= len(d) {
			return dst, s.eof()
		}
		switch c := d[i]; {
		case c == '"':
			return dst, i + 1
		case c == '\\':
			if i+1 >= len(d) {
				return dst, s.eof()
			}
			switch e := d[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, j := s.hex4(i + 2)
				if j < 0 {
					return dst, -1
				}
				i = j
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
						if x, k := s.hex4(i + 2); k >= 0 {
							r2 = x
						} else {
							return dst, -1
						}
					}
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						dst = utf8.AppendRune(dst, pair)
						i += 6
						continue
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default:
				return dst, s.fail(i, "invalid escape "+strconv.Quote(string(d[i:i+2]))+" in string")
			}
			i += 2
		case c < 0x20:
			return dst, s.fail(i, "control character "+quoteByte(c)+" in string")
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\uFFFD"...)
			} else {
				dst = append(dst, d[i:i+size]...)
			}
			i += size
		}
	}
}

// literal checks that word (true, false or null) is at i.
func (s *scanner) literal(i int, word string) int {
	d := s.d
	if len(d)-i >= len(word) && string(d[i:i+len(word)]) == word {
		return i + len(word)
	}
	for k := 0; k < len(word); k++ {
		if i+k >= len(d) {
			return s.eof()
		}
		if d[i+k] != word[k] {
			return s.unexpected(i + k)
		}
	}
	return -1 // unreachable: the word matched
}

// number validates the number at i.
func (s *scanner) number(i int) int {
	end, ok := NumberEnd(s.d, i)
	if !ok {
		return s.unexpected(end)
	}
	return end
}

// NumberEnd returns the end of the JSON number at d[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. ok is false when there
// is none; end is then the offset of the byte that breaks it (len(d) when
// d ends first).
func NumberEnd(d []byte, i int) (end int, ok bool) {
	if d[i] == '-' {
		i++
	}
	if i >= len(d) {
		return i, false
	}
	switch c := d[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i = digits(d, i+1)
	default:
		return i, false
	}
	if i < len(d) && d[i] == '.' {
		j := digits(d, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(d, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// parseNumber returns the value of a valid JSON number literal, ±Inf when it
// overflows a float64 (as strconv.ParseFloat does).
func parseNumber(lit []byte) float64 {
	// Integers of up to 15 digits are exact in a float64.
	if n := len(lit); n <= 16 {
		neg := lit[0] == '-'
		k := 0
		if neg {
			k = 1
		}
		var u uint64
		for ; k < n; k++ {
			c := lit[k]
			if c < '0' || c > '9' {
				break
			}
			u = u*10 + uint64(c-'0')
		}
		if k == n && n-btoi(neg) <= 15 {
			f := float64(u)
			if neg {
				f = -f
			}
			return f
		}
	}
	f, _ := strconv.ParseFloat(aliasString(lit), 64)
	return f
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
