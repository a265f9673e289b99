package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Block is a run of whole NDJSON lines read at once, so that cutting it
// into records (EachLine) can happen on another goroutine than the read.
type Block struct {
	Data   []byte // whole lines; the last may lack its newline at the end of the input
	Source string
	Line   int // the number of Data's first line
}

// Lines reports whether the reader reads NDJSON lines (NextBlock applies)
// rather than a whole document (arrays, pretty-printed JSON: use Next).
func (r *Reader) Lines() (bool, error) {
	if !r.started {
		if err := r.start(); err != nil {
			return false, err
		}
	}
	return !r.stream, nil
}

// NextBlock returns the next lines of an NDJSON input, about size bytes
// (more when one line is longer), in buf's memory when it is large enough
// (a block handed back once its records are done with, so that a long
// input does not allocate, and clear, a new block each time), else in a new
// slice the caller keeps; io.EOF at the end. A line longer than the limit
// is skipped and reported as a *DecodeError (call NextBlock again to go
// on). A gzip stream cut short ends the lines before the cut, then comes
// as a *DecodeError wrapping ErrTruncatedGzip where the cut is. Do not mix
// with Next.
func (r *Reader) NextBlock(buf []byte, size int) (Block, error) {
	if r.eof {
		if err := r.err; err != nil {
			r.err = nil
			return Block{}, err
		}
		return Block{}, io.EOF
	}
	// Room for size bytes after the carried line start: a read of at least
	// the bufio buffer's size goes straight from the file into buf, not
	// through the buffer.
	if need := len(r.carry) + max(size, len(r.carry), r.br.Size()) + 512; cap(buf) < need {
		buf = make([]byte, 0, need+need/16) // room for a longer carry next time
	}
	buf = append(buf[:0], r.carry...)
	r.carry = r.carry[:0]
	cut := -1
	for {
		n, err := r.fill(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		var cutShort error
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			r.eof = true
		case errors.Is(err, ErrTruncatedGzip):
			r.eof = true
			cutShort = err
		case err != nil:
			return Block{}, err
		}
		cut = bytes.LastIndexByte(buf, '\n')
		if cutShort != nil {
			// The line the cut falls in is no record: the lines before it
			// go out, then the cut is reported where it is.
			tail := buf[cut+1:]
			line := r.line + bytes.Count(buf[:cut+1], []byte{'\n'}) + 1
			r.err = &DecodeError{Source: r.name, Line: line, Col: len(tail) + 1, Err: cutShort}
			r.line = line - 1
			if cut < 0 {
				return r.NextBlock(nil, size)
			}
			b := Block{Data: buf[:cut+1], Source: r.name, Line: line - bytes.Count(buf[:cut+1], []byte{'\n'})}
			return b, nil
		}
		if cut >= 0 || r.eof {
			break
		}
		if len(buf) > maxLine {
			return Block{}, r.skipLongLine()
		}
		buf = append(buf, make([]byte, cap(buf))...)[:len(buf)] // one line longer than the buffer
	}
	out := buf
	if !r.eof {
		out = buf[:cut+1]
		r.carry = append(r.carry, buf[cut+1:]...)
	}
	if len(out) == 0 {
		return Block{}, io.EOF
	}
	b := Block{Data: out, Source: r.name, Line: r.line + 1}
	r.line += bytes.Count(out, []byte{'\n'})
	if out[len(out)-1] != '\n' {
		r.line++
	}
	return b, nil
}

// fill reads into p as io.ReadFull does, but stops early with what it has
// (and no error) where the rest of p would be read through the bufio
// buffer and copied twice: a read of at least the buffer's size goes from
// the file straight into p.
func (r *Reader) fill(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if n > 0 && len(p)-n < r.br.Size() && r.br.Buffered() == 0 {
			return n, nil
		}
		m, err := r.br.Read(p[n:])
		n += m
		if err != nil {
			if errors.Is(err, io.EOF) && n > 0 {
				return n, io.ErrUnexpectedEOF
			}
			return n, err
		}
	}
	return n, nil
}

// skipLongLine drops the rest of a line over the limit.
func (r *Reader) skipLongLine() error {
	r.line++
	_, err := r.br.ReadSlice('\n')
	for errors.Is(err, bufio.ErrBufferFull) {
		_, err = r.br.ReadSlice('\n')
	}
	if err != nil {
		r.eof = true
	}
	return &DecodeError{Source: r.name, Line: r.line, Col: 1, Err: fmt.Errorf("line longer than %d MiB", maxLine>>20)}
}

// EachLine calls fn with each record of the block as a deferred reader's
// Next returns it (Unchecked, for Expand), or with the *DecodeError of a
// line that is not a JSON object; blank lines are skipped. It stops when
// fn returns false.
func (b Block) EachLine(fn func(rec Record, err error) bool) {
	d := b.Data
	line := b.Line
	for len(d) > 0 {
		i := bytes.IndexByte(d, '\n')
		raw := d
		if i >= 0 {
			raw, d = d[:i], d[i+1:]
		} else {
			d = nil
		}
		n := line
		line++
		t := trimSpace(raw)
		if len(t) == 0 {
			continue
		}
		var ok bool
		if t[0] != '{' {
			ok = fn(Record{}, &DecodeError{Source: b.Source, Line: n, Col: 1, Err: fmt.Errorf("expected a JSON object, found %s", describe(t))})
		} else {
			ok = fn(Record{Data: t, Source: b.Source, Line: n, Index: -1, Unchecked: true}, nil)
		}
		if !ok {
			return
		}
	}
}
