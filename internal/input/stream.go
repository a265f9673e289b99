package input

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// The whole-document reader: top-level JSON arrays, {"records":[...]} and
// {"value":[...]} envelopes, pretty-printed objects and any sequence of
// them, read a value (or an array's element) at a time from a buffer that
// holds one record at most, so that memory stays flat and time linear
// whatever the input's size.
//
// Each record is bounded as an NDJSON line is (maxLine): a longer one is
// reported where it starts and skipped, following its structure without
// keeping it. Broken structure (a closing bracket that does not match, a
// newline inside a string, the end of the input inside a value) is
// reported where it is found; the reader then resumes at the next '{' that
// can start a record: one after ',' or '[' or first on its line.

const (
	docBuffer = 1 << 20
	// envelopeBudget bounds how much of an object whose first key is
	// "records" or "value" is scanned to tell an envelope (that only key)
	// from a record that has other keys; a longer one is streamed as an
	// envelope.
	envelopeBudget = 4 << 20
	maxDepth       = 10000
	// maxResyncTries bounds the failed attempts at a record that the
	// recovery after broken structure makes from inside the broken
	// region; past it, it searches on from where the last one failed.
	maxResyncTries = 16
)

type docState int

const (
	atTop      docState = iota // between top-level values
	inArray                    // in a top-level array, before an element
	inEnvelope                 // in an envelope's array, before an element
)

// cursor is a position in the input with its line and column.
type cursor struct {
	off       int64 // input offset
	line      int   // 1-based
	lineStart int64 // input offset of the line's first byte
}

func (c cursor) col() int { return int(c.off-c.lineStart) + 1 }

// doc is the state of a whole-document reader.
type doc struct {
	name  string
	src   io.Reader
	limit int // bound of one record

	buf      []byte
	pos, end int   // buf[pos:end] is unread
	mark     int   // -1, or the first byte fill must keep
	base     int64 // input offset of buf[0]
	cur      cursor
	err      error // the read error that ended the input (io.EOF at the end)
	reported bool  // the read error (other than io.EOF) was reported

	state    docState
	index    int    // the next element's index in the current array
	sep      bool   // an element was read: ',' or ']' comes next
	open     cursor // where the current array (or envelope) opened
	skipping bool   // the rest of an oversized record is being skipped
	skipIdx  int    // its index
	tries    int    // failed attempts since the last good record
	atEnd    bool   // a value was cut by the end of the input (reported)

	// The value being scanned (resumable across reads).
	stack []byte
	inStr bool
	esc   bool
}

func newDoc(name string, src io.Reader, limit int) *doc {
	return &doc{name: name, src: src, limit: limit, buf: make([]byte, docBuffer), mark: -1, cur: cursor{line: 1}}
}

// fill reads more input into buf, keeping buf[min(mark, pos):]. It returns
// false at the end of the input (d.err is set).
func (d *doc) fill() bool {
	if d.err != nil {
		return false
	}
	keep := d.pos
	if d.mark >= 0 && d.mark < keep {
		keep = d.mark
	}
	if d.cur.off < d.base+int64(keep) {
		d.advance(&d.cur, keep)
	}
	if keep > 0 {
		n := copy(d.buf, d.buf[keep:d.end])
		if len(d.buf) > 4*docBuffer && n < docBuffer/2 {
			// A long record is done with: give its memory back.
			small := make([]byte, docBuffer)
			copy(small, d.buf[:n])
			d.buf = small
		}
		d.end = n
		d.pos -= keep
		if d.mark >= 0 {
			d.mark -= keep
		}
		d.base += int64(keep)
	}
	if d.end == len(d.buf) {
		// One record fills the buffer: grow it, up to the record bound.
		size := min(2*len(d.buf), d.limit+docBuffer)
		if size <= len(d.buf) {
			size = len(d.buf) + docBuffer
		}
		nb := make([]byte, size)
		copy(nb, d.buf[:d.end])
		d.buf = nb
	}
	for {
		n, err := d.src.Read(d.buf[d.end:])
		d.end += n
		if err != nil {
			d.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// advance moves c to buffer index i (at or after c).
func (d *doc) advance(c *cursor, i int) {
	from := int(c.off - d.base)
	seg := d.buf[from:i]
	if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
		c.line += n
		c.lineStart = c.off + int64(bytes.LastIndexByte(seg, '\n')) + 1
	}
	c.off = d.base + int64(i)
}

// at returns the cursor of buffer index i, which is at or after d.cur.
func (d *doc) at(i int) cursor {
	d.advance(&d.cur, i)
	return d.cur
}

// rewind puts d.cur back on c (c.off at or after d.base).
func (d *doc) rewind(c cursor) { d.cur = c }

// skipSpace moves pos past white space; false at the end of the input.
func (d *doc) skipSpace() bool {
	for {
		for d.pos < d.end {
			switch d.buf[d.pos] {
			case ' ', '\t', '\n', '\r':
				d.pos++
				continue
			}
			return true
		}
		if !d.fill() {
			return false
		}
	}
}

// fault is how a value's scan ended.
type fault int

const (
	scanned fault = iota // the value is whole: buf[mark:pos]
	tooLong              // longer than the bound
	broken               // broken structure at pos (d.why says what)
	ended                // the input ended inside the value
)

// isDelim marks the bytes that end a scalar; isStruct the bytes a scan
// inside an object or array stops at.
var (
	isDelim  = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true, ',': true, ' ': true, '\t': true, '\n': true, '\r': true, ':': true}
	isStruct = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}
	// isStrStop marks the bytes a scan inside a string stops at.
	isStrStop = [256]bool{'"': true, '\\': true, '\n': true}
)

