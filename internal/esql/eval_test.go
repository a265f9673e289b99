package esql

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
)

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// runQuery runs a query over NDJSON documents and returns the result rows
// as ES|QL's JSON would have them, and the warnings.
func runQuery(t *testing.T, query string, docs ...string) (string, []string) {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			t.Fatalf("Parse(%q): %s", query, e.Detail())
		}
		t.Fatalf("Parse(%q): %v", query, err)
	}
	schema := ecs.NewSchema(map[string]ecs.Type{"@timestamp": ecs.Date, "n": ecs.Long, "i": ecs.Integer,
		"d": ecs.Double, "s": ecs.Keyword, "t": ecs.Text, "ip": ecs.IP, "b": ecs.Boolean, "msg": ecs.Keyword})
	p, err := Compile(q, Options{Schema: schema, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("Compile(%q): %v", query, err)
	}
	r := p.Start()
	for i, d := range docs {
		r.Add(Doc{Event: event.New([]byte(d), p.Plan()), ID: string(rune('a' + i))})
	}
	res := r.Finish()
	var rows []map[string]any
	var b strings.Builder
	b.WriteByte('[')
	for i, row := range res.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, c := range res.Columns {
			if j > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(c.Name)
			v, _ := json.Marshal(JSONValue(row[j], c.Type))
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	_ = rows
	return b.String(), res.Warnings
}

// evalTests are facts from Elasticsearch's ES|QL reference (functions,
// operators, commands), one query each.
// evalTest is a query, the documents it runs over, its rows as JSON and
// how many warning lines it gives (0 for none).
type evalTest struct {
	query string
	docs  []string
	want  string
	warns int
}

var evalTests = []evalTest{
	// arithmetic, overflow, division
	{query: `ROW a = 1 + 2, b = 5 / 2, c = 5.0 / 2, d = -7 % 3`, want: `[{"a":3,"b":2,"c":2.5,"d":-1}]`},
	{query: `ROW a = 2147483647 + 1`, want: `[{"a":null}]`, warns: 2},
	{query: `ROW a = 2147483647::long + 1`, want: `[{"a":2147483648}]`},
	{query: `ROW a = 9223372036854775807 + 1`, want: `[{"a":null}]`, warns: 2},
	{query: `ROW a = 1 / 0`, want: `[{"a":null}]`, warns: 2},
	{query: `ROW a = [1, 2] + 1`, want: `[{"a":null}]`, warns: 2},
	{query: `ROW a = null + 1, b = -(3)`, want: `[{"a":null,"b":-3}]`},
	// null and three-valued logic
	{query: `ROW a = null AND false, b = null OR true, c = null AND true, d = NOT null, e = null == 1`,
		want: `[{"a":false,"b":true,"c":null,"d":null,"e":null}]`},
	{query: `ROW a = 1 IN (1, null), b = 2 IN (1, null), c = 2 NOT IN (1, 3), d = "x" IN ("x")`,
		want: `[{"a":true,"b":null,"c":true,"d":true}]`},
	{query: `ROW a = null IS NULL, b = 1 IS NOT NULL`, want: `[{"a":true,"b":true}]`},
	// strings
	{query: `ROW a = TO_LOWER("Hello"), b = TO_UPPER("Hello"), c = LENGTH("héllo"), d = CONCAT("a", "b", "c"), e = CONCAT("a", null)`,
		want: `[{"a":"hello","b":"HELLO","c":5,"d":"abc","e":null}]`},
	{query: `ROW a = SUBSTRING("hello", 2, 3), b = LEFT("hello", 2), c = RIGHT("hello", 2), d = LOCATE("hello", "l"), e = TRIM("  x ")`,
		want: `[{"a":"ell","b":"he","c":"lo","d":3,"e":"x"}]`},
	{query: `ROW a = REPLACE("Hello World", "World", "Universe"), b = REPLACE("a1b22", "[0-9]+", "#"), c = REPLACE("ab", "(a)(b)", "$2$1")`,
		want: `[{"a":"Hello Universe","b":"a#b#","c":"ba"}]`},
	{query: `ROW a = STARTS_WITH("hello", "he"), b = ENDS_WITH("hello", "lo"), c = CONTAINS("hello", "ll"), d = SPLIT("a,b,c", ",")`,
		want: `[{"a":true,"b":true,"c":true,"d":["a","b","c"]}]`},
	{query: `ROW a = FROM_BASE64("ZWxhc3RpYw=="), b = TO_BASE64("elastic"), c = URL_DECODE("a%20b%2Fc"), d = SPACE(3), e = REVERSE("abc")`,
		want: `[{"a":"elastic","b":"ZWxhc3RpYw==","c":"a b/c","d":"   ","e":"cba"}]`},
	{query: `ROW a = "foobar" LIKE "foo*", b = "a.b" LIKE "a?b", c = "foobar" RLIKE "fo+bar", d = "x" NOT LIKE "y*", e = "a*" LIKE "a\\*"`,
		want: `[{"a":true,"b":true,"c":true,"d":true,"e":true}]`},
	{query: `ROW a = "FOO" =~ "foo"`, want: `[{"a":true}]`},
	{query: `ROW a = ["a", "b"] == "a"`, want: `[{"a":null}]`, warns: 2},
	// conditionals
	{query: `ROW a = CASE(false, 1, true, 2, 3), b = CASE(false, 1), c = CASE(false, 1, 2.5), d = COALESCE(null, "b", "c")`,
		want: `[{"a":2,"b":null,"c":2.5,"d":"b"}]`},
	{query: `ROW a = GREATEST(1, 5, 3), b = LEAST("b", "a")`, want: `[{"a":5,"b":"a"}]`},
	// conversion
	{query: `ROW a = TO_STRING(1.0), b = TO_STRING(true), c = TO_INTEGER("5"), d = TO_DOUBLE("1.5"), e = TO_LONG(true)`,
		want: `[{"a":"1.0","b":"true","c":5,"d":1.5,"e":1}]`},
	{query: `ROW a = TO_INTEGER("x")`, want: `[{"a":null}]`, warns: 2},
	{query: `ROW long = [5013792, 2147483647, 501379200000] | EVAL int = TO_INTEGER(long) | KEEP int`,
		want: `[{"int":[5013792,2147483647]}]`, warns: 2},
	{query: `ROW a = TO_IP("1.2.3.4"), b = CIDR_MATCH(TO_IP("10.1.2.3"), "10.0.0.0/8", "192.168.0.0/16"), c = CIDR_MATCH(TO_IP("::1"), "10.0.0.0/8")`,
		want: `[{"a":"1.2.3.4","b":true,"c":false}]`},
	{query: `ROW a = "1.5"::double, b = 3::string, c = "true"::boolean`, want: `[{"a":1.5,"b":"3","c":true}]`},
	// dates
	{query: `ROW d = TO_DATETIME("2023-01-01T10:35:12.345Z") | EVAL h = DATE_TRUNC(1 hour, d), m = DATE_TRUNC(1 month, d), y = DATE_TRUNC(1 year, d), w = DATE_TRUNC(1 week, d), f = DATE_TRUNC(15 minutes, d) | DROP d`,
		want: `[{"h":"2023-01-01T10:00:00.000Z","m":"2023-01-01T00:00:00.000Z","y":"2023-01-01T00:00:00.000Z","w":"2022-12-26T00:00:00.000Z","f":"2023-01-01T10:30:00.000Z"}]`},
	{query: `ROW a = DATE_DIFF("MICROSECONDS", TO_DATETIME("2023-12-02T11:00:00.000Z"), TO_DATETIME("2023-12-02T11:00:00.001Z")), b = DATE_DIFF("day", TO_DATETIME("2023-01-01"), TO_DATETIME("2023-01-03T01:00:00Z")), c = DATE_DIFF("month", TO_DATETIME("2023-01-31"), TO_DATETIME("2023-02-28")), d = DATE_DIFF("minutes", TO_DATETIME("2023-01-01T00:10:00Z"), TO_DATETIME("2023-01-01T00:00:00Z"))`,
		want: `[{"a":1000,"b":2,"c":0,"d":-10}]`},
	{query: `ROW a = NOW(), b = NOW() - 1 day, c = TO_DATETIME("2024-01-31") + 1 month, d = TO_DATETIME("2024-01-01") + 90 minutes`,
		want: `[{"a":"2024-05-01T12:00:00.000Z","b":"2024-04-30T12:00:00.000Z","c":"2024-02-29T00:00:00.000Z","d":"2024-01-01T01:30:00.000Z"}]`},
	{query: `ROW a = TO_DATETIME("2024-05-01T00:00:00Z") > "2024-04-30", b = DATE_EXTRACT("HOUR_OF_DAY", TO_DATETIME("2024-05-01T13:00:00Z"))`,
		want: `[{"a":true,"b":13}]`},
	{query: `ROW d = DATE_PARSE("yyyy-MM-dd HH:mm:ss", "2023-02-03 04:05:06") | EVAL f = DATE_FORMAT("dd/MM/yyyy HH'h'mm EEE", d), g = DATE_FORMAT(d) | KEEP d, f, g`,
		want: `[{"d":"2023-02-03T04:05:06.000Z","f":"03/02/2023 04h05 Fri","g":"2023-02-03T04:05:06.000Z"}]`},
	// multi-value functions
	{query: `ROW a = [3, 1, 2] | EVAL f = MV_FIRST(a), l = MV_LAST(a), mn = MV_MIN(a), mx = MV_MAX(a), c = MV_COUNT(a), s = MV_SUM(a), sl = MV_SLICE(a, 1, 2), so = MV_SORT(a, "DESC") | DROP a`,
		want: `[{"f":3,"l":2,"mn":1,"mx":3,"c":3,"s":6,"sl":[1,2],"so":[3,2,1]}]`},
	{query: `ROW a = ["a", "b", "a"] | EVAL d = MV_DEDUPE(a), j = MV_CONCAT(a, ", "), c = MV_CONTAINS(a, "b"), i = MV_INTERSECTION(a, ["a", "z"]) | DROP a`,
		want: `[{"d":["a","b"],"j":"a, b, a","c":true,"i":"a"}]`},
	{query: `ROW a = ROUND(1.2345, 2), b = ROUND(-1.5), c = ROUND(1234, -2), d = ABS(-3), e = FLOOR(1.7), f = CEIL(1.2)`,
		want: `[{"a":1.23,"b":-2.0,"c":1200,"d":3,"e":1.0,"f":2.0}]`},
	{query: `ROW a = MD5("a"), b = SHA256("a"), c = HASH("sha1", "a"), d = SIGNUM(-3), e = LOG(10, 100), f = MV_MEDIAN([3, 1, 7])`,
		want: `[{"a":"0cc175b9c0f1b6a831c399e269772661","b":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb","c":"86f7e437faa5a7fce15d1ddcb9eaeaea377667b8","d":-1.0,"e":2.0,"f":3}]`},
	{query: `ROW d = TO_DATETIME("2024-05-01T10:35:00Z"), p = IP_PREFIX(TO_IP("192.168.1.123"), 24, 112) | EVAL b = BUCKET(d, 1 hour), n = BUCKET(17, 5) | KEEP b, n, p`,
		want: `[{"b":"2024-05-01T10:00:00.000Z","n":15.0,"p":"192.168.1.0"}]`},
	// commands
	{query: `ROW a = [1, 2, 3], b = "x" | MV_EXPAND a | SORT a DESC | LIMIT 2`, want: `[{"a":3,"b":"x"},{"a":2,"b":"x"}]`},
	{query: `ROW a = "1.2.3.4 GET /index.html 200" | GROK a "%{IP:ip} %{WORD:verb} %{NOTSPACE:path} %{NUMBER:status:int}" | DROP a`,
		want: `[{"ip":"1.2.3.4","verb":"GET","path":"/index.html","status":200}]`},
	{query: `ROW a = "2023-01-23T12:15:00.000Z - some text - 127.0.0.1" | DISSECT a "%{date} - %{msg} - %{ip}" | DROP a`,
		want: `[{"date":"2023-01-23T12:15:00.000Z","msg":"some text","ip":"127.0.0.1"}]`},
	{query: `ROW a = "john jacob jingleheimer" | DISSECT a "%{+n} %{+n} %{+n}" APPEND_SEPARATOR = "," | DROP a`,
		want: `[{"n":"john,jacob,jingleheimer"}]`},
	{query: `ROW a = "a     b" | DISSECT a "%{x->} %{y}" | DROP a`, want: `[{"x":"a","y":"b"}]`},
	{query: `ROW a = 1, b = 2 | RENAME a AS c | EVAL b = b * 10 | KEEP c, b`, want: `[{"c":1,"b":20}]`},
	// FROM: types from the mapping, doc values sorted, nulls sorted last
	{query: `FROM logs | SORT n | KEEP n, s`,
		docs: []string{`{"n":3,"s":["b","a","b"]}`, `{"s":"z"}`, `{"n":1}`},
		want: `[{"n":1,"s":null},{"n":3,"s":["a","b"]},{"n":null,"s":"z"}]`},
	{query: `FROM logs | SORT n DESC | KEEP n`,
		docs: []string{`{"n":3}`, `{}`, `{"n":1}`},
		want: `[{"n":null},{"n":3},{"n":1}]`},
	{query: `FROM logs | SORT n ASC NULLS FIRST | KEEP n`,
		docs: []string{`{"n":3}`, `{}`, `{"n":1}`},
		want: `[{"n":null},{"n":1},{"n":3}]`},
	{query: `FROM logs METADATA _id | WHERE ip == "10.0.0.1" | KEEP _id, ip, @timestamp`,
		docs: []string{`{"ip":"10.0.0.1","@timestamp":"2024-05-01T10:00:00Z"}`, `{"ip":"10.0.0.2"}`},
		want: `[{"_id":"a","ip":"10.0.0.1","@timestamp":"2024-05-01T10:00:00.000Z"}]`},
	// STATS
	{query: `FROM logs | STATS rows = COUNT(*), values = COUNT(s), distinct = COUNT_DISTINCT(s), v = VALUES(s), mn = MIN(s), mx = MAX(n), sum = SUM(n), avg = AVG(n)`,
		docs: []string{`{"s":["b","a"],"n":1}`, `{"s":"c","n":2}`, `{"n":3}`},
		want: `[{"rows":3,"values":3,"distinct":3,"v":["a","b","c"],"mn":"a","mx":3,"sum":6,"avg":2.0}]`},
	{query: `FROM logs | STATS c = COUNT(*) BY s | SORT s`,
		docs: []string{`{"s":["b","a"]}`, `{"s":"a"}`, `{}`},
		want: `[{"c":2,"s":"a"},{"c":1,"s":"b"},{"c":1,"s":null}]`},
	{query: `FROM logs | STATS ok = COUNT(*) WHERE b, all = COUNT(*), m = MAX(n) + 1 BY bucket = DATE_TRUNC(1 hour, @timestamp)`,
		docs: []string{`{"b":true,"n":1,"@timestamp":"2024-05-01T10:05:00Z"}`, `{"b":false,"n":5,"@timestamp":"2024-05-01T10:59:00Z"}`},
		want: `[{"ok":1,"all":2,"m":6,"bucket":"2024-05-01T10:00:00.000Z"}]`},
	// BUCKET with a target count and a range: at most 20 buckets over a year
	// are months, 100 are weeks, 24 over a day are hours; numbers get a
	// width of a power of ten or half of one.
	{query: `ROW d = TO_DATETIME("1985-07-09T13:20:00Z") | EVAL m = BUCKET(d, 20, "1985-01-01T00:00:00Z", "1986-01-01T00:00:00Z"), w = BUCKET(d, 100, "1985-01-01T00:00:00Z", "1986-01-01T00:00:00Z"), h = BUCKET(d, 24, "1985-07-09T00:00:00Z", "1985-07-10T00:00:00Z"), y = BUCKET(d, 3, "1985-01-01T00:00:00Z", "1990-01-01T00:00:00Z") | DROP d`,
		want: `[{"m":"1985-07-01T00:00:00.000Z","w":"1985-07-08T00:00:00.000Z","h":"1985-07-09T13:00:00.000Z","y":"1985-01-01T00:00:00.000Z"}]`},
	// A count of 2^31-1 over 60 years picks 1 s buckets (1 ms would need
	// more), counted by division, not by stepping through the range; a
	// count of 0 fits nothing: years.
	{query: `ROW d = TO_DATETIME("1985-07-09T13:20:00.123Z") | EVAL b = BUCKET(d, 2147483647, "1970-01-01T00:00:00Z", "2030-01-01T00:00:00Z"), c = BUCKET(d, 0, "1985-01-01T00:00:00Z", "1986-01-01T00:00:00Z") | DROP d`,
		want: `[{"b":"1985-07-09T13:20:00.000Z","c":"1985-01-01T00:00:00.000Z"}]`},
	{query: `ROW s = 36174 | EVAL a = BUCKET(s, 20, 25324, 74999), b = BUCKET(s, 3, 0, 100000), c = BUCKET(s, 10, 0, 100)`,
		want: `[{"s":36174,"a":35000.0,"b":0.0,"c":36170.0}]`},
	{query: `FROM logs | STATS w = WEIGHTED_AVG(n, k), h = MAX(HYPOT(n, k))`,
		docs: []string{`{"n":10,"k":1}`, `{"n":20,"k":3}`, `{"n":99}`, `{"n":[1,2],"k":5}`},
		want: `[{"w":17.5,"h":20.223748416156685}]`, warns: 2},
	{query: `ROW s = "hello vital" | EVAL a = SUBSTRING(s, -5), b = SUBSTRING(s, -5, 2), c = SUBSTRING(s, 0, 2), d = SUBSTRING(s, 20), e = SUBSTRING(s, -20, 3) | DROP s`,
		want: `[{"a":"vital","b":"vi","c":"he","d":"","e":"hel"}]`},
	{query: `ROW a = SUBSTRING("abc", 1, -1)`, want: `[{"a":null}]`, warns: 2},
	{query: `ROW a = SIN(0.0), b = COS(0.0), c = ATAN2(0.0, 1.0), d = TO_DEGREES(PI()), e = TO_RADIANS(180), f = CBRT(27), g = ACOS(1), h = TAU() / 2 == PI()`,
		want: `[{"a":0.0,"b":1.0,"c":0.0,"d":180.0,"e":3.141592653589793,"f":3.0,"g":0.0,"h":true}]`},
	{query: `ROW a = ASIN(2)`, want: `[{"a":null}]`, warns: 2},
	{query: `ROW a = MV_APPEND([1, 2], 3), b = MV_APPEND(null, "x")`, want: `[{"a":[1,2,3],"b":"x"}]`},
	{query: `ROW a = ["x", "y", "z"], b = ["1", "2"] | EVAL c = MV_ZIP(a, b, "-"), d = MV_ZIP(a, b), e = MV_ZIP(null, b) | KEEP c, d, e`,
		want: `[{"c":["x-1","y-2","z"],"d":["x,1","y,2","z"],"e":["1","2"]}]`},
	{query: `FROM logs | STATS s = SUM(n)`, docs: []string{`{"n":9223372036854775807}`, `{"n":1}`}, want: `[{"s":null}]`, warns: 2},
	{query: `FROM logs | INLINE STATS total = COUNT(*) BY s | KEEP s, n, total | SORT n`,
		docs: []string{`{"s":"a","n":1}`, `{"s":"a","n":2}`, `{"s":"b","n":3}`},
		want: `[{"s":"a","n":1,"total":2},{"s":"a","n":2,"total":2},{"s":"b","n":3,"total":1}]`},
	{query: `FROM logs | STATS t = TOP(n, 2, "desc"), f = FIRST(s, n), l = LAST(s, n), md = MEDIAN(n)`,
		docs: []string{`{"s":"x","n":1}`, `{"s":"y","n":5}`, `{"s":"z","n":3}`},
		want: `[{"t":[5,3],"f":"x","l":"y","md":3.0}]`},
	{query: `FROM logs | STATS c = COUNT(*)`, want: `[{"c":0}]`},
	// KQL() and MATCH over Vigil's KQL engine
	{query: `FROM logs | WHERE KQL("s:a* and not n > 2") | KEEP s`,
		docs: []string{`{"s":"ab","n":1}`, `{"s":"ac","n":3}`, `{"s":"b","n":1}`},
		want: `[{"s":"ab"}]`},
	{query: `FROM logs | WHERE MATCH(t, "quick fox") | KEEP t`,
		docs: []string{`{"t":"The Quick brown dog"}`, `{"t":"lazy dog"}`},
		want: `[{"t":"The Quick brown dog"}]`},
	{query: `FROM logs | WHERE MATCH(s, "svchost.exe", {"fuzziness": 1}) | KEEP s`,
		docs: []string{`{"s":"svch0st.exe"}`, `{"s":"svchost.exe"}`, `{"s":"scvhost.exe"}`, `{"s":"svc.exe"}`},
		want: `[{"s":"svch0st.exe"},{"s":"svchost.exe"},{"s":"scvhost.exe"}]`},
	// JSON_EXTRACT over _source, unmapped fields used as numbers
	{query: `FROM logs METADATA _source | EVAL m = JSON_EXTRACT(_source, "$.sip.method"), c = JSON_EXTRACT(_source, "sip.code") | KEEP m, c`,
		docs: []string{`{"sip":{"method":"REGISTER","code":401}}`, `{"sip.method":"INVITE"}`},
		want: `[{"m":"REGISTER","c":"401"},{"m":"INVITE","c":null}]`},
	{query: `FROM logs | WHERE tokens > 100 | STATS a = AVG(tokens)`,
		docs: []string{`{"tokens":50}`, `{"tokens":150}`, `{"tokens":"250"}`},
		want: `[{"a":200.0}]`},
	// geo
	{query: `ROW p = TO_GEOPOINT("POINT(2.35 48.85)"), q = TO_GEOPOINT("POINT(-0.12 51.5)") | EVAL x = ST_X(p), km = ROUND(ST_DISTANCE(p, q) / 1000.0, 0) | KEEP x, km`,
		want: `[{"x":2.35,"km":343.0}]`},
}

func TestEval(t *testing.T) { runEvalTests(t, evalTests) }

// runEvalTests runs each query over its documents and compares the rows
// and the number of warnings.
func runEvalTests(t *testing.T, tests []evalTest) {
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, warns := runQuery(t, tt.query, tt.docs...)
			if got != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.query, got, tt.want)
			}
			if len(warns) != tt.warns {
				t.Errorf("%s: %d warnings, want %d: %q", tt.query, len(warns), tt.warns, warns)
			}
		})
	}
}

