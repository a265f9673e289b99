package esql

import (
	"math"
	"time"

	"github.com/vigil-project/vigil/internal/datemath"
)

// autoBucket compiles BUCKET(field, buckets, from, to): the bucket size is
// picked from a target count of buckets and a range, as Elasticsearch picks
// it. For numbers, the range over the count rounded up to the next power of
// ten, or half of it when that is enough; for dates, the finest of its
// calendar and fixed units (1 day down to 1 ms, then week, month, year) that
// covers the range in at most the count of buckets. Values outside the range
// still get their bucket: the range only sizes them.
func (c *compiler) autoBucket(e *Call, args []cexpr) (cexpr, error) {
	for i := 1; i < 4; i++ {
		if !args[i].konst {
			return cexpr{}, c.errorf(e.Args[i].Pos(), "", "BUCKET's %s argument must be a constant, not [%s]", ordinal(i), e.Args[i])
		}
	}
	if !args[1].typ.isNumeric() || args[1].typ == Double {
		return cexpr{}, c.errorf(e.Args[1].Pos(), "write BUCKET(field, 20, from, to)", "BUCKET's bucket count must be a whole number, not [%s] of type %s", e.Args[1], args[1].typ)
	}
	count := toFloat(args[1].ev(nil, nil))
	switch {
	case args[0].typ.isNumeric() || args[0].typ == Null:
		if !args[2].typ.isNumeric() || !args[3].typ.isNumeric() {
			return cexpr{}, c.errorf(e.At, "", "BUCKET of a number takes a numeric range, not [%s] and [%s]", e.Args[2], e.Args[3])
		}
		width := numberBucketWidth(int(count), toFloat(args[2].ev(nil, nil)), toFloat(args[3].ev(nil, nil)))
		return c.scalar(e, Double, args[:1], func(r *Run, self *cexpr, v []any) any {
			if !(width > 0) || math.IsInf(width, 0) {
				return nil
			}
			return math.Floor(toFloat(v[0])/width) * width
		}), nil
	case args[0].typ.isDate():
		from, ok1 := c.bucketDate(args[2])
		to, ok2 := c.bucketDate(args[3])
		if !ok1 || !ok2 {
			return cexpr{}, c.errorf(e.At, "", "BUCKET of a date takes a range of dates or date strings, not [%s] and [%s]", e.Args[2], e.Args[3])
		}
		span := pickDateBucket(int(count), from, to)
		nanos := args[0].typ == DateNanos
		return c.scalar(e, args[0].typ, args[:1], func(r *Run, self *cexpr, v []any) any {
			return truncDate(v[0].(int64), span, nanos)
		}), nil
	}
	return cexpr{}, c.errorf(e.Args[0].Pos(), "", "BUCKET needs a date or a number, not [%s] of type %s", e.Args[0], args[0].typ)
}

func ordinal(i int) string {
	return [...]string{"first", "second", "third", "fourth"}[i]
}

// bucketDate reads a BUCKET range end: a date (epoch milliseconds, or
// nanoseconds for date_nanos) or a date string.
func (c *compiler) bucketDate(x cexpr) (int64, bool) {
	v := x.ev(nil, nil)
	switch {
	case x.typ == Date:
		ms, ok := v.(int64)
		return ms, ok
	case x.typ == DateNanos:
		ns, ok := v.(int64)
		return ns / 1e6, ok
	case x.typ.isString():
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		t, _, err := datemath.ParseDate(s)
		if err != nil {
			return 0, false
		}
		return t.UnixMilli(), true
	}
	return 0, false
}

// numberBucketWidth is Elasticsearch's numeric bucket width for a target
// count over [from, to].
func numberBucketWidth(count int, from, to float64) float64 {
	precise := (to - from) / float64(count)
	next := math.Pow(10, math.Ceil(math.Log10(precise)))
	if half := next / 2; precise < half {
		return half
	}
	return next
}

