package match

import (
	"bytes"
	"strings"
	"sync"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// patternNode is a clause on many fields: a wildcard field name (`user.*:bob`,
// `*:bob`, `process.* > 5`) or free text (`bob`, `"failed login"`). Kibana
// expands it over the fields the index maps, compiling each with its own
// type; here it expands over the event's own leaves, plus the `.text`
// multi-fields the schema defines for them. A field whose type cannot take
// the value is skipped (lenient), so a pattern never fails at search time.
type patternNode struct {
	schema *ecs.Schema
	scope  string // the enclosing nested group's full path, or ""
	glob   *glob  // field names (relative to scope); nil = every field
	build  func(path string, f ecs.Field) valueMatcher
	text   string
	cache  sync.Map // full path -> *patternField
	// segment, when set, is a key segment every field the glob names
	// has (`hash` for `file.hash.*`): an event whose text holds neither it
	// nor an escape (which could spell it) has no such field, and is
	// answered without walking its leaves.
	segment []byte
	// name and value, for `pattern:value` with a value (not `*`) outside
	// a nested group: the field pattern and the value, for the prefilter.
	name  string
	value *kql.Literal
}

// patternField is what a pattern does with one field and its multi-field.
type patternField struct {
	self, multi valueMatcher // nil: the field is skipped
	multiName   string
}

func (c *compiler) newPattern(glob *glob, text string, build func(path string, f ecs.Field) valueMatcher) *patternNode {
	n := &patternNode{schema: c.schema, scope: c.scope, glob: glob, build: build, text: text}
	if glob != nil {
		// Every path the glob matches starts with its literal head, whose
		// complete segments (each followed by a dot) are segments of the
		// path: of its leaf, or of the leaf a .text multi-field extends.
		segs := strings.Split(glob.parts[0], ".")
		for _, seg := range segs[:len(segs)-1] {
			if len(seg) > len(n.segment) {
				n.segment = []byte(seg)
			}
		}
	}
	return n
}

// fieldPattern compiles `pattern:value`.
func (c *compiler) fieldPattern(f, l *kql.Literal) (node, error) {
	text := f.String() + ":" + l.String()
	var g *glob
	if !f.IsStar() {
		g = newGlob(f.Parts)
	}
	if l.IsStar() {
		return c.newPattern(g, text, func(_ string, f ecs.Field) valueMatcher {
			return existsMatcher{limit: hasIgnoreAbove(f.Type)}
		}), nil
	}
	pc := c.evalCompiler()
	n := c.newPattern(g, text, func(path string, f ecs.Field) valueMatcher {
		m, err := pc.fieldTermMatcher(path, f, l)
		if err != nil {
			return nil
		}
		return m
	})
	if g != nil && c.scope == "" {
		n.name, n.value = f.Text(), l
	}
	return n, nil
}

// rangePattern compiles `pattern op value`.
func (c *compiler) rangePattern(r *kql.Range) (node, error) {
	var g *glob
	if !r.Field.IsStar() {
		g = newGlob(r.Field.Parts)
	}
	pc := c.evalCompiler()
	return c.newPattern(g, r.String(), func(path string, f ecs.Field) valueMatcher {
		m, err := pc.fieldRangeMatcher(path, f, r.Op, r.Value)
		if err != nil {
			return nil
		}
		return m
	}), nil
}

// freeText compiles a value without a field. Kibana sends a literal as a
// lenient multi_match over every field (phrase when quoted) and a wildcard
// as a query_string: the pattern split at whitespace, each piece against
// every field, leniently.
func (c *compiler) freeText(l *kql.Literal) (node, error) {
	if l.IsStar() {
		return &allNode{text: "*"}, nil
	}
	pc := c.evalCompiler()
	if !l.IsWildcard() {
		return c.newPattern(nil, l.String(), func(path string, f ecs.Field) valueMatcher {
			m, err := pc.fieldTermMatcher(path, f, l)
			if err != nil {
				return nil
			}
			return m
		}), nil
	}
	return c.newPattern(nil, l.String(), func(path string, f ecs.Field) valueMatcher {
		return freeTextWildcard(pc, path, f, l)
	}), nil
}

// freeTextWildcard is a query_string wildcard on one field of any type.
func freeTextWildcard(pc *compiler, path string, f ecs.Field, l *kql.Literal) valueMatcher {
	typ := f.Type
	var alts anyMatcher
	queryString(l.Parts, func(piece []string) valueMatcher {
		var m valueMatcher
		switch {
		case len(piece) > 1 && typ.IsText():
			m = textTermWith(&kql.Literal{Parts: piece}, analyzerFor(f.Analyzer))
		case len(piece) > 1 && typ.IsExact():
			m = &globMatcher{g: newGlob(piece), limit: hasIgnoreAbove(typ)}
		case len(piece) == 1:
			// A piece without wildcard is a term, analyzed per field.
			if x, err := pc.fieldTermMatcher(path, f, &kql.Literal{Parts: piece}); err == nil {
				m = x
			}
		}
		if m != nil {
			alts = append(alts, m)
		}
		return nil
	})
	switch len(alts) {
	case 0:
		return nil
	case 1:
		return alts[0]
	}
	return alts
}

// evalCompiler returns a compiler for building matchers at evaluation time:
// it shares the schema and clock and registers nothing.
func (c *compiler) evalCompiler() *compiler {
	return &compiler{schema: c.schema, now: c.now, scope: c.scope}
}

// field returns what the pattern does with the leaf at path (relative to
// the scope), compiling it on first use.
func (n *patternNode) field(path string) *patternField {
	if pf, ok := n.cache.Load(path); ok {
		return pf.(*patternField)
	}
	path = strings.Clone(path) // kept in the cache: not the caller's buffer
	full := path
	if n.scope != "" {
		full = n.scope + "." + path
	}
	pf := &patternField{}
	if n.glob == nil || n.glob.match(path) {
		f, ok := n.schema.Field(full)
		if !ok {
			f = ecs.Field{Type: ecs.Keyword}
		}
		pf.self = n.build(full, f)
	}
	if t, ok := n.schema.Field(full + ".text"); ok && t.Type.IsText() {
		if n.glob == nil || n.glob.match(path+".text") {
			pf.multi = n.build(full+".text", t)
			pf.multiName = path + ".text"
		}
	}
	actual, _ := n.cache.LoadOrStore(path, pf)
	return actual.(*patternField)
}

// hit is one field where a pattern matched.
type hit struct {
	path string
	v    event.Value
}

// search walks the event's leaves, reporting each match to fn until fn
// returns false.
func (n *patternNode) search(ev *event.Event, fn func(hit) bool) {
	ev.WalkUnder(n.head(), n.visit(fn))
}

// head is the start every path the glob matches has ("" for free text).
func (n *patternNode) head() string {
	if n.glob == nil {
		return ""
	}
	return n.glob.parts[0]
}

// visit returns the walk function that reports the pattern's hits to fn.
func (n *patternNode) visit(fn func(hit) bool) func(string, event.Value) bool {
	return func(path string, v event.Value) bool {
		pf := n.field(path)
		if pf.self != nil && pf.self.match(v) && !fn(hit{path, v}) {
			return false
		}
		if pf.multi != nil && pf.multi.match(v) && !fn(hit{pf.multiName, v}) {
			return false
		}
		return true
	}
}

func (n *patternNode) eval(ev *event.Event) bool {
	if n.segment != nil {
		raw := ev.Raw()
		if !bytes.Contains(raw, n.segment) && bytes.IndexByte(raw, '\\') < 0 {
			return false
		}
	}
	// A pass over the text tells most events apart without decoding them:
	// it sees every leaf the decoded walk would (and repeated keys' earlier
	// values too), so only a hit there needs the exact search.
	first := func(hit) bool { return false }
	if !ev.ScanUnder(n.head(), n.visit(first)) {
		return false
	}
	found := false
	n.search(ev, func(hit) bool {
		found = true
		return false
	})
	return found
}

func (n *patternNode) clause() string { return n.text }

// existsMatcher matches any value (a keyword value longer than ignore_above
// is not indexed).
type existsMatcher struct{ limit bool }

func (m existsMatcher) match(v event.Value) bool {
	if !m.limit {
		return true
	}
	s, ok := keywordText(v)
	return !ok || !tooLong(s)
}
