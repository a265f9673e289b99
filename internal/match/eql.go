package match

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// EQLOptions configure CompileEQL.
type EQLOptions struct {
	Options
	// CategoryField is the field an event query's category is compared
	// with: event.category when empty (a rule's event_category_override).
	CategoryField string
}

// CompileEQL compiles a single-event EQL query (`category where cond`)
// against the field types of opts.Schema into a Matcher, with
// Elasticsearch's semantics:
//
//   - the category is a term query on the category field (case-sensitive);
//     `any` matches every event;
//   - `==` is case-sensitive and exact, `:` case-insensitive with the `*` and
//     `?` wildcards, `like`/`like~` wildcard patterns, `regex`/`regex~`
//     Lucene regular expressions over the whole value, `in`/`in~` lists;
//   - a field with no value is null; comparisons with null are null, `not`
//     of null is null, and only a true condition selects the event
//     (`x != "a"` selects nothing without x); `x == null` asks that x be
//     missing;
//   - a multi-valued field satisfies a comparison when one of its values
//     does (`!=` and `not in` are `not` of the positive form, so they need
//     every value to differ);
//   - text fields are compared through their keyword sub-field.
//
// Sequences and samples are not single-event queries: CompileEQL rejects
// them (see SingleEvent). Errors are *CompileError with the query's
// positions.
func CompileEQL(s *eql.Statement, opts EQLOptions) (*Matcher, error) {
	if s == nil {
		return nil, fmt.Errorf("compile eql: no query (parse it with eql.Parse first)")
	}
	q, ok := s.Query.(*eql.EventQuery)
	if !ok {
		return nil, &CompileError{Pos: kqlPos(s.Query.Pos()), Msg: "only single-event queries can be compiled, not " + Construct(s)}
	}
	if len(s.Pipes) > 0 {
		return nil, &CompileError{Pos: kqlPos(s.Pipes[0].At), Msg: "pipes are not supported: " + s.Pipes[0].Name}
	}
	if opts.Schema == nil {
		opts.Schema = ecs.Default()
	}
	if opts.Plan == nil {
		opts.Plan = event.NewPlan()
	}
	c := &eqlCompiler{schema: opts.Schema, plan: opts.Plan, fields: map[string]bool{}}
	catField := opts.CategoryField
	if catField == "" {
		catField = "event.category"
	}
	var terms []cond
	root := &eqlNode{src: s}
	if q.Category != "" {
		f := c.field(catField)
		cat := q.Category
		root.cat = (&predCond{x: f, pred: func(v val) bool { return v.k == vStr && v.s == cat }, text: catField + " == " + strconv.Quote(cat)}).withText(func(s string) bool { return s == cat })
		root.cat.keyed = true
		terms = append(terms, root.cat)
		root.reqs = append(root.reqs, eqlReq{field: catField, typ: f.ft, values: []string{cat}})
	}
	where, err := c.cond(q.Where)
	if err != nil {
		return nil, err
	}
	terms = append(terms, where)
	root.reqs = append(root.reqs, c.required(q.Where)...)
	if len(terms) == 1 {
		root.c = terms[0]
	} else {
		and := newAndCond(terms, true)
		and.src = s
		root.c = and
	}
	m := &Matcher{root: root, plan: opts.Plan}
	for _, r := range root.reqs {
		if !r.exact() {
			continue
		}
		if len(r.alts) == 0 {
			i := slices.IndexFunc(m.required, func(o Requirement) bool {
				return len(o.Any) == 0 && o.Field == r.field && (o.Fold == r.fold || o.Exists || r.exists)
			})
			if i >= 0 {
				if rq := r.requirement(); strength(rq) > strength(m.required[i]) {
					m.required[i] = rq // values say more than prefixes, prefixes than a value
				}
				continue
			}
		}
		m.required = append(m.required, r.requirement())
	}
	for f := range c.fields {
		m.fields = append(m.fields, f)
	}
	slices.Sort(m.fields)
	return m, nil
}

// Construct names what makes a statement more than a single-event query:
// "sequence", "sample", "pipe head"..., or "" for a plain event query.
func Construct(s *eql.Statement) string {
	switch s.Query.(type) {
	case *eql.Sequence:
		return "sequence"
	case *eql.Sample:
		return "sample"
	}
	if len(s.Pipes) > 0 {
		return "pipe " + s.Pipes[0].Name
	}
	return ""
}

func kqlPos(p eql.Pos) kql.Pos { return kql.Pos{Offset: p.Offset, Line: p.Line, Col: p.Col} }

// tri is a three-valued truth: EQL conditions may be null.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triNull
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// cond is a compiled condition. holds is test(ev) == triTrue, faster: an
// AND stops at its first operand that does not hold, null or false alike
// (only under a not does null differ from false).
type cond interface {
	test(ev *event.Event) tri
	holds(ev *event.Event) bool
}

// eqlNode is the root of a compiled EQL query, as a matcher node.
type eqlNode struct {
	c    cond
	cat  *predCond // the category test, nil for any
	src  fmt.Stringer
	reqs []eqlReq
}

// clauseText is a clause's text for explanations: text, or else src
// printed, on demand (printing every sub-expression of every query while
// compiling was a tenth of loading Elastic's corpus).
func clauseText(text string, src fmt.Stringer) string {
	if text == "" && src != nil {
		return src.String()
	}
	return text
}

func (n *eqlNode) eval(ev *event.Event) bool { return n.c.holds(ev) }
func (n *eqlNode) clause() string            { return clauseText("", n.src) }
func (n *eqlNode) explain(ev *event.Event) *Explanation {
	e := explainCond(n.c, ev)
	e.Clause = n.clause()
	if n.cat != nil && n.cat.test(ev) != triTrue {
		e.Reason = "the event's category is not the query's: " + eqlValuesText(n.cat, ev)
	}
	return e
}

