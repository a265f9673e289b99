package match

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// Explanation is a clause's verdict on one event and why, with the verdicts
// of its sub-clauses.
type Explanation struct {
	Clause string // the clause in canonical KQL
	Match  bool
	Reason string // e.g. `field missing`, `keyword is case-sensitive: got "success"`
	Kids   []*Explanation
}

// Explain evaluates ev clause by clause. Its verdict is Match's.
func (m *Matcher) Explain(ev *event.Event) *Explanation {
	if err := ev.Err(); err != nil {
		return &Explanation{Clause: m.String(), Reason: "the document is not valid JSON: " + err.Error()}
	}
	return m.root.explain(ev)
}

// String renders the tree for people, a clause a line, sub-clauses
// indented:
//
//	no   event.outcome:Success and user.name:*  (all must match)
//	  no   event.outcome:Success  (keyword is case-sensitive: got "success")
//	  yes  user.name:*  (field has a value)
func (e *Explanation) String() string {
	var b strings.Builder
	e.write(&b, 0)
	return b.String()
}

func (e *Explanation) write(b *strings.Builder, depth int) {
	mark := "no "
	if e.Match {
		mark = "yes"
	}
	fmt.Fprintf(b, "%s%s  %s", strings.Repeat("  ", depth), mark, e.Clause)
	if e.Reason != "" {
		fmt.Fprintf(b, "  (%s)", e.Reason)
	}
	b.WriteByte('\n')
	for _, k := range e.Kids {
		k.write(b, depth+1)
	}
}

func (n *allNode) explain(*event.Event) *Explanation {
	return &Explanation{Clause: n.text, Match: true, Reason: "matches every event"}
}

func kidsExplain(kids []node, ev *event.Event) []*Explanation {
	out := make([]*Explanation, len(kids))
	for i, k := range kids {
		out[i] = k.explain(ev)
	}
	return out
}

func (n *andNode) explain(ev *event.Event) *Explanation {
	return &Explanation{Clause: n.clause(), Match: n.eval(ev), Reason: "all must match", Kids: kidsExplain(n.kids, ev)}
}

func (n *orNode) explain(ev *event.Event) *Explanation {
	return &Explanation{Clause: n.clause(), Match: n.eval(ev), Reason: "any may match", Kids: kidsExplain(n.kids, ev)}
}

func (n *notNode) explain(ev *event.Event) *Explanation {
	e := &Explanation{Clause: n.clause(), Match: n.eval(ev), Kids: []*Explanation{n.x.explain(ev)}}
	if e.Match {
		e.Reason = "the clause below does not match (a missing field counts)"
	} else {
		e.Reason = "the clause below matches"
	}
	return e
}

func (n *existsNode) explain(ev *event.Event) *Explanation {
	e := &Explanation{Clause: n.text.String(), Match: n.eval(ev)}
	switch vals := ev.Values(n.f.id); {
	case e.Match:
		e.Reason = "field has a value"
	case len(vals) > 0:
		e.Reason = fmt.Sprintf("values longer than ignore_above (%d) are not indexed", ignoreAbove)
	default:
		e.Reason = "field missing (or only null, [] or {})"
	}
	return e
}

