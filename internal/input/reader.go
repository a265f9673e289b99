// Package input reads events from files and streams: NDJSON, a JSON array,
// one (pretty-printed) JSON object, several concatenated objects, the
// {"records":[...]} envelope of Azure diagnostic exports and the
// {"value":[...]} list of Azure REST responses (split into their
// elements), gzip-compressed or not (detected by magic bytes), and '-' for
// stdin.
//
// A top-level object whose only key is "records" or "value", holding an
// array of objects, is an envelope; any other object is a record.
package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Record is one JSON object read from a source.
type Record struct {
	Data   []byte // one JSON object; valid until the next call to Next
	Source string // the file name, or "-" for stdin
	Line   int    // 1-based line where the object (or its envelope) starts
	// Col is the 1-based column where the object starts in a
	// whole-document input (arrays, envelopes, pretty-printed JSON); 0 for
	// NDJSON lines.
	Col   int
	Index int // position inside a JSON array or envelope; -1 otherwise
	// Unchecked is set on the lines of a deferred reader: they start with
	// '{' but are neither validated nor split if they are envelopes. Pass
	// them to Expand.
	Unchecked bool
}

// Location renders where the record came from in the file:line:col form
// of every position Vigil reports, e.g. "logs.json:12:1" or
// "export.json:3:5 (record 3)" (column 1 when only the line is known: an
// NDJSON line, or the envelope line a record was cut from).
func (r Record) Location() string {
	col := max(r.Col, 1)
	if r.Index >= 0 {
		return fmt.Sprintf("%s:%d:%d (record %d)", r.Source, r.Line, col, r.Index)
	}
	return fmt.Sprintf("%s:%d:%d", r.Source, r.Line, col)
}

// DecodeError is a record that could not be read. The reader skips it:
// Next may be called again.
type DecodeError struct {
	Source string
	Line   int
	Col    int
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %v", e.Source, e.Line, e.Col, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// maxLine bounds one NDJSON line, and one record of a whole-document
// input.
const maxLine = 256 << 20

// ErrTruncatedGzip is the error of a gzip stream that ends before its
// end: the records before the cut are read, the one it cuts is not.
var ErrTruncatedGzip = errors.New("truncated gzip")

// gzipReader reads a gzip stream, reporting one that is cut short as
// ErrTruncatedGzip (with how much it gave), not as the io.ErrUnexpectedEOF
// that would pass for a record cut short.
type gzipReader struct {
	zr *gzip.Reader
	n  int64 // bytes read out
}

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	g.n += int64(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("%w: the compressed data ends after %d bytes of JSON", ErrTruncatedGzip, g.n)
	}
	return n, err
}

// Reader yields the records of one source.
type Reader struct {
	name     string
	br       *bufio.Reader
	c        io.Closer
	line     int
	started  bool
	stream   bool // whole-document mode: arrays and pretty-printed objects
	pending  []Record
	doc      *doc // whole-document mode's reader
	limit    int  // bound of a record in whole-document mode (maxLine)
	deferred bool
	carry    []byte // NextBlock: the start of a line read but not handed out
	eof      bool   // NextBlock: the input is exhausted
	err      error  // NextBlock: a read error to return once the lines before it are out
}

// Defer makes the reader hand out records without validating them or
// splitting envelopes found on NDJSON lines (records marked Unchecked), so
// that this work, as costly as the matching itself, can be done by Expand
// on other goroutines. Whole-document inputs (arrays, envelopes,
// pretty-printed JSON) are still cut into records by the reader, but their
// records are not validated either. Call it before the first Next.
func (r *Reader) Defer() { r.deferred = true }

