package match

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// naiveEQL interprets `any where cond` on doc straight from the AST: each
// expression is a list of values (empty: null), each condition true, false
// or null, written without the compiler's shortcuts (no sets, no constant
// folding, wildcards as regular expressions). Functions share their
// implementations with the compiler; their null handling does not.
func naiveEQL(t testing.TB, cond, doc string) bool {
	t.Helper()
	s, err := eql.Parse("any where " + cond)
	if err != nil {
		t.Fatalf("parse %q: %v", cond, err)
	}
	ev := event.New([]byte(doc), nil)
	return naiveCond(ev, s.Query.(*eql.EventQuery).Where) == triTrue
}

func naiveCond(ev *event.Event, e eql.Expr) tri {
	switch x := e.(type) {
	case *eql.Bool:
		sawNull := false
		for _, k := range x.Terms {
			r := naiveCond(ev, k)
			if x.Op == eql.And && r == triFalse || x.Op == eql.Or && r == triTrue {
				return r
			}
			sawNull = sawNull || r == triNull
		}
		if sawNull {
			return triNull
		}
		return triOf(x.Op == eql.And)
	case *eql.Not:
		switch naiveCond(ev, x.X) {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		}
		return triNull
	case *eql.Compare:
		l, r := naiveEQLValues(ev, x.L), naiveEQLValues(ev, x.R)
		if _, ok := x.R.(*eql.Null); ok {
			return triOf((len(l) == 0) == (x.Op == eql.EQ))
		}
		if _, ok := x.L.(*eql.Null); ok {
			return triOf((len(r) == 0) == (x.Op == eql.EQ))
		}
		if len(l) == 0 || len(r) == 0 {
			return triNull
		}
		lt := naiveType(x.L)
		if naiveIsConst(x.L) {
			lt = naiveType(x.R)
		}
		op := x.Op
		if op == eql.NE {
			op = eql.EQ
		}
		any := false
		for _, a := range l {
			for _, b := range r {
				if naiveCompare(lt, a, b, op) {
					any = true
				}
			}
		}
		if x.Op == eql.NE {
			return triOf(!any)
		}
		return triOf(any)
	case *eql.In:
		vs := naiveEQLValues(ev, x.X)
		if len(vs) == 0 {
			return triNull
		}
		any := false
		for _, el := range x.List {
			for _, k := range naiveEQLValues(ev, el) {
				for _, v := range vs {
					if x.Insensitive && k.k == vStr {
						any = any || strings.EqualFold(v.text(), k.s)
					} else {
						any = any || naiveCompare(naiveType(x.X), v, k, eql.EQ)
					}
				}
			}
		}
		if !any {
			for _, el := range x.List {
				if _, null := el.(*eql.Null); null {
					return triNull // not of null is null too
				}
			}
		}
		return triOf(any != x.Not)
	case *eql.Match:
		vs := naiveEQLValues(ev, x.X)
		if len(vs) == 0 {
			return triNull
		}
		for _, p := range x.Patterns {
			k := naiveEQLValues(ev, p)[0]
			var re *regexp.Regexp
			switch x.Op {
			case eql.Regex, eql.RegexI:
				re, _ = luceneRegexp(k.s, x.Op == eql.RegexI)
			default:
				q := regexp.QuoteMeta(k.text())
				q = strings.ReplaceAll(strings.ReplaceAll(q, `\*`, `.*`), `\?`, `.`)
				if x.Op != eql.Like {
					q = "(?i)" + q
				}
				re = regexp.MustCompile(`^(?s:` + q + `)$`)
			}
			for _, v := range vs {
				if (v.k == vStr || x.Op == eql.Seq) && re.MatchString(v.text()) {
					return triTrue
				}
			}
		}
		return triFalse
	}
	for _, v := range naiveEQLValues(ev, e) {
		if v.k == vBool && v.b {
			return triTrue
		}
	}
	if len(naiveEQLValues(ev, e)) == 0 {
		return triNull
	}
	return triFalse
}

func naiveIsConst(e eql.Expr) bool {
	switch e.(type) {
	case *eql.String, *eql.Number, *eql.Boolean, *eql.Null:
		return true
	case *eql.Neg:
		return naiveIsConst(e.(*eql.Neg).X)
	}
	return false
}

// naiveType is the type comparisons use for e's values.
func naiveType(e eql.Expr) etype {
	switch x := e.(type) {
	case *eql.Field:
		return fieldType(eqlSchema.Type(x.Name()))
	case *eql.Number, *eql.Arith, *eql.Neg:
		return tNumber
	case *eql.Boolean, *eql.Compare, *eql.In, *eql.Match, *eql.Bool, *eql.Not:
		return tBool
	case *eql.Call:
		if f := eqlFuncs[strings.ToLower(x.Name)]; f != nil {
			return f.result
		}
	}
	return tString
}

