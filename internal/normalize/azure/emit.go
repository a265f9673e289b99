package azure

import (
	"slices"
	"strings"
	"unsafe"

	"github.com/vigil-project/vigil/internal/event"
)

// A document's fields are put in an order that depends only on the
// record's shape (which fields it has, which keys its objects hold at the
// levels a writer flattens), so records of one export mostly share one.
// The first record of a shape sorts its fields and works out the bytes
// written between their values (commas, keys, braces); the next records
// of that shape only copy those bytes and the values.

// shape is the plan of one sequence of field paths.
type shape struct {
	keys   []fkey     // the paths as put, for telling shapes that hash alike apart
	cloned []int32    // the keys copied as they alias the record: compared by their bytes
	paths  []string   // the whole paths
	clash  bool       // two fields named by the record's keys have one path: the general path decides
	text   []byte     // keys, braces, commas and the literals; what follows the last value at the end
	steps  []planStep // the fields emit writes, in output order (the last of a repeated path kept)
	last   int32      // text[last:] follows the last value
	// The fields in the document's order, literals included, for
	// reading documents without a scan: their paths (made at first use)
	// and where each value lies (see laidOut).
	fields   *event.Shape
	refs     []laidRef
	refPaths []string
}

// planStep is one field emit writes: text[from:to] goes before its value,
// the field's ents[field], at byte ent of the array (for emitRun).
type planStep struct{ from, to, field, ent int32 }

// entSize is an fent's size.
const entSize = int32(unsafe.Sizeof(fent{}))

// shapeCache holds the plans of the shapes a writer met, a bounded number.
type shapeCache struct {
	plans map[uint64]*shape
}

// maxShapes bounds a writer's plans: records whose keys vary without end
// (a map keyed by ids) are planned afresh each time rather than kept.
const maxShapes = 256

// emit writes the fields as one nested JSON object, keys sorted at every
// level, the last of fields set twice winning (as doc0.set); false (dst
// unchanged) when two of the record's keys name one field (two keys the
// snake case makes one, a repeated key: left to the general path).
func (f *fastDoc) emit(dst []byte) ([]byte, bool) {
	p := f.shapes.plans[f.shapeHash]
	if p == nil || !samePaths(p, f.keys) {
		p = planShape(f.keys, f.ents, f.volatile)
		if f.shapes.plans == nil || len(f.shapes.plans) >= maxShapes {
			f.shapes.plans = map[uint64]*shape{}
		}
		f.shapes.plans[f.shapeHash] = p
	}
	f.laid, f.at = nil, f.at[:0]
	if p.clash {
		return dst, false
	}
	base := len(dst)
	// Room for the document at once, and some after the arena's end:
	// most pieces and values are short and copied by words (appendShort).
	dst = slices.Grow(dst, len(p.text)+len(f.arena)+2*len(f.raw)+2*wideCopy)
	f.arena = slices.Grow(f.arena, wideCopy)
	at := slices.Grow(f.at[:0], len(p.steps))[:len(p.steps)]
	if hasEmitRun && len(f.ents) >= len(p.paths) && cap(p.text)-len(p.text) >= runOver {
		dst = f.emitRuns(dst, p, base, at)
	} else {
		dst = f.emitWords(dst, p, base, at)
	}
	f.at = at
	f.laid, f.size = p, len(dst)-base
	return dst, true
}

// emitWords writes p's steps and the text after the last value to dst
// (the document starts at dst[base]), setting at[k] to where step k's
// value starts: the Go loop, for machines emitRun does not serve (and
// the reference its test compares emitRuns with).
func (f *fastDoc) emitWords(dst []byte, p *shape, base int, at []int32) []byte {
	text := p.text[:cap(p.text)]
	// The loop's state in locals, which stores to f's fields do not make
	// it read again.
	ents, rec, arena := f.ents, f.rec, f.arena
	for k, st := range p.steps {
		// The piece before the value, then the value, each copied as
		// shortCopy or wideCopy bytes where it is as short and dst has room
		// for both (text holds wideCopy bytes past every piece's start).
		if n, w := len(dst), st.to-st.from; wordAccess && cap(dst)-n >= 2*wideCopy && w <= wideCopy {
			copyWide(unsafe.Add(unsafe.Pointer(unsafe.SliceData(dst)), n), unsafe.Add(unsafe.Pointer(unsafe.SliceData(text)), st.from), int(w))
			dst = dst[:n+int(w)]
		} else {
			dst = append(dst, text[st.from:st.to]...)
		}
		at[k] = int32(len(dst) - base)
		ent := &ents[st.field]
		if !ent.original {
			src := arena
			if ent.inRec {
				src = rec
			}
			// appendShort, by hand: a call there cost more than it saved.
			if v := src[ent.s:ent.e]; wordsFit(dst, v) {
				copyWide(unsafe.Add(unsafe.Pointer(unsafe.SliceData(dst)), len(dst)), unsafe.Pointer(unsafe.SliceData(v)), len(v))
				dst = dst[:len(dst)+len(v)]
			} else {
				dst = append(dst, v...)
			}
			continue
		}
		dst = f.appendOriginalField(dst)
	}
	return append(dst, p.text[p.last:]...)
}

