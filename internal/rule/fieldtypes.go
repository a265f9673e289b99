package rule

import (
	"fmt"
	"strings"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
)

// indexMatcher is the query compiled with the types of the indices
// matching pattern; m is nil when those types make the query invalid.
type indexMatcher struct {
	pattern string
	m       *match.Matcher
}

// compileByIndex compiles the query again for every group of indices whose
// types for the query's fields differ from view's (see
// ecs.Schema.IndexGroups): nil in the common case where they agree.
func compileByIndex(node kql.Node, schema, view *ecs.Schema, m *match.Matcher, opts match.Options) []indexMatcher {
	groups := view.IndexGroups(m.Fields())
	if len(groups) == 0 {
		return nil
	}
	out := make([]indexMatcher, 0, len(groups))
	for _, g := range groups {
		o := opts
		o.Schema = schema.ForIndices([]string{g})
		gm, err := match.Compile(node, o)
		if err != nil {
			gm = nil
		}
		out = append(out, indexMatcher{pattern: g, m: gm})
	}
	return out
}

// typeWarnings records the fields of the query whose type view does not
// know: they are taken as keyword, which may not be what the real index
// maps them as.
func (v *validator) typeWarnings(view *ecs.Schema, m *match.Matcher) {
	all := view.ForIndices(nil)
	line, col := 0, 0 // the query's position, found for the first warning (finding it costs)
	fields := m.Fields()
	for i, f := range fields {
		if _, ok := view.Field(f); ok {
			continue
		}
		if i+1 < len(fields) && strings.HasPrefix(fields[i+1], f+".") {
			continue // a nested group's path, not a field with values
		}
		if line == 0 {
			line, col = v.keyPos("rule", "query")
		}
		v.r.Untyped = append(v.r.Untyped, f)
		msg := fmt.Sprintf("query: %s: no known integration or mapping defines this field; it is taken as keyword", f)
		hint := "give its type with --mapping (an Elasticsearch index mapping), or check the field name"
		if _, ok := all.Field(f); ok {
			var where []string
			for _, d := range all.Definitions(f) {
				where = append(where, d.Index)
			}
			msg = fmt.Sprintf("query: %s: its type is known only for indices the rule does not read (%s); it is taken as keyword", f, strings.Join(where, "; "))
			hint = "check the rule's index patterns, or give the field's type with --mapping"
		}
		v.r.Warnings = append(v.r.Warnings, &Error{File: v.r.File, Line: line, Col: col, Msg: msg, Hint: hint})
	}
}
