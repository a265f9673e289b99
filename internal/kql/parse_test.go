package kql

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const seedQuery = `event.dataset:azure.activitylogs and azure.activitylogs.operation_name:"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION" and event.outcome:(Success or success)`

// parseTests are queries Kibana's grammar accepts, with the tree each gives.
var parseTests = []struct {
	name  string
	query string
	want  Node
}{
	{"seed", seedQuery, and(
		fmatch("event.dataset", lit("azure.activitylogs")),
		fmatch("azure.activitylogs.operation_name", qlit("MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION")),
		fmatch("event.outcome", vor(lit("Success"), lit("success"))),
	)},

	// Match all.
	{"empty", ``, &MatchAll{}},
	{"blank", " \t\r\n\u00a0", &MatchAll{}},
	{"star star", `*:*`, &MatchAll{}},
	{"star star spaced", ` * : * `, &MatchAll{}},
	{"star star list", `*:(*)`, &MatchAll{}},
	{"quoted star field is no match all", `"*":*`, match(qlit("*"), star())},
	{"quoted star value is no match all", `*:"*"`, match(star(), qlit("*"))},

	// field:value.
	{"field value", `event.outcome:success`, fmatch("event.outcome", lit("success"))},
	{"spaces around colon", `event.outcome : success`, fmatch("event.outcome", lit("success"))},
	{"quoted value", `message:"failed login"`, fmatch("message", qlit("failed login"))},
	{"multi-word value", `azure.resource.name:vm 01`, fmatch("azure.resource.name", lit("vm 01"))},
	{"multi-word value trimmed", "f:   vm 01  \t ", fmatch("f", lit("vm 01"))},
	{"inner spaces kept", `f:a   b`, fmatch("f", lit("a   b"))},
	{"wildcard value", `event.action:MICROSOFT.STORAGE/*`, fmatch("event.action", lit("MICROSOFT.STORAGE/", ""))},
	{"escaped wildcard", `x:ab\*`, fmatch("x", lit("ab*"))},
	{"escaped and real wildcard", `x:a*b\*c`, fmatch("x", lit("a", "b*c"))},
	{"wildcard with spaces", `message:*failed login*`, fmatch("message", lit("", "failed login", ""))},
	{"double wildcard", `x:**`, fmatch("x", lit("", "", ""))},
	{"quoted star is literal", `x:"a*"`, fmatch("x", qlit("a*"))},
	{"question mark is literal", `user.name:bob?`, fmatch("user.name", lit("bob?"))},
	{"punctuation is literal", `x:/-.@#=&|+!~^[]?,'`, fmatch("x", lit("/-.@#=&|+!~^[]?,'"))},
	{"numbers stay strings", `cloud.account.id:01`, fmatch("cloud.account.id", lit("01"))},
	{"date math", `x:now-5m/d`, fmatch("x", lit("now-5m/d"))},
	{"non-ascii", `user.name:José`, fmatch("user.name", lit("José"))},

	// Fields.
	{"quoted field", `"user name":x`, match(qlit("user name"), lit("x"))},
	{"quoted wildcard field is literal", `"user.*":x`, match(qlit("user.*"), lit("x"))},
	{"wildcard field", `user.*:bob`, match(lit("user.", ""), lit("bob"))},
	{"star field", `*:bob`, match(star(), lit("bob"))},
	{"field with space", `a b:c`, fmatch("a b", lit("c"))},
	{"field ending in not", `knot:x`, fmatch("knot", lit("x"))},
	{"field with escaped colon", `a\:b:c`, fmatch("a:b", lit("c"))},
	{"bool field", `true:x`, match(boolLit(true), lit("x"))},
	{"null field", `null:x`, match(nullLit(), lit("x"))},

	// Exists.
	{"exists", `user.name:*`, fmatch("user.name", star())},
	{"exists in list", `user.name:(*)`, fmatch("user.name", star())},
	{"exists and not empty", `user.name:(* and not "")`, fmatch("user.name", vand(star(), vnot(qlit(""))))},

	// Literals true, false, null.
	{"true", `f:true`, fmatch("f", boolLit(true))},
	{"false", `f:false`, fmatch("f", boolLit(false))},
	{"null", `f:null`, fmatch("f", nullLit())},
	{"true trimmed", `f:true or g:1`, or(fmatch("f", boolLit(true)), fmatch("g", lit("1")))},
	{"TRUE is a string", `f:TRUE`, fmatch("f", lit("TRUE"))},
	{"True is a string", `f:True`, fmatch("f", lit("True"))},
	{"quoted true is a string", `f:"true"`, fmatch("f", qlit("true"))},
	{"true wildcard is a string", `f:true*`, fmatch("f", lit("true", ""))},
	{"escaped true is bool", `f:tru\u0065`, fmatch("f", boolLit(true))},
	{"true with space is a string", `f:true x`, fmatch("f", lit("true x"))},

	// Value lists.
	{"list or", `event.outcome:(success or failure)`, fmatch("event.outcome", vor(lit("success"), lit("failure")))},
	{"list and not", `tags:(a and not b)`, fmatch("tags", vand(lit("a"), vnot(lit("b"))))},
	{"list precedence", `f:(x or y and z)`, fmatch("f", vor(lit("x"), vand(lit("y"), lit("z"))))},
	{"list or and not", `f:(a or b and not c)`, fmatch("f", vor(lit("a"), vand(lit("b"), vnot(lit("c")))))},
	{"list not", `f:(not a)`, fmatch("f", vnot(lit("a")))},
	{"list not group", `f:(not (a or b))`, fmatch("f", vnot(vor(lit("a"), lit("b"))))},
	{"list not not grouped", `f:(not (not a))`, fmatch("f", vnot(vnot(lit("a"))))},
	{"list single", `f:(a)`, fmatch("f", lit("a"))},
	{"list padded", `f:(  a   or   b  )`, fmatch("f", vor(lit("a"), lit("b")))},
	{"list flattened", `f:((a or b) or c or (d or e))`, fmatch("f", vor(lit("a"), lit("b"), lit("c"), lit("d"), lit("e")))},
	{"list and flattened", `f:(a and (b and c))`, fmatch("f", vand(lit("a"), lit("b"), lit("c")))},
	{"list mixed quoting", `f:("a b" or c* or 1)`, fmatch("f", vor(qlit("a b"), lit("c", ""), lit("1")))},
	{"list multi-word", `f:(vm 01 or vm 02)`, fmatch("f", vor(lit("vm 01"), lit("vm 02")))},
	{"list over lines", "f:(\n  a or\n  b\n)", fmatch("f", vor(lit("a"), lit("b")))},
	{"list keyword case", `f:(a OR b AnD NOT c)`, fmatch("f", vor(lit("a"), vand(lit("b"), vnot(lit("c")))))},

	// Ranges.
	{"range gte", `http.response.status_code >= 400`, rng("http.response.status_code", GTE, lit("400"))},
	{"range tight", `a>=5`, rng("a", GTE, lit("5"))},
	{"range lt", `a<5`, rng("a", LT, lit("5"))},
	{"range lte", `a <= 5`, rng("a", LTE, lit("5"))},
	{"range gt", `a > 5`, rng("a", GT, lit("5"))},
	{"range date math", `@timestamp < now-5m`, rng("@timestamp", LT, lit("now-5m"))},
	{"range date math rounding", `x > 2022-02-17||+1M/d`, rng("x", GT, lit("2022-02-17||+1M/d"))},
	{"range quoted", `@timestamp < "2021-01"`, rng("@timestamp", LT, qlit("2021-01"))},
	{"range bool", `a > true`, rng("a", GT, boolLit(true))},
	{"range multi-word", `a > 1 2`, rng("a", GT, lit("1 2"))},
	{"range and", `a >= 1 and a <= 5`, and(rng("a", GTE, lit("1")), rng("a", LTE, lit("5")))},
	{"range quoted field", `"a b" > 1`, &Range{Field: qlit("a b"), Op: GT, Value: lit("1")}},

	// Nested.
	{"nested", `deltas:{ action:ADD and role:"roles/owner" }`, nested("deltas", and(fmatch("action", lit("ADD")), fmatch("role", qlit("roles/owner"))))},
	{"nested tight", `a:{b:1}`, nested("a", fmatch("b", lit("1")))},
	{"nested spaced", `a : { b:1 }`, nested("a", fmatch("b", lit("1")))},
	{"nested in nested", `a:{ b:{ c:1 } }`, nested("a", nested("b", fmatch("c", lit("1"))))},
	{"nested dotted", `a.b:{ c:1 }`, nested("a.b", fmatch("c", lit("1")))},
	{"nested with range and list", `a:{ b >= 1 or c:(x or y) }`, nested("a", or(rng("b", GTE, lit("1")), fmatch("c", vor(lit("x"), lit("y")))))},
	{"nested not", `not d:{ x:1 }`, not(nested("d", fmatch("x", lit("1"))))},
	{"nested inner not", `d:{ not x:1 }`, nested("d", not(fmatch("x", lit("1"))))},

	// Free text.
	{"free text", `hello`, text(lit("hello"))},
	{"free text words", `hello world`, text(lit("hello world"))},
	{"free text quoted", `"failed login"`, text(qlit("failed login"))},
	{"free text wildcard", `bob*`, text(lit("bob", ""))},
	{"free text star", `*`, text(star())},
	{"free text or", `a or b`, or(text(lit("a")), text(lit("b")))},
	{"free text not", `not`, text(lit("not"))},
	{"free text or word", `or`, text(lit("or"))},
	{"free text and word", `AND`, text(lit("AND"))},

	// Boolean structure.
	{"not", `not user.name:root`, not(fmatch("user.name", lit("root")))},
	{"NOT group", `NOT (a:1 or b:2)`, not(or(fmatch("a", lit("1")), fmatch("b", lit("2"))))},
	{"not not grouped", `not (not a:1)`, not(not(fmatch("a", lit("1"))))},
	{"keywords any case", `a:1 AND NOT b:2 Or c:3`, or(and(fmatch("a", lit("1")), not(fmatch("b", lit("2")))), fmatch("c", lit("3")))},
	{"keywords mixed case", `a:1 aNd b:2 oR c:3`, or(and(fmatch("a", lit("1")), fmatch("b", lit("2"))), fmatch("c", lit("3")))},
	{"and binds tighter", `p:cmd.exe or p:ps.exe and u:bob`, or(fmatch("p", lit("cmd.exe")), and(fmatch("p", lit("ps.exe")), fmatch("u", lit("bob"))))},
	{"parens override", `(p:cmd.exe or p:ps.exe) and u:bob`, and(or(fmatch("p", lit("cmd.exe")), fmatch("p", lit("ps.exe"))), fmatch("u", lit("bob")))},
	{"or flattened", `a:1 or b:2 or c:3`, or(fmatch("a", lit("1")), fmatch("b", lit("2")), fmatch("c", lit("3")))},
	{"or flattened through parens", `(a:1 or b:2) or (c:3 or d:4)`, or(fmatch("a", lit("1")), fmatch("b", lit("2")), fmatch("c", lit("3")), fmatch("d", lit("4")))},
	{"and flattened through parens", `a:1 and (b:2 and c:3)`, and(fmatch("a", lit("1")), fmatch("b", lit("2")), fmatch("c", lit("3")))},
	{"parens make no node", `((a:1))`, fmatch("a", lit("1"))},
	{"parens padded", `(  a:1  )`, fmatch("a", lit("1"))},
	{"two spaces before keyword", `a:b  or c`, or(fmatch("a", lit("b")), text(lit("c")))},

	// Whitespace.
	{"nbsp", "a:1\u00a0and\u00a0b:2", and(fmatch("a", lit("1")), fmatch("b", lit("2")))},
	{"lines and tabs", "a:1\n\tand\r\nb:2", and(fmatch("a", lit("1")), fmatch("b", lit("2")))},
	{"nbsp around value", "f:\u00a0x\u00a0", fmatch("f", lit("x"))},
	{"js whitespace trimmed", "f:\u2003x\u3000", fmatch("f", lit("x"))},
	{"js whitespace kept inside", "f:a\u2003b", fmatch("f", lit("a\u2003b"))},

	// Unquoted escapes.
	{"escape tab cr lf", `f:a\tb\rc\nd`, fmatch("f", lit("a\tb\rc\nd"))},
	{"escaped whitespace trimmed", `f:\ta\n`, fmatch("f", lit("a"))},
	{"escaped whitespace only", `f:\t`, fmatch("f", lit(""))},
	{"escape specials", `f:\\\(\)\:\<\>\"\*\{\}`, fmatch("f", lit(`\():<>"*{}`))},
	{"escape unicode", `f:\u0041\u00e9\u00E9`, fmatch("f", lit("Aéé"))},
	{"escape surrogate pair", `f:\ud83d\ude00`, fmatch("f", lit("😀"))},
	{"escape lone surrogate", `f:a\ud83db`, fmatch("f", lit("a\ufffdb"))},
	{"escape unicode star is literal", `f:a\u002a`, fmatch("f", lit("a*"))},
	{"escape unicode space trimmed", `f:a\u0020`, fmatch("f", lit("a"))},
	{"escape and", `user.name:\and`, fmatch("user.name", lit("and"))},
	{"escape or upper", `f:\OR`, fmatch("f", lit("OR"))},
	{"escape Not", `f:\Not x`, fmatch("f", lit("Not x"))},
	{"escape NOT", `f:\NOT x`, fmatch("f", lit("NOT x"))},
	{"backslash n wins over not", `f:x\noty`, fmatch("f", lit("x\noty"))},
	{"backslash not is newline", `f:\not`, fmatch("f", lit("ot"))},
	{"escape keyword mid-value", `f:a \or b`, fmatch("f", lit("a or b"))},
	{"escape orange", `f:\orange`, fmatch("f", lit("orange"))},
	{"windows path", `file.path:C\:\\Windows\\*`, fmatch("file.path", lit(`C:\Windows\`, ""))},
	{"escaped quote and colon in wildcard", `p:*\"allowBlobPublicAccess\"\:true*`, fmatch("p", lit("", `"allowBlobPublicAccess":true`, ""))},
	{"invalid utf8 is replaced", "f:a\xffb", fmatch("f", lit("a\ufffdb"))},

	// Quoted escapes.
	{"quoted escapes", `f:"\" \\ \t \r \n \u0041"`, fmatch("f", qlit("\" \\ \t \r \n A"))},
	{"quoted backslash kept", `f:"C:\Windows"`, fmatch("f", qlit(`C:\Windows`))},
	{"quoted tab gotcha", `file.path:"C:\temp\x.exe"`, fmatch("file.path", qlit("C:\temp\\x.exe"))},
	{"quoted other escapes literal", `f:"\q\*\:\and"`, fmatch("f", qlit(`\q\*\:\and`))},
	{"quoted bad unicode literal", `f:"\u00zz"`, fmatch("f", qlit(`\u00zz`))},
	{"quoted raw newline", "f:\"a\nb\"", fmatch("f", qlit("a\nb"))},
	{"quoted keywords", `f:"a or b and not c"`, fmatch("f", qlit("a or b and not c"))},
	{"quoted spaces kept", `f:"  a  "`, fmatch("f", qlit("  a  "))},
	{"quoted unicode", `user.name:"\u0041lice"`, fmatch("user.name", qlit("Alice"))},
	{"quoted surrogate pair", `f:"\uD83D\uDE00"`, fmatch("f", qlit("😀"))},
	{"quoted empty", `f:""`, fmatch("f", qlit(""))},

	// Gotchas (spec §1.4).
	{"second word is free text", `f:foo or bar`, or(fmatch("f", lit("foo")), text(lit("bar")))},
	{"keyword at end is a value", `a:b or`, fmatch("a", lit("b or"))},
	{"and at end is a value", `a:b and`, fmatch("a", lit("b and"))},
	{"not at end is a value", `a:b not`, fmatch("a", lit("b not"))},
	{"or after colon is a value", `a: or b`, fmatch("a", lit("or b"))},
	{"or after paren is a value", `f:( or b)`, fmatch("f", lit("or b"))},
	{"or after or is a value", `a or or b`, or(text(lit("a")), text(lit("or b")))},
	{"not without space is a value", `f:note`, fmatch("f", lit("note"))},
	{"not before colon", `a not:b`, fmatch("a not", lit("b"))},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.query)
			if err != nil {
				t.Fatalf("Parse(%q): %s", tt.query, detail(err))
			}
			if diff := cmp.Diff(tt.want, got, ignorePos); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.query, diff)
			}
			checkRoundTrip(t, tt.query, got)
		})
	}
}

