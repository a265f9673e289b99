package esql

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
)

// newFunctionTests: Elasticsearch's documented examples (input, expected
// output) of the functions added with unsigned_long and SAMPLE, then edge
// cases (null, multi-values, out of range).
var newFunctionTests = []evalTest{
	// TO_UNSIGNED_LONG: the reference's example, with its warning (same position)
	{query: `ROW str1 = "2147483648", str2 = "2147483648.2", str3 = "foo" | EVAL long1 = TO_UNSIGNED_LONG(str1), long2 = TO_ULONG(str2), long3 = TO_UL(str3)`,
		want: `[{"str1":"2147483648","str2":"2147483648.2","str3":"foo","long1":2147483648,"long2":2147483648,"long3":null}]`, warns: 2},
	{query: `ROW a = TO_UL(true), b = TO_UL(false), c = TO_UL(1.9), d = TO_UL("1e3"), e = TO_UL("2024-01-01T00:00:00Z"::datetime), f = TO_UL(null), g = "18446744073709551615"::unsigned_long`,
		want: `[{"a":1,"b":0,"c":1,"d":1000,"e":1704067200000,"f":null,"g":18446744073709551615}]`},
	{query: `ROW a = TO_UL(-1), b = TO_UL(1.0e20), c = TO_UL("18446744073709551616"), d = TO_UL(-0.5)`,
		want: `[{"a":null,"b":null,"c":null,"d":null}]`, warns: 8},
	{query: `ROW a = TO_UL([1, 2, -3])`, want: `[{"a":[1,2]}]`, warns: 2},
	{query: `ROW a = TO_UL(".5e1"), b = TO_UL("+7."), c = TO_UL("1E+2"), d = TO_UL("."), e = TO_UL("1e"), f = TO_UL("1.2.3"), g = TO_UL("")`,
		want: `[{"a":5,"b":7,"c":100,"d":null,"e":null,"f":null,"g":null}]`, warns: 8},
	// unsigned_long arithmetic: the spec's division, the range's ends
	{query: `ROW a = TO_UL(74330435873664882) | EVAL div = a / TO_UL(POW(10., 15)), m = a % TO_UL(1000), s = a - TO_UL(2), p = TO_UL(3) * TO_UL(4)`,
		want: `[{"a":74330435873664882,"div":74,"m":882,"s":74330435873664880,"p":12}]`},
	{query: `ROW a = TO_UL(18446744073709551615), one = TO_UL(1) | EVAL sum = a + one, diff = one - a, prod = a * TO_UL(2), d0 = a / TO_UL(0), back = a - one | KEEP sum, diff, prod, d0, back`,
		want: `[{"sum":null,"diff":null,"prod":null,"d0":null,"back":18446744073709551614}]`, warns: 8},
	// comparisons are exact, across the signed range too
	{query: `ROW a = TO_UL(18446744073709551615) | EVAL gt = a > 9223372036854775807, eq = a == TO_UL("18446744073709551615"), lt = TO_UL(0) < -1, in = a IN (TO_UL(1), a)`,
		want: `[{"a":18446744073709551615,"gt":true,"eq":true,"lt":false,"in":true}]`},
	// conversions out of unsigned_long
	{query: `ROW a = TO_UL(18446744073709551615), b = TO_UL(9223372036854775807) | EVAL l = TO_LONG(a), lb = TO_LONG(b), i = TO_INTEGER(TO_UL(5)), d = TO_DOUBLE(a), s = TO_STRING(a) | KEEP l, lb, i, d, s`,
		want: `[{"l":null,"lb":9223372036854775807,"i":5,"d":1.8446744073709552E19,"s":"18446744073709551615"}]`, warns: 2},
	{query: `ROW a = TO_DATETIME(TO_UL(1704067200000)), b = TO_DATETIME(TO_UL(18446744073709551615))`,
		want: `[{"a":"2024-01-01T00:00:00.000Z","b":null}]`, warns: 2},
	// MV_PERCENTILE: the reference's example, interpolation, bounds
	{query: `ROW values = [5, 5, 10, 12, 5000] | EVAL p50 = MV_PERCENTILE(values, 50), median = MV_MEDIAN(values)`,
		want: `[{"values":[5,5,10,12,5000],"p50":10,"median":10}]`},
	{query: `ROW a = [5, 5, 10, 12, 5000] | EVAL p0 = MV_PERCENTILE(a, 0), p100 = MV_PERCENTILE(a, 100), p75 = MV_PERCENTILE(a, 75.5), d = MV_PERCENTILE([1.0, 2.5, 9.0], 25), one = MV_PERCENTILE(7, 99) | KEEP p0, p100, p75, d, one`,
		want: `[{"p0":5,"p100":5000,"p75":111,"d":1.75,"one":7}]`},
	{query: `ROW a = [1, 2] | EVAL hi = MV_PERCENTILE(a, 150), lo = MV_PERCENTILE(a, -1), n = MV_PERCENTILE(null, 50), np = MV_PERCENTILE(a, null), mp = MV_PERCENTILE(a, [1, 2]) | KEEP hi, lo, n, np, mp`,
		want: `[{"hi":null,"lo":null,"n":null,"np":null,"mp":null}]`, warns: 6},
	{query: `ROW a = [-9223372036854775807, 9223372036854775807] | EVAL p = MV_PERCENTILE(a, 50)`,
		want: `[{"a":[-9223372036854775807,9223372036854775807],"p":0}]`},
	// MV_PSERIES_WEIGHTED_SUM: the reference's example
	{query: `ROW a = [70.0, 45.0, 21.0, 21.0, 21.0] | EVAL sum = MV_PSERIES_WEIGHTED_SUM(a, 1.5) | KEEP sum`,
		want: `[{"sum":94.45465156212452}]`},
	{query: `ROW a = 3.0, n = null::double | EVAL s = MV_PSERIES_WEIGHTED_SUM(a, 2.0), z = MV_PSERIES_WEIGHTED_SUM(n, 2.0), p = MV_PSERIES_WEIGHTED_SUM([4.0, 4.0], 2.0) | KEEP s, z, p`,
		want: `[{"s":3.0,"z":null,"p":5.0}]`},
	// MV_MEDIAN_ABSOLUTE_DEVIATION: the reference's example, doubles, overflow
	{query: `ROW values = [0, 2, 5, 6] | EVAL median_absolute_deviation = MV_MEDIAN_ABSOLUTE_DEVIATION(values), median = MV_MEDIAN(values)`,
		want: `[{"values":[0,2,5,6],"median_absolute_deviation":2,"median":3}]`},
	{query: `ROW a = [1.0, 2.5, 9.0], b = 4, c = [-2147483648, 2147483647] | EVAL d = MV_MEDIAN_ABSOLUTE_DEVIATION(a), s = MV_MEDIAN_ABSOLUTE_DEVIATION(b), o = MV_MEDIAN_ABSOLUTE_DEVIATION(c) | KEEP d, s, o`,
		want: `[{"d":1.5,"s":0,"o":null}]`, warns: 2},
	// a list of an unsigned_long and whole numbers is of unsigned_longs
	{query: `ROW a = [10000000000000000000, 0] | EVAL s = MV_SUM(a), m = MV_MIN(a), d = MV_DEDUPE([18446744073709551615, 5, 5])`,
		want: `[{"a":[10000000000000000000,0],"s":10000000000000000000,"m":0,"d":[18446744073709551615,5]}]`},
	// MV_SUM: overflow is null with a warning; MV_MEDIAN of longs is exact
	{query: `ROW a = [2147483647, 1], b = [9007199254740993, 9007199254740995] | EVAL s = MV_SUM(a), l = MV_SUM(TO_LONG(a)), m = MV_MEDIAN(b), u = MV_SUM(TO_UL([18446744073709551615, 1])) | KEEP s, l, m, u`,
		want: `[{"s":null,"l":2147483648,"m":9007199254740994,"u":null}]`, warns: 4},
	// CLAMP, CLAMP_MIN, CLAMP_MAX
	{query: `ROW a = CLAMP(5, 1, 3), b = CLAMP_MIN(5, 10), c = CLAMP_MAX(5.5, 2), d = CLAMP("m", "a", "f"), e = CLAMP(2, 1.5, 3), g = CLAMP(5, 10, 1)`,
		want: `[{"a":3,"b":10,"c":2.0,"d":"f","e":2.0,"g":10}]`},
	{query: `ROW t = "2024-05-01T10:00:00Z"::datetime, ip = "10.0.0.9"::ip | EVAL ct = CLAMP_MAX(t, "2024-01-01T00:00:00Z"::datetime), ci = CLAMP(ip, "10.0.0.1"::ip, "10.0.0.5"::ip), b = CLAMP_MAX(true, false) | KEEP ct, ci, b`,
		want: `[{"ct":"2024-01-01T00:00:00.000Z","ci":"10.0.0.5","b":false}]`},
	{query: `ROW a = CLAMP([1, 2], 0, 1), b = CLAMP(null::integer, 1, 2), c = CLAMP_MIN(1, null)`,
		want: `[{"a":null,"b":null,"c":null}]`, warns: 2},
	// DAY_NAME, MONTH_NAME: the reference's examples
	{query: `ROW dt = to_datetime("1953-09-02T00:00:00.000Z") | EVAL weekday = DAY_NAME(dt)`,
		want: `[{"dt":"1953-09-02T00:00:00.000Z","weekday":"Wednesday"}]`},
	{query: `ROW dt = to_datetime("1996-03-21T00:00:00.000Z") | EVAL monthName = MONTH_NAME(dt)`,
		want: `[{"dt":"1996-03-21T00:00:00.000Z","monthName":"March"}]`},
	{query: `ROW dt = null::datetime, n = TO_DATE_NANOS("2024-12-31T23:59:59.999999999Z") | EVAL d = DAY_NAME(dt), m = MONTH_NAME(n) | KEEP d, m`,
		want: `[{"d":null,"m":"December"}]`},
	{query: `FROM logs | EVAL d = DAY_NAME(@timestamp) | KEEP d`,
		docs: []string{`{"@timestamp":["2024-01-01T00:00:00Z","2024-01-02T00:00:00Z"]}`, `{"@timestamp":"2024-01-07T23:59:59Z"}`},
		want: `[{"d":null},{"d":"Sunday"}]`, warns: 2},
	// URL_ENCODE_COMPONENT: the reference's example
	{query: `ROW u = "https://example.com/?x=foo bar&y=baz" | EVAL u = URL_ENCODE_COMPONENT(u)`,
		want: `[{"u":"https%3A%2F%2Fexample.com%2F%3Fx%3Dfoo%20bar%26y%3Dbaz"}]`},
	{query: `ROW u = "a-b_c.d~e+é*" | EVAL c = URL_ENCODE_COMPONENT(u), q = URL_ENCODE(u), n = URL_ENCODE_COMPONENT(null) | KEEP c, q, n`,
		want: `[{"c":"a-b_c.d~e%2B%C3%A9%2A","q":"a-b_c.d~e%2B%C3%A9%2A","n":null}]`},
	// TO_DATE_NANOS
	{query: `ROW a = TO_DATE_NANOS("2023-10-23T12:27:28.948123456Z"), b = TO_DATE_NANOS(1698063303360103847), c = "2023-10-23T12:27:28.948Z"::date_nanos, d = TO_DATE_NANOS("2023-10-23T12:27:28.948Z"::datetime), e = TO_DATE_NANOS(TO_UL(5))`,
		want: `[{"a":"2023-10-23T12:27:28.948123456Z","b":"2023-10-23T12:15:03.360103847Z","c":"2023-10-23T12:27:28.948000000Z","d":"2023-10-23T12:27:28.948000000Z","e":"1970-01-01T00:00:00.000000005Z"}]`},
	{query: `ROW a = TO_DATE_NANOS("1969-12-31T00:00:00Z"), b = TO_DATE_NANOS("2262-04-12T00:00:00Z"), c = TO_DATE_NANOS(TO_LONG(-1)), d = TO_DATE_NANOS("nope")`,
		want: `[{"a":null,"b":null,"c":null,"d":null}]`, warns: 8},
	{query: `FROM logs | WHERE @timestamp::date_nanos < TO_DATE_NANOS("2023-10-23T12:27:28.948Z") | KEEP @timestamp`,
		docs: []string{`{"@timestamp":"2023-10-23T12:15:03.360Z"}`, `{"@timestamp":"2023-10-23T12:30:00Z"}`},
		want: `[{"@timestamp":"2023-10-23T12:15:03.360Z"}]`},
	// TO_TIMEDURATION, TO_DATEPERIOD and their casts
	{query: `ROW x = "2024-01-31T10:00:00Z"::datetime | EVAL a = x + TO_TIMEDURATION("3 hours"), b = x - "1 month"::date_period, c = x + TO_DATEPERIOD("1 month"), d = DATE_TRUNC(TO_TIMEDURATION("15 minutes"), x + 20 minutes), e = x + TO_TIMEDURATION(1 hour), f = x + TO_TIMEDURATION(CONCAT("2", " hours")::keyword) | KEEP a, b, c, d, e, f`,
		want: `[{"a":"2024-01-31T13:00:00.000Z","b":"2023-12-31T10:00:00.000Z","c":"2024-02-29T10:00:00.000Z","d":"2024-01-31T10:15:00.000Z","e":"2024-01-31T11:00:00.000Z","f":"2024-01-31T12:00:00.000Z"}]`},
	// COPY_SIGN, SCALB: the reference's examples, then signs and overflow
	{query: `ROW magnitude = 5.2, sign = -9.0 | EVAL result = COPY_SIGN(magnitude, sign)`,
		want: `[{"magnitude":5.2,"sign":-9.0,"result":-5.2}]`},
	{query: `ROW a = COPY_SIGN(5, -0.0), b = COPY_SIGN(-5, 1), c = COPY_SIGN(-2147483648, 1), d = COPY_SIGN(-3.0, 2), e = COPY_SIGN(TO_LONG(7), -1), f = COPY_SIGN(null, 1)`,
		want: `[{"a":-5,"b":5,"c":null,"d":3.0,"e":-7,"f":null}]`, warns: 2},
	{query: `row x = 3.0, y = 10 | eval z = scalb(x, y)`, want: `[{"x":3.0,"y":10,"z":3072.0}]`},
	{query: `ROW a = SCALB(1, 2000), b = SCALB(TO_LONG(5), -1), c = SCALB(1.0, -2000), d = SCALB(1, 9223372036854775807)`,
		want: `[{"a":null,"b":2.5,"c":0.0,"d":null}]`, warns: 4},
	// ROUND_TO: the reference's example (one date), points in any order
	{query: `ROW d = "1962-05-03T00:00:00Z"::datetime | EVAL w = ROUND_TO(d, "1900-01-01T00:00:00Z"::DATETIME, "1950-01-01T00:00:00Z"::DATETIME, "1955-01-01T00:00:00Z"::DATETIME, "1960-01-01T00:00:00Z"::DATETIME, "1965-01-01T00:00:00Z"::DATETIME) | KEEP w`,
		want: `[{"w":"1960-01-01T00:00:00.000Z"}]`},
	{query: `ROW a = ROUND_TO(5, 10, 0, 4), b = ROUND_TO(-1, 0, 4), c = ROUND_TO(99, 0, 4), d = ROUND_TO(2.5, 1, 2, 3), e = ROUND_TO(4, 1.5, 3.5), f = ROUND_TO(null, 1), g = ROUND_TO(4, 4), h = ROUND_TO([1, 5], 0, 4)`,
		want: `[{"a":4,"b":0,"c":4,"d":2.0,"e":3.5,"f":null,"g":4,"h":null}]`, warns: 2},
	// TO_ASCII: escapes (a conversion: each value of a multi-value)
	{query: `ROW a = "Hello\n\t 世界! 🌍 Café naïve \\ \"q\" 'x'" | EVAL x = TO_ASCII(a) | KEEP x`,
		want: `[{"x":"Hello\\n\\t \\u4e16\\u754c! \\U0001f30d Caf\\xe9 na\\xefve \\\\ \\\"q\\\" \\'x\\'"}]`},
	{query: `ROW a = ["é", "plain"], n = null | EVAL x = TO_ASCII(a), y = TO_ASCII(n) | KEEP x, y`,
		want: `[{"x":["\\xe9","plain"],"y":null}]`},
	// constants may be expressions of literals
	{query: `ROW a = [4.0, 4.0] | EVAL s = MV_PSERIES_WEIGHTED_SUM(a, POW(2.0, 1.0)) | KEEP s`, want: `[{"s":5.0}]`},
	// YEAR, MONTH, DAY, HOUR: the reference's example, then date_nanos
	{query: `ROW dt = to_datetime("1996-03-21T00:00:00.000Z") | EVAL year = YEAR(dt)`,
		want: `[{"dt":"1996-03-21T00:00:00.000Z","year":1996}]`},
	{query: `ROW n = TO_DATE_NANOS("2024-12-31T23:59:59.999999999Z") | EVAL y = YEAR(n), m = MONTH(n), d = DAY(n), h = HOUR(n), z = YEAR(null) | KEEP y, m, d, h, z`,
		want: `[{"y":2024,"m":12,"d":31,"h":23,"z":null}]`},
	// TBUCKET: BUCKET over @timestamp, by a span or a count and a range
	{query: `FROM logs | STATS c = COUNT(*) BY b = TBUCKET(1 hour) | SORT b`,
		docs: []string{`{"@timestamp":"2024-05-01T10:20:00Z"}`, `{"@timestamp":"2024-05-01T10:50:00Z"}`, `{"@timestamp":"2024-05-01T11:01:00Z"}`},
		want: `[{"c":2,"b":"2024-05-01T10:00:00.000Z"},{"c":1,"b":"2024-05-01T11:00:00.000Z"}]`},
	{query: `FROM logs | STATS c = COUNT(*) BY b = TBUCKET(4, "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z") | SORT b`,
		docs: []string{`{"@timestamp":"2024-05-01T10:20:00Z"}`, `{"@timestamp":"2024-05-01T13:50:00Z"}`},
		want: `[{"c":1,"b":"2024-05-01T00:00:00.000Z"},{"c":1,"b":"2024-05-01T12:00:00.000Z"}]`},
	// PRESENT, ABSENT: over groups, with a filter, over no rows
	{query: `FROM logs | STATS p = PRESENT(n), a = ABSENT(n), pf = PRESENT(n) WHERE s == "y" BY g | SORT g`,
		docs: []string{`{"g":"a","n":1,"s":"x"}`, `{"g":"a","s":"y"}`, `{"g":"b","s":"y"}`},
		want: `[{"p":true,"a":false,"pf":false,"g":"a"},{"p":false,"a":true,"pf":false,"g":"b"}]`},
	{query: `FROM logs | STATS p = PRESENT(n), a = ABSENT(n)`, want: `[{"p":false,"a":true}]`},
}

