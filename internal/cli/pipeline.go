package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/normalize"
)

// The hunt pipeline: one goroutine reads the inputs in order and cuts them
// into chunks of records; jobs workers validate, normalize and evaluate the
// chunks; the caller's goroutine takes the results back in input order, so
// that de-duplication, the alerts' order and every message are the same
// whatever the number of workers. Memory is bounded by the chunks in flight.

const (
	chunkRecords = 1024
	// chunkBytes is about the size of a block of lines: small enough that
	// a block read (copied by read(2)) is still in the core's cache when
	// its worker reads it. 1 MiB blocks cost the seed rule's hunt 10% more
	// CPU, the pack's on two cores 14% (docs/performance.md).
	chunkBytes = 256 << 10
	// maxKeptOutcomes bounds the outcome lists kept for reuse (about
	// 400 bytes an outcome): a chunk whose events matched many rules
	// each leaves its larger list to the collector.
	maxKeptOutcomes = 8 * chunkRecords
)

type chunk struct {
	seq   int
	block input.Block // NDJSON lines, cut into records by the worker; or:
	items []chunkItem
	arena []byte
	bytes int64 // input bytes the chunk covers (records' JSON), for progress

	// Filled by a worker.
	outcomes []outcome
	events   int
	docs     []byte  // normalize: the documents written, one a line; hunt: the raw records normalized
	ats      []int32 // hunt: where the values of those documents lie, for their matches (event.Laid)
}

// chunkItem is a record read (its data in the chunk's arena) or a problem
// met while reading, reported at its place.
type chunkItem struct {
	rec      input.Record
	from, to int
	problem  string
}

// outcome is, in input order, a match or a record that failed (or, for
// normalize, a record's output).
type outcome struct {
	match   engine.Match
	problem string // non-empty: a bad record, reported and counted
	explain string // non-empty: why the explained rule does not match (match unset)
	where   string
	out     []byte   // normalize, search: what to write (valid until onChunk returns)
	warns   []string // normalize: what the normalizer warned of
	hit     bool     // search: the event matched
	at      int64    // search --language eql: the event's timestamp (Unix ns)
	tie     string   // search --language eql: its tiebreaker value
}

type pipeline struct {
	env     *Env
	cmd     string
	jobs    int
	plan    *event.Plan
	eval    *engine.Evaluator
	onChunk func(c *chunk) error // in input order, on the caller's goroutine
	// explain, when set, is the rule whose non-matches are explained.
	explain *engine.Rule
	// azure, when set, passes the raw Azure activity records any rule could
	// match; the others are only checked to be JSON and counted, not
	// normalized (the normalizer costs far more than the rules).
	azure *engine.AzureRawFilter
	// lines, when set, passes the lines some rule could match as they are
	// (ECS documents) or once normalized (engine.NewLineFilter); the
	// others are counted, not parsed.
	lines *engine.RawFilter
	free  chan []byte // blocks to read into again
	// docBufs are the chunks' buffers of normalized records (hunt), to
	// write into again once their chunk is done.
	docBufs chan []byte
	// outs are the outcome lists of chunks done, for workers to fill
	// again: a list grown afresh for each chunk (a sequence step's match
	// per event, 1,024 records a chunk) was a twentieth of a corpus hunt.
	outs chan []outcome
	sent bool // a chunk has gone to the workers (read's goroutine only)
	// record, when set, replaces what workers do with each valid record
	// (hunt's: normalize if raw, evaluate): normalize's and search's step.
	record func(w *worker, c *chunk, rec input.Record)
	// checks tells that record checks each record itself (normalize's,
	// with the worker's normalize.Record): workers do not scan it first.
	checks bool
	// coverage, when set, receives what the events offered the rules (the
	// workers' coverages merged at the end of run).
	coverage *engine.Coverage
	// geoip, when set, enriches the raw records normalized (as Elastic's
	// integration pipelines do), and with geoipECS the documents already
	// in ECS where the fields are absent.
	geoip    *geoip.Databases
	geoipECS bool
}

