package azure

import (
	"slices"
	"strings"
)

// A document's fields are put in an order that depends only on the
// record's shape (which fields it has, which keys its objects hold at the
// levels a writer flattens), so records of one export mostly share one.
// The first record of a shape sorts its fields and works out the bytes
// written between their values (commas, keys, braces); the next records
// of that shape only copy those bytes and the values.

// shape is the plan of one sequence of field paths.
type shape struct {
	paths  []string // the paths as put, for telling shapes that hash alike apart
	order  []int32  // the fields written, in output order (the last of a repeated path kept)
	before []int32  // text[before[i]:before[i+1]] goes before field order[i]'s value
	text   []byte   // keys, braces and commas; what follows the last value at the end
}

// shapeCache holds the plans of the shapes a writer met, a bounded number.
type shapeCache struct {
	plans map[uint64]*shape
}

// maxShapes bounds a writer's plans: records whose keys vary without end
// (a map keyed by ids) are planned afresh each time rather than kept.
const maxShapes = 256

// emit writes the fields as one nested JSON object, keys sorted at every
// level, the last of fields set twice winning (as doc0.set).
func (f *fastDoc) emit(dst []byte) []byte {
	p := f.shapes.plans[f.shapeHash]
	if p == nil || !samePaths(p.paths, f.ents) {
		p = planShape(f.ents)
		if f.shapes.plans == nil || len(f.shapes.plans) >= maxShapes {
			f.shapes.plans = map[uint64]*shape{}
		}
		f.shapes.plans[f.shapeHash] = p
	}
	for i, e := range p.order {
		dst = append(dst, p.text[p.before[i]:p.before[i+1]]...)
		ent := &f.ents[e]
		dst = append(dst, f.arena[ent.s:ent.e]...)
	}
	return append(dst, p.text[p.before[len(p.order)]:]...)
}

func samePaths(paths []string, ents []fent) bool {
	if len(paths) != len(ents) {
		return false
	}
	for i := range ents {
		if paths[i] != ents[i].path {
			return false
		}
	}
	return true
}

// planShape sorts the fields by path (as nested objects with sorted keys
// are written) and records what goes between their values.
func planShape(ents []fent) *shape {
	p := &shape{paths: make([]string, len(ents))}
	idx := make([]int32, len(ents))
	for i, e := range ents {
		p.paths[i] = strings.Clone(e.path) // a path may alias the record
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return comparePaths(p.paths[a], p.paths[b]) })
	// The last of fields set twice wins.
	for i, e := range idx {
		if i+1 < len(idx) && p.paths[idx[i+1]] == p.paths[e] {
			continue
		}
		p.order = append(p.order, e)
	}
	text := []byte{'{'}
	var open []string // the objects open, outermost first
	first := true
	for _, e := range p.order {
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
				p.before = append(p.before, int32(len(text)))
				first = false
				break
			}
			text = append(text, '{')
			open = append(open, seg)
			first = true
			segs = rest
		}
	}
	// before[i] is where field i's text ends; shift to starts.
	starts := make([]int32, 0, len(p.order)+1)
	prev := int32(0)
	for _, end := range p.before {
		starts = append(starts, prev)
		prev = end
	}
	starts = append(starts, prev)
	for range open {
		text = append(text, '}')
	}
	text = append(text, '}')
	p.text = text
	p.before = starts
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
