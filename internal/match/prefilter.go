package match

import (
	"slices"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// OriginKind says how the documents a normalizer makes of raw records
// carry an ECS field.
type OriginKind int

// Origin kinds.
const (
	// Derived: computed from the record (a parsed time, a mapped category):
	// a value says nothing about the record's text.
	Derived OriginKind = iota
	// Copied: every value is a substring of one of the record's string
	// values, up to ASCII case.
	Copied
	// Constant: always the one given value.
	Constant
	// Absent: never written.
	Absent
	// Implied: the values come from a fixed set, each of which implies a
	// literal in the record's text (ASCII case aside). The constant lists
	// them as value=literal pairs joined by ';' (see Implications).
	Implied
)

// Implications reads the value=literal pairs of an Implied origin.
func Implications(spec string) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(spec, ";") {
		if v, lit, ok := strings.Cut(pair, "="); ok {
			out[v] = lit
		}
	}
	return out
}

// Origin classifies ECS fields for one normalizer: the kind, and for
// Constant the value.
type Origin func(field string) (kind OriginKind, constant string)

// Prefilter is a necessary condition, on the text of a raw record, for the
// query to match the document a normalizer makes of it.
type Prefilter struct {
	// Never: no document of that normalizer can match.
	Never bool
	// Literals, when not nil (and not Never): the record's text holds one
	// of them, ASCII case ignored, unless it uses \u or \/ escapes (which
	// can spell any character). nil: no condition is known.
	Literals []string
	// And are further conditions of the same kind, all necessary too (the
	// other operands of the query's ANDs): Literals is the most selective.
	And [][]string
}

// Prefilter derives the query's condition on raw records from how the
// normalizer fills the fields (see Prefilter): exact terms on Copied
// fields give literals, through ANDs (the most selective operand) and ORs
// (all operands united); terms on Constant fields are decided; a field the
// normalizer never writes makes its term and exists clauses false.
func (m *Matcher) Prefilter(o Origin) Prefilter {
	p := prefilter(m.root, o)
	switch {
	case p.never:
		return Prefilter{Never: true}
	case len(p.groups) > 0:
		b := p.best()
		out := Prefilter{Literals: p.groups[b]}
		for i, g := range p.groups {
			if i != b {
				out.And = append(out.And, g)
			}
		}
		return out
	}
	return Prefilter{}
}

// pf is a node's prefilter: never matches; else each group holds literals
// one of which is in the text (none: nothing is known).
type pf struct {
	never  bool
	groups [][]string
}

// best returns the index of the most selective group.
func (p pf) best() int {
	b := 0
	for i, g := range p.groups {
		if better(g, p.groups[b]) {
			b = i
		}
	}
	return b
}

func prefilter(n node, o Origin) pf {
	switch t := n.(type) {
	case *termNode:
		kind, c := o(t.f.full)
		switch kind {
		case Absent:
			return pf{never: true}
		case Constant:
			if t.vm.match(event.Value{Kind: event.KindString, Str: c}) {
				return pf{}
			}
			return pf{never: true}
		case Implied:
			// Whichever of the field's possible values the term matches,
			// the record holds its literal; none: the term never holds.
			imp := Implications(c)
			var lits []string
			for v, lit := range imp {
				if t.vm.match(event.Value{Kind: event.KindString, Str: v}) && plainLiteral(lit) {
					lits = append(lits, lowerASCII(lit))
				}
			}
			if len(lits) == 0 {
				return pf{never: true}
			}
			slices.Sort(lits)
			return pf{groups: [][]string{lits}}
		case Copied:
			if !t.f.typ.IsExact() {
				return pf{}
			}
			var vals []string
			switch m := t.vm.(type) {
			case *exactMatcher:
				vals = []string{m.want}
			case *setMatcher:
				vals = m.values
			case *globMatcher:
				// A value matching the pattern holds its longest part.
				long := ""
				for _, part := range m.g.parts {
					if len(part) > len(long) {
						long = part
					}
				}
				if len(long) < 3 {
					return pf{}
				}
				vals = []string{long}
			default:
				return pf{}
			}
			lits := make([]string, 0, len(vals))
			for _, v := range vals {
				if !plainLiteral(v) {
					return pf{}
				}
				lits = append(lits, lowerASCII(v))
			}
			return pf{groups: [][]string{lits}}
		}
	case *patternNode:
		// A wildcard field name: when the normalizer copies every field
		// it names (Origin answers for a pattern), a word of the value
		// is in the text of any record one of them matches.
		if t.value == nil {
			return pf{}
		}
		if kind, _ := o(t.name); kind == Copied {
			if w := valueWord(t.value); w != "" {
				return pf{groups: [][]string{{w}}}
			}
		}
	case *eqlNode:
		return eqlPrefilter(t, o)
	case *existsNode:
		if kind, _ := o(t.f.full); kind == Absent {
			return pf{never: true}
		}
	case *andNode:
		var out pf
		for _, k := range t.kids {
			p := prefilter(k, o)
			if p.never {
				return p
			}
			out.groups = append(out.groups, p.groups...)
		}
		return out
	case *orNode:
		// Whichever operand matches, its most selective group holds.
		out := pf{never: true}
		var lits []string
		for _, k := range t.kids {
			p := prefilter(k, o)
			switch {
			case p.never:
				continue
			case len(p.groups) == 0:
				return pf{}
			}
			out.never = false
			lits = append(lits, p.groups[p.best()]...)
		}
		if lits != nil {
			out.groups = [][]string{lits}
		}
		return out
	}
	return pf{}
}

