package cli

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// sorter sorts the events a sequence search holds by timestamp,
// tiebreaker and input order with bounded memory: past memBytes of events
// it writes the sorted batch to a run file in a temporary directory, and
// merges the runs at the end (an external merge sort). The directory is
// removed by close.
type sorter struct {
	memBytes int
	tmpDir   string // where run directories go ("" : os.TempDir())
	kept     []held
	bytes    int
	dir      string
	runs     []string
}

// add holds an event, spilling the batch to disk past the memory bound.
func (s *sorter) add(h held) error {
	s.kept = append(s.kept, h)
	s.bytes += len(h.raw) + 64
	if s.bytes < s.memBytes {
		return nil
	}
	return s.spill()
}

func (s *sorter) sortKept() {
	slices.SortFunc(s.kept, func(a, b held) int { return a.hit().Compare(b.hit()) })
}

// spill writes the held events, sorted, as one run.
func (s *sorter) spill() error {
	if len(s.kept) == 0 {
		return nil
	}
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.tmpDir, "vigil-search-sort-")
		if err != nil {
			return fmt.Errorf("sorting the events past %d MiB needs a temporary directory: %w", s.memBytes>>20, err)
		}
		s.dir = dir
	}
	s.sortKept()
	path := filepath.Join(s.dir, fmt.Sprintf("run-%d", len(s.runs)))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("sorting the events: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var buf []byte
	for _, h := range s.kept {
		buf = appendHeld(buf[:0], h)
		if _, err := w.Write(buf); err != nil {
			f.Close()
			return fmt.Errorf("sorting the events: writing %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("sorting the events: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sorting the events: writing %s: %w", path, err)
	}
	s.runs = append(s.runs, path)
	clear(s.kept)
	s.kept = s.kept[:0]
	s.bytes = 0
	return nil
}

// each calls yield with the held events in order.
func (s *sorter) each(yield func(held) error) error {
	if len(s.runs) == 0 {
		s.sortKept()
		for i := range s.kept {
			if err := yield(s.kept[i]); err != nil {
				return err
			}
			s.kept[i].raw = nil
		}
		return nil
	}
	if err := s.spill(); err != nil {
		return err
	}
	var rs runHeap
	for _, path := range s.runs {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("sorting the events: %w", err)
		}
		r := &runReader{f: f, r: bufio.NewReaderSize(f, 256<<10)}
		defer f.Close()
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			rs = append(rs, r)
		}
	}
	heap.Init(&rs)
	for len(rs) > 0 {
		r := rs[0]
		if err := yield(r.cur); err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&rs, 0)
		} else {
			heap.Pop(&rs)
		}
	}
	return nil
}

// close removes the run files.
func (s *sorter) close() {
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// A run record: time, arrival (8 bytes each), the tiebreaker (a kind byte
// and its value), the JSON length (4 bytes) and the JSON.
func appendHeld(b []byte, h held) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(h.time))
	b = binary.LittleEndian.AppendUint64(b, h.n)
	switch x := h.tie.(type) {
	case nil:
		b = append(b, 'z')
	case bool:
		if x {
			b = append(b, 'T')
		} else {
			b = append(b, 'F')
		}
	case int64:
		b = binary.LittleEndian.AppendUint64(append(b, 'i'), uint64(x))
	case float64:
		b = binary.LittleEndian.AppendUint64(append(b, 'f'), math.Float64bits(x))
	case string:
		b = binary.LittleEndian.AppendUint32(append(b, 's'), uint32(len(x)))
		b = append(b, x...)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h.raw)))
	return append(b, h.raw...)
}

type runReader struct {
	f   *os.File
	r   *bufio.Reader
	cur held
	buf [8]byte
}

var errBadRun = errors.New("sorting the events: a run file is corrupt")

// next reads the next record; ok is false at the end of the run.
func (r *runReader) next() (bool, error) {
	var h held
	if _, err := io.ReadFull(r.r, r.buf[:8]); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, errBadRun
	}
	h.time = int64(binary.LittleEndian.Uint64(r.buf[:8]))
	if _, err := io.ReadFull(r.r, r.buf[:8]); err != nil {
		return false, errBadRun
	}
	h.n = binary.LittleEndian.Uint64(r.buf[:8])
	kind, err := r.r.ReadByte()
	if err != nil {
		return false, errBadRun
	}
	switch kind {
	case 'z':
	case 'T', 'F':
		h.tie = kind == 'T'
	case 'i', 'f':
		if _, err := io.ReadFull(r.r, r.buf[:8]); err != nil {
			return false, errBadRun
		}
		u := binary.LittleEndian.Uint64(r.buf[:8])
		if kind == 'i' {
			h.tie = int64(u)
		} else {
			h.tie = math.Float64frombits(u)
		}
	case 's':
		s, err := r.bytes()
		if err != nil {
			return false, err
		}
		h.tie = string(s)
	default:
		return false, errBadRun
	}
	if h.raw, err = r.bytes(); err != nil {
		return false, err
	}
	r.cur = h
	return true, nil
}

func (r *runReader) bytes() ([]byte, error) {
	if _, err := io.ReadFull(r.r, r.buf[:4]); err != nil {
		return nil, errBadRun
	}
	b := make([]byte, binary.LittleEndian.Uint32(r.buf[:4]))
	if _, err := io.ReadFull(r.r, b); err != nil {
		return nil, errBadRun
	}
	return b, nil
}

// runHeap orders run readers by their current event.
type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].cur.hit().Compare(h[j].cur.hit()) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