// runOver is how far past a piece's or a value's end emitRun may read
// (and write past where the document ends): it copies 32 bytes a step.
const runOver = 32

// emitRuns is emitWords by runs of steps that emitRun (assembly) writes;
// it writes event.original's value and the steps emitRun leaves (a value
// whose buffer ends too soon after it to be read by words, too little
// room) in Go, one at a time. Its callers make sure that every step's field is
// one of f.ents and that p.text has runOver bytes of room after it.
func (f *fastDoc) emitRuns(dst []byte, p *shape, base int, at []int32) []byte {
	text, steps, ents, rec, arena := p.text, p.steps, f.ents, f.rec, f.arena
	// emitRun reads a value of the arena or the record only when it ends
	// before the buffer's bound: a value of the arena may end at its end
	// (emit made room after it); one of the record must end runOver bytes
	// before its capacity, so that a word read from its last bytes stays
	// in the record's array. A bound of 0 keeps every value of the buffer
	// from emitRun (an empty one too).
	arenaBound := 0
	if cap(arena)-len(arena) >= runOver {
		arenaBound = len(arena) + 1
	}
	recBound := max(0, min(len(rec), cap(rec)-runOver)+1)
	for k := 0; ; k++ {
		n, next, original := emitRun(unsafe.SliceData(dst[base:cap(dst)]), len(dst)-base, cap(dst)-base-runOver,
			unsafe.SliceData(text), int(p.last), len(text), unsafe.SliceData(steps), k, len(steps),
			unsafe.SliceData(ents), unsafe.SliceData(arena), arenaBound, unsafe.SliceData(rec), recBound, unsafe.SliceData(at))
		dst, k = dst[:base+n], next
		if original {
			dst = f.appendOriginalField(dst) // the piece before it is written
			continue
		}
		if k > len(steps) {
			return dst // emitRun wrote the text after the last value too
		}
		if k == len(steps) {
			return append(dst, text[p.last:]...)
		}
		st := steps[k]
		dst = append(dst, text[st.from:st.to]...)
		at[k] = int32(len(dst) - base)
		if e := &ents[st.field]; e.original {
			dst = f.appendOriginalField(dst)
		} else {
			dst = append(dst, f.value(e)...)
		}
	}
}

// appendOriginalField appends event.original's value: the record quoted.
func (f *fastDoc) appendOriginalField(dst []byte) []byte {
	if out, ok := appendOriginalASCII(dst, f.raw, f.stripOriginal); ok {
		return out
	}
	if out, ok := f.appendOriginalTokens(dst); ok {
		return out
	}
	return appendOriginal(dst, f.raw, f.stripOriginal)
}

// putConst is putLit for a constant among a few a field may take (an
// outcome, a default category): its bytes join the shape's hash, so that
// records that differ in it keep plans of their own rather than replace
// each other's. quoted is the value's JSON text.
func (f *fastDoc) putConst(path, quoted string) {
	f.putLit(path, quoted)
	f.shapeHash ^= uint64(len(quoted))<<24 ^ uint64(quoted[1])<<32 ^ uint64(quoted[len(quoted)-2])<<40
}

// laidRef tells where a field's value lies in a document of a shape:
// the value emit wrote at step (textAt < 0), or a literal in the plan's
// text at textAt, within the text written before step (or after the last
// value when step is past the steps).
type laidRef struct{ step, textAt int32 }