// run processes paths and returns the first error onChunk returned (the
// pipeline then drains and stops).
func (p *pipeline) run(paths []string) error {
	if p.jobs < 1 {
		p.jobs = 1
	}
	inFlight := make(chan struct{}, p.jobs*4)
	// Blocks and arenas come back once their chunk is done (onChunk has
	// returned: nothing it keeps refers to their bytes) and are filled
	// again.
	p.free = make(chan []byte, p.jobs*4+1)
	p.outs = make(chan []outcome, p.jobs*4+1)
	p.docBufs = make(chan []byte, p.jobs*4+1)
	work := make(chan *chunk, p.jobs*2)
	done := make(chan *chunk, p.jobs*4)
	stop := make(chan struct{})

	go func() {
		defer close(work)
		p.read(paths, work, inFlight, stop)
	}()
	// A top-level operationName makes a raw Azure activity record (as
	// normalize.Detect decides): the event scan, which validates the record
	// anyway, tells it at no extra cost.
	opName := p.plan.Add("operationName")
	var wg sync.WaitGroup
	var covMu sync.Mutex
	for range p.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{eval: p.eval, ev: event.New(nil, p.plan), outs: p.outs, docBufs: p.docBufs, cmd: p.cmd, explain: p.explain, azure: p.azure, lines: p.lines, opName: opName, do: p.record, checks: p.checks && !scanEveryRecord, geoip: p.geoip, geoipECS: p.geoipECS}
			if p.eval != nil {
				// The worker's own: the events its matches hold are
				// copied into its arena.
				x := *p.eval
				x.Arena = &engine.Arena{}
				w.eval = &x
			}
			if p.coverage != nil {
				x := w.eval
				x.Coverage = engine.NewCoverage()
				defer func() {
					covMu.Lock()
					p.coverage.Merge(x.Coverage)
					covMu.Unlock()
				}()
			}
			for c := range work {
				w.process(c)
				done <- c
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	var firstErr error
	next := 0
	held := map[int]*chunk{}
	for c := range done {
		held[c.seq] = c
		for {
			c, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			next++
			if firstErr == nil {
				if err := p.onChunk(c); err != nil {
					firstErr = err
					close(stop)
				}
			}
			if c.outcomes != nil && cap(c.outcomes) <= maxKeptOutcomes {
				// onChunk keeps no outcome list (the outcomes' values
				// are copied out): cleared, so that the matches'
				// documents and bytes are not kept by it.
				clear(c.outcomes)
				select {
				case p.outs <- c.outcomes[:0]:
				default:
				}
				c.outcomes = nil
			}
			for _, b := range [][]byte{c.block.Data, c.arena} {
				if b != nil {
					select {
					case p.free <- b[:0]:
					default:
					}
				}
			}
			if c.docs != nil && p.record == nil {
				// hunt's normalized records, which live as long as the
				// chunk's input bytes (nothing kept after onChunk
				// refers to them).
				select {
				case p.docBufs <- c.docs[:0]:
				default:
				}
			}
			<-inFlight
		}
	}
	return firstErr
}

// readBlocks hands an NDJSON input to the workers in blocks of whole
// lines, which they cut into records: the reading goroutine only copies
// bytes, so that it does not hold the workers back. It returns false when
// the pipeline stops.
func (p *pipeline) readBlocks(path string, r *input.Reader, cur **chunk, send func() bool, add func(chunkItem) bool) bool {
	for {
		blk, err := r.NextBlock(p.buffer(), chunkBytes)
		if errors.Is(err, io.EOF) {
			return true
		}
		var de *input.DecodeError
		if errors.As(err, &de) {
			if !add(chunkItem{problem: de.Error() + " (record skipped)"}) {
				return false
			}
			continue
		}
		if err != nil {
			return add(chunkItem{problem: fmt.Sprintf("%s: %v", path, err)})
		}
		if len((*cur).items) > 0 && !send() { // what came before, in order
			return false
		}
		if p.lines != nil && !p.sent {
			// Before any worker reads a line: the literals' anchors
			// from the input's own bytes.
			p.lines.Tune(blk.Data)
		}
		(*cur).block, (*cur).bytes = blk, int64(len(blk.Data))
		if !send() {
			return false
		}
	}
}

// buffer returns a block handed back to read into again, or nil (the
// caller makes one).
func (p *pipeline) buffer() []byte {
	select {
	case b := <-p.free:
		return b
	default:
		return nil
	}
}

// read cuts the inputs into chunks.
func (p *pipeline) read(paths []string, work chan<- *chunk, inFlight chan struct{}, stop <-chan struct{}) {
	seq := 0
	c := &chunk{}
	send := func() bool {
		select {
		case inFlight <- struct{}{}:
		case <-stop:
			return false
		}
		c.seq = seq
		seq++
		p.sent = true
		work <- c
		c = &chunk{}
		return true
	}
	add := func(it chunkItem) bool {
		c.items = append(c.items, it)
		if len(c.items) >= chunkRecords || len(c.arena) >= chunkBytes {
			return send()
		}
		return true
	}
	for _, path := range paths {
		r, err := input.Open(path, p.env.Stdin)
		if err != nil {
			if !add(chunkItem{problem: err.Error()}) {
				return
			}
			continue
		}
		r.Defer()
		lines, err := r.Lines()
		if err != nil {
			add(chunkItem{problem: fmt.Sprintf("%s: %v", path, err)})
			r.Close()
			continue
		}
		if lines {
			if !p.readBlocks(path, r, &c, send, add) {
				r.Close()
				return
			}
			r.Close()
			continue
		}
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var de *input.DecodeError
			if errors.As(err, &de) {
				if !add(chunkItem{problem: de.Error() + " (record skipped)"}) {
					r.Close()
					return
				}
				continue
			}
			if err != nil {
				add(chunkItem{problem: fmt.Sprintf("%s: %v", path, err)})
				break
			}
			if c.arena == nil {
				if c.arena = p.buffer(); c.arena == nil {
					c.arena = make([]byte, 0, chunkBytes+64<<10)
				}
				c.items = make([]chunkItem, 0, chunkRecords)
			}
			from := len(c.arena)
			c.arena = append(c.arena, rec.Data...)
			c.bytes += int64(len(rec.Data)) + 1
			if !add(chunkItem{rec: rec, from: from, to: len(c.arena)}) {
				r.Close()
				return
			}
		}
		r.Close()
	}
	if len(c.items) > 0 {
		send()
	}
}

