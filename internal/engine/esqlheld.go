package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/esql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/state"
)

// ES|QL rules whose look-back spans many intervals in a hunt: feeding each
// event to the run of every execution whose range holds it (esql.go) would
// keep that many runs open, and their state, at once. A hunt holds such a
// rule's documents on disk instead, in a scratch SQLite database of its
// own (the ES|QL holder serve uses: state.Store's esql_docs), and runs
// each execution as serve does, over the documents of its range streamed
// from the database one at a time: memory holds one execution's state and
// a batch of documents not yet written, whatever the look-back. The
// database lives in a temporary directory removed when the hunt finishes
// (or is closed).

// MaxFedESQLWindows is the most executions whose range an event of an
// ES|QL rule may fall in (the look-back divided by the interval, rounded
// up) for a hunt to feed it to their runs as it reads it; a rule with a
// longer look-back has its documents held on disk.
const MaxFedESQLWindows = 12

// esqlHeldBatch bounds the documents (and their bytes) a held rule keeps
// in memory before writing them to the database.
const (
	esqlHeldBatch      = 4096
	esqlHeldBatchBytes = 8 << 20
)

// esqlLongLookback reports whether a hunt holds r's documents on disk.
func esqlLongLookback(r *Rule) bool {
	i := Interval(r)
	lookback := r.Window.Lookback
	if lookback <= 0 {
		lookback = i
	}
	return (lookback+i-1)/i > MaxFedESQLWindows
}

// esqlHeld is what a hunt holds of an ES|QL rule with a long look-back:
// the documents not yet written, the oldest time held and the executions
// run.
type esqlHeld struct {
	buf    []ESQLDoc
	bytes  int
	oldest time.Time // the oldest document time held, zero: none
	ev     *event.Event
}

// esqlScratch is the hunt's scratch database for held ES|QL documents.
type esqlScratch struct {
	dir   string
	store *state.Store
	seq   uint64 // documents held: each gets its own key (a hunt does not de-duplicate)
}

