package event

import (
	"strings"
	"sync"
)

// A Layout is what a writer knows of the documents it writes in one shape:
// the dotted path of each leaf field, in the order the writer puts them, as
// nested objects with one segment a key (no key holds a dot, no path is
// written twice, and no field is the parent of another). Given where each
// value starts in a document of that shape (ResetLayout), the event reads
// only the values it has planned paths at or below; the keys and the
// braces, which the scan would walk to find its way, are known already.
//
// A Layout belongs to the plan that made it, as the plan stands: once
// paths are added to the plan, Current is false and ResetLayout scans.
type Layout struct {
	t     *trie
	plan  *Plan  // the plan it was made for (by a Shape)
	shape *Shape // the shape it was made of, if any
	n     int    // the number of fields
	// live are the fields read: those with planned paths at or below
	// them, or inside a planned object.
	live []liveField
	// objs are the planned paths of objects the fields lie in, each with
	// the fields inside it (all live, live[from:to]): such an object has
	// a KindObject value when one of them holds a non-null leaf (as
	// value's close does).
	objs []layoutObj
}

// liveField is a field read: its index, the trie node of its value (0:
// only its leaf is asked, for a planned object above it) and its nesting
// depth as the scan would count it.
type liveField struct {
	i, st, depth int32
}

type layoutObj struct {
	id       FieldID
	from, to int32 // live[from:to] lie inside
}

// Layout returns the layout of documents whose fields are paths, in that
// order (see Layout). The paths must be as described there; Layout does
// not check them.
func (p *Plan) Layout(paths []string) *Layout {
	t := p.compiled()
	l := &Layout{t: t, n: len(paths)}
	type open struct {
		path string
		at   int // index in l.objs
	}
	var stack []open // the planned objects of the previous field, outermost first
	for i, path := range paths {
		// Close the objects this field is not inside.
		for len(stack) > 0 {
			o := stack[len(stack)-1]
			if strings.HasPrefix(path, o.path) && len(path) > len(o.path) && path[len(o.path)] == '.' {
				break
			}
			l.objs[o.at].to = int32(len(l.live))
			stack = stack[:len(stack)-1]
		}
		st, depth := int32(1), int32(0)
		rest := path
		for {
			seg, next, more := strings.Cut(rest, ".")
			st = t.final(t.child(st, seg))
			depth++
			if !more {
				break
			}
			if st != 0 && t.nodes[st].id >= 0 {
				prefix := path[:len(path)-len(next)-1]
				if len(stack) == 0 || len(stack[len(stack)-1].path) < len(prefix) {
					// Fields are in output order, so an object already
					// open is an ancestor, and a new one opens here.
					stack = append(stack, open{prefix, len(l.objs)})
					l.objs = append(l.objs, layoutObj{id: t.nodes[st].id, from: int32(len(l.live))})
				}
			}
			rest = next
		}
		if st != 0 || len(stack) > 0 {
			l.live = append(l.live, liveField{int32(i), st, depth})
		}
	}
	for _, o := range stack {
		l.objs[o.at].to = int32(len(l.live))
	}
	return l
}

// Current reports whether l still stands for p's paths (none was added
// since it was made).
func (l *Layout) Current(p *Plan) bool {
	t := p.trie.Load()
	return l != nil && t == l.t && t.n == len(p.paths)
}

// Len is the number of fields of the layout.
func (l *Layout) Len() int { return l.n }

// A Shape is the fields of the documents a writer puts alike (the paths
// of a Layout, in its order), for every plan that reads them: each plan
// gets its Layout of the shape once. Safe for concurrent use.
type Shape struct {
	paths []string
	mu    sync.Mutex
	laid  []*Layout // one a plan (few plans read one document)
}

// NewShape returns the shape of documents whose fields are paths, in that
// order, written as a Layout describes.
func NewShape(paths []string) *Shape { return &Shape{paths: paths} }

// Layout returns the layout of the shape for p.
func (s *Shape) Layout(p *Plan) *Layout {
	t := p.compiled()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, l := range s.laid {
		switch {
		case l.t == t:
			return l
		case l.plan == p:
			// The plan grew since: its layout is made again.
			s.laid[i] = s.layout(p)
			return s.laid[i]
		}
	}
	l := s.layout(p)
	if len(s.laid) >= 8 {
		s.laid = s.laid[1:]
	}
	s.laid = append(s.laid, l)
	return l
}

func (s *Shape) layout(p *Plan) *Layout {
	l := p.Layout(s.paths)
	l.plan, l.shape = p, s
	return l
}

// Laid is where a document's values lie, as its writer knows them: its
// shape and the offset of each field's value. An event of any plan reads
// the document through it (ResetLaid) without scanning it.
type Laid struct {
	Shape *Shape
	At    []int32
}

// ResetLaid is ResetLayout with the layout of l's shape for the event's
// plan; Reset when l has no shape.
func (e *Event) ResetLaid(raw []byte, l Laid) {
	if l.Shape == nil || e.plan == nil {
		e.Reset(raw)
		return
	}
	e.ResetLayout(raw, l.Shape.Layout(e.plan), l.At)
}

// Laid returns where the values of the event's document lie when it was
// reset with a layout (ResetLayout, ResetLaid), else the zero Laid. At is
// the slice ResetLayout was given, valid as long as its owner keeps it
// (clone it to keep it longer).
func (e *Event) Laid() Laid {
	if e.layout == nil || e.layout.shape == nil {
		return Laid{}
	}
	return Laid{Shape: e.layout.shape, At: e.at}
}

// ResetLayout is Reset for a document written in layout l of the event's
// plan, where at[i] is the offset in raw of the first byte of field i's
// value; at, like raw, must stay unchanged while the event is used. The
// writer vouches for the rest of the document: its values are valid JSON
// and the keys and braces between them are l's; only the values below
// planned paths are read, and no other byte is checked. When l is not
// current for the event's plan, the event scans raw as Reset's does.
func (e *Event) ResetLayout(raw []byte, l *Layout, at []int32) {
	e.Reset(raw)
	if e.plan != nil && l.Current(e.plan) && len(at) == l.n {
		e.layout, e.at = l, at
	}
}

// scanLayout extracts the planned values of a document of a layout; false
// when a value is not what the layout says (the caller then scans).
func (e *Event) scanLayout(l *Layout) bool {
	s := scanner{d: e.raw, t: l.t, e: e}
	leaves := e.leaves[:0]
	at := e.at[:l.n]
	for _, f := range l.live {
		at := int(at[f.i])
		if at < 0 || at >= len(e.raw) {
			return false
		}
		s.depth = int(f.depth)
		var end int
		var leaf bool
		if f.st == 0 {
			end, leaf = s.skip(at)
		} else {
			end, leaf = s.value(at, f.st)
		}
		if end < 0 {
			return false
		}
		if len(l.objs) > 0 {
			leaves = append(leaves, leaf)
		}
	}
	e.leaves = leaves
	for _, o := range l.objs {
		for _, leaf := range leaves[o.from:o.to] {
			if leaf {
				e.add(o.id, Value{Kind: KindObject})
				break
			}
		}
	}
	return true
}
