package esql

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/querytext"
)

// DefaultLimit is the row limit Elasticsearch applies to a query that
// does not end with LIMIT.
const DefaultLimit = 1000

// Default memory bounds of a run (see Options).
const (
	DefaultMaxGroups   = 1_000_000
	DefaultMaxHeldRows = 1_000_000
)

// Options configure compilation.
type Options struct {
	// Schema gives the types of source fields; nil means ecs.Default() for
	// FROM's index patterns. Fields it does not know are keyword.
	Schema *ecs.Schema
	// Fields are source fields that are columns of FROM whether or not the
	// query names them (an index mapping's fields). FROM's columns are these
	// and the fields the query reads, in name order.
	Fields []string
	// Now is the clock for NOW() and for KQL() date math; nil is the epoch.
	Now func() time.Time
	// Plan registers the document fields the query reads (and KQL()'s), so
	// that events read them in their single pass; documents given to Run.Add
	// must be created with Program.Plan(). nil means a private plan.
	Plan *event.Plan
	// MaxGroups bounds the groups one STATS holds, and MaxHeldRows the rows
	// a SORT without LIMIT or an INLINE STATS holds (defaults 1,000,000
	// each); past them the run stops with an error (Run.Err), as
	// Elasticsearch's circuit breaker stops a query.
	MaxGroups, MaxHeldRows int
	// Limit is the row limit applied at the end of the query when it does
	// not end with LIMIT (Elasticsearch's default 1000 when 0).
	Limit int
}

// Program is a compiled query, ready to run over source documents.
type Program struct {
	query     *Query
	schema    *ecs.Schema
	now       func() time.Time
	sources   []*sourceCol // FROM's columns, read from each document
	row       []cexpr      // ROW's values, or nil
	stages    []stage
	out       []colRef
	openWidth int
	indices   []string
	plan      *event.Plan
	reuseRow  bool // Run.Add may reuse its row (see Compile)
	// head is how many stages, from the first, keep no state (WHERE,
	// EVAL, KEEP, DISSECT, GROK) and make rows that depend on nothing but
	// the document: no NOW(), KQL() or MATCH (whose date math reads the
	// clock) but in a WHERE's condition, which only keeps or drops the
	// row: each run evaluates those WHEREs (deferred) itself (see Shared).
	head               int
	deferred           []*whereStage
	runConsts          int  // the expressions evaluated once per run (compiler.perRun)
	wantsAll           bool // the result shows FROM's columns beyond those named
	maxGroups, maxHeld int
}

// sourceCol is a column read from the documents.
type sourceCol struct {
	name     string
	path     string // the event path (a multi-field's parent)
	typ      Type
	slot     int
	meta     string        // _id, _index, _version, or ""
	id       event.FieldID // path's id in the program's plan
	plain    bool          // not named by the query (from Options.Fields)
	esType   ecs.Type      // the mapping's type (float and half_float round doubles)
	unmapped bool          // no mapping knows the field
}

// colRef is a column of a layout: its name, type, and the slot of the row
// that holds it.
type colRef struct {
	name   string
	typ    Type
	slot   int
	source *sourceCol // a FROM column still under its name, or nil
	// unmapped names the unmapped source field whose values the column
	// holds (directly, or through MIN, MAX, VALUES...), or "".
	unmapped string
}

// scope is the layout of rows between two commands during compilation.
type scope struct {
	cols  []colRef
	width *int // slots allocated in rows of this stage
	// open is set while the rows are FROM's (wide) rows and names the
	// query reads that are no columns yet become source columns.
	open    bool
	removed map[string]bool // names dropped or renamed away while open
}

func (s *scope) lookup(name string) (colRef, int) {
	for i, c := range s.cols {
		if c.name == name {
			return c, i
		}
	}
	return colRef{}, -1
}

func (s *scope) clone() *scope {
	return &scope{cols: slices.Clone(s.cols), width: s.width, open: s.open, removed: s.removed}
}

