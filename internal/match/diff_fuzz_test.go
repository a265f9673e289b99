package match

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// The differential test: a naive interpreter, written for plainness rather
// than speed, evaluates the AST over the decoded document with the semantics
// the package documents; the compiled matcher must agree with it. It shares
// only the analyzer (tested on its own in TestAnalyze) and the date parser
// (package datemath) with the matcher.

// diffSchema is the small fixed schema of the differential tests.
var diffSchema = map[string]ecs.Type{
	"k": ecs.Keyword, "k.text": ecs.MatchOnlyText, "w": ecs.Wildcard, "fl": ecs.Flattened,
	"t": ecs.Text, "n": ecs.Long, "x": ecs.Double, "d": ecs.Date, "ip": ecs.IP, "b": ecs.Boolean,
	"o": ecs.Object, "o.k": ecs.Keyword, "o.n": ecs.Long,
	"ns": ecs.Nested, "ns.k": ecs.Keyword, "ns.n": ecs.Long,
}

// naiveKnown reports whether the schema knows path.
func naiveKnown(path string) bool {
	_, ok := diffSchema[path]
	return ok || strings.HasPrefix(path, "fl.")
}

func diffType(path string) ecs.Type {
	if t, ok := diffSchema[path]; ok {
		return t
	}
	if strings.HasPrefix(path, "fl.") {
		return ecs.Flattened
	}
	return ecs.Keyword
}

// naiveLeaves returns the scalar values at path in x, trying every split of
// the path into keys and flattening arrays; objects with a scalar somewhere
// below are returned as themselves (for exists).
func naiveLeaves(x any, path string) []any {
	var out []any
	switch t := x.(type) {
	case []any:
		for _, el := range t {
			out = append(out, naiveLeaves(el, path)...)
		}
	case map[string]any:
		if path == "" {
			if naiveHasScalar(t) {
				out = append(out, t)
			}
			return out
		}
		for k, v := range t {
			if k == path {
				out = append(out, naiveLeaves(v, "")...)
			} else if rest, ok := strings.CutPrefix(path, k+"."); ok {
				if rest == "" {
					// An empty last segment names the key "" below k (as
					// internal/event reads "x."), not k's own value.
					out = append(out, naiveEmptyKey(v)...)
				} else {
					out = append(out, naiveLeaves(v, rest)...)
				}
			}
		}
	case nil:
	default:
		if path == "" {
			out = append(out, t)
		}
	}
	return out
}

// naiveEmptyKey is naiveLeaves of the key "" in x (through arrays).
func naiveEmptyKey(x any) []any {
	var out []any
	switch t := x.(type) {
	case []any:
		for _, el := range t {
			out = append(out, naiveEmptyKey(el)...)
		}
	case map[string]any:
		if v, ok := t[""]; ok {
			out = append(out, naiveLeaves(v, "")...)
		}
	}
	return out
}

func naiveHasScalar(x any) bool {
	switch t := x.(type) {
	case []any:
		for _, el := range t {
			if naiveHasScalar(el) {
				return true
			}
		}
	case map[string]any:
		for _, v := range t {
			if naiveHasScalar(v) {
				return true
			}
		}
	case nil:
		return false
	default:
		return true
	}
	return false
}

// naiveText is a scalar's keyword text.
func naiveText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return string(t), true
	case bool:
		return fmt.Sprint(t), true
	}
	return "", false
}

func naiveTooLong(s string) bool { return len(utf16.Encode([]rune(s))) > 1024 }