// TestErrors checks that bad queries are refused with the fault's position.
func TestErrors(t *testing.T) {
	for _, tt := range []struct {
		query, want string
	}{
		{`FROM logs | WHERE s = "x"`, `1:21: unexpected = in an expression`},
		{`FROM logs | EVAL x = TO_LOWER(n)`, `1:31: argument 1 of TO_LOWER must be a string, not [n] of type long`},
		{`FROM logs | KEEP s | EVAL y = n`, `1:31: unknown column [n]`},
		{`FROM logs | STATS x = n + 1`, `1:23: [n + 1] is not an aggregate`},
		{`FROM logs | EVAL x = COUNT(*)`, `1:22: aggregate function [COUNT] is only allowed in STATS`},
		{`FROM logs | SORT n | WHERE KQL("s:a")`, `1:28: [KQL] can only be used on the documents of FROM`},
		{`FROM logs | COMPLETION x = "q" WITH {"inference_id": "m"}`, `1:13: COMPLETION is not supported: COMPLETION sends rows to a language model`},
		{`FROM logs | LIMIT x`, `1:19: LIMIT takes a non-negative whole number`},
		{`FROM logs | FOO`, `1:13: unknown command "FOO"`},
		{`FROM logs | WHERE "unterminated`, `1:19: unterminated string`},
		{`FROM logs | GROK s "%{NOPE:x}"`, `1:20: invalid grok pattern: unknown grok pattern %{NOPE}`},
		{`FROM logs | WHERE DATE_DIFF("fortnight", @timestamp, NOW()) > 1`, `1:29: unknown DATE_DIFF unit "fortnight"`},
		{`ROW a = 1 | WHERE a`, `1:19: WHERE needs a boolean condition`},
		{"FROM logs\n| WHERE s ==", `2:13: expected an expression, found the end of the query`},
	} {
		checkCompileError(t, tt.query, tt.want, map[string]ecs.Type{"n": ecs.Long, "s": ecs.Keyword, "@timestamp": ecs.Date})
	}
}