// add appends a new column (replacing one of the same name) and returns
// its slot.
func (s *scope) add(name string, t Type) int {
	slot := *s.width
	*s.width++
	if _, i := s.lookup(name); i >= 0 {
		s.cols = slices.Delete(s.cols, i, i+1)
	}
	s.cols = append(s.cols, colRef{name: name, typ: t, slot: slot})
	return slot
}

type compiler struct {
	p       *Program
	opts    Options
	errs    []error
	streams bool // no blocking command yet (KQL() and MATCH read the document)
	clock   bool // an expression compiled since it was cleared reads the run's clock
	// inHead is set while the commands compiled are the program's head so
	// far; memos, while a WHERE of the head is compiled, collects the parts
	// of its condition that read no clock beside parts that do (see memo).
	inHead bool
	memos  *[]cexpr
	// inRunConst is set while an expression perRun wraps is compiled.
	inRunConst bool
	retypes    map[string]Type // unmapped fields read as another type than keyword
}

func (c *compiler) errorf(pos Pos, hint, format string, args ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint, Query: c.p.query.text}
}

// Compile checks a parsed query against the field types and plans its
// evaluation. Errors are *Error with the position of the fault; a command
// Vigil does not run (COMPLETION) is reported as such.
func Compile(q *Query, opts Options) (*Program, error) {
	// Fields no mapping knows start as keyword; when the query uses one as
	// a number or a boolean, it is read as that type (Elasticsearch would
	// know it from the index mapping) and compilation starts over.
	retype := map[string]Type{}
	for range 64 {
		p, err := compile(q, opts, retype)
		var rt *retypeError
		if errors.As(err, &rt) {
			if _, done := retype[rt.name]; !done {
				retype[rt.name] = rt.typ
				continue
			}
			return nil, rt.err
		}
		return p, err
	}
	return nil, errors.New("too many fields of unknown type")
}

// retypeError asks compile to read an unmapped field as another type.
type retypeError struct {
	name string
	typ  Type
	err  error // the error to report if retyping does not help
}

func (e *retypeError) Error() string { return e.err.Error() }

// retype returns a retypeError when x is an unmapped source field, else err.
func (c *compiler) retype(x cexpr, t Type, err error) error {
	if x.unmapped != "" {
		if _, done := c.retypes[x.unmapped]; !done {
			return &retypeError{name: x.unmapped, typ: t, err: err}
		}
	}
	return err
}