type worker struct {
	eval     *engine.Evaluator
	ev       *event.Event
	cmd      string
	ms       []engine.Match
	outs     chan []outcome // outcome lists to reuse (pipeline.outs)
	docBufs  chan []byte    // normalized records' buffers to reuse (pipeline.docBufs)
	explain  *engine.Rule
	azure    *engine.AzureRawFilter
	lines    *engine.RawFilter
	scratch  engine.RawScratch
	plain    engine.PlainScan                            // over the chunk's block, for lines.PassPlain
	ops      opScan                                      // over the chunk's block, for namesOperation
	items    []input.Item                                // the records of the record being expanded
	do       func(w *worker, c *chunk, rec input.Record) // see pipeline.record
	checks   bool                                        // see pipeline.checks
	raw      normalize.Record                            // the last raw record read (readRaw, normalize's step)
	opName   event.FieldID                               // the top-level operationName of raw Azure records
	geoip    *geoip.Databases
	geoipECS bool
}

func (w *worker) process(c *chunk) {
	if c.outcomes == nil {
		select {
		case c.outcomes = <-w.outs:
		default:
		}
	}
	if w.lines != nil {
		w.plain.Reset(c.block.Data)
		w.ops.reset(c.block.Data)
	}
	c.block.EachLine(func(rec input.Record, err error) bool {
		if err != nil {
			c.outcomes = append(c.outcomes, outcome{problem: err.Error() + " (record skipped)"})
			return true
		}
		w.expand(c, rec)
		return true
	})
	for _, it := range c.items {
		if it.problem != "" {
			c.outcomes = append(c.outcomes, outcome{problem: it.problem})
			continue
		}
		rec := it.rec
		rec.Data = c.arena[it.from:it.to:it.to]
		w.expand(c, rec)
	}
}

// expand processes the records of one read record (an envelope's several).
func (w *worker) expand(c *chunk, rec input.Record) {
	if !input.Expands(rec) {
		w.record(c, rec) // most lines: one record, as it is
		return
	}
	w.items = input.AppendExpanded(w.items[:0], rec)
	for _, x := range w.items {
		if x.Err != nil {
			c.outcomes = append(c.outcomes, outcome{problem: x.Err.Error() + " (record skipped)"})
			continue
		}
		w.record(c, x.Record)
	}
}

func (w *worker) record(c *chunk, rec input.Record) {
	if w.lines != nil && framed(rec.Data) && !w.passLine(rec.Data) {
		// No rule could match it: read, counted, not parsed (a line that
		// is not even {...} is parsed, for its error to be reported).
		c.events++
		if w.eval != nil && w.eval.Coverage != nil {
			cov := w.eval.Coverage
			// A raw Azure record (its text names operationName) is of
			// the normalizer's index, as when the raw filter skips it;
			// of other lines nothing is known. A document whose first
			// key is @timestamp, as Elastic's ingest writes them, is
			// taken for ECS without the search of its whole text (raw
			// Azure records have no @timestamp): this is only a count.
			if w.azure != nil && w.mayBeRaw(rec.Data) {
				cov.NoteSkipped(w.azure.IndexOf(rec.Data))
			} else {
				cov.Unparsed++
			}
		}
		return
	}
	if w.checks {
		w.do(w, c, rec)
		return
	}
	if w.do == nil && !scanEveryRecord && w.mayBeRaw(rec.Data) && w.readRaw(c, rec) {
		return
	}
	w.ev.Reset(rec.Data)
	if err := w.ev.Err(); err != nil {
		w.bad(c, rec, err)
		return
	}
	if w.do != nil {
		w.do(w, c, rec)
		return
	}
	if !w.toECS(c, rec) {
		return
	}
	w.evaluate(c, rec)
}

