package match

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// eqlSchema adds to typesSchema a text field with a keyword sub-field.
var eqlSchema = func() *ecs.Schema {
	m := map[string]ecs.Type{"tk": ecs.Text, "tk.keyword": ecs.Keyword, "event.category": ecs.Keyword,
		"process.name": ecs.Keyword, "process.pid": ecs.Long, "process.args": ecs.Keyword, "source.ip": ecs.IP}
	for _, k := range []string{"kw", "ck", "wc", "fl", "txt", "mot", "l", "i", "d", "f", "dt", "ip", "b", "geo", "obj", "obj.a"} {
		m[k] = typesSchema.Type(k)
	}
	return ecs.NewSchema(m)
}()

func compileEQL(t testing.TB, query string) *Matcher {
	t.Helper()
	s, err := eql.Parse(query)
	if err != nil {
		t.Fatalf("parse %q: %v", query, err)
	}
	m, err := CompileEQL(s, EQLOptions{Options: Options{Schema: eqlSchema}})
	if err != nil {
		t.Fatalf("compile %q: %v", query, err)
	}
	return m
}

// eqlCases are `any where <cond>` on a document: Elasticsearch's verdict,
// from its EQL reference (operators, functions, null handling).
var eqlCases = []matchCase{
	// == is case-sensitive and exact; : is case-insensitive with wildcards.
	{`kw == "cmd.exe"`, `{"kw":"cmd.exe"}`, true},
	{`kw == "CMD.exe"`, `{"kw":"cmd.exe"}`, false},
	{`kw : "CMD.EXE"`, `{"kw":"cmd.exe"}`, true},
	{`kw : "cmd*"`, `{"kw":"CMD.exe"}`, true},
	{`kw : "c?d.exe"`, `{"kw":"cmd.exe"}`, true},
	{`kw : "c?.exe"`, `{"kw":"cmd.exe"}`, false},
	{`kw : ("a", "*.EXE")`, `{"kw":"cmd.exe"}`, true},
	{`kw : ("?:\\Windows\\Tasks\\*.exe", "?:\\Intel\\*.exe", "?:\\AMD\\Temp\\*.exe", "?:\\Windows\\csc\\*.exe", "?:\\Windows\\Fonts\\*.exe", "?:\\Windows\\INF\\*.exe", "?:\\Windows\\Help\\*.exe", "*\\Temp\\x?.exe")`, `{"kw":"C:\\windows\\fonts\\a.EXE"}`, true},
	{`kw : ("?:\\Windows\\Tasks\\*.exe", "?:\\Intel\\*.exe", "?:\\AMD\\Temp\\*.exe", "?:\\Windows\\csc\\*.exe", "?:\\Windows\\Fonts\\*.exe", "?:\\Windows\\INF\\*.exe", "?:\\Windows\\Help\\*.exe", "*\\Temp\\x?.exe")`, `{"kw":"D:\\temp\\XY.exe"}`, true},
	{`kw : ("?:\\Windows\\Tasks\\*.exe", "?:\\Intel\\*.exe", "?:\\AMD\\Temp\\*.exe", "?:\\Windows\\csc\\*.exe", "?:\\Windows\\Fonts\\*.exe", "?:\\Windows\\INF\\*.exe", "?:\\Windows\\Help\\*.exe", "*\\Temp\\x?.exe")`, `{"kw":"C:\\Windows\\System32\\a.exe"}`, false},
	{`kw == "cmd*"`, `{"kw":"cmd.exe"}`, false}, // == has no wildcards
	{`kw : "C:\\Windows\\*"`, `{"kw":"c:\\windows\\system32"}`, true},
	{`kw like "cmd*"`, `{"kw":"cmd.exe"}`, true},
	{`kw like "CMD*"`, `{"kw":"cmd.exe"}`, false},
	{`kw like~ "CMD*"`, `{"kw":"cmd.exe"}`, true},
	{`kw like ("x", "c?d.exe")`, `{"kw":"cmd.exe"}`, true},
	// regex: Lucene syntax over the whole value.
	{`kw regex "cm.\\.exe"`, `{"kw":"cmd.exe"}`, true},
	{`kw regex "cm"`, `{"kw":"cmd.exe"}`, false},
	{`kw regex ".*[0-9]{3}"`, `{"kw":"a123"}`, true},
	{`kw regex "CMD.*"`, `{"kw":"cmd.exe"}`, false},
	{`kw regex~ "CMD.*"`, `{"kw":"cmd.exe"}`, true},
	{`kw regex "a\\d+"`, `{"kw":"a12"}`, true},
	{`kw regex """a"b.c"d"""`, `{"kw":"ab.cd"}`, true},
	{`kw regex """a"b.c"d"""`, `{"kw":"abxcd"}`, false},
	{`kw regex "^a$"`, `{"kw":"a"}`, false}, // ^ and $ are literal in Lucene
	{`kw regex "a@"`, `{"kw":"abc"}`, true},
	// in, in~, not in.
	{`kw in ("a", "b")`, `{"kw":"b"}`, true},
	{`kw in ("a", "b")`, `{"kw":"B"}`, false},
	{`kw in~ ("a", "b")`, `{"kw":"B"}`, true},
	{`kw not in ("a", "b")`, `{"kw":"c"}`, true},
	{`kw not in ("a", "b")`, `{}`, false},
	{`l in (1, 2)`, `{"l":2}`, true},
	{`l in (1, 2)`, `{"l":"2"}`, true},
	{`kw in ("a", null)`, `{"kw":"a"}`, true},
	{`kw in ("a", null)`, `{"kw":"b"}`, false},
	{`not kw in ("a", null)`, `{"kw":"b"}`, false}, // null, not false
	{`kw not in ("a", null)`, `{"kw":"b"}`, false},
	{`not kw in ("a")`, `{"kw":"b"}`, true},
	// Nulls: a missing field is null; not of null is null.
	{`kw != "a"`, `{}`, false},
	{`kw != "a"`, `{"kw":"b"}`, true},
	{`not kw == "a"`, `{}`, false},
	{`not (kw == "a" or l == 1)`, `{"l":2}`, false},
	{`kw == "a" or l == 1`, `{"l":1}`, true},
	{`kw == null`, `{}`, true},
	{`kw == null`, `{"kw":"a"}`, false},
	{`kw != null`, `{"kw":"a"}`, true},
	{`?nope == null`, `{}`, true},
	{`?kw == "a"`, `{"kw":"a"}`, true},
	// Multi-valued fields: a value satisfies; != needs all to differ.
	{`kw == "b"`, `{"kw":["a","b"]}`, true},
	{`kw != "b"`, `{"kw":["a","b"]}`, false},
	{`kw : "B*"`, `{"kw":["a","bc"]}`, true},
	{`kw not in ("a")`, `{"kw":["a","b"]}`, false},
	// Comparisons.
	{`l > 5`, `{"l":6}`, true},
	{`l >= 6.5`, `{"l":6}`, false},
	{`d < 1.5`, `{"d":1.25}`, true},
	{`5 < l`, `{"l":6}`, true},
	{`kw < "b"`, `{"kw":"a"}`, true},
	{`kw > "B"`, `{"kw":"a"}`, true},
	{`ip == "10.0.0.1"`, `{"ip":"10.0.0.1"}`, true},
	{`ip == "10.0.0.0/8"`, `{"ip":"10.1.2.3"}`, true},
	{`ip > "10.0.0.1"`, `{"ip":"10.0.0.2"}`, true},
	{`dt > "2024-05-01T00:00:00Z"`, `{"dt":"2024-05-01T10:00:00+02:00"}`, true},
	{`dt < "2024-05-01T09:00:00Z"`, `{"dt":"2024-05-01T10:00:00+02:00"}`, true},
	{`dt == "2024-05-01T08:00:00Z"`, `{"dt":"2024-05-01T10:00:00+02:00"}`, true},
	{`dt >= 1714550400000`, `{"dt":"2024-05-01T10:00:00Z"}`, true},
	{`dt in ("2024-05-01T10:00:00.000Z")`, `{"dt":"2024-05-01T10:00:00Z"}`, true},
	{`b == true`, `{"b":true}`, true},
	{`b == true`, `{"b":"true"}`, true},
	{`b`, `{"b":true}`, true},
	{`b`, `{"b":false}`, false},
	{`tk == "Hello"`, `{"tk":"Hello"}`, true},
	{`true`, `{}`, true},
	{`false or true`, `{}`, true},
	// Arithmetic.
	{`l + 1 == 7`, `{"l":6}`, true},
	{`l * 2 - 1 == 11`, `{"l":6}`, true},
	{`l / 4 == 1`, `{"l":6}`, true},
	{`l / 4.0 == 1.5`, `{"l":6}`, true},
	{`l % 4 == 2`, `{"l":6}`, true},
	{`-l == -6`, `{"l":6}`, true},
	{`l / 0 == 1`, `{"l":6}`, false},
	{`1 + 2 == 3`, `{}`, true},
	// Functions.
	{`add(l, 5) == 9`, `{"l":4}`, true},
	{`add(l, 0.5) == 4.5`, `{"l":4}`, true},
	{`add(l, null) == null`, `{"l":4}`, true},
	{`subtract(l, 5) == -1`, `{"l":4}`, true},
	{`multiply(l, 2) == 8`, `{"l":4}`, true},
	{`divide(l, 3) == 1`, `{"l":4}`, true},
	{`divide(4.0, 2) == 2.0`, `{}`, true},
	{`modulo(l, 3) == 1`, `{"l":4}`, true},
	{`between(kw, "System32\\", ".exe") == "cmd"`, `{"kw":"C:\\Windows\\System32\\cmd.exe"}`, true},
	{`between(kw, "system32\\", ".exe") == ""`, `{"kw":"C:\\Windows\\System32\\cmd.exe"}`, true},
	{`between~(kw, "system32\\", ".exe") == "cmd"`, `{"kw":"C:\\Windows\\System32\\cmd.exe"}`, true},
	{`between(kw, "\\", "\\", true) == "Windows\\System32"`, `{"kw":"C:\\Windows\\System32\\cmd.exe"}`, true},
	{`between(kw, "\\", "\\", false) == "Windows"`, `{"kw":"C:\\Windows\\System32\\cmd.exe"}`, true},
	{`cidrMatch(ip, "192.168.0.0/16")`, `{"ip":"192.168.152.12"}`, true},
	{`cidrMatch(ip, "10.0.0.0/8", "192.168.0.0/16")`, `{"ip":"192.168.152.12"}`, true},
	{`cidrMatch(ip, "10.0.0.0/8")`, `{"ip":"192.168.152.12"}`, false},
	{`cidrMatch(ip, "10.0.0.0/8") == null`, `{}`, true},
	{`concat(kw, " ", l) == "a 4"`, `{"kw":"a","l":4}`, true},
	{`concat(kw, null) == null`, `{"kw":"a"}`, true},
	{`concat(1, 2.5, true) == "12.5true"`, `{}`, true},
	{`endsWith(kw, ".exe")`, `{"kw":"cmd.exe"}`, true},
	{`endsWith(kw, ".EXE")`, `{"kw":"cmd.exe"}`, false},
	{`endsWith~(kw, ".EXE")`, `{"kw":"cmd.exe"}`, true},
	{`endswith~(kw, ".EXE")`, `{"kw":"cmd.exe"}`, true},
	{`indexOf(kw, "a") == 1`, `{"kw":"banana"}`, true},
	{`indexOf(kw, "a", 2) == 3`, `{"kw":"banana"}`, true},
	{`indexOf(kw, "z") == null`, `{"kw":"banana"}`, true},
	{`indexOf(kw, "A") == null`, `{"kw":"banana"}`, true},
	{`indexOf~(kw, "A") == 1`, `{"kw":"banana"}`, true},
	{`indexOf(kw, "") == 0`, `{"kw":""}`, true},
	{`length(kw) == 5`, `{"kw":"héllo"}`, true},
	{`length(kw) == 0`, `{"kw":""}`, true},
	{`number(kw) == 1.5`, `{"kw":"1.5"}`, true},
	{`number(kw, 16) == 16`, `{"kw":"0x10"}`, true},
	{`number(kw) == 16`, `{"kw":"0x10"}`, true},
	{`number(kw, 2) == 5`, `{"kw":"101"}`, true},
	{`number(kw) == null`, `{"kw":"foo"}`, true},
	{`startsWith(kw, "cmd")`, `{"kw":"cmd.exe"}`, true},
	{`startsWith(kw, "CMD")`, `{"kw":"cmd.exe"}`, false},
	{`startsWith~(kw, "CMD")`, `{"kw":"cmd.exe"}`, true},
	{`string(l) == "4"`, `{"l":4}`, true},
	{`string(d) == "4.5"`, `{"d":4.5}`, true},
	{`string(b) == "true"`, `{"b":true}`, true},
	{`stringContains(kw, "md.e")`, `{"kw":"cmd.exe"}`, true},
	{`stringContains(kw, "MD")`, `{"kw":"cmd.exe"}`, false},
	{`stringContains~(kw, "MD")`, `{"kw":"cmd.exe"}`, true},
	{`substring(kw, 2) == "art_substring"`, `{"kw":"start_substring"}`, true},
	{`substring(kw, 1, 5) == "tart"`, `{"kw":"start_substring"}`, true},
	{`substring(kw, -4) == "ring"`, `{"kw":"start_substring"}`, true},
	{`substring(kw, -4, -1) == "rin"`, `{"kw":"start_substring"}`, true},
	{`substring(kw, 10, 2) == ""`, `{"kw":"start_substring"}`, true},
	// A function runs in Elasticsearch's script, which reads a field's first
	// doc value: the least, as doc values are sorted.
	{`length(kw) > 3`, `{"kw":["ab","abcd"]}`, false},
	{`length(kw) > 3`, `{"kw":["abcd","xy"]}`, true},
	{`length(kw) == 0`, `{"kw":["x",""]}`, true},
	{`substring(kw, 0, 1) == "a"`, `{"kw":["zz","ab"]}`, true},
	{`substring(kw, 0, 1) == "z"`, `{"kw":["zz","ab"]}`, false},
	{`l + 1 == 3`, `{"l":[7,2]}`, true},
	{`l + 1 == 8`, `{"l":[7,2]}`, false},
	{`string(ip) == "::1"`, `{"ip":["10.0.0.1","::1"]}`, true},
	{`string(ip) == "10.0.0.1"`, `{"ip":["fe80::1","10.0.0.1"]}`, true},
	{`endsWith(string(ip), "0.1")`, `{"ip":["10.0.0.1","::1"]}`, false},
	// startsWith, endsWith and stringContains of a field and a constant are
	// queries: any value.
	{`startsWith(kw, "zz")`, `{"kw":["zz","ab"]}`, true},
	{`endsWith(kw, "z")`, `{"kw":["zz","ab"]}`, true},
	{`stringContains(kw, "z")`, `{"kw":["zz","ab"]}`, true},
	{`not stringContains(kw, "z")`, `{"kw":["zz","ab"]}`, false},
	{`startsWith(kw, ck)`, `{"kw":["zz","ab"],"ck":"z"}`, false},
	{`startsWith(kw, "x")`, `{}`, false},
	{`not startsWith(kw, "x")`, `{}`, false},
}

