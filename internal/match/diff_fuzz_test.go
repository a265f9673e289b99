package match

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// naive evaluates a query over keyword fields the plainest way: recursion
// over the AST, values read from the decoded document, a field's values
// compared one by one. It is the reference the compiled matcher must agree
// with.
func naive(n kql.Node, doc map[string]any) bool {
	switch t := n.(type) {
	case *kql.MatchAll:
		return true
	case *kql.Or:
		for _, x := range t.Terms {
			if naive(x, doc) {
				return true
			}
		}
		return false
	case *kql.And:
		for _, x := range t.Terms {
			if !naive(x, doc) {
				return false
			}
		}
		return true
	case *kql.Not:
		return !naive(t.X, doc)
	case *kql.Match:
		return naiveValues(t.Value, leafValues(doc, t.Field.Text()))
	}
	return false
}

func naiveValues(v kql.ValueNode, vals []string) bool {
	switch t := v.(type) {
	case *kql.ValueOr:
		for _, x := range t.Terms {
			if naiveValues(x, vals) {
				return true
			}
		}
		return false
	case *kql.ValueAnd:
		for _, x := range t.Terms {
			if !naiveValues(x, vals) {
				return false
			}
		}
		return true
	case *kql.ValueNot:
		return !naiveValues(t.X, vals)
	case *kql.Literal:
		if t.IsStar() {
			return len(vals) > 0
		}
		for _, s := range vals {
			if t.IsWildcard() {
				if naiveGlob(t.Parts, s) {
					return true
				}
			} else if s == t.Text() {
				return true
			}
		}
	}
	return false
}

// naiveGlob matches parts joined by `*` by trying every split.
func naiveGlob(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	rest := s[len(parts[0]):]
	for i := 0; i <= len(rest); i++ {
		if naiveGlob(parts[1:], rest[i:]) {
			return true
		}
	}
	return false
}

// leafValues reads a nested path (no dotted keys in the fuzzed documents),
// flattening arrays, as keyword text.
func leafValues(x any, path string) []string {
	var out []string
	var walk func(x any, parts []string)
	walk = func(x any, parts []string) {
		switch t := x.(type) {
		case []any:
			for _, el := range t {
				walk(el, parts)
			}
		case map[string]any:
			if len(parts) > 0 {
				walk(t[parts[0]], parts[1:])
			}
		case string:
			if len(parts) == 0 {
				out = append(out, t)
			}
		case json.Number:
			if len(parts) == 0 {
				out = append(out, t.String())
			}
		case bool:
			if len(parts) == 0 {
				if t {
					out = append(out, "true")
				} else {
					out = append(out, "false")
				}
			}
		}
	}
	walk(x, strings.Split(path, "."))
	return out
}

// FuzzMatch compares the compiled matcher with the naive interpreter on
// queries over fields a, b, a.c (all keyword) and arbitrary documents.
func FuzzMatch(f *testing.F) {
	f.Add(`a:x and not b:(y or z*)`, `{"a":"x","b":["q","zz"]}`)
	f.Add(`a.c:* or a:*x*`, `{"a":{"c":[null,"1"]}}`)
	f.Add(`not (a:1 and b:true)`, `{"a":1,"b":true}`)
	f.Add(`a:(x and not y)`, `{"a":["x","y"]}`)
	f.Fuzz(func(t *testing.T, query, doc string) {
		q, err := kql.Parse(query)
		if err != nil {
			return
		}
		simple := true
		kql.Inspect(q, func(n kql.Node) bool {
			switch m := n.(type) {
			case *kql.Nested, *kql.Range:
				simple = false
			case *kql.Match:
				if m.IsFreeText() || m.Field.IsWildcard() {
					simple = false
				} else if f := m.Field.Text(); f != "a" && f != "b" && f != "a.c" {
					simple = false
				}
			}
			return simple
		})
		if !simple {
			return
		}
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(doc))
		d.UseNumber()
		if d.Decode(&m) != nil || m == nil || d.More() {
			return
		}
		for k := range m {
			if strings.Contains(k, ".") {
				return // dotted keys: covered by the event package's own oracle
			}
		}
		if hasDuplicateKeys(doc) {
			return // Elasticsearch rejects such documents; encoding/json keeps the last
		}
		schema := ecs.NewSchema(map[string]ecs.Type{"a": ecs.Flattened, "b": ecs.Flattened, "a.c": ecs.Flattened})
		plan := event.NewPlan()
		cm, err := Compile(q, Options{Schema: schema, Plan: plan})
		if err != nil {
			return
		}
		ev := event.New([]byte(doc), plan)
		if ev.Err() != nil {
			return
		}
		if got, want := cm.Match(ev), naive(q, m); got != want {
			t.Fatalf("%s on %s: matcher %v, naive %v", query, doc, got, want)
		}
	})
}

// hasDuplicateKeys reports whether any object of doc repeats a key.
func hasDuplicateKeys(doc string) bool {
	d := json.NewDecoder(strings.NewReader(doc))
	type frame struct {
		keys   map[string]bool
		object bool
		expect bool // next string token is a key
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{keys: map[string]bool{}, object: t == '{', expect: t == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		default:
			if top != nil && top.object {
				if top.expect {
					k, _ := t.(string)
					if top.keys[k] {
						return true
					}
					top.keys[k] = true
					top.expect = false
				} else {
					top.expect = true
				}
			}
		}
	}
}
