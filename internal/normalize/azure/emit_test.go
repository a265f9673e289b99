package azure

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestConstantsKeepPlans writes activity records with one writer (its
// plans kept), twice over: records alike but for a constant the writer
// puts as a literal of the plan (putConst: the outcome, the default
// category, the claims' schema) and for a user name that is split at its
// @. Each document is the general path's, and in the second round every
// record finds the plan the first round made for it (records that differ
// in a constant do not replace each other's plans).
func TestConstantsKeepPlans(t *testing.T) {
	const claim = `"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"`
	var recs []string
	for _, result := range []string{"Success", "failure", "Start"} {
		for _, props := range []string{``, `,"properties":{"eventCategory":"Policy"}`, `,"properties":{"policies":[]}`, `,"properties":{}`} {
			for _, user := range []string{``, `,"identity":{"claims":{` + claim + `:"ana@contoso.com"}}`, `,"identity":{"claims":{` + claim + `:"ana"}}`} {
				recs = append(recs, `{"time":"2026-03-12T00:01:56Z","operationName":"A/WRITE","resourceId":"/subscriptions/d36a9e81-871f-4fbb-8190-7b943b81c82b/resourceGroups/rg/providers/p/t/n","resultType":"`+result+`"`+user+props+`}`)
			}
		}
	}
	f := &fastDoc{}
	plans := map[string]*shape{}
	for round := range 2 {
		for _, rec := range recs {
			raw := []byte(rec)
			want, valid := slowActivity(t, raw)
			if !valid {
				t.Fatalf("%s: the general path failed", rec)
			}
			f.reset(raw)
			got, _, ok, _ := f.appendActivity(nil, Options{}, true)
			p := f.laid
			f.reset(nil)
			if !ok {
				t.Fatalf("%s: not taken", rec)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: %s", rec, firstDifference(got, want))
			}
			if round == 0 {
				plans[rec] = p
			} else if plans[rec] != p {
				t.Fatalf("%s: planned again", rec)
			}
		}
	}
}

// TestEmitRunsIsEmitWords writes generated plans' documents with emitRuns
// (emitRun's runs of steps, where the machine has it) and with emitWords
// (the Go loop): the documents and the values' offsets must be the same,
// and emit, which picks one, must write them too. Buffers end where their
// backing arrays do (exactCopy); TestEmitRunsStayInBounds runs the cases
// with unreadable pages after them.
func TestEmitRunsIsEmitWords(t *testing.T) {
	testEmitRuns(t, 3000, exactCopy)
}

// exactCopy returns a copy of text whose capacity is its length.
func exactCopy(t *testing.T, text string) []byte {
	b := make([]byte, len(text))
	copy(b, text)
	return b
}

// emitCase is a generated plan and the record, arena and document
// prefix emit writes it with.
type emitCase struct {
	text      string     // the plan's text
	steps     []planStep // its steps
	last      int32
	nfields   int
	ents      []fent
	rec       string // the record, which event.original quotes too
	arena     string
	arenaRoom bool // the arena's array holds runOver bytes after it
	strip     bool
	prefix    string // what dst holds before the document
	room      int    // dst's capacity past the prefix
}

// emitLength draws the length of a piece or a value, 0 to 200 bytes,
// often around the 32 bytes emitRun copies at a time.
func emitLength(r *rand.Rand) int {
	if r.IntN(2) == 0 {
		return []int{0, 1, 2, 31, 32, 33, 63, 64, 65, 95, 96, 97, 128, 200}[r.IntN(14)]
	}
	return r.IntN(201)
}

// emitBytes draws n bytes of text: a record's, with quotes, backslashes,
// braces and empty pairs among its letters.
func emitBytes(r *rand.Rand, n int) string {
	const parts = `abcxyz019"\{}:,`
	var b strings.Builder
	for b.Len() < n {
		if r.IntN(20) == 0 {
			b.WriteString(emptyPair)
			continue
		}
		b.WriteByte(parts[r.IntN(len(parts))])
	}
	return b.String()[:n]
}

func newEmitCase(r *rand.Rand) emitCase {
	var c emitCase
	nsteps := r.IntN(12)
	c.nfields = nsteps + r.IntN(3)
	var text strings.Builder
	for range nsteps {
		from := int32(text.Len())
		text.WriteString(emitBytes(r, emitLength(r)))
		c.steps = append(c.steps, planStep{from, int32(text.Len()), 0, 0})
	}
	c.last = int32(text.Len())
	text.WriteString(emitBytes(r, emitLength(r)))
	c.text = text.String()
	// The values: in the record or the arena, at random places or ending
	// at the buffer's end; one field may be event.original.
	c.rec = emitBytes(r, 16+r.IntN(300))
	c.arena = emitBytes(r, r.IntN(300))
	c.arenaRoom = r.IntN(4) != 0
	c.strip = r.IntN(2) == 0
	c.ents = make([]fent, c.nfields)
	original := -1
	if r.IntN(3) == 0 {
		original = r.IntN(c.nfields + 1) // may be no field
	}
	for i := range c.ents {
		if i == original {
			c.ents[i].original = true
			continue
		}
		inRec := r.IntN(2) == 0
		buf := len(c.arena)
		if inRec {
			buf = len(c.rec)
		}
		n := min(emitLength(r), buf)
		s := r.IntN(buf - n + 1)
		if r.IntN(3) == 0 {
			s = buf - n // at the very end
		}
		c.ents[i] = fent{s: s, e: s + n, inRec: inRec}
	}
	for k, field := range r.Perm(c.nfields)[:nsteps] {
		c.steps[k].field, c.steps[k].ent = int32(field), int32(field)*entSize
	}
	c.prefix = emitBytes(r, r.IntN(40))
	c.room = r.IntN(3*len(c.text) + 1)
	if r.IntN(2) == 0 {
		c.room += 2 * (len(c.text) + len(c.rec) + len(c.arena))
	}
	return c
}

// plan returns the case's plan, its text's array holding over bytes
// after it.
func (c *emitCase) plan(t *testing.T, buffer func(*testing.T, string) []byte, over int) *shape {
	text := buffer(t, c.text+strings.Repeat("#", over))[:len(c.text)]
	return &shape{text: text, steps: c.steps, last: c.last, paths: make([]string, c.nfields), keys: make([]fkey, c.nfields)}
}

// writer returns a writer holding the case's record and arena.
func (c *emitCase) writer(t *testing.T, buffer func(*testing.T, string) []byte) *fastDoc {
	f := &fastDoc{stripOriginal: c.strip}
	f.raw = buffer(t, c.rec)
	f.rec = f.raw
	if c.arenaRoom {
		f.arena = buffer(t, c.arena+strings.Repeat("#", runOver))[:len(c.arena)]
	} else {
		f.arena = buffer(t, c.arena)
	}
	f.ents = slices.Clone(c.ents)
	f.keys = make([]fkey, c.nfields)
	return f
}

// dst returns the document's buffer: the prefix, and room for c.room
// bytes more.
func (c *emitCase) dst() []byte {
	return append(make([]byte, 0, len(c.prefix)+c.room), c.prefix...)
}

func testEmitRuns(t *testing.T, cases int, buffer func(*testing.T, string) []byte) {
	r := rand.New(rand.NewPCG(7, uint64(cases)))
	for i := range cases {
		c := newEmitCase(r)
		base := len(c.prefix)
		// The Go loop reads a piece's 64 bytes (planShape's room).
		f := c.writer(t, buffer)
		wantAt := make([]int32, len(c.steps))
		want := f.emitWords(c.dst(), c.plan(t, buffer, wideCopy), base, wantAt)
		if !bytes.HasPrefix(want, []byte(c.prefix)) {
			t.Fatalf("case %d: emitWords lost the prefix", i)
		}
		// emitRuns, with the least room its callers make sure of.
		f = c.writer(t, buffer)
		gotAt := make([]int32, len(c.steps))
		got := f.emitRuns(c.dst(), c.plan(t, buffer, runOver), base, gotAt)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: emitRuns wrote\n%s", i, firstDifference(got, want))
		}
		if !slices.Equal(gotAt, wantAt) {
			t.Fatalf("case %d: emitRuns put the values at %v, want %v", i, gotAt, wantAt)
		}
		// emitRun alone, from the first step: it stops where its rules
		// say, having written what emitWords did up to there.
		if hasEmitRun {
			f = c.writer(t, buffer)
			p := c.plan(t, buffer, runOver)
			dst := c.dst()
			at := make([]int32, len(c.steps))
			recBound := max(0, min(len(f.rec), cap(f.rec)-runOver)+1)
			arenaBound := 0
			if cap(f.arena)-len(f.arena) >= runOver {
				arenaBound = len(f.arena) + 1
			}
			n, next, original := emitRun(unsafe.SliceData(dst[base:cap(dst)]), 0, cap(dst)-base-runOver, unsafe.SliceData(p.text), int(p.last), len(p.text),
				unsafe.SliceData(p.steps), 0, len(p.steps), unsafe.SliceData(f.ents), unsafe.SliceData(f.arena), arenaBound, unsafe.SliceData(f.rec), recBound, unsafe.SliceData(at))
			wantN, wantNext, wantOriginal := c.runStop(cap(dst)-base, arenaBound, recBound)
			if n != wantN || next != wantNext || original != wantOriginal {
				t.Fatalf("case %d: emitRun stopped at step %d (%d bytes, original %v), want %d (%d bytes, %v)", i, next, n, original, wantNext, wantN, wantOriginal)
			}
			if got := dst[base : base+n]; string(got) != string(want[base:base+n]) {
				t.Fatalf("case %d: emitRun wrote\n%s", i, firstDifference(got, want[base:]))
			}
			k := min(next, len(at))
			if original {
				k++ // the piece before event.original written, and its offset
			}
			if !slices.Equal(at[:k], wantAt[:k]) {
				t.Fatalf("case %d: emitRun put the values at %v, want %v", i, at[:k], wantAt[:k])
			}
		}
		// emit as a whole, the plan found in the writer's cache.
		f = c.writer(t, buffer)
		p := c.plan(t, buffer, wideCopy)
		f.shapes.plans = map[uint64]*shape{f.shapeHash: p}
		got, ok := f.emit(c.dst())
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("case %d: emit wrote (%v)\n%s", i, ok, firstDifference(got, want))
		}
		if !slices.Equal(f.at, wantAt) || f.laid != p || f.size != len(want)-base {
			t.Fatalf("case %d: emit put the values at %v, want %v", i, f.at, wantAt)
		}
	}
}

