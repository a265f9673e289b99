package rule

import (
	"encoding/binary"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// quickDecode decodes the plain TOML rule files are written in, without
// go-toml/v2's reflection and per-byte string scanning: tables and arrays
// of tables with bare or quoted keys, key/value pairs (dotted keys
// included), strings of the four kinds, decimal integers, booleans, arrays
// and one-line inline tables. Strings without escapes are slices of text,
// which must not change afterwards.
//
// It gives the document decode's go-toml/v2 path gives (normalizeTOML's
// forms: []map[string]any for arrays of tables, []any for other arrays),
// or ok false: for any other TOML (floats, dates, other integer forms,
// carriage returns, TOML 1.1's additions) and for anything invalid or
// doubtful (a key or table defined twice, a table extended in a way TOML
// may forbid, a control character, text that is not UTF-8), which decode
// then hands to go-toml/v2 and BurntSushi/toml as before, so that errors
// and their positions stay theirs.
func quickDecode(text string) (doc map[string]any, ok bool) {
	if !quickText(text) {
		return nil, false
	}
	q := quickDecoders.Get().(*quickDecoder)
	defer q.release()
	q.s = text
	q.root = q.table(qHeader)
	if !q.document() || q.root.n == 0 {
		return nil, false
	}
	return q.build(q.root)
}

// quickDecoders keep decoders' working memory from one file to the next.
var quickDecoders = sync.Pool{New: func() any { return new(quickDecoder) }}

// release clears what q holds of its document and returns q to the pool.
func (q *quickDecoder) release() {
	clear(q.pairs)
	clear(q.tables)
	clear(q.items)
	*q = quickDecoder{pairs: q.pairs[:0], tables: q.tables[:0], items: q.items[:0]}
	quickDecoders.Put(q)
}

// quickText reports whether text is UTF-8 with no control character but
// tab and line feed: where TOML allows one (in strings and comments) and
// where it does not, quickDecode leaves such text to go-toml/v2. Eight
// bytes at a time while they are ASCII.
func quickText(text string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	b := unsafe.Slice(unsafe.StringData(text), len(text))
	i := 0
	for i < len(b) {
		end := len(b)
		if i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i : i+8])
			if w&highs == 0 {
				// ASCII: with each byte's high bit set, subtracting
				// never borrows across bytes, and a high bit clear
				// after it marks a byte below the subtrahend.
				below20 := ^((w | highs) - 0x20*ones) & highs
				if (w+ones)&highs != 0 { // 0x7f
					return false
				}
				if below20 != 0 {
					lf, tab := w^(0x0a*ones)|highs, w^(0x09*ones)|highs
					if below20&^(^(lf-ones)|^(tab-ones)) != 0 {
						return false
					}
				}
				i += 8
				continue
			}
			end = i + 8
		}
		for i < end {
			c := b[i]
			if c < utf8.RuneSelf {
				if (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f {
					return false
				}
				i++
				continue
			}
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return false
			}
			i += n
		}
	}
	return true
}

// Kinds of quickTable.
const (
	qImplicit = iota // made by a header naming a table below it: [a.b] makes a
	qHeader          // defined by its own [header]
	qDotted          // made by a dotted key (a.b = 1 makes a)
	qArray           // an array of tables, [[header]]: its last element is the table
)

// quickTable is a table of the document being decoded, with what TOML's
// rules on defining tables need to know of it. Its key/value pairs are
// linked in the decoder's pairs and become a map of their size at the end.
type quickTable struct {
	first, last int32 // its pairs in quickDecoder.pairs, -1: none
	n           int32
	kind        uint8
	section     int32         // qDotted: the header section that made it
	elems       []*quickTable // qArray: the elements
}

// quickPair is a key of a table and its value: a decoded value, or a
// *quickTable for a table or an array of tables below.
type quickPair struct {
	key  string
	val  any
	next int32 // the table's next pair, or -1
}

type quickDecoder struct {
	s       string
	i       int
	root    *quickTable
	section int32       // counts headers
	pairs   []quickPair // every table's pairs
	tables  []quickTable
	items   []any // the elements of the arrays being read, innermost last
}

