package esql

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/datemath"
)

// castFunctions maps the types of x::type to their conversion function.
var castFunctions = map[string]string{
	"string": "TO_STRING", "keyword": "TO_STRING", "text": "TO_STRING",
	"int": "TO_INTEGER", "integer": "TO_INTEGER", "long": "TO_LONG", "double": "TO_DOUBLE",
	"bool": "TO_BOOLEAN", "boolean": "TO_BOOLEAN", "ip": "TO_IP", "datetime": "TO_DATETIME", "date": "TO_DATETIME",
	"version": "TO_VERSION", "unsigned_long": "TO_UNSIGNED_LONG",
	"date_nanos": "TO_DATE_NANOS", "time_duration": "TO_TIMEDURATION", "date_period": "TO_DATEPERIOD",
}

func castTypeList() string {
	var ks []string
	for k := range castFunctions {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// arity checks a function's argument count.
func (c *compiler) arity(e *Call, args []cexpr, lo, hi int) error {
	if len(args) < lo || hi >= 0 && len(args) > hi {
		want := strconv.Itoa(lo)
		switch {
		case hi < 0:
			want = "at least " + want
		case hi != lo:
			want = want + " to " + strconv.Itoa(hi)
		}
		return c.errorf(e.At, "", "%s takes %s arguments, not %d", e.Name, want, len(args))
	}
	return nil
}

func (c *compiler) needString(e *Call, i int, args []cexpr) error {
	if t := args[i].typ; !t.isString() && t != Null {
		return c.errorf(e.Args[i].Pos(), "", "argument %d of %s must be a string, not [%s] of type %s", i+1, e.Name, e.Args[i], t)
	}
	return nil
}

func (c *compiler) needNumber(e *Call, i int, args []cexpr) error {
	if t := args[i].typ; !t.isNumeric() && t != Null {
		return c.retype(args[i], Double, c.errorf(e.Args[i].Pos(), "", "argument %d of %s must be a number, not [%s] of type %s", i+1, e.Name, e.Args[i], t))
	}
	return nil
}

// needKinds checks argument types: 's' string, 'i' whole number, 'n'
// number, '.' anything.
func (c *compiler) needKinds(e *Call, args []cexpr, kinds string) error {
	for i := range args {
		if i >= len(kinds) {
			break
		}
		t := args[i].typ
		if t == Null {
			continue
		}
		var err error
		switch kinds[i] {
		case 's':
			err = c.needString(e, i, args)
		case 'n':
			err = c.needNumber(e, i, args)
		case 'd':
			if !t.isDate() {
				err = c.errorf(e.Args[i].Pos(), "", "argument %d of %s must be a date, not [%s] of type %s", i+1, e.Name, e.Args[i], t)
			}
		case 'i':
			if !t.isInt() {
				err = c.retype(args[i], Long, c.errorf(e.Args[i].Pos(), "", "argument %d of %s must be a whole number, not [%s] of type %s", i+1, e.Name, e.Args[i], t))
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *compiler) needConst(e *Call, i int, args []cexpr) error {
	_, err := c.constArg(e, i, args)
	return err
}

// constArg evaluates argument i of e, which must be a constant: a literal,
// or an expression of literals alone (no column, no NOW(), no document),
// such as "2024-01-01"::datetime or POW(10, 3). A constant whose evaluation
// fails is an error.
func (c *compiler) constArg(e *Call, i int, args []cexpr) (any, error) {
	if args[i].konst {
		return args[i].ev(nil, nil), nil
	}
	if !foldable(e.Args[i]) {
		return nil, c.errorf(e.Args[i].Pos(), "", "argument %d of %s must be a constant", i+1, e.Name)
	}
	r := &Run{failures: map[*cexpr]int{}}
	v := args[i].ev(r, nil)
	if len(r.warnings) > 0 {
		w := r.warnings[len(r.warnings)-1]
		if _, reason, ok := strings.Cut(w, ": "); ok {
			w = reason // without the "Line l:c" the error already has
		}
		return nil, c.errorf(e.Args[i].Pos(), "", "argument %d of %s must be a constant that evaluates: %s", i+1, e.Name, w)
	}
	return v, nil
}

// foldable reports whether e is made of literals alone: no column, no
// clock (NOW()), no document (KQL(), MATCH), no aggregate.
func foldable(e Expr) bool {
	switch e := e.(type) {
	case *Literal:
		return true
	case *ListLit:
		return all(e.Items, foldable)
	case *Call:
		switch {
		case e.Name == "NOW" || e.Name == "KQL" || e.Name == "MATCH" || e.Name == "QSTR" || e.Name == "MATCH_PHRASE" || isAggregate(e.Name):
			return false
		}
		return all(e.Args, foldable)
	case *Unary:
		return foldable(e.X)
	case *Binary:
		return foldable(e.X) && foldable(e.Y)
	case *Cast:
		return foldable(e.X)
	case *IsNull:
		return foldable(e.X)
	}
	return false
}

// call compiles a scalar function.
func (c *compiler) call(e *Call, args []cexpr, sc *scope) (cexpr, error) {
	if e.Star {
		return cexpr{}, c.errorf(e.At, "", "%s(*) is not valid; * is for COUNT(*)", e.Name)
	}
	str := func(lo, hi int, t Type, f func(v []any) any) (cexpr, error) {
		if err := c.arity(e, args, lo, hi); err != nil {
			return cexpr{}, err
		}
		for i := range args {
			if err := c.needString(e, i, args); err != nil {
				return cexpr{}, err
			}
		}
		return c.scalar(e, t, args, func(r *Run, self *cexpr, v []any) any { return f(v) }), nil
	}
	switch e.Name {
	case "TO_LOWER", "TO_UPPER":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needString(e, 0, args); err != nil {
			return cexpr{}, err
		}
		lower := e.Name == "TO_LOWER"
		t := args[0].typ
		if t == Null {
			t = Keyword
		}
		// Since 9.1 these work on multi-values value by value.
		self := &cexpr{typ: t, text: c.srcText(e), pos: e.At}
		self.ev = func(r *Run, row []any) any {
			return mapValues(args[0].ev(r, row), func(v any) any {
				if lower {
					return strings.ToLower(v.(string))
				}
				return strings.ToUpper(v.(string))
			})
		}
		return *self, nil
	case "LENGTH":
		return str(1, 1, Integer, func(v []any) any { return int64(utf8.RuneCountInString(v[0].(string))) })
	case "BIT_LENGTH":
		return str(1, 1, Integer, func(v []any) any { return int64(len(v[0].(string)) * 8) })
	case "BYTE_LENGTH":
		return str(1, 1, Integer, func(v []any) any { return int64(len(v[0].(string))) })
	case "TRIM":
		return str(1, 1, Keyword, func(v []any) any { return strings.TrimSpace(v[0].(string)) })
	case "LTRIM":
		return str(1, 1, Keyword, func(v []any) any { return strings.TrimLeft(v[0].(string), " \t\n\r\f\v") })
	case "RTRIM":
		return str(1, 1, Keyword, func(v []any) any { return strings.TrimRight(v[0].(string), " \t\n\r\f\v") })
	case "REVERSE":
		return str(1, 1, Keyword, func(v []any) any {
			rs := []rune(v[0].(string))
			slices.Reverse(rs)
			return string(rs)
		})
	case "STARTS_WITH":
		return str(2, 2, Boolean, func(v []any) any { return strings.HasPrefix(v[0].(string), v[1].(string)) })
	case "ENDS_WITH":
		return str(2, 2, Boolean, func(v []any) any { return strings.HasSuffix(v[0].(string), v[1].(string)) })
	case "CONTAINS":
		return str(2, 2, Boolean, func(v []any) any { return strings.Contains(v[0].(string), v[1].(string)) })
	case "URL_DECODE":
		return str(1, 1, Keyword, func(v []any) any {
			s, err := url.QueryUnescape(v[0].(string))
			if err != nil {
				return nil
			}
			return s
		})
	case "URL_ENCODE":
		return str(1, 1, Keyword, func(v []any) any { return url.QueryEscape(v[0].(string)) })
	case "TO_ASCII":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needString(e, 0, args); err != nil {
			return cexpr{}, err
		}
		// a conversion: every value of a multi-value is escaped
		return c.convert(e, args[0], Keyword, func(v any) (any, string) { return toASCII(v.(string)), "" }), nil
	case "URL_ENCODE_COMPONENT":
		// Everything but letters, digits and . - _ ~ percent-encoded,
		// a space as %20 (where URL_ENCODE writes +).
		return str(1, 1, Keyword, func(v []any) any { return encodeComponent(v[0].(string)) })
	case "FROM_BASE64":
		return str(1, 1, Keyword, func(v []any) any {
			b, err := base64.StdEncoding.DecodeString(v[0].(string))
			if err != nil {
				b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(v[0].(string), "="))
				if err != nil {
					return nil
				}
			}
			return string(b)
		})
	case "TO_BASE64":
		return str(1, 1, Keyword, func(v []any) any { return base64.StdEncoding.EncodeToString([]byte(v[0].(string))) })
	case "CONCAT":
		if err := c.arity(e, args, 2, -1); err != nil {
			return cexpr{}, err
		}
		for i := range args {
			if err := c.needString(e, i, args); err != nil {
				return cexpr{}, err
			}
		}
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			var b strings.Builder
			for _, s := range v {
				b.WriteString(s.(string))
			}
			return b.String()
		}), nil
	case "REPLACE":
		if err := c.arity(e, args, 3, 3); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "sss"); err != nil {
			return cexpr{}, err
		}
		var fixed *regexp.Regexp
		if args[1].konst {
			if s, ok := args[1].ev(nil, nil).(string); ok {
				re, err := regexp.Compile(rewriteLookahead(dropPossessive(s)))
				if err != nil {
					return cexpr{}, c.errorf(e.Args[1].Pos(), "", "invalid regular expression %q: %v", s, err)
				}
				fixed = re
			}
		}
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			re := fixed
			if re == nil {
				var err error
				if re, err = regexp.Compile(rewriteLookahead(dropPossessive(v[1].(string)))); err != nil {
					r.fail(self, "java.util.regex.PatternSyntaxException: "+err.Error())
					return nil
				}
			}
			return re.ReplaceAllString(v[0].(string), javaReplacement(v[2].(string)))
		}), nil
	case "SUBSTRING":
		if err := c.arity(e, args, 2, 3); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "sii"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			// 1-based (0 counts as 1); a negative start counts from the end.
			rs := []rune(v[0].(string))
			start := int(v[1].(int64))
			switch {
			case start > 0:
				start--
			case start < 0:
				start += len(rs)
			}
			start = min(max(start, 0), len(rs))
			end := len(rs)
			if len(v) == 3 {
				n := int(v[2].(int64))
				if n < 0 {
					r.fail(self, "java.lang.IllegalArgumentException: Length parameter cannot be negative, found ["+strconv.Itoa(n)+"]")
					return nil
				}
				end = min(end, start+n)
			}
			return string(rs[start:end])
		}), nil
	case "LEFT", "RIGHT":
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "si"); err != nil {
			return cexpr{}, err
		}
		left := e.Name == "LEFT"
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			rs := []rune(v[0].(string))
			n := min(max(int(v[1].(int64)), 0), len(rs))
			if left {
				return string(rs[:n])
			}
			return string(rs[len(rs)-n:])
		}), nil
	case "LOCATE":
		if err := c.arity(e, args, 2, 3); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "ssi"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Integer, args, func(r *Run, self *cexpr, v []any) any {
			rs := []rune(v[0].(string))
			start := 1
			if len(v) == 3 {
				start = max(int(v[2].(int64)), 1)
			}
			if start > len(rs)+1 {
				return int64(0)
			}
			i := strings.Index(string(rs[start-1:]), v[1].(string))
			if i < 0 {
				return int64(0)
			}
			return int64(start + utf8.RuneCountInString(string(rs[start-1:])[:i]))
		}), nil
	case "SPACE":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "i"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			n := v[0].(int64)
			if n < 0 || n > 1<<20 {
				r.fail(self, "java.lang.IllegalArgumentException: Number parameter cannot be negative or too large")
				return nil
			}
			return strings.Repeat(" ", int(n))
		}), nil
	case "REPEAT":
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "si"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			n := v[1].(int64)
			if n < 0 || int64(len(v[0].(string)))*n > 1<<20 {
				r.fail(self, "java.lang.IllegalArgumentException: Number parameter cannot be negative or too large")
				return nil
			}
			return strings.Repeat(v[0].(string), int(n))
		}), nil
	case "SPLIT":
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "ss"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			sep := v[1].(string)
			if sep == "" {
				r.fail(self, "java.lang.IllegalArgumentException: delimiter must be a single byte")
				return nil
			}
			parts := strings.Split(v[0].(string), sep)
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return mvOf(out)
		}), nil
	case "COALESCE":
		if err := c.arity(e, args, 1, -1); err != nil {
			return cexpr{}, err
		}
		t, err := c.commonType(e, args)
		if err != nil {
			return cexpr{}, err
		}
		return cexpr{typ: t, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			for _, a := range args {
				if v := a.ev(r, row); v != nil {
					return v
				}
			}
			return nil
		}}, nil
	case "GREATEST", "LEAST":
		if err := c.arity(e, args, 1, -1); err != nil {
			return cexpr{}, err
		}
		t, err := c.commonType(e, args)
		if err != nil {
			return cexpr{}, err
		}
		greatest := e.Name == "GREATEST"
		return cexpr{typ: t, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			var best any
			for _, a := range args {
				v := a.ev(r, row)
				if v == nil {
					return nil
				}
				for _, x := range values(v) {
					if t == Double {
						x = toFloat(x)
					}
					if best == nil || greatest && compareTyped(x, best, t) > 0 || !greatest && compareTyped(x, best, t) < 0 {
						best = x
					}
				}
			}
			return best
		}}, nil
	case "CASE":
		if err := c.arity(e, args, 2, -1); err != nil {
			return cexpr{}, err
		}
		var outs []cexpr
		for i := 0; i+1 < len(args); i += 2 {
			if t := args[i].typ; t != Boolean && t != Null {
				return cexpr{}, c.errorf(e.Args[i].Pos(), "", "CASE conditions must be boolean, not [%s] of type %s", e.Args[i], t)
			}
			outs = append(outs, args[i+1])
		}
		if len(args)%2 == 1 {
			outs = append(outs, args[len(args)-1])
		}
		t, err := c.commonType(e, outs)
		if err != nil {
			return cexpr{}, err
		}
		self := &cexpr{typ: t, text: c.srcText(e), pos: e.At}
		self.ev = func(r *Run, row []any) any {
			i := 0
			for ; i+1 < len(args); i += 2 {
				v := args[i].ev(r, row)
				if _, mv := v.([]any); mv {
					r.fail(self, mvWarning)
					continue
				}
				if b, ok := v.(bool); ok && b {
					return widen(args[i+1].ev(r, row), t)
				}
			}
			if i < len(args) {
				return widen(args[i].ev(r, row), t)
			}
			return nil
		}
		return *self, nil
	case "NOW":
		if err := c.arity(e, args, 0, 0); err != nil {
			return cexpr{}, err
		}
		c.clock = true
		return cexpr{typ: Date, text: c.srcText(e), pos: e.At, ev: func(r *Run, _ []any) any { return r.nowMs }}, nil
	case "DATE_TRUNC":
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if !isSpan(args[0].typ) || !args[1].typ.isDate() && args[1].typ != Null {
			return cexpr{}, c.errorf(e.At, "write DATE_TRUNC(1 hour, @timestamp)", "DATE_TRUNC takes a time span and a date")
		}
		return c.scalar(e, args[1].typ, args, func(r *Run, self *cexpr, v []any) any {
			return truncDate(v[1].(int64), v[0], args[1].typ == DateNanos)
		}), nil
	case "DATE_DIFF":
		if err := c.arity(e, args, 3, 3); err != nil {
			return cexpr{}, err
		}
		if err := c.needString(e, 0, args); err != nil {
			return cexpr{}, err
		}
		for i := 1; i <= 2; i++ {
			if !args[i].typ.isDate() && args[i].typ != Null {
				return cexpr{}, c.errorf(e.Args[i].Pos(), "", "argument %d of DATE_DIFF must be a date, not [%s] of type %s", i+1, e.Args[i], args[i].typ)
			}
		}
		if args[0].konst {
			if u, ok := args[0].ev(nil, nil).(string); ok {
				if _, ok := dateDiffUnit(u); !ok {
					return cexpr{}, c.errorf(e.Args[0].Pos(), "units are year, quarter, month, week, day, hour, minute, second, millisecond, nanosecond (and their abbreviations)", "unknown DATE_DIFF unit %q", u)
				}
			}
		}
		return c.scalar(e, Integer, args, func(r *Run, self *cexpr, v []any) any {
			unit, ok := dateDiffUnit(v[0].(string))
			if !ok {
				r.fail(self, "java.lang.IllegalArgumentException: A value of [YEAR, QUARTER, MONTH, DAYOFYEAR, DAY, WEEK, WEEKDAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND, NANOSECOND] or their aliases is required; received ["+v[0].(string)+"]")
				return nil
			}
			d, ok := dateDiff(unit, toTime(v[1].(int64), args[1].typ), toTime(v[2].(int64), args[2].typ))
			if !ok || d > math.MaxInt32 || d < math.MinInt32 {
				r.fail(self, "org.elasticsearch.xpack.esql.core.InvalidArgumentException: [DATE_DIFF] result overflows an integer")
				return nil
			}
			return d
		}), nil
	case "DATE_EXTRACT":
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "sd"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Long, args, func(r *Run, self *cexpr, v []any) any {
			t := toTime(v[1].(int64), args[1].typ)
			switch strings.ToUpper(v[0].(string)) {
			case "YEAR":
				return int64(t.Year())
			case "MONTH_OF_YEAR":
				return int64(t.Month())
			case "DAY_OF_MONTH":
				return int64(t.Day())
			case "DAY_OF_WEEK":
				wd := int64(t.Weekday())
				if wd == 0 {
					wd = 7
				}
				return wd
			case "DAY_OF_YEAR":
				return int64(t.YearDay())
			case "HOUR_OF_DAY":
				return int64(t.Hour())
			case "MINUTE_OF_HOUR":
				return int64(t.Minute())
			case "SECOND_OF_MINUTE":
				return int64(t.Second())
			case "MILLI_OF_SECOND":
				return int64(t.Nanosecond() / 1e6)
			case "EPOCH_DAY":
				return t.Unix() / 86400
			}
			r.fail(self, "java.lang.IllegalArgumentException: No enum constant java.time.temporal.ChronoField."+strings.ToUpper(v[0].(string)))
			return nil
		}), nil
	case "DATE_FORMAT":
		if err := c.arity(e, args, 1, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "."); err != nil {
			return cexpr{}, err
		}
		if len(args) == 1 {
			return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any { return valueString(v[0], args[0].typ) }), nil
		}
		if !args[0].konst || !args[1].typ.isDate() && args[1].typ != Null {
			return cexpr{}, c.errorf(e.At, `write DATE_FORMAT("yyyy-MM-dd", @timestamp)`, "DATE_FORMAT takes a constant pattern and a date")
		}
		pat, _ := args[0].ev(nil, nil).(string)
		layout, err := javaLayout(pat)
		if err != nil {
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "%v", err)
		}
		dt := args[1].typ
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			return formatJavaDate(toTime(v[1].(int64), dt), layout)
		}), nil
	case "TO_STRING":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		t := args[0].typ
		return c.convert(e, args[0], Keyword, func(v any) (any, string) { return valueString(v, t), "" }), nil
	case "TO_VERSION":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		return c.convert(e, args[0], Version, func(v any) (any, string) { s, _ := v.(string); return s, "" }), nil
	case "TO_DOUBLE", "TO_DBL":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		return c.convert(e, args[0], Double, func(v any) (any, string) {
			switch x := v.(type) {
			case string:
				f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
				if err != nil {
					return nil, "java.lang.NumberFormatException: For input string: \"" + x + "\""
				}
				return f, ""
			case bool:
				if x {
					return 1.0, ""
				}
				return 0.0, ""
			}
			return toFloat(v), ""
		}), nil
	case "TO_INTEGER", "TO_INT", "TO_LONG":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		t := Integer
		if e.Name == "TO_LONG" {
			t = Long
		}
		lo, hi := float64(math.MinInt32), float64(math.MaxInt32)
		if t == Long {
			lo, hi = math.MinInt64, math.MaxInt64
		}
		return c.convert(e, args[0], t, func(v any) (any, string) {
			var f float64
			switch x := v.(type) {
			case int64:
				f = float64(x)
				if t == Long || x >= math.MinInt32 && x <= math.MaxInt32 {
					return x, ""
				}
			case uint64:
				// exact: a float64 cannot tell 2^63-1 from 2^63
				if x <= math.MaxInt64 && (t == Long || x <= math.MaxInt32) {
					return int64(x), ""
				}
				return nil, "org.elasticsearch.xpack.esql.core.InvalidArgumentException: [" + strconv.FormatUint(x, 10) + "] out of [" + t.String() + "] range"
			case float64:
				f = math.Round(x)
				if x != x {
					f = math.Inf(1)
				}
			case bool:
				if x {
					return int64(1), ""
				}
				return int64(0), ""
			case string:
				s := strings.TrimSpace(x)
				if n, err := strconv.ParseInt(s, 10, 64); err == nil {
					f = float64(n)
					if t == Long {
						return n, ""
					}
				} else if g, err := strconv.ParseFloat(s, 64); err == nil {
					f = math.Trunc(g)
				} else {
					return nil, "org.elasticsearch.xpack.esql.core.InvalidArgumentException: Cannot parse number [" + x + "]"
				}
			}
			if f < lo || f > hi {
				return nil, "org.elasticsearch.xpack.esql.core.InvalidArgumentException: [" + formatDouble(f) + "] out of [" + t.String() + "] range"
			}
			return int64(f), ""
		}), nil
	case "TO_BOOLEAN", "TO_BOOL":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		return c.convert(e, args[0], Boolean, func(v any) (any, string) {
			switch x := v.(type) {
			case string:
				return strings.EqualFold(x, "true"), ""
			case bool:
				return x, ""
			}
			return toFloat(v) != 0, ""
		}), nil
	case "TO_IP":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		return c.convert(e, args[0], IP, func(v any) (any, string) {
			switch x := v.(type) {
			case netip.Addr:
				return x, ""
			case string:
				a, err := netip.ParseAddr(x)
				if err != nil {
					return nil, "java.lang.IllegalArgumentException: '" + x + "' is not an IP string literal."
				}
				return a.Unmap(), ""
			}
			return nil, "unsupported"
		}), nil
	case "TO_DATETIME", "TO_DT":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		from := args[0].typ
		return c.convert(e, args[0], Date, func(v any) (any, string) {
			switch x := v.(type) {
			case string:
				t, _, err := datemath.ParseDate(x)
				if err != nil {
					return nil, "java.lang.IllegalArgumentException: failed to parse date field [" + x + "] with format [strict_date_optional_time]"
				}
				return t.UnixMilli(), ""
			case int64:
				if from == DateNanos {
					return x / 1e6, ""
				}
				return x, ""
			case float64:
				return int64(x), ""
			case uint64:
				if x > math.MaxInt64 {
					return nil, "org.elasticsearch.xpack.esql.core.InvalidArgumentException: [" + strconv.FormatUint(x, 10) + "] out of [long] range"
				}
				return int64(x), ""
			}
			return nil, "unsupported"
		}), nil
	case "TO_DATE_NANOS", "TO_DATENANOS":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		from := args[0].typ
		switch {
		case from == Null, from.isDate(), from.isString() && from != Version, from == Long, from == Double, from == UnsignedLong:
		default:
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "argument of %s must be a date, a long, a double, an unsigned_long or a string, not [%s] of type %s", e.Name, e.Args[0], from)
		}
		return c.convert(e, args[0], DateNanos, func(v any) (any, string) { return toDateNanos(v, from) }), nil
	case "DAY_NAME", "MONTH_NAME":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "d"); err != nil {
			return cexpr{}, err
		}
		day := e.Name == "DAY_NAME"
		dt := args[0].typ
		// English names, in UTC (Vigil has no time zone setting).
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			t := toTime(v[0].(int64), dt)
			if day {
				return t.Weekday().String()
			}
			return t.Month().String()
		}), nil
	case "YEAR", "MONTH", "DAY", "HOUR":
		// DATE_EXTRACT of one field, as a long, in UTC.
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "d"); err != nil {
			return cexpr{}, err
		}
		name, dt := e.Name, args[0].typ
		return c.scalar(e, Long, args, func(r *Run, self *cexpr, v []any) any {
			t := toTime(v[0].(int64), dt)
			switch name {
			case "YEAR":
				return int64(t.Year())
			case "MONTH":
				return int64(t.Month())
			case "DAY":
				return int64(t.Day())
			}
			return int64(t.Hour())
		}), nil
	case "CIDR_MATCH":
		if err := c.arity(e, args, 2, -1); err != nil {
			return cexpr{}, err
		}
		self := &cexpr{typ: Boolean, text: c.srcText(e), pos: e.At}
		self.ev = func(r *Run, row []any) any {
			ip := args[0].ev(r, row)
			if ip == nil {
				return nil
			}
			if _, mv := ip.([]any); mv {
				r.fail(self, mvWarning)
				return nil
			}
			a, ok := ip.(netip.Addr)
			if !ok {
				s, _ := ip.(string)
				var err error
				if a, err = netip.ParseAddr(s); err != nil {
					return nil
				}
			}
			a = a.Unmap()
			for _, blk := range args[1:] {
				for _, b := range values(blk.ev(r, row)) {
					s, _ := b.(string)
					pfx, err := netip.ParsePrefix(s)
					if err != nil {
						if one, err2 := netip.ParseAddr(s); err2 == nil {
							pfx = netip.PrefixFrom(one, one.BitLen())
						} else {
							continue
						}
					}
					pa := pfx.Addr()
					if pa.Is4In6() {
						pfx = netip.PrefixFrom(pa.Unmap(), max(pfx.Bits()-96, 0))
					}
					if pfx.Contains(a) {
						return true
					}
				}
			}
			return false
		}
		return *self, nil
	case "ROUND":
		if err := c.arity(e, args, 1, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "ni"); err != nil {
			return cexpr{}, err
		}
		if err := c.needNumber(e, 0, args); err != nil {
			return cexpr{}, err
		}
		t := args[0].typ
		return c.scalar(e, t, args, func(r *Run, self *cexpr, v []any) any {
			digits := int64(0)
			if len(v) == 2 {
				digits = v[1].(int64)
			}
			switch x := v[0].(type) {
			case float64:
				p := math.Pow(10, float64(digits))
				return roundHalfUp(x*p) / p
			case int64:
				if digits >= 0 {
					return x
				}
				p := int64(math.Pow(10, float64(-digits)))
				return int64(roundHalfUp(float64(x)/float64(p))) * p
			}
			return v[0]
		}), nil
	case "ABS":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needNumber(e, 0, args); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, args[0].typ, args, func(r *Run, self *cexpr, v []any) any {
			switch x := v[0].(type) {
			case float64:
				return math.Abs(x)
			case int64:
				if x < 0 {
					return -x
				}
			}
			return v[0]
		}), nil
	case "FLOOR", "CEIL":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needNumber(e, 0, args); err != nil {
			return cexpr{}, err
		}
		floor := e.Name == "FLOOR"
		return c.scalar(e, args[0].typ, args, func(r *Run, self *cexpr, v []any) any {
			if x, ok := v[0].(float64); ok {
				if floor {
					return math.Floor(x)
				}
				return math.Ceil(x)
			}
			return v[0]
		}), nil
	case "SQRT", "LOG10", "EXP":
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "n"); err != nil {
			return cexpr{}, err
		}
		name := e.Name
		return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any {
			x := toFloat(v[0])
			switch name {
			case "SQRT":
				if x < 0 {
					r.fail(self, "java.lang.ArithmeticException: Square root of negative")
					return nil
				}
				return math.Sqrt(x)
			case "LOG10":
				if x <= 0 {
					r.fail(self, "java.lang.ArithmeticException: Log of non-positive number")
					return nil
				}
				return math.Log10(x)
			}
			return math.Exp(x)
		}), nil
	case "POW":
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "nn"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any {
			z := math.Pow(toFloat(v[0]), toFloat(v[1]))
			if math.IsNaN(z) || math.IsInf(z, 0) {
				r.fail(self, "java.lang.ArithmeticException: not a finite double number: "+formatDouble(z))
				return nil
			}
			return z
		}), nil
	case "PI":
		return constExpr(math.Pi, Double, e), nil
	case "E":
		return constExpr(math.E, Double, e), nil
	case "JSON_EXTRACT":
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, ".s"); err != nil {
			return cexpr{}, err
		}
		if t := args[0].typ; !t.isString() && t != SourceType && t != Null {
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "JSON_EXTRACT reads a string or _source, not [%s] of type %s", e.Args[0], t)
		}
		return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
			out, msg := jsonExtract(v[0].(string), v[1].(string))
			if msg != "" {
				r.fail(self, msg)
			}
			return out
		}), nil
	}
	if e.Name == "TBUCKET" {
		return c.tbucket(e, args, sc)
	}
	if f, ok := mvFunctions[e.Name]; ok {
		return f(c, e, args)
	}
	return cexpr{}, c.errorf(e.At, "see docs/esql.md for the functions Vigil runs", "unknown or unsupported function [%s]", e.Name)
}

