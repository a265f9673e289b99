// Package event holds one log event as JSON and answers lookups by dotted
// field path the way Elasticsearch indexes documents: dotted keys and nested
// objects are the same path ({"a.b":1} equals {"a":{"b":1}}), arrays are
// flattened (a path's values are every element, at any depth), and null
// values are absent.
//
// Rules reference a known set of fields. A Plan collects those paths once, at
// compile time, and gives each a FieldID; Values(id) then serves them from a
// single pass over the raw JSON that decodes only the planned fields. Any
// other path can still be read with Get, Walk or Map, which decode the whole
// document on first use.
package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
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

// FieldID names a path registered in a Plan.
type FieldID int32

// Plan is the set of field paths that compiled rules read. Build it while
// compiling, then share it read-only between goroutines.
type Plan struct {
	ids   map[string]FieldID
	paths []string
}

// NewPlan returns an empty plan.
func NewPlan() *Plan { return &Plan{ids: map[string]FieldID{}} }

// Add registers path (idempotent) and returns its id.
func (p *Plan) Add(path string) FieldID {
	if id, ok := p.ids[path]; ok {
		return id
	}
	id := FieldID(len(p.paths))
	p.ids[path] = id
	p.paths = append(p.paths, path)
	return id
}

// Lookup returns the id of a registered path.
func (p *Plan) Lookup(path string) (FieldID, bool) {
	id, ok := p.ids[path]
	return id, ok
}

// Path returns the path of id.
func (p *Plan) Path(id FieldID) string { return p.paths[id] }

// Len is the number of registered paths.
func (p *Plan) Len() int { return len(p.paths) }

// Event is one JSON object. It is not safe for concurrent use; reuse one per
// goroutine with Reset.
type Event struct {
	raw  []byte
	plan *Plan

	extracted bool
	vals      [][]Value
	doc       map[string]any
	decoded   bool
	err       error
}

// New returns an event over raw, which must stay unchanged while the event is
// used. plan may be nil.
func New(raw []byte, plan *Plan) *Event {
	e := &Event{}
	e.plan = plan
	e.Reset(raw)
	return e
}

// Reset points the event at another document, keeping its buffers.
func (e *Event) Reset(raw []byte) {
	e.raw = raw
	e.extracted = false
	e.doc = nil
	e.decoded = false
	e.err = nil
	for i := range e.vals {
		e.vals[i] = e.vals[i][:0]
	}
}

// Raw returns the event's JSON.
func (e *Event) Raw() []byte { return e.raw }

// Plan returns the plan the event extracts.
func (e *Event) Plan() *Plan { return e.plan }

// Err returns the error met while decoding the document, if any. Lookups on a
// malformed document return no values.
func (e *Event) Err() error {
	if !e.extracted {
		e.extract()
	}
	return e.err
}

// Values returns the leaf values at a planned path. The slice is owned by the
// event and valid until Reset.
func (e *Event) Values(id FieldID) []Value {
	if !e.extracted {
		e.extract()
	}
	if int(id) >= len(e.vals) {
		return nil
	}
	return e.vals[id]
}

func (e *Event) extract() {
	e.extracted = true
	n := 0
	if e.plan != nil {
		n = e.plan.Len()
	}
	for len(e.vals) < n {
		e.vals = append(e.vals, nil)
	}
	doc, err := e.Map()
	if err != nil {
		return
	}
	for id := 0; id < n; id++ {
		e.vals[id] = appendPath(e.vals[id][:0], doc, e.plan.paths[id])
	}
}

// Get returns the leaf values at any dotted path.
func (e *Event) Get(path string) []Value {
	doc, err := e.Map()
	if err != nil {
		return nil
	}
	return appendPath(nil, doc, path)
}

// Map decodes the whole document (numbers as json.Number). The map is cached
// and shared: do not modify it.
func (e *Event) Map() (map[string]any, error) {
	if e.decoded {
		return e.doc, e.err
	}
	e.decoded = true
	d := json.NewDecoder(bytes.NewReader(e.raw))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		e.err = fmt.Errorf("malformed JSON: %w", err)
		return nil, e.err
	}
	if doc == nil {
		e.err = fmt.Errorf("malformed JSON: not an object")
		return nil, e.err
	}
	if _, err := d.Token(); err == nil {
		e.err = fmt.Errorf("malformed JSON: data after the object")
		return nil, e.err
	}
	e.doc = doc
	return doc, nil
}

// Walk calls fn for every leaf of the document with its full dotted path
// (elements of an array share the array's path), in key order, until fn
// returns false. Empty objects and nulls are skipped.
func (e *Event) Walk(fn func(path string, v Value) bool) {
	doc, err := e.Map()
	if err != nil {
		return
	}
	walk("", doc, fn)
}

func walk(prefix string, x any, fn func(string, Value) bool) bool {
	switch t := x.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if !walk(p, t[k], fn) {
				return false
			}
		}
	case []any:
		for _, el := range t {
			if !walk(prefix, el, fn) {
				return false
			}
		}
	default:
		if v, ok := scalar(x); ok {
			return fn(prefix, v)
		}
	}
	return true
}

// appendPath appends the values at path under x, trying every split of the
// path into dotted keys.
func appendPath(dst []Value, x any, path string) []Value {
	switch t := x.(type) {
	case []any:
		for _, el := range t {
			dst = appendPath(dst, el, path)
		}
		return dst
	case map[string]any:
		if path == "" {
			if hasLeaf(t) {
				dst = append(dst, Value{Kind: KindObject})
			}
			return dst
		}
		// The whole remaining path as one key, then every shorter prefix.
		if v, ok := t[path]; ok {
			dst = appendLeaf(dst, v)
		}
		for i := strings.IndexByte(path, '.'); i >= 0; {
			if v, ok := t[path[:i]]; ok {
				dst = appendPath(dst, v, path[i+1:])
			}
			j := strings.IndexByte(path[i+1:], '.')
			if j < 0 {
				break
			}
			i += 1 + j
		}
		return dst
	}
	return dst
}

// appendLeaf appends the values of x found at the end of a path.
func appendLeaf(dst []Value, x any) []Value {
	switch t := x.(type) {
	case []any:
		for _, el := range t {
			dst = appendLeaf(dst, el)
		}
	case map[string]any:
		if hasLeaf(t) {
			dst = append(dst, Value{Kind: KindObject})
		}
	default:
		if v, ok := scalar(x); ok {
			dst = append(dst, v)
		}
	}
	return dst
}

func hasLeaf(x any) bool {
	switch t := x.(type) {
	case map[string]any:
		for _, v := range t {
			if hasLeaf(v) {
				return true
			}
		}
		return false
	case []any:
		for _, v := range t {
			if hasLeaf(v) {
				return true
			}
		}
		return false
	case nil:
		return false
	}
	return true
}

func scalar(x any) (Value, bool) {
	switch t := x.(type) {
	case string:
		return Value{Kind: KindString, Str: t}, true
	case json.Number:
		f, _ := strconv.ParseFloat(string(t), 64)
		return Value{Kind: KindNumber, Str: string(t), Num: f}, true
	case float64:
		return Value{Kind: KindNumber, Str: strconv.FormatFloat(t, 'f', -1, 64), Num: t}, true
	case bool:
		return Value{Kind: KindBool, Bool: t}, true
	}
	return Value{}, false
}