// table returns a new table of kind.
func (q *quickDecoder) table(kind uint8) *quickTable {
	if len(q.tables) == cap(q.tables) {
		q.tables = make([]quickTable, 0, max(16, 2*cap(q.tables)))
	}
	q.tables = append(q.tables, quickTable{first: -1, last: -1, kind: kind})
	return &q.tables[len(q.tables)-1]
}

// put adds the pair k, v to t.
func (q *quickDecoder) put(t *quickTable, k string, v any) {
	i := int32(len(q.pairs))
	q.pairs = append(q.pairs, quickPair{key: k, val: v, next: -1})
	if t.last >= 0 {
		q.pairs[t.last].next = i
	} else {
		t.first = i
	}
	t.last = i
	t.n++
}

// child returns the table or array of tables below t at key k, nil if
// there is none; taken reports a value of another kind at k.
func (q *quickDecoder) child(t *quickTable, k string) (c *quickTable, taken bool) {
	for i := t.first; i >= 0; i = q.pairs[i].next {
		if p := &q.pairs[i]; p.key == k {
			c, ok := p.val.(*quickTable)
			return c, !ok
		}
	}
	return nil, false
}

// build makes t's map; ok false when a key came twice.
func (q *quickDecoder) build(t *quickTable) (map[string]any, bool) {
	m := make(map[string]any, t.n)
	for i := t.first; i >= 0; i = q.pairs[i].next {
		p := &q.pairs[i]
		v := p.val
		if c, ok := v.(*quickTable); ok {
			if c.kind != qArray {
				if v, ok = q.build(c); !ok {
					return nil, false
				}
			} else {
				list := make([]map[string]any, len(c.elems))
				for j, e := range c.elems {
					if list[j], ok = q.build(e); !ok {
						return nil, false
					}
				}
				v = list
			}
		}
		m[p.key] = v
	}
	return m, len(m) == int(t.n)
}

// next appends a table to an array of tables.
func (q *quickDecoder) next(a *quickTable) *quickTable {
	e := q.table(qHeader)
	a.elems = append(a.elems, e)
	return e
}

// document = { blank | comment | header | key/value } lines.
func (q *quickDecoder) document() bool {
	cur := q.root
	for {
		q.blank()
		if q.i >= len(q.s) {
			return true
		}
		switch q.s[q.i] {
		case '\n':
			q.i++
			continue
		case '#':
			q.comment()
			continue
		case '[':
			t, ok := q.header()
			if !ok {
				return false
			}
			cur = t
		default:
			if !q.keyValue(cur) {
				return false
			}
		}
		if !q.lineEnd() {
			return false
		}
	}
}

func (q *quickDecoder) blank() {
	for q.i < len(q.s) && (q.s[q.i] == ' ' || q.s[q.i] == '\t') {
		q.i++
	}
}

func (q *quickDecoder) comment() {
	if j := strings.IndexByte(q.s[q.i:], '\n'); j >= 0 {
		q.i += j
	} else {
		q.i = len(q.s)
	}
}

// lineEnd reads what may follow a value or header: blanks, a comment, then
// a line feed or the end.
func (q *quickDecoder) lineEnd() bool {
	q.blank()
	if q.i < len(q.s) && q.s[q.i] == '#' {
		q.comment()
	}
	if q.i >= len(q.s) {
		return true
	}
	if q.s[q.i] != '\n' {
		return false
	}
	q.i++
	return true
}

