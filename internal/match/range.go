package match

import (
	"strings"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// rangeClause compiles `field op value`.
func (c *compiler) rangeClause(r *kql.Range) (node, error) {
	if !r.Field.Quoted && r.Field.IsWildcard() {
		return c.rangePattern(r)
	}
	f, err := c.field(r.Field)
	if err != nil {
		return nil, err
	}
	vm, err := c.fieldRangeMatcher(f.full, f.info, r.Op, r.Value)
	if err != nil {
		return nil, err
	}
	return &termNode{f: f, vm: vm, lit: r.Value, name: r.Field, text: r}, nil
}

// rangeMatcher compiles a range by the field's type: numbers numerically,
// dates with date math and rounding (gt and lte round up, gte and lt down),
// IPs by address, booleans false < true, keyword-like fields by bytes, text
// fields by token.
func (c *compiler) rangeMatcher(path string, typ ecs.Type, op kql.RangeOp, l *kql.Literal) (valueMatcher, error) {
	return c.fieldRangeMatcher(path, ecs.Field{Type: typ}, op, l)
}

// fieldRangeMatcher is rangeMatcher with the field's analyzer or normalizer.
func (c *compiler) fieldRangeMatcher(path string, f ecs.Field, op kql.RangeOp, l *kql.Literal) (valueMatcher, error) {
	typ := f.Type
	lower := op == kql.GT || op == kql.GTE
	exclude := op == kql.GT || op == kql.LT
	if l.Kind == kql.Null && !l.Quoted {
		return nil, c.errorf(l.At, "compare with a value", "null cannot bound a range")
	}
	switch {
	case typ.IsNumeric():
		q, err := c.queryNumber(path, typ, l)
		if err != nil {
			return nil, err
		}
		m := &numRange{typ: typ}
		if lower {
			m.lo, m.hasLo, m.loExclude = q, true, exclude
		} else {
			m.hi, m.hasHi, m.hiExclude = q, true, exclude
		}
		return m, nil
	case typ.IsDate():
		// Elasticsearch rounds the lower bound up when it is exclusive (gt)
		// and the upper bound up when it is inclusive (lte).
		roundUp := op == kql.GT || op == kql.LTE
		b, err := c.dateBound(path, typ, l, lower, roundUp, exclude)
		if err != nil {
			return nil, err
		}
		m := &dateRange{nanos: typ == ecs.DateNanos}
		if lower {
			m.lo = b
		} else {
			m.hi = b
		}
		return m, nil
	case typ == ecs.IP:
		a, ok := parseIP(l.Text())
		if !ok {
			return nil, c.errorf(l.At, "bound an ip range with an address, e.g. "+path+" >= 10.0.0.0",
				"%s is an ip field and %q is not an IP address", path, l.Text())
		}
		m := &ipRange{}
		if lower {
			m.lo, m.hasLo, m.loExclude = a, true, exclude
		} else {
			m.hi, m.hasHi, m.hiExclude = a, true, exclude
		}
		return m, nil
	case typ == ecs.Boolean:
		b, ok := parseBool(l.Text())
		if !ok {
			return nil, c.errorf(l.At, "write true or false", "%s is a boolean field and %q is not a boolean", path, l.Text())
		}
		return &boolRange{bound: b, lower: lower, exclude: exclude}, nil
	case typ.IsExact(), typ.IsText():
		m := &stringRange{bound: l.Text(), lower: lower, exclude: exclude, limit: hasIgnoreAbove(typ)}
		if typ.IsText() {
			m.tokens = analyzerFor(f.Analyzer)
		}
		if f.Normalizer == "lowercase" {
			m.fold, m.bound = true, lowerFold(m.bound)
		}
		return m, nil
	case typ == ecs.Object || typ == ecs.Nested:
		return noneMatcher{why: path + " is an " + typ.String() + ": it holds sub-fields, not values"}, nil
	}
	return nil, c.errorf(l.At, "", "%s is %s field, which Vigil cannot compare", path, article(typ))
}

// stringRange compares keyword terms (or text tokens) with a bound, byte by
// byte: "1000" < "400" and "B" < "a".
type stringRange struct {
	bound          string
	lower, exclude bool
	limit          bool      // ignore_above applies
	tokens         *analyzer // compare each token of an analyzed value (nil: the whole value)
	fold           bool      // lowercase normalizer: compare the lower-cased value
}

func (m *stringRange) in(s string) bool {
	c := strings.Compare(s, m.bound)
	if m.lower {
		return c > 0 || c == 0 && !m.exclude
	}
	return c < 0 || c == 0 && !m.exclude
}

func (m *stringRange) match(v event.Value) bool {
	s, ok := keywordText(v)
	if !ok || m.limit && tooLong(s) {
		return false
	}
	if m.tokens == nil {
		if m.fold {
			s = lowerFold(s)
		}
		return m.in(s)
	}
	found := false
	m.tokens.each(s, func(t string) bool {
		found = m.in(t)
		return !found
	})
	return found
}

// boolRange compares booleans, false < true.
type boolRange struct {
	bound          bool
	lower, exclude bool
}

func (m *boolRange) match(v event.Value) bool {
	b, ok := eventBool(v)
	if !ok {
		return false
	}
	x, y := btoi(b), btoi(m.bound)
	if m.lower {
		return x > y || x == y && !m.exclude
	}
	return x < y || x == y && !m.exclude
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
