package esql

import (
	"math"
	"slices"
)

// COPY_SIGN, SCALB and ROUND_TO.
func init() {
	// COPY_SIGN(magnitude, sign): the magnitude's absolute value with the
	// sign's sign, in the magnitude's type. A double sign's sign bit counts
	// (-0.0 is negative), as Java's Math.copySign.
	mvFunctions["COPY_SIGN"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "nn"); err != nil {
			return cexpr{}, err
		}
		for i := range args {
			if err := c.signedNumber(e, i, args); err != nil {
				return cexpr{}, err
			}
		}
		t := args[0].typ
		if t == Null {
			t = Integer
		}
		return c.scalar(e, t, args, func(r *Run, self *cexpr, v []any) any {
			neg := false
			switch s := v[1].(type) {
			case float64:
				neg = math.Signbit(s)
			case int64:
				neg = s < 0
			}
			switch m := v[0].(type) {
			case float64:
				if neg {
					return -math.Abs(m)
				}
				return math.Abs(m)
			case int64:
				if m < 0 {
					m = -m
				}
				if neg {
					return -m
				}
				// |MinInt32| overflows an integer, |MinInt64| a long
				if m < 0 || t == Integer && m > math.MaxInt32 {
					if t == Integer {
						r.fail(self, "java.lang.ArithmeticException: integer overflow")
					} else {
						r.fail(self, "java.lang.ArithmeticException: long overflow")
					}
					return nil
				}
				return m
			}
			return nil
		}), nil
	}
	// SCALB(d, scaleFactor): d × 2^scaleFactor as a double, rounded once;
	// a result too large for a double is null with a warning.
	mvFunctions["SCALB"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "ni"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any {
			f := v[1].(int64)
			// beyond these exponents every finite result is 0 or infinite
			f = max(min(f, 4096), -4096)
			z := math.Ldexp(toFloat(v[0]), int(f))
			if math.IsInf(z, 0) || math.IsNaN(z) {
				r.fail(self, "java.lang.ArithmeticException: not a finite double number: "+formatDouble(z))
				return nil
			}
			return z
		}), nil
	}
	// ROUND_TO(field, point, ...): the greatest point not above the field;
	// a field below every point gives the least point. The points are
	// constants; null points are ignored.
	mvFunctions["ROUND_TO"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, -1); err != nil {
			return cexpr{}, err
		}
		t, err := c.commonType(e, args)
		if err != nil {
			return cexpr{}, err
		}
		if !(t.isInt() || t == Double || t.isDate() || t == Null) {
			return cexpr{}, c.errorf(e.At, "", "all arguments of ROUND_TO must be numeric, date or date_nanos, not %s", t)
		}
		var points []any
		for i := 1; i < len(args); i++ {
			v, err := c.constArg(e, i, args)
			if err != nil {
				return cexpr{}, err
			}
			for _, p := range values(v) {
				points = append(points, widen(p, t))
			}
		}
		slices.SortFunc(points, func(a, b any) int { return compareTyped(a, b, t) })
		return c.scalar(e, t, args[:1], func(r *Run, self *cexpr, v []any) any {
			if len(points) == 0 {
				return nil
			}
			x := widen(v[0], t)
			// the first point above x; the one before it is the answer
			i, _ := slices.BinarySearchFunc(points, x, func(p, x any) int {
				if compareTyped(p, x, t) <= 0 {
					return -1
				}
				return 1
			})
			return points[max(i-1, 0)]
		}), nil
	}
}
