// Package event holds one log event as JSON and answers lookups by dotted
// field path the way Elasticsearch indexes documents: dotted keys and nested
// objects are the same path ({"a.b":1} equals {"a":{"b":1}}, and mixed forms
// such as {"a":{"b.c":1}} answer a.b.c), arrays are flattened (a path's
// values are every element, at any depth, arrays of objects included), and
// null values are absent.
//
// Rules reference a known set of fields. A Plan collects those paths once, at
// compile time, and gives each a FieldID. Values(id) then serves them from a
// single pass over the raw JSON that validates the whole document, decodes
// only the planned fields and skips everything else without allocating. Any
// other path can still be read with Get, Walk or Map, which decode the whole
// document on first use.
package event

import (
	"strconv"
)

// Kind is the JSON type of a value.
type Kind uint8

// Value kinds. KindObject stands for an object at the path that holds at
// least one non-null leaf: it makes `field:*` true on object paths and matches
// nothing else.
const (
	KindNull Kind = iota
	KindString
	KindNumber
	KindBool
	KindObject
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "boolean"
	case KindObject:
		return "object"
	}
	return "null"
}

// Value is one leaf value of an event.
type Value struct {
	Kind Kind
	// Str is the decoded text of a string, and the JSON literal of a number
	// exactly as written (e.g. "404", "1.5e3"), which is what a keyword field
	// indexes.
	Str  string
	Num  float64 // a number's value
	Bool bool    // a boolean's value
}

// String renders the value as Elasticsearch would index it in a keyword field.
func (v Value) String() string {
	switch v.Kind {
	case KindString, KindNumber:
		return v.Str
	case KindBool:
		return strconv.FormatBool(v.Bool)
	case KindObject:
		return "{...}"
	}
	return "null"
}

// Event is one JSON object. It is not safe for concurrent use; reuse one per
// goroutine with Reset, which keeps every buffer.
type Event struct {
	raw  []byte
	plan *Plan

	scanned bool
	err     error
	vals    [][]Value // by FieldID
	touched []FieldID // ids with values, to clear on Reset
	arena   []byte    // decoded escaped strings of the planned values
	scratch []byte    // a decoded key
	path    []byte    // ScanUnder's path buffer

	layout *Layout // set by ResetLayout: the values are read at at
	at     []int32
	leaves []bool // scanLayout's: each live field's leaf, when the layout has planned objects

	decoded bool
	doc     map[string]any
	keys    map[string]string // interned object keys of decoded documents
	items   []any             // the decoder's stacks
	members []member
}

// New returns an event over raw, which must stay unchanged while the event is
// used. plan may be nil.
func New(raw []byte, plan *Plan) *Event {
	e := &Event{plan: plan}
	e.Reset(raw)
	return e
}

// Reset points the event at another document, keeping its buffers. Values
// read from the previous document are invalid from here on (see Values).
func (e *Event) Reset(raw []byte) {
	e.raw = raw
	e.layout = nil
	e.scanned = false
	e.err = nil
	e.clearValues()
	e.arena = e.arena[:0]
	e.decoded = false
	e.doc = nil
}

// Raw returns the event's JSON.
func (e *Event) Raw() []byte { return e.raw }

// Plan returns the plan the event extracts.
func (e *Event) Plan() *Plan { return e.plan }

// Err returns the error met while decoding the document, if any: a
// *SyntaxError with the byte offset of the fault when the JSON is malformed
// or is not one object. Lookups on a malformed document return no values.
func (e *Event) Err() error {
	if !e.scanned {
		e.scan()
	}
	return e.err
}

// Values returns the values at a planned path, in document order: each value
// sits at the position of its first byte (an object's KindObject at its
// '{'), elements of arrays included, and values reached through dotted keys
// and through nested objects interleave by position. An object yields one
// KindObject when it holds a non-null leaf; planned paths below it are
// extracted too. Null, empty arrays and empty objects yield nothing.
//
// A key repeated within one object yields the values of every occurrence
// (encoding/json, and so Map, Walk and Get on unplanned paths, keep the last
// one only; Elasticsearch refuses such documents).
//
// The slice is owned by the event. Its strings may share memory with Raw or
// with the event's buffers: they are valid until the next Reset and only
// while Raw is unchanged. Clone what you keep longer (strings.Clone).
func (e *Event) Values(id FieldID) []Value {
	if !e.scanned {
		e.scan()
	}
	if id < 0 || int(id) >= len(e.vals) {
		return nil
	}
	vs := e.vals[id]
	return vs[:len(vs):len(vs)] // an append by the caller copies
}

// Present returns the planned paths that have a value, in no order. The
// slice is owned by the event and valid until the next Reset.
func (e *Event) Present() []FieldID {
	if !e.scanned {
		e.scan()
	}
	return e.touched
}

// Has reports whether a planned path has any value (what `field:*` asks).
func (e *Event) Has(id FieldID) bool { return len(e.Values(id)) > 0 }

// scan makes the one pass over the document that validates it and extracts
// every planned path.
func (e *Event) scan() {
	e.scanned = true
	t := emptyTrie
	if e.plan != nil {
		t = e.plan.compiled()
	}
	for len(e.vals) < t.n {
		e.vals = append(e.vals, nil)
	}
	if l := e.layout; l != nil {
		if l.t == t && e.scanLayout(l) {
			return
		}
		// Not the layout's document after all: the scan reads it, and
		// nothing else is told to read it through the layout.
		e.layout = nil
		e.clearValues()
		e.arena = e.arena[:0]
	}
	s := scanner{d: e.raw, t: t, e: e}
	s.document()
	if s.err != nil {
		e.err = s.err
		e.clearValues()
	}
}

// add appends a value of a planned path.
func (e *Event) add(id FieldID, v Value) {
	vs := e.vals[id]
	if len(vs) == 0 {
		e.touched = append(e.touched, id)
	}
	e.vals[id] = append(vs, v)
}

// clearValues forgets the values, keeping no reference to the document.
func (e *Event) clearValues() {
	for _, id := range e.touched {
		vs := e.vals[id]
		for k := range vs {
			vs[k].Str = "" // the only reference a value holds
		}
		e.vals[id] = vs[:0]
	}
	e.touched = e.touched[:0]
}

// Get returns the values at any dotted path. A planned path is served by
// Values (same slice, same lifetime); any other path by the decoded document
// (a fresh slice of values that stay valid), where a path with an empty
// segment ("a.", "a..b") reads differently: at an object, a trailing "."
// stands for the object itself.
func (e *Event) Get(path string) []Value {
	if e.plan != nil {
		if id, ok := e.plan.Lookup(path); ok {
			return e.Values(id)
		}
	}
	doc, err := e.Map()
	if err != nil {
		return nil
	}
	return appendPath(nil, doc, path)
}