// header = "[" key "]" | "[[" key "]]"; it returns the table that the
// key/value lines below it fill.
func (q *quickDecoder) header() (*quickTable, bool) {
	q.i++ // [
	array := q.i < len(q.s) && q.s[q.i] == '['
	if array {
		q.i++
	}
	var buf [8]string
	path, ok := q.keyPath(buf[:0])
	if !ok || q.i >= len(q.s) || q.s[q.i] != ']' {
		return nil, false
	}
	q.i++
	if array {
		if q.i >= len(q.s) || q.s[q.i] != ']' {
			return nil, false
		}
		q.i++
	}
	q.section++
	t := q.root
	for n, k := range path {
		last := n == len(path)-1
		st, taken := q.child(t, k)
		if taken {
			return nil, false
		}
		if st == nil {
			if last && array {
				st = q.table(qArray)
				q.put(t, k, st)
				return q.next(st), true
			}
			st = q.table(qImplicit)
			if last {
				st.kind = qHeader
			}
			q.put(t, k, st)
			t = st
			continue
		}
		switch {
		case st.kind == qArray && last && array:
			return q.next(st), true
		case st.kind == qArray && !last:
			t = st.elems[len(st.elems)-1]
		case st.kind == qImplicit && last && !array:
			st.kind = qHeader
			return st, true
		case (st.kind == qImplicit || st.kind == qHeader) && !last:
			t = st
		default: // a table defined twice, or one dotted keys made
			return nil, false
		}
	}
	return t, true
}

// keyPath = key { "." key }, blanks around the dots and at both ends.
func (q *quickDecoder) keyPath(path []string) ([]string, bool) {
	for {
		q.blank()
		k, ok := q.key()
		if !ok {
			return nil, false
		}
		path = append(path, k)
		q.blank()
		if q.i >= len(q.s) || q.s[q.i] != '.' {
			return path, true
		}
		q.i++
	}
}

// key = bare key | basic string | literal string, not empty.
func (q *quickDecoder) key() (string, bool) {
	if q.i >= len(q.s) {
		return "", false
	}
	switch q.s[q.i] {
	case '"':
		if strings.HasPrefix(q.s[q.i:], `"""`) {
			return "", false
		}
		k, ok := q.basic()
		return k, ok && k != ""
	case '\'':
		if strings.HasPrefix(q.s[q.i:], `'''`) {
			return "", false
		}
		k, ok := q.literal()
		return k, ok && k != ""
	}
	j := q.i
	for j < len(q.s) && bareKeyByte(q.s[j]) {
		j++
	}
	if j == q.i {
		return "", false
	}
	k := q.s[q.i:j]
	q.i = j
	return k, true
}

func bareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// keyValue = keyPath "=" value, into table t; dotted keys make tables of
// this section, and nothing is defined twice.
func (q *quickDecoder) keyValue(t *quickTable) bool {
	var buf [8]string
	path, ok := q.keyPath(buf[:0])
	if !ok || q.i >= len(q.s) || q.s[q.i] != '=' {
		return false
	}
	q.i++
	q.blank()
	for _, k := range path[:len(path)-1] {
		st, taken := q.child(t, k)
		if taken {
			return false
		}
		if st == nil {
			st = q.table(qDotted)
			st.section = q.section
			q.put(t, k, st)
		} else if st.kind != qDotted || st.section != q.section {
			return false
		}
		t = st
	}
	// A key given twice is found when the map is made (build).
	v, ok := q.value(0)
	if !ok {
		return false
	}
	q.put(t, path[len(path)-1], v)
	return true
}

// maxQuickDepth bounds arrays and inline tables within each other; deeper
// documents go to go-toml/v2.
const maxQuickDepth = 32

// value = string | integer | boolean | array | inline table.
func (q *quickDecoder) value(depth int) (any, bool) {
	if q.i >= len(q.s) || depth > maxQuickDepth {
		return nil, false
	}
	switch c := q.s[q.i]; c {
	case '"':
		if strings.HasPrefix(q.s[q.i:], `"""`) {
			return q.multiline('"')
		}
		return q.basic()
	case '\'':
		if strings.HasPrefix(q.s[q.i:], `'''`) {
			return q.multiline('\'')
		}
		return q.literal()
	case '[':
		return q.array(depth)
	case '{':
		return q.inline(depth)
	}
	j := q.i
	for j < len(q.s) && !valueEnd(q.s[j]) {
		j++
	}
	tok := q.s[q.i:j]
	q.i = j
	switch tok {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return decimal(tok)
}

func valueEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == ',' || c == ']' || c == '}' || c == '#'
}

