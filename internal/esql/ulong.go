package esql

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// unsigned_long: values 0 to 2^64-1, held as uint64. As in Elasticsearch,
// arithmetic takes two unsigned_longs (mixing one with a signed number is a
// query error; convert one side first) and a result outside the range is
// null with "unsigned_long overflow". Comparisons with other numbers are
// exact (Vigil allows them; see docs/esql.md).

const ulongOverflow = "java.lang.ArithmeticException: unsigned_long overflow"

// ulongArith compiles + - * / % where one side is an unsigned_long.
func (c *compiler) ulongArith(e *Binary, op string, x, y cexpr) (cexpr, error) {
	if x.typ != UnsignedLong || y.typ != UnsignedLong {
		return cexpr{}, c.errorf(e.Pos(), "convert the other side with TO_UNSIGNED_LONG, or both with TO_LONG or TO_DOUBLE",
			"first argument of [%s] is [%s] and second is [%s]. [unsigned_long] can only be operated on together with another [unsigned_long]",
			e, x.typ, y.typ)
	}
	return c.scalar(e, UnsignedLong, []cexpr{x, y}, func(r *Run, self *cexpr, v []any) any {
		a, b := v[0].(uint64), v[1].(uint64)
		switch op {
		case "+":
			z, carry := bits.Add64(a, b, 0)
			if carry != 0 {
				r.fail(self, ulongOverflow)
				return nil
			}
			return z
		case "-":
			if b > a {
				r.fail(self, ulongOverflow)
				return nil
			}
			return a - b
		case "*":
			hi, lo := bits.Mul64(a, b)
			if hi != 0 {
				r.fail(self, ulongOverflow)
				return nil
			}
			return lo
		case "/", "%":
			if b == 0 {
				r.fail(self, "java.lang.ArithmeticException: / by zero")
				return nil
			}
			if op == "/" {
				return a / b
			}
			return a % b
		}
		return nil
	}), nil
}

// isDecimal reports whether s is a decimal number as TO_UNSIGNED_LONG reads
// one: an optional sign, digits with at most one point (at least one
// digit), then an optional exponent: e or E, an optional sign, digits.
func isDecimal(s string) bool {
	digits := func(i int) int {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := digits(i)
	n := j - i
	if j < len(s) && s[j] == '.' {
		k := digits(j + 1)
		n += k - j - 1
		j = k
	}
	if n == 0 {
		return false
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := digits(j)
		if k == j {
			return false
		}
		j = k
	}
	return j == len(s)
}

// twoTo64 is 2^64 as a float64 (exact).
const twoTo64 = 18446744073709551616.0

// toULong converts one value of type from to an unsigned_long: numbers
// with their fraction dropped (2147483648.2 is 2147483648), dates as their
// milliseconds, true as 1. A negative or too large value, or text that is
// no number, gives a warning message instead.
func toULong(v any) (any, string) {
	outOfRange := func(s string) (any, string) {
		return nil, "org.elasticsearch.xpack.esql.core.InvalidArgumentException: [" + s + "] out of [unsigned_long] range"
	}
	switch x := v.(type) {
	case uint64:
		return x, ""
	case int64:
		if x < 0 {
			return outOfRange(strconv.FormatInt(x, 10))
		}
		return uint64(x), ""
	case bool:
		if x {
			return uint64(1), ""
		}
		return uint64(0), ""
	case float64:
		if x != x || x < 0 || x >= twoTo64 {
			return outOfRange(formatDouble(x))
		}
		return uint64(x), ""
	case string:
		if n, err := strconv.ParseUint(x, 10, 64); err == nil {
			return n, ""
		}
		if !isDecimal(x) {
			bad := x
			for _, r := range x {
				if !strings.ContainsRune("0123456789.+-eE", r) {
					bad = string(r)
					break
				}
			}
			return nil, "java.lang.NumberFormatException: Character " + bad + " is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark."
		}
		// The magnitude first (cheap, and it bounds the exact parse
		// below: an exponent of a million digits is refused here).
		f, _ := strconv.ParseFloat(x, 64)
		if f < 0 || f >= 2*twoTo64 || math.IsInf(f, 0) {
			return outOfRange(x)
		}
		if f == 0 {
			if strings.HasPrefix(x, "-") && strings.Trim(x, "-0.eE+") != "" {
				return outOfRange(x)
			}
			return uint64(0), ""
		}
		// Exact: the decimal as a fraction, truncated toward zero.
		q, ok := new(big.Rat).SetString(x)
		if !ok {
			return outOfRange(x)
		}
		n := new(big.Int).Quo(q.Num(), q.Denom())
		if n.Sign() < 0 || !n.IsUint64() {
			return outOfRange(x)
		}
		return n.Uint64(), ""
	}
	return nil, "unsupported"
}

func init() {
	toUL := func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		from := args[0].typ
		switch {
		case from == Null, from.isString() && from != Version, from.isNumeric(), from == Boolean, from == Date:
		default:
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "argument of %s must be boolean, date, a number or a string, not [%s] of type %s", e.Name, e.Args[0], from)
		}
		return c.convert(e, args[0], UnsignedLong, func(v any) (any, string) { return toULong(v) }), nil
	}
	for _, n := range []string{"TO_UNSIGNED_LONG", "TO_ULONG", "TO_UL"} {
		mvFunctions[n] = toUL
	}
}