// errorTests are queries Kibana's grammar rejects, with where the error is
// reported and what the message and hint say (substrings).
var errorTests = []struct {
	name  string
	query string
	pos   string // "line:col"
	msg   string
	hint  string
}{
	// Gotchas (spec §1.4).
	{"not after colon", `field:not x`, "1:7", `"not" cannot start a value`, "`not field:x` or `field:(not x)`"},
	{"not without space", `not(a:b)`, "1:4", `unexpected "("`, "`not` needs a space after it: write `not (a:b)`"},
	{"and without space", `a:b and(c:d)`, "1:8", `unexpected "("`, "`and` needs a space on both sides"},
	{"or without space", `a:b or(c:d)`, "1:7", `unexpected "("`, "`or` needs a space on both sides"},
	{"not mid-word", `message:cannot do`, "1:12", `unexpected "not" inside a value`, `quote the value`},
	{"colon in value", `a:C:\Windows`, "1:4", `unexpected ":"`, "quote values that contain ':'"},
	{"colon after multi-word value", `a:b c:d`, "1:6", `unexpected ":"`, `"b c" is one value`},
	{"range after colon", `a:>5`, "1:3", `unexpected ">"`, "to compare, write `field >= 5`, not `field:>=5`"},
	{"range after colon with space", `a: >= 5`, "1:4", `unexpected ">="`, "`field >= 5`"},
	{"not not", `not not x`, "1:5", `"not not" is not allowed`, "`not (not x)`"},
	{"not not in list", `f:(not not a)`, "1:8", `"not not" is not allowed`, ""},
	{"two values", `a: "x" "y"`, "1:8", `unexpected value "y"`, "use a list"},
	{"keyword after paren", `(a:1)or (b:2)`, "1:6", `unexpected value "or"`, "whitespace on both sides"},
	{"keyword glued both sides", `(a:1)and(b:2)`, "1:6", `unexpected value "and"`, "whitespace on both sides"},

	// Escapes.
	{"invalid escape", `a:b\q`, "1:4", "invalid escape `\\q`", "escape a literal backslash as `\\\\`"},
	{"escaped space", `a:b\ c`, "1:4", "invalid escape `\\ `", ""},
	{"invalid escape first", `a:\q`, "1:3", "invalid escape `\\q`", ""},
	{"invalid escape free text", `\x`, "1:1", "invalid escape `\\x`", ""},
	{"short unicode escape", `a:\u12`, "1:3", "\\u needs four hex digits", ""},
	{"bad unicode escape", `a:b\u12zz`, "1:4", "\\u needs four hex digits", ""},
	{"upper U is no escape", `a:\U0041`, "1:3", "invalid escape `\\U`", ""},
	{"trailing backslash", `a:b\`, "1:4", "backslash at the end", ""},
	{"escaped N then other", `a:\Nope`, "1:3", "invalid escape `\\N`", ""},
	{"unterminated", `"abc`, "1:1", "unterminated quoted value", "close the value"},
	{"unterminated value", `f:"abc or g:x`, "1:3", "unterminated quoted value", ""},
	{"escaped closing quote", `f:"abc\"`, "1:3", "unterminated quoted value", "escaped quote"},

	// Missing pieces.
	{"or at end", `a:1 or `, "1:8", `missing expression after "or"`, "remove it"},
	{"and at end", `a:1 and `, "1:9", `missing expression after "and"`, ""},
	{"or at end after quoted", `"a" or`, "1:5", `missing expression after "or"`, "remove it"},
	{"OR at end after group", `(a) OR`, "1:5", `missing expression after "or"`, ""},
	{"not at end", `not `, "1:5", `missing expression after "not"`, ""},
	{"missing value", `a:`, "1:3", `missing value after ":"`, "`field:*`"},
	{"missing value spaced", `a:  `, "1:5", `missing value after ":"`, ""},
	{"missing range value", `a >= `, "1:6", `missing value after ">="`, ""},
	{"range list", `a >= (1)`, "1:6", "a range compares with one value", ""},
	{"range not", `a >= not 1`, "1:6", `"not" cannot start a value`, ""},
	{"missing field before colon", `:a`, "1:1", `missing field name before ":"`, ""},
	{"missing field before range", `>5`, "1:1", `missing field name before ">"`, ""},
	{"missing close paren", `(a:1`, "1:5", `missing ")" to close "(" at 1:1`, ""},
	{"missing close paren in list", `a:(b or c`, "1:10", `missing ")" to close "(" at 1:3`, ""},
	{"missing close brace", `f:{ a:1`, "1:8", `missing "}" to close "{" at 1:3`, ""},
	{"missing value in list", `a:(`, "1:4", `missing value after "("`, ""},
	{"missing value after or in list", `a:(b or `, "1:9", `missing value after "or"`, ""},
	{"empty parens", `()`, "1:2", `unexpected ")"`, "cannot be empty"},
	{"empty list", `a:()`, "1:4", `unexpected ")"; expected a value`, ""},
	{"empty nested", `a:{}`, "1:4", `unexpected "}"`, ""},
	{"colon colon", `a::b`, "1:3", `unexpected ":"; expected a value`, ""},

	// Stray tokens.
	{"stray close paren", `a:1)`, "1:4", `unexpected ")" without a matching "("`, ""},
	{"stray close brace", `a:1}`, "1:4", `unexpected "}" without a matching "{"`, ""},
	{"brace without field", `{a:1}`, "1:1", `unexpected "{"`, "needs a field"},
	{"brace in value", `a:b{`, "1:4", `unexpected "{"`, "escape a literal brace"},
	{"brace in list", `a:(b{)`, "1:5", `unexpected "{"`, ""},
	{"range in value", `a:b > 5`, "1:5", `unexpected ">"`, "ranges compare a field"},
	{"not after value", `a:b not c`, "1:5", `unexpected "not"`, "`a and not b`"},
	{"group after value", `a:b (c)`, "1:5", `unexpected "("`, "join expressions"},
	{"field of group", `(a):b`, "1:4", `unexpected ":"`, "a field name cannot be a group"},
	{"nested not in list", `a:(b:{c})`, "1:5", `unexpected ":"`, ""},
	{"value after list", `a:(b) c`, "1:7", `unexpected value "c"`, ""},

	// Positions count lines and runes.
	{"second line", "a:1 and\n  b:C:\\x", "2:6", `unexpected ":"`, ""},
	{"crlf lines", "a:1 and\r\n b:C:\\x", "2:5", `unexpected ":"`, ""},
	{"rune columns", `é:ü:x`, "1:4", `unexpected ":"`, ""},
	{"end position on later line", "a:1 or\n", "2:1", `missing expression after "or"`, ""},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.query)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.query, n)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T %v, want *Error", tt.query, err, err)
			}
			if got := fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Col); got != tt.pos {
				t.Errorf("Parse(%q) error at %s, want %s:\n%s", tt.query, got, tt.pos, e.Detail())
			}
			if !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("Parse(%q) message %q, want it to contain %q", tt.query, e.Msg, tt.msg)
			}
			if !strings.Contains(e.Hint, tt.hint) {
				t.Errorf("Parse(%q) hint %q, want it to contain %q", tt.query, e.Hint, tt.hint)
			}
			if e.Query != tt.query {
				t.Errorf("Error.Query = %q, want the query %q", e.Query, tt.query)
			}
			if want := tt.pos + ": " + e.Msg; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
			if off := e.Pos.Offset; off < 0 || off > len(tt.query) {
				t.Errorf("error offset %d outside the query (len %d)", off, len(tt.query))
			}
		})
	}
}

