package sequence

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

	"github.com/vigil-project/vigil/internal/match"
)

// Sorted is an event a Sorter puts in a sequence's order: its place
// (Time, Tiebreaker, Arrival, compared as Hit.Compare does), its JSON, and
// Meta, bytes of the caller's that travel with it (an index name, an id,
// the rules that hold it).
type Sorted struct {
	Time       int64
	Tiebreaker any // nil, bool, int64, float64 or string
	Arrival    uint64
	Raw        []byte
	Meta       []byte
}

// Compare orders two sorted events as Hit.Compare does.
func (s *Sorted) Compare(o *Sorted) int {
	switch {
	case s.Time < o.Time:
		return -1
	case s.Time > o.Time:
		return 1
	}
	if s.Tiebreaker != nil || o.Tiebreaker != nil {
		if c := match.CompareKeys(s.Tiebreaker, o.Tiebreaker); c != 0 {
			return c
		}
	}
	switch {
	case s.Arrival < o.Arrival:
		return -1
	case s.Arrival > o.Arrival:
		return 1
	}
	return 0
}

// Sorter sorts events into a sequence's order (timestamp, tiebreaker,
// arrival) with bounded memory, since input order is not time order: past
// MemBytes of held events it writes the sorted batch as a run file in a
// temporary directory, and Each merges the runs (an external merge sort).
// Close removes the directory. It is not safe for concurrent use.
type Sorter struct {
	MemBytes int    // bytes of events held before a run is written (<= 0: 256 MiB)
	TmpDir   string // where the run directory goes ("": os.TempDir())

	kept  []Sorted
	bytes int
	dir   string
	runs  []string
}

// sortedOverhead is what an event held costs besides its JSON and meta.
const sortedOverhead = 96

// Add holds an event, writing a run past the memory bound. The Sorter
// keeps ev.Raw and ev.Meta as they are: the caller must not change them.
func (s *Sorter) Add(ev Sorted) error {
	s.kept = append(s.kept, ev)
	s.bytes += len(ev.Raw) + len(ev.Meta) + sortedOverhead
	if s.bytes < s.memBytes() {
		return nil
	}
	return s.spill()
}

// Len is the number of events held in memory (not yet in a run).
func (s *Sorter) Len() int { return len(s.kept) }

// Runs is the number of run files written.
func (s *Sorter) Runs() int { return len(s.runs) }

// Dir is the directory of the run files ("" before the first).
func (s *Sorter) Dir() string { return s.dir }

func (s *Sorter) memBytes() int {
	if s.MemBytes <= 0 {
		return 256 << 20
	}
	return s.MemBytes
}

func (s *Sorter) sortKept() {
	slices.SortFunc(s.kept, func(a, b Sorted) int { return a.Compare(&b) })
}

