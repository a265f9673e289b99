package event

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// The whole-document view: the document decoded into maps (as encoding/json
// decodes it), and lookups over it. It serves what the plan cannot (free
// text, wildcard field names, alert building); with encoding/json doing the
// decoding, it is the reference the single-pass extraction is tested against.

// Map decodes the whole document (numbers as json.Number). The map is cached
// and shared: do not modify it. Its strings are copies, valid after Reset.
func (e *Event) Map() (map[string]any, error) {
	if e.decoded {
		return e.doc, e.err
	}
	e.decoded = true
	if err := e.Err(); err != nil {
		return nil, err
	}
	doc, err := e.decodeTree()
	if err != nil {
		e.err = err
		return nil, err
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

// WalkUnder is Walk restricted to the leaves whose path starts with head
// or is a start of it (a leaf a.b for head "a.b.t", whose a.b.text
// multi-field starts so): objects that cannot hold one are not visited.
// The caller still checks each path it is given.
func (e *Event) WalkUnder(head string, fn func(path string, v Value) bool) {
	doc, err := e.Map()
	if err != nil {
		return
	}
	walkUnder("", head, doc, fn)
}

// under reports whether a path p can lead to one starting with head: p
// starts with head, or head continues p with a dot.
func under(p, head string) bool {
	if len(p) >= len(head) {
		return p[:len(head)] == head
	}
	return head[:len(p)] == p && head[len(p)] == '.'
}

func walk(prefix string, x any, fn func(string, Value) bool) bool {
	return walkUnder(prefix, "", x, fn)
}

func walkUnder(prefix, head string, x any, fn func(string, Value) bool) bool {
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
			if head != "" && !under(p, head) {
				continue
			}
			if !walkUnder(p, head, t[k], fn) {
				return false
			}
		}
	case []any:
		for _, el := range t {
			if !walkUnder(prefix, head, el, fn) {
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