// TestSpecQueries parses every KQL query of spec §6 (the test-case table).
func TestSpecQueries(t *testing.T) {
	queries := []string{
		`event.action:"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"`,
		`event.action:"microsoft.resources/deployments/write"`,
		`event.action:MICROSOFT.RESOURCES*`,
		`event.action:*deployments*`,
		`event.action:(*Write or *write)`,
		`event.action:"MICROSOFT.RESOURCES*"`,
		`event.action:MICROSOFT.RESOURCES\*`,
		`event.outcome:(success or Success)`,
		`event.outcome:(success and failure)`,
		`event.category:authentication`,
		`not event.category:authentication`,
		`event.category:(not authentication)`,
		`not user.name:admin`,
		`user.name:(not admin)`,
		`user.name:*`,
		`user.name:(* and not "")`,
		`azure.resource.name:"vm 01"`,
		`azure.resource.name:vm 01`,
		`message:"failed login"`,
		`message:failed`,
		`message:login failed`,
		`http.response.status_code >= 400`,
		`http.response.status_code < 400`,
		`http.response.status_code:"404"`,
		`@timestamp >= "2024-05-01T00:00:00Z"`,
		`@timestamp <= "2024-05-01"`,
		`@timestamp > now-5m`,
		`source.ip:10.0.0.0/8`,
		`not source.ip:("10.0.0.0/8" or "192.168.0.0/16")`,
		`azure.activitylogs.properties.callerIpAddress:"10.0.0.0/8"`,
		`azure.activitylogs.properties.responseBody:*\"allowBlobPublicAccess\"\:true*`,
		`file.path:C\:\\Windows\\*`,
		`file.path:"C:\temp\x.exe"`,
		`process.name:cmd.exe or process.name:powershell.exe and user.name:bob`,
		`(process.name:cmd.exe or process.name:powershell.exe) and user.name:bob`,
		`process.name:cmd.exe AND NOT user.name:bob`,
		`deltas:{ action:ADD and role:"roles/owner" }`,
		`deltas.action:ADD and deltas.role:"roles/owner"`,
		`cloud.account.id:01`,
		`event.action:true`,
		`user.name:bob?`,
		`user.*:bob`,
		`"failed login"`,
		`bob*`,
		`user.name:Bob`,
		`user.name:\and`,
		`user.name:"\u0041lice"`,
		`a:1*`,
		`a:*`,
		`status >= abc`,
		`not d:{ x:1 }`,
		`d:{ not x:1 }`,
	}
	for _, q := range queries {
		n, err := Parse(q)
		if err != nil {
			t.Errorf("Parse(%q): %s", q, detail(err))
			continue
		}
		checkRoundTrip(t, q, n)
	}
}

