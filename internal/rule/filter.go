package rule

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
)

// filter is one compiled Kibana filter of a rule's `filters`: raw
// Elasticsearch query DSL plus meta.negate and meta.disabled.
type filter struct {
	negate bool
	q      dslQuery
}

func (f filter) match(ev *event.Event) bool { return f.q(ev) != f.negate }

type dslQuery func(*event.Event) bool

// compileFilters compiles a rule's filters. It supports the DSL the
// prebuilt rules use (bool, term, terms, match_phrase, wildcard with
// case_insensitive, exists); anything else makes the rule unsupported with
// the returned reason, never a silent pass.
func compileFilters(x any) ([]filter, string) {
	if x == nil {
		return nil, ""
	}
	var out []filter
	for i, m := range tables(x) {
		meta, _ := m["meta"].(map[string]any)
		if d, _ := meta["disabled"].(bool); d {
			continue
		}
		neg, _ := meta["negate"].(bool)
		q, ok := m["query"].(map[string]any)
		if !ok {
			return nil, fmt.Sprintf("filter %d has no query object", i+1)
		}
		cq, reason := compileDSL(q)
		if reason != "" {
			return nil, fmt.Sprintf("filter %d: %s", i+1, reason)
		}
		out = append(out, filter{negate: neg, q: cq})
	}
	return out, ""
}

func compileDSL(q map[string]any) (dslQuery, string) {
	if len(q) != 1 {
		return nil, fmt.Sprintf("a query object needs exactly one clause, found %d", len(q))
	}
	for kind, body := range q {
		b, ok := body.(map[string]any)
		if !ok {
			return nil, fmt.Sprintf("%s: expected an object", kind)
		}
		switch kind {
		case "bool":
			return compileBool(b)
		case "exists":
			field, _ := b["field"].(string)
			if field == "" {
				return nil, "exists: no field"
			}
			return func(ev *event.Event) bool { return len(ev.Get(field)) > 0 }, ""
		case "term", "match_phrase", "match":
			field, val, ci, reason := fieldValue(kind, b)
			if reason != "" {
				return nil, reason
			}
			want := fmt.Sprint(val)
			return func(ev *event.Event) bool {
				for _, v := range ev.Get(field) {
					if eqText(v.String(), want, ci) {
						return true
					}
				}
				return false
			}, ""
		case "terms":
			for field, vals := range b {
				list, ok := vals.([]any)
				if !ok {
					return nil, "terms: expected a list of values"
				}
				set := map[string]bool{}
				for _, x := range list {
					set[fmt.Sprint(x)] = true
				}
				return func(ev *event.Event) bool {
					for _, v := range ev.Get(field) {
						if set[v.String()] {
							return true
						}
					}
					return false
				}, ""
			}
			return nil, "terms: no field"
		case "wildcard":
			field, val, ci, reason := fieldValue(kind, b)
			if reason != "" {
				return nil, reason
			}
			pat := fmt.Sprint(val)
			if ci {
				pat = strings.ToLower(pat)
			}
			return func(ev *event.Event) bool {
				for _, v := range ev.Get(field) {
					if v.Kind != event.KindString {
						continue
					}
					s := v.Str
					if ci {
						s = strings.ToLower(s)
					}
					if wildcardMatch(pat, s) {
						return true
					}
				}
				return false
			}, ""
		default:
			return nil, fmt.Sprintf("query DSL %q is not supported yet", kind)
		}
	}
	return nil, "empty query"
}

func eqText(a, b string, ci bool) bool {
	if ci {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// fieldValue reads {field: value} or {field: {value: v, case_insensitive: b}}.
func fieldValue(kind string, b map[string]any) (field string, val any, ci bool, reason string) {
	if len(b) != 1 {
		return "", nil, false, kind + ": expected one field"
	}
	for f, x := range b {
		field = f
		if m, ok := x.(map[string]any); ok {
			val, ok = m["value"]
			if !ok {
				val, ok = m["query"]
			}
			if !ok {
				return "", nil, false, kind + ": no value"
			}
			ci, _ = m["case_insensitive"].(bool)
			return field, val, ci, ""
		}
		return field, x, false, ""
	}
	return "", nil, false, kind + ": no field"
}

func compileBool(b map[string]any) (dslQuery, string) {
	groups := map[string][]dslQuery{}
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msm := -1
	for _, k := range keys {
		switch k {
		case "must", "filter", "should", "must_not":
			for _, c := range tables(asList(b[k])) {
				q, reason := compileDSL(c)
				if reason != "" {
					return nil, reason
				}
				groups[k] = append(groups[k], q)
			}
		case "minimum_should_match":
			switch n := b[k].(type) {
			case int64:
				msm = int(n)
			default:
				return nil, "bool.minimum_should_match: only a whole number is supported"
			}
		default:
			return nil, fmt.Sprintf("bool.%s is not supported", k)
		}
	}
	if msm < 0 {
		msm = 0
		if len(groups["must"]) == 0 && len(groups["filter"]) == 0 && len(groups["should"]) > 0 {
			msm = 1
		}
	}
	return func(ev *event.Event) bool {
		for _, q := range append(groups["must"], groups["filter"]...) {
			if !q(ev) {
				return false
			}
		}
		for _, q := range groups["must_not"] {
			if q(ev) {
				return false
			}
		}
		n := 0
		for _, q := range groups["should"] {
			if q(ev) {
				n++
			}
		}
		return n >= msm
	}, ""
}

func asList(x any) any {
	if m, ok := x.(map[string]any); ok {
		return []any{m}
	}
	return x
}

// wildcardMatch matches Elasticsearch wildcard syntax: `*` any run, `?` one
// character, `\` escapes the next character.
func wildcardMatch(pat, s string) bool {
	p, str := []rune(pat), []rune(s)
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(str) {
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '*':
				star, mark = pi, si
				pi++
				continue
			case c == '?':
				pi++
				si++
				continue
			case c == '\\' && pi+1 < len(p):
				if p[pi+1] == str[si] {
					pi += 2
					si++
					continue
				}
			case c == str[si]:
				pi++
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		pi = star + 1
		mark++
		si = mark
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
