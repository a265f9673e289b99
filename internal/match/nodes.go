package match

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// clauseSrc is the canonical text of an AND, OR or NOT clause, printed
// from its query when asked (explanations): printing every clause while
// compiling printed each subtree again at every level above it, a tenth
// of loading Elastic's rules. Not cached: matchers are shared by
// goroutines.
type clauseSrc struct {
	src    fmt.Stringer
	prefix string // for a value list: the field and colon it belongs to
}

func (c clauseSrc) String() string {
	if c.prefix != "" {
		return c.prefix + "(" + c.src.String() + ")"
	}
	return c.src.String()
}

// node is one compiled clause.
type node interface {
	eval(ev *event.Event) bool
	explain(ev *event.Event) *Explanation
	clause() string // canonical KQL
}

// allNode matches every event: `*:*` and the empty query.
type allNode struct{ text string }

func (n *allNode) eval(*event.Event) bool { return true }
func (n *allNode) clause() string         { return n.text }

type andNode struct {
	kids []node
	run  []node // kids in the order they are evaluated: see newAnd
	text clauseSrc
}

// newAnd returns the AND of kids (explained in their order), evaluated
// in their order but for the exact terms the rule index keys rules on
// (host.os.type:windows, event.category:process, a set of actions), which
// come last: the index evaluates a rule only on events that have the
// value it is keyed under, so these match most events a rule is tried
// on, and an AND stops at its first operand that does not match.
func newAnd(kids []node, text clauseSrc) *andNode {
	run := slices.Clone(kids)
	slices.SortStableFunc(run, func(a, b node) int { return b2i(keyedTerm(a)) - b2i(keyedTerm(b)) })
	return &andNode{kids: kids, run: run, text: text}
}

// keyedTerm reports whether n is an exact term (or set of terms) on one
// field, which the rule index keys on.
func keyedTerm(n node) bool {
	t, ok := n.(*termNode)
	if !ok {
		return false
	}
	switch t.vm.(type) {
	case *exactMatcher, *setMatcher, *foldExactMatcher, *foldSetMatcher:
		return true
	}
	return false
}

func (n *andNode) eval(ev *event.Event) bool {
	for _, k := range n.run {
		if !k.eval(ev) {
			return false
		}
	}
	return true
}

func (n *andNode) clause() string { return n.text.String() }

type orNode struct {
	kids []node
	text clauseSrc
}

func (n *orNode) eval(ev *event.Event) bool {
	for _, k := range n.kids {
		if k.eval(ev) {
			return true
		}
	}
	return false
}

func (n *orNode) clause() string { return n.text.String() }

// setThreshold is how many exact terms on one field an OR needs before they
// become one set lookup.
const setThreshold = 4