// checkCompileError fails unless query, over fields of the types given,
// is refused with an error starting with want and showing a caret.
func checkCompileError(t *testing.T, query, want string, types map[string]ecs.Type) {
	t.Helper()
	q, err := Parse(query)
	if err == nil {
		_, err = Compile(q, Options{Schema: ecs.NewSchema(types)})
	}
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("%q: got error %v, want %q", query, err, want)
		return
	}
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Detail(), "^") {
		t.Errorf("%q: the error has no caret: %v", query, err)
	}
}

// TestPrint checks the canonical form and that it parses back to itself.
func TestPrint(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`from logs-*, .alerts-security.* metadata _id | where not a like "x*" and b in (1, 2) or c is null`,
			"FROM logs-*, .alerts-security.* METADATA _id\n| WHERE NOT a LIKE \"x*\" AND b IN (1, 2) OR c IS NULL"},
		{`row a = (1 + 2) * 3, b = -x, ` + "`weird name`" + ` = "q\"uote"`,
			"ROW a = (1 + 2) * 3, b = -x, `weird name` = \"q\\\"uote\""},
		{`from x | stats c = count(*) where b, max(n) by h = date_trunc(1 hour, @timestamp) | sort c desc nulls last, h | limit 5`,
			"FROM x\n| STATS c = COUNT(*) WHERE b, MAX(n) BY h = DATE_TRUNC(1 hour, @timestamp)\n| SORT c DESC NULLS LAST, h ASC\n| LIMIT 5"},
		{`from x | dissect m "%{a} %{b}" append_separator=":" | grok m """%{WORD:w}""" | rename a as b, c = d | keep a*, b | drop c | mv_expand b`,
			"FROM x\n| DISSECT m \"%{a} %{b}\" APPEND_SEPARATOR = \":\"\n| GROK m \"%{WORD:w}\"\n| RENAME a AS b, d AS c\n| KEEP a*, b\n| DROP c\n| MV_EXPAND b"},
		{`from x | inline stats n = count(*) by u | eval y = a::double, z = NOT (a OR b)`,
			"FROM x\n| INLINE STATS n = COUNT(*) BY u\n| EVAL y = a::double, z = NOT (a OR b)"},
	} {
		q, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := q.String(); got != tt.want {
			t.Errorf("Parse(%q).String():\n got %s\nwant %s", tt.in, got, tt.want)
		}
		q2, err := Parse(q.String())
		if err != nil || q2.String() != q.String() {
			t.Errorf("%q does not print back stably: %v", tt.in, err)
		}
	}
}