func naiveCompare(t etype, a, b val, op eql.CompareOp) bool {
	c := 0
	switch {
	case t == tIP:
		if strings.Contains(b.s, "/") {
			p, _ := netip.ParsePrefix(b.s)
			ip, ok := parseIP(a.s)
			return ok && p.Masked().Contains(ip)
		}
		x, _ := parseIP(a.s)
		y, _ := parseIP(b.s)
		c = compareIP(x, y)
	case t == tDate:
		x, _, errA := datemath.ParseDate(a.text())
		y, _, errB := datemath.ParseDate(b.text())
		if errA != nil || errB != nil {
			return false
		}
		c = x.Compare(y)
	case a.k == vNum || b.k == vNum && t == tNumber:
		x, y := a.n, b.n
		if b.k == vStr {
			y, _ = strconv.ParseFloat(b.s, 64)
		}
		if a.k != vNum {
			return false
		}
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		}
	case a.k == vBool:
		if b.k != vBool {
			return false
		}
		c = b2i(a.b) - b2i(b.b)
	default:
		c = strings.Compare(a.text(), b.text())
	}
	switch op {
	case eql.EQ:
		return c == 0
	case eql.LT:
		return c < 0
	case eql.LE:
		return c <= 0
	case eql.GT:
		return c > 0
	}
	return c >= 0
}

func naiveEQLValues(ev *event.Event, e eql.Expr) []val {
	switch x := e.(type) {
	case *eql.String:
		return []val{strVal(x.Value)}
	case *eql.Number:
		v, _ := parseNumber(x.Text)
		return []val{v}
	case *eql.Boolean:
		return []val{boolVal(x.Value)}
	case *eql.Null:
		return nil
	case *eql.Field:
		f := &fieldExpr{t: fieldType(eqlSchema.Type(x.Name())), ft: eqlSchema.Type(x.Name())}
		if f.ft.IsText() {
			f.ft = ecs.Keyword
		}
		var out []val
		for _, v := range ev.Get(x.Name()) {
			if c, ok := f.conv(v); ok {
				out = append(out, c)
			}
		}
		return out
	case *eql.Neg:
		var out []val
		for _, v := range naiveScriptValues(ev, x.X) {
			if !x.Plus {
				v.n = -v.n
			}
			out = append(out, v)
		}
		return out
	case *eql.Arith:
		op := map[eql.ArithOp]byte{eql.Add: '+', eql.Sub: '-', eql.Mul: '*', eql.Div: '/', eql.Mod: '%'}[x.Op]
		var out []val
		for _, a := range naiveScriptValues(ev, x.L) {
			for _, b := range naiveScriptValues(ev, x.R) {
				if v, ok := arith(op)(false, []val{a, b}); ok {
					out = append(out, v)
				}
			}
		}
		return out
	case *eql.Call:
		f := eqlFuncs[strings.ToLower(x.Name)]
		args := make([][]val, len(x.Args))
		query := f.name == "cidrmatch" || (f.name == "startswith" || f.name == "endswith" || f.name == "stringcontains") && naiveIsConst(x.Args[1])
		for i, a := range x.Args {
			if query && i == 0 {
				args[i] = naiveEQLValues(ev, a)
			} else {
				args[i] = naiveScriptValues(ev, a)
			}
		}
		if f.name == "cidrmatch" {
			var out []val
			for _, v := range args[0] {
				ip, ok := parseIP(v.s)
				hit := false
				for _, n := range args[1:] {
					p, err := netip.ParsePrefix(n[0].s)
					hit = hit || ok && err == nil && p.Masked().Contains(ip)
				}
				out = append(out, boolVal(hit))
			}
			return out
		}
		var out []val
		var rec func(i int, cur []val)
		rec = func(i int, cur []val) {
			if i == len(args) {
				null := false
				for _, v := range cur {
					null = null || v.k == 0
				}
				if null && !f.nullsPass {
					return
				}
				if f.name == "between" && len(cur) == 4 && cur[3].k == 0 {
					cur[3] = val{k: vBool}
				}
				if v, ok := f.impl(x.Insensitive, append([]val(nil), cur...)); ok {
					out = append(out, v)
				}
				return
			}
			if len(args[i]) == 0 {
				rec(i+1, append(cur, val{}))
				return
			}
			for _, v := range args[i] {
				rec(i+1, append(cur, v))
			}
		}
		rec(0, nil)
		return out
	}
	switch naiveCond(ev, e) {
	case triTrue:
		return []val{boolVal(true)}
	case triFalse:
		return []val{boolVal(false)}
	}
	return nil
}