func TestNewFunctions(t *testing.T) { runEvalTests(t, newFunctionTests) }

// TestNewFunctionWarnings checks the failure messages, as Elasticsearch
// words them.
func TestNewFunctionWarnings(t *testing.T) {
	for _, tt := range []struct{ query, want string }{
		{`ROW a = TO_UL("foo")`, `java.lang.NumberFormatException: Character f is neither a decimal digit number, decimal point, nor "e" notation exponential mark.`},
		{`ROW a = TO_UL(-1)`, `org.elasticsearch.xpack.esql.core.InvalidArgumentException: [-1] out of [unsigned_long] range`},
		{`ROW a = TO_UL(18446744073709551615) + TO_UL(1)`, `java.lang.ArithmeticException: unsigned_long overflow`},
		{`ROW a = MV_PERCENTILE([1, 2], 150)`, `java.lang.IllegalArgumentException: Percentile parameter must be a number between 0 and 100, found [150.0]`},
		{`ROW a = TO_LONG(TO_UL(18446744073709551615))`, `org.elasticsearch.xpack.esql.core.InvalidArgumentException: [18446744073709551615] out of [long] range`},
	} {
		_, warns := runQuery(t, tt.query)
		if len(warns) != 2 || !strings.HasSuffix(warns[1], ": "+tt.want) {
			t.Errorf("%s: warnings %q, want the reason %q", tt.query, warns, tt.want)
		}
	}
}