// roundHalfUp rounds half away from zero, as Java's Math.round on doubles
// in ES|QL's ROUND.
func roundHalfUp(x float64) float64 {
	if x < 0 {
		return -math.Floor(-x + 0.5)
	}
	return math.Floor(x + 0.5)
}

// javaReplacement turns a Java replacement string ($1, \$) into Go's (${1}, $$).
func javaReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
		case c == '$' && i+1 < len(s) && isDigit(s[i+1]):
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mapValues applies f to each value of a (multi-)value.
func mapValues(v any, f func(any) any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if y := f(e); y != nil {
				out = append(out, y)
			}
		}
		return mvOf(out)
	}
	return f(v)
}

// convert makes a conversion function: it converts every value of a
// multi-value; a value that does not convert becomes null with a warning.
func (c *compiler) convert(e *Call, arg cexpr, t Type, f func(any) (any, string)) cexpr {
	self := &cexpr{typ: t, text: c.srcText(e), pos: e.At}
	self.ev = func(r *Run, row []any) any {
		return mapValues(arg.ev(r, row), func(v any) any {
			out, msg := f(v)
			if msg != "" {
				r.fail(self, msg)
			}
			return out
		})
	}
	return *self
}

// commonType is the type of a function returning one of its arguments.
func (c *compiler) commonType(e *Call, args []cexpr) (Type, error) {
	t := Null
	for i, a := range args {
		switch {
		case a.typ == Null:
		case t == Null:
			t = a.typ
		case t == a.typ:
		case t.isNumeric() && a.typ.isNumeric() && (t == UnsignedLong) == (a.typ == UnsignedLong):
			t = widerNumeric(t, a.typ)
		case t.isString() && a.typ.isString():
			t = Keyword
		default:
			return 0, c.errorf(e.Args[i].Pos(), "", "%s arguments must have the same type: [%s] is %s, an earlier one %s", e.Name, e.Args[i], a.typ, t)
		}
	}
	return t, nil
}