func TestPositions(t *testing.T) {
	q := "a:1 and\n  not b:\"x\" or\n\tc >= 5 or d:{ e:(f or g) } or é:*"
	n, err := Parse(q)
	if err != nil {
		t.Fatal(detail(err))
	}
	var got []string
	record := func(kind string, p Pos) {
		got = append(got, fmt.Sprintf("%s@%d:%d+%d", kind, p.Line, p.Col, p.Offset))
	}
	Inspect(n, func(n Node) bool {
		record(fmt.Sprintf("%T", n), n.Pos())
		switch n := n.(type) {
		case *Match:
			record("field", n.Field.Pos())
			InspectValues(n.Value, func(v ValueNode) bool {
				record(fmt.Sprintf("%T", v), v.Pos())
				return true
			})
		case *Range:
			record("field", n.Field.Pos())
			record("value", n.Value.Pos())
		case *Nested:
			record("field", n.Field.Pos())
		}
		return true
	})
	want := []string{
		"*kql.Or@1:1+0",
		"*kql.And@1:1+0",
		"*kql.Match@1:1+0", "field@1:1+0", "*kql.Literal@1:3+2",
		"*kql.Not@2:3+10",
		"*kql.Match@2:7+14", "field@2:7+14", "*kql.Literal@2:9+16",
		"*kql.Range@3:2+24", "field@3:2+24", "value@3:7+29",
		"*kql.Nested@3:12+34", "field@3:12+34",
		"*kql.Match@3:16+38", "field@3:16+38", "*kql.ValueOr@3:19+41", "*kql.Literal@3:19+41", "*kql.Literal@3:24+46",
		"*kql.Match@3:32+54", "field@3:32+54", "*kql.Literal@3:34+57",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	if p := mustParse(t, "").Pos(); p != (Pos{Offset: 0, Line: 1, Col: 1}) {
		t.Errorf("empty query at %+v, want 1:1", p)
	}
}

func mustParse(t testing.TB, q string) Node {
	t.Helper()
	n, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %s", q, detail(err))
	}
	return n
}