// naiveScriptValues is what a script of Elasticsearch reads for e: for a
// field, its doc values sorted (keywords by bytes, numbers by value, IP
// addresses by their 16-byte form), the first of them.
func naiveScriptValues(ev *event.Event, e eql.Expr) []val {
	vs := naiveEQLValues(ev, e)
	f, isField := e.(*eql.Field)
	if !isField || len(vs) < 2 {
		return vs
	}
	ipField := eqlSchema.Type(f.Name()) == ecs.IP
	sorted := append([]val(nil), vs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		switch {
		case a.k == vNum:
			return a.n < b.n
		case a.k == vBool:
			return !a.b && b.b
		case ipField:
			x, y := netip.MustParseAddr(a.s).As16(), netip.MustParseAddr(b.s).As16()
			return string(x[:]) < string(y[:])
		}
		return a.s < b.s
	})
	return sorted[:1]
}

// FuzzEQLDifferential generates conditions and documents from a seed and
// compares the compiled matcher with naiveEQL.
func FuzzEQLDifferential(f *testing.F) {
	for i := range 64 {
		f.Add(uint64(i), uint64(i*7919))
	}
	f.Fuzz(func(t *testing.T, a, b uint64) {
		r := rand.New(rand.NewPCG(a, b))
		cond := genEQLCond(r, 0)
		doc := genEQLDoc(r)
		s, err := eql.Parse("any where " + cond)
		if err != nil {
			t.Fatalf("generated %q does not parse: %v", cond, err)
		}
		m, err := CompileEQL(s, EQLOptions{Options: Options{Schema: eqlSchema}})
		if err != nil {
			return // a type error: nothing to compare
		}
		ev := event.New([]byte(doc), m.Plan())
		got := m.Match(ev)
		if want := naiveEQL(t, cond, doc); got != want {
			t.Fatalf("any where %s\non %s\ncompiled %v, naive %v", cond, doc, got, want)
		}
		if got {
			checkRequired(t, m, ev, "any where "+cond)
		}
	})
}

// checkRequired fails when ev, which m matches, misses one of m's
// requirements: they must be necessary.
func checkRequired(t *testing.T, m *Matcher, ev *event.Event, cond string) {
	t.Helper()
	holds := func(r Requirement) bool {
		id, _ := m.Plan().Lookup(r.Field)
		if r.Exists {
			return ev.Has(id)
		}
		for _, v := range ev.Values(id) {
			s := v.String()
			if r.Fold {
				s = FoldCase(s)
			}
			if slices.Contains(r.Values, s) || r.Prefix && slices.ContainsFunc(r.Values, func(p string) bool { return PrefixHolds(s, p) }) {
				return true
			}
		}
		return false
	}
	for _, r := range m.Required() {
		alts := r.Any
		if alts == nil {
			alts = []Requirement{r}
		}
		if !slices.ContainsFunc(alts, holds) {
			t.Fatalf("%s\non %s\nmatches but fails its requirement %+v", cond, ev.Raw(), r)
		}
	}
}

func TestEQLDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		cond, doc := genEQLCond(r, 0), genEQLDoc(r)
		s, err := eql.Parse("any where " + cond)
		if err != nil {
			t.Fatalf("generated %q does not parse: %v", cond, err)
		}
		m, err := CompileEQL(s, EQLOptions{Options: Options{Schema: eqlSchema}})
		if err != nil {
			continue
		}
		ev := event.New([]byte(doc), m.Plan())
		got := m.Match(ev)
		if want := naiveEQL(t, cond, doc); got != want {
			t.Fatalf("any where %s\non %s\ncompiled %v, naive %v", cond, doc, got, want)
		}
		if got {
			checkRequired(t, m, ev, "any where "+cond)
		}
	}
}

var (
	genEQLStrings = []string{`"a"`, `"A"`, `"ab"`, `"b*"`, `"*B"`, `"?"`, `""`, `"10.0.0.1"`, `"1"`, `"?bcd*"`}
	genEQLDocs    = []string{`"a"`, `"A"`, `"ab"`, `"Ba"`, `""`, `"10.0.0.1"`, `"1"`, `1`, `2.5`, `true`, `null`, `["a","B"]`, `[1,3]`, `"2024-05-01T10:00:00+02:00"`, `"2024-05-01T00:00:00Z"`, `"abcde"`, `"ÉBCD"`}
)

