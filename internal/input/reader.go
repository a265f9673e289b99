// Package input reads events from files and streams: NDJSON, a JSON array,
// one (pretty-printed) JSON object, several concatenated objects, the
// {"records":[...]} envelope of Azure diagnostic exports, gzip-compressed or
// not (detected by magic bytes), and '-' for stdin.
package input

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Record is one JSON object read from a source.
type Record struct {
	Data   []byte // one JSON object; valid until the next call to Next
	Source string // the file name, or "-" for stdin
	Line   int    // 1-based line where the object starts
	Index  int    // position inside a JSON array or records envelope; -1 otherwise
}

// Location renders where the record came from, e.g. "logs.json:12" or
// "export.json:1 (record 3)".
func (r Record) Location() string {
	if r.Index >= 0 {
		return fmt.Sprintf("%s:%d (record %d)", r.Source, r.Line, r.Index)
	}
	return fmt.Sprintf("%s:%d", r.Source, r.Line)
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

// Reader yields the records of one source.
type Reader struct {
	name string
	sc   *bufio.Scanner
	line int
	c    io.Closer
}

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
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	return &Reader{name: name, sc: sc}
}

// Next returns the next record, io.EOF at the end, or a *DecodeError for a
// bad record (call Next again to go on). Any other error is fatal.
//
// TODO(input): this first version reads NDJSON only.
func (r *Reader) Next() (Record, error) {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if !json.Valid(b) || b[0] != '{' {
			return Record{}, &DecodeError{Source: r.name, Line: r.line, Col: 1, Err: fmt.Errorf("not a JSON object")}
		}
		return Record{Data: b, Source: r.name, Line: r.line, Index: -1}, nil
	}
	if err := r.sc.Err(); err != nil {
		return Record{}, err
	}
	return Record{}, io.EOF
}

// Close closes the underlying file.
func (r *Reader) Close() error {
	if r.c != nil {
		return r.c.Close()
	}
	return nil
}
