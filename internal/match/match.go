package match

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// Options configure compilation.
type Options struct {
	// Schema gives field types; nil means ecs.Default().
	Schema *ecs.Schema
	// Plan is where literal field paths are registered, so that events read
	// them in their single pass; an engine shares one plan between all its
	// rules and creates its events with it. nil means a private plan: events
	// given to the matcher must then be created with Matcher.Plan().
	Plan *event.Plan
	// Now is the clock for `now` in date math. It is required when the query
	// uses now on a date field (Compile fails otherwise); the matcher calls it
	// on every evaluation that needs it.
	Now func() time.Time
}

// CompileError is a query Elasticsearch would reject at search time (a
// non-numeric value on a numeric field, a wildcard on a date, a nested query
// on a non-nested field...), at the position of the fault.
type CompileError struct {
	Pos  kql.Pos
	Msg  string // what is wrong, lower case
	Hint string // what to do about it, or ""
}

// Error returns "line:col: msg".
func (e *CompileError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// Detail renders the error for people, as kql.Error does: the message, the
// query line with a caret under the fault, and the hint.
func (e *CompileError) Detail(query string) string {
	return (&kql.Error{Pos: e.Pos, Msg: e.Msg, Hint: e.Hint, Query: query}).Detail()
}

// Requirement is a necessary condition of a query, for an engine's rule
// index: every matching event has a value of Field (an exact-typed field:
// keyword, constant_keyword, wildcard or flattened) whose keyword text
// (event.Value.String) is one of Values.
//
// Fold marks a case-insensitive condition (EQL's `:` and `in~`): Values
// are then folded with FoldCase, and so must the event's value be.
//
// Exists, when set, makes it a weaker condition: every matching event has
// a value of Field, any (event.Event.Has: a number, a string, an object
// path with a value...), on a field of any type; Values is then empty. A
// numeric comparison, a range, a wildcard or a regular expression gives
// it: conditions that are false (or null) without a value.
//
// Prefix, when set, makes Values prefixes: the keyword text of a value
// of Field starts with one of them (the literal head of a wildcard
// pattern, `process.executable : "C:\\Users\\*"`), folded with Fold.
// A prefix's leading '?'s each stand for one character of the value, any
// (`"?:\\Users\\*"` gives "?:\\users\\"): see PrefixHolds.
//
// Any, when set, makes the requirement a disjunction: one of these holds
// (Field, Values and Fold are then unused).
type Requirement struct {
	Field  string
	Values []string
	Fold   bool
	Exists bool
	Prefix bool
	Any    []Requirement
}

// PrefixHolds reports whether s starts with the prefix p of a Prefix
// requirement: each of p's leading '?'s is one character of s (a rune, or
// a byte that is not UTF-8, as a wildcard's '?' reads it), any; the rest
// of p is s's next bytes. A Fold requirement's s is folded first
// (FoldCase).
func PrefixHolds(s, p string) bool {
	for len(p) > 0 && p[0] == '?' {
		if s == "" {
			return false
		}
		_, n := utf8.DecodeRuneInString(s)
		s, p = s[n:], p[1:]
	}
	return strings.HasPrefix(s, p)
}

func (r Requirement) clone() Requirement {
	out := Requirement{Field: r.Field, Values: slices.Clone(r.Values), Fold: r.Fold, Exists: r.Exists, Prefix: r.Prefix}
	for _, a := range r.Any {
		out.Any = append(out.Any, a.clone())
	}
	return out
}

// Matcher is a compiled query. It is safe for concurrent use; the events it
// is given are not (one per goroutine).
type Matcher struct {
	root     node
	plan     *event.Plan
	fields   []string
	required []Requirement
}

// Match reports whether the event matches. A malformed document (ev.Err()
// != nil) matches nothing.
func (m *Matcher) Match(ev *event.Event) bool {
	if ev.Err() != nil {
		return false
	}
	return m.root.eval(ev)
}

// Fields returns the literal field paths the query references (full paths,
// nested ones included), sorted. Wildcard field names and free text are not
// listed: they may read any field.
func (m *Matcher) Fields() []string { return slices.Clone(m.fields) }

// Required returns conditions every matching event meets (see Requirement),
// AND-ed. The list may be incomplete, never wrong: it comes from positive
// exact terms in the query's top-level AND.
func (m *Matcher) Required() []Requirement {
	if len(m.required) == 0 {
		return nil
	}
	out := make([]Requirement, len(m.required))
	for i, r := range m.required {
		out[i] = r.clone()
	}
	return out
}

// Plan returns the plan the matcher's fields are registered in
// (Options.Plan, or its private one).
func (m *Matcher) Plan() *event.Plan { return m.plan }

// String returns the query in canonical KQL.
func (m *Matcher) String() string { return m.root.clause() }

// Compile compiles a parsed query against the field types of opts.Schema.
// Errors are *CompileError.
func Compile(q kql.Node, opts Options) (*Matcher, error) {
	if q == nil {
		return nil, fmt.Errorf("compile query: no query (parse it with kql.Parse first)")
	}
	if opts.Schema == nil {
		opts.Schema = ecs.Default()
	}
	if opts.Plan == nil {
		opts.Plan = event.NewPlan()
	}
	c := &compiler{schema: opts.Schema, plan: opts.Plan, now: opts.Now, fields: map[string]bool{}}
	root, err := c.node(q)
	if err != nil {
		return nil, err
	}
	m := &Matcher{root: root, plan: opts.Plan, required: required(root)}
	for f := range c.fields {
		m.fields = append(m.fields, f)
	}
	slices.Sort(m.fields)
	return m, nil
}

// compiler holds what compiling one query needs. Inside a nested group,
// scope is the group's full path: field names are relative to it, types are
// looked up by full path, and plan is the group's own plan (its elements are
// events of their own).
type compiler struct {
	schema *ecs.Schema
	plan   *event.Plan
	now    func() time.Time
	fields map[string]bool
	scope  string
}

func (c *compiler) errorf(pos kql.Pos, hint, format string, args ...any) error {
	return &CompileError{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// full returns the full path of a field name written in the current scope.
func (c *compiler) full(rel string) string {
	if c.scope == "" {
		return rel
	}
	return c.scope + "." + rel
}

func (c *compiler) node(n kql.Node) (node, error) {
	switch t := n.(type) {
	case *kql.MatchAll:
		return &allNode{text: t.String()}, nil
	case *kql.Or:
		kids, err := c.nodes(t.Terms)
		if err != nil {
			return nil, err
		}
		return newOr(kids, clauseSrc{src: t}), nil
	case *kql.And:
		kids, err := c.nodes(t.Terms)
		if err != nil {
			return nil, err
		}
		return newAnd(kids, clauseSrc{src: t}), nil
	case *kql.Not:
		x, err := c.node(t.X)
		if err != nil {
			return nil, err
		}
		return &notNode{x: x, text: clauseSrc{src: t}}, nil
	case *kql.Nested:
		return c.nested(t)
	case *kql.Range:
		return c.rangeClause(t)
	case *kql.Match:
		return c.match(t)
	case nil:
		return nil, fmt.Errorf("compile query: empty query node")
	}
	return nil, fmt.Errorf("compile query: unknown query node %T", n)
}

func (c *compiler) nodes(ns []kql.Node) ([]node, error) {
	out := make([]node, 0, len(ns))
	for _, n := range ns {
		x, err := c.node(n)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// fieldRef is a literal field resolved at compile time.
type fieldRef struct {
	name  string // relative to the scope: what the event is read by (a multi-field's parent)
	full  string // full path as written: for types and messages
	typ   ecs.Type
	info  ecs.Field // typ, with the analyzer, normalizer or multi-field parent
	known bool      // the schema knows the field (else it is taken as keyword)
	id    event.FieldID
}

// field resolves a literal field name, checking it against nested scopes as
// Kibana does when it knows the field.
func (c *compiler) field(name *kql.Literal) (fieldRef, error) {
	rel := name.Text()
	full := c.full(rel)
	if _, known := c.schema.Known(full); known {
		if owner := c.nestedOwner(full); owner != c.scope {
			if owner != "" {
				inner := strings.TrimPrefix(full, owner+".")
				return fieldRef{}, c.errorf(name.At, fmt.Sprintf("write %s:{ %s:... }", owner, inner),
					"%s is inside the nested field %s: query it within %s:{ ... }", full, owner, owner)
			}
			if _, scopeKnown := c.schema.Known(c.scope); scopeKnown || c.schema.Declared(full) {
				return fieldRef{}, c.errorf(name.At, "move the clause out of the { } group, with its full path",
					"%s is not a nested field but is in the nested group %s", full, c.scope)
			}
			// Otherwise the field's type comes from an integration table,
			// which does not record objects and nested fields: the group
			// is taken as written.
		}
	}
	c.fields[full] = true
	info, known := c.schema.Field(full)
	if !known {
		info = ecs.Field{Type: ecs.Keyword}
	}
	read := rel
	if info.Parent != "" {
		// A multi-field indexes its parent's value: read the parent.
		read = info.Parent
		if c.scope != "" {
			read = strings.TrimPrefix(read, c.scope+".")
		}
	}
	return fieldRef{name: read, full: full, typ: info.Type, info: info, known: known, id: c.plan.Add(read)}, nil
}

// article returns the type name with its indefinite article.
func article(t ecs.Type) string {
	name := t.String()
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// nestedOwner returns the closest ancestor of path mapped as nested, or "".
func (c *compiler) nestedOwner(path string) string {
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		if c.schema.IsNested(path[:i]) {
			return path[:i]
		}
	}
	return ""
}

// match compiles `field:values`. Each value of a value list applies to the
// field separately, as Kibana compiles it: f:(a or not b) is f:a or not f:b.
func (c *compiler) match(m *kql.Match) (node, error) {
	if m.IsFreeText() {
		return c.values(m.Value, "", func(l *kql.Literal) (node, error) { return c.freeText(l) })
	}
	f := m.Field
	if !f.Quoted && f.IsWildcard() {
		return c.values(m.Value, f.String()+":", func(l *kql.Literal) (node, error) {
			if f.IsStar() && l.IsStar() {
				return &allNode{text: "*:*"}, nil
			}
			return c.fieldPattern(f, l)
		})
	}
	ref, err := c.field(f)
	if err != nil {
		return nil, err
	}
	return c.values(m.Value, f.String()+":", func(l *kql.Literal) (node, error) { return c.term(ref, f, l) })
}

// values compiles a value list with leaf compiling each literal; prefix is
// the field and colon the list belongs to, for the clauses' text.
func (c *compiler) values(v kql.ValueNode, prefix string, leaf func(*kql.Literal) (node, error)) (node, error) {
	if v == nil {
		return nil, fmt.Errorf("compile query: empty value")
	}
	text := clauseSrc{src: v, prefix: prefix}
	switch t := v.(type) {
	case *kql.Literal:
		return leaf(t)
	case *kql.ValueOr:
		kids, err := c.valueList(t.Terms, prefix, leaf)
		if err != nil {
			return nil, err
		}
		return newOr(kids, text), nil
	case *kql.ValueAnd:
		kids, err := c.valueList(t.Terms, prefix, leaf)
		if err != nil {
			return nil, err
		}
		return newAnd(kids, text), nil
	case *kql.ValueNot:
		x, err := c.values(t.X, prefix, leaf)
		if err != nil {
			return nil, err
		}
		return &notNode{x: x, text: text}, nil
	}
	return nil, fmt.Errorf("compile query: unknown value node %T", v)
}

func (c *compiler) valueList(vs []kql.ValueNode, prefix string, leaf func(*kql.Literal) (node, error)) ([]node, error) {
	out := make([]node, 0, len(vs))
	for _, v := range vs {
		x, err := c.values(v, prefix, leaf)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// term compiles field:literal on one known field.
func (c *compiler) term(f fieldRef, name, l *kql.Literal) (node, error) {
	text := termText{name, l}
	if l.IsStar() {
		return &existsNode{f: f, text: text}, nil
	}
	vm, err := c.fieldTermMatcher(f.full, f.info, l)
	if err != nil {
		return nil, err
	}
	return &termNode{f: f, vm: vm, lit: l, name: name, text: text}, nil
}

// nested compiles field:{query}.
func (c *compiler) nested(n *kql.Nested) (node, error) {
	rel := n.Field.Text()
	full := c.full(rel)
	if t, known := c.schema.Known(full); known && t != ecs.Nested {
		return nil, c.errorf(n.At, fmt.Sprintf("{ } groups apply to fields mapped as nested; for an object write the full path, e.g. %s.x:value", full),
			"%s is %s field, not a nested one", full, article(t))
	}
	// A deeper nested path may be queried directly (a.b:{...} at the top,
	// with a and a.b nested): Elasticsearch finds a.b's objects in every a.
	inner := &compiler{schema: c.schema, plan: event.NewPlan(), now: c.now, fields: c.fields, scope: full}
	q, err := inner.node(n.Query)
	if err != nil {
		return nil, err
	}
	c.fields[full] = true
	return &nestedNode{path: rel, full: full, inner: q, plan: inner.plan, text: n.String()}, nil
}
