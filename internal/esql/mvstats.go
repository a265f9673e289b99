package esql

import (
	"cmp"
	"math"
	"math/big"
	"math/bits"
	"slices"
)

// MV_PERCENTILE, MV_PSERIES_WEIGHTED_SUM and MV_MEDIAN_ABSOLUTE_DEVIATION:
// statistics over the values of one multi-value.
func init() {
	mvFunctions["MV_PERCENTILE"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "nn"); err != nil {
			return cexpr{}, err
		}
		if err := c.signedNumber(e, 0, args); err != nil {
			return cexpr{}, err
		}
		t := args[0].typ
		if t == Null {
			t = Integer
		}
		self := &cexpr{typ: t, text: c.srcText(e), pos: e.At}
		self.ev = func(r *Run, row []any) any {
			xs := values(args[0].ev(r, row))
			pv := args[1].ev(r, row)
			if xs == nil || pv == nil {
				return nil
			}
			if _, mv := pv.([]any); mv {
				r.fail(self, mvWarning)
				return nil
			}
			p := toFloat(pv)
			if p < 0 || p > 100 || p != p {
				r.fail(self, "java.lang.IllegalArgumentException: Percentile parameter must be a number between 0 and 100, found ["+formatDouble(p)+"]")
				return nil
			}
			return mvPercentile(xs, p, t)
		}
		return *self, nil
	}
	mvFunctions["MV_PSERIES_WEIGHTED_SUM"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if t := args[0].typ; t != Double && t != Null {
			return cexpr{}, c.retype(args[0], Double, c.errorf(e.Args[0].Pos(), "", "argument 1 of %s must be a double, not [%s] of type %s", e.Name, e.Args[0], t))
		}
		if t := args[1].typ; t != Double && t != Null {
			return cexpr{}, c.errorf(e.Args[1].Pos(), "", "argument 2 of %s must be a double, not [%s] of type %s", e.Name, e.Args[1], t)
		}
		pv, err := c.constArg(e, 1, args)
		if err != nil {
			return cexpr{}, err
		}
		p, _ := pv.(float64)
		pnull := pv == nil
		// The i-th value (from 1, in the order held) weighs 1/i^p.
		return cexpr{typ: Double, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			xs := values(args[0].ev(r, row))
			if xs == nil || pnull {
				return nil
			}
			// Kahan's compensated sum, as Elasticsearch sums doubles.
			var sum, comp float64
			for i, x := range xs {
				y := toFloat(x)/math.Pow(float64(i+1), p) - comp
				t := sum + y
				comp = (t - sum) - y
				sum = t
			}
			return sum
		}}, nil
	}
	mvFunctions["MV_MEDIAN_ABSOLUTE_DEVIATION"] = mvOfNumbers(func(c *compiler, e *Call, args []cexpr) error {
		return c.needKinds(e, args, "n")
	}, medianAbsDev)
}

// signedNumber refuses an unsigned_long argument (for the functions whose
// Elasticsearch signatures take only integer, long and double).
func (c *compiler) signedNumber(e *Call, i int, args []cexpr) error {
	if args[i].typ == UnsignedLong {
		return c.errorf(e.Args[i].Pos(), "convert it with TO_LONG or TO_DOUBLE", "argument %d of %s must be an integer, long or double, not [%s] of type unsigned_long", i+1, e.Name, e.Args[i])
	}
	return nil
}

// mvPercentile is the p-th percentile (0 to 100) of xs, interpolated
// linearly between the two closest ranks; for whole numbers the
// interpolated part is truncated toward zero, as Elasticsearch does.
func mvPercentile(xs []any, p float64, t Type) any {
	if t == Double {
		fs := make([]float64, len(xs))
		for i, x := range xs {
			fs[i] = toFloat(x)
		}
		slices.Sort(fs)
		idx := p / 100 * float64(len(fs)-1)
		lo := int(idx)
		if lo >= len(fs)-1 {
			return fs[len(fs)-1]
		}
		frac := idx - float64(lo)
		a, b := fs[lo], fs[lo+1]
		if a < 0 && b > 0 {
			// in this order b - a cannot overflow
			return (a + frac*b) - frac*a
		}
		return a + frac*(b-a)
	}
	ns := make([]int64, len(xs))
	for i, x := range xs {
		ns[i] = x.(int64)
	}
	slices.Sort(ns)
	idx := p / 100 * float64(len(ns)-1)
	lo := int(idx)
	if lo >= len(ns)-1 {
		return ns[len(ns)-1]
	}
	frac := idx - float64(lo)
	a, b := ns[lo], ns[lo+1]
	const exact = 1 << 53 // whole numbers a double holds exactly
	if a > -exact && b < exact {
		return a + int64(frac*float64(b-a))
	}
	// Far apart or large: exactly, with big numbers.
	d := new(big.Float).SetInt(new(big.Int).Sub(big.NewInt(b), big.NewInt(a)))
	d.Mul(d, big.NewFloat(frac))
	d.Add(d, new(big.Float).SetInt64(a))
	z, _ := d.Int64()
	return z
}

