package match

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// num is a number as a numeric field holds it: exact as an int64 when it is
// an integer, else as a float64.
type num struct {
	f     float64
	i     int64
	isInt bool
}

// compareNum orders two numbers: exactly when both are integers.
func compareNum(a, b num) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

// parseDecimal reads a decimal number as Elasticsearch's numeric fields
// accept it: an optional sign, digits with an optional fraction (or a
// fraction alone), an optional exponent. Surrounding whitespace is ignored,
// as Java's number parsing does; hex, NaN and infinities are not numbers.
func parseDecimal(s string) (num, bool) {
	if n, ok := smallInt(s); ok {
		return n, true
	}
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" {
		return num{}, false
	}
	digits, frac, exp := 0, 0, false
	i := 0
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(body) && body[i] == '.' {
		i++
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i, frac = i+1, frac+1
		}
	}
	if digits+frac == 0 {
		return num{}, false
	}
	if i < len(body) && (body[i] == 'e' || body[i] == 'E') {
		i++
		if i < len(body) && (body[i] == '+' || body[i] == '-') {
			i++
		}
		start := i
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
		}
		if i == start {
			return num{}, false
		}
		exp = true
	}
	if i != len(body) {
		return num{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return num{}, false
	}
	n := num{f: f}
	if frac == 0 && !exp {
		if v, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
			n.i, n.isInt = v, true
		}
	} else if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		n.i, n.isInt = int64(f), true
	}
	return n, true
}

// smallInt is parseDecimal's fast path: an optional minus and up to 18
// digits.
func smallInt(s string) (num, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 {
		return num{}, false
	}
	var i int64
	for j := 0; j < len(digits); j++ {
		c := digits[j]
		if c < '0' || c > '9' {
			return num{}, false
		}
		i = i*10 + int64(c-'0')
	}
	if len(digits) != len(s) {
		i = -i
	}
	return num{f: float64(i), i: i, isInt: true}, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// intRange is the range of values an integer type holds.
func intRange(typ ecs.Type) (lo, hi float64) {
	switch typ {
	case ecs.Integer:
		return math.MinInt32, math.MaxInt32
	case ecs.Short:
		return math.MinInt16, math.MaxInt16
	case ecs.Byte:
		return math.MinInt8, math.MaxInt8
	case ecs.UnsignedLong:
		return 0, math.MaxUint64
	}
	return math.MinInt64, math.MaxInt64
}

// asType converts a number to what a field of type typ stores: integers
// truncated toward zero (coerce), float in 32-bit precision. ok is false
// for values out of the type's range (Elasticsearch rejects them; with
// ignore_malformed, as logs-* templates set, they are not indexed).
func asType(n num, typ ecs.Type) (num, bool) {
	if math.IsInf(n.f, 0) || math.IsNaN(n.f) {
		return num{}, false
	}
	if typ.IsInteger() {
		lo, hi := intRange(typ)
		if !n.isInt {
			t := math.Trunc(n.f)
			if t < lo || t > hi {
				return num{}, false
			}
			if math.Abs(t) < 1<<63 {
				return num{f: t, i: int64(t), isInt: true}, true
			}
			return num{f: t}, true // unsigned_long above int64
		}
		if float64(n.i) < lo || float64(n.i) > hi {
			return num{}, false
		}
		return n, true
	}
	if typ == ecs.Float || typ == ecs.HalfFloat {
		f := float64(float32(n.f))
		if math.IsInf(f, 0) {
			return num{}, false
		}
		n.f = f
		n.isInt = false
	}
	return num{f: n.f}, true
}

// eventNumber reads a numeric field's value: a JSON number, or a numeric
// string (coerced, as Elasticsearch does by default).
func eventNumber(v event.Value, typ ecs.Type) (num, bool) {
	if v.Kind != event.KindNumber && v.Kind != event.KindString {
		return num{}, false
	}
	n, ok := parseDecimal(v.Str)
	if !ok {
		return num{}, false
	}
	return asType(n, typ)
}

// queryNumber parses a numeric query value for a field of type typ.
func (c *compiler) queryNumber(path string, typ ecs.Type, l *kql.Literal) (num, error) {
	n, ok := parseDecimal(l.Text())
	if !ok {
		return num{}, c.errorf(l.At, "compare it with a number, e.g. "+path+":404 or "+path+" >= 400",
			"%s is %s field and %q is not a number", path, article(typ), l.Text())
	}
	if typ.IsInteger() {
		lo, hi := intRange(typ)
		if n.f < lo || n.f > hi {
			return num{}, c.errorf(l.At, fmt.Sprintf("a %s holds values from %.0f to %.0f", typ, lo, hi),
				"%s is out of range for the %s field %s", l.Text(), typ, path)
		}
		return n, nil
	}
	if typ == ecs.Float || typ == ecs.HalfFloat {
		n.f = float64(float32(n.f))
		n.isInt = false
	} else {
		n = num{f: n.f}
	}
	return n, nil
}

// numberTerm compiles field:value on a numeric field.
func (c *compiler) numberTerm(path string, typ ecs.Type, l *kql.Literal) (valueMatcher, error) {
	q, err := c.queryNumber(path, typ, l)
	if err != nil {
		return nil, err
	}
	if typ.IsInteger() && !q.isInt {
		return noneMatcher{why: fmt.Sprintf("%s is %s field: it holds integers, never %s", path, article(typ), l.Text())}, nil
	}
	return &numRange{typ: typ, lo: q, hi: q, hasLo: true, hasHi: true}, nil
}

// numRange matches numbers between two optional bounds.
type numRange struct {
	typ                  ecs.Type
	lo, hi               num
	hasLo, hasHi         bool
	loExclude, hiExclude bool
}

func (m *numRange) match(v event.Value) bool {
	n, ok := eventNumber(v, m.typ)
	if !ok {
		return false
	}
	if m.hasLo {
		c := compareNum(n, m.lo)
		if c < 0 || c == 0 && m.loExclude {
			return false
		}
	}
	if m.hasHi {
		c := compareNum(n, m.hi)
		if c > 0 || c == 0 && m.hiExclude {
			return false
		}
	}
	return true
}