// widen converts an integer value to a double for a double-typed result.
func widen(v any, t Type) any {
	if t != Double {
		return v
	}
	return mapValues(v, func(x any) any { return toFloat(x) })
}

func toTime(v int64, t Type) time.Time {
	if t == DateNanos {
		return time.Unix(0, v).UTC()
	}
	return time.UnixMilli(v).UTC()
}

// truncDate rounds a date down to a multiple of a span, as DATE_TRUNC:
// fixed spans from the epoch; calendar spans to the start of the day,
// week (Monday), month, quarter or year.
func truncDate(v int64, span any, nanos bool) any {
	t := toTime(v, map[bool]Type{true: DateNanos, false: Date}[nanos])
	var out time.Time
	switch s := span.(type) {
	case int64:
		if s <= 0 {
			return v
		}
		ms := t.UnixMilli()
		f := ms - ((ms%s)+s)%s
		out = time.UnixMilli(f).UTC()
	case Period:
		switch {
		case s.Months >= 12 && s.Months%12 == 0:
			n := s.Months / 12
			y := t.Year()
			y -= ((y % n) + n) % n
			out = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		case s.Months > 0:
			total := t.Year()*12 + int(t.Month()) - 1
			total -= ((total % s.Months) + s.Months) % s.Months
			out = time.Date(total/12, time.Month(total%12+1), 1, 0, 0, 0, 0, time.UTC)
		case s.Days == 7:
			d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			wd := (int(d.Weekday()) + 6) % 7
			out = d.AddDate(0, 0, -wd)
		case s.Days > 0:
			days := int64(math.Floor(float64(t.Unix()) / 86400))
			n := int64(s.Days)
			days -= ((days % n) + n) % n
			out = time.Unix(days*86400, 0).UTC()
		default:
			return v
		}
	}
	if nanos {
		return out.UnixNano()
	}
	return out.UnixMilli()
}