func compile(q *Query, opts Options, retypes map[string]Type) (*Program, error) {
	p := &Program{query: q, now: opts.Now, plan: opts.Plan}
	if p.plan == nil {
		p.plan = event.NewPlan()
	}
	if p.now == nil {
		p.now = func() time.Time { return time.Unix(0, 0).UTC() }
	}
	c := &compiler{p: p, opts: opts, streams: true, retypes: retypes}
	p.maxGroups, p.maxHeld = opts.MaxGroups, opts.MaxHeldRows
	if p.maxGroups <= 0 {
		p.maxGroups = DefaultMaxGroups
	}
	if p.maxHeld <= 0 {
		p.maxHeld = DefaultMaxHeldRows
	}
	for _, cmd := range q.Commands {
		if u, ok := cmd.(*Unsupported); ok {
			return nil, c.errorf(u.At, "", "%s is not supported: %s", u.Name, u.Reason)
		}
	}
	sc := &scope{width: &p.openWidth}
	switch src := q.Source.(type) {
	case *From:
		p.indices = src.Indices
		p.schema = opts.Schema
		if p.schema == nil {
			p.schema = ecs.Default().ForIndices(src.Indices)
		}
		sc.open = true
		sc.removed = map[string]bool{}
		for _, f := range opts.Fields {
			if sc.open {
				if _, i := sc.lookup(f); i < 0 {
					if err := c.addSource(sc, f, src.At, true); err != nil {
						return nil, err
					}
				}
			}
		}
		for _, m := range src.Metadata {
			t := Keyword
			if m == "_version" {
				t = Long
			}
			if m == "_score" {
				t = Double
			}
			if m == "_source" {
				t = SourceType
			}
			sc2 := &sourceCol{name: m, typ: t, slot: *sc.width, meta: m}
			*sc.width++
			p.sources = append(p.sources, sc2)
			sc.cols = append(sc.cols, colRef{name: m, typ: t, slot: sc2.slot, source: sc2})
		}
	case *Row:
		p.schema = opts.Schema
		if p.schema == nil {
			p.schema = ecs.Default()
		}
		for _, f := range src.Fields {
			e, err := c.expr(f.Expr, sc)
			if err != nil {
				return nil, err
			}
			if _, i := sc.lookup(f.Name); i >= 0 {
				sc.cols = slices.Delete(sc.cols, i, i+1)
				// ROW a = 1, a = 2: the last one wins, slot order as written
			}
			sc.cols = append(sc.cols, colRef{name: f.Name, typ: e.typ, slot: len(p.row)})
			*sc.width = len(p.row) + 1
			p.row = append(p.row, e)
		}
	}
	limitAtEnd := false
	_, inHead := q.Source.(*From)
	for i, cmd := range q.Commands {
		var err error
		n := len(p.stages)
		c.clock, c.inHead = false, inHead
		sc, err = c.command(cmd, sc, q.Commands[i+1:])
		if err != nil {
			return nil, err
		}
		_, limitAtEnd = cmd.(*Limit)
		for _, st := range p.stages[n:] {
			switch st := st.(type) {
			case *whereStage:
				st.clock = c.clock
			case *evalStage, *projectStage, *dissectStage, *grokStage:
				inHead = inHead && !c.clock
			default:
				inHead = false
			}
		}
		if inHead {
			p.head = len(p.stages)
		}
	}
	if !limitAtEnd || opts.Limit > 0 {
		n := opts.Limit
		if n <= 0 {
			n = DefaultLimit
		}
		p.stages = append(p.stages, &limitStage{n: n})
	}
	for _, st := range p.stages[:p.head] {
		if w, ok := st.(*whereStage); ok && w.clock {
			p.deferred = append(p.deferred, w)
		}
	}
	p.out = sc.cols
	if sc.open {
		p.wantsAll = true
	}
	// The FROM row can be reused for the next document when a STATS takes
	// the rows before anything keeps them (SORT, INLINE STATS, the result).
reuse:
	for _, st := range p.stages {
		switch st := st.(type) {
		case *statsStage:
			p.reuseRow = !st.inline
			break reuse
		case *sortStage:
			break reuse
		}
	}
	for _, s := range p.sources {
		if s.meta == "" {
			s.id = p.plan.Add(s.path)
			if s.typ == GeoPoint {
				p.plan.Add(s.path + ".lat")
				p.plan.Add(s.path + ".lon")
			}
		}
	}
	return p, nil
}

// addSource makes name a FROM column.
func (c *compiler) addSource(sc *scope, name string, at Pos, plain bool) error {
	f, known := c.p.schema.Field(name)
	t := Keyword
	path := name
	if rt, ok := c.retypes[name]; ok && !known {
		t = rt
	}
	if known {
		switch f.Type {
		case ecs.Object, ecs.Nested:
			return c.errorf(at, "name one of its leaf fields", "%s is an object field: ES|QL reads leaf fields only", name)
		}
		t = fromECS(f.Type)
		if f.Parent != "" {
			path = f.Parent
		}
	}
	src := &sourceCol{name: name, path: path, typ: t, slot: *sc.width, plain: plain, esType: f.Type, unmapped: !known}
	*sc.width++
	c.p.sources = append(c.p.sources, src)
	ref := colRef{name: name, typ: t, slot: src.slot, source: src}
	if !known {
		ref.unmapped = name
	}
	// FROM's columns come in name order, before computed ones.
	i := 0
	for i < len(sc.cols) && sc.cols[i].source != nil && sc.cols[i].source.meta == "" && sc.cols[i].name < name {
		i++
	}
	sc.cols = slices.Insert(sc.cols, i, ref)
	return nil
}