// dateBucketUnits are the units BUCKET picks among: the fixed and daily ones
// finest last (the finest that fits wins), then week, month and year (the
// first that fits wins; year if none does).
var (
	dateBucketPrimary = []any{
		Period{Days: 1},
		int64(12 * time.Hour / time.Millisecond), int64(3 * time.Hour / time.Millisecond), int64(time.Hour / time.Millisecond),
		int64(30 * time.Minute / time.Millisecond), int64(10 * time.Minute / time.Millisecond), int64(5 * time.Minute / time.Millisecond),
		int64(time.Minute / time.Millisecond), int64(30 * time.Second / time.Millisecond), int64(10 * time.Second / time.Millisecond),
		int64(5 * time.Second / time.Millisecond), int64(time.Second / time.Millisecond), int64(100), int64(50), int64(10), int64(1),
	}
	dateBucketSecondary = []any{Period{Days: 7}, Period{Months: 1}, Period{Months: 12}}
)

// pickDateBucket picks the unit of BUCKET(date, count, from, to).
func pickDateBucket(count int, from, to int64) any {
	var best any
	lo, hi := 0, len(dateBucketPrimary)-1
	for lo <= hi { // the units are ordered coarse to fine: the last that fits
		mid := (lo + hi) / 2
		if dateBucketFits(dateBucketPrimary[mid], count, from, to) {
			best, lo = dateBucketPrimary[mid], mid+1
		} else {
			hi = mid - 1
		}
	}
	if best != nil {
		return best
	}
	for _, u := range dateBucketSecondary {
		if dateBucketFits(u, count, from, to) {
			return u
		}
	}
	return dateBucketSecondary[len(dateBucketSecondary)-1]
}

// dateBucketFits reports whether count buckets of unit, from the one
// holding from, reach to.
func dateBucketFits(unit any, count int, from, to int64) bool {
	if count <= 0 {
		return false
	}
	b := truncDate(from, unit, false).(int64)
	// Fixed-length units (UTC days and weeks included) are counted by
	// division: a query's count and range must not set the work done here.
	fixed, ok := unit.(int64)
	if p, isPeriod := unit.(Period); isPeriod && p.Months == 0 {
		fixed, ok = int64(p.Days)*86_400_000, true
	}
	if ok {
		return (to-b+fixed-1)/fixed <= int64(count)
	}
	for used := 0; used < count; used++ { // months and years: at most a few thousand
		b = nextDateBucket(b, unit)
		if b >= to {
			return true
		}
	}
	return false
}

func nextDateBucket(ms int64, unit any) int64 {
	switch u := unit.(type) {
	case int64:
		return ms + u
	case Period:
		return time.UnixMilli(ms).UTC().AddDate(0, u.Months, u.Days).UnixMilli()
	}
	return ms
}

// tbucket compiles TBUCKET(span) and TBUCKET(count, from, to): BUCKET over
// @timestamp. Elasticsearch also takes TBUCKET(count) alone, sizing the
// buckets from the @timestamp range filter Kibana adds to the request; a
// rule's query has no such filter here, so the range must be written.
func (c *compiler) tbucket(e *Call, args []cexpr, sc *scope) (cexpr, error) {
	if len(args) != 1 && len(args) != 3 {
		return cexpr{}, c.errorf(e.At, "write TBUCKET(1 hour) or TBUCKET(20, from, to)", "TBUCKET takes a time span, or a bucket count and a range, not %d arguments", len(args))
	}
	if len(args) == 1 && !isSpan(args[0].typ) {
		return cexpr{}, c.errorf(e.Args[0].Pos(), "write TBUCKET(1 hour), or give the range: TBUCKET(20, from, to)", "TBUCKET takes a time span, not [%s] of type %s", e.Args[0], args[0].typ)
	}
	col := &Column{At: e.At, Name: "@timestamp"}
	ts, err := c.expr(col, sc)
	if err != nil {
		return cexpr{}, err
	}
	if !ts.typ.isDate() && ts.typ != Null {
		return cexpr{}, c.errorf(e.At, "", "TBUCKET needs @timestamp to be a date, not %s", ts.typ)
	}
	b := &Call{At: e.At, Name: "BUCKET", Args: append([]Expr{col}, e.Args...)}
	return mvFunctions["BUCKET"](c, b, append([]cexpr{ts}, args...))
}