func TestMaxDepth(t *testing.T) {
	nest := func(open, inner, close string, n int) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	tests := []struct {
		name  string
		query string
		opts  ParseOptions
		ok    bool
	}{
		{"100 parens", nest("(", "a:1", ")", 100), ParseOptions{}, true},
		{"101 parens", nest("(", "a:1", ")", 101), ParseOptions{}, false},
		{"101 value parens", "f:" + nest("(", "a", ")", 101), ParseOptions{}, false},
		{"101 nested braces", nest("a:{", "b:1", "}", 101), ParseOptions{}, false},
		{"not and parens", nest("not (", "a:1", ")", 101), ParseOptions{}, false},
		{"custom limit ok", nest("(", "a:1", ")", 3), ParseOptions{MaxDepth: 3}, true},
		{"custom limit", nest("(", "a:1", ")", 4), ParseOptions{MaxDepth: 3}, false},
		{"huge", nest("(", "a:1", ")", 1_000_000), ParseOptions{}, false},
		{"huge unclosed", strings.Repeat("(", 1_000_000), ParseOptions{}, false},
		{"huge unclosed list", "f:" + strings.Repeat("(", 1_000_000), ParseOptions{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWith(tt.query, tt.opts)
			if tt.ok && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !tt.ok {
				var e *Error
				if !errors.As(err, &e) || !strings.Contains(e.Msg, "nests more than") {
					t.Fatalf("error %v, want a nesting error", err)
				}
			}
		})
	}
}

