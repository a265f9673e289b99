package esql

import (
	"math"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/datemath"
)

// cexpr is a compiled expression: its type and how to evaluate it on a row.
type cexpr struct {
	typ   Type
	ev    func(r *Run, row []any) any
	text  string // the expression as printed, for warnings
	pos   Pos
	konst bool // a constant (the value does not depend on the row)
	// unmapped names the source field this expression reads directly when
	// no mapping knows its type (so the compiler may retype it).
	unmapped string
}

func constExpr(v any, t Type, e Expr) cexpr {
	return cexpr{typ: t, ev: func(*Run, []any) any { return v }, text: e.String(), pos: e.Pos(), konst: true}
}

// expr compiles an expression against a layout.
func (c *compiler) expr(e Expr, sc *scope) (cexpr, error) {
	return c.exprAgg(e, sc, nil)
}

// aggHook compiles aggregate calls inside STATS expressions.
type aggHook func(call *Call) (cexpr, error)

func (c *compiler) exprAgg(e Expr, sc *scope, hook aggHook) (cexpr, error) {
	switch x := e.(type) {
	case *Call, *Binary, *Unary, *Cast:
		if call, ok := x.(*Call); ok && call.Name == "NOW" {
			break // as cheap as its value kept
		}
		if !c.inRunConst && runConst(e) {
			c.inRunConst = true
			x, err := c.exprAgg(e, sc, hook)
			c.inRunConst = false
			if err != nil {
				return cexpr{}, err
			}
			return c.perRun(x), nil
		}
	}
	switch e := e.(type) {
	case *Literal:
		switch v := e.Value.(type) {
		case nil:
			return constExpr(nil, Null, e), nil
		case bool:
			return constExpr(v, Boolean, e), nil
		case int64:
			if v >= math.MinInt32 && v <= math.MaxInt32 {
				return constExpr(v, Integer, e), nil
			}
			return constExpr(v, Long, e), nil
		case uint64:
			return constExpr(v, UnsignedLong, e), nil
		case float64:
			return constExpr(v, Double, e), nil
		case string:
			return constExpr(v, Keyword, e), nil
		case Duration:
			return constExpr(v.Millis, TimeDuration, e), nil
		case Period:
			return constExpr(v, DatePeriod, e), nil
		}
	case *ListLit:
		var xs []any
		t := Null
		for _, it := range e.Items {
			x, err := c.exprAgg(it, sc, hook)
			if err != nil {
				return cexpr{}, err
			}
			if x.typ != Null {
				if t != Null && t != x.typ {
					if t.isNumeric() && x.typ.isNumeric() {
						t = widerNumeric(t, x.typ)
					} else {
						return cexpr{}, c.errorf(it.Pos(), "", "a list mixes %s and %s values", t, x.typ)
					}
				} else {
					t = x.typ
				}
			}
			if v := x.ev(nil, nil); v != nil {
				xs = append(xs, v)
			}
		}
		switch t {
		case Double:
			for i, x := range xs {
				xs[i] = toFloat(x)
			}
		case UnsignedLong:
			// [10000000000000000000, 0]: the whole numbers become
			// unsigned_longs too, which a negative one cannot be
			for i, x := range xs {
				if n, ok := x.(int64); ok {
					if n < 0 {
						return cexpr{}, c.errorf(e.At, "", "a list mixes unsigned_long and the negative %d", n)
					}
					xs[i] = uint64(n)
				}
			}
		}
		return constExpr(mvOf(xs), t, e), nil
	case *Column:
		ref, err := c.resolve(sc, e.Name, e.At)
		if err != nil {
			return cexpr{}, err
		}
		slot := ref.slot
		x := cexpr{typ: ref.typ, text: c.srcText(e), pos: e.At, ev: func(_ *Run, row []any) any {
			if slot < len(row) {
				return row[slot]
			}
			return nil
		}}
		x.unmapped = ref.unmapped
		return x, nil
	case *Call:
		if hook != nil && isAggregate(e.Name) {
			return hook(e)
		}
		switch e.Name {
		case "KQL", "MATCH", "QSTR", "MATCH_PHRASE":
			return c.matchFunc(e, sc)
		}
		if isAggregate(e.Name) {
			return cexpr{}, c.errorf(e.At, "aggregate functions go in STATS", "aggregate function [%s] is only allowed in STATS", e.Name)
		}
		args := make([]cexpr, len(e.Args))
		for i, a := range e.Args {
			x, err := c.exprAgg(a, sc, hook)
			if err != nil {
				return cexpr{}, err
			}
			args[i] = x
		}
		return c.call(e, args, sc)
	case *Unary:
		x, err := c.exprAgg(e.X, sc, hook)
		if err != nil {
			return cexpr{}, err
		}
		if e.Op == "NOT" {
			if x.typ != Boolean && x.typ != Null {
				return cexpr{}, c.retype(x, Boolean, c.errorf(e.At, "", "NOT needs a boolean, not [%s] of type %s", e.X, x.typ))
			}
			return c.scalar(e, Boolean, []cexpr{x}, func(r *Run, self *cexpr, v []any) any { return !v[0].(bool) }), nil
		}
		if x.typ == UnsignedLong {
			return cexpr{}, c.errorf(e.At, "convert it first: -TO_LONG(x) or -TO_DOUBLE(x)", "[-] cannot negate [%s] of type unsigned_long", e.X)
		}
		zero := cexpr{typ: Integer, ev: func(*Run, []any) any { return int64(0) }, konst: true}
		if x.typ == Double {
			zero = cexpr{typ: Double, ev: func(*Run, []any) any { return 0.0 }, konst: true}
		}
		return c.arith(&Binary{At: e.At, Op: "-", X: &Literal{At: e.At, Value: int64(0)}, Y: e.X}, "-", zero, x)
	case *Binary:
		clock := c.clock
		c.clock = false
		x, err := c.exprAgg(e.X, sc, hook)
		if err != nil {
			return cexpr{}, err
		}
		xClock := c.clock
		c.clock = false
		y, err := c.exprAgg(e.Y, sc, hook)
		if err != nil {
			return cexpr{}, err
		}
		yClock := c.clock
		c.clock = clock || xClock || yClock
		switch e.Op {
		case "AND", "OR":
			for i, o := range []cexpr{x, y} {
				if o.typ != Boolean && o.typ != Null {
					side := e.X
					if i == 1 {
						side = e.Y
					}
					return cexpr{}, c.retype(o, Boolean, c.errorf(side.Pos(), "", "%s needs booleans, not [%s] of type %s", e.Op, side, o.typ))
				}
			}
			if c.memos != nil && xClock != yClock {
				if xClock {
					y = c.memo(y)
				} else {
					x = c.memo(x)
				}
			}
			return c.logic(e, x, y), nil
		case "+", "-", "*", "/", "%":
			return c.arith(e, e.Op, x, y)
		}
		return c.compare(e, e.Op, x, y)
	case *Like:
		x, err := c.exprAgg(e.X, sc, hook)
		if err != nil {
			return cexpr{}, err
		}
		if !x.typ.isString() && x.typ != Null {
			return cexpr{}, c.errorf(e.At, "", "LIKE and RLIKE need a string, not [%s] of type %s", e.X, x.typ)
		}
		var res []*regexp.Regexp
		for _, p := range e.Patterns {
			var re *regexp.Regexp
			if e.Regex {
				re, err = compileRegex(p)
			} else {
				re, err = compileLike(p)
			}
			if err != nil {
				return cexpr{}, c.errorf(e.At, "", "invalid pattern %q: %v", p, err)
			}
			res = append(res, re)
		}
		not := e.Not
		return c.scalar(e, Boolean, []cexpr{x}, func(r *Run, self *cexpr, v []any) any {
			s := v[0].(string)
			for _, re := range res {
				if re.MatchString(s) {
					return !not
				}
			}
			return not
		}), nil
	case *In:
		x, err := c.exprAgg(e.X, sc, hook)
		if err != nil {
			return cexpr{}, err
		}
		var list []cexpr
		for _, it := range e.List {
			y, err := c.exprAgg(it, sc, hook)
			if err != nil {
				return cexpr{}, err
			}
			if _, _, err := c.comparable(it, x, y); err != nil {
				return cexpr{}, err
			}
			list = append(list, y)
		}
		return c.in(e, x, list), nil
	case *IsNull:
		x, err := c.exprAgg(e.X, sc, hook)
		if err != nil {
			return cexpr{}, err
		}
		not := e.Not
		return cexpr{typ: Boolean, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			return (x.ev(r, row) == nil) != not
		}}, nil
	case *Cast:
		x, err := c.exprAgg(e.X, sc, hook)
		if err != nil {
			return cexpr{}, err
		}
		fn := castFunctions[e.Type]
		return c.call(&Call{At: e.At, Name: fn, Args: []Expr{e.X}}, []cexpr{x}, sc)
	case *MapLit:
		return cexpr{}, c.errorf(e.At, "", "options {...} are only allowed as the last argument of MATCH")
	case *MatchOp:
		return c.matchFunc(&Call{At: e.At, Name: "MATCH", Args: []Expr{e.Field, e.Query}}, sc)
	}
	return cexpr{}, c.errorf(e.Pos(), "", "unsupported expression %s", e)
}

