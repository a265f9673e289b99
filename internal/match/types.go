package match

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// valuePred judges one value of a field.
type valuePred func(event.Value) bool

// ignoreAbove is ECS's ignore_above for keyword fields: longer values are
// not indexed, so no term, wildcard or range query matches them.
const ignoreAbove = 1024

// predicate compiles literal l for a field of type typ, as the query
// Kibana builds for that type (term, wildcard, match, match_phrase, range).
func (c *compiler) predicate(typ ecs.Type, l *kql.Literal, path string) (valuePred, error) {
	switch {
	case typ.IsText():
		return textPred(l), nil
	case typ.IsNumeric():
		if l.IsWildcard() {
			return nil, c.errorf(l.At, "wildcards apply to keyword and text fields", "%s is a %s field: a wildcard cannot match it", path, typ)
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(l.Text()), 64)
		if err != nil {
			return nil, c.errorf(l.At, "compare it with a number", "%s is a %s field and %q is not a number", path, typ, l.Text())
		}
		integer := typ.IsInteger()
		return func(v event.Value) bool {
			f, ok := number(v, integer)
			return ok && f == q
		}, nil
	case typ.IsDate():
		if l.IsWildcard() {
			return nil, c.errorf(l.At, "use a range such as "+path+" >= 2024-05-01", "%s is a date field: a wildcard cannot match it", path)
		}
		lo, err := c.dateBound(l, path, false)
		if err != nil {
			return nil, err
		}
		hi, _ := c.dateBound(l, path, true)
		return func(v event.Value) bool {
			t, ok := eventTime(v)
			return ok && !t.Before(lo()) && !t.After(hi())
		}, nil
	case typ == ecs.IP:
		if l.IsWildcard() {
			return nil, c.errorf(l.At, "match a network with CIDR notation, e.g. 10.0.0.0/8", "%s is an ip field: a wildcard cannot match it", path)
		}
		s := strings.TrimSpace(l.Text())
		if p, err := netip.ParsePrefix(s); err == nil {
			p = p.Masked()
			return func(v event.Value) bool {
				a, ok := addr(v)
				return ok && p.Contains(a)
			}, nil
		}
		q, err := netip.ParseAddr(s)
		if err != nil {
			return nil, c.errorf(l.At, "write an IPv4/IPv6 address or a CIDR", "%s is an ip field and %q is not an IP address", path, s)
		}
		return func(v event.Value) bool {
			a, ok := addr(v)
			return ok && a == q
		}, nil
	case typ == ecs.Boolean:
		var want bool
		switch strings.TrimSpace(l.Text()) {
		case "true":
			want = true
		case "false":
		default:
			return nil, c.errorf(l.At, "write true or false", "%s is a boolean field and %q is not a boolean", path, l.Text())
		}
		return func(v event.Value) bool {
			switch v.Kind {
			case event.KindBool:
				return v.Bool == want
			case event.KindString:
				return v.Str == strconv.FormatBool(want)
			}
			return false
		}, nil
	}
	// keyword, constant_keyword, wildcard, flattened, unknown: exact terms.
	limit := typ == ecs.Keyword
	if l.IsWildcard() {
		g := newGlob(l.Parts)
		return func(v event.Value) bool {
			if !keywordValue(v) {
				return false
			}
			s := v.String()
			return !(limit && len(s) > ignoreAbove) && g.match(s)
		}, nil
	}
	want := l.Text()
	return func(v event.Value) bool {
		if !keywordValue(v) {
			return false
		}
		s := v.String()
		return s == want && !(limit && len(s) > ignoreAbove)
	}, nil
}

func keywordValue(v event.Value) bool {
	return v.Kind == event.KindString || v.Kind == event.KindNumber || v.Kind == event.KindBool
}

// number reads a numeric value, coercing numeric strings as Elasticsearch
// does at index time; integer fields drop the fraction.
func number(v event.Value, integer bool) (float64, bool) {
	var f float64
	switch v.Kind {
	case event.KindNumber:
		f = v.Num
	case event.KindString:
		var err error
		f, err = strconv.ParseFloat(strings.TrimSpace(v.Str), 64)
		if err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if integer {
		f = float64(int64(f))
	}
	return f, true
}

func addr(v event.Value) (netip.Addr, bool) {
	if v.Kind != event.KindString {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(strings.TrimSpace(v.Str))
	return a.Unmap(), err == nil
}

// analyze approximates Elasticsearch's standard analyzer: lower-cased runs
// of letters and digits (apostrophes and other Unicode word-break rules are
// not modelled).
func analyze(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// textPred is match (unquoted: any token), match_phrase (quoted: the tokens
// adjacent and in order) or a per-token wildcard on an analyzed field.
func textPred(l *kql.Literal) valuePred {
	if l.IsWildcard() {
		parts := make([]string, len(l.Parts))
		for i, p := range l.Parts {
			parts[i] = strings.ToLower(p)
		}
		g := newGlob(parts)
		return func(v event.Value) bool {
			if v.Kind != event.KindString {
				return false
			}
			for _, tok := range analyze(v.Str) {
				if g.match(tok) {
					return true
				}
			}
			return g.match(strings.ToLower(v.Str))
		}
	}
	q := analyze(l.Text())
	if len(q) == 0 {
		return func(event.Value) bool { return false }
	}
	if l.Quoted {
		return func(v event.Value) bool { return v.Kind == event.KindString && phrase(analyze(v.Str), q) }
	}
	return func(v event.Value) bool {
		if v.Kind != event.KindString {
			return false
		}
		for _, tok := range analyze(v.Str) {
			for _, w := range q {
				if tok == w {
					return true
				}
			}
		}
		return false
	}
}

func phrase(doc, q []string) bool {
	for i := 0; i+len(q) <= len(doc); i++ {
		ok := true
		for j := range q {
			if doc[i+j] != q[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// eventTime reads a date value: ISO 8601 text or epoch milliseconds.
func eventTime(v event.Value) (time.Time, bool) {
	switch v.Kind {
	case event.KindNumber:
		return time.UnixMilli(int64(v.Num)).UTC(), true
	case event.KindString:
		t, _, err := parseDate(v.Str)
		return t, err == nil
	}
	return time.Time{}, false
}

// glob is a precompiled `*` pattern (KQL wildcards: `*` only, `?` literal).
type glob struct {
	parts []string
}

func newGlob(parts []string) *glob { return &glob{parts: parts} }

func (g *glob) match(s string) bool {
	p := g.parts
	if len(p) == 1 {
		return s == p[0]
	}
	if !strings.HasPrefix(s, p[0]) {
		return false
	}
	s = s[len(p[0]):]
	last := p[len(p)-1]
	for _, mid := range p[1 : len(p)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