// laidOut returns the shape of the document of size bytes the last emit
// wrote and where its values start; false when no emit wrote it (the
// general path did). At is the writer's, valid until its next record.
func (f *fastDoc) laidOut(size int) (event.Laid, bool) {
	p := f.laid
	if p == nil || size != f.size {
		return event.Laid{}, false
	}
	if p.fields == nil {
		p.fields = event.NewShape(p.refPaths)
	}
	at := f.laidAt[:0]
	for _, r := range p.refs {
		switch {
		case r.textAt < 0:
			at = append(at, f.at[r.step])
		case int(r.step) < len(p.steps):
			at = append(at, f.at[r.step]-(p.steps[r.step].to-r.textAt))
		default:
			at = append(at, int32(size)-(int32(len(p.text))-r.textAt))
		}
	}
	f.laidAt = at
	return event.Laid{Shape: p.fields, At: at}, true
}

// shortCopy and wideCopy are what appendShort copies by words: short
// pieces and values as shortCopy bytes, longer ones (ids, operation
// names) up to wideCopy as wideCopy bytes.
const (
	shortCopy = 32
	wideCopy  = 64
)

// appendShort is append(dst, src...), by words where wordsFit: no call
// for the short pieces and values of a document.
func appendShort(dst, src []byte) []byte {
	if wordsFit(dst, src) {
		copyWide(unsafe.Add(unsafe.Pointer(unsafe.SliceData(dst)), len(dst)), unsafe.Pointer(unsafe.SliceData(src)), len(src))
		return dst[:len(dst)+len(src)]
	}
	return append(dst, src...)
}

// wordsFit reports whether appendShort copies src by words: it has up to
// wideCopy bytes, its backing array holds wideCopy (readable) bytes and
// dst has room for as many.
func wordsFit(dst, src []byte) bool {
	return wordAccess && len(src) <= wideCopy && cap(src) >= wideCopy && cap(dst)-len(dst) >= wideCopy
}

// copyWide copies n bytes (n <= wideCopy) from src to dst as shortCopy
// or wideCopy bytes: both must hold as many.
func copyWide(dst, src unsafe.Pointer, n int) {
	*(*[2]uint64)(dst) = *(*[2]uint64)(src)
	*(*[2]uint64)(unsafe.Add(dst, 16)) = *(*[2]uint64)(unsafe.Add(src, 16))
	if n > shortCopy {
		*(*[2]uint64)(unsafe.Add(dst, 32)) = *(*[2]uint64)(unsafe.Add(src, 32))
		*(*[2]uint64)(unsafe.Add(dst, 48)) = *(*[2]uint64)(unsafe.Add(src, 48))
	}
}

// value is a field's encoded value: in the arena, or the record's text.
func (f *fastDoc) value(e *fent) []byte {
	if e.inRec {
		return f.rec[e.s:e.e]
	}
	return f.arena[e.s:e.e]
}

// samePaths reports whether keys are the plan's; keys that alias the
// record are set to the plan's copies when equal.
func samePaths(p *shape, keys []fkey) bool {
	pk := p.keys
	if len(pk) != len(keys) {
		return false
	}
	if len(keys) == 0 {
		return true
	}
	// The plan keeps the keys that do not alias the record (the writers'
	// constants, built and cached names) as they were put, and copies of
	// the others: these are compared by their bytes and, when equal,
	// take the copy's pointer; then the keys' words (pointers, lengths,
	// kinds) are compared at once.
	for _, i := range p.cloned {
		if int(i) >= len(keys) || keys[i].path != pk[i].path {
			return false
		}
		keys[i].path = pk[i].path
	}
	n := len(keys) * int(unsafe.Sizeof(fkey{}))
	if string(unsafe.Slice((*byte)(unsafe.Pointer(&pk[0])), n)) == string(unsafe.Slice((*byte)(unsafe.Pointer(&keys[0])), n)) {
		return true
	}
	for i := range keys {
		k, e := &pk[i], &keys[i]
		if len(k.path) != len(e.path) || len(k.prefix) != len(e.prefix) || k.kind != e.kind ||
			unsafe.StringData(k.path) != unsafe.StringData(e.path) && k.path != e.path ||
			unsafe.StringData(k.prefix) != unsafe.StringData(e.prefix) && k.prefix != e.prefix {
			return false
		}
	}
	return true
}