// scalar makes a function of single values with Elasticsearch's rules:
// null when an argument is null, null with a warning when one is
// multi-valued.
func (c *compiler) scalar(e Expr, t Type, args []cexpr, f func(r *Run, self *cexpr, v []any) any) cexpr {
	self := &cexpr{typ: t, text: c.srcText(e), pos: e.Pos()}
	self.ev = func(r *Run, row []any) any {
		var buf [3]any
		vs := buf[:0]
		if len(args) > len(buf) {
			vs = make([]any, 0, len(args))
		}
		vs = vs[:len(args)]
		for i, a := range args {
			v := a.ev(r, row)
			if v == nil {
				return nil
			}
			if _, mv := v.([]any); mv {
				r.fail(self, mvWarning)
				return nil
			}
			vs[i] = v
		}
		return f(r, self, vs)
	}
	return *self
}

// logic is AND and OR with three-valued logic.
// runConst reports whether e calls NOW() and reads nothing else that
// changes within a run: no column, no document (KQL(), MATCH), no
// aggregate. Its value is the same for every row of a run.
func runConst(e Expr) bool {
	now := false
	var walk func(e Expr) bool
	walk = func(e Expr) bool {
		switch e := e.(type) {
		case *Literal:
			return true
		case *ListLit:
			return all(e.Items, walk)
		case *Call:
			switch {
			case e.Name == "KQL" || e.Name == "MATCH" || e.Name == "QSTR" || e.Name == "MATCH_PHRASE" || isAggregate(e.Name):
				return false
			case e.Name == "NOW":
				now = true
			}
			return all(e.Args, walk)
		case *Unary:
			return walk(e.X)
		case *Binary:
			return walk(e.X) && walk(e.Y)
		case *Cast:
			return walk(e.X)
		case *IsNull:
			return walk(e.X)
		case *Like:
			return walk(e.X)
		case *In:
			return walk(e.X) && all(e.List, walk)
		}
		return false // a column, a match, anything else
	}
	return walk(e) && now
}

