package match

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// node is one compiled clause.
type node interface {
	eval(ev *event.Event) bool
	explain(ev *event.Event) *Explanation
}

type allNode struct{ text string }

func (n *allNode) eval(*event.Event) bool { return true }

type andNode struct {
	kids []node
	text string
}

func (n *andNode) eval(ev *event.Event) bool {
	for _, k := range n.kids {
		if !k.eval(ev) {
			return false
		}
	}
	return true
}

type orNode struct {
	kids []node
	text string
}

func (n *orNode) eval(ev *event.Event) bool {
	for _, k := range n.kids {
		if k.eval(ev) {
			return true
		}
	}
	return false
}

type notNode struct {
	x    node
	text string
}

func (n *notNode) eval(ev *event.Event) bool { return !n.x.eval(ev) }

// existsNode is field:* — any non-null value, "" included.
type existsNode struct {
	id   event.FieldID
	path string
	text string
}

func (n *existsNode) eval(ev *event.Event) bool { return len(ev.Values(n.id)) > 0 }

// termNode is field:value on one concrete field: true if any value of the
// field satisfies the type's predicate.
type termNode struct {
	id       event.FieldID
	path     string
	typ      ecs.Type
	pred     valuePred
	text     string
	exact    string // the literal, for Required (exact-typed, plain literals)
	hasExact bool
}

func (n *termNode) eval(ev *event.Event) bool {
	for _, v := range ev.Values(n.id) {
		if n.pred(v) {
			return true
		}
	}
	return false
}

// rangeNode is field op value.
type rangeNode struct {
	id   event.FieldID
	path string
	pred valuePred
	text string
}

func (n *rangeNode) eval(ev *event.Event) bool {
	for _, v := range ev.Values(n.id) {
		if n.pred(v) {
			return true
		}
	}
	return false
}

// fieldPatternNode is a clause on a wildcard field name (user.*:bob):
// expanded over the event's own fields, each leaf judged by its own type.
type fieldPatternNode struct {
	prefix string
	glob   *glob // nil = every field
	lit    *kql.Literal
	c      *compiler
	text   string
}

func (n *fieldPatternNode) eval(ev *event.Event) bool {
	found := false
	preds := map[string]valuePred{}
	ev.Walk(func(path string, v event.Value) bool {
		rel := path
		if n.prefix != "" {
			if !strings.HasPrefix(path, n.prefix+".") {
				return true
			}
			rel = path[len(n.prefix)+1:]
		}
		if n.glob != nil && !n.glob.match(rel) {
			return true
		}
		if n.lit.IsStar() {
			found = true
			return false
		}
		pred, ok := preds[path]
		if !ok {
			var err error
			pred, err = n.c.predicate(n.c.opts.Schema.Type(path), n.lit, path)
			if err != nil {
				pred = nil // a type the value cannot apply to: lenient, no match
			}
			preds[path] = pred
		}
		if pred != nil && pred(v) {
			found = true
			return false
		}
		return true
	})
	return found
}

// freeTextNode is a value without a field: searched over every field,
// leniently (type mismatches are skipped), as multi_match/query_string do.
type freeTextNode struct {
	lit  *kql.Literal
	c    *compiler
	text string
}

func (c *compiler) freeText(l *kql.Literal) (node, error) {
	return &freeTextNode{lit: l, c: c, text: l.String()}, nil
}

func (n *freeTextNode) eval(ev *event.Event) bool {
	if n.lit.IsStar() {
		return true
	}
	fp := &fieldPatternNode{glob: nil, lit: n.lit, c: n.c}
	return fp.eval(ev)
}

// nestedNode is field:{query}: the query must hold within one element.
type nestedNode struct {
	path  string
	inner node
	plan  *event.Plan
	text  string
}

func (n *nestedNode) eval(ev *event.Event) bool {
	for _, el := range n.elements(ev) {
		if n.inner.eval(el) {
			return true
		}
	}
	return false
}

// elements returns each object under the nested path as its own event,
// wrapped back under the path.
func (n *nestedNode) elements(ev *event.Event) []*event.Event {
	doc, err := ev.Map()
	if err != nil {
		return nil
	}
	var objs []map[string]any
	collectObjects(doc, n.path, &objs)
	out := make([]*event.Event, 0, len(objs))
	for _, o := range objs {
		var wrapped any = o
		parts := strings.Split(n.path, ".")
		for i := len(parts) - 1; i >= 0; i-- {
			wrapped = map[string]any{parts[i]: wrapped}
		}
		b, err := json.Marshal(wrapped)
		if err != nil {
			continue
		}
		out = append(out, event.New(b, n.plan))
	}
	return out
}

// collectObjects finds the objects at a dotted path (dotted keys or nested).
func collectObjects(x any, path string, out *[]map[string]any) {
	switch t := x.(type) {
	case []any:
		for _, el := range t {
			collectObjects(el, path, out)
		}
	case map[string]any:
		if path == "" {
			*out = append(*out, t)
			return
		}
		if v, ok := t[path]; ok {
			collectObjects(v, "", out)
		}
		for i := 0; i < len(path); i++ {
			if path[i] == '.' {
				if v, ok := t[path[:i]]; ok {
					collectObjects(v, path[i+1:], out)
				}
			}
		}
	}
}

// required derives the literal conditions of a compiled query.
func required(root node) []Requirement {
	var kids []node
	switch t := root.(type) {
	case *andNode:
		kids = t.kids
	default:
		kids = []node{root}
	}
	var out []Requirement
	for _, k := range kids {
		if r, ok := requirementOf(k); ok {
			out = append(out, r)
		}
	}
	return out
}

// requirementOf turns an exact term, or an OR of exact terms on one field,
// into a requirement.
func requirementOf(n node) (Requirement, bool) {
	switch t := n.(type) {
	case *termNode:
		if t.hasExact {
			return Requirement{Field: t.path, Values: []string{t.exact}}, true
		}
	case *orNode:
		var r Requirement
		for _, k := range t.kids {
			kr, ok := requirementOf(k)
			if !ok || (r.Field != "" && kr.Field != r.Field) {
				return Requirement{}, false
			}
			r.Field = kr.Field
			r.Values = append(r.Values, kr.Values...)
		}
		return r, r.Field != ""
	case *andNode:
		// An AND inside an OR: any one exact conjunct is necessary.
		for _, k := range t.kids {
			if r, ok := requirementOf(k); ok {
				return r, true
			}
		}
	}
	return Requirement{}, false
}

func sortStrings(s []string) { sort.Strings(s) }