// Open opens a file ("-" is stdin).
func Open(path string, stdin io.Reader) (*Reader, error) {
	if path == "-" {
		return NewReader(stdin, "-"), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := NewReader(f, path)
	r.c = f
	return r, nil
}

// NewReader reads records from r; name is used in locations.
func NewReader(r io.Reader, name string) *Reader {
	// A block of NextBlock at least this size is read straight into the
	// block, not through the buffer: the pipeline's (256 KiB) are.
	return &Reader{name: name, br: bufio.NewReaderSize(r, 256<<10), limit: maxLine}
}

// start detects gzip and the document shape.
func (r *Reader) start() error {
	r.started = true
	if magic, _ := r.br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(r.br)
		if err != nil {
			return fmt.Errorf("%s: bad gzip data: %w", r.name, err)
		}
		r.br = bufio.NewReaderSize(&gzipReader{zr: zr}, 1<<20)
	}
	if bom, _ := r.br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		r.br.Discard(3)
	}
	// A document that starts with '[' or whose first line is not a
	// complete object is read as a document (arrays, pretty-printed
	// exports), a record at a time.
	for i := 1; ; i++ {
		b, err := r.br.Peek(i)
		if len(b) < i {
			if err == nil {
				err = io.EOF
			}
			return nil
		}
		c := b[i-1]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		if c == '[' {
			r.stream = true
		} else if c == '{' {
			r.stream = !r.firstLineComplete()
		}
		break
	}
	if r.stream {
		r.doc = newDoc(r.name, r.br, r.limit)
	}
	return nil
}

// firstLineComplete reports whether the first line holds a whole JSON value.
func (r *Reader) firstLineComplete() bool {
	for n := 4096; ; n *= 2 {
		b, err := r.br.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			// A first line that is an object on its own, even a malformed
			// one, starts NDJSON: one bad line must not turn the file into
			// one broken document.
			line := bytes.TrimSpace(b[:i])
			return json.Valid(line) || (len(line) > 2 && line[len(line)-1] == '}')
		}
		if err != nil || n > maxLine {
			return json.Valid(bytes.TrimSpace(b))
		}
	}
}

// Next returns the next record, io.EOF at the end, or a *DecodeError for a
// bad record (call Next again to go on). Any other error is fatal.
func (r *Reader) Next() (Record, error) {
	if !r.started {
		if err := r.start(); err != nil {
			return Record{}, err
		}
	}
	if len(r.pending) > 0 {
		return r.pop()
	}
	if r.stream {
		return r.nextDoc()
	}
	return r.nextLine()
}

func (r *Reader) nextLine() (Record, error) {
	if r.eof {
		return Record{}, io.EOF // after a truncated gzip stream
	}
	for {
		raw, err := r.br.ReadSlice('\n')
		var buf []byte
		if errors.Is(err, bufio.ErrBufferFull) {
			buf = append(buf, raw...)
			for errors.Is(err, bufio.ErrBufferFull) && len(buf) <= maxLine {
				raw, err = r.br.ReadSlice('\n')
				buf = append(buf, raw...)
			}
			raw = buf
		}
		if errors.Is(err, ErrTruncatedGzip) {
			// The cut line is not a record: report the cut instead.
			r.eof = true
			return Record{}, &DecodeError{Source: r.name, Line: r.line + 1, Col: len(raw) + 1, Err: err}
		}
		if len(raw) == 0 && err != nil {
			if errors.Is(err, io.EOF) || r.eof {
				return Record{}, io.EOF
			}
			return Record{}, err
		}
		r.line++
		if len(raw) > maxLine {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.br.ReadSlice('\n')
			}
			return Record{}, &DecodeError{Source: r.name, Line: r.line, Col: 1, Err: fmt.Errorf("line longer than %d MiB", maxLine>>20)}
		}
		b := bytes.TrimSpace(raw)
		if len(b) == 0 {
			continue
		}
		if b[0] != '{' {
			return Record{}, &DecodeError{Source: r.name, Line: r.line, Col: 1, Err: fmt.Errorf("expected a JSON object, found %s", describe(b))}
		}
		if r.deferred {
			return Record{Data: b, Source: r.name, Line: r.line, Index: -1, Unchecked: true}, nil
		}
		if col, err := validate(b); err != nil {
			return Record{}, &DecodeError{Source: r.name, Line: r.line, Col: col, Err: err}
		}
		if els, ok := envelope(b); ok {
			r.queue(els, r.line)
			if len(r.pending) == 0 {
				continue
			}
			return r.pop()
		}
		return Record{Data: b, Source: r.name, Line: r.line, Index: -1}, nil
	}
}

