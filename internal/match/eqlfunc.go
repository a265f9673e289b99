package match

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// maxCombos bounds the argument combinations a function over multi-valued
// fields is evaluated for; beyond it, only the first value of each.
const maxCombos = 64

// expr compiles a value expression, folding constants.
func (c *eqlCompiler) expr(e eql.Expr) (expr, error) {
	switch t := e.(type) {
	case *eql.Field:
		return c.fieldRef(t)
	case *eql.String:
		v := strVal(t.Value)
		return &constExpr{v: &v, t: tString, src: e}, nil
	case *eql.Number:
		v, err := parseNumber(t.Text)
		if err != nil {
			return nil, c.errorf(t.At, "", "invalid number %s", t.Text)
		}
		return &constExpr{v: &v, t: tNumber, src: e}, nil
	case *eql.Boolean:
		v := boolVal(t.Value)
		return &constExpr{v: &v, t: tBool, src: e}, nil
	case *eql.Null:
		return &constExpr{t: tNull, src: e}, nil
	case *eql.Neg:
		x, err := c.expr(t.X)
		if err != nil {
			return nil, err
		}
		if x.typ() != tNumber && x.typ() != tNull {
			return nil, c.errorf(t.At, "", "argument of [%s] must be [numeric], found value [%s] type [%s]", e, t.X, x.typ())
		}
		if t.Plus {
			return x, nil
		}
		if fe, ok := x.(*fieldExpr); ok {
			x = &docValueExpr{f: fe} // a script reads a field's first doc value
		}
		return c.fold(&funcExpr{name: "neg", args: []expr{x}, t: tNumber, fn: func(a []val) (val, bool) {
			if a[0].k != vNum {
				return val{}, false
			}
			return numVal(-a[0].n, a[0].isInt), true
		}}, e), nil
	case *eql.Arith:
		name := map[eql.ArithOp]string{eql.Add: "add", eql.Sub: "subtract", eql.Mul: "multiply", eql.Div: "divide", eql.Mod: "modulo"}[t.Op]
		return c.call(&eql.Call{At: t.At, Name: name, Args: []eql.Expr{t.L, t.R}}, e)
	case *eql.Call:
		return c.call(t, e)
	case *eql.Bool, *eql.Not, *eql.Compare, *eql.In, *eql.Match:
		c.depth++ // a value: not the query's top level
		cd, err := c.cond(e)
		c.depth--
		if err != nil {
			return nil, err
		}
		return &condExpr{c: cd}, nil
	}
	return nil, c.errorf(e.Pos(), "", "unsupported expression %s", e)
}

// condExpr is a condition used as a value (an argument, a comparison
// operand): true, false or null.
type condExpr struct{ c cond }

func (e *condExpr) typ() etype { return tBool }
func (e *condExpr) eval(ev *event.Event, buf []val) []val {
	switch e.c.test(ev) {
	case triTrue:
		return append(buf, boolVal(true))
	case triFalse:
		return append(buf, boolVal(false))
	}
	return buf
}

// parseNumber reads a numeric constant: integers as longs (as doubles when
// too large), others as doubles.
func parseNumber(s string) (val, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return intVal(n), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return val{}, err
	}
	return floatVal(f), nil
}

// funcExpr applies fn to its arguments' values: for each combination of
// them (multi-valued fields), a result. fn sees a missing value as
// val{} (k == 0) and returns ok false for null.
type funcExpr struct {
	name string
	args []expr
	t    etype
	fn   func(args []val) (val, bool)
}

func (e *funcExpr) typ() etype { return e.t }

func (e *funcExpr) eval(ev *event.Event, buf []val) []val {
	var small [4][]val
	lists := small[:0]
	combos := 1
	for _, a := range e.args {
		vs := a.eval(ev, nil)
		lists = append(lists, vs)
		combos *= max(len(vs), 1)
	}
	var argBuf [4]val
	args := argBuf[:0]
	if combos > maxCombos {
		for _, l := range lists {
			if len(l) > 0 {
				args = append(args, l[0])
			} else {
				args = append(args, val{})
			}
		}
		if v, ok := e.fn(args); ok {
			buf = append(buf, v)
		}
		return buf
	}
	idx := make([]int, len(lists))
	for {
		args = args[:0]
		for i, l := range lists {
			if len(l) == 0 {
				args = append(args, val{})
			} else {
				args = append(args, l[idx[i]])
			}
		}
		if v, ok := e.fn(args); ok {
			buf = append(buf, v)
		}
		i := len(idx) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(lists[i]) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return buf
		}
	}
}

