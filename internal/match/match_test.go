package match

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// typesSchema has a field of every type the matcher handles.
var typesSchema = ecs.NewSchema(map[string]ecs.Type{
	"kw": ecs.Keyword, "ck": ecs.ConstantKeyword, "wc": ecs.Wildcard, "fl": ecs.Flattened,
	"txt": ecs.Text, "mot": ecs.MatchOnlyText,
	"l": ecs.Long, "i": ecs.Integer, "by": ecs.Byte, "ul": ecs.UnsignedLong, "d": ecs.Double, "f": ecs.Float, "sf": ecs.ScaledFloat,
	"dt": ecs.Date, "dn": ecs.DateNanos, "ip": ecs.IP, "b": ecs.Boolean, "geo": ecs.GeoPoint,
	"obj": ecs.Object, "obj.a": ecs.Keyword, "obj.n": ecs.Long,
	"nest": ecs.Nested, "nest.x": ecs.Keyword, "nest.y": ecs.Long, "nest.inner": ecs.Nested, "nest.inner.z": ecs.Keyword,
	"user.name": ecs.Keyword, "user.name.text": ecs.MatchOnlyText, "user.id": ecs.Keyword,
})

type matchCase struct {
	query, doc string
	want       bool
}

func runCases(t *testing.T, schema *ecs.Schema, cases []matchCase) {
	t.Helper()
	for _, tt := range cases {
		if got := verdict(t, schema, tt.query, tt.doc); got != tt.want {
			t.Errorf("%s on %s = %v, want %v", tt.query, tt.doc, got, tt.want)
		}
	}
}

func TestKeyword(t *testing.T) {
	long := strings.Repeat("a", 1025)
	runCases(t, typesSchema, []matchCase{
		{`kw:abc`, `{"kw":"abc"}`, true},
		{`kw:ABC`, `{"kw":"abc"}`, false},
		{`kw:"a b"`, `{"kw":"a b"}`, true},
		{`kw:a b`, `{"kw":"a b"}`, true},
		{`kw:404`, `{"kw":404}`, true},
		{`kw:404`, `{"kw":404.0}`, false}, // keyword indexes the JSON text "404.0"
		{`kw:true`, `{"kw":true}`, true},
		{`kw:"true"`, `{"kw":true}`, true},
		{`kw:false`, `{"kw":"false"}`, true},
		{`kw:a*`, `{"kw":"abc"}`, true},
		{`kw:*c`, `{"kw":"abc"}`, true},
		{`kw:*b*`, `{"kw":"abc"}`, true},
		{`kw:a*c`, `{"kw":"abc"}`, true},
		{`kw:a*c`, `{"kw":"ac"}`, true},
		{`kw:a*b*c`, `{"kw":"abc"}`, true},
		{`kw:a*b*b`, `{"kw":"ab"}`, false},
		{`kw:a*b*b`, `{"kw":"abb"}`, true},
		{`kw:*`, `{"kw":"x"}`, true},
		{`kw:a*`, `{"kw":"A"}`, false},
		{`kw:a?c`, `{"kw":"abc"}`, false},
		{`kw:a?c`, `{"kw":"a?c"}`, true},
		{`kw:a*z`, "{\"kw\":\"a/b\\ncz\"}", true}, // `*` spans / and newlines
		{`kw:*a b*`, `{"kw":"xa by"}`, true},      // keyword: the space is literal
		{`kw:*a b*`, `{"kw":"xa"}`, false},
		{`kw:abc`, `{"kw":["x","abc"]}`, true},
		{`kw:abc`, `{"kw":{"abc":1}}`, false},
		// ignore_above: values over 1024 characters are not indexed.
		{`kw:` + long, `{"kw":"` + long + `"}`, false},
		{`kw:a*`, `{"kw":"` + long + `"}`, false},
		{`kw:*`, `{"kw":"` + long + `"}`, false},
		{`kw:*`, `{"kw":["` + long + `","x"]}`, true},
		{`not kw:*`, `{"kw":"` + long + `"}`, true},
		{`kw >= a`, `{"kw":"` + long + `"}`, false},
		{`wc:` + long, `{"wc":"` + long + `"}`, true},
		{`fl.k:` + long, `{"fl":{"k":"` + long + `"}}`, true},
		// Unknown fields are keyword.
		{`zz:Abc`, `{"zz":"Abc"}`, true},
		{`zz:abc`, `{"zz":"Abc"}`, false},
	})
}

