package tail

import (
	"bufio"
	"io"
)

// splitter cuts a byte stream into lines and keeps track of offsets. At the
// end of the data available now it keeps the partial line and reports
// io.EOF; a later call continues where it stopped, so the stream may grow.
type splitter struct {
	r       *bufio.Reader
	max     int
	pending []byte // the start of a line whose newline is not read yet
	skipped int64  // > 0: inside a too-long line, this many bytes dropped
	off     int64  // stream offset of the next byte to read
	done    int64  // stream offset just after the last complete line
	// head holds the stream's first bytes as they were read, up to
	// prefixMax, when keepHead is set: the fingerprint of a file.
	head     []byte
	keepHead bool
}

func newSplitter(r io.Reader, off int64, max int) *splitter {
	return &splitter{r: bufio.NewReaderSize(r, 64<<10), max: max, off: off, done: off}
}

// reset restarts the splitter on r at offset off, dropping any partial line.
func (s *splitter) reset(r io.Reader, off int64) {
	s.r.Reset(r)
	s.head = s.head[:0]
	s.pending = nil
	s.skipped = 0
	s.off, s.done = off, off
}

// next returns the next complete line without its "\n" (and "\r"). The line
// is only valid until the next call. A line longer than max is not returned:
// tooLong is set and size is its length. err is io.EOF when no complete line
// is available now, or the reader's error.
func (s *splitter) next() (line []byte, size int64, tooLong bool, err error) {
	for {
		frag, err := s.r.ReadSlice('\n')
		if s.keepHead && int64(len(s.head)) == s.off && len(s.head) < prefixMax {
			s.head = append(s.head, frag[:min(len(frag), prefixMax-len(s.head))]...)
		}
		s.off += int64(len(frag))
		complete := err == nil
		if complete {
			frag = frag[:len(frag)-1]
		}
		direct := false
		switch {
		case s.skipped > 0:
			s.skipped += int64(len(frag))
		case len(s.pending)+len(frag) > s.max:
			s.skipped = int64(len(s.pending) + len(frag))
			s.pending = nil
		case complete && len(s.pending) == 0:
			line, direct = frag, true
		default:
			s.pending = append(s.pending, frag...)
		}
		if complete {
			s.done = s.off
			if s.skipped > 0 {
				n := s.skipped
				s.skipped = 0
				return nil, n, true, nil
			}
			if !direct {
				line = s.pending
				s.pending = s.pending[:0]
				if cap(s.pending) > 1<<20 {
					s.pending = nil // do not keep a huge buffer for short lines
				}
			}
			return trimCR(line), int64(len(line)), false, nil
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return nil, 0, false, err
	}
}

// rest returns what follows the last complete line, for a stream that will
// not grow any more, and marks it consumed. tooLong is set, with its size,
// when that rest was longer than max.
func (s *splitter) rest() (line []byte, size int64, tooLong bool) {
	s.done = s.off
	if s.skipped > 0 {
		n := s.skipped
		s.skipped = 0
		return nil, n, true
	}
	line = s.pending
	s.pending = nil
	return trimCR(line), int64(len(line)), false
}

// partial reports whether bytes of an unfinished line are held.
func (s *splitter) partial() bool { return s.off > s.done }

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
