package azure

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// checkCases are texts on both sides of JSON's grammar, each a step away
// from the other: Check must say what internal/event's scanner says.
var checkCases = []string{
	`{}`, ` {} `, "\t{\r\n}\n", `{`, `}`, `[]`, `{}{}`, `{} x`, `{},`, ``, ` `, `"a"`, `1`, `null`,
	`{"a":1}`, `{"a":1,}`, `{,"a":1}`, `{"a" 1}`, `{"a":}`, `{"a"::1}`, `{a:1}`, `{'a':1}`, `{"a":1 "b":2}`,
	`{"a":[]}`, `{"a":[1,]}`, `{"a":[,1]}`, `{"a":[1 2]}`, `{"a":[1}`, `{"a":{]}`, `{"a":[}]}`, `{"a":{}}`,
	`{"a":[[],[{}],{"b":[null]}]}`, `{"a":[1,2,3],"b":{"c":{"d":[true,false,null]}}}`,
	`{"a":true}`, `{"a":tru}`, `{"a":truex}`, `{"a":false}`, `{"a":fals}`, `{"a":null}`, `{"a":nul}`, `{"a":nulll}`,
	`{"a":0}`, `{"a":-0}`, `{"a":01}`, `{"a":-}`, `{"a":-a}`, `{"a":1.}`, `{"a":1.5}`, `{"a":.5}`, `{"a":1e}`,
	`{"a":1e5}`, `{"a":1E+5}`, `{"a":1e-5}`, `{"a":1e+}`, `{"a":-1.25e-10}`, `{"a":+1}`, `{"a":1.5.5}`, `{"a":0x1}`,
	`{"a":Infinity}`, `{"a":NaN}`, `{"a":12345678901234567890123}`,
	`{"a":"b"}`, `{"a":"b}`, `{"a":"\"b"}`, `{"a":"\\"}`, `{"a":"\"}`, `{"a":"\/\b\f\n\r\t"}`, `{"a":"\x"}`,
	`{"a":"\u00e9"}`, `{"a":"\u00E9"}`, `{"a":"\u00g9"}`, `{"a":"\u00e"}`, `{"a":"\u"}`, `{"a":"\ud800"}`,
	`{"a":"\ud800\udc00"}`, "{\"a\":\"\x01\"}", "{\"a\":\"\x1f\"}", "{\"a\":\"\x7f\"}", "{\"a\":\"\xff\xfe\"}",
	"{\"a\":\"é\"}", "{\"é\":1}", "{\"a\":\"\u2028\"}", "{\"a\":\"b\tc\"}", "{\"a\":\"b\nc\"}",
	`{"a\"b":1}`, `{"a\qb":1}`, `{"":""}`, `{"":"","":""}`, `{"a" : "b" , "c" : [ 1 , 2 ] }`,
	"{\"a\":1}\x00", "\x00{}", "{\"a\":1}\v", `{"a":[1,2],"b":"` + strings.Repeat("x", 40) + `\"` + strings.Repeat("y", 9) + `"}`,
	`{"operationName":"A","time":"2026-03-14T08:00:00Z","properties":{"k":"v"}}`,
	// Members with string values whose separators are wrong.
	`{"a","b"}`, `{"a" "b"}`, `{"a";"b"}`, `{"a":"b" "c":"d"}`, `{"a":"b";"c":"d"}`, `{"a":"b":"c"}`, `{"a":"b","c"}`,
	`{"a":"b","c":"d",}`, `{"a":"b","c":"d"]`, `{"a":"b","c":"d"}"`, `{"a":"b","c":"d"},`, `{"a":["b","c":"d"]}`,
}

// scannerValid is internal/event's verdict.
func scannerValid(b []byte) bool { return event.New(b, nil).Err() == nil }

// checkPaths set up each of check's paths in turn, returning what
// restores the default (check_amd64_test.go adds the paths that machine
// has besides its default).
var checkPaths = []func() (restore func()){func() func() { return func() {} }}