// decimal reads a TOML decimal integer without underscores: [+-](0 | [1-9][0-9]*).
func decimal(tok string) (any, bool) {
	digits := tok
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	if digits == "" || (digits[0] == '0' && len(digits) > 1) {
		return nil, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, false
		}
	}
	n, err := strconv.ParseInt(tok, 10, 64)
	return n, err == nil
}

// array = "[" { blank | newline | comment } [ value { "," ... value } [","] ] "]".
func (q *quickDecoder) array(depth int) (any, bool) {
	q.i++ // [
	start := len(q.items)
	defer func() {
		clear(q.items[start:])
		q.items = q.items[:start]
	}()
	tables := true
	for {
		q.arrayBlank()
		if q.at(']') {
			break
		}
		v, ok := q.value(depth + 1) // false at the end of the text
		if !ok {
			return nil, false
		}
		if _, ok := v.(map[string]any); !ok {
			tables = false
		}
		q.items = append(q.items, v)
		q.arrayBlank()
		if q.at(',') {
			continue
		}
		if !q.at(']') {
			return nil, false
		}
		break
	}
	items := q.items[start:]
	if tables && len(items) > 0 {
		maps := make([]map[string]any, len(items))
		for i, v := range items {
			maps[i] = v.(map[string]any)
		}
		return maps, true
	}
	return append(make([]any, 0, len(items)), items...), true
}

// at moves past c if it comes next.
func (q *quickDecoder) at(c byte) bool {
	if q.i < len(q.s) && q.s[q.i] == c {
		q.i++
		return true
	}
	return false
}

// arrayBlank skips blanks, line feeds and comments within an array.
func (q *quickDecoder) arrayBlank() {
	for q.i < len(q.s) {
		switch q.s[q.i] {
		case ' ', '\t', '\n':
			q.i++
		case '#':
			q.comment()
		default:
			return
		}
	}
}

// inline = "{" [ key "=" value { "," key "=" value } ] "}" on one line,
// keys not dotted, no comma after the last (TOML 1.0).
func (q *quickDecoder) inline(depth int) (any, bool) {
	q.i++ // {
	m := map[string]any{}
	q.blank()
	if q.i < len(q.s) && q.s[q.i] == '}' {
		q.i++
		return m, true
	}
	for {
		q.blank()
		k, ok := q.key()
		if !ok {
			return nil, false
		}
		q.blank()
		if q.i >= len(q.s) || q.s[q.i] != '=' {
			return nil, false
		}
		q.i++
		q.blank()
		if _, taken := m[k]; taken {
			return nil, false
		}
		v, ok := q.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k] = v
		q.blank()
		if q.i >= len(q.s) {
			return nil, false
		}
		switch q.s[q.i] {
		case ',':
			q.i++
		case '}':
			q.i++
			return m, true
		default:
			return nil, false
		}
	}
}

// literal = "'" { any but "'" and line feed } "'".
func (q *quickDecoder) literal() (string, bool) {
	rest := q.s[q.i+1:]
	j := strings.IndexAny(rest, "'\n")
	if j < 0 || rest[j] != '\'' {
		return "", false
	}
	q.i += j + 2
	return rest[:j], true
}

// basic = '"' { char | escape } '"' on one line.
func (q *quickDecoder) basic() (string, bool) {
	start := q.i + 1
	j := start
	for j < len(q.s) && q.s[j] != '"' && q.s[j] != '\\' && q.s[j] != '\n' {
		j++
	}
	if j < len(q.s) && q.s[j] == '"' {
		q.i = j + 1
		return q.s[start:j], true
	}
	var b strings.Builder
	b.WriteString(q.s[start:j])
	for j < len(q.s) {
		switch q.s[j] {
		case '"':
			q.i = j + 1
			return b.String(), true
		case '\n':
			return "", false
		case '\\':
			n, ok := escape(&b, q.s, j)
			if !ok {
				return "", false
			}
			j = n
		default:
			j = copyRun(&b, q.s, j, true)
		}
	}
	return "", false
}