// TestNewFunctionErrors: argument types and counts are query errors with
// the position of the fault.
func TestNewFunctionErrors(t *testing.T) {
	for _, tt := range []struct{ query, want string }{
		{`ROW a = TO_UL(1) + 1`, `1:9: first argument of [TO_UL(1) + 1] is [unsigned_long] and second is [integer]. [unsigned_long] can only be operated on together with another [unsigned_long]`},
		{`ROW a = 2.5 * TO_UL(1)`, `1:9: first argument of [2.5 * TO_UL(1)] is [double] and second is [unsigned_long]`},
		{`ROW a = -TO_UL(1)`, `1:9: [-] cannot negate [TO_UL(1)] of type unsigned_long`},
		{`ROW a = TO_UL("1.1.1.1"::ip)`, `1:15: argument of TO_UL must be boolean, date, a number or a string, not ["1.1.1.1"::ip] of type ip`},
		{`ROW a = COALESCE(TO_UL(1), 2)`, `1:28: COALESCE arguments must have the same type: [2] is integer, an earlier one unsigned_long`},
		{`FROM logs | STATS s = SUM(ul)`, `1:27: SUM does not take [ul] of type unsigned_long`},
		{`FROM logs | STATS s = AVG(ul)`, `1:27: AVG does not take [ul] of type unsigned_long`},
		{`ROW a = MV_PERCENTILE(TO_UL(1), 50)`, `1:23: argument 1 of MV_PERCENTILE must be an integer, long or double, not [TO_UL(1)] of type unsigned_long`},
		{`ROW a = MV_PERCENTILE("x", 50)`, `1:23: argument 1 of MV_PERCENTILE must be a number, not ["x"] of type keyword`},
		{`ROW a = MV_PERCENTILE([1, 2])`, `1:9: MV_PERCENTILE takes 2 arguments, not 1`},
		{`ROW a = MV_PSERIES_WEIGHTED_SUM([1, 2], 1.5)`, `1:33: argument 1 of MV_PSERIES_WEIGHTED_SUM must be a double, not [[1, 2]] of type integer`},
		{`FROM logs | EVAL a = MV_PSERIES_WEIGHTED_SUM(d, d)`, `1:49: argument 2 of MV_PSERIES_WEIGHTED_SUM must be a constant`},
		{`ROW a = MV_MEDIAN_ABSOLUTE_DEVIATION("x")`, `1:38: argument 1 of MV_MEDIAN_ABSOLUTE_DEVIATION must be a number, not ["x"] of type keyword`},
		{`ROW a = CLAMP(null, 1, 2)`, `1:15: 'field' must not be null in CLAMP()`},
		{`ROW a = CLAMP(1, "a", 2)`, `1:18: CLAMP arguments must have the same type: ["a"] is keyword, an earlier one integer`},
		{`ROW a = CLAMP_MAX(1)`, `1:9: CLAMP_MAX takes 2 arguments, not 1`},
		{`ROW a = DAY_NAME("2024-01-01")`, `1:18: argument 1 of DAY_NAME must be a date, not ["2024-01-01"] of type keyword`},
		{`ROW a = MONTH_NAME(1)`, `1:20: argument 1 of MONTH_NAME must be a date, not [1] of type integer`},
		{`ROW a = URL_ENCODE_COMPONENT(1)`, `1:30: argument 1 of URL_ENCODE_COMPONENT must be a string, not [1] of type integer`},
		{`ROW a = TO_DATE_NANOS(true)`, `1:23: argument of TO_DATE_NANOS must be a date, a long, a double, an unsigned_long or a string, not [true] of type boolean`},
		{`ROW a = TO_TIMEDURATION("1 month")`, `1:25: cannot convert "1 month" to time_duration`},
		{`ROW a = TO_DATEPERIOD("3 hours")`, `1:23: cannot convert "3 hours" to date_period`},
		{`FROM logs | EVAL a = TO_TIMEDURATION(s)`, `1:38: argument of TO_TIMEDURATION must be a constant string or a time_duration, not [s] of type keyword`},
		{`ROW a = COPY_SIGN(TO_UL(1), 1)`, `1:19: argument 1 of COPY_SIGN must be an integer, long or double`},
		{`ROW a = SCALB(1.0, 1.5)`, `1:20: argument 2 of SCALB must be a whole number, not [1.5] of type double`},
		{`FROM logs | EVAL a = ROUND_TO(n, n)`, `1:34: argument 2 of ROUND_TO must be a constant`},
		{`FROM logs | EVAL a = ROUND_TO(n, NOW())`, `1:34: ROUND_TO arguments must have the same type: [NOW()] is date, an earlier one long`},
		{`ROW a = ROUND_TO("x", "y")`, `1:9: all arguments of ROUND_TO must be numeric, date or date_nanos, not keyword`},
		{`ROW a = MV_PSERIES_WEIGHTED_SUM([1.0], 1 / 0 * 1.0)`, `1:40: argument 2 of MV_PSERIES_WEIGHTED_SUM must be a constant that evaluates: java.lang.ArithmeticException: / by zero`},
		{`ROW a = TO_ASCII(1)`, `1:18: argument 1 of TO_ASCII must be a string, not [1] of type integer`},
		{`FROM logs | STATS c = COUNT(*) BY TBUCKET(20)`, `1:43: TBUCKET takes a time span, not [20] of type integer`},
		{`FROM logs | STATS c = COUNT(*) BY TBUCKET(1 hour, 2)`, `1:35: TBUCKET takes a time span, or a bucket count and a range, not 2 arguments`},
		{`ROW a = YEAR(1)`, `1:14: argument 1 of YEAR must be a date, not [1] of type integer`},
		{`ROW a = [18446744073709551615, -1]`, `1:9: a list mixes unsigned_long and the negative -1`},
		{`FROM logs | STATS r = RATE(n)`, `1:23: aggregate function RATE is not supported: time-series aggregates need the TS source command`},
		{`FROM logs | STATS a = SAMPLE(s, 0)`, `1:33: SAMPLE takes a field and a constant count of values from 1 to 100000`},
		{`FROM logs | STATS a = PRESENT(s, 1)`, `1:23: PRESENT takes 1 to 1 arguments, not 2`},
		{`FROM logs | SAMPLE 1`, `1:20: SAMPLE takes a probability between 0 and 1 (both excluded), found the number 1`},
		{`FROM logs | SAMPLE 0`, `1:20: SAMPLE takes a probability between 0 and 1 (both excluded), found the number 0`},
		{`FROM logs | SAMPLE n`, `1:20: SAMPLE takes a probability between 0 and 1 (both excluded), found "n"`},
		{"FROM logs\n| SAMPLE 1.5", `2:10: SAMPLE takes a probability between 0 and 1 (both excluded)`},
	} {
		checkCompileError(t, tt.query, tt.want, map[string]ecs.Type{"n": ecs.Long, "s": ecs.Keyword, "d": ecs.Double, "ul": ecs.UnsignedLong})
	}
}