// TestMemoryBounds checks that a run stops with an error rather than grow
// past its bounds.
func TestMemoryBounds(t *testing.T) {
	for _, tt := range []struct{ query, want string }{
		{`FROM logs | STATS c = COUNT(*) BY n`, "STATS makes more than 10 groups"},
		{`FROM logs | SORT n | WHERE n > 0`, "SORT without LIMIT holds more than 10 rows"},
		{`FROM logs | INLINE STATS c = COUNT(*)`, "INLINE STATS holds more than 10 rows"},
	} {
		q, err := Parse(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Compile(q, Options{Schema: ecs.NewSchema(map[string]ecs.Type{"n": ecs.Long}), MaxGroups: 10, MaxHeldRows: 10})
		if err != nil {
			t.Fatal(err)
		}
		r := p.Start()
		added := 0
		for i := 0; i < 100 && !r.Done(); i++ {
			r.Add(Doc{Event: event.New([]byte(`{"n":`+strings.Repeat("1", 1)+string(rune('0'+i%10))+`}`), p.Plan())})
			r.Add(Doc{Event: event.New([]byte(`{"n":`+strconvItoa(100+i)+`}`), p.Plan())})
			added++
		}
		r.Finish()
		if r.Err() == nil || !strings.Contains(r.Err().Error(), tt.want) {
			t.Errorf("%s: Err() = %v, want %q", tt.query, r.Err(), tt.want)
		}
		if added > 10 {
			t.Errorf("%s: the run took %d documents after its bound", tt.query, added)
		}
	}
}

func strconvItoa(i int) string { return formatCell(int64(i), Long) }

// TestCountDistinctPrecision checks COUNT_DISTINCT: exact up to the
// precision threshold, an estimate within 2% above it, memory bounded.
func TestCountDistinctPrecision(t *testing.T) {
	for _, tt := range []struct {
		query string
		n     int
		exact bool
	}{
		{`FROM logs | STATS c = COUNT_DISTINCT(n)`, 3000, true},
		{`FROM logs | STATS c = COUNT_DISTINCT(n, 100)`, 100, true},
		{`FROM logs | STATS c = COUNT_DISTINCT(n, 100)`, 20000, false},
		{`FROM logs | STATS c = COUNT_DISTINCT(n)`, 50000, false},
	} {
		q, _ := Parse(tt.query)
		p, err := Compile(q, Options{Schema: ecs.NewSchema(map[string]ecs.Type{"n": ecs.Long})})
		if err != nil {
			t.Fatal(err)
		}
		r := p.Start()
		for i := 0; i < tt.n; i++ {
			for range 2 { // every value twice
				r.Add(Doc{Event: event.New([]byte(`{"n":`+strconvItoa(i*7919)+`}`), p.Plan())})
			}
		}
		got := r.Finish().Rows[0][0].(int64)
		if tt.exact && got != int64(tt.n) {
			t.Errorf("%s over %d values: %d, want exactly %d", tt.query, tt.n, got, tt.n)
		}
		if off := float64(got-int64(tt.n)) / float64(tt.n); !tt.exact && (off > 0.02 || off < -0.02) {
			t.Errorf("%s over %d values: %d, more than 2%% off", tt.query, tt.n, got)
		}
	}
}

// TestWarningText checks Elasticsearch's wording of evaluation warnings,
// quoting the expression as written.
func TestWarningText(t *testing.T) {
	_, warns := runQuery(t, `ROW a = ["x","y"] | EVAL b = concat(a, "z")`)
	want := []string{
		`Line 1:30: evaluation of [concat(a, "z")] failed, treating result as null. Only first 20 failures recorded.`,
		`Line 1:30: java.lang.IllegalArgumentException: single-value function encountered multi-value`,
	}
	if strings.Join(warns, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(warns, "\n"), strings.Join(want, "\n"))
	}
}