// evaluate evaluates the event w.ev holds, the document of rec.
func (w *worker) evaluate(c *chunk, rec input.Record) {
	var err error
	w.ms, err = w.eval.Evaluate(w.ev, w.ms[:0])
	if err != nil {
		w.bad(c, rec, err)
		return
	}
	c.events++
	explained := w.explain == nil
	if l := w.ev.Laid(); l.Shape != nil && len(w.ms) > 0 {
		// The matches outlive the event: they keep their own copy of
		// where the document's values lie, in the chunk's (the slices
		// taken before a growth keep the array they had).
		n := len(c.ats)
		c.ats = append(c.ats, l.At...)
		l.At = c.ats[n:len(c.ats):len(c.ats)]
		for i := range w.ms {
			w.ms[i].Laid = l
		}
	}
	for _, m := range w.ms {
		if w.explain != nil {
			// Only explanations read it: formatted for them alone (a
			// Sprintf per match was 4% of the corpus's hunt).
			m.Where = rec.Location()
		}
		c.outcomes = append(c.outcomes, outcome{match: m})
		explained = explained || m.Rule == w.explain
	}
	if !explained {
		index := w.eval.Index
		if index == "" {
			index = w.eval.Engine.ResolveIndex(w.ev)
		}
		if why := w.eval.Engine.WhyNot(w.ev, index, w.explain); why != "" {
			c.outcomes = append(c.outcomes, outcome{explain: why, where: rec.Location()})
		}
	}
}

// passLine is w.lines.Pass, without its checks for escapes and folding
// characters when the block's plain scan vouches for the line.
func (w *worker) passLine(b []byte) bool {
	if from, ok := w.plain.Within(b); ok && w.plain.Plain(from, from+len(b)) {
		return w.lines.PassPlain(b, &w.scratch)
	}
	return w.lines.Pass(b, &w.scratch)
}

// toECS leaves w.ev on the ECS document of a valid record: a raw Azure
// activity record is normalized, unless the pipeline's raw filter says no
// rule could match it (it is then counted as read). false: nothing to
// evaluate (skipped, or a problem reported).
func (w *worker) toECS(c *chunk, rec input.Record) bool {
	if !w.ev.Has(w.opName) {
		if w.geoipECS {
			// EnrichECS leaves w.ev on the enriched document.
			normalize.EnrichECS(rec.Data, w.ev, w.geoip)
		}
		return true
	}
	if w.azure != nil {
		if pass, index := w.azure.PassIndex(rec.Data, &w.scratch); !pass {
			w.skipRaw(c, index)
			return false
		}
	}
	return w.normalizeRaw(c, rec, nil)
}

// scanEveryRecord, set by tests, has every record scanned as an event
// first (no readRaw, no step that checks records itself): the path whose
// verdicts and messages readRaw's must repeat.
var scanEveryRecord bool

// mayBeRaw reports whether the text b may be a raw Azure record: its
// first key is not @timestamp (as Elastic's ingest writes documents) and
// it holds operationName's key.
func (w *worker) mayBeRaw(b []byte) bool {
	return !input.FirstKeyIs(b, `"@timestamp"`) && w.namesOperation(b)
}

// readRaw takes a record that may be a raw Azure record through one walk
// (normalize.Record) instead of the event scan: the walk checks it as the
// scan does and, when the record is raw (a top-level operationName, as
// toECS tells it), the raw filter, the normalizer and the evaluation
// follow as after the scan. false: it is not raw, or the walk cannot tell;
// the caller scans it.
func (w *worker) readRaw(c *chunk, rec input.Record) bool {
	r := &w.raw // kept from one record to the next, with its writer
	if err := r.Read(rec.Data); err != nil {
		// The scan's own error (the same, from the same scanner).
		w.ev.Reset(rec.Data)
		w.bad(c, rec, w.ev.Err())
		return true
	}
	if has, sure := r.Operation(); !has || !sure {
		return false
	}
	if w.azure != nil {
		if pass, index := w.azure.PassStream(rec.Data, r.Stream(), &w.scratch); !pass {
			w.skipRaw(c, index)
			return true
		}
	}
	if w.normalizeRaw(c, rec, r) {
		w.evaluate(c, rec)
	}
	return true
}