func dateDiffUnit(u string) (string, bool) {
	switch strings.ToLower(u) {
	case "year", "years", "yy", "yyyy":
		return "year", true
	case "quarter", "quarters", "qq", "q":
		return "quarter", true
	case "month", "months", "mm", "m":
		return "month", true
	case "dayofyear", "dy", "y":
		return "day", true
	case "day", "days", "dd", "d":
		return "day", true
	case "week", "weeks", "wk", "ww":
		return "week", true
	case "weekday", "weekdays", "dw":
		return "day", true
	case "hour", "hours", "hh":
		return "hour", true
	case "minute", "minutes", "mi", "n":
		return "minute", true
	case "second", "seconds", "ss", "s":
		return "second", true
	case "millisecond", "milliseconds", "ms":
		return "millisecond", true
	case "microsecond", "microseconds", "mcs":
		return "microsecond", true
	case "nanosecond", "nanoseconds", "ns":
		return "nanosecond", true
	}
	return "", false
}

// dateDiff counts whole units from a to b, as java.time's ChronoUnit.between.
func dateDiff(unit string, a, b time.Time) (int64, bool) {
	d := b.Sub(a)
	switch unit {
	case "nanosecond":
		return b.UnixNano() - a.UnixNano(), true
	case "microsecond":
		return int64(d / time.Microsecond), true
	case "millisecond":
		return b.UnixMilli() - a.UnixMilli(), true
	case "second":
		return int64(d / time.Second), true
	case "minute":
		return int64(d / time.Minute), true
	case "hour":
		return int64(d / time.Hour), true
	case "day":
		return int64(d / (24 * time.Hour)), true
	case "week":
		return int64(d / (7 * 24 * time.Hour)), true
	}
	months := int64(b.Year()-a.Year())*12 + int64(b.Month()-a.Month())
	// a whole month has passed only when b's day and time reach a's
	aRest := time.Date(2000, 1, a.Day(), a.Hour(), a.Minute(), a.Second(), a.Nanosecond(), time.UTC)
	bRest := time.Date(2000, 1, b.Day(), b.Hour(), b.Minute(), b.Second(), b.Nanosecond(), time.UTC)
	if months > 0 && bRest.Before(aRest) {
		months--
	} else if months < 0 && bRest.After(aRest) {
		months++
	}
	switch unit {
	case "month":
		return months, true
	case "quarter":
		return months / 3, true
	}
	return months / 12, true
}