// medianAbsDev is the median of the absolute deviations from the median.
// Whole numbers keep their type: a median between two of them is their
// mean rounded down, and a deviation that overflows is a failure.
func medianAbsDev(xs []any, t Type) (any, string) {
	switch t {
	case Double:
		fs := make([]float64, len(xs))
		for i, x := range xs {
			fs[i] = toFloat(x)
		}
		m := floatMedian(fs)
		for i, f := range fs {
			fs[i] = math.Abs(f - m)
		}
		return floatMedian(fs), ""
	case UnsignedLong:
		us := make([]uint64, len(xs))
		for i, x := range xs {
			us[i] = x.(uint64)
		}
		m := uintMedian(us)
		for i, u := range us {
			if u > m {
				us[i] = u - m
			} else {
				us[i] = m - u
			}
		}
		return uintMedian(us), ""
	}
	ns := make([]int64, len(xs))
	for i, x := range xs {
		ns[i] = x.(int64)
	}
	m := intMedian(ns)
	lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
	overflow := "java.lang.ArithmeticException: integer overflow"
	if t == Long {
		lo, hi = math.MinInt64, math.MaxInt64
		overflow = "java.lang.ArithmeticException: long overflow"
	}
	for i, n := range ns {
		d := n - m
		if n < m {
			d = m - n
		}
		// n and m have their type's range: the difference overflows
		// when it wraps negative or passes the type's maximum
		if d < 0 || d > hi || d < lo {
			return nil, overflow
		}
		ns[i] = d
	}
	return intMedian(ns), ""
}

// floatMedian sorts fs and returns its median (the two middle values
// halved and added, which cannot overflow).
func floatMedian(fs []float64) float64 {
	slices.Sort(fs)
	n := len(fs)
	if n%2 == 1 {
		return fs[n/2]
	}
	return fs[n/2-1]/2 + fs[n/2]/2
}

// intMedian sorts ns and returns its median, the two middle values' mean
// rounded down (computed without overflow).
func intMedian(ns []int64) int64 {
	slices.Sort(ns)
	n := len(ns)
	if n%2 == 1 {
		return ns[n/2]
	}
	a, b := ns[n/2-1], ns[n/2]
	return (a & b) + ((a ^ b) >> 1)
}

func uintMedian(us []uint64) uint64 {
	slices.SortFunc(us, cmp.Compare[uint64])
	n := len(us)
	if n%2 == 1 {
		return us[n/2]
	}
	a, b := us[n/2-1], us[n/2]
	return (a & b) + ((a ^ b) >> 1)
}

func init() {
	// MV_SUM adds the values; whole numbers that overflow their type give
	// null with a warning, doubles are summed with Kahan's compensation.
	mvFunctions["MV_SUM"] = mvOfNumbers(func(c *compiler, e *Call, args []cexpr) error {
		return c.needNumber(e, 0, args)
	}, mvSum)
}

func mvSum(xs []any, t Type) (any, string) {
	switch t {
	case Double:
		var sum, comp float64
		for _, x := range xs {
			y := toFloat(x) - comp
			s := sum + y
			comp = (s - sum) - y
			sum = s
		}
		return sum, ""
	case UnsignedLong:
		var sum uint64
		for _, x := range xs {
			var carry uint64
			sum, carry = bits.Add64(sum, x.(uint64), 0)
			if carry != 0 {
				return nil, ulongOverflow
			}
		}
		return sum, ""
	}
	lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
	overflow := "java.lang.ArithmeticException: integer overflow"
	if t == Long {
		lo, hi = math.MinInt64, math.MaxInt64
		overflow = "java.lang.ArithmeticException: long overflow"
	}
	var sum int64
	for _, x := range xs {
		n := x.(int64)
		s := sum + n
		if (n >= 0) != (s >= sum) || s < lo || s > hi {
			return nil, overflow
		}
		sum = s
	}
	return sum, ""
}

// mvOfNumbers is an MV_ function of one numeric argument, which need
// checks: fn maps the argument's values to the result and a warning (""
// for none); a null argument gives null.
func mvOfNumbers(need func(c *compiler, e *Call, args []cexpr) error, fn func(xs []any, t Type) (any, string)) func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
	return func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := need(c, e, args); err != nil {
			return cexpr{}, err
		}
		t := args[0].typ
		self := &cexpr{typ: t, text: c.srcText(e), pos: e.At}
		self.ev = func(r *Run, row []any) any {
			xs := values(args[0].ev(r, row))
			if xs == nil {
				return nil
			}
			out, msg := fn(xs, t)
			if msg != "" {
				r.fail(self, msg)
			}
			return out
		}
		return *self, nil
	}
}