// copyRun writes s from j to the next quote, backslash or (stopAtLF) line
// feed after it, and returns that index.
func copyRun(b *strings.Builder, s string, j int, stopAtLF bool) int {
	k := j + 1
	for k < len(s) && s[k] != '"' && s[k] != '\\' && (s[k] != '\n' || !stopAtLF) {
		k++
	}
	b.WriteString(s[j:k])
	return k
}

// escape writes the escape at s[j] (a backslash) and returns the index
// after it: TOML 1.0's escapes only.
func escape(b *strings.Builder, s string, j int) (int, bool) {
	if j+1 >= len(s) {
		return 0, false
	}
	var c byte
	switch s[j+1] {
	case 'b':
		c = '\b'
	case 't':
		c = '\t'
	case 'n':
		c = '\n'
	case 'f':
		c = '\f'
	case 'r':
		c = '\r'
	case '"':
		c = '"'
	case '\\':
		c = '\\'
	case 'u', 'U':
		n := 4
		if s[j+1] == 'U' {
			n = 8
		}
		if j+2+n > len(s) {
			return 0, false
		}
		hex := s[j+2 : j+2+n]
		for i := 0; i < len(hex); i++ {
			if !isHex(hex[i]) {
				return 0, false
			}
		}
		r, err := strconv.ParseUint(hex, 16, 32)
		if err != nil || !utf8.ValidRune(rune(r)) {
			return 0, false
		}
		b.WriteRune(rune(r))
		return j + 2 + n, true
	default:
		return 0, false
	}
	b.WriteByte(c)
	return j + 2, true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// multiline reads a multi-line string delimited by three quotes of kind
// (" or '): a line feed right after the opening quotes is dropped, one or
// two quotes in a row are text, and three to five end it (the first ones
// then text). In basic ones ("""), escapes are read and a backslash at a
// line's end drops the blanks and line feeds that follow it.
func (q *quickDecoder) multiline(quote byte) (string, bool) {
	start := q.i + 3
	if start < len(q.s) && q.s[start] == '\n' {
		start++
	}
	// The common case: no escape before the end, so the text is a slice.
	esc := -1
	if quote == '"' {
		if esc = strings.IndexByte(q.s[start:], '\\'); esc >= 0 {
			esc += start
		}
	}
	j := start
	for {
		k := strings.IndexByte(q.s[j:], quote)
		if esc >= 0 && (k < 0 || esc < j+k) {
			return q.multilineEscaped(start)
		}
		if k < 0 {
			return "", false
		}
		j += k
		run := quoteRun(q.s, j, quote)
		if run < 3 {
			j += run
			continue
		}
		if run > 5 {
			return "", false
		}
		q.i = j + run
		return q.s[start : j+run-3], true
	}
}

func quoteRun(s string, j int, quote byte) int {
	n := 0
	for j+n < len(s) && s[j+n] == quote {
		n++
	}
	return n
}

// multilineEscaped is multiline for a basic string with escapes, from its
// text's start.
func (q *quickDecoder) multilineEscaped(start int) (string, bool) {
	var b strings.Builder
	j := start
	for j < len(q.s) {
		switch q.s[j] {
		case '"':
			run := quoteRun(q.s, j, '"')
			if run < 3 {
				b.WriteString(q.s[j : j+run])
				j += run
				continue
			}
			if run > 5 {
				return "", false
			}
			b.WriteString(q.s[j : j+run-3])
			q.i = j + run
			return b.String(), true
		case '\\':
			// A line-ending backslash: blanks, then a line feed.
			k := j + 1
			for k < len(q.s) && (q.s[k] == ' ' || q.s[k] == '\t') {
				k++
			}
			if k < len(q.s) && q.s[k] == '\n' {
				for k < len(q.s) && (q.s[k] == ' ' || q.s[k] == '\t' || q.s[k] == '\n') {
					k++
				}
				j = k
				continue
			}
			n, ok := escape(&b, q.s, j)
			if !ok {
				return "", false
			}
			j = n
		default:
			j = copyRun(&b, q.s, j, false)
		}
	}
	return "", false
}