// checkOne checks b with Check against the scanner and, when valid,
// compares what Check noted with what the writers' own walk notes: on
// each of check's paths.
func checkOne(t *testing.T, b []byte) {
	t.Helper()
	for _, path := range checkPaths {
		restore := path()
		checkOnePath(t, b)
		restore()
	}
}

// checkOnePath is checkOne on the path set up.
func checkOnePath(t *testing.T, b []byte) {
	t.Helper()
	d := NewDoc(b)
	defer d.Release()
	got, want := d.Check(), scannerValid(b)
	if len(b) > maxEndsRecord {
		want = false // left to the scanner
	}
	if got != want {
		t.Fatalf("%.80q: Check %v, scanner %v", b, got, want)
	}
	if !got {
		// Unchecked now: the walks work as NewDoc's.
		if d.f.endsReady || len(d.f.toks) > 0 || d.f.ascii {
			t.Fatalf("%.80q: a refused Check left notes", b)
		}
		return
	}
	// The writers' walk of the top level, from a fresh document, notes
	// every string and container: Check noted the same (and more).
	lazy := NewDoc(b)
	defer lazy.Release()
	lazy.EachTopKey(func([]byte, int) bool { return true })
	if !slices.Equal(d.f.toks, lazy.f.toks) {
		t.Fatalf("%.80q: tokens %v, the walk's %v", b, d.f.toks, lazy.f.toks)
	}
	for i, e := range lazy.f.ends {
		if e != 0 && d.f.ends[i] != e {
			t.Fatalf("%.80q: end at %d %#x, the walk's %#x", b, i, d.f.ends[i], e)
		}
	}
	for i, e := range d.f.ends {
		if e != 0 && int(e&^plainEnd) != valueEnd(b, i) {
			t.Fatalf("%.80q: end at %d %d, valueEnd's %d", b, i, e&^plainEnd, valueEnd(b, i))
		}
	}
	ascii := true
	for _, c := range b {
		ascii = ascii && c < 0x80
	}
	if d.f.ascii && !ascii {
		t.Fatalf("%.80q: ascii set", b)
	}
}

// TestCheckIsScanner: Check accepts what the scanner accepts, refuses what
// it refuses, and notes what the writers' walk notes.
func TestCheckIsScanner(t *testing.T) {
	for _, c := range checkCases {
		checkOne(t, []byte(c))
		// Every prefix, and the text with each byte dropped: most are
		// broken, some not.
		for i := range len(c) {
			checkOne(t, []byte(c[:i]))
			checkOne(t, []byte(c[:i]+c[i+1:]))
		}
	}
	for _, raw := range rawRecords(t) {
		checkOne(t, raw)
	}
	deep := strings.Repeat(`{"a":`, maxCheckDepth-1) + "1" + strings.Repeat("}", maxCheckDepth-1)
	checkOne(t, []byte(`{"a":`+strings.Repeat("[", maxCheckDepth-1)+strings.Repeat("]", maxCheckDepth-1)+"}"))
	checkOne(t, []byte(deep))
	checkOne(t, []byte(`{"a":`+deep+"}"))
	checkOne(t, []byte(`{"a":"`+strings.Repeat("x", maxEndsRecord)+`"}`))
}

func FuzzCheck(f *testing.F) {
	for _, c := range checkCases {
		f.Add([]byte(c))
	}
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkOne(t, b) })
}

// TestPlainStringEnd: plainStringEnd ends a string where stringEndPlain
// does when that calls it plain, and refuses the others, with the odd
// byte at every place of a word.
func TestPlainStringEnd(t *testing.T) {
	for _, odd := range []string{"", `"`, `\\`, `\"`, "\x00", "\x1f", " ", "~", "\x7f", "\x80", "é", "\xff"} {
		for n := range 40 {
			for m := range 20 {
				s := `"` + strings.Repeat("a", n) + odd + strings.Repeat("b", m) + `"` + strings.Repeat(",", m%3)
				e, plain := stringEndPlain([]byte(s), 0)
				want := -1
				if plain {
					want = e
				}
				if got := plainStringEnd([]byte(s), 0); got != want {
					t.Fatalf("%q: plainStringEnd %d, stringEndPlain %d %v", s, got, e, plain)
				}
			}
		}
	}
}