// skipRaw counts a raw record the raw filter passed over (checked, not
// normalized): its document would have gone to index.
func (w *worker) skipRaw(c *chunk, index string) {
	c.events++
	if w.eval != nil && w.eval.Coverage != nil {
		w.eval.Coverage.NoteSkipped(index)
	}
}

// normalizeRaw leaves w.ev on the ECS document of the raw record rec,
// read by r when r is set (else checked by the event scan). false: a
// problem, reported.
func (w *worker) normalizeRaw(c *chunk, rec input.Record, r *normalize.Record) bool {
	// The document goes into the chunk's buffer (one allocation reused,
	// not one a record), where it lives as long as the record's own
	// bytes.
	if c.docs == nil {
		select {
		case c.docs = <-w.docBufs:
		default:
			// A normalized record is two to three times its raw size.
			c.docs = make([]byte, 0, 3*c.bytes+4096)
		}
	}
	start := len(c.docs)
	var err error
	opts := normalize.Options{Strict: true, GeoIP: w.geoip}
	if r != nil {
		c.docs, _, err = r.Append(c.docs, normalize.AzureActivity, opts)
	} else {
		opts.Valid = true
		c.docs, _, err = normalize.Append(c.docs, rec.Data, normalize.AzureActivity, opts)
	}
	if err == nil {
		doc := c.docs[start:len(c.docs):len(c.docs)]
		// A document the writer put field by field is read at its
		// values, not scanned: the writer knows where they are.
		l, _ := r.Laid(doc)
		w.ev.ResetLaid(doc, l)
		err = w.ev.Err()
	}
	if err == nil && w.eval != nil && w.eval.Coverage != nil {
		w.eval.Coverage.Normalized++
	}
	if err != nil {
		c.outcomes = append(c.outcomes, outcome{problem: fmt.Sprintf("%s: %v (record skipped)", rec.Location(), err)})
		return false
	}
	return true
}

// opNameKey is the key that makes a raw Azure activity record, spelled as
// the parse path (toECS) reads it: only a line holding it can be one.
var opNameKey = []byte(`"operationName"`)

// namesOperation reports whether b holds opNameKey: found in the block
// once for all its lines when b is a part of it (a skipped line, a record
// of an envelope), else in b.
func (w *worker) namesOperation(b []byte) bool {
	if from, ok := w.plain.Within(b); ok {
		return w.ops.holds(from, from+len(b))
	}
	return indexOpName(b, 0) >= 0
}

// opScan finds opNameKey in a block, for pieces of it asked for in order
// (a piece before the last one asked for costs a new search).
type opScan struct {
	text []byte
	from int // the latest piece's start
	next int // the key's first offset at or after from, len(text) when none; -1: not searched
}

func (s *opScan) reset(text []byte) { s.text, s.from, s.next = text, 0, -1 }

// holds reports whether text[from:to] holds the key.
func (s *opScan) holds(from, to int) bool {
	if from < s.from {
		s.next = -1
	}
	s.from = from
	if s.next < from {
		if j := indexOpName(s.text[from:], 0); j < 0 {
			s.next = len(s.text)
		} else {
			s.next = from + j
		}
	}
	return s.next+len(opNameKey) <= to
}

// indexOpName returns the offset of opNameKey in b at or after from, -1
// when there is none: searched for by its 'N' (bytes.Index would start
// from '"', JSON's commonest byte).
func indexOpName(b []byte, from int) int {
	const at = 10 // opNameKey[at] == 'N'
	for i := from + at; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], 'N')
		if j < 0 {
			return -1
		}
		i += j
		if bytes.HasPrefix(b[i-at:], opNameKey) {
			return i - at
		}
	}
	return -1
}

// framed reports whether b is, blanks aside, one {...}: what a line must
// look like to be judged from its text alone.
func framed(b []byte) bool {
	if n := len(b); n > 1 && b[0] == '{' && b[n-1] == '}' {
		return true // as lines and records come, trimmed
	}
	i, j := 0, len(b)-1
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	for j > i && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n') {
		j--
	}
	return j > i && b[i] == '{' && b[j] == '}'
}

// bad reports a record that is not a JSON object, at its place.
func (w *worker) bad(c *chunk, rec input.Record, err error) {
	var se *event.SyntaxError
	if errors.As(err, &se) && rec.Unchecked {
		err = input.ErrorAt(rec, se.Offset, fmt.Errorf("malformed JSON: %s", se.Msg))
		c.outcomes = append(c.outcomes, outcome{problem: err.Error() + " (record skipped)"})
		return
	}
	c.outcomes = append(c.outcomes, outcome{problem: fmt.Sprintf("%s: %v (record skipped)", rec.Location(), err)})
}