// TestDistinctValues: COUNT_DISTINCT and VALUES over keyword and IP
// values, as few, many and past the precision threshold, give the exact
// count, the sorted distinct values, and the sketch's estimate of the
// values' encodings (the estimate does not depend on how the exact set
// held them).
func TestDistinctValues(t *testing.T) {
	for _, typ := range []ecs.Type{ecs.Keyword, ecs.IP} {
		for _, n := range []int{1, smallSet, smallSet + 1, 500, 3001, 6000} {
			q, _ := Parse(`FROM logs | STATS c = COUNT_DISTINCT(s), v = VALUES(s)`)
			p, err := Compile(q, Options{Schema: ecs.NewSchema(map[string]ecs.Type{"s": typ})})
			if err != nil {
				t.Fatal(err)
			}
			r := p.Start()
			var want []any
			ref := &distinctState{hll: make([]uint8, 1<<hllBits)}
			for i := range n {
				k := (i * 7919) % n
				text := fmt.Sprintf("v%05d", k)
				var v any = text
				if typ == ecs.IP {
					text = fmt.Sprintf("10.%d.%d.%d", k>>16, (k>>8)&255, k&255)
					v = netip.MustParseAddr(text)
				}
				want = append(want, v)
				ref.addHash(appendKey(nil, v))
				for range 2 { // every value twice
					r.Add(Doc{Event: event.New([]byte(`{"s":"`+text+`"}`), p.Plan())})
				}
			}
			slices.SortFunc(want, compareValues)
			row := r.Finish().Rows[0]
			wantCount := int64(n)
			if n > 3000 {
				wantCount = ref.result(nil).(int64)
			}
			if row[0] != wantCount {
				t.Errorf("%s: COUNT_DISTINCT over %d values: %v, want %d", typ, n, row[0], wantCount)
			}
			if got := fmt.Sprint(values(row[1])); got != fmt.Sprint(want) {
				t.Errorf("%s: VALUES over %d values: %.80s..., want them sorted", typ, n, got)
			}
		}
	}
}