func genEQLCond(r *rand.Rand, depth int) string {
	if depth < 3 {
		switch r.IntN(6) {
		case 0:
			return genEQLCond(r, depth+1) + " and " + genEQLCond(r, depth+1)
		case 1:
			return "(" + genEQLCond(r, depth+1) + " or " + genEQLCond(r, depth+1) + ")"
		case 2:
			return "not " + genEQLCond(r, depth+1)
		}
	}
	f := []string{"kw", "l", "d", "ip", "b", "missing", "dt"}[r.IntN(7)]
	switch r.IntN(9) {
	case 0:
		return f + " " + []string{"==", "!=", "<", ">="}[r.IntN(4)] + " " + genEQLConst(r, f)
	case 1:
		return f + " : " + genEQLStrings[r.IntN(len(genEQLStrings))]
	case 2:
		last := genEQLConst(r, f)
		if r.IntN(5) == 0 {
			last = "null"
		}
		return f + []string{" in ", " not in ", " in~ "}[r.IntN(3)] + "(" + genEQLConst(r, f) + ", " + last + ")"
	case 3:
		return f + []string{" like ", " like~ "}[r.IntN(2)] + "(" + genEQLStrings[r.IntN(len(genEQLStrings))] + ", " + genEQLStrings[r.IntN(len(genEQLStrings))] + ")"
	case 4:
		return f + " == null"
	case 5:
		return []string{"startsWith", "endsWith~", "stringContains"}[r.IntN(3)] + "(" + f + ", " + genEQLStrings[r.IntN(len(genEQLStrings))] + ")"
	case 6:
		return "length(" + f + ") > " + strconv.Itoa(r.IntN(3))
	case 7:
		return f + " + 1 == " + strconv.Itoa(r.IntN(4))
	}
	return f + " regex~ " + []string{`"a.*"`, `"[ab]+"`, `"a|b"`}[r.IntN(3)]
}

func genEQLConst(r *rand.Rand, f string) string {
	switch f {
	case "l", "d":
		return []string{"1", "2.5", "3", "-1"}[r.IntN(4)]
	case "b":
		return []string{"true", "false"}[r.IntN(2)]
	case "ip":
		return []string{`"10.0.0.1"`, `"10.0.0.0/8"`, `"::1"`}[r.IntN(3)]
	case "dt":
		return []string{`"2024-05-01T10:00:00Z"`, `"2024-05-01"`, `1714550400000`}[r.IntN(3)]
	}
	return genEQLStrings[r.IntN(len(genEQLStrings))]
}

func genEQLDoc(r *rand.Rand) string {
	var parts []string
	for _, f := range []string{"kw", "l", "d", "ip", "b", "dt"} {
		if r.IntN(4) > 0 {
			parts = append(parts, `"`+f+`":`+genEQLDocs[r.IntN(len(genEQLDocs))])
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// A prefix after '?'s holds on the values its pattern matches, multi-byte
// characters and folding included.
func TestEQLSkippedPrefixRequired(t *testing.T) {
	for _, c := range []struct{ cond, doc string }{
		{`kw : "?bcd*"`, `{"kw":"abcde"}`},
		{`kw : "?bcd*"`, `{"kw":"ÉBCD"}`},
		{`kw like "??bcd*"`, `{"kw":"éébcd"}`},
		{`kw : ("?:\\users\\*", "x")`, `{"kw":["y","C:\\Users\\a"]}`},
	} {
		s, err := eql.Parse("any where " + c.cond)
		if err != nil {
			t.Fatal(err)
		}
		m, err := CompileEQL(s, EQLOptions{Options: Options{Schema: eqlSchema}})
		if err != nil {
			t.Fatal(err)
		}
		ev := event.New([]byte(c.doc), m.Plan())
		if !m.Match(ev) {
			t.Fatalf("%s does not match %s", c.cond, c.doc)
		}
		if r := m.Required(); len(r) != 1 || !r[0].Prefix || !strings.HasPrefix(r[0].Values[0], "?") {
			t.Fatalf("%s: requirements %+v, want a prefix after '?'", c.cond, r)
		}
		checkRequired(t, m, ev, c.cond)
	}
}

func TestPrefixHolds(t *testing.T) {
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"abc", "abc", true},
		{"abc", "ab", true},
		{"abc", "?bc", true},
		{"éxy", "?xy", true},
		{"\xffxy", "?xy", true},
		{"ab", "??", true},
		{"a", "??", false},
		{"", "?", false},
		{"abc", "?c", false},
		{"abc", "", true},
	} {
		if got := PrefixHolds(c.s, c.p); got != c.want {
			t.Errorf("PrefixHolds(%q, %q) = %v, want %v", c.s, c.p, got, c.want)
		}
	}
}