func all(es []Expr, f func(Expr) bool) bool {
	for _, e := range es {
		if !f(e) {
			return false
		}
	}
	return true
}

// perRun makes x, whose value is the same for every row of a run
// (runConst), evaluated once per run: the value is kept unless its
// evaluation failed (then each row's evaluation records its failure, as
// before).
func (c *compiler) perRun(x cexpr) cexpr {
	k := c.p.runConsts
	c.p.runConsts++
	inner := x.ev
	x.ev = func(r *Run, row []any) any {
		if r == nil || k >= len(r.consts) {
			return inner(r, row) // a compile-time evaluation
		}
		if cv := &r.consts[k]; cv.ok {
			return cv.v
		}
		n := r.nfail
		v := inner(r, row)
		if r.nfail == n {
			r.consts[k] = runValue{v: v, ok: true}
		}
		return v
	}
	return x
}

// memo makes x, a part of a WHERE's condition that reads no clock beside
// one that does, a value the Shared that evaluated the WHERE's row gives
// each run (Run.memo), instead of evaluating it again for each.
func (c *compiler) memo(x cexpr) cexpr {
	if x.konst {
		return x
	}
	k := len(*c.memos)
	*c.memos = append(*c.memos, x)
	inner := x.ev
	x.ev = func(r *Run, row []any) any {
		if r.memo != nil {
			return r.memo[k]
		}
		return inner(r, row)
	}
	return x
}