// explainCond explains a condition clause by clause: true, false or null
// (a field it needs has no value), with the values compared.
func explainCond(c cond, ev *event.Event) *Explanation {
	t := c.test(ev)
	e := &Explanation{Match: t == triTrue}
	if t == triNull {
		e.Reason = "null"
	}
	var kids []cond
	switch x := c.(type) {
	case *nullIfFalse:
		sub := explainCond(x.x, ev)
		sub.Match = t == triTrue
		if t == triNull {
			sub.Reason = "null: no value matches and the list holds null"
		}
		return sub
	case *andCond:
		e.Clause, kids = clauseText(x.text, x.src), x.kids
	case *orCond:
		e.Clause, kids = clauseText(x.text, x.src), x.kids
	case *notCond:
		e.Clause, kids = clauseText(x.text, x.src), []cond{x.x}
	case *constCond:
		e.Clause = clauseText(x.text, x.src)
	case *predCond:
		e.Clause = clauseText(x.text, x.src)
		e.Reason = eqlValuesText(x, ev)
	case *nullCond:
		e.Clause = clauseText(x.text, x.src)
	}
	for _, k := range kids {
		if k == nil {
			continue
		}
		e.Kids = append(e.Kids, explainCond(k, ev))
	}
	return e
}

// eqlValuesText says what a comparison saw: the values, or none.
func eqlValuesText(c *predCond, ev *event.Event) string {
	vs := c.x.eval(ev, nil)
	if len(vs) == 0 {
		return "null: no value"
	}
	var parts []string
	for i, v := range vs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(vs)-5))
			break
		}
		parts = append(parts, strconv.Quote(v.text()))
	}
	return "got " + strings.Join(parts, ", ")
}

// eqlReq is a literal condition of the query's top-level AND, for the rule
// index and the raw prefilter: field has one of values (fold: compared
// case-insensitively; values are then folded).
type eqlReq struct {
	field  string
	typ    ecs.Type
	values []string
	fold   bool
	exists bool     // set: the field has a value, any (values unused)
	prefix bool     // set: values are prefixes of the field's value
	alts   []eqlReq // set: a disjunction of these (the rest unused)
}

// exact reports whether the requirement is on exact-typed fields only
// (or, for an existence requirement, on any field).
func (r eqlReq) exact() bool {
	if len(r.alts) == 0 {
		return r.exists || r.typ.IsExact()
	}
	for _, a := range r.alts {
		if !a.exact() {
			return false
		}
	}
	return true
}

func (r eqlReq) requirement() Requirement {
	if len(r.alts) == 0 {
		if r.exists {
			return Requirement{Field: r.field, Exists: true}
		}
		return Requirement{Field: r.field, Values: r.values, Fold: r.fold, Prefix: r.prefix}
	}
	out := Requirement{}
	for _, a := range r.alts {
		out.Any = append(out.Any, a.requirement())
	}
	return out
}

type andCond struct {
	kids []cond
	run  []cond // kids in the order they are tested: see newAndCond
	text string
	src  fmt.Stringer // printed as text on demand when text is empty
}

// newAndCond returns the AND of kids (explained in their order), tested
// in their order but for the equalities the rule index keys rules on
// (the event's category, host.os.type == "windows", event.type in
// ("start", ...)), which come last: the index evaluates a rule only on
// events that have the value it is keyed under, so these hold for most
// events a rule is tried on, where the other operands (a pattern, a
// process name) rarely do, and an AND stops at its first operand that
// does not hold. Three-valued logic is commutative: only the work done
// changes.
//
// Below the query's top level (an AND within an OR, a NOT), the rule
// index keyed the rule on none of these: only those on fields most
// events carry (CommonField) come last there, and an equality on another
// field (`process.name in ("node", "node.exe") and process.args :
// "*claude*"`), cheap and rarely true, keeps its place among the cheap
// operands, first.
func newAndCond(kids []cond, top bool) *andCond {
	run := slices.Clone(kids)
	last := isKeyed
	if !top {
		last = isCommonKeyed
	}
	slices.SortStableFunc(run, func(a, b cond) int { return b2i(last(a)) - b2i(last(b)) })
	return &andCond{kids: kids, run: run}
}

func (c *andCond) test(ev *event.Event) tri {
	out := triTrue
	for _, k := range c.run {
		switch k.test(ev) {
		case triFalse:
			return triFalse
		case triNull:
			out = triNull
		}
	}
	return out
}

func (c *andCond) holds(ev *event.Event) bool {
	for _, k := range c.run {
		if !k.holds(ev) {
			return false
		}
	}
	return true
}

type orCond struct {
	kids []cond
	text string
	src  fmt.Stringer // printed as text on demand when text is empty
}

func (c *orCond) holds(ev *event.Event) bool {
	for _, k := range c.kids {
		if k.holds(ev) {
			return true
		}
	}
	return false
}

func (c *orCond) test(ev *event.Event) tri {
	out := triFalse
	for _, k := range c.kids {
		switch k.test(ev) {
		case triTrue:
			return triTrue
		case triNull:
			out = triNull
		}
	}
	return out
}

type notCond struct {
	x    cond
	text string
	src  fmt.Stringer // printed as text on demand when text is empty
}

func (c *notCond) holds(ev *event.Event) bool { return c.x.test(ev) == triFalse }