// Expands reports whether Expand would do more than give rec back: a line
// of a deferring reader that looks like an envelope. The elements of
// arrays and envelopes, and the objects of a document (whose reader told
// envelopes apart), are never split again.
func Expands(rec Record) bool {
	return rec.Unchecked && rec.Index < 0 && rec.Col <= 0 && looksLikeEnvelope(rec.Data)
}

// Expand finishes what a deferred reader left undone on one record: a line
// that looks like an envelope is validated and split into its elements
// (bad elements come back as errors, in order, beside the good ones: see
// Item); any other record comes back alone, still Unchecked when it was,
// for the caller's own validating parser (whose faults ColumnOf places).
// Records of a reader that does not defer come back unchanged.
func Expand(rec Record) []Item { return AppendExpanded(nil, rec) }

// AppendExpanded is Expand appending to items: with a slice kept between
// calls, a record that is no envelope costs no allocation.
func AppendExpanded(items []Item, rec Record) []Item {
	if !Expands(rec) {
		return append(items, Item{Record: rec})
	}
	// The elements go straight into items (no slice of them per line);
	// a split that fails half-way takes them back.
	n0, i := len(items), 0
	if eachElement(rec.Data, func(el []byte) {
		items = appendElement(items, rec, i, el)
		i++
	}) {
		return items
	}
	items = items[:n0]
	// Not an envelope, or a broken one: the full check places the fault.
	if col, err := validate(rec.Data); err != nil {
		return append(items, Item{Err: &DecodeError{Source: rec.Source, Line: rec.Line, Col: col, Err: err}})
	}
	raw, isEnv := envelope(rec.Data)
	if !isEnv {
		rec.Unchecked = false
		return append(items, Item{Record: rec})
	}
	for i, el := range raw {
		items = appendElement(items, rec, i, el)
	}
	return items
}

// appendElement appends element i of the envelope rec, or the error that
// stands in its place.
func appendElement(items []Item, rec Record, i int, el []byte) []Item {
	b := trimSpace(el)
	if len(b) == 0 || b[0] != '{' {
		return append(items, Item{Err: &DecodeError{Source: rec.Source, Line: rec.Line, Col: 1, Err: fmt.Errorf("element %d is not a JSON object", i)}})
	}
	// Elements are left unchecked: the caller's parser validates each
	// one in the pass it makes anyway.
	return append(items, Item{Record: Record{Data: b, Source: rec.Source, Line: rec.Line, Index: i, Unchecked: true}})
}

// splitEnvelope splits {"records":[...]} or {"value":[...]} (the only key)
// into its elements in one pass that follows strings and nesting without
// decoding, so a large batch is not parsed three times. ok is false when b
// is not exactly such an envelope or its structure is broken; the elements
// themselves are not validated.
func splitEnvelope(b []byte) (els [][]byte, ok bool) {
	if !eachElement(b, func(el []byte) { els = append(els, el) }) {
		return nil, false
	}
	return els, true
}