// resolve finds a column by name, making it a FROM column while the rows
// are still FROM's.
func (c *compiler) resolve(sc *scope, name string, at Pos) (colRef, error) {
	if ref, i := sc.lookup(name); i >= 0 {
		return ref, nil
	}
	if sc.open && !sc.removed[name] && !strings.Contains(name, "*") {
		if err := c.addSource(sc, name, at, false); err != nil {
			return colRef{}, err
		}
		ref, _ := sc.lookup(name)
		return ref, nil
	}
	return colRef{}, c.errorf(at, didYouMean(name, sc), "unknown column [%s]", name)
}

func didYouMean(name string, sc *scope) string {
	best, bestD := "", 4
	for _, col := range sc.cols {
		if d := querytext.EditDistance(strings.ToLower(name), strings.ToLower(col.name)); d < bestD {
			best, bestD = col.name, d
		}
	}
	if best != "" {
		return "did you mean [" + best + "]?"
	}
	return ""
}

// matchPattern reports whether a column name matches a KEEP/DROP pattern
// with * wildcards.
func matchPattern(pattern, name string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == name
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(name, part)
		if i < 0 {
			return false
		}
		name = name[i+len(part):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

// closeScope makes a new compact scope from the columns of sc: the rows of
// the next stage hold exactly these columns.
func closeScope(cols []colRef) (*scope, []int) {
	w := 0
	ns := &scope{width: &w}
	slots := make([]int, len(cols))
	for i, col := range cols {
		slots[i] = col.slot
		ns.cols = append(ns.cols, colRef{name: col.name, typ: col.typ, slot: i, unmapped: col.unmapped, source: col.source})
	}
	w = len(cols)
	return ns, slots
}

// command compiles one command, returning the layout after it.
func (c *compiler) command(cmd Command, sc *scope, rest []Command) (*scope, error) {
	switch cmd := cmd.(type) {
	case *Where:
		var memos []cexpr
		if c.inHead {
			c.memos = &memos
		}
		e, err := c.expr(cmd.Cond, sc)
		c.memos = nil
		if err != nil {
			return nil, err
		}
		if e.typ != Boolean && e.typ != Null {
			return nil, c.retype(e, Boolean, c.errorf(cmd.Cond.Pos(), "", "WHERE needs a boolean condition, not [%s] of type %s", cmd.Cond, e.typ))
		}
		st := &whereStage{cond: e}
		if c.clock {
			st.memos = memos
		}
		c.p.stages = append(c.p.stages, st)
		return sc, nil
	case *Eval:
		st := &evalStage{}
		for _, f := range cmd.Fields {
			e, err := c.expr(f.Expr, sc)
			if err != nil {
				return nil, err
			}
			sc = sc.clone()
			slot := sc.add(f.Name, e.typ)
			st.exprs = append(st.exprs, e)
			st.slots = append(st.slots, slot)
		}
		st.width = sc.width
		c.p.stages = append(c.p.stages, st)
		return sc, nil
	case *Stats:
		c.streams = false
		return c.stats(cmd, sc)
	case *Keep:
		var cols []colRef
		// A column goes where the first pattern naming it exactly is, or
		// else the first pattern matching it; exact names win over wildcards.
		if sc.open {
			for _, p := range cmd.Patterns {
				if !strings.Contains(p.Name, "*") {
					if _, err := c.resolve(sc, p.Name, p.At); err != nil {
						return nil, err
					}
				} else {
					c.p.wantsAll = true
				}
			}
		}
		assigned := map[string]int{} // name -> pattern index
		priority := map[string]int{}
		for pi, p := range cmd.Patterns {
			found := false
			for _, col := range sc.cols {
				if !matchPattern(p.Name, col.name) {
					continue
				}
				found = true
				pr := patternPriority(p.Name)
				if _, ok := assigned[col.name]; ok && priority[col.name] > pr {
					continue
				}
				assigned[col.name] = pi
				priority[col.name] = pr
			}
			if !found && !strings.Contains(p.Name, "*") {
				return nil, c.errorf(p.At, didYouMean(p.Name, sc), "unknown column [%s]", p.Name)
			}
		}
		for pi, p := range cmd.Patterns {
			if strings.Contains(p.Name, "*") {
				for _, col := range sc.cols {
					if assigned[col.name] == pi && matchPattern(p.Name, col.name) {
						cols = append(cols, col)
					}
				}
				continue
			}
			if col, i := sc.lookup(p.Name); i >= 0 && assigned[col.name] == pi {
				cols = append(cols, col)
			}
		}
		return c.project(cols), nil
	case *Drop:
		var cols []colRef
		for _, p := range cmd.Patterns {
			if !strings.Contains(p.Name, "*") {
				if _, err := c.resolve(sc, p.Name, p.At); err != nil {
					return nil, err
				}
			}
		}
		for _, col := range sc.cols {
			dropped := false
			for _, p := range cmd.Patterns {
				if matchPattern(p.Name, col.name) {
					dropped = true
				}
			}
			if !dropped {
				cols = append(cols, col)
			} else if sc.open {
				sc.removed[col.name] = true
			}
		}
		ns := sc.clone()
		ns.cols = cols
		return ns, nil
	case *Rename:
		ns := sc.clone()
		for _, pr := range cmd.Pairs {
			ref, err := c.resolve(ns, pr.Old, pr.At)
			if err != nil {
				return nil, err
			}
			_, i := ns.lookup(pr.Old)
			if _, j := ns.lookup(pr.New); j >= 0 && j != i {
				ns.cols = slices.Delete(ns.cols, j, j+1)
				if j < i {
					i--
				}
			}
			ref.name = pr.New
			ref.source = nil
			ns.cols[i] = ref
			if ns.open {
				ns.removed[pr.Old] = true
				delete(ns.removed, pr.New)
				ns.removed[pr.New] = true
			}
		}
		return ns, nil
	case *Sort:
		st := &sortStage{limit: -1}
		for _, k := range cmd.Keys {
			e, err := c.expr(k.Expr, sc)
			if err != nil {
				return nil, err
			}
			st.keys = append(st.keys, sortKey{e: e, desc: k.Desc, nullsFirst: k.NullsFirst})
		}
		st.limit = c.followingLimit(rest)
		c.streams = false
		c.p.stages = append(c.p.stages, st)
		return sc, nil
	case *Limit:
		c.p.stages = append(c.p.stages, &limitStage{n: cmd.N})
		return sc, nil
	case *Sample:
		c.p.stages = append(c.p.stages, newSampleStage(cmd.Probability))
		return sc, nil
	case *MvExpand:
		ref, err := c.resolve(sc, cmd.Column, cmd.At)
		if err != nil {
			return nil, err
		}
		c.p.stages = append(c.p.stages, &mvExpandStage{slot: ref.slot})
		return sc, nil
	case *Dissect:
		in, err := c.expr(cmd.Input, sc)
		if err != nil {
			return nil, err
		}
		if !in.typ.isString() && in.typ != Null {
			return nil, c.errorf(cmd.Input.Pos(), "", "DISSECT needs a string input, not [%s] of type %s", cmd.Input, in.typ)
		}
		d, err := parseDissect(cmd.Pattern)
		if err != nil {
			return nil, c.errorf(cmd.PatPos, "", "invalid dissect pattern: %v", err)
		}
		sep := ""
		if cmd.HasSep {
			sep = cmd.Separator
		}
		d.sep = sep
		st := &dissectStage{in: in, d: d}
		ns := sc.clone()
		for _, k := range d.outputs() {
			st.slots = append(st.slots, ns.add(k, Keyword))
		}
		st.width = ns.width
		c.p.stages = append(c.p.stages, st)
		return ns, nil
	case *Grok:
		in, err := c.expr(cmd.Input, sc)
		if err != nil {
			return nil, err
		}
		if !in.typ.isString() && in.typ != Null {
			return nil, c.errorf(cmd.Input.Pos(), "", "GROK needs a string input, not [%s] of type %s", cmd.Input, in.typ)
		}
		st := &grokStage{in: in}
		var outs []grokOutput
		for _, pat := range cmd.Patterns {
			g, err := compileGrok(pat)
			if err != nil {
				return nil, c.errorf(cmd.PatPos, "", "invalid grok pattern: %v", err)
			}
			st.groks = append(st.groks, g)
			for _, o := range g.outputs {
				if i := slices.IndexFunc(outs, func(x grokOutput) bool { return x.name == o.name }); i < 0 {
					outs = append(outs, o)
				}
			}
		}
		ns := sc.clone()
		for _, o := range outs {
			st.names = append(st.names, o.name)
			st.types = append(st.types, o.typ)
			st.slots = append(st.slots, ns.add(o.name, o.typ))
		}
		st.width = ns.width
		c.p.stages = append(c.p.stages, st)
		return ns, nil
	}
	return nil, c.errorf(cmd.Pos(), "", "command %s is not supported", cmd)
}

// patternPriority ranks KEEP patterns: an exact name wins over wildcards.
func patternPriority(p string) int {
	if !strings.Contains(p, "*") {
		return 2
	}
	if p == "*" {
		return 0
	}
	return 1
}

// project ends the wide FROM rows (or narrows rows) to cols.
func (c *compiler) project(cols []colRef) *scope {
	ns, slots := closeScope(cols)
	c.p.stages = append(c.p.stages, &projectStage{slots: slots, width: ns.width})
	return ns
}

// followingLimit returns the row limit that applies right after a SORT,
// when only commands that keep the row count follow up to it; -1 if none.
func (c *compiler) followingLimit(rest []Command) int {
	for _, cmd := range rest {
		switch cmd := cmd.(type) {
		case *Eval, *Keep, *Drop, *Rename, *Dissect, *Grok:
			continue
		case *Limit:
			n := cmd.N
			if c.opts.Limit > 0 && c.opts.Limit < n {
				n = c.opts.Limit
			}
			return n
		}
		return -1
	}
	if c.opts.Limit > 0 {
		return c.opts.Limit
	}
	return DefaultLimit
}

// Columns returns the columns of the query's result, in order.
func (p *Program) Columns() []ColumnInfo {
	out := make([]ColumnInfo, len(p.out))
	for i, c := range p.out {
		out[i] = ColumnInfo{Name: c.name, Type: c.typ}
	}
	return out
}

// Fields returns the document fields the query reads, sorted.
func (p *Program) Fields() []string {
	var fs []string
	for _, s := range p.sources {
		if s.meta == "" {
			fs = append(fs, s.path)
		}
	}
	sort.Strings(fs)
	return slices.Compact(fs)
}

// WantsAllFields reports whether the result shows FROM's columns beyond
// those the query names (no KEEP or STATS, or a KEEP pattern such as
// process.*, while the rows are FROM's): Elasticsearch would show every
// mapped field there, Vigil the fields of Options.Fields.
func (p *Program) WantsAllFields() bool { return p.wantsAll }

// Selects reports whether documents of the index belong to the query:
// whether one of FROM's patterns matches it.
func (p *Program) Selects(index string) bool {
	for _, pat := range p.indices {
		if ecs.IndexMatches(pat, index) {
			return true
		}
	}
	return false
}

// Indices returns FROM's index patterns (nil for ROW).
func (p *Program) Indices() []string { return slices.Clone(p.indices) }

// Aggregating reports whether the query has a STATS (one result row per
// group rather than per document).
func (p *Program) Aggregating() bool {
	for _, cmd := range p.query.Commands {
		if s, ok := cmd.(*Stats); ok && !s.Inline {
			return true
		}
	}
	return false
}

// ExpandedFields returns the columns the query's MV_EXPAND commands
// expand, in the query's order (Kibana adds their values to a
// non-aggregating alert's id).
func (p *Program) ExpandedFields() []string {
	var out []string
	for _, cmd := range p.query.Commands {
		if m, ok := cmd.(*MvExpand); ok {
			out = append(out, m.Column)
		}
	}
	return out
}

// Plan returns the field plan documents given to Run.Add must be created
// with (see Options.Plan).
func (p *Program) Plan() *event.Plan { return p.plan }

// srcText is an expression's text as written in the query (Elasticsearch's
// warnings quote it so), else as printed.
func (c *compiler) srcText(e Expr) string {
	if t, ok := c.p.query.spans[e]; ok {
		return t
	}
	return e.String()
}