func (c *notCond) test(ev *event.Event) tri {
	switch c.x.test(ev) {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triNull
}

type constCond struct {
	t    tri
	text string
	src  fmt.Stringer // printed as text on demand when text is empty
}

func (c *constCond) test(*event.Event) tri   { return c.t }
func (c *constCond) holds(*event.Event) bool { return c.t == triTrue }

// predCond holds when one of x's values satisfies pred; null when x has none.
type predCond struct {
	text string       // the clause in canonical EQL
	src  fmt.Stringer // printed as text on demand when text is empty
	x    expr
	pred func(val) bool
	// spred, when set, is pred on the text of a keyword-like field's
	// values, without converting them.
	spred func(string) bool
	cost  int // a rough cost of pred, to order an AND's operands
	// keyed: an equality or set of texts the rule index keys rules on,
	// which holds for most events a rule is evaluated on: an AND tests it
	// after its other operands.
	keyed bool
	// lits, when set, are texts one of which every value the test holds
	// for contains (lower case, ASCII case aside): for the raw prefilter.
	lits []string
}

// withText sets spred when x is a keyword-like field.
func (c *predCond) withText(sp func(string) bool) *predCond {
	if f, ok := c.x.(*fieldExpr); ok && f.t == tString && sp != nil {
		c.spred = sp
	}
	return c
}

func (c *predCond) holds(ev *event.Event) bool { return c.test(ev) == triTrue }

func (c *predCond) test(ev *event.Event) tri {
	if f, ok := c.x.(*fieldExpr); ok && c.spred != nil {
		seen := false
		for _, x := range ev.Values(f.id) {
			var s string
			switch x.Kind {
			case event.KindString, event.KindNumber:
				s = x.Str
			case event.KindBool:
				s = strconv.FormatBool(x.Bool)
			default:
				continue
			}
			if len(s) > ignoreAbove && hasIgnoreAbove(f.ft) && tooLong(s) {
				continue
			}
			if c.spred(s) {
				return triTrue
			}
			seen = true
		}
		if !seen {
			return triNull
		}
		return triFalse
	}
	if f, ok := c.x.(*fieldExpr); ok {
		// The common case, without collecting the values.
		seen := false
		for _, ev := range ev.Values(f.id) {
			v, ok := f.conv(ev)
			if !ok {
				continue
			}
			if c.pred(v) {
				return triTrue
			}
			seen = true
		}
		if !seen {
			return triNull
		}
		return triFalse
	}
	vs := c.x.eval(ev, nil)
	if len(vs) == 0 {
		return triNull
	}
	for _, v := range vs {
		if c.pred(v) {
			return triTrue
		}
	}
	return triFalse
}

// isKeyed reports whether c is a condition the rule index keys on.
func isKeyed(c cond) bool {
	p, ok := c.(*predCond)
	return ok && p.keyed
}

// isCommonKeyed reports whether c is a condition the rule index keys on,
// on a field most events carry.
func isCommonKeyed(c cond) bool {
	if !isKeyed(c) {
		return false
	}
	f, ok := c.(*predCond).x.(*fieldExpr)
	return ok && CommonField(f.name)
}

// condCost estimates what testing c costs, for ordering an AND.
func condCost(c cond) int {
	switch t := c.(type) {
	case *predCond:
		n := max(t.cost, 1)
		if _, ok := t.x.(*fieldExpr); !ok {
			n += 8
		}
		return n
	case *andCond:
		n := 0
		for _, k := range t.kids {
			n += condCost(k)
		}
		return n
	case *orCond:
		n := 0
		for _, k := range t.kids {
			n += condCost(k)
		}
		return n
	case *notCond:
		return condCost(t.x)
	case *nullIfFalse:
		return condCost(t.x)
	case *constCond:
		return 0
	}
	return 1
}

// nullCond is `x == null` (want true) or `x != null`: never null itself.
type nullCond struct {
	text string
	src  fmt.Stringer // printed as text on demand when text is empty
	x    expr
	want bool
}

func (c *nullCond) holds(ev *event.Event) bool { return c.test(ev) == triTrue }

func (c *nullCond) test(ev *event.Event) tri {
	if f, ok := c.x.(*fieldExpr); ok {
		for _, x := range ev.Values(f.id) {
			if _, ok := f.conv(x); ok {
				return triOf(!c.want)
			}
		}
		return triOf(c.want)
	}
	return triOf((len(c.x.eval(ev, nil)) == 0) == c.want)
}

// vkind is the kind of a runtime value.
type vkind uint8

const (
	vStr vkind = iota + 1
	vNum
	vBool
)

// val is one runtime value. Numbers remember whether they are integers, for
// integer arithmetic.
type val struct {
	k     vkind
	s     string
	n     float64
	isInt bool
	b     bool
}

func strVal(s string) val          { return val{k: vStr, s: s} }
func boolVal(b bool) val           { return val{k: vBool, b: b} }
func intVal(n int64) val           { return val{k: vNum, n: float64(n), isInt: true} }
func floatVal(f float64) val       { return val{k: vNum, n: f} }
func numVal(f float64, i bool) val { return val{k: vNum, n: f, isInt: i} }

// text renders v as EQL's string() does.
func (v val) text() string {
	switch v.k {
	case vStr:
		return v.s
	case vBool:
		return strconv.FormatBool(v.b)
	case vNum:
		if v.isInt && math.Abs(v.n) < 1e18 {
			return strconv.FormatInt(int64(v.n), 10)
		}
		// Java's Double.toString: a decimal point always.
		s := strconv.FormatFloat(v.n, 'f', -1, 64)
		if math.Abs(v.n) >= 1e7 || v.n != 0 && math.Abs(v.n) < 1e-3 {
			s = strconv.FormatFloat(v.n, 'E', -1, 64)
			mant, exp, _ := strings.Cut(s, "E")
			if !strings.Contains(mant, ".") {
				mant += ".0"
			}
			return mant + "E" + strings.TrimPrefix(exp, "+")
		}
		if !strings.ContainsAny(s, ".NI") {
			s += ".0"
		}
		return s
	}
	return "null"
}

// etype is the static type of an expression.
type etype uint8

const (
	tNull etype = iota
	tString
	tNumber
	tBool
	tIP
	tDate
	tOther // objects, geo points...: values EQL cannot compare
)

func (t etype) String() string {
	return [...]string{"null", "keyword", "number", "boolean", "ip", "date", "object"}[t]
}

// expr is a compiled value expression: eval appends its values (none:
// null) to buf.
type expr interface {
	eval(ev *event.Event, buf []val) []val
	typ() etype
}

// constExpr is a constant (nil v: null).
type constExpr struct {
	v   *val
	t   etype
	src eql.Expr
}

func (e *constExpr) eval(_ *event.Event, buf []val) []val {
	if e.v == nil {
		return buf
	}
	return append(buf, *e.v)
}
func (e *constExpr) typ() etype { return e.t }

// fieldExpr reads a field's values, converted by its type.
type fieldExpr struct {
	name string
	id   event.FieldID
	ft   ecs.Type
	t    etype
	// unmapped: an optional field (?x) the schema does not know, which
	// Elasticsearch resolves to null when its mapping lacks it.
	unmapped bool
}

func (e *fieldExpr) typ() etype { return e.t }

func (e *fieldExpr) eval(ev *event.Event, buf []val) []val {
	for _, x := range ev.Values(e.id) {
		if v, ok := e.conv(x); ok {
			buf = append(buf, v)
		}
	}
	return buf
}

// conv converts an event value as the field's type indexes it; ok is false
// for values the type does not index (not a number on a numeric field,
// objects, strings over ignore_above on keywords).
func (e *fieldExpr) conv(x event.Value) (val, bool) {
	if x.Kind == event.KindObject || x.Kind == event.KindNull {
		return val{}, false
	}
	switch e.t {
	case tNumber:
		var f float64
		switch x.Kind {
		case event.KindNumber:
			f = x.Num
		case event.KindString:
			n, err := strconv.ParseFloat(strings.TrimSpace(x.Str), 64)
			if err != nil {
				return val{}, false
			}
			f = n
		default:
			return val{}, false
		}
		if e.ft.IsInteger() {
			return intVal(int64(f)), true
		}
		if e.ft == ecs.Float || e.ft == ecs.HalfFloat {
			f = float64(float32(f))
		}
		return floatVal(f), true
	case tBool:
		switch {
		case x.Kind == event.KindBool:
			return boolVal(x.Bool), true
		case x.Kind == event.KindString && (x.Str == "true" || x.Str == "false"):
			return boolVal(x.Str == "true"), true
		}
		return val{}, false
	case tIP:
		if x.Kind != event.KindString {
			return val{}, false
		}
		if _, ok := parseIP(x.Str); !ok {
			return val{}, false
		}
		return strVal(x.Str), true
	case tOther:
		return val{}, false
	}
	s, ok := keywordText(x)
	if !ok || hasIgnoreAbove(e.ft) && tooLong(s) {
		return val{}, false
	}
	return strVal(s), true
}

// eqlCompiler compiles one query.
type eqlCompiler struct {
	schema *ecs.Schema
	plan   *event.Plan
	fields map[string]bool
	depth  int // of the condition being compiled: 0 for the query's where
}

func (c *eqlCompiler) errorf(pos eql.Pos, hint, format string, args ...any) error {
	return &CompileError{Pos: kqlPos(pos), Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// fieldType maps a field's mapping type to its EQL type.
func fieldType(t ecs.Type) etype {
	switch {
	case t.IsNumeric():
		return tNumber
	case t == ecs.Boolean:
		return tBool
	case t == ecs.IP:
		return tIP
	case t.IsDate():
		return tDate
	case t == ecs.Object || t == ecs.Nested || t == ecs.GeoPoint || t == ecs.Binary:
		return tOther
	}
	return tString
}

// field resolves a field reference. A text field is read through its
// keyword sub-field (the same values); one without any is compared as
// Elasticsearch compares it: it cannot be, which is an error.
func (c *eqlCompiler) field(name string) *fieldExpr {
	t := c.schema.Type(name)
	c.fields[name] = true
	f := &fieldExpr{name: name, id: c.plan.Add(name), ft: t, t: fieldType(t)}
	if t.IsText() {
		f.ft = ecs.Keyword
	}
	return f
}

func (c *eqlCompiler) fieldRef(f *eql.Field) (*fieldExpr, error) {
	name := f.Name()
	t, known := c.schema.Known(name)
	if known && t.IsText() {
		if kt, ok := c.schema.Known(name + ".keyword"); !ok || !kt.IsExact() {
			return nil, c.errorf(f.At, "compare a keyword field, or search text with a KQL rule",
				"no keyword/multi-field defined exact matches for [%s]; define one or use MATCH/QUERY instead", name)
		}
	}
	fe := c.field(name)
	fe.unmapped = f.Optional && !known
	return fe, nil
}

// cond compiles a condition, noting its text for explanations.
func (c *eqlCompiler) cond(e eql.Expr) (cond, error) {
	x, err := c.cond1(e)
	if err != nil {
		return nil, err
	}
	switch t := x.(type) {
	case *andCond:
		t.text, t.src = "", e
	case *orCond:
		t.text, t.src = "", e
	case *notCond:
		t.text, t.src = "", e
	case *constCond:
		t.src = e
	case *predCond:
		t.text, t.src = "", e
	case *nullCond:
		t.text, t.src = "", e
	}
	return x, nil
}

func (c *eqlCompiler) cond1(e eql.Expr) (cond, error) {
	switch t := e.(type) {
	case *eql.Bool:
		// The query's top-level AND is the one the rule index keys on.
		top := c.depth == 0 && t.Op == eql.And
		c.depth++
		defer func() { c.depth-- }()
		kids := make([]cond, 0, len(t.Terms))
		for _, x := range t.Terms {
			k, err := c.cond(x)
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
		}
		if t.Op == eql.And {
			// Cheap operands first: an AND is false as soon as one is,
			// whatever the order (three-valued logic is commutative).
			slices.SortStableFunc(kids, func(a, b cond) int { return condCost(a) - condCost(b) })
			return newAndCond(kids, top), nil
		}
		return &orCond{kids: kids}, nil
	case *eql.Not:
		c.depth++
		defer func() { c.depth-- }()
		x, err := c.cond(t.X)
		if err != nil {
			return nil, err
		}
		return &notCond{x: x}, nil
	case *eql.Compare:
		return c.compare(t)
	case *eql.In:
		return c.in(t)
	case *eql.Match:
		return c.match(t)
	}
	x, err := c.expr(e)
	if err != nil {
		return nil, err
	}
	switch x.typ() {
	case tBool:
	case tNull:
		return &constCond{t: triNull}, nil
	default:
		return nil, c.errorf(e.Pos(), "compare it: e.g. x == \"value\"", "condition expression needs to be boolean, found [%s] in [%s]", x.typ(), e)
	}
	if k, ok := x.(*constExpr); ok {
		return &constCond{t: triOf(k.v.b)}, nil
	}
	return &predCond{x: x, pred: func(v val) bool { return v.k == vBool && v.b }}, nil
}

// isConst reports whether x is a constant (Elasticsearch folds constant
// arithmetic and functions too).
func isConst(x expr) bool { _, ok := x.(*constExpr); return ok }

var swapped = map[eql.CompareOp]eql.CompareOp{eql.EQ: eql.EQ, eql.NE: eql.NE, eql.LT: eql.GT, eql.LE: eql.GE, eql.GT: eql.LT, eql.GE: eql.LE}

// compare compiles `l op r`. The constant goes on the right; comparing two
// non-constant expressions is an error, as in Elasticsearch.
func (c *eqlCompiler) compare(e *eql.Compare) (cond, error) {
	l, err := c.expr(e.L)
	if err != nil {
		return nil, err
	}
	r, err := c.expr(e.R)
	if err != nil {
		return nil, err
	}
	op, rsrc := e.Op, e.R
	if !isConst(l) && !isConst(r) {
		// Elasticsearch compares only with constants, but an optional
		// field its mapping lacks is the constant null (?x == ?y).
		if f, ok := r.(*fieldExpr); ok && f.unmapped {
			r = &constExpr{t: tNull, src: e.R}
		} else if f, ok := l.(*fieldExpr); ok && f.unmapped {
			l = &constExpr{t: tNull, src: e.L}
		}
	}
	if k, ok := l.(*constExpr); ok && k.v == nil && isConst(r) && r.(*constExpr).v == nil {
		// null == null is true, null != null false (IsNull / IsNotNull);
		// other comparisons of nulls are null.
		switch op {
		case eql.EQ, eql.NE:
			return &constCond{t: triOf(op == eql.EQ)}, nil
		}
		return &constCond{t: triNull}, nil
	}
	if isConst(l) && !isConst(r) {
		l, r, op, rsrc = r, l, swapped[op], e.L
	}
	if !isConst(r) {
		return nil, c.errorf(rsrc.Pos(), "compare with a constant", "comparisons against fields are not (currently) supported; offender [%s] in [%s]", rsrc, op)
	}
	k := r.(*constExpr)
	if k.v == nil {
		switch op {
		case eql.EQ:
			return &nullCond{x: l, want: true}, nil
		case eql.NE:
			return &nullCond{x: l, want: false}, nil
		}
		return &constCond{t: triNull}, nil
	}
	if isConst(l) {
		var buf [1]val
		lv := l.eval(nil, buf[:0])
		if len(lv) == 0 {
			return &constCond{t: triNull}, nil
		}
		p, err := c.comparePred(l.typ(), op, *k.v, rsrc)
		if err != nil {
			return nil, err
		}
		return &constCond{t: triOf(p(lv[0]))}, nil
	}
	// A string equality on a keyword-like field tests the text directly.
	var text func(string) bool
	if k.v.k == vStr && l.typ() == tString {
		want := k.v.s
		text = func(s string) bool { return s == want }
	}
	if op == eql.NE {
		p, err := c.comparePred(l.typ(), eql.EQ, *k.v, rsrc)
		if err != nil {
			return nil, err
		}
		return &notCond{x: (&predCond{x: l, pred: p}).withText(text)}, nil
	}
	p, err := c.comparePred(l.typ(), op, *k.v, rsrc)
	if err != nil {
		return nil, err
	}
	pc := &predCond{x: l, pred: p}
	if op == eql.EQ {
		pc.withText(text)
		pc.keyed = text != nil
	}
	return pc, nil
}

// comparePred returns the test `value op k` for values of type lt.
func (c *eqlCompiler) comparePred(lt etype, op eql.CompareOp, k val, src eql.Expr) (func(val) bool, error) {
	cmpOK := func(n int) bool {
		switch op {
		case eql.EQ:
			return n == 0
		case eql.NE:
			return n != 0
		case eql.LT:
			return n < 0
		case eql.LE:
			return n <= 0
		case eql.GT:
			return n > 0
		}
		return n >= 0
	}
	switch {
	case lt == tIP && k.k == vStr:
		if strings.Contains(k.s, "/") && (op == eql.EQ || op == eql.NE) {
			p, err := netip.ParsePrefix(k.s)
			if err != nil {
				return nil, c.errorf(src.Pos(), "", "%q is not an IP address or CIDR network", k.s)
			}
			p = p.Masked()
			return func(v val) bool {
				a, ok := parseIP(v.s)
				return ok && prefixContains(p, a) == (op == eql.EQ)
			}, nil
		}
		want, ok := parseIP(k.s)
		if !ok {
			return nil, c.errorf(src.Pos(), "", "%q is not an IP address", k.s)
		}
		return func(v val) bool {
			a, ok := parseIP(v.s)
			return ok && cmpOK(compareIP(a, want))
		}, nil
	case lt == tNumber:
		var want float64
		switch k.k {
		case vNum:
			want = k.n
		case vStr:
			n, err := strconv.ParseFloat(k.s, 64)
			if err != nil {
				return nil, c.errorf(src.Pos(), "compare a number field with a number", "cannot compare a number with the string %s", src)
			}
			want = n
		default:
			return nil, c.errorf(src.Pos(), "", "cannot compare a number with %s", src)
		}
		return func(v val) bool {
			if v.k != vNum {
				return false
			}
			switch {
			case v.n < want:
				return cmpOK(-1)
			case v.n > want:
				return cmpOK(1)
			}
			return cmpOK(0)
		}, nil
	case lt == tDate && (k.k == vStr || k.k == vNum):
		// Dates compare by value: ISO 8601 or epoch milliseconds.
		text := k.text()
		if n, ok := src.(*eql.Number); ok {
			text = n.Text
		}
		t, _, err := datemath.ParseDate(text)
		if err != nil {
			return nil, c.errorf(src.Pos(), "write ISO 8601 (2024-05-01T10:00:00Z) or epoch milliseconds", "%s is not a date", src)
		}
		want, _ := toResolution(t, true)
		return func(v val) bool {
			d, ok := eventDate(event.Value{Kind: event.KindString, Str: v.text()}, true)
			if !ok {
				return false
			}
			switch {
			case d < want:
				return cmpOK(-1)
			case d > want:
				return cmpOK(1)
			}
			return cmpOK(0)
		}, nil
	case lt == tBool:
		if k.k != vBool {
			return nil, c.errorf(src.Pos(), "", "cannot compare a boolean with %s", src)
		}
		return func(v val) bool {
			if v.k != vBool {
				return false
			}
			return cmpOK(b2i(v.b) - b2i(k.b))
		}, nil
	}
	// Strings (and values of unknown type): by text, byte order.
	want := k.text()
	if k.k == vNum && lt != tString && lt != tDate {
		return func(v val) bool {
			if v.k == vNum {
				switch {
				case v.n < k.n:
					return cmpOK(-1)
				case v.n > k.n:
					return cmpOK(1)
				}
				return cmpOK(0)
			}
			return cmpOK(strings.Compare(v.text(), want))
		}, nil
	}
	if k.k == vNum {
		// A number compared with a keyword: its text, as written.
		if n, ok := src.(*eql.Number); ok {
			want = n.Text
		}
	}
	return func(v val) bool { return cmpOK(strings.Compare(v.text(), want)) }, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// in compiles `x [not] in (...)` and `in~`: every element must be a
// constant.
func (c *eqlCompiler) in(e *eql.In) (cond, error) {
	x, err := c.expr(e.X)
	if err != nil {
		return nil, err
	}
	var preds []func(val) bool
	var exact map[string]bool // string constants, for a set lookup
	var lens uint64           // bit n: one of them is n bytes long (bit 63: 63 and more)
	hasNull := false
	for _, el := range e.List {
		k, err := c.expr(el)
		if err != nil {
			return nil, err
		}
		kc, ok := k.(*constExpr)
		if !ok {
			return nil, c.errorf(el.Pos(), "list constants only", "comparisons against fields are not (currently) supported; offender [%s] in [%s]", el, e)
		}
		if kc.v == nil {
			hasNull = true
			continue
		}
		if kc.v.k == vStr && x.typ() == tString {
			if exact == nil {
				exact = map[string]bool{}
			}
			s := kc.v.s
			if e.Insensitive {
				s = foldCase(s)
			}
			exact[s] = true
			lens |= 1 << min(len(s), 63)
			continue
		}
		if e.Insensitive && kc.v.k == vStr {
			s := foldCase(kc.v.s)
			preds = append(preds, func(v val) bool { return foldCase(v.text()) == s })
			continue
		}
		p, err := c.comparePred(x.typ(), eql.EQ, *kc.v, el)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	// A text of no constant's length is not looked up (an ASCII one
	// lowered keeps its length).
	sized := func(s string) bool { return lens&(1<<min(len(s), 63)) != 0 }
	pred := func(v val) bool {
		if exact != nil && v.k == vStr {
			if !e.Insensitive {
				if sized(v.s) && exact[v.s] {
					return true
				}
			} else if isASCII(v.s) {
				if sized(v.s) {
					if b, _ := lowerASCIIInto(make([]byte, 0, 256), v.s); exact[string(b)] {
						return true
					}
				}
			} else if exact[foldCase(v.s)] {
				return true
			}
		}
		for _, p := range preds {
			if p(v) {
				return true
			}
		}
		return false
	}
	pc := &predCond{x: x, pred: pred, cost: 1 + len(preds)}
	if len(preds) == 0 && !e.Insensitive {
		pc.withText(func(s string) bool { return sized(s) && exact[s] })
	}
	pc.keyed = len(preds) == 0 && exact != nil
	var out cond = pc
	if isConst(x) {
		out = &constCond{t: out.test(nil)}
	}
	if hasNull {
		// A list holding null: no match is null, not false (SQL's IN).
		out = &nullIfFalse{x: out}
	}
	if e.Not {
		out = &notCond{x: out}
	}
	return out, nil
}

// nullIfFalse is x, with false turned into null.
type nullIfFalse struct{ x cond }

func (c *nullIfFalse) test(ev *event.Event) tri {
	if t := c.x.test(ev); t != triFalse {
		return t
	}
	return triNull
}

func (c *nullIfFalse) holds(ev *event.Event) bool { return c.x.holds(ev) }

// match compiles `x : p`, like, like~, regex and regex~ (a list is an OR).
func (c *eqlCompiler) match(e *eql.Match) (cond, error) {
	x, err := c.expr(e.X)
	if err != nil {
		return nil, err
	}
	if t := x.typ(); t != tString && t != tNull && t != tDate && !(e.Op == eql.Seq && t != tOther) {
		return nil, c.errorf(e.X.Pos(), "", "first argument of [%s] must be [string], found value [%s] type [%s]", e, e.X, t)
	}
	pm := &patternMatch{fold: e.Op == eql.Seq || e.Op == eql.LikeI, anyKind: e.Op == eql.Seq}
	for _, p := range e.Patterns {
		s, ok := p.(*eql.String)
		if !ok {
			if e.Op == eql.Seq {
				// `x : 5`: the constant's text, case-insensitively.
				k, err := c.expr(p)
				if err != nil {
					return nil, err
				}
				if kc, ok := k.(*constExpr); ok && kc.v != nil {
					pm.addExact(foldCase(kc.v.text()))
					continue
				}
			}
			return nil, c.errorf(p.Pos(), "write a string", "second argument of [%s] must be [string], found value [%s]", e, p)
		}
		switch e.Op {
		case eql.Regex, eql.RegexI:
			re, err := luceneRegexp(s.Value, e.Op == eql.RegexI)
			if err != nil {
				return nil, c.errorf(p.Pos(), "write a Lucene regular expression: . ? + * | {n,m} ( ) [ ] \" \\ and \\d \\s \\w", "invalid regular expression %s: %v", p, err)
			}
			pm.regexps = append(pm.regexps, newLucRegexp(re, e.Op == eql.RegexI))
		default:
			pat := s.Value
			if pm.fold {
				pat = foldCase(pat)
			}
			if !strings.ContainsAny(pat, "*?") {
				pm.addExact(pat)
				continue
			}
			pm.wilds = append(pm.wilds, newWildcard(pat))
		}
	}
	if pm.fold && len(pm.wilds) >= minIndexed {
		pm.heads = newHeadIndex(pm.wilds)
	}
	var out cond = (&predCond{x: x, pred: pm.match, cost: 1 + len(pm.wilds) + 4*len(pm.regexps), lits: pm.literals()}).withText(pm.matchString)
	if isConst(x) {
		out = &constCond{t: out.test(nil)}
	}
	return out, nil
}

// patternMatch is the test of a pattern operator: exact texts, wildcard
// patterns and regexps, any of which may hold; fold: exact texts and
// wildcards are folded, and so is the value (regexps fold themselves).
type patternMatch struct {
	heads   *headIndex // folded wildcards, when there are many
	fold    bool
	anyKind bool // `:` also compares numbers and booleans by their text
	exact   map[string]bool
	wilds   []*wildcard
	regexps []*lucRegexp
	// exactLens has bit n set when an exact text is n bytes long (bit 63:
	// 63 and more): a value of no such length is not lowered and looked up.
	exactLens uint64
}

// minLiteral is the shortest text literals reports: shorter ones pass
// most records.
const minLiteral = 3

// literals returns texts one of which every value the test holds for
// contains, lower case (values compared ASCII case aside): each exact
// text, each wildcard's longest literal run, a text of each regexp's;
// nil when an alternative gives none of minLiteral bytes.
func (m *patternMatch) literals() []string {
	var out []string
	add := func(s string) bool {
		if len(s) < minLiteral {
			return false
		}
		out = append(out, strings.ToLower(s))
		return true
	}
	for s := range m.exact {
		if !add(s) {
			return nil
		}
	}
	for _, w := range m.wilds {
		if !add(w.mustS) {
			return nil
		}
	}
	for _, r := range m.regexps {
		if r.lits == nil || shortest(r.lits) < minLiteral {
			return nil
		}
		for _, l := range r.lits {
			add(l)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (m *patternMatch) addExact(s string) {
	if m.exact == nil {
		m.exact = map[string]bool{}
	}
	m.exact[s] = true
	m.exactLens |= 1 << min(len(s), 63)
}

func (m *patternMatch) match(v val) bool {
	if (v.k == vNum || v.k == vBool) && !m.anyKind {
		return false
	}
	return m.matchString(v.text())
}

// matchString tests a value's text.
func (m *patternMatch) matchString(s string) bool {
	for _, re := range m.regexps {
		if re.match(s) {
			return true
		}
	}
	if !m.fold {
		if m.exact[s] {
			return true
		}
		for _, w := range m.wilds {
			if w.maybeString(s) && w.match(s) {
				return true
			}
		}
		return false
	}
	// Fold ASCII without allocating: exact texts by a lowered copy on the
	// stack, wildcards byte by byte (the value is not copied for them:
	// long command lines are, and most fail a pattern's quick checks).
	if isASCII(s) {
		if m.exactLens&(1<<min(len(s), 63)) != 0 {
			var buf [256]byte
			if b, _ := lowerASCIIInto(buf[:0], s); m.exact[string(b)] {
				return true
			}
		}
		if m.heads != nil {
			var candBuf [16]int
			for _, i := range m.heads.candidates(s, candBuf[:0]) {
				if w := m.wilds[i]; w.maybeFoldASCII(s) && w.matchFoldASCII(s) {
					return true
				}
			}
			return false
		}
		for _, w := range m.wilds {
			// The pattern's longest literal first (a fast search), then
			// the pattern.
			if w.maybeFoldASCII(s) && w.matchFoldASCII(s) {
				return true
			}
		}
		return false
	}
	f := foldCase(s)
	if m.exact[f] {
		return true
	}
	for _, w := range m.wilds {
		if w.match(f) {
			return true
		}
	}
	return false
}

// lowerASCIIInto appends s lowered to b; ok is false when s is not ASCII.
func lowerASCIIInto(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return b, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b, true
}

// FoldCase lowers s for case-insensitive comparison, as Requirement.Fold
// values are; ASCII without a copy when already lower case.
func FoldCase(s string) string { return foldCase(s) }

func foldCase(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// required derives the literal conditions of a condition's top-level AND:
// `f == "v"`, `f in ("a", "b")` (exact), `f : "v"`, `f : ("a", "b")`,
// `f in~ (...)`, `f like~ (...)` without wildcards (folded).
func (c *eqlCompiler) required(e eql.Expr) []eqlReq {
	switch t := e.(type) {
	case *eql.Bool:
		if t.Op == eql.And {
			var out []eqlReq
			for _, x := range t.Terms {
				out = append(out, c.required(x)...)
			}
			return out
		}
		// An OR whose every operand constrains one field the same way; else
		// one whose every operand has a condition: one of them holds.
		var out []eqlReq
		var each [][]eqlReq
		for i, x := range t.Terms {
			rs := c.required(x)
			each = append(each, rs)
			if i == 0 {
				out = rs
				continue
			}
			var keep []eqlReq
			for _, r := range out {
				if len(r.alts) > 0 {
					continue
				}
				j := slices.IndexFunc(rs, func(o eqlReq) bool {
					return len(o.alts) == 0 && o.field == r.field && (o.fold == r.fold || o.exists || r.exists)
				})
				if j < 0 {
					continue
				}
				if r.exists || rs[j].exists {
					// One operand needs only a value of the field.
					keep = append(keep, eqlReq{field: r.field, typ: r.typ, exists: true})
					continue
				}
				// A value is a prefix of itself: with one prefix
				// operand, all are prefixes.
				r.prefix = r.prefix || rs[j].prefix
				vals := slices.Clone(r.values)
				for _, v := range rs[j].values {
					if !slices.Contains(vals, v) {
						vals = append(vals, v)
					}
				}
				r.values = vals
				keep = append(keep, r)
			}
			out = keep
		}
		if weakEQL(out) {
			// No value the operands share but on fields most events
			// carry (at most that a field has one): one of the
			// operands' own conditions holds, which says more (see
			// weak).
			alt, ok := disjunction(each)
			if ok && (len(out) == 0 || !weakEQL([]eqlReq{alt})) {
				return append(out, alt)
			}
		}
		return out
	case *eql.Compare:
		// A comparison of a field with a constant is null, so false,
		// without a value of the field (`x != "a"` too).
		f, ok := t.L.(*eql.Field)
		k := t.R
		if !ok {
			f, ok = t.R.(*eql.Field)
			k = t.L
		}
		if !ok || !isLiteral(k) {
			return nil
		}
		if s, isStr := k.(*eql.String); isStr && t.Op == eql.EQ && f == t.L {
			return c.req(f, []string{s.Value}, false)
		}
		return c.exists(f)
	case *eql.In:
		f, ok := t.X.(*eql.Field)
		if !ok {
			return nil
		}
		if vals, ok := stringConsts(t.List); ok && !t.Not {
			return c.req(f, vals, t.Insensitive)
		}
		// `x in (1, 2)`, `x not in (...)`: null without a value.
		return c.exists(f)
	case *eql.Match:
		f, ok := t.X.(*eql.Field)
		if !ok {
			return nil
		}
		vals, ok := stringConsts(t.Patterns)
		if !ok {
			return nil
		}
		if t.Op != eql.Seq && t.Op != eql.Like && t.Op != eql.LikeI {
			return c.exists(f) // a regular expression: a value, any
		}
		if !slices.ContainsFunc(vals, func(v string) bool { return strings.ContainsAny(v, "*?") }) {
			return c.req(f, vals, t.Op != eql.Like)
		}
		// Wildcards: a value starting with one of the patterns' literal
		// heads (an exact text is a head of itself), when each has one.
		// A head may follow a few '?'s (`"?:\\Users\\*"`: any drive),
		// which the requirement keeps (Requirement.Prefix).
		heads := make([]string, len(vals))
		for i, v := range vals {
			if heads[i] = wildcardHead(v); heads[i] == "" {
				return c.exists(f)
			}
		}
		rs := c.req(f, heads, t.Op != eql.Like)
		if !rs[0].typ.IsExact() {
			return c.exists(f)
		}
		rs[0].prefix = true
		return rs
	}
	return nil
}

// minSkippedHead is the shortest literal text a wildcard head after '?'s
// is kept with: `"?:\\*"` says little of a Windows path.
const minSkippedHead = 3

// wildcardHead returns the literal text a wildcard pattern's matches
// start with, after the '?'s it starts with (kept), "" when there is none
// or, after '?'s, too short a one.
func wildcardHead(p string) string {
	k := 0
	for k < len(p) && p[k] == '?' {
		k++
	}
	lit := p[k : k+strings.IndexAny(p[k:]+"*", "*?")]
	if k > 0 && len(lit) < minSkippedHead {
		return ""
	}
	return p[:k+len(lit)]
}

// isLiteral reports whether x is a constant other than null.
func isLiteral(x eql.Expr) bool {
	switch x.(type) {
	case *eql.String, *eql.Number, *eql.Boolean:
		return true
	}
	return false
}

// exists is the requirement that f has a value.
func (c *eqlCompiler) exists(f *eql.Field) []eqlReq {
	return []eqlReq{{field: f.Name(), exists: true}}
}

// weakEQL is weak for an EQL query's requirements.
func weakEQL(rs []eqlReq) bool {
	return !slices.ContainsFunc(rs, func(r eqlReq) bool { return selective(r.requirement()) > 1 })
}

// disjunction builds the requirement of an OR from its operands'
// requirements: one (the most selective: see selective) per operand,
// or nothing when an operand has none.
func disjunction(each [][]eqlReq) (eqlReq, bool) {
	var out eqlReq
	for _, rs := range each {
		best, bestRank := -1, 0
		for i, r := range rs {
			if !r.exact() {
				continue
			}
			if rank := selective(r.requirement()); best < 0 || rank > bestRank {
				best, bestRank = i, rank
			}
		}
		if best < 0 {
			return eqlReq{}, false
		}
		if b := rs[best]; len(b.alts) > 0 {
			out.alts = append(out.alts, b.alts...)
		} else {
			out.alts = append(out.alts, b)
		}
	}
	return out, len(out.alts) > 0
}

// inexact reports whether the requirement, or one of its alternatives,
// is not a set of whole values: that a field has a value, or prefixes.
func (r eqlReq) inexact() bool {
	return r.exists || r.prefix || slices.ContainsFunc(r.alts, eqlReq.inexact)
}

func (c *eqlCompiler) req(f *eql.Field, vals []string, fold bool) []eqlReq {
	name := f.Name()
	t := c.schema.Type(name)
	if t.IsText() {
		t = ecs.Keyword
	}
	if fold {
		for i, v := range vals {
			vals[i] = foldCase(v)
		}
	}
	slices.Sort(vals)
	return []eqlReq{{field: name, typ: t, values: slices.Compact(vals), fold: fold}}
}

// stringConsts returns the values of a list of string constants.
func stringConsts(xs []eql.Expr) ([]string, bool) {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		s, ok := x.(*eql.String)
		if !ok {
			return nil, false
		}
		out = append(out, s.Value)
	}
	return out, true
}
