package match

import (
	"fmt"
	"strings"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// valueMatcher judges one value of a field.
type valueMatcher interface {
	match(v event.Value) bool
}

// ignoreAbove is ECS's ignore_above for keyword fields (and what logs-*
// templates give dynamically mapped strings): longer values are not indexed,
// so no term, wildcard, range or exists query matches them. It counts UTF-16
// code units, as Java strings do.
const ignoreAbove = 1024

// tooLong reports whether s exceeds ignoreAbove.
func tooLong(s string) bool {
	if len(s) <= ignoreAbove {
		return false
	}
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n > ignoreAbove
}

// keywordText returns the text a keyword field indexes for v: strings as
// they are, numbers as written in the JSON, booleans as true/false.
func keywordText(v event.Value) (string, bool) {
	switch v.Kind {
	case event.KindString, event.KindNumber:
		return v.Str, true
	case event.KindBool:
		if v.Bool {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// hasIgnoreAbove reports whether typ drops values longer than ignoreAbove.
func hasIgnoreAbove(typ ecs.Type) bool { return typ == ecs.Keyword }

// termMatcher compiles literal l for field path of type typ: the query Kibana
// builds for that type (term, wildcard, query_string, match, match_phrase, a
// date range), as Elasticsearch runs it.
func (c *compiler) termMatcher(path string, typ ecs.Type, l *kql.Literal) (valueMatcher, error) {
	return c.fieldTermMatcher(path, ecs.Field{Type: typ}, l)
}

// fieldTermMatcher is termMatcher with the field's analyzer or normalizer.
func (c *compiler) fieldTermMatcher(path string, f ecs.Field, l *kql.Literal) (valueMatcher, error) {
	typ := f.Type
	if l.Kind == kql.Null && !l.Quoted {
		return nil, c.errorf(l.At, `quote it ("null") to search for the text null, or write not `+path+`:* for a missing field`,
			"null is not a value Elasticsearch can search for")
	}
	switch {
	case typ == ecs.Keyword && f.Normalizer == "lowercase":
		// The normalizer applies to the indexed values and to the query's
		// term and wildcard pattern alike.
		if l.IsWildcard() {
			low := make([]string, len(l.Parts))
			for i, p := range l.Parts {
				low[i] = lowerFold(p)
			}
			return &foldGlobMatcher{g: newGlob(low)}, nil
		}
		return &foldExactMatcher{want: lowerFold(l.Text())}, nil
	case typ == ecs.Keyword:
		limit := true
		if l.IsWildcard() {
			return &globMatcher{g: newGlob(l.Parts), limit: limit}, nil
		}
		return &exactMatcher{want: l.Text(), limit: limit}, nil
	case typ.IsExact(): // constant_keyword, wildcard, flattened
		if l.IsWildcard() {
			return queryString(l.Parts, func(piece []string) valueMatcher {
				if len(piece) == 1 {
					return &exactMatcher{want: piece[0]}
				}
				return &globMatcher{g: newGlob(piece)}
			}), nil
		}
		return &exactMatcher{want: l.Text()}, nil
	case typ.IsText():
		return textTermWith(l, analyzerFor(f.Analyzer)), nil
	case typ.IsNumeric():
		if l.IsWildcard() {
			return nil, c.errorf(l.At, "wildcards apply to keyword and text fields; use a range such as "+path+" >= 400",
				"%s is %s field: a wildcard cannot match it", path, article(typ))
		}
		return c.numberTerm(path, typ, l)
	case typ.IsDate():
		if l.IsWildcard() {
			return nil, c.errorf(l.At, "use a range such as "+path+" >= 2024-05-01 or date math such as "+path+" >= now-1d",
				"%s is %s field: a wildcard cannot match it", path, article(typ))
		}
		return c.dateTerm(path, typ, l)
	case typ == ecs.IP:
		if l.IsWildcard() {
			return nil, c.errorf(l.At, "match a network in CIDR notation, e.g. "+path+":10.0.0.0/8",
				"%s is an ip field: a wildcard cannot match it", path)
		}
		return c.ipTerm(path, l)
	case typ == ecs.Boolean:
		if l.IsWildcard() {
			return nil, c.errorf(l.At, "write true or false", "%s is a boolean field: a wildcard cannot match it", path)
		}
		b, ok := parseBool(l.Text())
		if !ok {
			return nil, c.errorf(l.At, "write true or false", "%s is a boolean field and %q is not a boolean", path, l.Text())
		}
		return boolMatcher(b), nil
	case typ == ecs.Object || typ == ecs.Nested:
		return noneMatcher{why: fmt.Sprintf("%s is an %s: it holds sub-fields, not values; query a sub-field, or %s:* for any", path, typ, path)}, nil
	}
	return nil, c.errorf(l.At, "", "%s is %s field, which Vigil cannot search", path, article(typ))
}

// queryString is a wildcard value sent as a query_string query: the pattern
// is split at whitespace (Kibana does not escape it) into alternatives, each
// compiled by piece (its parts split at `*`).
func queryString(parts []string, piece func([]string) valueMatcher) valueMatcher {
	var alts []valueMatcher
	var cur []string
	cur = append(cur, "")
	flush := func() {
		if len(cur) > 1 || cur[0] != "" {
			alts = append(alts, piece(cur))
		}
		cur = []string{""}
	}
	for i, p := range parts {
		if i > 0 {
			cur = append(cur, "")
		}
		for {
			j := strings.IndexFunc(p, isSpace)
			if j < 0 {
				cur[len(cur)-1] += p
				break
			}
			cur[len(cur)-1] += p[:j]
			flush()
			p = strings.TrimLeftFunc(p[j:], isSpace)
		}
	}
	flush()
	if len(alts) == 1 {
		return alts[0]
	}
	return anyMatcher(alts)
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\f', '\u00a0', '\u3000':
		return true
	}
	return false
}

// exactMatcher is a term query on a keyword-like field.
type exactMatcher struct {
	want  string
	limit bool // ignore_above applies
}

func (m *exactMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	return ok && s == m.want && !(m.limit && tooLong(s))
}

// setMatcher is a set of exact terms on one keyword-like field.
type setMatcher struct {
	set    map[string]struct{}
	values []string // the set's members, in query order
	limit  bool
}

func (m *setMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	if !ok {
		return false
	}
	_, in := m.set[s]
	return in && !(m.limit && tooLong(s))
}

// globMatcher is a wildcard query on a whole keyword-like value.
type globMatcher struct {
	g     *glob
	limit bool
}

func (m *globMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	return ok && m.g.match(s) && !(m.limit && tooLong(s))
}

// foldExactMatcher is a term query on a keyword field with the lowercase
// normalizer (Elastic Defend's .caseless multi-fields): want is lower-cased.
type foldExactMatcher struct{ want string }

func (m *foldExactMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	if !ok || tooLong(s) {
		return false
	}
	var buf [256]byte
	return lowerInto(&buf, s) == m.want
}

// foldSetMatcher is a set of terms on a keyword field with the lowercase
// normalizer (an OR of more than setThreshold of them).
type foldSetMatcher struct {
	set    map[string]struct{}
	values []string // lower-cased, in query order
}

func (m *foldSetMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	if !ok || tooLong(s) {
		return false
	}
	var buf [256]byte
	_, in := m.set[lowerInto(&buf, s)]
	return in
}

// foldGlobMatcher is a wildcard query on a keyword field with the lowercase
// normalizer: the pattern is lower-cased.
type foldGlobMatcher struct{ g *glob }

func (m *foldGlobMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	if !ok || tooLong(s) {
		return false
	}
	var buf [256]byte
	return m.g.match(lowerInto(&buf, s))
}

// anyMatcher matches if any of its alternatives does.
type anyMatcher []valueMatcher

func (m anyMatcher) match(v event.Value) bool {
	for _, x := range m {
		if x.match(v) {
			return true
		}
	}
	return false
}

// noneMatcher matches nothing, for the reason given.
type noneMatcher struct{ why string }

func (noneMatcher) match(event.Value) bool { return false }

// boolMatcher is a term on a boolean field.
type boolMatcher bool

func (m boolMatcher) match(v event.Value) bool {
	b, ok := eventBool(v)
	return ok && b == bool(m)
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// eventBool reads a boolean field's value: JSON true/false or the strings
// "true"/"false"; anything else is malformed and not indexed.
func eventBool(v event.Value) (bool, bool) {
	switch v.Kind {
	case event.KindBool:
		return v.Bool, true
	case event.KindString:
		return parseBool(v.Str)
	}
	return false, false
}