// naiveRegexp turns wildcard parts into an anchored regular expression.
func naiveRegexp(parts []string) *regexp.Regexp {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?s)^` + strings.Join(q, `.*`) + `$`)
}

// naivePieces splits wildcard parts at whitespace (query_string).
func naivePieces(parts []string) [][]string {
	// A rune no part holds marks the wildcards (a value may hold any other,
	// NUL included).
	all := strings.Join(parts, "")
	mark := rune(0xE000)
	for strings.ContainsRune(all, mark) {
		mark++
	}
	joined := strings.Join(parts, string(mark))
	var out [][]string
	for _, w := range strings.FieldsFunc(joined, isSpace) {
		out = append(out, strings.Split(w, string(mark)))
	}
	return out
}

var decimalRE = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// javaTrim drops what Java's String.trim drops around a number: every
// character up to the space.
func javaTrim(s string) string { return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }) }

// naiveNumber reads a number exactly, as a field of type typ stores it.
func naiveNumber(s string, typ ecs.Type) (*big.Rat, bool) {
	s = javaTrim(s)
	if !decimalRE.MatchString(s) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, false
	}
	if typ == ecs.Long {
		i := new(big.Int).Quo(r.Num(), r.Denom())
		if i.BitLen() > 63 {
			return nil, false
		}
		return new(big.Rat).SetInt(i), true
	}
	f, _ := r.Float64()
	if f > 1.7e308 || f < -1.7e308 {
		return nil, false
	}
	return new(big.Rat).SetFloat64(f), true
}

func naiveIP(v any) (netip.Addr, bool) {
	s, ok := v.(string)
	if !ok {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	return a.WithZone("").Unmap(), err == nil
}

// naiveDate reads a date in milliseconds.
func naiveDate(v any) (int64, bool) {
	s, ok := naiveText(v)
	if _, isBool := v.(bool); !ok || isBool {
		return 0, false
	}
	t, _, err := datemath.ParseDate(s)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

// naiveCmp turns a comparison result into the range operator's verdict.
func naiveCmp(c int, op kql.RangeOp) bool {
	switch op {
	case kql.LT:
		return c < 0
	case kql.LTE:
		return c <= 0
	case kql.GT:
		return c > 0
	}
	return c >= 0
}

// errSkip marks a query the naive interpreter considers a compile error.
type errSkip struct{}

// naiveTerm judges field:literal for one value; it panics with errSkip when
// Elasticsearch would reject the literal for the type.
func naiveTerm(typ ecs.Type, l *kql.Literal, v any) bool {
	if l.Kind == kql.Null && !l.Quoted {
		panic(errSkip{})
	}
	s, isText := naiveText(v)
	switch {
	case typ == ecs.Keyword:
		if !isText || naiveTooLong(s) {
			return false
		}
		return naiveRegexp(l.Parts).MatchString(s)
	case typ.IsExact():
		if !isText {
			return false
		}
		if !l.IsWildcard() {
			return s == l.Text()
		}
		for _, p := range naivePieces(l.Parts) {
			if naiveRegexp(p).MatchString(s) {
				return true
			}
		}
		return false
	case typ.IsText():
		if !isText {
			return false
		}
		toks := analyze(s)
		if l.IsWildcard() {
			for _, p := range naivePieces(l.Parts) {
				if len(p) == 1 {
					for _, q := range analyze(p[0]) {
						for _, tok := range toks {
							if tok == q {
								return true
							}
						}
					}
					continue
				}
				re := naiveRegexp(strings.Split(strings.ToLower(strings.Join(p, "\x00")), "\x00"))
				for _, tok := range toks {
					if re.MatchString(tok) {
						return true
					}
				}
			}
			return false
		}
		q := analyze(l.Text())
		if l.Quoted && len(q) > 1 {
			return strings.Contains(" "+strings.Join(toks, " ")+" ", " "+strings.Join(q, " ")+" ")
		}
		for _, a := range q {
			for _, b := range toks {
				if a == b {
					return true
				}
			}
		}
		return false
	case typ == ecs.Long || typ == ecs.Double:
		if l.IsWildcard() {
			panic(errSkip{})
		}
		q, ok := naiveNumber(l.Text(), ecs.Double)
		if !ok {
			panic(errSkip{})
		}
		if typ == ecs.Long {
			exact, _ := new(big.Rat).SetString(javaTrim(l.Text()))
			if exact == nil || !exact.IsInt() || exact.Num().BitLen() > 63 {
				if exact != nil && exact.IsInt() {
					panic(errSkip{}) // out of range
				}
				return false
			}
			q = exact
		}
		if _, isBool := v.(bool); !isText || isBool {
			return false
		}
		n, ok := naiveNumber(s, typ)
		return ok && n.Cmp(q) == 0
	case typ == ecs.Date:
		if l.IsWildcard() {
			panic(errSkip{})
		}
		lo, hi := naiveDateRange(l, v, kql.GTE), naiveDateRange(l, v, kql.LTE)
		return lo && hi
	case typ == ecs.IP:
		if l.IsWildcard() {
			panic(errSkip{})
		}
		a, ok := naiveIP(v)
		if strings.Contains(l.Text(), "/") {
			p, err := netip.ParsePrefix(l.Text())
			if err != nil {
				panic(errSkip{})
			}
			p = p.Masked()
			if !ok {
				return false
			}
			if p.Addr().Is4() {
				return a.Is4() && p.Contains(a)
			}
			return p.Contains(netip.AddrFrom16(a.As16()))
		}
		q, err := netip.ParseAddr(l.Text())
		if err != nil {
			panic(errSkip{})
		}
		return ok && a == q.WithZone("").Unmap()
	case typ == ecs.Boolean:
		if l.IsWildcard() || l.Text() != "true" && l.Text() != "false" {
			panic(errSkip{})
		}
		if b, ok := v.(bool); ok {
			return fmt.Sprint(b) == l.Text()
		}
		return v == l.Text()
	}
	return false // object, nested: no values
}

func naiveDateRange(l *kql.Literal, v any, op kql.RangeOp) bool {
	e, err := datemath.Parse(l.Text())
	if err != nil {
		panic(errSkip{})
	}
	bound := e.Resolve(testNow, op == kql.GT || op == kql.LTE).UnixMilli()
	t, ok := naiveDate(v)
	if !ok {
		return false
	}
	switch {
	case t < bound:
		return naiveCmp(-1, op)
	case t > bound:
		return naiveCmp(1, op)
	}
	return naiveCmp(0, op)
}

// naiveRange judges field op literal for one value.
func naiveRange(typ ecs.Type, op kql.RangeOp, l *kql.Literal, v any) bool {
	if l.Kind == kql.Null && !l.Quoted {
		panic(errSkip{})
	}
	s, isText := naiveText(v)
	switch {
	case typ == ecs.Long || typ == ecs.Double:
		q, ok := naiveNumber(l.Text(), ecs.Double)
		if !ok {
			panic(errSkip{})
		}
		if typ == ecs.Long {
			exact, _ := new(big.Rat).SetString(javaTrim(l.Text()))
			if exact == nil || new(big.Int).Quo(exact.Num(), exact.Denom()).BitLen() > 63 {
				panic(errSkip{})
			}
			q = exact
		}
		if _, isBool := v.(bool); !isText || isBool {
			return false
		}
		n, ok := naiveNumber(s, typ)
		return ok && naiveCmp(n.Cmp(q), op)
	case typ == ecs.Date:
		return naiveDateRange(l, v, op)
	case typ == ecs.IP:
		q, err := netip.ParseAddr(l.Text())
		if err != nil {
			panic(errSkip{})
		}
		a, ok := naiveIP(v)
		if !ok {
			return false
		}
		x, y := a.As16(), q.WithZone("").Unmap().As16()
		return naiveCmp(strings.Compare(string(x[:]), string(y[:])), op)
	case typ == ecs.Boolean:
		if l.Text() != "true" && l.Text() != "false" {
			panic(errSkip{})
		}
		b, ok := v.(bool)
		if !ok {
			switch v {
			case "true":
				b, ok = true, true
			case "false":
				b, ok = false, true
			}
		}
		if !ok {
			return false
		}
		return naiveCmp(strings.Compare(fmt.Sprint(b), l.Text()), op)
	case typ.IsText():
		if !isText {
			return false
		}
		for _, tok := range analyze(s) {
			if naiveCmp(strings.Compare(tok, l.Text()), op) {
				return true
			}
		}
		return false
	case typ.IsExact():
		if !isText || typ == ecs.Keyword && naiveTooLong(s) {
			return false
		}
		return naiveCmp(strings.Compare(s, l.Text()), op)
	}
	return false
}

// naiveEval evaluates n over doc; scope is the nested group's full path.
func naiveEval(n kql.Node, doc map[string]any, scope string) bool {
	full := func(rel string) string {
		if scope == "" {
			return rel
		}
		return scope + "." + rel
	}
	switch t := n.(type) {
	case *kql.MatchAll:
		return true
	case *kql.Or:
		for _, x := range t.Terms {
			if naiveEval(x, doc, scope) {
				return true
			}
		}
		return false
	case *kql.And:
		for _, x := range t.Terms {
			if !naiveEval(x, doc, scope) {
				return false
			}
		}
		return true
	case *kql.Not:
		return !naiveEval(t.X, doc, scope)
	case *kql.Nested:
		path := t.Field.Text()
		for _, el := range naiveObjects(doc, path) {
			if naiveEval(t.Query, el, full(path)) {
				return true
			}
		}
		return false
	case *kql.Range:
		if !t.Field.Quoted && t.Field.IsWildcard() {
			return naiveAnyField(doc, scope, t.Field, func(typ ecs.Type, v any) bool {
				defer func() { _ = recover() }() // lenient: a value the type rejects is skipped
				return naiveRange(typ, t.Op, t.Value, v)
			})
		}
		typ := diffType(full(t.Field.Text()))
		for _, v := range naiveLeaves(doc, t.Field.Text()) {
			if naiveRange(typ, t.Op, t.Value, v) {
				return true
			}
		}
		return false
	case *kql.Match:
		return naiveValues(t.Value, func(l *kql.Literal) bool { return naiveMatch(t, l, doc, scope) })
	}
	panic(errSkip{})
}

// naiveCheckNesting panics with errSkip where Kibana rejects a field for
// its nesting.
func naiveCheckNesting(path, scope string) {
	if !naiveKnown(path) {
		return
	}
	owner := ""
	if strings.HasPrefix(path, "ns.") {
		owner = "ns"
	}
	if owner != scope {
		panic(errSkip{})
	}
}

func naiveValues(v kql.ValueNode, leaf func(*kql.Literal) bool) bool {
	switch t := v.(type) {
	case *kql.ValueOr:
		r := false
		for _, x := range t.Terms {
			r = naiveValues(x, leaf) || r // evaluate all: compile errors anywhere count
		}
		return r
	case *kql.ValueAnd:
		r := true
		for _, x := range t.Terms {
			r = naiveValues(x, leaf) && r
		}
		return r
	case *kql.ValueNot:
		return !naiveValues(t.X, leaf)
	case *kql.Literal:
		return leaf(t)
	}
	panic(errSkip{})
}

func naiveMatch(m *kql.Match, l *kql.Literal, doc map[string]any, scope string) bool {
	if m.IsFreeText() {
		if l.IsStar() {
			return true
		}
		return naiveAnyField(doc, scope, nil, func(typ ecs.Type, v any) bool {
			defer func() { _ = recover() }()
			if !l.IsWildcard() {
				return naiveTerm(typ, l, v)
			}
			for _, p := range naivePieces(l.Parts) {
				switch {
				case len(p) == 1:
					if func() bool {
						defer func() { _ = recover() }()
						return naiveTerm(typ, &kql.Literal{Parts: p}, v)
					}() {
						return true
					}
				case typ.IsText() || typ.IsExact():
					if naiveTerm(typ, &kql.Literal{Parts: p}, v) {
						return true
					}
				}
			}
			return false
		})
	}
	f := m.Field
	if !f.Quoted && f.IsWildcard() {
		if f.IsStar() && l.IsStar() {
			return true
		}
		return naiveAnyField(doc, scope, f, func(typ ecs.Type, v any) bool {
			if l.IsStar() {
				s, ok := naiveText(v)
				return !(typ == ecs.Keyword && ok && naiveTooLong(s))
			}
			defer func() { _ = recover() }()
			return naiveTerm(typ, l, v)
		})
	}
	path := f.Text()
	typ := diffType(scopeJoin(scope, path))
	vals := naiveLeaves(doc, path)
	if l.IsStar() {
		for _, v := range vals {
			s, ok := naiveText(v)
			if !(typ == ecs.Keyword && ok && naiveTooLong(s)) {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if naiveTerm(typ, l, v) {
			return true
		}
	}
	return false
}

func scopeJoin(scope, p string) string {
	if scope == "" {
		return p
	}
	return scope + "." + p
}

// naiveAnyField applies fn to every leaf (and its .text multi-field) whose
// name matches the pattern (nil: every leaf).
func naiveAnyField(doc map[string]any, scope string, pattern *kql.Literal, fn func(ecs.Type, any) bool) bool {
	var re *regexp.Regexp
	if pattern != nil && !pattern.IsStar() {
		re = naiveRegexp(pattern.Parts)
	}
	found := false
	var walk func(prefix string, x any)
	walk = func(prefix string, x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, v := range t {
				walk(scopeJoin(prefix, k), v)
			}
		case []any:
			for _, el := range t {
				walk(prefix, el)
			}
		case nil:
		default:
			for _, name := range []string{prefix, prefix + ".text"} {
				typ := diffType(scopeJoin(scope, name))
				if name != prefix {
					if t, ok := diffSchema[scopeJoin(scope, name)]; !ok || !t.IsText() {
						continue
					}
				}
				if (re == nil || re.MatchString(name)) && fn(typ, x) {
					found = true
				}
			}
		}
	}
	walk("", doc)
	return found
}

// naiveObjects returns the objects at path (every split, arrays flattened).
func naiveObjects(x any, path string) []map[string]any {
	var out []map[string]any
	switch t := x.(type) {
	case []any:
		for _, el := range t {
			out = append(out, naiveObjects(el, path)...)
		}
	case map[string]any:
		if path == "" {
			return []map[string]any{t}
		}
		for k, v := range t {
			if k == path {
				out = append(out, naiveObjects(v, "")...)
			} else if strings.HasPrefix(path, k+".") {
				out = append(out, naiveObjects(v, path[len(k)+1:])...)
			}
		}
	}
	return out
}

// naiveCheck panics with errSkip if Elasticsearch or Kibana would reject the
// query: each literal field's clauses are tried on a value no type takes,
// which runs their checks of the literal.
func naiveCheck(n kql.Node, scope string) {
	switch t := n.(type) {
	case *kql.Or:
		for _, x := range t.Terms {
			naiveCheck(x, scope)
		}
	case *kql.And:
		for _, x := range t.Terms {
			naiveCheck(x, scope)
		}
	case *kql.Not:
		naiveCheck(t.X, scope)
	case *kql.Nested:
		full := scopeJoin(scope, t.Field.Text())
		if naiveKnown(full) && diffType(full) != ecs.Nested {
			panic(errSkip{})
		}
		naiveCheck(t.Query, full)
	case *kql.Range:
		if t.Field.Quoted || !t.Field.IsWildcard() {
			full := scopeJoin(scope, t.Field.Text())
			naiveCheckNesting(full, scope)
			naiveRange(diffType(full), t.Op, t.Value, struct{}{})
		}
	case *kql.Match:
		if t.IsFreeText() || !t.Field.Quoted && t.Field.IsWildcard() {
			return
		}
		full := scopeJoin(scope, t.Field.Text())
		naiveCheckNesting(full, scope)
		kql.InspectValues(t.Value, func(v kql.ValueNode) bool {
			if l, ok := v.(*kql.Literal); ok && !l.IsStar() {
				naiveTerm(diffType(full), l, struct{}{})
			}
			return true
		})
	}
}

// naive runs the interpreter; ok is false when it considers the query a
// compile error.
func naive(q kql.Node, doc map[string]any) (verdict, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, skip := r.(errSkip); !skip {
				panic(r)
			}
			ok = false
		}
	}()
	naiveCheck(q, "")
	return naiveEval(q, doc, ""), true
}

// differential compares the compiled matcher with the naive interpreter.
func differential(t *testing.T, query, doc string) {
	t.Helper()
	q, err := kql.Parse(query)
	if err != nil {
		return
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	if d.Decode(&m) != nil || m == nil || d.More() || hasDuplicateKeys(doc) {
		return
	}
	cm, cerr := Compile(q, Options{Schema: ecs.NewSchema(diffSchema), Now: clock})
	want, ok := naive(q, m)
	if !ok {
		if cerr == nil {
			t.Fatalf("%s: compiles, but the naive interpreter rejects it", query)
		}
		return
	}
	if cerr != nil {
		t.Fatalf("%s: compile error %v, but the naive interpreter evaluates it (%v) on %s", query, cerr, want, doc)
	}
	ev := event.New([]byte(doc), cm.Plan())
	if ev.Err() != nil {
		return
	}
	if got := cm.Match(ev); got != want {
		t.Fatalf("%s on %s: matcher %v, naive %v\n%s", query, doc, got, want, cm.Explain(ev))
	}
	if want {
		checkRequired(t, cm, ev, query)
	}
}

// hasDuplicateKeys reports whether an object in doc repeats a key
// (Elasticsearch rejects such documents; encoding/json keeps the last).
func hasDuplicateKeys(doc string) bool {
	d := json.NewDecoder(strings.NewReader(doc))
	var stack []map[string]bool
	var inObj []bool
	expectKey := false
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, map[string]bool{})
				inObj = append(inObj, true)
				expectKey = true
				continue
			case '[':
				inObj = append(inObj, false)
			case '}':
				stack = stack[:len(stack)-1]
				inObj = inObj[:len(inObj)-1]
			case ']':
				inObj = inObj[:len(inObj)-1]
			}
		case string:
			if expectKey && len(inObj) > 0 && inObj[len(inObj)-1] {
				if stack[len(stack)-1][v] {
					return true
				}
				stack[len(stack)-1][v] = true
				expectKey = false
				continue
			}
		}
		expectKey = len(inObj) > 0 && inObj[len(inObj)-1]
	}
}

var diffSeeds = [][2]string{
	// A NUL in a free-text wildcard value is a character, not a wildcard
	// (the naive evaluator once used it as its wildcard mark).
	{"0* \x00", `{"a":""}`},
	{`k:x and not w:(y or z*)`, `{"k":"x","w":["q","zz"]}`},
	{`o.k:* or k:*x*`, `{"o":{"k":[null,"1"]}}`},
	{`not (k:1 and b:true)`, `{"k":1,"b":true}`},
	{`k:(x and not y)`, `{"k":["x","y"]}`},
	{`t:"failed login" or t:fail*`, `{"t":"User failed login"}`},
	{`n >= 400 and n:404`, `{"n":"404.5"}`},
	{`d <= "2024-05-01" and d > now-5y`, `{"d":"2024-05-01T10:00:00Z"}`},
	{`ip:10.0.0.0/8 or ip > 10.0.0.0`, `{"ip":"10.1.2.3"}`},
	{`ns:{ k:a and n:1 }`, `{"ns":[{"k":"a","n":2},{"k":"b","n":1}]}`},
	{`*:bob or k.*:Bob`, `{"k":"bob"}`},
	{`bob* "a b"`, `{"t":"a b bobby"}`},
	{`w:*a b*`, `{"w":"by"}`},
	{`fl.a:x and fl.b > 5`, `{"fl":{"a":"x","b":"6"}}`},
	{`x:0.5 or x < 1e3`, `{"x":"0.5"}`},
}

// FuzzMatch: the compiled matcher agrees with the naive interpreter on any
// query and document.
func FuzzMatch(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, query, doc string) {
		differential(t, query, doc)
		noPanic(query, doc)
	})
}

// noPanic compiles query with the built-in schema and evaluates and
// explains it on doc: no input may panic.
func noPanic(query, doc string) {
	q, err := kql.Parse(query)
	if err != nil {
		return
	}
	m, err := Compile(q, Options{Now: clock})
	if err != nil {
		return
	}
	ev := event.New([]byte(doc), m.Plan())
	m.Match(ev)
	_ = m.Explain(ev).String()
}

func TestDiffSeeds(t *testing.T) {
	for _, s := range diffSeeds {
		differential(t, s[0], s[1])
	}
}

// TestDifferentialRandom generates queries and documents over diffSchema
// from a small grammar and compares the two evaluators.
func TestDifferentialRandom(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		differential(t, genQuery(r, 3, false), genDoc(r))
	}
}

var (
	genFields = []string{"k", "w", "fl.a", "t", "n", "x", "d", "ip", "b", "o.k", "o.n", "u", "o"}
	genValues = []string{"a", "A", "b", "a b", `"a b"`, "x*", "*a*", "*", "1", "404", "-3.5", "1e2", "true", "false",
		"2024-05-01", `"2024-05-01T10:00:00Z"`, "now-1d/d", "10.0.0.0/8", "10.1.2.3", `"::1"`, `"failed login"`, "fail*", `""`}
	genScalars = []string{`"a"`, `"A"`, `"b"`, `"a b"`, `"x1"`, `"xa"`, `1`, `404`, `404.7`, `"404"`, `-3`, `1e2`, `true`, `false`,
		`"true"`, `"2024-05-01T10:00:00Z"`, `"2024-05-01"`, `1714557600000`, `"10.1.2.3"`, `"8.8.8.8"`, `"::ffff:10.0.0.1"`,
		`"failed login now"`, `"FAILED"`, `""`, `null`}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func genQuery(r *rand.Rand, depth int, nested bool) string {
	if depth > 0 {
		switch r.IntN(6) {
		case 0:
			return genQuery(r, depth-1, nested) + " and " + genQuery(r, depth-1, nested)
		case 1:
			return genQuery(r, depth-1, nested) + " or " + genQuery(r, depth-1, nested)
		case 2:
			return "not (" + genQuery(r, depth-1, nested) + ")"
		case 3:
			if !nested {
				return "ns:{ " + genQuery(r, depth-1, true) + " }"
			}
		}
	}
	field := pick(r, genFields)
	if nested {
		field = pick(r, []string{"k", "n", "zz"})
	}
	switch r.IntN(9) {
	case 0:
		return field + " " + pick(r, []string{"<", "<=", ">", ">="}) + " " + pick(r, genValues)
	case 1:
		return field + ":(" + pick(r, genValues) + " or " + pick(r, genValues) + ")"
	case 2:
		return field + ":(" + pick(r, genValues) + " and not " + pick(r, genValues) + ")"
	case 3:
		return pick(r, genValues) // free text
	case 4:
		return pick(r, []string{"*", "k*", "o.*", "*a"}) + ":" + pick(r, genValues)
	}
	return field + ":" + pick(r, genValues)
}

func genDoc(r *rand.Rand) string {
	var b strings.Builder
	b.WriteByte('{')
	keys := map[string]bool{}
	for i := range r.IntN(4) {
		k := pick(r, []string{"k", "w", "t", "n", "x", "d", "ip", "b", "u", "o", "fl", "ns", "o.k"})
		if keys[k] || k == "o.k" && keys["o"] || k == "o" && keys["o.k"] {
			continue
		}
		keys[k] = true
		if i > 0 && b.Len() > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", k)
		switch k {
		case "o", "fl":
			fmt.Fprintf(&b, `{"k":%s,"n":%s,"a":%s}`, pick(r, genScalars), pick(r, genScalars), pick(r, genScalars))
		case "ns":
			fmt.Fprintf(&b, `[{"k":%s,"n":%s},{"k":%s}]`, pick(r, genScalars), pick(r, genScalars), pick(r, genScalars))
		default:
			if r.IntN(3) == 0 {
				fmt.Fprintf(&b, "[%s,%s]", pick(r, genScalars), pick(r, genScalars))
			} else {
				b.WriteString(pick(r, genScalars))
			}
		}
	}
	b.WriteByte('}')
	return b.String()
}