// value scans the value starting at pos to its end. Unless skip, the bytes
// from mark are kept, up to bound of them. The scan state (stack, inStr,
// esc) must be reset by the caller before a new value.
func (d *doc) value(bound int, skip bool) (fault, string) {
	for {
		if d.pos == d.end {
			if skip {
				d.mark = -1
			} else if d.pos-d.mark > bound {
				return tooLong, ""
			}
			if !d.fill() {
				return ended, ""
			}
			continue
		}
		if d.esc { // the byte after a backslash, read at last
			d.esc = false
			d.pos++
			continue
		}
		if d.inStr {
			// The rest of a string the buffer cut (or a string on its own).
			f, why := d.strings()
			if f != scanned {
				return f, why
			}
			if !d.inStr && len(d.stack) == 0 {
				return scanned, ""
			}
			continue
		}
		if len(d.stack) == 0 {
			// The value's first byte.
			switch c := d.buf[d.pos]; c {
			case '{', '[':
				d.stack = append(d.stack, c)
				d.pos++
				continue
			case '"':
				d.inStr = true
				d.pos++
				continue
			}
			// A scalar (or garbage): up to the next delimiter.
			for d.pos < d.end && !isDelim[d.buf[d.pos]] {
				d.pos++
			}
			if d.pos < d.end {
				return scanned, ""
			}
			if d.pos-d.mark > bound && !skip {
				return tooLong, ""
			}
			if !d.fill() {
				return scanned, "" // the input ends the scalar
			}
			continue
		}
		if f, why := d.containers(); f != scanned || len(d.stack) == 0 {
			return f, why
		}
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stringStop returns the index of the first '"', '\\' or '\n' in b from
// i on, or len(b); eight bytes at a time.
func stringStop(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs, nl := x^(ones*'"'), x^(ones*'\\'), x^(ones*'\n')
		// A byte of q, bs or nl is zero where x holds that byte; the
		// lowest flagged byte of this test is exact (a borrow can only
		// flag bytes above a zero one).
		if m := ((q-ones)&^q | (bs-ones)&^bs | (nl-ones)&^nl) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && !isStrStop[b[i]] {
		i++
	}
	return i
}

// strings moves pos past the rest of the string it is in, or to the end
// of the buffer (inStr then stays set). A raw newline in a string is
// broken structure: JSON has none, so it tells an unterminated string.
func (d *doc) strings() (fault, string) {
	b := d.buf[:d.end]
	i := d.pos
	for i < len(b) {
		i = stringStop(b, i)
		if i == len(b) {
			break
		}
		switch c := b[i]; c {
		case '"':
			d.pos, d.inStr = i+1, false
			return scanned, ""
		case '\\':
			if i+1 == len(b) {
				d.pos, d.esc = i+1, true
				return scanned, ""
			}
			i += 2
		default: // '\n'
			d.pos = i
			return broken, "a newline in a string (is the string unterminated?)"
		}
	}
	d.pos = i
	return scanned, ""
}

// containers scans the inside of objects and arrays (the stack is not
// empty) until the value ends (the stack is empty) or the buffer does.
func (d *doc) containers() (fault, string) {
	b := d.buf[:d.end]
	i := d.pos
	for i < len(b) {
		c := b[i]
		if !isStruct[c] {
			i++
			continue
		}
		switch c {
		case '"':
			// The string, inline: most are short.
			i++
			for i < len(b) {
				i = stringStop(b, i)
				if i == len(b) {
					break
				}
				c := b[i]
				if c == '"' {
					break
				}
				if c == '\n' {
					d.pos = i
					return broken, "a newline in a string (is the string unterminated?)"
				}
				if i+1 == len(b) { // a backslash ends the buffer
					d.pos, d.inStr, d.esc = i+1, true, true
					return scanned, ""
				}
				i += 2
			}
			if i == len(b) {
				d.pos, d.inStr = i, true
				return scanned, ""
			}
		case '{', '[':
			if len(d.stack) >= maxDepth {
				d.pos = i
				return broken, fmt.Sprintf("nested deeper than %d levels", maxDepth)
			}
			d.stack = append(d.stack, c)
		case '}', ']':
			open := d.stack[len(d.stack)-1]
			if (c == '}') != (open == '{') {
				d.pos = i
				return broken, fmt.Sprintf("%q does not close %q", c, open)
			}
			d.stack = d.stack[:len(d.stack)-1]
			if len(d.stack) == 0 {
				d.pos = i + 1
				return scanned, ""
			}
		}
		i++
	}
	d.pos = i
	return scanned, ""
}

func (d *doc) resetScan() {
	d.stack = d.stack[:0]
	d.inStr, d.esc = false, false
}

func (d *doc) errorf(c cursor, format string, args ...any) *DecodeError {
	return &DecodeError{Source: d.name, Line: c.line, Col: c.col(), Err: fmt.Errorf(format, args...)}
}

// endError reports the end of the input inside something that had begun:
// a truncated gzip stream is reported as such, a plain end as what.
func (d *doc) endError(what string) *DecodeError {
	c := d.at(d.end)
	if d.err != nil && !errors.Is(d.err, io.EOF) {
		d.reported = true
		return readError(d.name, c.line, c.col(), d.err)
	}
	return d.errorf(c, "%s", what)
}

// readError locates an error of the input itself (a truncated gzip stream).
func readError(name string, line, col int, err error) *DecodeError {
	return &DecodeError{Source: name, Line: line, Col: col, Err: err}
}

func sizeText(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// next returns the next record of the document.
func (r *Reader) nextDoc() (Record, error) {
	d := r.doc
	for {
		if d.skipping {
			if rec, err, ok := r.skipRest(); ok {
				return rec, err
			}
			continue
		}
		switch d.state {
		case atTop:
			if !d.skipSpace() {
				if d.err != nil && !errors.Is(d.err, io.EOF) && !d.reported {
					return Record{}, d.endError("")
				}
				return Record{}, io.EOF
			}
			switch d.buf[d.pos] {
			case '[':
				d.open = d.at(d.pos)
				d.pos++
				d.state, d.index, d.sep = inArray, 0, false
				continue
			case '{':
				if head, ok := d.envelopeHead(); ok && r.isEnvelope() {
					d.open = d.at(d.mark)
					d.pos, d.mark = d.mark+head, -1
					d.state, d.index, d.sep = inEnvelope, 0, false
					continue
				}
			}
			return r.record(-1)
		default: // in an array
			if !d.skipSpace() {
				d.state = atTop
				if d.err != nil && !errors.Is(d.err, io.EOF) && !d.reported {
					return Record{}, d.endError("")
				}
				if d.atEnd || d.reported {
					return Record{}, io.EOF // the cut value was reported
				}
				return Record{}, d.endError(fmt.Sprintf("the input ends in the array opened at %d:%d (a ']' is missing)", d.open.line, d.open.col()))
			}
			c := d.buf[d.pos]
			if c == ']' {
				d.pos++
				closing := d.state == inEnvelope
				d.state = atTop
				if closing {
					if err := r.closeEnvelope(); err != nil {
						return Record{}, err
					}
				}
				continue
			}
			if d.sep {
				if c != ',' {
					where := d.at(d.pos)
					err := d.errorf(where, "expected ',' or ']' after record %d, found %s", d.index-1, describe(d.buf[d.pos:d.end]))
					d.sep = false
					if c != '{' {
						r.resync(d.pos)
					}
					return Record{}, err
				}
				d.pos++
				d.sep = false
				continue
			}
			return r.record(d.index)
		}
	}
}

// envelopeHead reports whether the object at pos starts as an envelope
// does, {"records":[ or {"value":[, and where its array's elements begin
// (from the object's start). It leaves mark on the object.
func (d *doc) envelopeHead() (int, bool) {
	d.mark = d.pos
	for d.end-d.pos < 64 && d.fill() {
	}
	b := d.buf[d.pos:d.end]
	i := skipSpace(b, 1)
	switch {
	case bytes.HasPrefix(b[i:], []byte(`"records"`)):
		i += len(`"records"`)
	case bytes.HasPrefix(b[i:], []byte(`"value"`)):
		i += len(`"value"`)
	default:
		return 0, false
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i >= len(b) || b[i] != '[' {
		return 0, false
	}
	return i + 1, true
}

// isEnvelope tells an envelope from an object that merely starts as one:
// an object of up to envelopeBudget bytes is judged whole, as a record
// would be (another key makes it a record); a longer one, or one whose
// structure is broken, is streamed as an envelope, so that its good
// elements are read. pos and mark are back on the object after.
func (r *Reader) isEnvelope() bool {
	d := r.doc
	d.resetScan()
	f, _ := d.value(envelopeBudget, false)
	if f != scanned || d.pos-d.mark > envelopeBudget {
		d.pos = d.mark
		return true
	}
	obj := d.buf[d.mark:d.pos]
	d.pos = d.mark
	return !isRecord(obj)
}

// isRecord reports whether a whole object that starts as an envelope is a
// record instead: valid JSON but not exactly an envelope.
func isRecord(obj []byte) bool {
	if _, ok := splitEnvelope(obj); ok {
		return false
	}
	return json.Valid(obj)
}

// closeEnvelope reads the '}' after an envelope's array. Other keys after
// the array (possible only past envelopeBudget) are reported and skipped.
func (r *Reader) closeEnvelope() error {
	d := r.doc
	if !d.skipSpace() {
		return d.endError(fmt.Sprintf("the input ends in the envelope opened at %d:%d (a '}' is missing)", d.open.line, d.open.col()))
	}
	if d.buf[d.pos] == '}' {
		d.pos++
		return nil
	}
	where := d.at(d.pos)
	if d.buf[d.pos] == ',' {
		// The rest of the object: skipped without keeping it.
		d.resetScan()
		d.stack = append(d.stack, '{')
		d.mark = -1
		f, why := d.value(0, true)
		switch f {
		case broken:
			r.resync(d.pos)
			return d.errorf(d.at(d.pos), "malformed JSON: %s", why)
		case ended:
			return d.endError("the input ends in an envelope")
		}
		return d.errorf(where, "the envelope opened at %d:%d has keys after its array: they are ignored", d.open.line, d.open.col())
	}
	err := d.errorf(where, "expected '}' after the envelope's array, found %s", describe(d.buf[d.pos:d.end]))
	r.resync(d.pos)
	return err
}

// record reads the value at pos as a record: index is its element index,
// or -1 for a top-level value.
func (r *Reader) record(index int) (Record, error) {
	d := r.doc
	d.mark = d.pos
	start := d.at(d.pos)
	d.resetScan()
	f, why := d.value(d.limit, false)
	if index >= 0 {
		d.index++
		d.sep = true
	}
	switch f {
	case tooLong:
		d.skipping, d.skipIdx = true, index
		d.mark = -1
		if index >= 0 {
			return Record{}, d.errorf(start, "record %d is longer than %s", index, sizeText(d.limit))
		}
		return Record{}, d.errorf(start, "a value longer than %s", sizeText(d.limit))
	case broken, ended:
		var err *DecodeError
		if f == ended {
			err = d.endError("")
			if d.reported {
				// A truncated stream: nothing after it to go on with.
				d.state, d.pos = atTop, d.end
				return Record{}, err
			}
			d.atEnd = true
			err = d.errorf(start, "malformed JSON: the value is not closed before the end of the input (%d:%d)", err.Line, err.Col)
		} else {
			err = d.errorf(d.at(d.pos), "malformed JSON: %s", why)
		}
		// Resume at the next record start inside the broken value; after
		// many failed attempts in a row, after where this one failed.
		fault := d.base + int64(d.pos)
		from := d.mark + 1
		if d.tries++; d.tries > maxResyncTries {
			from = d.pos
		}
		d.rewind(start)
		r.resync(from)
		if f == broken && d.base+int64(d.pos) < fault {
			// The fault was found past the next record's start: the
			// record itself did not end, which its start tells best.
			next := d.at(d.pos)
			err = d.errorf(start, "malformed JSON: the value does not end before the next record at %d:%d (%s at %d:%d)", next.line, next.col(), why, err.Line, err.Col)
		}
		if index >= 0 {
			err.Err = fmt.Errorf("record %d: %w", index, err.Err)
		}
		return Record{}, err
	}
	if d.pos == d.mark {
		// A delimiter where a value should be: report it and step over.
		err := d.errorf(start, "malformed JSON: unexpected %q", d.buf[d.pos])
		d.pos++
		d.mark = -1
		if index >= 0 {
			d.sep = false
		}
		return Record{}, err
	}
	if d.pos-d.mark > d.limit {
		// Whole in the buffer, but over the bound all the same.
		d.mark = -1
		if index >= 0 {
			return Record{}, d.errorf(start, "record %d is longer than %s", index, sizeText(d.limit))
		}
		return Record{}, d.errorf(start, "a value longer than %s", sizeText(d.limit))
	}
	d.tries = 0
	data := d.buf[d.mark:d.pos]
	d.mark = -1
	if data[0] != '{' {
		if index >= 0 {
			return Record{}, &DecodeError{Source: d.name, Line: start.line, Col: 1, Err: fmt.Errorf("element %d is not a JSON object", index)}
		}
		return Record{}, &DecodeError{Source: d.name, Line: start.line, Col: 1, Err: fmt.Errorf("expected a JSON object, found %s", describe(data))}
	}
	rec := Record{Data: data, Source: d.name, Line: start.line, Col: start.col(), Index: index, Unchecked: r.deferred}
	if !r.deferred {
		if col, err := validate(data); err != nil {
			return Record{}, ErrorAt(rec, col-1, err)
		}
	}
	return rec, nil
}

// skipRest goes on skipping an oversized record; ok is false once it is
// skipped and reading goes on.
func (r *Reader) skipRest() (Record, error, bool) {
	d := r.doc
	f, why := d.value(0, true)
	d.skipping = false
	switch f {
	case broken:
		err := d.errorf(d.at(d.pos), "malformed JSON: %s", why)
		if d.skipIdx >= 0 {
			err.Err = fmt.Errorf("record %d: %w", d.skipIdx, err.Err)
		}
		r.resync(d.pos)
		return Record{}, err, true
	case ended:
		d.state = atTop
		d.pos = d.end
		if d.err != nil && !errors.Is(d.err, io.EOF) {
			return Record{}, d.endError(""), true
		}
		if d.skipIdx >= 0 {
			return Record{}, d.endError(fmt.Sprintf("the input ends in record %d, in the array opened at %d:%d", d.skipIdx, d.open.line, d.open.col())), true
		}
		return Record{}, io.EOF, true
	}
	return Record{}, nil, false
}

// resync moves pos to the next byte from buffer index from that can start
// a record: a '{' after ',' or '[' or first on its line (or, between
// top-level values, a '[' first on its line); the end of the input if
// there is none. The cursor must be at or before from.
func (d *doc) resyncFrom(from int, top bool) {
	d.pos = from
	d.mark = -1
	prev := byte(0)
	lineStart := false
	if from > 0 && from-1 < d.end && d.buf[from-1] == '\n' {
		lineStart = true
	}
	for {
		for ; d.pos < d.end; d.pos++ {
			c := d.buf[d.pos]
			switch c {
			case ' ', '\t', '\r':
				continue
			case '\n':
				lineStart = true
				continue
			case '{':
				if lineStart || prev == ',' || prev == '[' {
					return
				}
			case '[':
				if top && lineStart {
					return
				}
			}
			prev = c
			lineStart = false
		}
		if !d.fill() {
			return
		}
	}
}

func (r *Reader) resync(from int) {
	d := r.doc
	d.resyncFrom(from, d.state == atTop)
	d.sep = false
}