// runStop tells where emitRun, run from the first step on a document of
// room bytes, stops by its rules (see emitRun): the document's length
// then, the step, and whether it wrote the piece before event.original.
func (c *emitCase) runStop(room, arenaBound, recBound int) (n, next int, original bool) {
	for k, st := range c.steps {
		e := c.ents[st.field]
		if e.original {
			if size := n + int(st.to-st.from); size <= room-runOver {
				return size, k, true
			}
			return n, k, false
		}
		bound := arenaBound
		if e.inRec {
			bound = recBound
		}
		size := n + int(st.to-st.from) + e.e - e.s
		if e.e >= bound || size > room-runOver {
			return n, k, false
		}
		n = size
	}
	if size := n + len(c.text) - int(c.last); size <= room-runOver {
		return size, len(c.steps) + 1, false
	}
	return n, len(c.steps), false
}

// TestEmitRunLeavesBadValues gives emitRun values whose bounds a slice
// expression would refuse (start past end, a negative start, an end past
// the buffer's): it writes none of them, leaving the step to Go (which
// panics there, as emitWords does).
func TestEmitRunLeavesBadValues(t *testing.T) {
	if !hasEmitRun {
		t.Skip("no emitRun on this machine")
	}
	text := slices.Grow([]byte(`{"a":}`), runOver)
	steps := []planStep{{0, 5, 0, 0}}
	rec, arena := slices.Grow([]byte(`"abcdef"`), runOver), slices.Grow([]byte(`"xyz"`), runOver)
	for _, e := range []fent{{s: 5, e: 3}, {s: -1, e: 2}, {s: 0, e: len(rec) + 1}, {s: -8, e: -2},
		{s: 5, e: 3, inRec: true}, {s: -1, e: 2, inRec: true}, {s: 0, e: len(rec) + 1, inRec: true}} {
		dst := make([]byte, 0, 512)
		at := []int32{-1}
		n, next, _ := emitRun(unsafe.SliceData(dst), 0, cap(dst)-runOver, unsafe.SliceData(text), 5, len(text), unsafe.SliceData(steps), 0, 1,
			&e, unsafe.SliceData(arena), len(arena)+1, unsafe.SliceData(rec), len(rec)+1, unsafe.SliceData(at))
		if n != 0 || next != 0 || at[0] != -1 {
			t.Fatalf("%+v: emitRun wrote %d bytes, stopped at step %d (at %v)", e, n, next, at)
		}
	}
}