func (c *compiler) logic(e *Binary, x, y cexpr) cexpr {
	and := e.Op == "AND"
	self := &cexpr{typ: Boolean, text: c.srcText(e), pos: e.Pos()}
	self.ev = func(r *Run, row []any) any {
		a := boolOf(r, self, x.ev(r, row))
		if and && a == false || !and && a == true {
			return a
		}
		b := boolOf(r, self, y.ev(r, row))
		if and && b == false || !and && b == true {
			return b
		}
		if a == nil || b == nil {
			return nil
		}
		return a
	}
	return *self
}

func boolOf(r *Run, self *cexpr, v any) any {
	if _, mv := v.([]any); mv {
		r.fail(self, mvWarning)
		return nil
	}
	return v
}

func widerNumeric(a, b Type) Type {
	switch {
	case a == Double || b == Double:
		return Double
	case a == UnsignedLong || b == UnsignedLong:
		return UnsignedLong
	case a == Long || b == Long:
		return Long
	}
	return Integer
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// arith compiles + - * / % over numbers, and date ± time span.
func (c *compiler) arith(e *Binary, op string, x, y cexpr) (cexpr, error) {
	if x.typ == Null || y.typ == Null {
		t := x.typ
		if t == Null {
			t = y.typ
		}
		if t == Null {
			t = Integer
		}
		return constExpr(nil, t, e), nil
	}
	// date ± span, span + date
	if (op == "+" || op == "-") && (x.typ.isDate() && isSpan(y.typ) || op == "+" && isSpan(x.typ) && y.typ.isDate()) {
		d, s := x, y
		if isSpan(x.typ) {
			d, s = y, x
		}
		neg := op == "-"
		nanos := d.typ == DateNanos
		return c.scalar(e, d.typ, []cexpr{d, s}, func(r *Run, self *cexpr, v []any) any {
			return addSpan(v[0].(int64), v[1], neg, nanos)
		}), nil
	}
	if isSpan(x.typ) && isSpan(y.typ) && x.typ == y.typ && (op == "+" || op == "-") {
		return cexpr{}, c.errorf(e.Pos(), "", "adding time spans is not supported")
	}
	if !x.typ.isNumeric() || !y.typ.isNumeric() {
		bad, bt, bx := e.X, x.typ, x
		if x.typ.isNumeric() {
			bad, bt, bx = e.Y, y.typ, y
		}
		return cexpr{}, c.retype(bx, Double, c.errorf(bad.Pos(), "", "[%s] needs numbers (or a date and a time span), not [%s] of type %s", op, bad, bt))
	}
	t := widerNumeric(x.typ, y.typ)
	if x.typ == UnsignedLong || y.typ == UnsignedLong {
		t = UnsignedLong // with a double too: refused by ulongArith
	}
	switch t {
	case Double:
		return c.scalar(e, t, []cexpr{x, y}, func(r *Run, self *cexpr, v []any) any {
			a, b := toFloat(v[0]), toFloat(v[1])
			var z float64
			switch op {
			case "+":
				z = a + b
			case "-":
				z = a - b
			case "*":
				z = a * b
			case "/":
				if b == 0 {
					r.fail(self, "java.lang.ArithmeticException: / by zero")
					return nil
				}
				z = a / b
			case "%":
				if b == 0 {
					r.fail(self, "java.lang.ArithmeticException: / by zero")
					return nil
				}
				z = math.Mod(a, b)
			}
			if math.IsInf(z, 0) || math.IsNaN(z) {
				r.fail(self, "java.lang.ArithmeticException: not a finite double number: "+formatDouble(z))
				return nil
			}
			return z
		}), nil
	case UnsignedLong:
		return c.ulongArith(e, op, x, y)
	}
	overflow := "java.lang.ArithmeticException: integer overflow"
	lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
	if t == Long {
		overflow = "java.lang.ArithmeticException: long overflow"
		lo, hi = math.MinInt64, math.MaxInt64
	}
	return c.scalar(e, t, []cexpr{x, y}, func(r *Run, self *cexpr, v []any) any {
		a, b := v[0].(int64), v[1].(int64)
		var z int64
		ok := true
		switch op {
		case "+":
			z = a + b
			ok = (b >= 0) == (z >= a)
		case "-":
			z = a - b
			ok = (b >= 0) == (z <= a)
		case "*":
			z = a * b
			ok = a == 0 || z/a == b && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64)
		case "/":
			if b == 0 {
				r.fail(self, "java.lang.ArithmeticException: / by zero")
				return nil
			}
			if a == math.MinInt64 && b == -1 {
				ok = false
			}
			z = a / b
		case "%":
			if b == 0 {
				r.fail(self, "java.lang.ArithmeticException: / by zero")
				return nil
			}
			if b == -1 {
				return int64(0)
			}
			z = a % b
		}
		if !ok || z < lo || z > hi {
			r.fail(self, overflow)
			return nil
		}
		return z
	}), nil
}