// spill writes the held events, sorted, as one run.
func (s *Sorter) spill() error {
	if len(s.kept) == 0 {
		return nil
	}
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.TmpDir, "vigil-sequence-sort-")
		if err != nil {
			return fmt.Errorf("sorting the events past %d MiB needs a temporary directory (set TMPDIR to one with room): %w", s.memBytes()>>20, err)
		}
		s.dir = dir
	}
	s.sortKept()
	path := filepath.Join(s.dir, fmt.Sprintf("run-%d", len(s.runs)))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("sorting the events: %w", err)
	}
	w := bufio.NewWriterSize(f, min(max(s.bytes, 4<<10), 1<<20))
	var buf []byte
	for i := range s.kept {
		buf = appendSorted(buf[:0], &s.kept[i])
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

// Each calls yield with every event added, in order; an error of yield
// stops it and is returned. The event given to yield is valid until yield
// returns. Each may be called again (it reads the runs again).
func (s *Sorter) Each(yield func(*Sorted) error) error {
	if len(s.runs) == 0 {
		s.sortKept()
		for i := range s.kept {
			if err := yield(&s.kept[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.spill(); err != nil {
		return err
	}
	// The readers' buffers share the memory bound: 4 KiB to 256 KiB each.
	bufSize := min(max(s.memBytes()/len(s.runs), 4<<10), 256<<10)
	var rs runHeap
	defer func() {
		for _, r := range rs {
			r.f.Close()
		}
	}()
	for _, path := range s.runs {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("sorting the events: %w", err)
		}
		r := &runReader{f: f, r: bufio.NewReaderSize(f, bufSize)}
		ok, err := r.next()
		if err != nil || !ok {
			f.Close()
			if err != nil {
				return err
			}
			continue
		}
		rs = append(rs, r)
	}
	heap.Init(&rs)
	for len(rs) > 0 {
		r := rs[0]
		if err := yield(&r.cur); err != nil {
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
			r.f.Close()
		}
	}
	return nil
}

// Close drops the events held and removes the run files.
func (s *Sorter) Close() {
	clear(s.kept)
	s.kept, s.bytes = nil, 0
	if s.dir != "" {
		os.RemoveAll(s.dir)
		s.dir, s.runs = "", nil
	}
}

// A run record: time, arrival (8 bytes each), the tiebreaker (a kind byte
// and its value), then the JSON and the meta, each a 4-byte length and its
// bytes.
func appendSorted(b []byte, s *Sorted) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(s.Time))
	b = binary.LittleEndian.AppendUint64(b, s.Arrival)
	switch x := s.Tiebreaker.(type) {
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
	default: // nil (a tiebreaker's value is one of these kinds or none)
		b = append(b, 'z')
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.Raw)))
	b = append(b, s.Raw...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.Meta)))
	return append(b, s.Meta...)
}

type runReader struct {
	f   *os.File
	r   *bufio.Reader
	cur Sorted
	buf [8]byte
}

var errBadRun = errors.New("sorting the events: a run file is corrupt (was the temporary directory changed?)")

// next reads the next record; ok is false at the end of the run.
func (r *runReader) next() (bool, error) {
	var s Sorted
	if _, err := io.ReadFull(r.r, r.buf[:8]); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, errBadRun
	}
	s.Time = int64(binary.LittleEndian.Uint64(r.buf[:8]))
	if _, err := io.ReadFull(r.r, r.buf[:8]); err != nil {
		return false, errBadRun
	}
	s.Arrival = binary.LittleEndian.Uint64(r.buf[:8])
	kind, err := r.r.ReadByte()
	if err != nil {
		return false, errBadRun
	}
	switch kind {
	case 'z':
	case 'T', 'F':
		s.Tiebreaker = kind == 'T'
	case 'i', 'f':
		if _, err := io.ReadFull(r.r, r.buf[:8]); err != nil {
			return false, errBadRun
		}
		u := binary.LittleEndian.Uint64(r.buf[:8])
		if kind == 'i' {
			s.Tiebreaker = int64(u)
		} else {
			s.Tiebreaker = math.Float64frombits(u)
		}
	case 's':
		b, err := r.bytes()
		if err != nil {
			return false, err
		}
		s.Tiebreaker = string(b)
	default:
		return false, errBadRun
	}
	if s.Raw, err = r.bytes(); err != nil {
		return false, err
	}
	if s.Meta, err = r.bytes(); err != nil {
		return false, err
	}
	r.cur = s
	return true, nil
}

// maxRecord bounds a record's field read from a run: a corrupt length
// must not allocate gigabytes.
const maxRecord = 1 << 30

func (r *runReader) bytes() ([]byte, error) {
	if _, err := io.ReadFull(r.r, r.buf[:4]); err != nil {
		return nil, errBadRun
	}
	n := binary.LittleEndian.Uint32(r.buf[:4])
	if n > maxRecord {
		return nil, errBadRun
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		return nil, errBadRun
	}
	return b, nil
}

// runHeap orders run readers by their current event.
type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].cur.Compare(&h[j].cur) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