// jsonExtract follows a path ($.a.b[0], a.b, a['b.c']) in a JSON document:
// a string value as it is, other values as compact JSON, nil when the path
// is absent. Keys written with dots in the document (flattened) are found
// too.
func jsonExtract(doc, path string) (any, string) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, "java.lang.IllegalArgumentException: invalid JSON input"
	}
	segs, ok := jsonPath(path)
	if !ok {
		return nil, "java.lang.IllegalArgumentException: invalid JSON path [" + path + "]"
	}
	v, found := jsonWalk(v, segs)
	if !found || v == nil {
		return nil, ""
	}
	if s, ok := v.(string); ok {
		return s, ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, ""
	}
	return string(b), ""
}

// jsonPath splits a path into keys and array indexes (as ints).
func jsonPath(p string) ([]any, bool) {
	p = strings.TrimPrefix(strings.TrimPrefix(p, "$"), ".")
	var segs []any
	for len(p) > 0 {
		switch {
		case strings.HasPrefix(p, "['") || strings.HasPrefix(p, `["`):
			q := p[1]
			end := strings.IndexByte(p[2:], q)
			if end < 0 {
				return nil, false
			}
			segs = append(segs, p[2:2+end])
			p = strings.TrimPrefix(p[2+end+1:], "]")
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			n, err := strconv.Atoi(p[1:max(end, 1)])
			if end < 0 || err != nil {
				return nil, false
			}
			segs = append(segs, n)
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			if end == 0 {
				return nil, false
			}
			segs = append(segs, p[:end])
			p = p[end:]
		}
		p = strings.TrimPrefix(p, ".")
	}
	return segs, true
}

