package exception

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
)

// CompileOptions configure Compile.
type CompileOptions struct {
	// Schema gives field types; nil means ecs.Default().
	Schema *ecs.Schema
	// Plan is the engine's shared field plan: every field the exceptions
	// read is registered in it at compile time, so events must be created
	// after Compile. nil means a private plan (see Filter.Plan).
	Plan *event.Plan
	// Now is the clock that expires items (and `now` in date values). It is
	// required when an item has an expire_time.
	Now func() time.Time
	// ValueLists are the loaded value lists, by id, for "is in list"
	// entries.
	ValueLists map[string]*ValueList
}

// Skipped is a list Compile left out, and why.
type Skipped struct {
	ListID string
	Name   string
	Source string
	Reason string
}

// Filter is compiled exception lists: Elasticsearch's must_not of any item,
// as Kibana adds it to a rule's search. It is safe for concurrent use (the
// events given to it are not).
type Filter struct {
	// Skipped are the lists left out: Elastic Defend's Endpoint list
	// (endpoint_list), which Kibana does not apply in the detection engine.
	Skipped []Skipped

	items []*compiledItem
	plan  *event.Plan
	now   func() time.Time
}

// compiledItem is an item's conditions, AND-ed.
type compiledItem struct {
	item   *Item
	expire time.Time
	conds  []cond
}

// cond is one compiled condition on an event.
type cond interface {
	eval(ev *event.Event) bool
}

// kqlCond is an entry written as KQL and compiled by package match.
type kqlCond struct {
	m *match.Matcher
}

func (c kqlCond) eval(ev *event.Event) bool { return c.m.Match(ev) }

// Compile compiles the items of lists into a filter. Every problem is
// reported (as Errors), each with the item's position and the entry's index.
func Compile(lists []*List, opts CompileOptions) (*Filter, error) {
	if opts.Schema == nil {
		opts.Schema = ecs.Default()
	}
	if opts.Plan == nil {
		opts.Plan = event.NewPlan()
	}
	f := &Filter{plan: opts.Plan, now: opts.Now}
	var errs Errors
	for _, l := range lists {
		if l == nil {
			continue
		}
		if l.ListID == EndpointListID {
			f.Skipped = append(f.Skipped, Skipped{ListID: l.ListID, Name: l.Name, Source: l.Source,
				Reason: "the Endpoint exception list applies on hosts, by Elastic Defend; Kibana leaves it out of detection rules' searches"})
			continue
		}
		for j, it := range l.Items {
			if it == nil {
				continue
			}
			ci, ierrs := compileItem(l, j, it, opts)
			errs = append(errs, ierrs...)
			if ci != nil {
				f.items = append(f.items, ci)
			}
		}
	}
	if err := errs.sorted(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		for _, ci := range f.items {
			if !ci.expire.IsZero() {
				return nil, fmt.Errorf("compile exceptions: %s: the item has an expire_time but CompileOptions.Now is nil: give Compile a clock", ci.item.Source)
			}
		}
	}
	return f, nil
}

// itemLabel names the j-th item of a list in messages, as the parsers do.
func itemLabel(l *List, j int, it *Item) string {
	name := it.Name
	if name == "" {
		name = it.ItemID
	}
	return fmt.Sprintf("list %q item %d (%q)", l.ListID, j+1, name)
}