// eachElement is splitEnvelope calling fn with each element; when it
// returns false, fn may have been called with the elements before the
// fault.
func eachElement(b []byte, fn func(el []byte)) bool {
	i := skipSpace(b, 0)
	n := 0
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	var key string
	switch {
	case bytes.HasPrefix(b[i:], []byte(`"records"`)):
		key = `"records"`
	case bytes.HasPrefix(b[i:], []byte(`"value"`)):
		key = `"value"`
	default:
		return false
	}
	i = skipSpace(b, i+len(key))
	if i >= len(b) || b[i] != ':' {
		return false
	}
	i = skipSpace(b, i+1)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	i++
	for {
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ']' && n == 0 {
			i++
			break
		}
		start := i
		end, ok := skipValue(b, i)
		if !ok {
			return false
		}
		fn(b[start:end])
		n++
		i = skipSpace(b, end)
		if i >= len(b) {
			return false
		}
		if b[i] == ',' {
			i++
			continue
		}
		if b[i] != ']' {
			return false
		}
		i++
		break
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '}' || skipSpace(b, i+1) != len(b) {
		return false // another key, or trailing bytes
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i, following
// strings (with escapes) and nesting; it does not check scalars. It runs
// over every byte of every envelope: an object or array is walked by
// skipNested (64 bytes a step where the machine allows), a string's
// closing quote found by bytes.IndexByte.
func skipValue(b []byte, i int) (int, bool) {
	for i < len(b) {
		switch b[i] {
		case '"':
			return stringEnd(b, i+1)
		case '{', '[':
			return skipNested(b, i+1)
		case '}', ']':
			return 0, false
		case ',', ' ', '\t', '\n', '\r', ':':
			return i, true
		}
		i++
	}
	return i, true
}

// stringEnd returns the offset just past the quote that closes the string
// whose text starts at from.
func stringEnd(b []byte, from int) (int, bool) {
	j := from
	for {
		n := bytes.IndexByte(b[j:], '"')
		if n < 0 {
			return 0, false
		}
		j += n
		if b[j-1] != '\\' || !escaped(b, from, j) {
			return j + 1, true
		}
		j++
	}
}

// skipNestedFrom returns the end of the object or array whose bytes from
// i on are at the given depth (1: just inside it), inside a string when
// in is true (a string whose bytes before i hold no backslash): the
// strings' closing quotes found by bytes.IndexByte, the bytes between
// them one by one.
func skipNestedFrom(b []byte, i, depth int, in bool) (int, bool) {
	if in {
		end, ok := stringEnd(b, i)
		if !ok {
			return 0, false
		}
		i = end
	}
	for i < len(b) {
		switch b[i] {
		case '"':
			end, ok := stringEnd(b, i+1)
			if !ok {
				return 0, false
			}
			i = end
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1, true
			}
		}
		i++
	}
	return 0, false
}

// escaped reports whether the quote at j is escaped: an odd number of
// backslashes before it, counted back no further than from, the string's
// first byte.
func escaped(b []byte, from, j int) bool {
	n := 0
	for k := j - 1; k >= from && b[k] == '\\'; k-- {
		n++
	}
	return n%2 == 1
}

// Item is a record or the error that stands in its place.
type Item struct {
	Record Record
	Err    *DecodeError
}

// ErrorAt turns a fault at byte offset off of an Unchecked record's data
// into a located DecodeError (a line's column counts from its first
// non-blank byte, as the reader trimmed it; a document's record is placed
// exactly, and named by its index in an array).
func ErrorAt(rec Record, off int, err error) *DecodeError {
	if rec.Col > 0 {
		off = min(max(off, 0), len(rec.Data))
		line, col := rec.Line, rec.Col+off
		if nl := bytes.LastIndexByte(rec.Data[:off], '\n'); nl >= 0 {
			line += bytes.Count(rec.Data[:off], []byte{'\n'})
			col = off - nl
		}
		if rec.Index >= 0 {
			err = fmt.Errorf("record %d: %w", rec.Index, err)
		}
		return &DecodeError{Source: rec.Source, Line: line, Col: col, Err: err}
	}
	if rec.Index >= 0 {
		// An element of an envelope: its offset is not a column of the line.
		return &DecodeError{Source: rec.Source, Line: rec.Line, Col: 1, Err: fmt.Errorf("record %d, byte %d: %w", rec.Index, off+1, err)}
	}
	col := off + 1
	if col > len(rec.Data) {
		col = len(rec.Data) + 1
	}
	return &DecodeError{Source: rec.Source, Line: rec.Line, Col: col, Err: err}
}

// trimSpace is bytes.TrimSpace, without its work when b starts and ends
// with a printable ASCII byte (no space of ASCII's or Unicode's), as
// lines and records do.
func trimSpace(b []byte) []byte {
	if n := len(b); n > 0 && b[0]-0x21 < 0x5e && b[n-1]-0x21 < 0x5e {
		return b
	}
	return bytes.TrimSpace(b)
}

// looksLikeEnvelope reports whether b's first key, blanks aside, is that
// of an envelope's array: "records" (Azure diagnostic settings) or "value"
// (Microsoft Graph). An envelope has no other key, so its first is that
// one; eachElement splits only such a line. A few bytes looked at, for
// every line read.
func looksLikeEnvelope(b []byte) bool {
	if len(b) > 2 && b[0] == '{' && b[1] == '"' && b[2] != 'r' && b[2] != 'v' {
		return false // no blanks, as most lines are written, and another key
	}
	return FirstKeyIs(b, `"records"`) || FirstKeyIs(b, `"value"`)
}

// FirstKeyIs reports whether b, blanks aside, is an object whose first key
// is quoted (the key with its quotes, as the text spells it).
func FirstKeyIs(b []byte, quoted string) bool {
	if len(b) > len(quoted) && b[0] == '{' && b[1] == '"' {
		// No blanks, as most lines are written.
		return string(b[1:1+len(quoted)]) == quoted
	}
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	return bytes.HasPrefix(b[skipSpace(b, i+1):], []byte(quoted))
}

// queue adds the elements of an envelope read as one line; non-objects
// become errors in their place.
func (r *Reader) queue(els []json.RawMessage, line int) {
	for i, el := range els {
		b := bytes.TrimSpace(el)
		if len(b) == 0 || b[0] != '{' {
			r.pending = append(r.pending, Record{Source: r.name, Line: line, Index: i})
			continue
		}
		r.pending = append(r.pending, Record{Data: b, Source: r.name, Line: line, Index: i})
	}
}

// pop returns the next queued record; an element that is not an object
// (queued with no data) is reported where it stands.
func (r *Reader) pop() (Record, error) {
	rec := r.pending[0]
	r.pending = r.pending[1:]
	if rec.Data == nil {
		return Record{}, &DecodeError{Source: rec.Source, Line: rec.Line, Col: 1, Err: fmt.Errorf("element %d is not a JSON object", rec.Index)}
	}
	return rec, nil
}

// envelope splits {"records":[...]} and {"value":[...]}.
func envelope(b []byte) ([]json.RawMessage, bool) {
	if !looksLikeEnvelope(b) {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || len(m) != 1 {
		return nil, false
	}
	for k, v := range m {
		if k != "records" && k != "value" {
			return nil, false
		}
		var els []json.RawMessage
		if json.Unmarshal(v, &els) != nil {
			return nil, false
		}
		return els, true
	}
	return nil, false
}

// validate checks one JSON value, returning the 1-based column of a fault.
func validate(b []byte) (int, error) {
	if json.Valid(b) {
		return 0, nil
	}
	var v json.RawMessage
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		col := int(se.Offset)
		if col >= len(b) {
			col = len(b) + 1 // the value ends too early
		}
		return col, fmt.Errorf("malformed JSON: %v", se)
	}
	return 1, fmt.Errorf("malformed JSON: %v", err)
}

func describe(b []byte) string {
	switch b[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if b[0] == '-' || (b[0] >= '0' && b[0] <= '9') {
		return "a number"
	}
	return fmt.Sprintf("%q", string(b[:min(len(b), 20)]))
}

// Close closes the underlying file.
func (r *Reader) Close() error {
	if r.c != nil {
		return r.c.Close()
	}
	return nil
}