// runSchema runs a query over documents with the given field types and
// returns the result rows as ES|QL's JSON would have them.
func runSchema(t *testing.T, types map[string]ecs.Type, query string, docs ...string) (string, []string) {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	p, err := Compile(q, Options{Schema: ecs.NewSchema(types), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("Compile(%q): %v", query, err)
	}
	r := p.Start()
	for _, d := range docs {
		r.Add(Doc{Event: event.New([]byte(d), p.Plan())})
	}
	res := r.Finish()
	var b strings.Builder
	for i, row := range res.Rows {
		if i > 0 {
			b.WriteByte('|')
		}
		for j, c := range res.Columns {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%v", c.Name, JSONValue(row[j], c.Type))
		}
	}
	return b.String(), res.Warnings
}

// TestUnsignedLongField reads an unsigned_long mapping's values: sorted as
// doc values, sorted, grouped, aggregated and summed as unsigned numbers.
func TestUnsignedLongField(t *testing.T) {
	types := map[string]ecs.Type{"ul": ecs.UnsignedLong, "s": ecs.Keyword}
	docs := []string{`{"ul":18446744073709551615,"s":"a"}`, `{"ul":[3,1],"s":"b"}`, `{"ul":"9223372036854775808","s":"a"}`, `{"s":"c"}`}
	for _, tt := range []struct{ query, want string }{
		{`FROM x | SORT ul DESC | KEEP ul`, `ul=<nil>|ul=18446744073709551615|ul=9223372036854775808|ul=[1 3]`},
		{`FROM x | SORT ul ASC | KEEP ul`, `ul=[1 3]|ul=9223372036854775808|ul=18446744073709551615|ul=<nil>`},
		{`FROM x | STATS mn = MIN(ul), mx = MAX(ul), cd = COUNT_DISTINCT(ul), c = COUNT(ul)`, `mn=1,mx=18446744073709551615,cd=4,c=4`},
		{`FROM x | WHERE ul > TO_UL(9223372036854775807) | KEEP s`, `s=a|s=a`},
		{`FROM x | EVAL m = MV_MAX(ul), su = MV_SUM(ul), md = MV_MEDIAN(ul), mad = MV_MEDIAN_ABSOLUTE_DEVIATION(ul), h = ul / TO_UL(2) | WHERE s == "b" | KEEP m, su, md, mad, h`,
			`m=3,su=4,md=2,mad=1,h=<nil>`},
		{`FROM x | STATS c = COUNT(*) BY ul | SORT ul DESC`, `c=1,ul=<nil>|c=1,ul=18446744073709551615|c=1,ul=9223372036854775808|c=1,ul=3|c=1,ul=1`},
	} {
		got, _ := runSchema(t, types, tt.query, docs...)
		if got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.query, got, tt.want)
		}
	}
}