// volatile reports whether s aliases a buffer of the writer's that later
// records write again (the record, the arena, the scratch space): a plan
// keeps a copy of such a key.
func (f *fastDoc) volatile(s string) bool {
	return within(s, f.raw) || within(s, f.rec) || within(s, f.arena[:cap(f.arena)]) || within(s, f.scratch[:cap(f.scratch)])
}

// within reports whether s's bytes lie in b's.
func within(s string, b []byte) bool {
	if len(s) == 0 || cap(b) == 0 {
		return false
	}
	at := uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return at < uintptr(len(b))
}

// planShape sorts the fields by path (as nested objects with sorted keys
// are written) and records what goes between their values.
func planShape(keys []fkey, ents []fent, volatile func(string) bool) *shape {
	p := &shape{paths: make([]string, len(ents)), keys: make([]fkey, len(ents))}
	idx := make([]int32, len(ents))
	var order []int32 // the fields in output order, literals included
	for i, k := range keys {
		if volatile(k.path) {
			k.path = strings.Clone(k.path) // a key may alias the record
			p.cloned = append(p.cloned, int32(i))
		}
		p.keys[i] = k
		p.paths[i] = k.prefix + k.path
		if k.kind&keyLiteral != 0 {
			p.paths[i] = k.prefix // path holds the value
		}
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return comparePaths(p.paths[a], p.paths[b]) })
	// The last of fields set twice wins; fields named by the record's
	// keys must not meet (nor be the parent of another field).
	for i, e := range idx {
		if k := p.keys[e]; k.kind&keyOneSegment != 0 && (k.path == "" || strings.IndexByte(k.path, '.') >= 0) {
			p.clash = true // a key that would not read as one segment
		}
		if i+1 < len(idx) {
			next := idx[i+1]
			if p.paths[next] == p.paths[e] {
				if ents[next].rec || ents[e].rec {
					p.clash = true
				}
				continue
			}
			if strings.HasPrefix(p.paths[next], p.paths[e]) && p.paths[next][len(p.paths[e])] == '.' {
				p.clash = true
			}
		}
		if keys[e].kind&keyGone == 0 {
			order = append(order, e)
		}
	}
	text := []byte{'{'}
	var open []string // the objects open, outermost first
	first := true
	from := int32(0) // where the text before the next value starts
	for _, e := range order {
		segs := p.paths[e]
		// Close the objects the path leaves.
		depth := 0
		for depth < len(open) {
			seg, rest, more := strings.Cut(segs, ".")
			if !more || seg != open[depth] {
				break
			}
			segs = rest
			depth++
		}
		for len(open) > depth {
			text = append(text, '}')
			open = open[:len(open)-1]
			first = false
		}
		for {
			seg, rest, more := strings.Cut(segs, ".")
			if !first {
				text = append(text, ',')
			}
			text = appendJSONString(text, seg)
			text = append(text, ':')
			if !more {
				p.refPaths = append(p.refPaths, p.paths[e])
				if k := p.keys[e]; k.kind&keyLiteral != 0 {
					p.refs = append(p.refs, laidRef{int32(len(p.steps)), int32(len(text))})
					text = append(text, k.path...) // a constant value: part of the text
				} else {
					p.refs = append(p.refs, laidRef{int32(len(p.steps)), -1})
					p.steps = append(p.steps, planStep{from, int32(len(text)), e, e * entSize})
					from = int32(len(text))
				}
				first = false
				break
			}
			text = append(text, '{')
			open = append(open, seg)
			first = true
			segs = rest
		}
	}
	p.last = from
	for range open {
		text = append(text, '}')
	}
	text = append(text, '}')
	p.text = slices.Grow(text, wideCopy) // its pieces are read by words (appendShort)
	return p
}

// nameCache keeps the field paths a writer made of a prefix and a
// record's key (snake-cased, say), so that records of one export do not
// build them again.
type nameCache struct {
	m       map[string]string
	scratch []byte
}

// maxNames bounds a writer's cached paths.
const maxNames = 4096

// join returns prefix + xform(key), from the cache when it was made
// before.
func (c *nameCache) join(prefix string, key []byte, xform func(string) string) string {
	c.scratch = append(append(append(c.scratch[:0], prefix...), 0), key...)
	if p, ok := c.m[string(c.scratch)]; ok {
		return p
	}
	p := prefix + xform(string(key))
	if c.m == nil || len(c.m) >= maxNames {
		c.m = map[string]string{}
	}
	c.m[string(c.scratch)] = p
	return p
}
