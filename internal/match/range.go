package match

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// rangeNode compiles `field op value` by the field's type: numbers
// numerically, dates with date math and ES rounding (gt and lte round up,
// gte and lt down), IPs by address, keyword-like fields lexicographically.
func (c *compiler) rangeNode(r *kql.Range, prefix string) (node, error) {
	path := join(prefix, r.Field.Text())
	c.fields[path] = true
	id := c.opts.Plan.Add(path)
	typ := c.opts.Schema.Type(path)
	n := &rangeNode{id: id, path: path, text: r.String()}
	cmp := func(x int) bool {
		switch r.Op {
		case kql.LT:
			return x < 0
		case kql.LTE:
			return x <= 0
		case kql.GT:
			return x > 0
		}
		return x >= 0
	}
	lit := r.Value.Text()
	switch {
	case typ.IsNumeric():
		q, err := strconv.ParseFloat(strings.TrimSpace(lit), 64)
		if err != nil {
			return nil, c.errorf(r.Value.At, "compare it with a number", "%s is a %s field and %q is not a number", path, typ, lit)
		}
		integer := typ.IsInteger()
		n.pred = func(v event.Value) bool {
			f, ok := number(v, integer)
			return ok && cmp(compareFloat(f, q))
		}
	case typ.IsDate():
		bound, err := c.dateBound(r.Value, path, r.Op == kql.GT || r.Op == kql.LTE)
		if err != nil {
			return nil, err
		}
		n.pred = func(v event.Value) bool {
			t, ok := eventTime(v)
			return ok && cmp(t.Compare(bound()))
		}
	case typ == ecs.IP:
		q, err := netip.ParseAddr(strings.TrimSpace(lit))
		if err != nil {
			return nil, c.errorf(r.Value.At, "write an IPv4/IPv6 address", "%s is an ip field and %q is not an IP address", path, lit)
		}
		n.pred = func(v event.Value) bool {
			a, ok := addr(v)
			return ok && a.Is4() == q.Is4() && cmp(a.Compare(q))
		}
	case typ.IsText():
		q := strings.ToLower(lit)
		n.pred = func(v event.Value) bool {
			if v.Kind != event.KindString {
				return false
			}
			for _, tok := range analyze(v.Str) {
				if cmp(strings.Compare(tok, q)) {
					return true
				}
			}
			return false
		}
	default:
		n.pred = func(v event.Value) bool {
			return keywordValue(v) && cmp(strings.Compare(v.String(), lit))
		}
	}
	return n, nil
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