func TestKeywordLikeTypes(t *testing.T) {
	runCases(t, typesSchema, []matchCase{
		{`ck:azure.activitylogs`, `{"ck":"azure.activitylogs"}`, true},
		{`ck:Azure.activitylogs`, `{"ck":"azure.activitylogs"}`, false},
		{`wc:*powershell*`, `{"wc":"C:\\powershell.exe -enc"}`, true},
		{`wc:*PowerShell*`, `{"wc":"C:\\powershell.exe -enc"}`, false},
		// query_string splits a pattern at whitespace: *a b* = *a or b*.
		{`wc:*a b*`, `{"wc":"xa"}`, true},
		{`wc:*a b*`, `{"wc":"by"}`, true},
		{`wc:*a b*`, `{"wc":"xa by"}`, false},
		{`wc:*a mid b*`, `{"wc":"mid"}`, true},
		{`fl.k:*a b*`, `{"fl":{"k":"by"}}`, true},
		{`fl.k:value`, `{"fl":{"k":"value"}}`, true},
		{`fl.k:Value`, `{"fl":{"k":"value"}}`, false},
		{`fl.k:value`, `{"fl.k":"value"}`, true},
		{`fl.k.deep:1`, `{"fl":{"k":{"deep":1}}}`, true},
		{`fl.n > 5`, `{"fl":{"n":40}}`, false}, // flattened ranges are lexicographic: "40" < "5"
		{`fl.n > 5`, `{"fl":{"n":6}}`, true},
	})
}