// valuesText renders values as JSON-ish text, a few at most.
func valuesText(vals []event.Value) string {
	const most = 5
	var parts []string
	for i, v := range vals {
		if i == most {
			parts = append(parts, fmt.Sprintf("... %d more", len(vals)-most))
			break
		}
		s := v.String()
		if len(s) > 80 {
			s = s[:77] + "..."
		}
		if v.Kind == event.KindString {
			s = fmt.Sprintf("%q", s)
		}
		parts = append(parts, s)
	}
	if len(vals) == 1 {
		return parts[0]
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// how says how a matcher compares, for reasons.
func how(vm valueMatcher) string {
	switch m := vm.(type) {
	case *exactMatcher:
		return "exact, case-sensitive"
	case *setMatcher:
		return fmt.Sprintf("one of %d values, exact, case-sensitive", len(m.values))
	case *globMatcher:
		return "wildcard " + m.g.String() + ", case-sensitive"
	case anyMatcher:
		return "any of the pattern's space-separated pieces"
	case *tokensMatcher:
		return fmt.Sprintf("analyzed: any of the words %q", m.tokens)
	case *phraseMatcher:
		return fmt.Sprintf("analyzed: the phrase %q", strings.Join(m.tokens, " "))
	case *tokenGlobMatcher:
		return "wildcard " + m.g.String() + " on each word, lower-cased"
	case *foldGlobSetMatcher:
		return fmt.Sprintf("one of %d wildcards, lower-cased", len(m.globs))
	case *numRange:
		return "compared numerically"
	case *dateRange:
		return "compared as dates" + m.span()
	case ipMatcher:
		return "compared as IP addresses"
	case *cidrMatcher:
		return "in network " + m.p.String()
	case *ipRange:
		return "compared as IP addresses"
	case boolMatcher, *boolRange:
		return "compared as booleans"
	case *stringRange:
		if m.tokens != nil {
			return "each word compared byte by byte"
		}
		return "compared byte by byte"
	}
	return "compared"
}

// span renders the resolved bounds of a date range.
func (m *dateRange) span() string {
	at := func(b *dateBound) string {
		v := b.value()
		if m.nanos {
			return time.Unix(0, v).UTC().Format(time.RFC3339Nano)
		}
		return time.UnixMilli(v).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	switch {
	case m.lo != nil && m.hi != nil:
		return " in [" + at(m.lo) + ", " + at(m.hi) + "]"
	case m.lo != nil:
		return " from " + at(m.lo)
	case m.hi != nil:
		return " up to " + at(m.hi)
	}
	return ""
}

// describe names the field's type for explanations, with its analyzer,
// normalizer or multi-field parent: "text field (powershell_script_analyzer
// analyzer)", "keyword field (lowercase normalizer, multi-field of
// process.name)", "keyword field (type unknown: taken as keyword)".
func (f fieldRef) describe() string {
	if !f.known {
		return "keyword field (type unknown: taken as keyword)"
	}
	var more []string
	if f.info.Type.IsText() {
		a := f.info.Analyzer
		if a == "" {
			a = "standard"
		}
		more = append(more, a+" analyzer")
	}
	if f.info.Normalizer != "" {
		more = append(more, f.info.Normalizer+" normalizer")
	}
	if f.info.Parent != "" {
		more = append(more, "multi-field of "+f.info.Parent)
	}
	if len(more) == 0 {
		return f.info.Type.String() + " field"
	}
	return f.info.Type.String() + " field (" + strings.Join(more, ", ") + ")"
}

// whyNot looks for the likely cause of a miss on one value.
func (n *termNode) whyNot(v event.Value) string {
	typ := n.f.typ
	s, text := keywordText(v)
	switch m := n.vm.(type) {
	case *exactMatcher, *setMatcher, *globMatcher:
		if text && hasIgnoreAbove(typ) && tooLong(s) {
			return fmt.Sprintf("a value longer than ignore_above (%d) is not indexed", ignoreAbove)
		}
		if text && foldMatch(n.vm, s) {
			return fmt.Sprintf("%s is case-sensitive: got %q", typ, s)
		}
	case *numRange:
		if _, ok := eventNumber(v, m.typ); !ok {
			return fmt.Sprintf("%s is not a %s: not indexed", valuesText([]event.Value{v}), typ)
		}
	case *dateRange:
		if _, ok := eventDate(v, m.nanos); !ok {
			return fmt.Sprintf("%s is not a date: not indexed", valuesText([]event.Value{v}))
		}
	case ipMatcher, *cidrMatcher, *ipRange:
		if _, ok := eventIP(v); !ok {
			return fmt.Sprintf("%s is not an IP address: not indexed", valuesText([]event.Value{v}))
		}
	case boolMatcher, *boolRange:
		if _, ok := eventBool(v); !ok {
			return fmt.Sprintf("%s is not a boolean: not indexed", valuesText([]event.Value{v}))
		}
	}
	return ""
}

// foldMatch reports whether an exact or wildcard matcher would match s
// ignoring case.
func foldMatch(vm valueMatcher, s string) bool {
	switch m := vm.(type) {
	case *exactMatcher:
		return strings.EqualFold(s, m.want)
	case *setMatcher:
		for _, w := range m.values {
			if strings.EqualFold(s, w) {
				return true
			}
		}
	case *globMatcher:
		low := make([]string, len(m.g.parts))
		for i, p := range m.g.parts {
			low[i] = strings.ToLower(p)
		}
		return newGlob(low).match(strings.ToLower(s))
	}
	return false
}

func (n *termNode) explain(ev *event.Event) *Explanation {
	vals := ev.Values(n.f.id)
	e := &Explanation{Clause: n.text.String(), Match: n.eval(ev)}
	typ := n.f.describe()
	if none, ok := n.vm.(noneMatcher); ok {
		e.Reason = none.why
		return e
	}
	switch {
	case len(vals) == 0:
		e.Reason = "field missing"
	case e.Match:
		e.Reason = fmt.Sprintf("%s, %s: got %s", typ, how(n.vm), valuesText(vals))
	default:
		why := ""
		for _, v := range vals {
			if why = n.whyNot(v); why != "" {
				break
			}
		}
		switch {
		case len(vals) > 1 && why != "":
			e.Reason = fmt.Sprintf("no array element matched (%s): got %s", why, valuesText(vals))
		case len(vals) > 1:
			e.Reason = fmt.Sprintf("no array element matched: %s, %s: got %s", typ, how(n.vm), valuesText(vals))
		case why != "":
			e.Reason = why
		default:
			e.Reason = fmt.Sprintf("%s, %s: got %s", typ, how(n.vm), valuesText(vals))
		}
	}
	return e
}

func (n *patternNode) explain(ev *event.Event) *Explanation {
	var hits []hit
	n.search(ev, func(h hit) bool {
		hits = append(hits, h)
		return len(hits) < 5
	})
	e := &Explanation{Clause: n.text, Match: len(hits) > 0}
	what := "fields named like the pattern, each by its own type"
	if n.glob == nil {
		what = "every field, each by its own type (free text)"
	}
	if len(hits) == 0 {
		e.Reason = "searched " + what + ": no field matched"
		return e
	}
	var where []string
	for _, h := range hits {
		full := h.path
		if n.scope != "" {
			full = n.scope + "." + h.path
		}
		where = append(where, fmt.Sprintf("%s (%s) = %s", h.path, n.schema.Type(full), valuesText([]event.Value{h.v})))
	}
	e.Reason = "searched " + what + ": found in " + strings.Join(where, ", ")
	return e
}

func (n *nestedNode) explain(ev *event.Event) *Explanation {
	e := &Explanation{Clause: n.text}
	i := 0
	n.elements(ev, func(el *event.Event) bool {
		k := n.inner.explain(el)
		k.Clause = fmt.Sprintf("%s[%d]: %s", n.path, i, k.Clause)
		e.Kids = append(e.Kids, k)
		i++
		if k.Match {
			e.Match = true
			return false
		}
		return true
	})
	switch {
	case e.Match:
		e.Reason = fmt.Sprintf("object %d of %s satisfies the whole group", i-1, n.path)
	case i == 0:
		e.Reason = "no object at " + n.path
	default:
		e.Reason = fmt.Sprintf("none of the %d objects of %s satisfies the whole group by itself", i, n.path)
	}
	return e
}