// fold evaluates a function of constants once.
func (c *eqlCompiler) fold(f *funcExpr, src eql.Expr) expr {
	for _, a := range f.args {
		if !isConst(a) {
			return f
		}
	}
	vs := f.eval(nil, nil)
	if len(vs) == 0 {
		return &constExpr{t: tNull, src: src}
	}
	v := vs[0]
	t := f.t
	switch v.k {
	case vStr:
		t = tString
	case vNum:
		t = tNumber
	case vBool:
		t = tBool
	}
	return &constExpr{v: &v, t: t, src: src}
}

// argKind is what a function parameter accepts.
type argKind uint8

const (
	argString argKind = iota + 1
	argNumber
	argAny
	argIP
	argBoolConst
	argStringConst
)

// eqlFunc describes one function: its parameters (the last repeated when
// variadic), how many are required, whether a ~ variant exists, its
// result type and implementation (fold: the call has ~).
type eqlFunc struct {
	name      string
	params    []argKind
	required  int
	variadic  bool
	tilde     bool
	result    etype
	impl      func(fold bool, a []val) (val, bool)
	nullsPass bool // impl is called with null arguments (else null in, null out)
}

var eqlFuncs = map[string]*eqlFunc{}

func init() {
	for _, f := range []*eqlFunc{
		{name: "add", params: []argKind{argNumber, argNumber}, required: 2, result: tNumber, impl: arith('+')},
		{name: "subtract", params: []argKind{argNumber, argNumber}, required: 2, result: tNumber, impl: arith('-')},
		{name: "multiply", params: []argKind{argNumber, argNumber}, required: 2, result: tNumber, impl: arith('*')},
		{name: "divide", params: []argKind{argNumber, argNumber}, required: 2, result: tNumber, impl: arith('/')},
		{name: "modulo", params: []argKind{argNumber, argNumber}, required: 2, result: tNumber, impl: arith('%')},
		{name: "between", params: []argKind{argString, argString, argString, argBoolConst}, required: 3, tilde: true, result: tString, impl: between},
		{name: "cidrmatch", params: []argKind{argIP, argStringConst}, required: 2, variadic: true, result: tBool, impl: nil},
		{name: "concat", params: []argKind{argAny}, required: 1, variadic: true, result: tString, impl: concat},
		{name: "endswith", params: []argKind{argString, argString}, required: 2, tilde: true, result: tBool, impl: strPred(strings.HasSuffix)},
		{name: "startswith", params: []argKind{argString, argString}, required: 2, tilde: true, result: tBool, impl: strPred(strings.HasPrefix)},
		{name: "stringcontains", params: []argKind{argString, argString}, required: 2, tilde: true, result: tBool, impl: strPred(strings.Contains)},
		{name: "indexof", params: []argKind{argString, argString, argNumber}, required: 2, tilde: true, result: tNumber, impl: indexOf, nullsPass: true},
		{name: "length", params: []argKind{argString}, required: 1, result: tNumber, impl: length},
		{name: "number", params: []argKind{argString, argNumber}, required: 1, result: tNumber, impl: toNumber, nullsPass: true},
		{name: "string", params: []argKind{argAny}, required: 1, result: tString, impl: func(_ bool, a []val) (val, bool) { return strVal(a[0].text()), true }},
		{name: "substring", params: []argKind{argString, argNumber, argNumber}, required: 2, result: tString, impl: substring, nullsPass: true},
	} {
		eqlFuncs[f.name] = f
	}
}

