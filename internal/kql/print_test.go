package kql

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCanonical checks the canonical form of parsed queries.
func TestCanonical(t *testing.T) {
	tests := []struct {
		query string
		want  string
	}{
		{seedQuery, seedQuery},
		{``, `*:*`},
		{`*:(*)`, `*:*`},
		{`a:1 AND NOT b:2 Or c:3`, `a:1 and not b:2 or c:3`},
		{"a:1\n\tand\u00a0b:2", `a:1 and b:2`},
		{`(a:1 or b:2) and c:3`, `(a:1 or b:2) and c:3`},
		{`a:1 or (b:2 and c:3)`, `a:1 or b:2 and c:3`},
		{`((a:1))`, `a:1`},
		{`(a:1 or b:2) or c:3`, `a:1 or b:2 or c:3`},
		{`not (a:1 or b:2)`, `not (a:1 or b:2)`},
		{`not (a:1 and b:2)`, `not (a:1 and b:2)`},
		{`not (not a:1)`, `not (not a:1)`},
		{`not (a:1)`, `not a:1`},
		{`NOT   a:1`, `not a:1`},
		{`f : ( a OR b )`, `f:(a or b)`},
		{`f:(a)`, `f:a`},
		{`f:((a or b) and c)`, `f:((a or b) and c)`},
		{`f:(a or (b and c))`, `f:(a or b and c)`},
		{`f:(not (a or b))`, `f:(not (a or b))`},
		{`f:(not a)`, `f:(not a)`},
		{`f:(not (not a))`, `f:(not (not a))`},
		{`a>=5`, `a >= 5`},
		{`a<5`, `a < 5`},
		{`a:{b:1}`, `a:{ b:1 }`},
		{`a : {  b:{c:1}  }`, `a:{ b:{ c:1 } }`},
		{`f:   vm 01  `, `f:vm 01`},
		{`x:ab\*`, `x:ab\*`},
		{`x:a*b\*c`, `x:a*b\*c`},
		{`f:\\\(\)\:\<\>\"\*\{\}`, `f:\\\(\)\:\<\>\"\*\{\}`},
		{`f:\u0041\u00e9`, `f:Aé`},
		{`f:a\tb\rc\nd`, `f:a\tb\rc\nd`},
		{"f:a\u00a0b", `f:a\u00a0b`},
		{"f:a\u2003b", `f:a\u2003b`},
		{`f:\ud83d\ude00`, `f:😀`},
		{`f:\u0000`, `f:\u0000`},
		{`f:\t`, `f:\t`},
		{`f:\and`, `f:and`},
		{`f:a \or b`, `f:a \or b`},
		{`f:a \OR b`, `f:a \OR b`},
		{`f:a \and b`, `f:a \and b`},
		{`f:\and or g:x`, `f:and or g:x`},
		{`f:b or`, `f:b or`},
		{`f:b \or or g:x`, `f:b \or or g:x`},
		{`f:(b \or or c)`, `f:(b \or or c)`},
		{`f:(c or b \or)`, `f:(c or b or)`},
		{`f:can\u006eot do`, `f:can\u006eot do`},
		{`f:can\Not do`, `f:can\Not do`},
		{`f:\not`, `f:ot`},
		{`f:kn\u006ft`, `f:knot`},
		{`f:kn\u006ft or g:x`, `f:k\u006eot or g:x`},
		{`f:(kn\u006ft)`, `f:knot`},
		{`f:(kn\u006ft or x)`, `f:(k\u006eot or x)`},
		{`f:(x or kn\u006ft)`, `f:(x or knot)`},
		{`f:kn\u006ft*`, `f:knot*`},
		{`f: or b`, `f:or b`},
		{`a or or b`, `a or or b`},
		{`f:"a\"b\\c"`, `f:"a\"b\\c"`},
		{`f:"C:\Windows"`, `f:"C:\\Windows"`},
		{`f:"C:\temp"`, `f:"C:\temp"`},
		{"f:\"a\nb\"", `f:"a\nb"`},
		{"f:\"\u00a0\"", `f:"\u00a0"`},
		{`f:"\uD83D\uDE00"`, `f:"😀"`},
		{`f:true`, `f:true`},
		{`f:"true"`, `f:"true"`},
		{`f:tru\u0065`, `f:true`},
		{`"user name":x`, `"user name":x`},
		{`a b:c`, `a b:c`},
		{`hello world`, `hello world`},
		{`"failed login"`, `"failed login"`},
		{`user.*:bob`, `user.*:bob`},
		{`@timestamp < now-5m`, `@timestamp < now-5m`},
		{`x > 2022-02-17||+1M/d`, `x > 2022-02-17||+1M/d`},
		{`a:b  or c`, `a:b or c`},
	}
	for _, tt := range tests {
		n, err := Parse(tt.query)
		if err != nil {
			t.Errorf("Parse(%q): %s", tt.query, detail(err))
			continue
		}
		if got := n.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.query, got, tt.want)
		}
		checkRoundTrip(t, tt.query, n)
	}
}