func TestErrorDetail(t *testing.T) {
	tests := []struct {
		query string
		want  string
	}{
		{`a:C:\Windows`, "1:4: unexpected \":\"; expected \"and\", \"or\" or the end of the query\n" +
			" | a:C:\\Windows\n" +
			" |    ^\n" +
			"hint: quote values that contain ':' (`f:\"C:\\Windows\"`) or escape it as `\\:`"},
		{"a:1 and\n\tnot(b:2)", "2:5: unexpected \"(\"; expected \"and\", \"or\" or the end of the query\n" +
			" | \tnot(b:2)\n" +
			" | \t   ^\n" +
			"hint: `not` needs a space after it: write `not (a:b)`"},
		{`(a`, "1:3: missing \")\" to close \"(\" at 1:1\n" +
			" | (a\n" +
			" |   ^\n" +
			"hint: add the closing `)`"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.query)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Parse(%q) = %v, want *Error", tt.query, err)
		}
		if diff := cmp.Diff(tt.want, e.Detail()); diff != "" {
			t.Errorf("Detail for %q (-want +got):\n%s", tt.query, diff)
		}
	}

	// A long line is cut around the caret.
	long := "a:" + strings.Repeat("x", 300) + ":y"
	_, err := Parse(long)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %v", err)
	}
	lines := strings.Split(e.Detail(), "\n")
	if len(lines) < 3 || strings.Index(lines[1], ":y") != strings.Index(lines[2], "^") {
		t.Errorf("caret not under the fault in a long line:\n%s", e.Detail())
	}
	// An error built by hand without a query still renders.
	if got := (&Error{Pos: Pos{Line: 3, Col: 2}, Msg: "boom"}).Detail(); got != "3:2: boom" {
		t.Errorf("Detail without query = %q", got)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(seedQuery); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	n, err := Parse(seedQuery)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = n.String()
	}
}