// better reports whether literals a select more than b: a longer shortest
// literal, then fewer of them.
func better(a, b []string) bool {
	ma, mb := shortest(a), shortest(b)
	if ma != mb {
		return ma > mb
	}
	return len(a) < len(b)
}

func shortest(lits []string) int {
	n := -1
	for _, l := range lits {
		if n < 0 || len(l) < n {
			n = len(l)
		}
	}
	return n
}

// plainLiteral reports whether s appears as itself in a JSON string that
// does not use \u or \/ escapes: printable ASCII without '"' or '\'.
func plainLiteral(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// eqlPrefilter derives an EQL query's prefilter from the literal
// conditions of its top-level AND (its category among them), and the
// texts its pattern tests on copied fields need (patternMatch.literals).
func eqlPrefilter(n *eqlNode, o Origin) pf {
	if neverTrue, _ := eqlStatic(n.c, o); neverTrue {
		return pf{never: true}
	}
	var out pf
	for _, c := range conjuncts(n.c, nil) {
		p, ok := c.(*predCond)
		if !ok || p.lits == nil {
			continue
		}
		f, ok := p.x.(*fieldExpr)
		if !ok {
			continue
		}
		if kind, _ := o(f.name); kind != Copied || !allPlain(p.lits) {
			continue
		}
		out.groups = addGroup(out.groups, p.lits)
	}
	for _, r := range n.reqs {
		if r.inexact() || len(r.alts) > 0 {
			// A value, any, or a prefix: not the whole value these
			// compare; a disjunction (one of several fields): its own
			// field is none, which read as one would be absent.
			continue
		}
		has := func(v string) bool {
			if r.fold {
				v = foldCase(v)
			}
			return slices.Contains(r.values, v)
		}
		kind, c := o(r.field)
		switch kind {
		case Absent:
			return pf{never: true}
		case Constant:
			if !has(c) {
				return pf{never: true}
			}
		case Implied:
			var lits []string
			for v, lit := range Implications(c) {
				if has(v) && plainLiteral(lit) {
					lits = append(lits, lowerASCII(lit))
				}
			}
			if len(lits) == 0 {
				return pf{never: true}
			}
			slices.Sort(lits)
			out.groups = append(out.groups, lits)
		case Copied:
			if !r.typ.IsExact() {
				continue
			}
			lits := make([]string, 0, len(r.values))
			for _, v := range r.values {
				if !plainLiteral(v) {
					lits = nil
					break
				}
				lits = append(lits, lowerASCII(v))
			}
			if lits != nil {
				out.groups = addGroup(out.groups, lits)
			}
		}
	}
	return out
}

// addGroup appends g to groups unless it is there already.
func addGroup(groups [][]string, g []string) [][]string {
	for _, h := range groups {
		if slices.Equal(h, g) {
			return groups
		}
	}
	return append(groups, g)
}

// minWord is the shortest word valueWord gives.
const minWord = 4

// valueWord returns the longest run of ASCII letters, of at least minWord,
// in the parts of a KQL value (lower case), "" when there is none. Whatever
// the type of a field the value matches, that field's value holds it: a
// keyword's or wildcard's text holds the parts, and a text field's
// analyzed tokens, which hold the value's phrase, do not split a run of
// letters; numbers and addresses have no letters, and dates, which compare
// by value (their text may differ), have none in a run of four in the
// formats Elasticsearch reads.
func valueWord(l *kql.Literal) string {
	best := ""
	for _, part := range l.Parts {
		for i := 0; i < len(part); {
			j := i
			for j < len(part) && ('a' <= part[j]|0x20 && part[j]|0x20 <= 'z') {
				j++
			}
			if j-i >= minWord && j-i > len(best) {
				best = part[i:j]
			}
			i = j + 1
		}
	}
	return lowerASCII(best)
}

// conjuncts appends the operands of c's top-level AND (c itself when it
// is none) to out.
func conjuncts(c cond, out []cond) []cond {
	if a, ok := c.(*andCond); ok {
		for _, k := range a.kids {
			out = conjuncts(k, out)
		}
		return out
	}
	return append(out, c)
}

// allPlain reports whether every literal is plainLiteral.
func allPlain(lits []string) bool {
	for _, l := range lits {
		if !plainLiteral(l) {
			return false
		}
	}
	return true
}

// eqlStatic judges a compiled EQL condition from how the normalizer fills
// fields alone: neverTrue when no document can make it true, alwaysNull
// when it is null on every document (a comparison on a field never
// written: `not` of it is null too, so stays never true).
func eqlStatic(c cond, o Origin) (neverTrue, alwaysNull bool) {
	switch t := c.(type) {
	case *predCond:
		f, ok := t.x.(*fieldExpr)
		if !ok {
			return false, false
		}
		kind, constant := o(f.name)
		switch kind {
		case Absent:
			return true, true
		case Constant:
			v, ok := f.conv(event.Value{Kind: event.KindString, Str: constant})
			if !ok {
				return true, true
			}
			return !t.pred(v), false
		}
	case *nullCond:
		f, ok := t.x.(*fieldExpr)
		if ok {
			if kind, _ := o(f.name); kind == Absent {
				return !t.want, false // == null always true, != null always false
			}
		}
	case *notCond:
		_, null := eqlStatic(t.x, o)
		return null, null
	case *nullIfFalse:
		never, _ := eqlStatic(t.x, o)
		return never, never
	case *andCond:
		for _, k := range t.kids {
			if never, _ := eqlStatic(k, o); never {
				return true, false
			}
		}
	case *orCond:
		never, null := true, true
		for _, k := range t.kids {
			n, u := eqlStatic(k, o)
			never, null = never && n, null && u
		}
		return never, null
	case *constCond:
		return t.t != triTrue, t.t == triNull
	}
	return false, false
}
