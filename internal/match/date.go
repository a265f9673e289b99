package match

import (
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// Date fields hold milliseconds since the epoch, date_nanos fields
// nanoseconds; both bounds and event values are converted to that
// resolution before comparing, as Elasticsearch does (which is why rounding
// up to the last nanosecond or millisecond of a unit makes no difference on
// a date field).

// dateBound is one end of a date range: a date-math expression resolved
// with the rounding its operator asks for, then moved by one unit of
// resolution when the end is exclusive.
type dateBound struct {
	expr    datemath.Expr
	roundUp bool
	exclude bool
	lower   bool
	nanos   bool
	fixed   int64            // the resolved bound, when expr does not use now
	now     func() time.Time // the clock, when it does
	cache   atomic.Pointer[resolved]
}

type resolved struct{ now, bound int64 }

func (b *dateBound) value() int64 {
	if b.now == nil {
		return b.fixed
	}
	now := b.now()
	key := now.UnixNano()
	if r := b.cache.Load(); r != nil && r.now == key {
		return r.bound
	}
	v := b.resolve(now)
	b.cache.Store(&resolved{now: key, bound: v})
	return v
}

func (b *dateBound) resolve(now time.Time) int64 {
	t := b.expr.Resolve(now, b.roundUp)
	v, ok := toResolution(t, b.nanos)
	if !ok { // beyond what the field can hold
		if t.Year() < 1970 {
			v = minResolution(b.nanos)
		} else {
			v = maxResolution(b.nanos)
		}
	}
	if b.exclude {
		if b.lower {
			v++
		} else {
			v--
		}
	}
	return v
}

// toResolution converts t to milliseconds (date) or nanoseconds
// (date_nanos, which holds 1970 to 2262 only) since the epoch.
func toResolution(t time.Time, nanos bool) (int64, bool) {
	if !nanos {
		y := t.Year()
		return t.UnixMilli(), y > -292275000 && y < 292275000
	}
	if t.Year() < 1970 || t.Year() > 2262 {
		return 0, false
	}
	ns := t.UnixNano()
	return ns, ns >= 0
}

func minResolution(nanos bool) int64 {
	if nanos {
		return 0
	}
	return -1 << 62
}

func maxResolution(bool) int64 { return 1<<63 - 2 }

// eventDate reads a date field's value: an ISO 8601 string or epoch
// milliseconds (number or string), in the field's resolution. Other values
// are malformed and not indexed.
func eventDate(v event.Value, nanos bool) (int64, bool) {
	if v.Kind != event.KindString && v.Kind != event.KindNumber {
		return 0, false
	}
	t, _, err := datemath.ParseDate(v.Str)
	if err != nil {
		return 0, false
	}
	return toResolution(t, nanos)
}

// bound compiles one end of a date range.
func (c *compiler) dateBound(path string, typ ecs.Type, l *kql.Literal, lower, roundUp, exclude bool) (*dateBound, error) {
	e, err := datemath.Parse(l.Text())
	if err != nil {
		return nil, c.errorf(l.At, "write ISO 8601 (2024-05-01, 2024-05-01T10:00:00Z), epoch milliseconds or date math (now-5m, now/d, 2024-05-01||+1d)",
			"%s is %s field: %v", path, article(typ), err)
	}
	b := &dateBound{expr: e, roundUp: roundUp, exclude: exclude, lower: lower, nanos: typ == ecs.DateNanos}
	if e.IsNowRelative() {
		if c.now == nil {
			return nil, c.errorf(l.At, "give the compiler a clock (match.Options.Now)",
				"%s uses now, but no clock was given", l.Text())
		}
		b.now = c.now
		return b, nil
	}
	b.fixed = b.resolve(time.Time{})
	return b, nil
}

// dateTerm compiles field:value on a date field: Kibana sends it as the
// range gte value, lte value, so a date with missing components (or date
// math with rounding) covers its whole unit.
func (c *compiler) dateTerm(path string, typ ecs.Type, l *kql.Literal) (valueMatcher, error) {
	lo, err := c.dateBound(path, typ, l, true, false, false)
	if err != nil {
		return nil, err
	}
	hi, err := c.dateBound(path, typ, l, false, true, false)
	if err != nil {
		return nil, err
	}
	return &dateRange{lo: lo, hi: hi, nanos: typ == ecs.DateNanos}, nil
}

// dateRange matches dates between two optional bounds (inclusive once
// resolved).
type dateRange struct {
	lo, hi *dateBound
	nanos  bool
}

func (m *dateRange) match(v event.Value) bool {
	t, ok := eventDate(v, m.nanos)
	if !ok {
		return false
	}
	return (m.lo == nil || t >= m.lo.value()) && (m.hi == nil || t <= m.hi.value())
}