// call compiles a function call (names in any case; `~` for the
// case-insensitive variant of those that have one).
func (c *eqlCompiler) call(call *eql.Call, src eql.Expr) (expr, error) {
	f := eqlFuncs[strings.ToLower(call.Name)]
	if f == nil {
		return nil, c.errorf(call.At, "EQL functions: add, between, cidrMatch, concat, divide, endsWith, indexOf, length, modulo, multiply, number, startsWith, string, stringContains, substring, subtract",
			"unknown function [%s]", call.Name)
	}
	if call.Insensitive && !f.tilde {
		return nil, c.errorf(call.At, "", "function [%s] does not have a case-insensitive (~) variant", call.Name)
	}
	n := len(call.Args)
	if n < f.required || !f.variadic && n > len(f.params) {
		want := strconv.Itoa(f.required)
		switch {
		case f.variadic:
			want = "at least " + want
		case len(f.params) > f.required:
			want = want + " to " + strconv.Itoa(len(f.params))
		}
		return nil, c.errorf(call.At, "", "function [%s] takes %s arguments, found %d", call.Name, want, n)
	}
	args := make([]expr, n)
	for i, a := range call.Args {
		x, err := c.expr(a)
		if err != nil {
			return nil, err
		}
		kind := f.params[min(i, len(f.params)-1)]
		if err := c.checkArg(call, i, a, x, kind); err != nil {
			return nil, err
		}
		args[i] = x
	}
	if f.name == "cidrmatch" {
		return c.cidrMatch(call, args, src)
	}
	// Elasticsearch runs a function as a query where it can, and a query
	// tests every value of a field: startsWith, endsWith and stringContains
	// of a field and a constant (prefix and wildcard queries) and cidrMatch
	// of a field (a terms query). Any other function runs in a script, which
	// reads one value of each field: its first doc value.
	queryForm := (f.name == "startswith" || f.name == "endswith" || f.name == "stringcontains") && isConst(args[1])
	for i, a := range args {
		if fe, ok := a.(*fieldExpr); ok && !(queryForm && i == 0) {
			args[i] = &docValueExpr{f: fe}
		}
	}
	fold := call.Insensitive
	impl := f.impl
	out := &funcExpr{name: f.name, args: args, t: f.result}
	if f.nullsPass {
		out.fn = func(a []val) (val, bool) { return impl(fold, a) }
	} else {
		out.fn = func(a []val) (val, bool) {
			for _, v := range a {
				if v.k == 0 {
					return val{}, false
				}
			}
			return impl(fold, a)
		}
	}
	if f.name == "between" && len(args) == 4 {
		// greedy is a constant; a null one means false.
		if k := args[3].(*constExpr); k.v == nil {
			args[3] = &constExpr{v: &val{k: vBool}, t: tBool}
		}
	}
	return c.fold(out, src), nil
}

var ordinals = []string{"first", "second", "third", "fourth", "fifth", "sixth"}

// checkArg checks argument i of a call against what the parameter takes.
func (c *eqlCompiler) checkArg(call *eql.Call, i int, src eql.Expr, x expr, kind argKind) error {
	t := x.typ()
	ord := "next"
	if i < len(ordinals) {
		ord = ordinals[i]
	}
	bad := func(want string) error {
		return c.errorf(src.Pos(), "", "%s argument of [%s] must be [%s], found value [%s] type [%s]", ord, call, want, src, t)
	}
	switch kind {
	case argString:
		if t != tString && t != tNull {
			return bad("string")
		}
	case argNumber:
		if t != tNumber && t != tNull {
			return bad("numeric")
		}
	case argIP:
		if t != tIP && t != tString && t != tNull {
			return bad("ip")
		}
	case argBoolConst:
		if !isConst(x) || t != tBool && t != tNull {
			return c.errorf(src.Pos(), "", "%s argument of [%s] must be a constant boolean, received [%s]", ord, call, src)
		}
	case argStringConst:
		if !isConst(x) || t != tString {
			return c.errorf(src.Pos(), "", "%s argument of [%s] must be a constant string, received [%s]", ord, call, src)
		}
	case argAny:
		if t == tOther {
			return bad("string, number or boolean")
		}
	}
	return nil
}