func isSpan(t Type) bool { return t == TimeDuration || t == DatePeriod }

// addSpan adds (or subtracts) a duration (millis) or period to a date.
func addSpan(d int64, span any, neg bool, nanos bool) any {
	var t time.Time
	if nanos {
		t = time.Unix(0, d).UTC()
	} else {
		t = time.UnixMilli(d).UTC()
	}
	switch s := span.(type) {
	case int64:
		dur := time.Duration(s) * time.Millisecond
		if neg {
			dur = -dur
		}
		t = t.Add(dur)
	case Period:
		m, dd := s.Months, s.Days
		if neg {
			m, dd = -m, -dd
		}
		t = addMonthsClamped(t, m).AddDate(0, 0, dd)
	}
	if nanos {
		return t.UnixNano()
	}
	return t.UnixMilli()
}

// addMonthsClamped adds months as java.time does: the day is clamped to the
// end of the target month (Jan 31 + 1 month = Feb 28/29).
func addMonthsClamped(t time.Time, months int) time.Time {
	if months == 0 {
		return t
	}
	y, m, d := t.Date()
	total := int(m) - 1 + months
	ny := y + total/12
	nm := total % 12
	if nm < 0 {
		nm += 12
		ny--
	}
	last := time.Date(ny, time.Month(nm+2), 0, 0, 0, 0, 0, time.UTC).Day()
	if d > last {
		d = last
	}
	return time.Date(ny, time.Month(nm+1), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// comparable checks two operands of a comparison and returns the type they
// compare as and converters for a string literal compared with a date, IP
// or version.
func (c *compiler) comparable(at Expr, x, y cexpr) (Type, [2]func(any) any, error) {
	var conv [2]func(any) any
	if x.typ == Null || y.typ == Null {
		return Null, conv, nil
	}
	switch {
	case x.typ == y.typ, x.typ.isNumeric() && y.typ.isNumeric(), x.typ.isString() && y.typ.isString() && x.typ != Version && y.typ != Version:
		t := x.typ
		if x.typ.isNumeric() {
			t = widerNumeric(x.typ, y.typ)
		}
		if x.typ.isDate() && y.typ.isDate() {
			t = Date
		}
		return t, conv, nil
	case x.typ.isDate() && y.typ.isDate():
		return Date, conv, nil
	}
	// A string constant on one side converts to the other side's type.
	for i, pair := range [2][2]cexpr{{x, y}, {y, x}} {
		other, lit := pair[0], pair[1]
		if !lit.typ.isString() || !lit.konst {
			continue
		}
		var f func(any) any
		switch other.typ {
		case Date, DateNanos:
			nanos := other.typ == DateNanos
			f = func(v any) any {
				s, ok := v.(string)
				if !ok {
					return nil
				}
				t, _, err := datemath.ParseDate(s)
				if err != nil {
					return nil
				}
				if nanos {
					return t.UnixNano()
				}
				return t.UnixMilli()
			}
		case IP:
			f = func(v any) any {
				s, ok := v.(string)
				if !ok {
					return nil
				}
				a, err := netip.ParseAddr(s)
				if err != nil {
					return nil
				}
				return a.Unmap()
			}
		case Version:
			f = func(v any) any { return v }
		case Boolean:
			f = func(v any) any {
				s, _ := v.(string)
				switch strings.ToLower(s) {
				case "true":
					return true
				case "false":
					return false
				}
				return nil
			}
		default:
			continue
		}
		// the literal is operand 1-i
		conv[1-i] = f
		return other.typ, conv, nil
	}
	err := c.errorf(at.Pos(), "", "cannot compare %s with %s in [%s]", x.typ, y.typ, at)
	// An unmapped field compared with a number, date, IP or boolean is
	// read as that type.
	for _, pair := range [2][2]cexpr{{x, y}, {y, x}} {
		if pair[0].unmapped != "" && pair[1].typ != Null && !pair[1].typ.isString() {
			t := pair[1].typ
			if t == Integer {
				t = Long
			}
			return 0, conv, c.retype(pair[0], t, err)
		}
	}
	return 0, conv, err
}

// compare compiles == != < <= > >= =~.
func (c *compiler) compare(e *Binary, op string, x, y cexpr) (cexpr, error) {
	t, conv, err := c.comparable(e, x, y)
	if err != nil {
		return cexpr{}, err
	}
	if op == "=~" && !(t.isString() || t == Null) {
		return cexpr{}, c.errorf(e.Pos(), "", "=~ compares strings, not %s", t)
	}
	if op != "==" && op != "!=" && op != "=~" && (t == Boolean || t == IP && false) {
		// booleans order false < true in Elasticsearch; allowed
	}
	return c.scalar(e, Boolean, []cexpr{x, y}, func(r *Run, self *cexpr, v []any) any {
		a, b := v[0], v[1]
		if conv[0] != nil {
			if a = conv[0](a); a == nil {
				return nil
			}
		}
		if conv[1] != nil {
			if b = conv[1](b); b == nil {
				return nil
			}
		}
		if op == "=~" {
			return strings.EqualFold(a.(string), b.(string))
		}
		cmp := compareTyped(a, b, t)
		switch op {
		case "==":
			return cmp == 0
		case "!=":
			return cmp != 0
		case "<":
			return cmp < 0
		case "<=":
			return cmp <= 0
		case ">":
			return cmp > 0
		case ">=":
			return cmp >= 0
		}
		return nil
	}), nil
}

// in compiles x IN (list): true when x equals an element, null when not
// and an element is null, else false.
func (c *compiler) in(e *In, x cexpr, list []cexpr) cexpr {
	not := e.Not
	convs := make([][2]func(any) any, len(list))
	types := make([]Type, len(list))
	for i, y := range list {
		types[i], convs[i], _ = c.comparable(e, x, y)
	}
	self := &cexpr{typ: Boolean, text: c.srcText(e), pos: e.Pos()}
	self.ev = func(r *Run, row []any) any {
		a := x.ev(r, row)
		if a == nil {
			return nil
		}
		if _, mv := a.([]any); mv {
			r.fail(self, mvWarning)
			return nil
		}
		sawNull := false
		for i, y := range list {
			b := y.ev(r, row)
			if b == nil {
				sawNull = true
				continue
			}
			if _, mv := b.([]any); mv {
				r.fail(self, mvWarning)
				sawNull = true
				continue
			}
			aa := a
			if convs[i][0] != nil {
				aa = convs[i][0](aa)
			}
			if convs[i][1] != nil {
				b = convs[i][1](b)
			}
			if aa == nil || b == nil {
				continue
			}
			if compareTyped(aa, b, types[i]) == 0 {
				return !not
			}
		}
		if sawNull {
			return nil
		}
		return not
	}
	return *self
}

// compileLike turns a LIKE pattern (* any run, ? one character, \ escapes)
// into an anchored regular expression.
func compileLike(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(p); i++ {
		switch ch := p[i]; ch {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(string(p[i])))
			} else {
				b.WriteString(`\\`)
			}
		default:
			j := i
			for j < len(p) && p[j] != '*' && p[j] != '?' && p[j] != '\\' {
				j++
			}
			b.WriteString(regexp.QuoteMeta(p[i:j]))
			i = j - 1
		}
	}
	b.WriteString(`\z`)
	return regexp.Compile(b.String())
}