func compileItem(l *List, j int, it *Item, opts CompileOptions) (*compiledItem, Errors) {
	file, line := splitSource(it.Source)
	where := itemLabel(l, j, it)
	var errs Errors
	add := func(src, where, msg, hint string) {
		f, n := file, line
		if src != "" {
			f, n = splitSource(src)
		}
		errs = append(errs, &Error{File: f, Line: n, Where: where, Msg: msg, Hint: hint})
	}
	if len(it.Entries) == 0 {
		add("", where, "the item has no entries", "an item needs at least one condition; Kibana refuses empty items")
	}
	for _, os := range it.OSTypes {
		if msg, hint := checkOSType(os); msg != "" {
			add("", where, msg, hint)
		}
	}
	ci := &compiledItem{item: it, expire: it.ExpireTime}
	for i := range it.Entries {
		e := &it.Entries[i]
		ew := where + " entry " + strconv.Itoa(i+1)
		if ps := checkEntry(e, false); len(ps) > 0 {
			for _, p := range ps {
				add(e.Source, ew+p.path, p.msg, p.hint)
			}
			continue
		}
		c, msg, hint := compileEntry(e, opts)
		if msg != "" {
			add(e.Source, ew, msg, hint)
			continue
		}
		ci.conds = append(ci.conds, c)
	}
	if len(it.OSTypes) > 0 && len(errs) == 0 {
		c, msg, hint := compileKQL(osKQL(it.OSTypes), opts)
		if msg != "" {
			add("", where, msg, hint)
		}
		ci.conds = append(ci.conds, c)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ci, nil
}

// compileEntry compiles one checked entry; msg says what is wrong instead.
func compileEntry(e *Entry, opts CompileOptions) (c cond, msg, hint string) {
	switch e.Type {
	case TypeWildcard:
		return compileWildcard(e, opts)
	case TypeList:
		return compileList(e, opts)
	}
	q, ok := entryKQL(e)
	if !ok {
		return nil, fmt.Sprintf("cannot compile a %s entry", e.Type), ""
	}
	return compileKQL(q, opts)
}

// compileKQL parses and compiles a query written by entryKQL or osKQL.
func compileKQL(q string, opts CompileOptions) (cond, string, string) {
	n, err := kql.Parse(q)
	if err != nil {
		// entryKQL quotes every value and odd field name: this is a bug.
		return nil, fmt.Sprintf("internal error: the entry's query %s does not parse: %v", q, err), "report this to the Vigil developers"
	}
	m, err := match.Compile(n, match.Options{Schema: opts.Schema, Plan: opts.Plan, Now: opts.Now})
	if err != nil {
		var ce *match.CompileError
		if errors.As(err, &ce) {
			return nil, ce.Msg, ce.Hint
		}
		return nil, err.Error(), ""
	}
	return kqlCond{m: m}, "", ""
}

// nestedOwner returns the closest ancestor of path the schema maps as
// nested, or "".
func nestedOwner(schema *ecs.Schema, path string) string {
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		if schema.IsNested(path[:i]) {
			return path[:i]
		}
	}
	return ""
}

// outsideNested reports a field inside a nested mapping, which a query
// outside a nested query never matches in Elasticsearch; Kibana's nested
// entries take only is, is one of and exists.
func outsideNested(e *Entry, opts CompileOptions) (string, string) {
	owner := nestedOwner(opts.Schema, e.Field)
	if owner == "" {
		return "", ""
	}
	return fmt.Sprintf("%s is inside the nested field %s: outside a nested entry it never matches", e.Field, owner),
		fmt.Sprintf("use a nested entry on %s with is, is one of or exists", owner)
}

func compileWildcard(e *Entry, opts CompileOptions) (cond, string, string) {
	if msg, hint := outsideNested(e, opts); msg != "" {
		return nil, msg, hint
	}
	typ := opts.Schema.Type(e.Field)
	text, ok := wildcardType(typ)
	if !ok {
		return nil, fmt.Sprintf("%s is %s field: Elasticsearch refuses wildcard queries on it", e.Field, article(typ)),
			"use is or is one of; for networks of an ip field, is in list with an ip_range value list"
	}
	p := e.Value
	if text {
		p = strings.ToLower(p)
	}
	return &wildcardCond{id: opts.Plan.Add(e.Field), pat: compilePattern(p), text: text,
		limit: typ == ecs.Keyword, negate: e.Operator == Excluded}, "", ""
}

func compileList(e *Entry, opts CompileOptions) (cond, string, string) {
	vl := opts.ValueLists[e.List.ID]
	if vl == nil {
		return nil, fmt.Sprintf("value list %q is not loaded", e.List.ID),
			fmt.Sprintf("pass it with --value-list %s=FILE", e.List.ID)
	}
	if msg, hint := outsideNested(e, opts); msg != "" {
		return nil, msg, hint
	}
	if e.List.Type != "" && vl.Type != e.List.Type {
		return nil, fmt.Sprintf("the entry gives value list %q the type %s, but it was loaded as %s", e.List.ID, e.List.Type, vl.Type),
			"load it with the entry's type"
	}
	typ := opts.Schema.Type(e.Field)
	c := &listCond{id: opts.Plan.Add(e.Field), negate: e.Operator == Excluded}
	// A terms query reads the list's values as the field's type reads a
	// query value.
	switch {
	case vl.ips != nil:
		c.ips = vl.ips
	case typ == ecs.IP:
		c.ips = newIPSet()
		for _, v := range vl.Values {
			if msg, _ := c.ips.add(v, true); msg != "" {
				return nil, fmt.Sprintf("%s is an ip field, but in value list %q, %s", e.Field, vl.ID, msg),
					"load the list as ip or ip_range, with addresses only"
			}
		}
		c.ips.finish()
	case typ.IsNumeric():
		c.nums = make(map[float64]struct{}, len(vl.Values))
		for _, v := range vl.Values {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Sprintf("%s is %s field, but value list %q holds %q, which is not a number", e.Field, article(typ), vl.ID, v),
					"Elasticsearch fails such a search: remove the value, or use the list on a keyword field"
			}
			c.nums[n] = struct{}{}
		}
	case typ == ecs.Boolean:
		c.strs = map[string]struct{}{}
		for _, v := range vl.Values {
			if v != "true" && v != "false" {
				return nil, fmt.Sprintf("%s is a boolean field, but value list %q holds %q", e.Field, vl.ID, v), "a boolean is true or false"
			}
			c.strs[v] = struct{}{}
		}
	case typ.IsDate() && len(vl.Values) > 0:
		// Dates compare with Elasticsearch's parsing and rounding: the
		// values are compiled as KQL, one clause each.
		q, _ := entryKQL(&Entry{Field: e.Field, Type: TypeMatchAny, Operator: e.Operator, Values: vl.Values})
		return compileKQL(q, opts)
	default:
		c.strs = make(map[string]struct{}, len(vl.Values))
		for _, v := range vl.Values {
			c.strs[v] = struct{}{}
		}
		c.text = typ.IsText()
		c.limit = typ == ecs.Keyword
	}
	return c, "", ""
}