func TestEQLSemantics(t *testing.T) {
	for _, tt := range eqlCases {
		m := compileEQL(t, "any where "+tt.query)
		ev := event.New([]byte(tt.doc), m.Plan())
		if got := m.Match(ev); got != tt.want {
			t.Errorf("%s on %s = %v, want %v", tt.query, tt.doc, got, tt.want)
		}
		if x := m.Explain(ev); x.Match != tt.want {
			t.Errorf("%s on %s: Explain says %v:\n%s", tt.query, tt.doc, x.Match, x)
		}
		if got := naiveEQL(t, tt.query, tt.doc); got != tt.want {
			t.Errorf("naive: %s on %s = %v, want %v", tt.query, tt.doc, got, tt.want)
		}
	}
}

func TestEQLCategory(t *testing.T) {
	m := compileEQL(t, `process where process.name : "cmd.exe"`)
	for doc, want := range map[string]bool{
		`{"event":{"category":"process"},"process":{"name":"CMD.EXE"}}`:       true,
		`{"event":{"category":["process","x"]},"process":{"name":"cmd.exe"}}`: true,
		`{"event":{"category":"Process"},"process":{"name":"cmd.exe"}}`:       false,
		`{"event":{"category":"file"},"process":{"name":"cmd.exe"}}`:          false,
		`{"process":{"name":"cmd.exe"}}`:                                      false,
	} {
		if got := m.Match(event.New([]byte(doc), m.Plan())); got != want {
			t.Errorf("%s = %v, want %v", doc, got, want)
		}
	}
	s, _ := eql.Parse(`process where true`)
	o, err := CompileEQL(s, EQLOptions{Options: Options{Schema: eqlSchema}, CategoryField: "kw"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Match(event.New([]byte(`{"kw":"process"}`), o.Plan())) {
		t.Error("CategoryField kw: no match")
	}
}

func TestEQLRequired(t *testing.T) {
	tests := []struct {
		query string
		want  []Requirement
	}{
		{`process where process.name == "cmd.exe"`, []Requirement{{Field: "event.category", Values: []string{"process"}}, {Field: "process.name", Values: []string{"cmd.exe"}}}},
		{`process where process.name : ("CMD.exe", "a") and l == 1`, []Requirement{{Field: "event.category", Values: []string{"process"}}, {Field: "process.name", Values: []string{"a", "cmd.exe"}, Fold: true}, {Field: "l", Exists: true}}},
		{`any where process.name in ("b", "a")`, []Requirement{{Field: "process.name", Values: []string{"a", "b"}}}},
		// Patterns, numbers, regular expressions, != and not in: the
		// field needs a value (a comparison with null is false).
		{`any where process.name : "a*"`, []Requirement{{Field: "process.name", Values: []string{"a"}, Fold: true, Prefix: true}}},
		{`any where process.name : ("C:\\U*", "*b", "x")`, []Requirement{{Field: "process.name", Exists: true}}},
		{`any where process.name like ("C:\\U*", "D?", "x")`, []Requirement{{Field: "process.name", Values: []string{"C:\\U", "D", "x"}, Prefix: true}}},
		// A head after '?'s keeps them, when it says enough.
		{`any where process.name : ("?:\\Users\\*", "??abc?d*")`, []Requirement{{Field: "process.name", Values: []string{"?:\\users\\", "??abc"}, Fold: true, Prefix: true}}},
		{`any where process.name : ("?:\\Users\\*", "?:\\*")`, []Requirement{{Field: "process.name", Exists: true}}},
		{`any where process.name : "?ab"`, []Requirement{{Field: "process.name", Exists: true}}},
		{`any where l : "1*"`, []Requirement{{Field: "l", Exists: true}}},
		{`any where process.name regex~ "a.*"`, []Requirement{{Field: "process.name", Exists: true}}},
		{`any where kw != "a" and 5 < l`, []Requirement{{Field: "kw", Exists: true}, {Field: "l", Exists: true}}},
		{`any where l == 1 and kw like~ "x*" and kw : "y"`, []Requirement{{Field: "l", Exists: true}, {Field: "kw", Values: []string{"y"}, Fold: true}}},
		{`any where kw == null`, nil},
		{`any where length(kw) > 1`, nil},
		{`any where process.name : "a" or process.name : "b"`, []Requirement{{Field: "process.name", Values: []string{"a", "b"}, Fold: true}}},
		{`any where process.name : "a" or kw : "b"`, []Requirement{{Any: []Requirement{
			{Field: "process.name", Values: []string{"a"}, Fold: true}, {Field: "kw", Values: []string{"b"}, Fold: true}}}}},
		{`any where (process.name : "a" and kw in ("x", "y")) or (kw == "c" or process.args : "d")`, []Requirement{{Any: []Requirement{
			{Field: "process.name", Values: []string{"a"}, Fold: true}, {Field: "kw", Values: []string{"c"}},
			{Field: "process.args", Values: []string{"d"}, Fold: true}}}}},
		{`any where process.name : "a" or l == 1`, []Requirement{{Any: []Requirement{
			{Field: "process.name", Values: []string{"a"}, Fold: true}, {Field: "l", Exists: true}}}}},
		{`any where process.name : "a" or process.name : "b*"`, []Requirement{{Field: "process.name", Values: []string{"a", "b"}, Fold: true, Prefix: true}}},
		{`any where process.name : "a" or process.name : "*b"`, []Requirement{{Field: "process.name", Exists: true}}},
		{`any where (l == 1 and kw == "a") or (l > 5 and kw == "b")`, []Requirement{{Field: "l", Exists: true}, {Field: "kw", Values: []string{"a", "b"}}}},
		{`any where (l == 1 and kw == "a") or (l > 5 and process.name == "b")`, []Requirement{{Field: "l", Exists: true}, {Any: []Requirement{
			{Field: "kw", Values: []string{"a"}}, {Field: "process.name", Values: []string{"b"}}}}}},
		// An OR's operands give their most selective condition, not one
		// on a field most events carry (event.type, event.action).
		{`any where (event.type == "start" and process.args == "x" and process.name in ("a", "b")) or (event.action == "exec" and kw == "b")`,
			[]Requirement{{Any: []Requirement{{Field: "process.args", Values: []string{"x"}}, {Field: "kw", Values: []string{"b"}}}}}},
		// Shared values on such fields only: the operands' own
		// conditions are kept too.
		{`any where (event.category == "file" and kw == "h") or (event.category == "process" and process.name == "vim")`,
			[]Requirement{{Field: "event.category", Values: []string{"file", "process"}}, {Any: []Requirement{
				{Field: "kw", Values: []string{"h"}}, {Field: "process.name", Values: []string{"vim"}}}}}},
		// ... unless they say no more.
		{`any where (event.category == "file" and event.type == "creation") or (event.category == "process" and event.type == "start")`,
			[]Requirement{{Field: "event.category", Values: []string{"file", "process"}}, {Field: "event.type", Values: []string{"creation", "start"}}}},
		{`any where not process.name == "a"`, nil},
		{`any where process.name not in ("a")`, []Requirement{{Field: "process.name", Exists: true}}},
		{`any where process.name like "A"`, []Requirement{{Field: "process.name", Values: []string{"A"}}}},
		{`any where l == 1`, []Requirement{{Field: "l", Exists: true}}},
	}
	for _, tt := range tests {
		m := compileEQL(t, tt.query)
		if diff := cmp.Diff(tt.want, m.Required()); diff != "" {
			t.Errorf("%s: Required (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestEQLCompileErrors(t *testing.T) {
	tests := []struct{ query, want string }{
		{`any where foo(kw)`, `1:11: unknown function [foo]`},
		{`any where length~(kw) == 1`, `1:11: function [length] does not have a case-insensitive`},
		{`any where startsWith(l, "a")`, `1:22: first argument of [startsWith(l, "a")] must be [string]`},
		{`any where add(kw, 1) == 2`, `1:15: first argument of [add(kw, 1)] must be [numeric]`},
		{`any where length(kw, kw) == 2`, `1:11: function [length] takes 1 arguments, found 2`},
		{`any where kw == l`, `1:17: comparisons against fields are not (currently) supported`},
		{`any where kw in ("a", l)`, `1:23: comparisons against fields are not (currently) supported`},
		{`any where kw`, `1:11: condition expression needs to be boolean`},
		{`any where kw regex "a(?i)b"`, `1:20: invalid regular expression`},
		{`any where kw regex "~a"`, `1:20: invalid regular expression`},
		{`any where l == "x"`, `1:16: cannot compare a number with the string`},
		{`any where ip == "nope"`, `1:17: "nope" is not an IP address`},
		{`any where cidrMatch(ip, "x/40")`, `1:25: "x/40" is not a CIDR network`},
		{`any where cidrMatch(ip, kw)`, `1:25: second argument of [cidrMatch(ip, kw)] must be a constant string`},
		{`any where mot == "a"`, `1:11: no keyword/multi-field defined exact matches for [mot]`},
		{`sequence [a where true] [b where true]`, `1:1: only single-event queries can be compiled, not sequence`},
		{`any where true | head 1`, `1:18: pipes are not supported: head`},
	}
	for _, tt := range tests {
		s, err := eql.Parse(tt.query)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.query, err)
		}
		_, err = CompileEQL(s, EQLOptions{Options: Options{Schema: eqlSchema}})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %s...", tt.query, err, tt.want)
		}
	}
}

func TestWildcard(t *testing.T) {
	for _, tt := range []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true}, {"a*", "abc", true}, {"*c", "abc", true}, {"a*c", "abbbc", true}, {"a*c", "abcd", false},
		{"?", "é", true}, {"??", "é", false}, {"*a*b*", "xxaxxbxx", true}, {"*a*b", "ab ab a", false}, {"", "", true},
	} {
		if got := newWildcard(tt.pat).match(tt.s); got != tt.want {
			t.Errorf("%q on %q = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

func TestEQLPrefilter(t *testing.T) {
	origin := func(f string) (OriginKind, string) {
		switch f {
		case "event.category":
			return Constant, "iam"
		case "kw":
			return Copied, ""
		case "l":
			return Derived, ""
		}
		return Absent, ""
	}
	tests := []struct {
		query string
		want  Prefilter
	}{
		{`process where true`, Prefilter{Never: true}},
		{`iam where kw == "Abc"`, Prefilter{Literals: []string{"abc"}}},
		{`any where kw : ("Abc", "de")`, Prefilter{Literals: []string{"abc", "de"}}},
		{`any where process.name : "x"`, Prefilter{Never: true}},
		{`any where process.name : "x" or file.name : "y"`, Prefilter{Never: true}},
		{`any where process.name : "x" or l == 1`, Prefilter{}},
		{`any where not process.name : "x"`, Prefilter{Never: true}},
		{`any where not (process.name : "x" or l == 1)`, Prefilter{}},
		{`any where process.name == null`, Prefilter{}},
		{`any where process.name != null`, Prefilter{Never: true}},
		{`any where event.category : "IAM"`, Prefilter{}},
		{`any where event.category == "process" or l == 2`, Prefilter{}},
		{`any where event.category == "process" and l == 2`, Prefilter{Never: true}},
		// A wildcard's head or a regular expression is not a whole value
		// to find: no literal, and a constant that starts with the head
		// can match.
		{`any where event.category : "ia*"`, Prefilter{}},
		{`any where kw : "ab*" and event.category regex "i.*"`, Prefilter{}},
		// A disjunction of fields the normalizer writes can match.
		{`any where kw : "x" or l == 1`, Prefilter{}},
		{`any where kw : "x" or event.category : "iam"`, Prefilter{}},
		// The texts a pattern test needs on a copied field: a wildcard's
		// longest run, a regular expression's, each exact text.
		{`any where kw : "*PowerShell*"`, Prefilter{Literals: []string{"powershell"}}},
		{`any where kw like "*Cmd.exe" and l == 1`, Prefilter{Literals: []string{"cmd.exe"}}},
		{`any where kw regex~ "(azure|sharp|blood)(hound)/.*"`, Prefilter{Literals: []string{"hound/"}}},
		{`any where kw : ("*abc*", "xyz")`, Prefilter{Literals: []string{"abc", "xyz"}}},
		{`any where kw : ("*abc*", "*x*")`, Prefilter{}},
		{`any where kw : "abc" and kw : "*defgh*"`, Prefilter{Literals: []string{"defgh"}, And: [][]string{{"abc"}}}},
		{`any where l : "*powershell*"`, Prefilter{}},
		{`any where kw regex "a.*b"`, Prefilter{}},
	}
	for _, tt := range tests {
		m := compileEQL(t, tt.query)
		if diff := cmp.Diff(tt.want, m.Prefilter(origin)); diff != "" {
			t.Errorf("%s: Prefilter (-want +got):\n%s", tt.query, diff)
		}
	}
}

// The quick checks never rule out a match, and folding byte by byte agrees
// with folding the text first.
func TestWildcardQuickChecks(t *testing.T) {
	alpha := []byte("ab*?é")
	gen := func(seed, n int) string {
		var b []byte
		for i := 0; i < n; i++ {
			c := alpha[(seed>>(i*3))%len(alpha)]
			if c == 0xc3 { // é as two bytes
				b = append(b, "é"...)
				continue
			}
			b = append(b, c)
		}
		return string(b)
	}
	for p := 0; p < 3000; p++ {
		pat := gen(p*7919, 1+p%6)
		w := newWildcard(pat)
		for s := 0; s < 60; s++ {
			str := strings.NewReplacer("*", "b", "?", "a").Replace(gen(s*104729+p, s%7))
			m := w.match(str)
			if m && !w.maybeString(str) {
				t.Fatalf("%q on %q: matches but maybeString says no", pat, str)
			}
			if isASCII(str) {
				up := strings.ToUpper(str)
				if got := w.matchFoldASCII(up); got != m {
					t.Fatalf("%q on %q: matchFoldASCII = %v, match = %v", pat, up, got, m)
				}
			}
		}
	}
}

func TestEQLUnmappedOptional(t *testing.T) {
	for q, want := range map[string]bool{
		`?nope1 == ?nope2`: true,
		`?nope1 != ?nope2`: false,
		`?nope1 < ?nope2`:  false,
		`?nope1 == kw`:     false, // null == kw: kw is not null here
		`kw == ?nope1`:     false,
	} {
		m := compileEQL(t, "any where "+q)
		if got := m.Match(event.New([]byte(`{"kw":"a"}`), m.Plan())); got != want {
			t.Errorf("%s = %v, want %v", q, got, want)
		}
	}
}

func TestEQLExplain(t *testing.T) {
	m := compileEQL(t, `process where process.name : "cmd.exe" and not kw == "a"`)
	doc := `{"event":{"category":"process"},"process":{"name":"powershell.exe"},"kw":"b"}`
	ev := event.New([]byte(doc), m.Plan())
	got := m.Explain(ev).String()
	want := `no   process where process.name : "cmd.exe" and not kw == "a"
  yes  event.category == "process"  (got "process")
  no   process.name : "cmd.exe" and not kw == "a"
    no   process.name : "cmd.exe"  (got "powershell.exe")
    yes  not kw == "a"
      no   kw == "a"  (got "b")
`
	if got != want {
		t.Errorf("Explain:\n%s\nwant:\n%s", got, want)
	}
	if x := m.Explain(ev); x.Match != m.Match(ev) {
		t.Error("Explain disagrees with Match")
	}
}

// A head index yields every pattern that can match.
func TestHeadIndex(t *testing.T) {
	alpha := "ab?*:\\"
	for seed := 0; seed < 400; seed++ {
		var ws []*wildcard
		for i := 0; i < 12; i++ {
			var p []byte
			for j := 0; j < 1+(seed*7+i*13)%7; j++ {
				p = append(p, alpha[(seed*31+i*17+j*5+j*j)%len(alpha)])
			}
			ws = append(ws, newWildcard(string(p)))
		}
		h := newHeadIndex(ws)
		for v := 0; v < 50; v++ {
			var s []byte
			for j := 0; j < (v*3+seed)%9; j++ {
				s = append(s, "aAbB:\\"[(v*7+j*3+seed)%6])
			}
			cands := h.candidates(string(s), nil)
			for i, w := range ws {
				if w.matchFoldASCII(string(s)) && !slices.Contains(cands, i) {
					t.Fatalf("pattern %q matches %q but is not a candidate", w.pat, s)
				}
			}
		}
	}
}

// TestEQLPatternLiteralsAreNecessary checks the texts an EQL pattern test
// gives the prefilter: when the query matches a document (its fields all
// copied), the document's text holds one of each group, ASCII case aside.
func TestEQLPatternLiteralsAreNecessary(t *testing.T) {
	copied := func(string) (OriginKind, string) { return Copied, "" }
	values := []string{`"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"`, `"pwsh.EXE"`, `"POWERSHELL"`,
		`"AzureHound/1.2"`, `"bloodhound/4"`, `"SharpHound"`, `"cmd.exe"`, `["x", "Cmd.Exe"]`, `"xcmd.exey"`, `"powershell_ise"`}
	queries := []string{`kw : "*powershell*"`, `kw : ("*.exe", "pwsh*")`, `kw like~ "*CMD.exe"`, `kw like "cmd.*"`,
		`kw regex~ "(azure|sharp|blood)(hound)/.*"`, `kw regex ".*[Hh]ound.*"`, `kw : "powershell" and tk : "*x*"`,
		`kw in~ ("cmd.exe", "pwsh.exe")`}
	r := rand.New(rand.NewPCG(17, 18))
	matched, given := 0, 0
	for _, q := range queries {
		m := compileEQL(t, "any where "+q)
		p := m.Prefilter(copied)
		if p.Literals != nil {
			given++
		}
		for _, v := range values {
			doc := `{"kw":` + v + `,"tk":` + values[r.IntN(len(values))] + `}`
			if !m.Match(event.New([]byte(doc), m.Plan())) {
				continue
			}
			matched++
			for _, g := range append([][]string{p.Literals}, p.And...) {
				if g != nil && !slices.ContainsFunc(g, func(l string) bool { return strings.Contains(strings.ToLower(doc), l) }) {
					t.Fatalf("%s matches %s, whose text holds none of %q", q, doc, g)
				}
			}
		}
	}
	t.Logf("%d documents matched, %d of %d queries gave texts", matched, given, len(queries))
	if matched == 0 || given == 0 {
		t.Fatal("the test proves nothing")
	}
}
