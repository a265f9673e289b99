// Package match compiles a KQL query and field types into a matcher tree
// that gives, per event, the verdict Elasticsearch gives when Kibana's
// detection engine runs the query with field types known (spec §2):
// keyword-like fields are exact and case-sensitive, text is analyzed,
// numbers, dates and IPs compare by value, arrays match on any element and
// `not` on none, dotted keys equal nested objects.
//
// Compile once, evaluate many times: field paths are registered in an
// event.Plan so evaluation reads only the referenced fields, literals are
// pre-parsed per field type, and wildcard patterns pre-split.
package match

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// Options configure compilation.
type Options struct {
	Schema *ecs.Schema      // nil = ecs.Default()
	Plan   *event.Plan      // where field paths are registered; nil = a private plan
	Now    func() time.Time // clock for `now` in date values; required if the query uses it
}

// CompileError is a query Elasticsearch would reject at search time.
type CompileError struct {
	Pos       kql.Pos
	Msg, Hint string
}

func (e *CompileError) Error() string {
	s := fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Requirement is a necessary condition of a query: the exact-typed Field
// equals one of Values.
type Requirement struct {
	Field  string
	Values []string
}

// Matcher is a compiled query. It is safe for concurrent use.
type Matcher struct {
	root     node
	fields   []string
	required []Requirement
}

// Match reports whether ev matches.
func (m *Matcher) Match(ev *event.Event) bool { return m.root.eval(ev) }

// Fields returns the field paths the query references, sorted.
func (m *Matcher) Fields() []string { return m.fields }

// Required returns literal conditions every matching event satisfies (for
// indexing rules by literal). It may be incomplete, never wrong.
func (m *Matcher) Required() []Requirement { return m.required }

// Compile compiles a parsed query.
func Compile(q kql.Node, opts Options) (*Matcher, error) {
	if opts.Schema == nil {
		opts.Schema = ecs.Default()
	}
	if opts.Plan == nil {
		opts.Plan = event.NewPlan()
	}
	c := &compiler{opts: opts, fields: map[string]bool{}}
	root, err := c.node(q, "")
	if err != nil {
		return nil, err
	}
	m := &Matcher{root: root, required: required(root)}
	for f := range c.fields {
		m.fields = append(m.fields, f)
	}
	sortStrings(m.fields)
	return m, nil
}

type compiler struct {
	opts   Options
	fields map[string]bool
}

func (c *compiler) errorf(pos kql.Pos, hint, format string, args ...any) error {
	return &CompileError{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// node compiles a query node; prefix is the path of the enclosing nested
// query, if any.
func (c *compiler) node(n kql.Node, prefix string) (node, error) {
	switch t := n.(type) {
	case *kql.MatchAll:
		return &allNode{text: t.String()}, nil
	case *kql.Or:
		kids, err := c.nodes(t.Terms, prefix)
		return &orNode{kids: kids, text: t.String()}, err
	case *kql.And:
		kids, err := c.nodes(t.Terms, prefix)
		return &andNode{kids: kids, text: t.String()}, err
	case *kql.Not:
		x, err := c.node(t.X, prefix)
		return &notNode{x: x, text: t.String()}, err
	case *kql.Nested:
		return c.nested(t, prefix)
	case *kql.Range:
		return c.rangeNode(t, prefix)
	case *kql.Match:
		return c.match(t, prefix)
	}
	return nil, fmt.Errorf("unknown query node %T", n)
}

func (c *compiler) nodes(ns []kql.Node, prefix string) ([]node, error) {
	out := make([]node, 0, len(ns))
	for _, n := range ns {
		x, err := c.node(n, prefix)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// match compiles field:values, applying each value of a value list to the
// field separately (f:(a or not b) = f:a or not f:b).
func (c *compiler) match(m *kql.Match, prefix string) (node, error) {
	if m.IsFreeText() {
		return c.values(m.Value, func(l *kql.Literal) (node, error) { return c.freeText(l) })
	}
	f := m.Field
	if !f.Quoted && f.IsWildcard() {
		pattern := newGlob(f.Parts)
		if f.IsStar() {
			pattern = nil
		}
		return c.values(m.Value, func(l *kql.Literal) (node, error) {
			if pattern == nil && l.IsStar() {
				return &allNode{text: "*:*"}, nil
			}
			return &fieldPatternNode{prefix: prefix, glob: pattern, lit: l, c: c, text: join(prefix, f.Text()) + ":" + l.String()}, nil
		})
	}
	path := join(prefix, f.Text())
	return c.values(m.Value, func(l *kql.Literal) (node, error) { return c.term(path, l) })
}

// values compiles a value list with leaf as the compiler of each literal.
func (c *compiler) values(v kql.ValueNode, leaf func(*kql.Literal) (node, error)) (node, error) {
	switch t := v.(type) {
	case *kql.Literal:
		return leaf(t)
	case *kql.ValueOr:
		var kids []node
		for _, x := range t.Terms {
			k, err := c.values(x, leaf)
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
		}
		return &orNode{kids: kids, text: t.String()}, nil
	case *kql.ValueAnd:
		var kids []node
		for _, x := range t.Terms {
			k, err := c.values(x, leaf)
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
		}
		return &andNode{kids: kids, text: t.String()}, nil
	case *kql.ValueNot:
		x, err := c.values(t.X, leaf)
		if err != nil {
			return nil, err
		}
		return &notNode{x: x, text: "not " + t.X.String()}, nil
	}
	return nil, fmt.Errorf("unknown value node %T", v)
}

// term compiles field:literal for one concrete field.
func (c *compiler) term(path string, l *kql.Literal) (node, error) {
	c.fields[path] = true
	id := c.opts.Plan.Add(path)
	typ := c.opts.Schema.Type(path)
	text := quoteField(path) + ":" + l.String()
	if l.IsStar() {
		return &existsNode{id: id, path: path, text: text}, nil
	}
	pred, err := c.predicate(typ, l, path)
	if err != nil {
		return nil, err
	}
	n := &termNode{id: id, path: path, typ: typ, pred: pred, text: text}
	if typ.IsExact() && !l.IsWildcard() && l.Kind != kql.Null {
		n.exact = l.Text()
		n.hasExact = true
	}
	return n, nil
}

func quoteField(p string) string {
	if strings.ContainsAny(p, " :()\"*{}<>\\") {
		return fmt.Sprintf("%q", p)
	}
	return p
}

func (c *compiler) nested(n *kql.Nested, prefix string) (node, error) {
	path := join(prefix, n.Field.Text())
	// Kibana rejects a nested query on a field it knows is not nested; a
	// field our schema does not know is taken to be nested, as written.
	if t, known := c.opts.Schema.Known(path); known && t != ecs.Nested {
		return nil, c.errorf(n.At, "use field:{...} only on fields mapped as nested; for objects write the full path, e.g. "+path+".x:value",
			"%s is not a nested field", path)
	}
	// The inner query runs on one element at a time, wrapped back under
	// its path, so it compiles against full paths and its own plan.
	ic := &compiler{opts: c.opts, fields: c.fields}
	ic.opts.Plan = event.NewPlan()
	inner, err := ic.node(n.Query, path)
	if err != nil {
		return nil, err
	}
	c.fields[path] = true
	return &nestedNode{path: path, inner: inner, plan: ic.opts.Plan, text: n.String()}, nil
}