// TestPrintBuilt prints trees built by hand, which may hold text that the
// parser never produces in that place: the printer must escape it so that
// it parses back.
func TestPrintBuilt(t *testing.T) {
	tests := []struct {
		name string
		node Node
		want string
	}{
		{"range field ending in not", rng("knot", GTE, lit("5")), `k\u006eot >= 5`},
		{"range field ending in NOT", rng("kNOT", GTE, lit("5")), `k\NOT >= 5`},
		{"range field ending in or", rng("a or", LT, lit("5")), `a \or < 5`},
		{"value ending in and", and(fmatch("f", lit("a and")), fmatch("g", lit("b"))), `f:a \and and g:b`},
		{"value ending in not before or", or(fmatch("f", lit("not")), fmatch("g", lit("b"))), `f:\u006eot or g:b`},
		{"value starting with not", fmatch("f", lit("not x")), `f:\u006eot x`},
		{"value last in query keeps not", fmatch("f", lit("knot")), `f:knot`},
		{"nested value ending in not", nested("a", fmatch("b", lit("knot"))), `a:{ b:k\u006eot }`},
		{"wildcard part with keyword", fmatch("f", lit("a", " or b")), `f:a* \or b`},
		{"wildcard part ending in or", fmatch("f", lit("x or", "")), `f:x or*`},
		{"specials", fmatch("f(", lit(`a:b"c`)), `f\(:a\:b\"c`},
		{"quoted field and value", match(qlit(`a"b`), qlit("c\\d")), `"a\"b":"c\\d"`},
		{"free text list", &Match{Value: vor(lit("a"), lit("b"))}, `(a or b)`},
		{"match all in and", and(&MatchAll{}, fmatch("a", lit("1"))), `*:* and a:1`},
		{"not of match all", not(&MatchAll{}), `not *:*`},
		{"null literal", fmatch("f", nullLit()), `f:null`},
		{"false literal", fmatch("f", boolLit(false)), `f:false`},
		{"astral non-printable", fmatch("f", lit("a\U000E0001")), `f:a\udb40\udc01`},
		{"value not operand list", fmatch("f", vnot(vand(lit("a"), lit("b")))), `f:(not (a and b))`},
		{"and of ors", and(or(text(lit("a")), text(lit("b"))), text(lit("c"))), `(a or b) and c`},
		{"nil pieces", &Match{}, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.node.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if tt.want == "" || tt.name == "free text list" {
				return // not expressible in KQL
			}
			got, err := Parse(tt.want)
			if err != nil {
				t.Fatalf("Parse(%q): %s", tt.want, detail(err))
			}
			if diff := cmp.Diff(tt.node, got, ignorePos); diff != "" {
				t.Errorf("Parse(%q) mismatch (-built +parsed):\n%s", tt.want, diff)
			}
		})
	}
}