func jsonWalk(v any, segs []any) (any, bool) {
	if len(segs) == 0 {
		return v, true
	}
	switch x := v.(type) {
	case map[string]any:
		// the key itself, or a dotted key spanning several segments
		key := ""
		for i, s := range segs {
			k, ok := s.(string)
			if !ok {
				break
			}
			if i > 0 {
				key += "."
			}
			key += k
			if next, ok := x[key]; ok {
				if out, found := jsonWalk(next, segs[i+1:]); found {
					return out, true
				}
			}
		}
	case []any:
		if n, ok := segs[0].(int); ok && n >= 0 && n < len(x) {
			return jsonWalk(x[n], segs[1:])
		}
	}
	return nil, false
}

// encodeComponent percent-encodes the UTF-8 bytes of s except ASCII letters,
// digits and . - _ ~ (RFC 3986's unreserved characters).
func encodeComponent(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// toDateNanos converts one value to nanoseconds since the epoch: a date's
// milliseconds scaled, a long, double or unsigned_long as nanoseconds, text
// parsed as an ISO 8601 date (nanosecond digits kept). date_nanos holds
// 1970-01-01T00:00:00Z to 2262-04-11T23:47:16.854775807Z; a value outside
// is a failure.
func toDateNanos(v any, from Type) (any, string) {
	before := func(s string) (any, string) {
		return nil, "java.lang.IllegalArgumentException: date[" + s + "] is before the epoch in 1970 and cannot be stored in nanosecond resolution"
	}
	after := func(s string) (any, string) {
		return nil, "java.lang.IllegalArgumentException: date[" + s + "] is after 2262-04-11T23:47:16.854775807 and cannot be stored in nanosecond resolution"
	}
	switch x := v.(type) {
	case int64:
		switch from {
		case DateNanos:
			return x, ""
		case Date:
			switch {
			case x < 0:
				return before(formatDate(x))
			case x > math.MaxInt64/1_000_000:
				return after(formatDate(x))
			}
			return x * 1_000_000, ""
		}
		if x < 0 {
			return before(strconv.FormatInt(x, 10))
		}
		return x, ""
	case uint64:
		if x > math.MaxInt64 {
			return after(strconv.FormatUint(x, 10))
		}
		return int64(x), ""
	case float64:
		switch {
		case x != x:
			return nil, "java.lang.IllegalArgumentException: NaN is not a date"
		case x < 0:
			return before(formatDouble(x))
		case x >= math.MaxInt64:
			return after(formatDouble(x))
		}
		return int64(x), ""
	case string:
		t, _, err := datemath.ParseDate(x)
		if err != nil {
			return nil, "java.lang.IllegalArgumentException: failed to parse date field [" + x + "] with format [strict_date_optional_time_nanos]"
		}
		// UnixNano is undefined outside its range: check the seconds first.
		switch sec := t.Unix(); {
		case sec < 0:
			return before(x)
		case sec > math.MaxInt64/1_000_000_000 || sec == math.MaxInt64/1_000_000_000 && int64(t.Nanosecond()) > math.MaxInt64%1_000_000_000:
			return after(x)
		}
		return t.UnixNano(), ""
	}
	return nil, "unsupported"
}

// toASCII escapes what is not printable ASCII: \n \r \t \b \f, the
// backslash and both quotes with a backslash; other characters as \xHH
// (below 256), \uHHHH (below 65536) or \UHHHHHHHH, in lower-case hex.
func toASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\\', '\'', '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			switch {
			case r >= 32 && r <= 126:
				b.WriteRune(r)
			case r < 256:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r < 65536:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		}
	}
	return b.String()
}