// scratch opens the hunt's scratch database on first use.
func (h *Hunt) scratch() (*esqlScratch, error) {
	if h.esqlDisk != nil {
		return h.esqlDisk, nil
	}
	dir, err := os.MkdirTemp(h.opts.SequenceTempDir, "vigil-esql-")
	if err != nil {
		return nil, fmt.Errorf("holding the documents of ES|QL rules with a long look-back: %w (set TMPDIR to a writable directory)", err)
	}
	st, err := state.OpenScratch(context.Background(), filepath.Join(dir, "esql.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("holding the documents of ES|QL rules with a long look-back: %w", err)
	}
	h.esqlDisk = &esqlScratch{dir: dir, store: st}
	return h.esqlDisk, nil
}

// closeScratch removes the scratch database.
func (h *Hunt) closeScratch() {
	if h.esqlDisk == nil {
		return
	}
	h.esqlDisk.store.Close()
	os.RemoveAll(h.esqlDisk.dir)
	h.esqlDisk = nil
}

// holdESQL holds an event of an ES|QL rule with a long look-back, then runs
// the executions the input's time has moved past.
func (h *Hunt) holdESQL(r *Rule, s *esqlState, m Match) error {
	if s.held == nil {
		s.held = &esqlHeld{ev: event.New(nil, r.ESQL.Program.Plan())}
	}
	hd := s.held
	if len(m.Raw) == 0 {
		return nil
	}
	if !s.finished.IsZero() && !lastESQLExecution(r, m.Time).After(s.finished) {
		s.late++ // every execution of its range ran: none reads it
		return nil
	}
	disk, err := h.scratch()
	if err != nil {
		return err
	}
	disk.seq++
	// The key orders documents of one time as they were read; the event's
	// id follows it.
	hd.buf = append(hd.buf, ESQLDoc{Time: m.Time, ID: fmt.Sprintf("%016x/%s", disk.seq, m.EventID), Index: m.Index, Data: m.Raw})
	hd.bytes += len(m.Raw)
	if hd.oldest.IsZero() || m.Time.Before(hd.oldest) {
		hd.oldest = m.Time
	}
	if len(hd.buf) >= esqlHeldBatch || hd.bytes >= esqlHeldBatchBytes {
		if err := h.writeHeld(r, hd); err != nil {
			return err
		}
	}
	if m.Time.After(s.newest) {
		s.newest = m.Time
		if due := s.newest.Add(-esqlSlack(r)).Truncate(Interval(r)); due.After(s.finished) {
			return h.runHeldESQL(r, s, due)
		}
	}
	return nil
}

// writeHeld writes the documents a held rule keeps in memory.
func (h *Hunt) writeHeld(r *Rule, hd *esqlHeld) error {
	if len(hd.buf) == 0 {
		return nil
	}
	disk, err := h.scratch()
	if err != nil {
		return err
	}
	if err := disk.store.AddESQLDocs(context.Background(), r.ID, hd.buf); err != nil {
		return err
	}
	clear(hd.buf)
	hd.buf, hd.bytes = hd.buf[:0], 0
	return nil
}

// firstESQLExecution is the first execution (on the clock) whose range
// holds t.
func firstESQLExecution(r *Rule, t time.Time) time.Time {
	i := Interval(r)
	lo := t.Add(-r.Window.ToOffset)
	first := lo.Truncate(i)
	if first.Before(lo) {
		first = first.Add(i)
	}
	return first
}

// lastESQLExecution is the last execution (on the clock) whose range
// holds t.
func lastESQLExecution(r *Rule, t time.Time) time.Time {
	i := Interval(r)
	lookback := r.Window.Lookback
	if lookback <= 0 {
		lookback = i
	}
	return t.Add(-r.Window.ToOffset).Add(lookback).Truncate(i)
}

// errFound stops a read at its first document.
var errFound = errors.New("found")

// runHeldESQL runs the executions of a held rule at or before upTo (all
// that see a held document when upTo is zero), oldest first, each over the
// documents of its range read from the scratch database; an execution
// whose range holds no document does not run (as in a fed hunt).
func (h *Hunt) runHeldESQL(r *Rule, s *esqlState, upTo time.Time) error {
	hd := s.held
	var firstErr error
	defer func() {
		if !upTo.IsZero() {
			s.finished = upTo
		}
	}()
	if hd == nil || hd.oldest.IsZero() {
		return nil
	}
	if err := h.writeHeld(r, hd); err != nil {
		return err
	}
	disk, err := h.scratch()
	if err != nil {
		return err
	}
	ctx := context.Background()
	i := Interval(r)
	at := firstESQLExecution(r, hd.oldest)
	if !s.finished.IsZero() && !at.After(s.finished) {
		at = s.finished.Add(i)
	}
	last := upTo
	if last.IsZero() {
		last = lastESQLExecution(r, s.newest)
	}
	for ; !at.After(last); at = at.Add(i) {
		from, to := esqlTuple(r, at)
		r.ESQL.SetNow(at)
		run := r.ESQL.Program.Start()
		n := 0
		err := disk.store.ESQLDocs(ctx, r.ID, from, to, func(d ESQLDoc) error {
			n++
			if !run.Done() {
				hd.ev.Reset(d.Data)
				_, id, _ := strings.Cut(d.ID, "/")
				run.Add(esql.Doc{Event: hd.ev, ID: id, Index: d.Index})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n > 0 {
			if err := h.esqlExecuted(r, s, at, from, to, run); err != nil && firstErr == nil {
				firstErr = err
			}
			continue
		}
		// No document in its range (nor before it: the read forgot
		// those): skip to the first execution that sees the next one.
		var next time.Time
		err = disk.store.ESQLDocs(ctx, r.ID, to, time.Unix(1<<40, 0), func(d ESQLDoc) error {
			next = d.Time
			return errFound
		})
		if err != nil && !errors.Is(err, errFound) {
			return err
		}
		if next.IsZero() {
			hd.oldest = time.Time{} // nothing held
			break
		}
		if nx := firstESQLExecution(r, next); nx.After(at) {
			at = nx.Add(-i)
		}
	}
	if upTo.IsZero() {
		if err := h.esqlFlush(r, s); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}