// TestSampleCommand: SAMPLE keeps about its fraction of distinct rows, the
// same rows whatever their order, and each row always or never.
func TestSampleCommand(t *testing.T) {
	var docs, reversed []string
	for i := range 2000 {
		docs = append(docs, fmt.Sprintf(`{"n":%d,"s":"user%d"}`, i, i))
	}
	for i := len(docs) - 1; i >= 0; i-- {
		reversed = append(reversed, docs[i])
	}
	count, _ := runQuery(t, `FROM logs | SAMPLE 0.25 | STATS c = COUNT(*)`, docs...)
	var c int
	if _, err := fmt.Sscanf(count, `[{"c":%d}]`, &c); err != nil || c < 400 || c > 600 {
		t.Errorf("SAMPLE 0.25 kept %s of 2000 rows, want about 500", count)
	}
	kept, _ := runQuery(t, `FROM logs | SAMPLE 0.1 | STATS v = VALUES(n)`, docs...)
	keptRev, _ := runQuery(t, `FROM logs | SAMPLE 0.1 | STATS v = VALUES(n)`, reversed...)
	if kept != keptRev || kept == `[{"v":null}]` {
		t.Errorf("SAMPLE depends on the input order:\n%s\n%s", kept, keptRev)
	}
	// a row kept in a large run is kept alone too; a dropped one is dropped
	var in, out string
	for _, d := range docs[:50] {
		got, _ := runQuery(t, `FROM logs | SAMPLE 0.5 | KEEP s`, d)
		if got == "[]" {
			out = d
		} else {
			in = d
		}
	}
	if in == "" || out == "" {
		t.Fatalf("SAMPLE 0.5 kept all or none of 50 rows")
	}
	both, _ := runQuery(t, `FROM logs | SAMPLE 0.5 | KEEP s`, in, out)
	if strings.Count(both, `"s"`) != 1 {
		t.Errorf("SAMPLE decided differently with another row beside: %s", both)
	}
	// after STATS, the rows (groups) are sampled
	groups, _ := runQuery(t, `FROM logs | STATS c = COUNT(*) BY g = n % 100 | SAMPLE 0.5 | STATS k = COUNT(*)`, docs...)
	if _, err := fmt.Sscanf(groups, `[{"k":%d}]`, &c); err != nil || c < 30 || c > 70 {
		t.Errorf("SAMPLE 0.5 after STATS kept %s of 100 groups", groups)
	}
	// ROW, and printing
	row, _ := runQuery(t, `ROW a = 1 | SAMPLE 0.999999`)
	if row != `[{"a":1}]` {
		t.Errorf("ROW a = 1 | SAMPLE 0.999999: %s", row)
	}
	q, err := Parse("from logs | sample .5 | keep s")
	if err != nil || q.String() != "FROM logs\n| SAMPLE .5\n| KEEP s" {
		t.Errorf("print: %q, %v", q, err)
	}
}

