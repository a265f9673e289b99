package eql

import (
	"strings"
	"testing"
)

// parseTests give a query and its canonical form.
var parseTests = []struct {
	query, want string
}{
	{`process where true`, `process where true`},
	{`any where process.name == "cmd.exe"`, `any where process.name == "cmd.exe"`},
	{`"my category" where x`, `"my category" where x`},
	{`process where a == 1 and b != "x" or not c`, `process where a == 1 and b != "x" or not c`},
	{`process where a and (b or c)`, `process where a and (b or c)`},
	{`process where not a and b`, `process where not a and b`},
	{`process where not (a and b)`, `process where not (a and b)`},
	{`process where process.name : "CMD.exe"`, `process where process.name : "CMD.exe"`},
	{`process where process.name:("a*", "b?")`, `process where process.name : ("a*", "b?")`},
	{`process where x like~ ("a*")`, `process where x like~ ("a*")`},
	{`process where x regex~ """C:\\Windows\\.*"""`, `process where x regex~ "C:\\\\Windows\\\\.*"`},
	{`process where x in ("a", "b") and y not in (1, 2) and z in~ ("q")`, `process where x in ("a", "b") and y not in (1, 2) and z in~ ("q")`},
	{`process where a + b * c - -d % 2 > 1`, `process where a + b * c - -d % 2 > 1`},
	{`process where (a + b) * c == 2`, `process where (a + b) * c == 2`},
	{`process where a - (b - c) == 0`, `process where a - (b - c) == 0`},
	{`process where ?user.id == null and ` + "`my field`.x" + ` == 1`, `process where ?user.id == null and ` + "`my field`.x" + ` == 1`},
	{`process where startsWith~(process.name, "cmd") and CIDRMATCH(source.ip, "10.0.0.0/8")`, `process where startsWith~(process.name, "cmd") and CIDRMATCH(source.ip, "10.0.0.0/8")`},
	{"process where x == \"a\\t\\n\\r\\\"\\'\\\\\\u{41}\\u{1F600}\"", "process where x == \"a\\t\\n\\r\\\"'\\\\A\U0001F600\""},
	{"process where // comment\n x == 1 /* block\n comment */ and y", "process where x == 1 and y"},
	{`process where x == 1.5 and y == .5 and z == 1e3 and w == 2.`, `process where x == 1.5 and y == .5 and z == 1e3 and w == 2.`},
	{`sequence by host.id with maxspan=5m [process where true] by process.pid [network where true] by process.pid until [process where x]`,
		`sequence by host.id with maxspan=5m [process where true] by process.pid [network where true] by process.pid until [process where x]`},
	{`sequence [process where a] with runs=3`, `sequence [process where a] with runs=3`},
	{`sequence with maxspan=1h [a where b] ![c where d] [e where f]`, `sequence with maxspan=1h [a where b] ![c where d] [e where f]`},
	{`sample by host.id [a where b] [c where d]`, `sample by host.id [a where b] [c where d]`},
	{`process where true | head 5 | tail 2`, `process where true | head 5 | tail 2`},
	{`process where (x : "a") : "b"`, `process where (x : "a") : "b"`},
	{`process where -x : "a"`, `process where -x : "a"`},
	{`process where x : -1`, `process where x : -1`},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		s, err := Parse(tt.query)
		if err != nil {
			t.Errorf("Parse(%q): %s", tt.query, detail(err))
			continue
		}
		if got := s.String(); got != tt.want {
			t.Errorf("Parse(%q).String()\n got %s\nwant %s", tt.query, got, tt.want)
		}
		checkRoundTrip(t, tt.query, s)
	}
}

// errorTests give a query and its error: "line:col: message" prefix.
var errorTests = []struct {
	query, want string
}{
	{``, `1:1: unexpected end of the query: expected an event category`},
	{`process`, `1:8: unexpected end of the query: expected "where"`},
	{`process where`, `1:14: unexpected end of the query: expected an expression`},
	{`process where a = 1`, `1:17: "=" is not a comparison operator`},
	{`process where a == 'x'`, `1:20: use double quotes ["] to define string literals, not single quotes [']`},
	{`process where a == ?"x"`, `1:20: ?"..." strings are not supported`},
	{`process where a == "x`, `1:20: unterminated string`},
	{"process where a == \"x\ny\"", `1:22: line break inside a string`},
	{`process where a == "\q"`, `1:21: illegal escape sequence \q`},
	{`process where a == "\u{110000}"`, `1:21: invalid unicode escape \u{110000}`},
	{`process where a < b < c`, `1:21: comparisons do not chain`},
	{`process where a : b`, `1:19: unexpected "b": expected a constant`},
	{`process where a[0] == 1`, `1:16: array indexes are not supported`},
	{`process where a not b`, `1:21: unexpected "b": expected "in" or "in~" after "not"`},
	{`process where (a`, `1:17: unexpected end of the query: expected ")"`},
	{"process where a /* x", `1:17: unterminated comment`},
	{`process where a and`, `1:20: unexpected end of the query: expected an expression`},
	{`process where a b`, `1:17: unexpected "b": expected "and", "or", "|" or the end of the query`},
	{`sequence [a where b]`, `1:1: a sequence needs at least two steps, found 1`},
	{`sequence with maxspan=5m by x [a where b] [c where d]`, `1:26: sequence [by] goes before [with], not after`},
	{`sequence with maxspan=5y [a where b] [c where d]`, `1:23: unknown time unit "y" in maxspan`},
	{`sequence [a where b] with runs=0 [c where d]`, `1:32: runs must be an integer from 1 to 100`},
	{`join [a where b] [c where d]`, `1:1: join is not supported`},
	{"process where\n  x == \"é\" and ==", "2:16: unexpected \"==\": expected an expression"},
	{`process where ` + strings.Repeat("(", 300) + `a` + strings.Repeat(")", 300), `1:`},
	{`process where ` + strings.Repeat("not ", 300) + `a`, `1:`},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range errorTests {
		_, err := Parse(tt.query)
		if err == nil {
			t.Errorf("Parse(%q): no error, want %s", tt.query, tt.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q)\n got %s\nwant %s...", tt.query, err, tt.want)
		}
	}
}

func TestDetail(t *testing.T) {
	_, err := Parse("process where\n  x == 1 and = 2")
	want := "2:14: unexpected \"=\": expected an expression\n |   x == 1 and = 2\n |              ^\nhint: EQL compares with \"==\" (case-sensitive) or \":\" (case-insensitive)"
	if got := detail(err); got != want {
		t.Errorf("Detail:\n got %s\nwant %s", got, want)
	}
}

func TestDepthLimit(t *testing.T) {
	q := `process where ` + strings.Repeat("(", 10) + `a` + strings.Repeat(")", 10)
	if _, err := ParseWith(q, ParseOptions{MaxDepth: 5}); err == nil || !strings.Contains(err.Error(), "nests more than 5") {
		t.Errorf("MaxDepth 5: got %v, want a depth error", err)
	}
	if _, err := ParseWith(q, ParseOptions{MaxDepth: 20}); err != nil {
		t.Errorf("MaxDepth 20: %v", err)
	}
}