// article returns the type name with its indefinite article.
func article(t ecs.Type) string {
	name := t.String()
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// Plan returns the plan the filter's fields are registered in
// (CompileOptions.Plan, or its private one): events given to Excludes must
// be created with it.
func (f *Filter) Plan() *event.Plan { return f.plan }

// Len is the number of items compiled (expired ones included).
func (f *Filter) Len() int { return len(f.items) }

// Excludes reports whether an exception item matches the event, and the
// first such item: the event is then left out of the rule's results. Items
// whose expire_time has passed (by CompileOptions.Now) are ignored. A
// malformed event is never excluded (no rule matches it either).
func (f *Filter) Excludes(ev *event.Event) (excluded bool, item *Item) {
	if f == nil || len(f.items) == 0 || ev.Err() != nil {
		return false, nil
	}
	var now time.Time
	for _, ci := range f.items {
		if !ci.expire.IsZero() {
			if now.IsZero() {
				now = f.now()
			}
			if !now.Before(ci.expire) {
				continue
			}
		}
		if ci.match(ev) {
			return true, ci.item
		}
	}
	return false, nil
}

func (ci *compiledItem) match(ev *event.Event) bool {
	for _, c := range ci.conds {
		if !c.eval(ev) {
			return false
		}
	}
	return true
}

// Select returns the lists that apply to a rule: those whose list_id the
// rule's exceptions_list names (listIDs), and those whose Rules name the
// rule's rule_id or "*". Order is kept; no list is returned twice.
func Select(lists []*List, ruleID string, listIDs []string) []*List {
	var out []*List
	for _, l := range lists {
		if l == nil {
			continue
		}
		if slices.Contains(listIDs, l.ListID) || slices.Contains(l.Rules, "*") ||
			ruleID != "" && slices.Contains(l.Rules, ruleID) {
			out = append(out, l)
		}
	}
	return out
}

// ValueListTypes returns the value lists the lists' entries use: id to type
// ("keyword" when an entry gives none), for loading them with
// LoadValueList. Two entries that give one list different types are an
// error.
func ValueListTypes(lists []*List) (map[string]string, error) {
	types := map[string]string{}
	firstAt := map[string]string{}
	var errs Errors
	var visit func(it *Item, es []Entry)
	visit = func(it *Item, es []Entry) {
		for i := range es {
			e := &es[i]
			visit(it, e.Entries)
			if e.Type != TypeList || e.List == nil || e.List.ID == "" {
				continue
			}
			t := e.List.Type
			if t == "" {
				t = "keyword"
			}
			src := e.Source
			if src == "" {
				src = it.Source
			}
			if prev, ok := types[e.List.ID]; ok && prev != t {
				f, n := splitSource(src)
				errs = append(errs, &Error{File: f, Line: n, Msg: fmt.Sprintf("value list %q is used as %s here and as %s at %s", e.List.ID, t, prev, firstAt[e.List.ID]),
					Hint: "a value list has one type: use the same list_type everywhere"})
				continue
			}
			if _, ok := types[e.List.ID]; !ok {
				types[e.List.ID], firstAt[e.List.ID] = t, src
			}
		}
	}
	for _, l := range lists {
		if l == nil {
			continue
		}
		for _, it := range l.Items {
			if it != nil {
				visit(it, it.Entries)
			}
		}
	}
	if err := errs.sorted(); err != nil {
		return nil, err
	}
	return types, nil
}