// TestSampleAggregate: SAMPLE(field, n) gives n of the group's values (each
// occurrence a candidate), the same ones whatever the order of the rows.
func TestSampleAggregate(t *testing.T) {
	var docs, reversed []string
	for i := range 300 {
		docs = append(docs, fmt.Sprintf(`{"s":"v%d","g":"%c"}`, i%40, 'a'+i%2))
	}
	for i := len(docs) - 1; i >= 0; i-- {
		reversed = append(reversed, docs[i])
	}
	q := `FROM logs | STATS s = SAMPLE(s, 5), c = COUNT(*) BY g | SORT g`
	a, _ := runQuery(t, q, docs...)
	b, _ := runQuery(t, q, reversed...)
	if a != b {
		t.Errorf("SAMPLE(s, 5) depends on the input order:\n%s\n%s", a, b)
	}
	if n := strings.Count(a, `"v`); n != 10 {
		t.Errorf("SAMPLE(s, 5) over 2 groups gave %d values: %s", n, a)
	}
	few, _ := runQuery(t, `FROM logs | STATS s = SAMPLE(s, 5)`, `{"s":"x"}`, `{"s":"x"}`, `{"s":"y"}`, `{}`)
	if strings.Count(few, `"x"`) != 2 || strings.Count(few, `"y"`) != 1 {
		t.Errorf("SAMPLE(s, 5) over x, x, y: %s, want every occurrence", few)
	}
	none, _ := runQuery(t, `FROM logs | STATS s = SAMPLE(s, 5)`)
	if none != `[{"s":null}]` {
		t.Errorf("SAMPLE over no rows: %s", none)
	}
}