// newOr builds an OR, turning more than setThreshold exact terms on one
// field into a set lookup, and as many wildcard terms on one lowercase
// normalized field into one test of the lowered value.
func newOr(kids []node, text clauseSrc) node {
	groups := map[event.FieldID][]int{}
	folds := map[event.FieldID][]int{}
	foldGlobs := map[event.FieldID][]int{}
	for i, k := range kids {
		if t, ok := k.(*termNode); ok {
			switch t.vm.(type) {
			case *exactMatcher:
				groups[t.f.id] = append(groups[t.f.id], i)
			case *foldExactMatcher:
				folds[t.f.id] = append(folds[t.f.id], i)
			case *foldGlobMatcher:
				foldGlobs[t.f.id] = append(foldGlobs[t.f.id], i)
			}
		}
	}
	drop := map[int]bool{}
	sets := map[int]node{} // at the position of the group's first term
	for _, idx := range folds {
		if len(idx) <= setThreshold {
			continue
		}
		first := kids[idx[0]].(*termNode)
		fm := &foldSetMatcher{set: map[string]struct{}{}}
		var lits []*kql.Literal
		for _, i := range idx {
			t := kids[i].(*termNode)
			w := t.vm.(*foldExactMatcher).want
			if _, dup := fm.set[w]; !dup {
				fm.set[w] = struct{}{}
				fm.values = append(fm.values, w)
			}
			lits = append(lits, t.lit)
			drop[i] = true
		}
		sets[idx[0]] = &termNode{f: first.f, vm: fm, lit: first.lit, name: first.name, text: setText{first.name, lits}}
	}
	for _, idx := range foldGlobs {
		if len(idx) <= setThreshold {
			continue
		}
		first := kids[idx[0]].(*termNode)
		var globs []*glob
		var lits []*kql.Literal
		for _, i := range idx {
			t := kids[i].(*termNode)
			globs = append(globs, t.vm.(*foldGlobMatcher).g)
			lits = append(lits, t.lit)
			drop[i] = true
		}
		sets[idx[0]] = &termNode{f: first.f, vm: newFoldGlobSet(globs), lit: first.lit, name: first.name, text: setText{first.name, lits}}
	}
	for _, idx := range groups {
		if len(idx) <= setThreshold {
			continue
		}
		first := kids[idx[0]].(*termNode)
		sm := &setMatcher{set: map[string]struct{}{}, limit: first.vm.(*exactMatcher).limit}
		var lits []*kql.Literal
		for _, i := range idx {
			t := kids[i].(*termNode)
			w := t.vm.(*exactMatcher).want
			if _, dup := sm.set[w]; !dup {
				sm.set[w] = struct{}{}
				sm.values = append(sm.values, w)
			}
			lits = append(lits, t.lit)
			drop[i] = true
		}
		sets[idx[0]] = &termNode{f: first.f, vm: sm, lit: first.lit, name: first.name, text: setText{first.name, lits}}
	}
	if len(drop) == 0 {
		return &orNode{kids: kids, text: text}
	}
	var out []node
	for i, k := range kids {
		if s, ok := sets[i]; ok {
			out = append(out, s)
		} else if !drop[i] {
			out = append(out, k)
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return &orNode{kids: out, text: text}
}

type notNode struct {
	x    node
	text clauseSrc
}

func (n *notNode) eval(ev *event.Event) bool { return !n.x.eval(ev) }
func (n *notNode) clause() string            { return n.text.String() }

// existsNode is `field:*`: any non-null value, "" included (an object path
// counts when a sub-field has a value). Keyword values longer than
// ignore_above are not indexed and do not count.
type existsNode struct {
	f    fieldRef
	text termText
}

func (n *existsNode) eval(ev *event.Event) bool {
	vals := ev.Values(n.f.id)
	if !hasIgnoreAbove(n.f.typ) {
		return len(vals) > 0
	}
	for _, v := range vals {
		if s, ok := keywordText(v); !ok || !tooLong(s) {
			return true
		}
	}
	return false
}

func (n *existsNode) clause() string { return n.text.String() }

// termNode is a clause on one literal field, `field:value` or `field op
// value`: true if any value of the field satisfies the matcher.
type termNode struct {
	f    fieldRef
	vm   valueMatcher
	lit  *kql.Literal // the value, as written
	name *kql.Literal // the field, as written
	text fmt.Stringer // the clause, printed when an explanation asks
}

// termText prints `field:value`.
type termText struct{ name, lit *kql.Literal }

func (t termText) String() string { return t.name.String() + ":" + t.lit.String() }

// setText prints the terms an OR's set lookup stands for:
// `field:(a or b ...)`.
type setText struct {
	name *kql.Literal
	lits []*kql.Literal
}

func (t setText) String() string {
	parts := make([]string, len(t.lits))
	for i, l := range t.lits {
		parts[i] = l.String()
	}
	return t.name.String() + ":(" + strings.Join(parts, " or ") + ")"
}

func (n *termNode) eval(ev *event.Event) bool {
	for _, v := range ev.Values(n.f.id) {
		if n.vm.match(v) {
			return true
		}
	}
	return false
}

func (n *termNode) clause() string { return n.text.String() }
