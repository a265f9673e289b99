package input

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync/atomic"
)

// A regular NDJSON file read by a pipeline (Reader.Map) is not copied
// block by block with read(2): it is mapped into memory once and its
// blocks are views of the mapping, handed back (Block.Release) once their
// records are done with, so that their pages are given back to the system
// as the reading goes on (memory stays flat whatever the file's size).
//
// A file truncated while it is mapped makes any read of a page past its
// new end fault (SIGBUS). The reader checks the file's size before each
// block it cuts and reads the mapping with faults turned into panics
// (runtime/debug.SetPanicOnFault), so that a cut it meets is an error of
// the file (ErrTruncatedFile), never a crash; the goroutines that read the
// blocks' records must do the same (GuardFaults, IsFault).

// ErrTruncatedFile is the error of a mapped file that became shorter while
// it was read: the lines past its new end are not read.
var ErrTruncatedFile = errors.New("the file was truncated while it was read")

// minMapped is the smallest file mapped: below it, reading costs no more.
const minMapped = 4 << 20

// mapping is a file mapped into memory for reading.
type mapping struct {
	data  []byte
	f     *os.File
	size  int64 // the file's size when mapped
	pos   int   // data[pos:] is not handed out yet
	freed int   // data[:freed] has been given back (page aligned)
	refs  atomic.Int32
}

// Map asks the reader to map a regular, uncompressed NDJSON file of
// some size into memory instead of reading it (see Block.Release, which
// the caller must then call on every block). Call it before the first
// NextBlock. Stdin, pipes, gzip and small files are read as before.
func (r *Reader) Map() { r.mapWanted = true }

// tryMap maps the reader's file when it can; the reading goes on from
// the mapping's start (after a byte order mark the start skipped).
func (r *Reader) tryMap() {
	f, ok := r.c.(*os.File)
	if !ok || r.gz || r.stream {
		return
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() < minMapped || int64(int(st.Size())) != st.Size() {
		return
	}
	data, err := mapFile(f, st.Size())
	if err != nil {
		return // read it instead
	}
	m := &mapping{data: data, f: f, size: st.Size(), pos: r.skipped}
	m.refs.Store(1) // the reader's
	r.m = m
}

// nextMapped cuts the next block of about size bytes from the mapping. ok
// is false once the mapping is all handed out: the rest of the file (what
// was appended since it was mapped, and the start of a last line without
// its newline, left in r.carry) is read from the file.
func (r *Reader) nextMapped(size int) (b Block, ok bool, err error) {
	m := r.m
	if m.pos >= len(m.data) {
		r.leaveMapping()
		return Block{}, false, nil
	}
	if st, serr := m.f.Stat(); serr == nil && st.Size() < m.size {
		return r.truncated(st.Size())
	}
	defer GuardFaults()()
	defer func() {
		if v := recover(); v != nil {
			if !IsFault(v) {
				panic(v)
			}
			b, ok, err = r.truncated(-1)
		}
	}()
	data := m.data
	from := m.pos
	end := min(from+size, len(data))
	cut := -1
	if i := lastNewline(data[from:end]); i >= 0 {
		cut = from + i
	} else if i := indexNewline(data[end:], maxLine+1-(end-from)); i >= 0 {
		cut = end + i // one line longer than size
	} else if len(data)-from > maxLine {
		// A line over the bound: skipped, reported where it starts.
		r.line++
		nl := indexNewline(data[from:], len(data)-from)
		if nl < 0 {
			m.pos = len(data)
		} else {
			m.pos = from + nl + 1
		}
		return Block{}, true, &DecodeError{Source: r.name, Line: r.line, Col: 1, Err: fmt.Errorf("line longer than %d MiB", maxLine>>20)}
	} else {
		// The last line has no newline yet: it is read with what
		// follows it in the file.
		r.carry = append(r.carry[:0], data[from:]...)
		m.pos = len(data)
		r.leaveMapping()
		return Block{}, false, nil
	}
	out := data[from : cut+1]
	m.pos = cut + 1
	m.refs.Add(1)
	b = Block{Data: out, Source: r.name, Line: r.line + 1, m: m, end: cut + 1}
	r.line += countNewlines(out)
	return b, true, nil
}

// truncated ends a mapped file that shrank (to size bytes, -1 when
// unknown): the lines past the cut are not read.
func (r *Reader) truncated(size int64) (Block, bool, error) {
	m := r.m
	r.eof = true
	r.leaveMapping()
	if size >= 0 {
		return Block{}, true, fmt.Errorf("%w (from %d to %d bytes): the lines from line %d on are not read", ErrTruncatedFile, m.size, size, r.line+1)
	}
	return Block{}, true, fmt.Errorf("%w: the lines from line %d on are not read", ErrTruncatedFile, r.line+1)
}

// leaveMapping drops the reader's hold on its mapping (the blocks handed
// out keep theirs) and goes on reading the file after the mapped part.
func (r *Reader) leaveMapping() {
	m := r.m
	if m == nil {
		return
	}
	r.m = nil
	if !r.eof {
		if _, err := m.f.Seek(int64(len(m.data)), 0); err != nil {
			r.eof, r.err = true, err
		}
		r.br.Reset(m.f)
	}
	m.release()
}

func (m *mapping) release() {
	if m.refs.Add(-1) == 0 {
		unmapFile(m.data)
	}
}

// GuardFaults makes a fault on a mapped file's page that is no longer
// there (the file was truncated) panic on the calling goroutine, where
// it can be recovered (IsFault), instead of crashing the program; call
// the function it returns to restore the previous setting.
func GuardFaults() (restore func()) {
	old := debug.SetPanicOnFault(true)
	return func() { debug.SetPanicOnFault(old) }
}

// IsFault reports whether a recovered panic value is a memory fault, as
// GuardFaults turns the read of a truncated mapped file into.
func IsFault(v any) bool {
	_, ok := v.(interface{ Addr() uintptr })
	return ok
}

// Mapped reports whether the block is a view of a mapped file: its data
// must not be written to, and a fault reading it (IsFault) means that the
// file was truncated while it was read.
func (b Block) Mapped() bool { return b.m != nil }

// Release tells that the block's records are done with: a mapped block's
// pages are given back to the system (after the blocks before it: blocks
// are released in the order they were read); reuse reports whether Data
// may be read into again (a block read into memory).
func (b Block) Release() (reuse bool) {
	m := b.m
	if m == nil {
		return true
	}
	if to := pageDown(b.end); to > m.freed {
		dropPages(m.data[m.freed:to])
		m.freed = to
	}
	m.release()
	return false
}

func lastNewline(b []byte) int { return bytes.LastIndexByte(b, '\n') }

// indexNewline is the first newline of b[:limit].
func indexNewline(b []byte, limit int) int { return bytes.IndexByte(b[:min(limit, len(b))], '\n') }

func countNewlines(b []byte) int { return bytes.Count(b, []byte{'\n'}) }