func TestText(t *testing.T) {
	runCases(t, typesSchema, []matchCase{
		{`txt:failed`, `{"txt":"User FAILED login"}`, true},
		{`txt:FAILED`, `{"txt":"user failed login"}`, true},
		{`txt:fail`, `{"txt":"user failed login"}`, false},
		{`txt:login failed`, `{"txt":"failed"}`, true},
		{`txt:"failed login"`, `{"txt":"User failed, login!"}`, true},
		{`txt:"login failed"`, `{"txt":"user failed login"}`, false},
		{`txt:"failed  LOGIN"`, `{"txt":"failed login"}`, true},
		{`mot:"failed login"`, `{"mot":"a failed login"}`, true},
		{`txt:fail*`, `{"txt":"user FAILED login"}`, true},
		{`txt:FAIL*`, `{"txt":"user failed login"}`, true},
		{`txt:*ail*`, `{"txt":"user failed login"}`, true},
		{`txt:*failed login*`, `{"txt":"login"}`, true}, // split at whitespace
		{`txt:failed*login`, `{"txt":"failed login"}`, false},
		{`txt:example.com`, `{"txt":"visit example.com now"}`, true},
		{`txt:example`, `{"txt":"visit example.com now"}`, false}, // one token: example.com
		{`txt:don't`, `{"txt":"Don't panic"}`, true},
		{`txt:3.14`, `{"txt":"pi is 3.14"}`, true},
		{`txt:1,000`, `{"txt":"1,000 items"}`, true},
		{`txt:user_name`, `{"txt":"the user_name field"}`, true},
		{`txt:windows`, `{"txt":"C:\\Windows\\System32"}`, true},
		{`txt:404`, `{"txt":404}`, true},
		{`txt:"!!!"`, `{"txt":"!!!"}`, false},
		{`txt:日本`, `{"txt":"日本語"}`, true},
		{`txt:"日本"`, `{"txt":"日本語"}`, true},
		{`txt:"本日"`, `{"txt":"日本語"}`, false},
		{`txt:ÉCOLE`, `{"txt":"une école"}`, true},
		{`txt >= m`, `{"txt":"Alpha zulu"}`, true},
		{`txt > zz`, `{"txt":"Alpha zulu"}`, false},
	})
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"User FAILED login", []string{"user", "failed", "login"}},
		{"visit example.com.", []string{"visit", "example.com"}},
		{"don't o’neil", []string{"don't", "o’neil"}},
		{"1,000.50 3.14 v1.2 a.1", []string{"1,000.50", "3.14", "v1.2", "a", "1"}},
		{"user@example.com", []string{"user", "example.com"}},
		{"c:a c: a", []string{"c:a", "c", "a"}},
		{"__ _x x_", []string{"_x", "x_"}},
		{"日本語 text", []string{"日", "本", "語", "text"}},
		{"C:\\Windows\\System32\\cmd.exe", []string{"c", "windows", "system32", "cmd.exe"}},
		{"", nil},
		{"...", nil},
		{"naïve ÉCOLE", []string{"naïve", "école"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, analyze(tt.in)); diff != "" {
			t.Errorf("analyze(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestNumbers(t *testing.T) {
	runCases(t, typesSchema, []matchCase{
		{`l:404`, `{"l":404}`, true},
		{`l:404`, `{"l":"404"}`, true},
		{`l:"404"`, `{"l":404}`, true},
		{`l:404`, `{"l":404.9}`, true}, // long truncates decimals
		{`l:404`, `{"l":"404.9"}`, true},
		{`l:404.5`, `{"l":404.5}`, false}, // an integer field never holds 404.5
		{`l:404.0`, `{"l":404}`, true},
		{`l:4e2`, `{"l":400}`, true},
		{`l:404`, `{"l":"abc"}`, false},
		{`l:404`, `{"l":true}`, false},
		{`l:-1`, `{"l":-1.7}`, true},
		{`l:9007199254740993`, `{"l":9007199254740993}`, true},
		{`l:9007199254740993`, `{"l":9007199254740992}`, false},
		{`l >= 400`, `{"l":"1000"}`, true},
		{`l > 3.5`, `{"l":4}`, true},
		{`l > 3.5`, `{"l":3}`, false},
		{`l >= 3.5`, `{"l":3.9}`, false}, // indexed as 3
		{`l < 3.5`, `{"l":3}`, true},
		{`l <= -3.5`, `{"l":-3}`, false},
		{`l < 400`, `{"l":[200,500]}`, true},
		{`l > 400`, `{"l":[200,300]}`, false},
		{`i:1`, `{"i":1}`, true},
		{`i:1`, `{"i":3000000000}`, false}, // out of range: not indexed
		{`by:1`, `{"by":257}`, false},
		{`ul:1`, `{"ul":-1}`, false},
		{`d:0.5`, `{"d":"0.5"}`, true},
		{`d:0.5`, `{"d":0.50000001}`, false},
		{`f:0.1`, `{"f":0.1}`, true},
		{`f:0.1`, `{"f":0.10000000001}`, true}, // float holds 32 bits
		{`d:0.1`, `{"d":0.10000000001}`, false},
		{`sf:1.5`, `{"sf":1.5}`, true},
		{`d >= 1e3`, `{"d":1000}`, true},
		{`l:404`, `{"l":" 404 "}`, true},
		{`l:404`, `{"l":"0x194"}`, false},
		{`l:404`, `{"l":"NaN"}`, false},
	})
}

func TestDates(t *testing.T) {
	// testNow is 2026-03-14T10:00:00Z.
	runCases(t, typesSchema, []matchCase{
		{`dt:2024-05-01`, `{"dt":"2024-05-01T23:59:59.999Z"}`, true},
		{`dt:2024-05-01`, `{"dt":"2024-05-02T00:00:00Z"}`, false},
		{`dt:2024-05`, `{"dt":"2024-05-31T12:00:00Z"}`, true},
		{`dt:"2024-05-01T10:00:00Z"`, `{"dt":"2024-05-01T10:00:00.999Z"}`, true},
		{`dt:"2024-05-01T10:00:00Z"`, `{"dt":"2024-05-01T10:00:01Z"}`, false},
		{`dt:1714557600000`, `{"dt":"2024-05-01T10:00:00Z"}`, true},
		{`dt:"2024-05-01T10:00:00Z"`, `{"dt":1714557600000}`, true},
		{`dt:"2024-05-01T10:00:00Z"`, `{"dt":"1714557600000"}`, true},
		{`dt:"2024-05-01T12:00:00+02:00"`, `{"dt":"2024-05-01T10:00:00Z"}`, true},
		{`dt >= "2024-05-01T00:00:00Z"`, `{"dt":"2024-05-01T10:00:00Z"}`, true},
		{`dt <= "2024-05-01"`, `{"dt":"2024-05-01T23:59:59.999Z"}`, true},
		{`dt < "2024-05-01"`, `{"dt":"2024-04-30T23:59:59.999Z"}`, true},
		{`dt < "2024-05-01"`, `{"dt":"2024-05-01T00:00:00Z"}`, false},
		{`dt > "2024-05-01"`, `{"dt":"2024-05-01T23:59:59.999Z"}`, false}, // gt rounds up: after the day
		{`dt > "2024-05-01"`, `{"dt":"2024-05-02T00:00:00Z"}`, true},
		{`dt >= "2024-05-01"`, `{"dt":"2024-05-01T00:00:00Z"}`, true},
		{`dt > now-5m`, `{"dt":"2026-03-14T09:56:00Z"}`, true},
		{`dt > now-5m`, `{"dt":"2026-03-14T09:54:00Z"}`, false},
		{`dt >= now/d`, `{"dt":"2026-03-14T00:00:00Z"}`, true},
		{`dt > now/d`, `{"dt":"2026-03-14T23:00:00Z"}`, false},
		{`dt < now/d`, `{"dt":"2026-03-13T23:59:59.999Z"}`, true},
		{`dt <= now/d`, `{"dt":"2026-03-14T23:59:59.999Z"}`, true},
		{`dt:now/d`, `{"dt":"2026-03-14T18:00:00Z"}`, true},
		{`dt:now-1d/d`, `{"dt":"2026-03-14T18:00:00Z"}`, false},
		{`dt >= 2024-01-01||+1M/d`, `{"dt":"2024-02-01T00:00:00Z"}`, true},
		{`dt >= 2024-01-01||+1M/d`, `{"dt":"2024-01-31T23:59:59Z"}`, false},
		{`dt:2024-05-01`, `{"dt":"not a date"}`, false},
		{`dt:2024-05-01`, `{"dt":"2024-05-01 10:00:00"}`, false},
		{`dt:2024-05-01`, `{"dt":["x","2024-05-01T10:00:00Z"]}`, true},
		// date fields hold milliseconds; date_nanos nanoseconds.
		{`dt <= "2024-05-01T10:00:00.123Z"`, `{"dt":"2024-05-01T10:00:00.123456Z"}`, true},
		{`dn <= "2024-05-01T10:00:00.123Z"`, `{"dn":"2024-05-01T10:00:00.123456Z"}`, false},
		{`dn:2024-05-01`, `{"dn":"2024-05-01T23:59:59.999999999Z"}`, true},
		{`dn:2024-05-01`, `{"dn":"1960-05-01T00:00:00Z"}`, false},
	})
}

func TestIPs(t *testing.T) {
	runCases(t, typesSchema, []matchCase{
		{`ip:10.1.2.3`, `{"ip":"10.1.2.3"}`, true},
		{`ip:10.0.0.0/8`, `{"ip":"10.1.2.3"}`, true},
		{`ip:10.0.0.0/8`, `{"ip":"11.1.2.3"}`, false},
		{`ip:"10.1.2.3/8"`, `{"ip":"10.200.0.1"}`, true}, // host bits are masked
		{`ip:fd00\:\:/8`, `{"ip":"fd12::1"}`, true},
		{`ip:"::ffff:10.1.2.3"`, `{"ip":"10.1.2.3"}`, true},
		{`ip:10.1.2.3`, `{"ip":"::ffff:10.1.2.3"}`, true},
		{`ip:"::ffff:0:0/96"`, `{"ip":"8.8.8.8"}`, true},
		{`ip:10.0.0.0/8`, `{"ip":"not-an-ip"}`, false},
		{`ip:10.0.0.0/8`, `{"ip":["8.8.8.8","10.9.9.9"]}`, true},
		{`ip >= 10.0.0.0 and ip < 10.0.0.255`, `{"ip":"10.0.0.7"}`, true},
		{`ip >= 10.0.0.0 and ip < 10.0.0.255`, `{"ip":"10.0.1.7"}`, false},
		{`ip > "::"`, `{"ip":"10.0.0.1"}`, true}, // IPv4 is ::ffff:a.b.c.d
		{`ip < "::1"`, `{"ip":"10.0.0.1"}`, false},
		{`kw:10.0.0.0/8`, `{"kw":"10.1.2.3"}`, false}, // a CIDR is text on keyword
		{`kw:10.0.0.0/8`, `{"kw":"10.0.0.0/8"}`, true},
	})
}

func TestBooleans(t *testing.T) {
	runCases(t, typesSchema, []matchCase{
		{`b:true`, `{"b":true}`, true},
		{`b:true`, `{"b":"true"}`, true},
		{`b:"true"`, `{"b":true}`, true},
		{`b:false`, `{"b":false}`, true},
		{`b:false`, `{"b":true}`, false},
		{`b:true`, `{"b":"yes"}`, false},
		{`b:true`, `{"b":1}`, false},
		{`b > false`, `{"b":true}`, true},
		{`b < true`, `{"b":true}`, false},
	})
}

func TestArraysExistsNot(t *testing.T) {
	runCases(t, typesSchema, []matchCase{
		{`kw:(a and b)`, `{"kw":["a","b"]}`, true},
		{`kw:(a and b)`, `{"kw":["a"]}`, false},
		{`kw:(a and not b)`, `{"kw":["a","b"]}`, false},
		{`kw:(a or b)`, `{"kw":["c","b"]}`, true},
		{`not kw:a`, `{"kw":["a","b"]}`, false},
		{`not kw:a`, `{"kw":["b"]}`, true},
		{`not kw:a`, `{}`, true},
		{`kw:(not a)`, `{}`, true},
		{`kw:*`, `{"kw":""}`, true},
		{`kw:*`, `{"kw":null}`, false},
		{`kw:*`, `{"kw":[null]}`, false},
		{`kw:*`, `{"kw":[]}`, false},
		{`kw:*`, `{"kw":[null,"-"]}`, true},
		{`kw:(*)`, `{"kw":"x"}`, true},
		{`not kw:*`, `{}`, true},
		{`obj:*`, `{"obj":{"a":"x"}}`, true},
		{`obj:*`, `{"obj":{"a":null}}`, false},
		{`obj.a:x`, `{"obj":[{"a":"y"},{"a":"x"}]}`, true},
		{`obj.a:x`, `{"obj.a":"x"}`, true},
		{`obj.a:x`, `{"obj":{"a":{"x":1}}}`, false},
		{`obj:x`, `{"obj":"x"}`, false}, // an object path holds no values
		{`*:*`, `{}`, true},
		{``, `{"a":1}`, true},
		{`*`, `{"a":1}`, true},
		{`kw:a and l:1`, `{"kw":"a","l":1}`, true},
		{`kw:a and l:1`, `{"kw":"a","l":2}`, false},
		{`kw:a or l:1`, `{"kw":"b","l":1}`, true},
	})
}

func TestFieldPatterns(t *testing.T) {
	runCases(t, typesSchema, []matchCase{
		{`user.*:bob`, `{"user":{"name":"bob"}}`, true},
		{`user.*:Bob`, `{"user":{"name":"bob"}}`, true}, // user.name.text is analyzed
		{`user.*:bo*`, `{"user":{"id":"bob1"}}`, true},
		{`user.*:bob`, `{"user":{"id":"Bob"}}`, false},
		{`user.*:bob`, `{"other":{"name":"bob"}}`, false},
		{`*.name:bob`, `{"user":{"name":"bob"}}`, true},
		{`*:bob`, `{"user":{"name":"bob"}}`, true},
		{`*:404`, `{"l":404}`, true},
		{`*:404`, `{"l":"x","kw":"404"}`, true},
		{`*:abc`, `{"l":1}`, false}, // lenient: "abc" cannot apply to a long
		{`user.*:*`, `{"user":{"id":""}}`, true},
		{`user.*:*`, `{"usr":{"id":""}}`, false},
		{`l* > 100`, `{"l":404}`, true},
		{`l* > 500`, `{"l":404}`, false},
		{`"user.*":bob`, `{"user":{"*":"bob"}}`, true}, // quoted: literal name
		{`"user.*":bob`, `{"user":{"name":"bob"}}`, false},
		{`not user.*:bob`, `{"user":{"name":"alice"}}`, true},
		{`d*:2024-05-01`, `{"dt":"2024-05-01T10:00:00Z"}`, true},
		{`i*:10.0.0.0/8`, `{"ip":"10.1.1.1"}`, true},
	})
}

func TestFreeText(t *testing.T) {
	runCases(t, typesSchema, []matchCase{
		{`bob`, `{"user":{"id":"bob"}}`, true},
		{`Bob`, `{"user":{"id":"bob"}}`, false},   // keyword, exact
		{`Bob`, `{"user":{"name":"bob"}}`, true},  // user.name.text
		{`login`, `{"txt":"failed LOGIN"}`, true}, // analyzed
		{`"failed login"`, `{"txt":"Failed Login now"}`, true},
		{`"failed login"`, `{"kw":"failed login"}`, true},
		{`"failed login"`, `{"kw":"failed login now"}`, false},
		{`failed login`, `{"txt":"login"}`, true}, // unquoted multi-word: any token on text
		{`failed login`, `{"kw":"login"}`, false}, // but one term on keyword
		{`404`, `{"l":404}`, true},
		{`404`, `{"l":"404.2"}`, true},
		{`2024-05-01`, `{"dt":"2024-05-01T10:00:00Z"}`, true},
		{`10.0.0.0/8`, `{"ip":"10.3.3.3"}`, true},
		{`true`, `{"b":true}`, true},
		{`bob*`, `{"user":{"id":"bobby"}}`, true},
		{`bob*`, `{"txt":"the BOBBY tables"}`, true},
		{`BOB*`, `{"user":{"id":"bobby"}}`, false},
		{`*obb*`, `{"kw":"bobby"}`, true},
		{`*bob* *alice*`, `{"kw":"alice2"}`, true}, // query_string: split at whitespace
		{`bob* 404`, `{"l":404}`, true},
		{`4*`, `{"l":404}`, false}, // wildcards skip numeric fields
		{`zzz`, `{"user":{"id":"bob"},"l":1}`, false},
		{`bob`, `{"nest":[{"x":"bob"}]}`, true},
	})
}

func TestNested(t *testing.T) {
	doc := `{"nest":[{"x":"a","y":1},{"x":"b","y":2,"inner":[{"z":"q"}]}]}`
	runCases(t, typesSchema, []matchCase{
		{`nest:{ x:a and y:1 }`, doc, true},
		{`nest:{ x:a and y:2 }`, doc, false},
		{`nest:{ x:b and y >= 2 }`, doc, true},
		{`nest:{ x:a or y:2 }`, doc, true},
		{`not nest:{ x:a and y:2 }`, doc, true},
		{`nest:{ x:* }`, doc, true},
		{`nest:{ not x:* }`, doc, false},
		{`nest:{ x:b and inner:{ z:q } }`, doc, true},
		{`nest:{ x:a and inner:{ z:q } }`, doc, false},
		{`nest.inner:{ z:q }`, doc, true},
		{`nest:{ x:a }`, `{"nest":{"x":"a"}}`, true},
		{`nest:{ x:a }`, `{"nest.x":"a"}`, false}, // no object at nest
		{`nest:{ x:a }`, `{"nest":[{"x.y":"a"}]}`, false},
		{`nest:{ *:b }`, doc, true},
		{`nest:{ b }`, doc, true},
		{`nest:{ x:a }`, `{}`, false},
		{`unknown:{ k:v }`, `{"unknown":[{"k":"v"}]}`, true}, // taken as written
	})
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ query, want string }{
		{`l:abc`, `l is a long field and "abc" is not a number`},
		{`l:4*`, `l is a long field: a wildcard cannot match it`},
		{`l >= abc`, `not a number`},
		{`i:3000000000`, `out of range for the integer field i`},
		{`i > 3000000000`, `out of range`},
		{`ip:not-an-ip`, `ip is an ip field and "not-an-ip" is not an IP address`},
		{`ip:10.0.0.0/33`, `is not a CIDR network`},
		{`ip:10.*`, `wildcard`},
		{`ip > 10.0.0.0/8`, `not an IP address`},
		{`dt > "yesterday"`, `dt is a date field: date "yesterday"`},
		{`dt:2024-13-01`, `month 13 out of range`},
		{`dt:2024*`, `dt is a date field: a wildcard cannot match it`},
		{`dt > now-5x`, `unknown unit "x"`},
		{`b:yes`, `b is a boolean field and "yes" is not a boolean`},
		{`b:t*`, `wildcard`},
		{`kw:null`, `null is not a value Elasticsearch can search for`},
		{`kw:{ x:1 }`, `kw is a keyword field, not a nested one`},
		{`obj:{ a:1 }`, `obj is an object field, not a nested one`},
		{`nest.x:a`, `nest.x is inside the nested field nest`},
		{`nest:{ inner.z:q }`, `nest.inner.z is inside the nested field nest.inner`},
		{`geo:1`, `geo is a geo_point field, which Vigil cannot search`},
	}
	for _, tt := range tests {
		ce := compileError(t, typesSchema, tt.query)
		if ce == nil {
			t.Errorf("%s: compiled; want an error containing %q", tt.query, tt.want)
			continue
		}
		if !strings.Contains(ce.Error(), tt.want) {
			t.Errorf("%s: error %q; want it to contain %q", tt.query, ce.Error(), tt.want)
		}
		if ce.Pos.Line != 1 || ce.Pos.Col < 1 {
			t.Errorf("%s: error position %+v", tt.query, ce.Pos)
		}
	}
	// zz is unknown inside nest, so taken as written.
	if ce := compileError(t, typesSchema, `nest:{ zz:a }`); ce != nil {
		t.Errorf("nest:{ zz:a }: %v; unknown inner fields are allowed", ce)
	}
}

func TestCompileErrorPositionAndDetail(t *testing.T) {
	query := `kw:a and l:abc`
	ce := compileError(t, typesSchema, query)
	if ce == nil {
		t.Fatal("no error")
	}
	if ce.Pos.Col != 12 {
		t.Errorf("column %d, want 12 (the value)", ce.Pos.Col)
	}
	want := "1:12: l is a long field and \"abc\" is not a number\n | kw:a and l:abc\n |            ^\nhint: compare it with a number, e.g. l:404 or l >= 400"
	if diff := cmp.Diff(want, ce.Detail(query)); diff != "" {
		t.Errorf("Detail (-want +got):\n%s", diff)
	}
}

func TestNowRequiresClock(t *testing.T) {
	q, _ := kql.Parse(`dt > now-5m`)
	_, err := Compile(q, Options{Schema: typesSchema})
	if err == nil || !strings.Contains(err.Error(), "uses now, but no clock was given") {
		t.Errorf("err = %v; want a missing-clock error", err)
	}
	q, _ = kql.Parse(`dt > 2024-01-01`)
	if _, err := Compile(q, Options{Schema: typesSchema}); err != nil {
		t.Errorf("a fixed date needs no clock: %v", err)
	}
}

func TestNowMoves(t *testing.T) {
	now := testNow
	var mu sync.Mutex
	q, _ := kql.Parse(`dt > now-5m`)
	m, err := Compile(q, Options{Schema: typesSchema, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"dt":"2026-03-14T09:56:00Z"}`)
	if !m.Match(event.New(doc, m.Plan())) {
		t.Fatal("no match at first")
	}
	mu.Lock()
	now = now.Add(10 * time.Minute)
	mu.Unlock()
	if m.Match(event.New(doc, m.Plan())) {
		t.Error("still matches ten minutes later")
	}
}

func TestRequired(t *testing.T) {
	tests := []struct {
		query string
		want  []Requirement
	}{
		{`event.dataset:azure.activitylogs and azure.activitylogs.operation_name:"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION" and event.outcome:(Success or success)`,
			[]Requirement{
				{Field: "event.dataset", Values: []string{"azure.activitylogs"}},
				{Field: "azure.activitylogs.operation_name", Values: []string{"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"}},
				{Field: "event.outcome", Values: []string{"Success", "success"}},
			}},
		{`kw:a`, []Requirement{{Field: "kw", Values: []string{"a"}}}},
		{`kw:true`, []Requirement{{Field: "kw", Values: []string{"true"}}}},
		{`kw:(a or b or c or d or e or f)`, []Requirement{{Field: "kw", Values: []string{"a", "b", "c", "d", "e", "f"}}}},
		{`kw:a or kw:b`, []Requirement{{Field: "kw", Values: []string{"a", "b"}}}},
		{`(kw:a and ck:x) or (kw:b and wc:y)`, []Requirement{{Field: "kw", Values: []string{"a", "b"}}}},
		{`kw:(a and b)`, []Requirement{{Field: "kw", Values: []string{"a"}}}},
		{`kw:a and (l:1 or ck:x)`, []Requirement{{Field: "kw", Values: []string{"a"}},
			{Any: []Requirement{{Field: "l", Exists: true}, {Field: "ck", Values: []string{"x"}}}}}},
		{`fl.k:v and not kw:a`, []Requirement{{Field: "fl.k", Values: []string{"v"}}}},
		{`not kw:a`, nil},
		{`kw:a or ck:b`, []Requirement{{Any: []Requirement{{Field: "kw", Values: []string{"a"}}, {Field: "ck", Values: []string{"b"}}}}}},
		// An OR of ANDs: one condition per branch, the most selective.
		{`(kw:(a or b) and ck:x) or (ck:y and kw:c) or fl.k:v`, []Requirement{{Any: []Requirement{
			{Field: "ck", Values: []string{"x"}}, {Field: "ck", Values: []string{"y"}}, {Field: "fl.k", Values: []string{"v"}}}}}},
		{`(event.outcome:success and kw:a) or ck:b`, []Requirement{{Any: []Requirement{{Field: "kw", Values: []string{"a"}}, {Field: "ck", Values: []string{"b"}}}}}},
		{`(kw:a or ck:b) and (kw:c or ck:d)`, []Requirement{
			{Any: []Requirement{{Field: "kw", Values: []string{"a"}}, {Field: "ck", Values: []string{"b"}}}},
			{Any: []Requirement{{Field: "kw", Values: []string{"c"}}, {Field: "ck", Values: []string{"d"}}}}}},
		{`(kw:a or ck:b) or (kw:c or fl.k:d)`, []Requirement{{Any: []Requirement{
			{Field: "kw", Values: []string{"a"}}, {Field: "ck", Values: []string{"b"}}, {Field: "kw", Values: []string{"c"}}, {Field: "fl.k", Values: []string{"d"}}}}}},
		{`kw:a or txt:b`, []Requirement{{Any: []Requirement{{Field: "kw", Values: []string{"a"}}, {Field: "txt", Exists: true}}}}},
		// Shared values on fields most events carry only: the branches'
		// own conditions are kept too, unless they say no more.
		{`(event.category:process and kw:a) or (event.category:process and ck:b)`, []Requirement{
			{Field: "event.category", Values: []string{"process"}},
			{Any: []Requirement{{Field: "kw", Values: []string{"a"}}, {Field: "ck", Values: []string{"b"}}}}}},
		{`(event.category:process and event.type:start) or (event.category:process and event.type:end)`, []Requirement{
			{Field: "event.category", Values: []string{"process"}}, {Field: "event.type", Values: []string{"start", "end"}}}},
		{`kw:a or not ck:b`, nil},
		// Terms with no value to key on need a value of their field.
		{`kw:a*`, []Requirement{{Field: "kw", Values: []string{"a"}, Prefix: true}}},
		{`kw:*a`, []Requirement{{Field: "kw", Exists: true}}},
		{`kw:(ab* or c)`, []Requirement{{Field: "kw", Values: []string{"ab", "c"}, Prefix: true}}},
		{`kw:ab* and kw:c`, []Requirement{{Field: "kw", Values: []string{"c"}}}},
		{`kw:ab* and kw > a`, []Requirement{{Field: "kw", Values: []string{"ab"}, Prefix: true}}},
		{`kw:*`, []Requirement{{Field: "kw", Exists: true}}},
		{`txt:a`, []Requirement{{Field: "txt", Exists: true}}},
		{`l:1`, []Requirement{{Field: "l", Exists: true}}},
		{`l:1 and kw:a`, []Requirement{{Field: "l", Exists: true}, {Field: "kw", Values: []string{"a"}}}},
		{`kw:a* and kw:b`, []Requirement{{Field: "kw", Values: []string{"b"}}}},
		{`l:1 or l > 5`, []Requirement{{Field: "l", Exists: true}}},
		{`(l:1 and kw:a) or (l:2 and ck:b)`, []Requirement{{Field: "l", Exists: true},
			{Any: []Requirement{{Field: "kw", Values: []string{"a"}}, {Field: "ck", Values: []string{"b"}}}}}},
		{`user.*:a`, nil},
		{`a`, nil},
		{`nest:{ x:a }`, nil},
		{`kw > a`, []Requirement{{Field: "kw", Exists: true}}},
		{`kw:(a or not b)`, nil},
		{`*:*`, nil},
	}
	for _, tt := range tests {
		m := compile(t, typesSchema, tt.query)
		if diff := cmp.Diff(tt.want, m.Required()); diff != "" {
			t.Errorf("Required(%s) (-want +got):\n%s", tt.query, diff)
		}
	}
}

// TestRequiredIsNecessary checks on the test corpus that an event meeting
// the query meets every requirement.
func TestRequiredIsNecessary(t *testing.T) {
	queries := []string{`kw:(a or b or c or d or e or f) and ck:x`, `(kw:a and ck:x) or (kw:b and ck:y)`, `kw:(a and b)`,
		`(kw:a and ck:x) or (ck:y and fl.k:v)`, `(kw:a or ck:y) and (kw:b or fl.k:v)`, `kw:f or (ck:y and not kw:b) or fl.k:v`,
		`l:1 and kw:a`, `l > 3 or ck:x`, `kw:a* or fl.k:*`, `txt:a or l:2`}
	docs := []string{`{"kw":["a","b"],"ck":"x"}`, `{"kw":"f","ck":"x"}`, `{"kw":"b","ck":"y"}`, `{"kw":"z"}`,
		`{"ck":"y","fl":{"k":"v"}}`, `{"kw":"z","ck":"y"}`, `{"fl":{"k":"v"}}`, `{"l":1,"kw":"a"}`, `{"l":4}`, `{"l":"2","txt":"a b"}`,
		`{"kw":"ab"}`, `{"fl":{"k":""}}`}
	for _, q := range queries {
		m := compile(t, typesSchema, q)
		for _, d := range docs {
			ev := event.New([]byte(d), m.Plan())
			if !m.Match(ev) {
				continue
			}
			for _, r := range m.Required() {
				ok := false
				alts := r.Any
				if alts == nil {
					alts = []Requirement{r}
				}
				for _, a := range alts {
					id, _ := m.Plan().Lookup(a.Field)
					ok = ok || a.Exists && ev.Has(id)
					for _, v := range ev.Values(id) {
						for _, want := range a.Values {
							ok = ok || v.String() == want || a.Prefix && strings.HasPrefix(v.String(), want)
						}
					}
				}
				if !ok {
					t.Errorf("%s matches %s but fails its requirement %+v", q, d, r)
				}
			}
		}
	}
}

func TestFieldsAndString(t *testing.T) {
	m := compile(t, typesSchema, `kw:a and not l > 5 and nest:{ x:b } and user.*:c and free`)
	want := []string{"kw", "l", "nest", "nest.x"}
	if diff := cmp.Diff(want, m.Fields()); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
	if got := m.String(); got != `kw:a and not l > 5 and nest:{ x:b } and user.*:c and free` {
		t.Errorf("String = %q", got)
	}
}

func TestSetLookup(t *testing.T) {
	m := compile(t, typesSchema, `kw:(a or b or c or d or e) or l:1`)
	or, ok := m.root.(*orNode)
	if !ok || len(or.kids) != 2 {
		t.Fatalf("root = %T; want an OR of a set and a term", m.root)
	}
	set, ok := or.kids[0].(*termNode)
	if !ok {
		t.Fatalf("first kid %T", or.kids[0])
	}
	if _, ok := set.vm.(*setMatcher); !ok {
		t.Fatalf("five terms on kw compiled to %T; want a set", set.vm)
	}
	if got := set.clause(); got != `kw:(a or b or c or d or e)` {
		t.Errorf("set clause %q", got)
	}
	for doc, want := range map[string]bool{`{"kw":"c"}`: true, `{"kw":"C"}`: false, `{"l":1}`: true, `{"kw":"z"}`: false} {
		if got := m.Match(event.New([]byte(doc), m.Plan())); got != want {
			t.Errorf("%s: %v, want %v", doc, got, want)
		}
	}
	// Four terms stay terms.
	m = compile(t, typesSchema, `kw:(a or b or c or d)`)
	if _, ok := m.root.(*orNode); !ok {
		t.Errorf("four terms compiled to %T; want an OR", m.root)
	}
}

func TestMalformedEvent(t *testing.T) {
	m := compile(t, typesSchema, `not kw:a`)
	ev := event.New([]byte(`{"kw":`), m.Plan())
	if m.Match(ev) {
		t.Error("a malformed document matched")
	}
	if x := m.Explain(ev); x.Match || !strings.Contains(x.Reason, "not valid JSON") {
		t.Errorf("Explain = %+v", x)
	}
}

func TestPrivatePlanAndSharedPlan(t *testing.T) {
	plan := event.NewPlan()
	q1, _ := kql.Parse(`kw:a`)
	q2, _ := kql.Parse(`l:1 and kw:*`)
	m1, _ := Compile(q1, Options{Schema: typesSchema, Plan: plan})
	m2, _ := Compile(q2, Options{Schema: typesSchema, Plan: plan})
	ev := event.New([]byte(`{"kw":"a","l":1}`), plan)
	if !m1.Match(ev) || !m2.Match(ev) {
		t.Error("rules sharing a plan must both match")
	}
	if plan.Len() != 2 {
		t.Errorf("plan has %d paths, want 2", plan.Len())
	}
}

func TestConcurrentPatterns(t *testing.T) {
	m := compile(t, typesSchema, `*:bob or user.*:x*`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				doc := fmt.Sprintf(`{"f%d":"bob","user":{"n%d":"y"}}`, (g*200+i)%50, i%7)
				if !m.Match(event.New([]byte(doc), m.Plan())) {
					t.Errorf("%s did not match", doc)
					return
				}
			}
		}()
	}
	wg.Wait()
}