// compileRegex turns an RLIKE pattern (Lucene regular expression syntax,
// anchored) into a Go regular expression.
func compileRegex(p string) (*regexp.Regexp, error) {
	// A repetition with nothing before it is a literal character in
	// Lucene's syntax.
	if p != "" && strings.IndexByte("*+?", p[0]) >= 0 {
		p = `\` + p
	}
	p = rewriteLookahead(dropPossessive(p))
	return regexp.Compile(`(?s)\A(?:` + p + `)\z`)
}

// dropPossessive turns Java's possessive quantifiers (a++, a*+, a?+,
// a{2}+) into greedy ones, which RE2 has: they match the same texts unless
// the possessive form's refusal to backtrack makes a match fail.
func dropPossessive(p string) string {
	var b strings.Builder
	quant := false // the previous token was a quantifier
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			i++
			b.WriteByte(p[i])
			quant = false
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
			quant = false
		case c == '[':
			inClass = true
			quant = false
		case c == '+' && quant:
			quant = false
			continue
		case c == '*' || c == '+' || c == '?' || c == '}':
			quant = true
			b.WriteByte(c)
			continue
		default:
			quant = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// negLookahead matches a negative look-ahead of single characters right
// before a character class: (?!a|\d)[A-Za-z].
var negLookahead = regexp.MustCompile(`\(\?!((?:\\.|\[[^\]]*\]|[^|()\\\[])(?:\|(?:\\.|\[[^\]]*\]|[^|()\\\[]))*)\)(\[(?:\\.|[^\]\\])+\])`)

// rewriteLookahead turns (?!x|y)[class], which RE2 has not, into the class
// without the characters x and y, when the class is ASCII: the same
// matches.
func rewriteLookahead(p string) string {
	return negLookahead.ReplaceAllStringFunc(p, func(m string) string {
		sub := negLookahead.FindStringSubmatch(m)
		not, err1 := regexp.Compile(`\A(?:` + sub[1] + `)\z`)
		class, err2 := regexp.Compile(`\A` + sub[2] + `\z`)
		if err1 != nil || err2 != nil {
			return m
		}
		var b strings.Builder
		b.WriteByte('[')
		for c := 0; c < 128; c++ {
			ch := string(rune(c))
			if class.MatchString(ch) && !not.MatchString(ch) {
				b.WriteString(regexp.QuoteMeta(ch))
			}
		}
		if class.MatchString("\u00e9") || class.MatchString("\u4e00") {
			return m // not an ASCII class
		}
		b.WriteByte(']')
		if b.Len() == 2 {
			return `[^\x00-\x{10FFFF}]`
		}
		return b.String()
	})
}
