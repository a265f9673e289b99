package match

import (
	"fmt"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
)

// Explanation is a clause's verdict on one event, with its sub-clauses.
type Explanation struct {
	Clause string
	Match  bool
	Reason string
	Kids   []*Explanation
}

// Explain evaluates ev clause by clause.
func (m *Matcher) Explain(ev *event.Event) *Explanation { return m.root.explain(ev) }

// String renders the tree, one clause a line, indented.
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
	return &Explanation{Clause: n.text, Match: n.eval(ev), Reason: "all must match", Kids: kidsExplain(n.kids, ev)}
}

func (n *orNode) explain(ev *event.Event) *Explanation {
	return &Explanation{Clause: n.text, Match: n.eval(ev), Reason: "any may match", Kids: kidsExplain(n.kids, ev)}
}

func (n *notNode) explain(ev *event.Event) *Explanation {
	return &Explanation{Clause: n.text, Match: n.eval(ev), Reason: "true when the clause below is false (a missing field counts)", Kids: []*Explanation{n.x.explain(ev)}}
}

func (n *existsNode) explain(ev *event.Event) *Explanation {
	if n.eval(ev) {
		return &Explanation{Clause: n.text, Match: true, Reason: "field has a value"}
	}
	return &Explanation{Clause: n.text, Reason: "field missing, null or empty"}
}

func valuesText(vals []event.Value) string {
	var parts []string
	for _, v := range vals {
		parts = append(parts, fmt.Sprintf("%q", v.String()))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (n *termNode) explain(ev *event.Event) *Explanation {
	vals := ev.Values(n.id)
	e := &Explanation{Clause: n.text, Match: n.eval(ev)}
	switch {
	case len(vals) == 0:
		e.Reason = "field missing"
	case e.Match:
		e.Reason = fmt.Sprintf("%s field has %s", n.typ, valuesText(vals))
	case n.typ.IsExact() && n.hasExact && anyFold(vals, n.exact):
		e.Reason = fmt.Sprintf("%s is case-sensitive: got %s", n.typ, valuesText(vals))
	case len(vals) > 1:
		e.Reason = fmt.Sprintf("no array element matched: got %s", valuesText(vals))
	default:
		e.Reason = fmt.Sprintf("%s field has %s", n.typ, valuesText(vals))
	}
	return e
}

func anyFold(vals []event.Value, s string) bool {
	for _, v := range vals {
		if strings.EqualFold(v.String(), s) {
			return true
		}
	}
	return false
}

func (n *rangeNode) explain(ev *event.Event) *Explanation {
	vals := ev.Values(n.id)
	e := &Explanation{Clause: n.text, Match: n.eval(ev)}
	if len(vals) == 0 {
		e.Reason = "field missing"
	} else {
		e.Reason = "got " + valuesText(vals)
	}
	return e
}

func (n *fieldPatternNode) explain(ev *event.Event) *Explanation {
	return &Explanation{Clause: n.text, Match: n.eval(ev), Reason: "field name pattern, expanded over the event's fields"}
}

func (n *freeTextNode) explain(ev *event.Event) *Explanation {
	return &Explanation{Clause: n.text, Match: n.eval(ev), Reason: "free text, searched in every field"}
}

func (n *nestedNode) explain(ev *event.Event) *Explanation {
	return &Explanation{Clause: n.text, Match: n.eval(ev), Reason: "must hold within one element of " + n.path}
}