// cidrMatch compiles cidrMatch(ip, "cidr", ...): true when the address is
// in one of the networks.
func (c *eqlCompiler) cidrMatch(call *eql.Call, args []expr, src eql.Expr) (expr, error) {
	var nets []netip.Prefix
	for i, a := range args[1:] {
		k := a.(*constExpr)
		p, err := netip.ParsePrefix(k.v.s)
		if err != nil {
			ip, ok := parseIP(k.v.s)
			if !ok {
				return nil, c.errorf(call.Args[i+1].Pos(), "write a network such as \"10.0.0.0/8\"", "%s is not a CIDR network", call.Args[i+1])
			}
			p = netip.PrefixFrom(ip, ip.BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		nets = append(nets, p.Masked())
	}
	f := &funcExpr{name: "cidrmatch", args: args[:1], t: tBool, fn: func(a []val) (val, bool) {
		if a[0].k != vStr {
			return val{}, false
		}
		ip, ok := parseIP(a[0].s)
		if !ok {
			return boolVal(false), true
		}
		for _, n := range nets {
			if prefixContains(n, ip) {
				return boolVal(true), true
			}
		}
		return boolVal(false), true
	}}
	return c.fold(f, src), nil
}

// arith implements + - * / %: integer arithmetic when both operands are
// integers (division truncates), else floating point; division by zero
// is null.
func arith(op byte) func(bool, []val) (val, bool) {
	return func(_ bool, a []val) (val, bool) {
		x, y := a[0], a[1]
		if x.k != vNum || y.k != vNum {
			return val{}, false
		}
		if x.isInt && y.isInt {
			i, j := int64(x.n), int64(y.n)
			switch op {
			case '+':
				return intVal(i + j), true
			case '-':
				return intVal(i - j), true
			case '*':
				return intVal(i * j), true
			case '/':
				if j == 0 {
					return val{}, false
				}
				return intVal(i / j), true
			case '%':
				if j == 0 {
					return val{}, false
				}
				return intVal(i % j), true
			}
		}
		switch op {
		case '+':
			return floatVal(x.n + y.n), true
		case '-':
			return floatVal(x.n - y.n), true
		case '*':
			return floatVal(x.n * y.n), true
		case '/':
			if y.n == 0 {
				return val{}, false
			}
			return floatVal(x.n / y.n), true
		}
		if y.n == 0 {
			return val{}, false
		}
		return floatVal(math.Mod(x.n, y.n)), true
	}
}

// strPred adapts a string test (HasPrefix...) with case folding.
func strPred(p func(s, sub string) bool) func(bool, []val) (val, bool) {
	return func(fold bool, a []val) (val, bool) {
		s, sub := a[0].s, a[1].s
		if fold {
			s, sub = foldCase(s), foldCase(sub)
		}
		return boolVal(p(s, sub)), true
	}
}

// between returns the text of source between left and right: the first
// left, then the first right after it (greedy: the last right); "" when
// either is missing.
func between(fold bool, a []val) (val, bool) {
	src, left, right := a[0].s, a[1].s, a[2].s
	greedy := len(a) > 3 && a[3].b
	s, l, r := src, left, right
	if fold {
		s, l, r = foldCase(src), foldCase(left), foldCase(right)
		if len(s) != len(src) {
			// Lower-casing changed byte offsets: work on the folded text.
			src = s
		}
	}
	i := strings.Index(s, l)
	if i < 0 {
		return strVal(""), true
	}
	start := i + len(l)
	var j int
	if greedy {
		j = strings.LastIndex(s[start:], r)
	} else {
		j = strings.Index(s[start:], r)
	}
	if j < 0 {
		return strVal(""), true
	}
	return strVal(src[start : start+j]), true
}

// concat joins its arguments' texts; null if one is null.
func concat(_ bool, a []val) (val, bool) {
	var b strings.Builder
	for _, v := range a {
		b.WriteString(v.text())
	}
	return strVal(b.String()), true
}

// utf16Len is a string's length as Java counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func length(_ bool, a []val) (val, bool) { return intVal(int64(utf16Len(a[0].s))), true }

// indexOf returns the first position (in UTF-16 units, as Java) of sub in
// source at or after start, null when absent.
func indexOf(fold bool, a []val) (val, bool) {
	if a[0].k == 0 || a[1].k == 0 {
		return val{}, false
	}
	s, sub := a[0].s, a[1].s
	if fold {
		s, sub = foldCase(s), foldCase(sub)
	}
	start := 0
	if len(a) > 2 && a[2].k == vNum {
		start = int(a[2].n)
	}
	u, w := utf16.Encode([]rune(s)), utf16.Encode([]rune(sub))
	start = max(start, 0)
	for i := start; i+len(w) <= len(u); i++ {
		match := true
		for j := range w {
			if u[i+j] != w[j] {
				match = false
				break
			}
		}
		if match {
			return intVal(int64(i)), true
		}
	}
	return val{}, false
}

// toNumber parses a string as number(s[, base]) does: base 10 (integers,
// decimals, exponents), or an integer in another base; "0x" means 16.
func toNumber(_ bool, a []val) (val, bool) {
	if a[0].k != vStr {
		return val{}, false
	}
	s := a[0].s
	base := 10
	hex := strings.HasPrefix(s, "0x")
	if len(a) > 1 && a[1].k == vNum {
		base = int(a[1].n)
	} else if hex {
		base = 16
	}
	if hex && base == 16 {
		s = s[2:]
	}
	if base == 10 {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return intVal(n), true
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || strings.ContainsAny(s, "xXpP_iInN") {
			return val{}, false
		}
		return floatVal(f), true
	}
	if base < 2 || base > 36 {
		return val{}, false
	}
	n, err := strconv.ParseInt(s, base, 32)
	if err != nil {
		return val{}, false
	}
	return intVal(n), true
}

// substring slices source as Python does: negative offsets count from the
// end; end defaults to the length. Offsets count UTF-16 units.
func substring(_ bool, a []val) (val, bool) {
	if a[0].k != vStr {
		return val{}, false
	}
	u := utf16.Encode([]rune(a[0].s))
	n := len(u)
	if n == 0 {
		return strVal(""), true
	}
	start, end := 0, n
	if a[1].k == vNum {
		start = int(a[1].n)
	}
	if len(a) > 2 && a[2].k == vNum {
		end = int(a[2].n)
	}
	if start < 0 {
		start += n
	}
	start = max(start, 0)
	if end < 0 {
		end += n
	}
	end = min(max(end, 0), n)
	if start >= end {
		return strVal(""), true
	}
	return strVal(string(utf16.Decode(u[start:end]))), true
}

// docValueExpr reads a field as Elasticsearch's scripts read it: the first
// of its doc values, which are kept sorted (keywords by their UTF-8 bytes,
// numbers by value, IP addresses by their 16-byte form, booleans false
// first), so the field's least value.
type docValueExpr struct{ f *fieldExpr }

func (e *docValueExpr) typ() etype { return e.f.t }

func (e *docValueExpr) eval(ev *event.Event, buf []val) []val {
	n := len(buf)
	buf = e.f.eval(ev, buf)
	if len(buf)-n <= 1 {
		return buf
	}
	least := n
	for i := n + 1; i < len(buf); i++ {
		if docValueLess(e.f.t, buf[i], buf[least]) {
			least = i
		}
	}
	buf[n] = buf[least]
	return buf[:n+1]
}

// docValueLess orders two values of a field of type t as its doc values are
// sorted.
func docValueLess(t etype, a, b val) bool {
	switch t {
	case tNumber:
		return a.n < b.n
	case tBool:
		return !a.b && b.b
	case tIP:
		x, okx := parseIP(a.s)
		y, oky := parseIP(b.s)
		if okx && oky {
			return ipKey(x) < ipKey(y)
		}
	}
	return a.s < b.s
}

// ipKey is an address's 16-byte form, IPv4 mapped into IPv6, as Elasticsearch
// indexes ip fields.
func ipKey(a netip.Addr) string {
	b := a.As16()
	return string(b[:])
}
