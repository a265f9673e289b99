package ecs

import (
	"maps"
	"slices"
	"strings"
)

// IndexedField is one definition of an integration field: the field as the
// indices matching Index map it. A field has one definition per place that
// defines it (a package's data stream, a Beats index pattern...), and the
// definitions may disagree: powershell.file.script_block_text, auditd.data.*
// (flattened in auditd_manager, keyword in Auditbeat).
type IndexedField struct {
	Index string // index patterns, comma-separated: `logs-windows.*,metrics-windows.*`, `winlogbeat-*`; `*` for every index
	Field Field
	// Rank orders definitions for the same indices, best first: 0 for
	// integration packages (the mapping the real index gets), 1 for Beats'
	// fields.yml, 2 for detection-rules' non-ecs-schema.json.
	Rank uint8
	// Source says where the definition comes from (repository:path@commit).
	Source string
}

// integrationDefs indexes generatedIntegration by path.
func integrationDefs() map[string][]IndexedField {
	m := make(map[string][]IndexedField, len(generatedIntegration))
	for _, g := range generatedIntegration {
		m[g.path] = append(m[g.path], g.def)
	}
	return m
}

// Definitions returns the integration definitions of path that apply to
// the schema's index patterns (all of them when it has none), best rank
// first.
func (s *Schema) Definitions(path string) []IndexedField {
	var out []IndexedField
	for _, d := range s.defs[path] {
		if s.patterns == nil || slices.ContainsFunc(s.patterns, func(p string) bool { return globsOverlap(p, d.Index) }) {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b IndexedField) int { return int(a.Rank) - int(b.Rank) })
	return out
}

// pick resolves an integration field for the schema's index patterns: the
// first pattern (in the rule's order) that some definition applies to
// decides, and among its definitions the best ranked, then the first in
// the table (sorted by index). Without patterns, every definition applies.
func (s *Schema) pick(path string) (IndexedField, bool) {
	defs := s.defs[path]
	if len(defs) == 0 {
		return IndexedField{}, false
	}
	if s.patterns == nil {
		return best(defs, func(IndexedField) bool { return true })
	}
	for _, p := range s.patterns {
		if d, ok := best(defs, func(d IndexedField) bool { return globsOverlap(p, d.Index) }); ok {
			return d, true
		}
	}
	return IndexedField{}, false
}

func best(defs []IndexedField, ok func(IndexedField) bool) (IndexedField, bool) {
	found := -1
	for i, d := range defs {
		if ok(d) && (found < 0 || d.Rank < defs[found].Rank) {
			found = i
		}
	}
	if found < 0 {
		return IndexedField{}, false
	}
	return defs[found], true
}

// ForIndices returns the schema as a rule reading patterns sees it: an
// integration field has the type its definitions give for those indices.
// When the patterns' definitions disagree, the first pattern with one
// decides (see IndexGroups for evaluating each index with its own). nil or
// empty patterns: every definition applies, as in Default.
func (s *Schema) ForIndices(patterns []string) *Schema {
	v := *s
	v.patterns = nil
	for _, p := range patterns {
		for _, part := range strings.Split(p, ",") {
			part = strings.TrimSpace(part)
			if part == "" || strings.HasPrefix(part, "-") {
				continue
			}
			if i := strings.IndexByte(part, ':'); i >= 0 { // remote cluster
				part = part[i+1:]
			}
			v.patterns = append(v.patterns, part)
		}
	}
	return &v
}

// ForIndex returns the schema as an event of the concrete index name sees
// it (a backing index's .ds- prefix is ignored).
func (s *Schema) ForIndex(name string) *Schema {
	return s.ForIndices([]string{strings.TrimPrefix(name, ".ds-")})
}

// Patterns returns the view's index patterns (nil: every index).
func (s *Schema) Patterns() []string { return slices.Clone(s.patterns) }

// WithMapping returns the schema with fields laid over it: an index
// mapping's fields take precedence over the built-in types, for every index.
func (s *Schema) WithMapping(fields map[string]Field) *Schema {
	v := *s
	v.mapping = maps.Clone(s.mapping)
	if v.mapping == nil {
		v.mapping = map[string]Field{}
	}
	maps.Copy(v.mapping, fields)
	return &v
}

// Declared reports whether path is declared by a user mapping or the ECS
// table, whose objects and nested fields Vigil knows, rather than only by
// an integration table, which does not record them.
func (s *Schema) Declared(path string) bool {
	if _, ok := s.mapping[path]; ok {
		return true
	}
	_, ok := s.fields[path]
	return ok
}

// IndexGroups returns the index patterns whose definitions of paths
// disagree with the schema's own resolution, in table order: a query on
// paths means something else in indices matching each of them, and
// Elasticsearch evaluates every index with its own mapping. nil when the
// definitions of paths that apply to the schema's patterns agree (the
// common case). User mappings and the ECS table apply to every index, so
// only integration fields they do not define can disagree. A definition
// a better-ranked one for overlapping indices supersedes (a package's
// mapping over non-ecs-schema.json's) does not count.
func (s *Schema) IndexGroups(paths []string) []string {
	var out []string
	for _, path := range paths {
		if _, ok := s.mapping[path]; ok {
			continue
		}
		if _, ok := s.fields[path]; ok {
			continue
		}
		if len(s.defs[path]) < 2 {
			continue // one definition cannot disagree
		}
		mine, ok := s.pick(path)
		if !ok {
			continue
		}
		defs := s.Definitions(path)
		for _, d := range defs {
			superseded := slices.ContainsFunc(defs, func(e IndexedField) bool {
				return e.Rank < d.Rank && globsOverlap(e.Index, d.Index)
			})
			if d.Field != mine.Field && !superseded && !slices.Contains(out, d.Index) {
				out = append(out, d.Index)
			}
		}
	}
	return out
}

// IndexMatches reports whether the concrete index name matches pattern
// (`*` is any run of characters); a backing index's .ds- prefix is
// ignored.
func IndexMatches(pattern, name string) bool {
	return globsOverlap(pattern, strings.TrimPrefix(name, ".ds-"))
}

// globsOverlap reports whether some index name matches both a and b, lists
// of comma-separated patterns in which `*` is any run of characters.
func globsOverlap(a, b string) bool {
	if strings.IndexByte(a, ',') < 0 && strings.IndexByte(b, ',') < 0 {
		return globOverlap(a, b)
	}
	for _, x := range strings.Split(a, ",") {
		for _, y := range strings.Split(b, ",") {
			if globOverlap(x, y) {
				return true
			}
		}
	}
	return false
}

// globOverlap reports whether some index name matches both patterns. Index
// patterns have few stars, so the plain recursion stays small.
func globOverlap(a, b string) bool {
	for len(a) > 0 && len(b) > 0 && a[0] != '*' && b[0] != '*' {
		if a[0] != b[0] {
			return false
		}
		a, b = a[1:], b[1:]
	}
	switch {
	case a == "" && b == "":
		return true
	case a != "" && a[0] == '*':
		return globOverlap(a[1:], b) || b != "" && globOverlap(a, b[1:])
	case b != "" && b[0] == '*':
		return globOverlap(a, b[1:]) || a != "" && globOverlap(a[1:], b)
	}
	return false
}
