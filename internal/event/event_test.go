package event

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func str(s string) Value            { return Value{Kind: KindString, Str: s} }
func num(s string, f float64) Value { return Value{Kind: KindNumber, Str: s, Num: f} }
func boolean(b bool) Value          { return Value{Kind: KindBool, Bool: b} }

var object = Value{Kind: KindObject}

// values reads paths from doc through a fresh plan; want maps each path to
// its expected values (nil = none).
func values(t *testing.T, doc string, paths ...string) map[string][]Value {
	t.Helper()
	p := NewPlan()
	for _, path := range paths {
		p.Add(path)
	}
	e := New([]byte(doc), p)
	if err := e.Err(); err != nil {
		t.Fatalf("Err() = %v for %s", err, doc)
	}
	got := map[string][]Value{}
	for _, path := range paths {
		id, _ := p.Lookup(path)
		if vs := e.Values(id); len(vs) > 0 {
			got[path] = vs
		}
	}
	return got
}

func TestValuesShapes(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		paths []string
		want  map[string][]Value
	}{
		{
			name:  "nested objects",
			doc:   `{"event":{"dataset":"azure.activitylogs","outcome":"success"},"x":1}`,
			paths: []string{"event.dataset", "event.outcome", "event.action"},
			want:  map[string][]Value{"event.dataset": {str("azure.activitylogs")}, "event.outcome": {str("success")}},
		},
		{
			name:  "dotted keys",
			doc:   `{"event.dataset":"a","event.outcome":"b"}`,
			paths: []string{"event.dataset", "event.outcome", "event"},
			want:  map[string][]Value{"event.dataset": {str("a")}, "event.outcome": {str("b")}},
		},
		{
			name:  "mixed dotted and nested",
			doc:   `{"azure":{"activitylogs.operation_name":"x"},"azure.activitylogs":{"category":"Action"}}`,
			paths: []string{"azure.activitylogs.operation_name", "azure.activitylogs.category"},
			want: map[string][]Value{
				"azure.activitylogs.operation_name": {str("x")},
				"azure.activitylogs.category":       {str("Action")},
			},
		},
		{
			name:  "dotted and nested forms of one path, in document order",
			doc:   `{"a":{"b":1},"a.b":2,"a":{"b":3}}`,
			paths: []string{"a.b"},
			want:  map[string][]Value{"a.b": {num("1", 1), num("2", 2), num("3", 3)}},
		},
		{
			name:  "array of scalars",
			doc:   `{"tags":["a","b",null,"c"]}`,
			paths: []string{"tags"},
			want:  map[string][]Value{"tags": {str("a"), str("b"), str("c")}},
		},
		{
			name:  "nested arrays flatten",
			doc:   `{"a":[1,[2,[3,[]]],[[null]]]}`,
			paths: []string{"a"},
			want:  map[string][]Value{"a": {num("1", 1), num("2", 2), num("3", 3)}},
		},
		{
			name:  "array of objects",
			doc:   `{"a":[{"b":1},{"b":2},{"c":3},{"b":[4,5]}]}`,
			paths: []string{"a.b", "a.c"},
			want:  map[string][]Value{"a.b": {num("1", 1), num("2", 2), num("4", 4), num("5", 5)}, "a.c": {num("3", 3)}},
		},
		{
			name:  "arrays at two levels",
			doc:   `{"a":[{"b":[{"c":"x"},{"c":"y"}]},{"b":{"c":"z"}}]}`,
			paths: []string{"a.b.c"},
			want:  map[string][]Value{"a.b.c": {str("x"), str("y"), str("z")}},
		},
		{
			name:  "null, empty array and missing are absent",
			doc:   `{"a":null,"b":[],"c":[null,null]}`,
			paths: []string{"a", "b", "c", "d"},
			want:  map[string][]Value{},
		},
		{
			name:  "object with a leaf",
			doc:   `{"a":{"b":{"c":1}}}`,
			paths: []string{"a", "a.b"},
			want:  map[string][]Value{"a": {object}, "a.b": {object}},
		},
		{
			name:  "objects without a non-null leaf",
			doc:   `{"a":{},"b":{"x":null},"c":{"x":[]},"d":{"x":{"y":[null,{}]}}}`,
			paths: []string{"a", "b", "c", "d", "d.x"},
			want:  map[string][]Value{},
		},
		{
			name:  "object and deeper planned paths",
			doc:   `{"a":{"b":1,"c":{"d":"x"}}}`,
			paths: []string{"a", "a.b", "a.c", "a.c.d"},
			want:  map[string][]Value{"a": {object}, "a.b": {num("1", 1)}, "a.c": {object}, "a.c.d": {str("x")}},
		},
		{
			name:  "array of objects and scalars at an object path",
			doc:   `{"a":[{"b":1},"s",{},{"c":null},{"d":false}]}`,
			paths: []string{"a"},
			want:  map[string][]Value{"a": {object, str("s"), object}},
		},
		{
			name:  "scalar where a deeper path is planned",
			doc:   `{"a":5,"b":"x"}`,
			paths: []string{"a", "a.b", "b.c"},
			want:  map[string][]Value{"a": {num("5", 5)}},
		},
		{
			name:  "booleans",
			doc:   `{"a":true,"b":[false,true]}`,
			paths: []string{"a", "b"},
			want:  map[string][]Value{"a": {boolean(true)}, "b": {boolean(false), boolean(true)}},
		},
		{
			name:  "numbers keep their literal",
			doc:   `{"n":[404,-0,1.5e3,1E+2,0.25,-12.5e-1,123456789012345,1234567890123456789,1e400]}`,
			paths: []string{"n"},
			want: map[string][]Value{"n": {
				num("404", 404), num("-0", math.Copysign(0, -1)), num("1.5e3", 1500), num("1E+2", 100),
				num("0.25", 0.25), num("-12.5e-1", -1.25), num("123456789012345", 123456789012345),
				num("1234567890123456789", 1234567890123456789), num("1e400", math.Inf(1)),
			}},
		},
		{
			name:  "string escapes",
			doc:   `{"s":["a\"b\\c\/d","\b\f\n\r\t","\u00e9\u4e2d","\ud83d\ude00","x\ud800y","\udc00","\ud800\ud800","\ud800\u0041"]}`,
			paths: []string{"s"},
			want: map[string][]Value{"s": {
				str(`a"b\c/d`), str("\b\f\n\r\t"), str("é中"), str("😀"), str("x\uFFFDy"), str("\uFFFD"),
				str("\uFFFD\uFFFD"), str("\uFFFDA"),
			}},
		},
		{
			name:  "invalid UTF-8 becomes U+FFFD per byte",
			doc:   "{\"s\":\"a\xffb\xed\xa0\x80c\",\"t\":\"é\"}",
			paths: []string{"s", "t"},
			want:  map[string][]Value{"s": {str("a\uFFFDb\uFFFD\uFFFD\uFFFDc")}, "t": {str("é")}},
		},
		{
			name:  "escaped and non-ASCII keys",
			doc:   `{"ev\u0065nt":{"d\u0061taset":"x"},"caf\u00e9":1,"café.b":2,"\u0061zure":{"x\u002ey":3}}`,
			paths: []string{"event.dataset", "café", "café.b", "azure.x.y"},
			want: map[string][]Value{"event.dataset": {str("x")}, "café": {num("1", 1)}, "café.b": {num("2", 2)},
				"azure.x.y": {num("3", 3)}},
		},
		{
			name:  "keys that only share a prefix",
			doc:   `{"even":1,"events":2,"event":{"data":3,"dataset":4,"datasets":5}}`,
			paths: []string{"event.dataset"},
			want:  map[string][]Value{"event.dataset": {num("4", 4)}},
		},
		{
			name:  "whitespace everywhere",
			doc:   " \n{ \"a\" :\t[ 1 , { \"b\" : \"x\" } ] ,\r\n\"c\":{ } } \n",
			paths: []string{"a", "a.b", "c"},
			want:  map[string][]Value{"a": {num("1", 1), object}, "a.b": {str("x")}},
		},
		{
			name: "many siblings (an indexed node)",
			doc:  `{"k":{"k01":1,"k02":2,"k1":3,"k10":4,"k11.x":5,"k12":{"x":6}}}`,
			paths: []string{"k.k01", "k.k02", "k.k03", "k.k04", "k.k05", "k.k06", "k.k07", "k.k08", "k.k09",
				"k.k10", "k.k11.x", "k.k12.x"},
			want: map[string][]Value{"k.k01": {num("1", 1)}, "k.k02": {num("2", 2)}, "k.k10": {num("4", 4)},
				"k.k11.x": {num("5", 5)}, "k.k12.x": {num("6", 6)}},
		},
		{
			name:  "more kids than are compared directly",
			doc:   `{"k":{"k00":0,"k07":7,"k19":19,"k07.x":1,"k20":20}}`,
			paths: kPaths(20),
			want:  map[string][]Value{"k.k00": {num("0", 0)}, "k.k07": {num("7", 7)}, "k.k19": {num("19", 19)}},
		},
		{
			name:  "paths with empty segments join keys with dots",
			doc:   `{"a":{"":1},"a.":2,"":{"b":3},"x":{"y":{}}}`,
			paths: []string{"a.", ".b", "", "x.y."},
			want:  map[string][]Value{"a.": {num("1", 1), num("2", 2)}, ".b": {num("3", 3)}, "": {object}},
		},
		{
			name:  "empty string value and empty key",
			doc:   `{"a":"","":{"b":1}}`,
			paths: []string{"a", "b"},
			want:  map[string][]Value{"a": {str("")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := values(t, tt.doc, tt.paths...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		doc  string
		want string
	}{
		{``, "malformed JSON at byte 0: unexpected end of input"},
		{`  `, "malformed JSON at byte 2: unexpected end of input"},
		{`[1]`, "malformed JSON at byte 0: expected an object, found '['"},
		{`null`, "malformed JSON at byte 0: expected an object, found 'n'"},
		{`{"a":1}}`, "malformed JSON at byte 7: unexpected '}' after the object"},
		{`{"a":1} {"b":2}`, "malformed JSON at byte 8: unexpected '{' after the object"},
		{`{"a":1,}`, "malformed JSON at byte 7: unexpected '}'"},
		{`{"a":}`, "malformed JSON at byte 5: unexpected '}'"},
		{`{"a" 1}`, "malformed JSON at byte 5: unexpected '1'"},
		{`{a:1}`, "malformed JSON at byte 1: unexpected 'a'"},
		{`{"a":[1,]}`, "malformed JSON at byte 8: unexpected ']'"},
		{`{"a":[1 2]}`, "malformed JSON at byte 8: unexpected '2'"},
		{`{"a":01}`, "malformed JSON at byte 6: unexpected '1'"},
		{`{"a":1.}`, "malformed JSON at byte 7: unexpected '}'"},
		{`{"a":-}`, "malformed JSON at byte 6: unexpected '}'"},
		{`{"a":1e}`, "malformed JSON at byte 7: unexpected '}'"},
		{`{"a":+1}`, "malformed JSON at byte 5: unexpected '+'"},
		{`{"a":.5}`, "malformed JSON at byte 5: unexpected '.'"},
		{`{"a":tru}`, "malformed JSON at byte 8: unexpected '}'"},
		{`{"a":nul`, "malformed JSON at byte 8: unexpected end of input"},
		{`{"a":"x`, "malformed JSON at byte 7: unexpected end of input"},
		{`{"a":"\x"}`, `malformed JSON at byte 6: invalid escape "\\x" in string`},
		{`{"a":"\'"}`, `malformed JSON at byte 6: invalid escape "\\'" in string`},
		{`{"a":"\u12g4"}`, `malformed JSON at byte 10: invalid \u escape: 'g' is not a hex digit`},
		{"{\"a\":\"x\ty\"}", "malformed JSON at byte 7: control character byte 0x09 in string"},
		{"{\"a\tb\":1}", "malformed JSON at byte 3: control character byte 0x09 in string"},
		{`{"a":1`, "malformed JSON at byte 6: unexpected end of input"},
		{"{\"a\":1}\x00", "malformed JSON at byte 7: unexpected byte 0x00 after the object"},
		{`{"a":[{"b":1}}`, "malformed JSON at byte 13: unexpected '}'"},
		{strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001), "malformed JSON at byte 50000: nesting deeper than 10000 levels"},
	}
	for _, tt := range tests {
		for _, plan := range []*Plan{nil, planOf("a", "a.b")} {
			e := New([]byte(tt.doc), plan)
			err := e.Err()
			if err == nil || err.Error() != tt.want {
				t.Errorf("%.40q: Err() = %v, want %s", tt.doc, err, tt.want)
				continue
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("%.40q: Err() is %T, want *SyntaxError", tt.doc, err)
			}
			if plan != nil && (len(e.Values(0)) > 0 || len(e.Values(1)) > 0) {
				t.Errorf("%.40q: a malformed document has values", tt.doc)
			}
			if _, err := e.Map(); err == nil {
				t.Errorf("%.40q: Map() accepted a malformed document", tt.doc)
			}
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 9999) + "[1]" + strings.Repeat("}", 9999)
	e := New([]byte(deep), planOf(strings.Repeat("a.", 9998)+"a"))
	if err := e.Err(); err != nil {
		t.Fatalf("10000 levels: %v", err)
	}
	if got := e.Values(0); len(got) != 1 || got[0].Num != 1 {
		t.Errorf("deepest value = %v", got)
	}
}

// kPaths returns k.k00 ... k.k<n-1>.
func kPaths(n int) []string {
	var paths []string
	for k := range n {
		paths = append(paths, fmt.Sprintf("k.k%02d", k))
	}
	return paths
}

func planOf(paths ...string) *Plan {
	p := NewPlan()
	for _, path := range paths {
		p.Add(path)
	}
	return p
}

func TestResetReusesAndClears(t *testing.T) {
	p := planOf("a", "b")
	e := New([]byte(`{"a":"x\n","b":[1,2]}`), p)
	if got := e.Values(1); len(got) != 2 {
		t.Fatalf("b = %v", got)
	}
	e.Reset([]byte(`{"a":"y"}`))
	if diff := cmp.Diff([]Value{str("y")}, e.Values(0)); diff != "" {
		t.Errorf("a after Reset (-want +got):\n%s", diff)
	}
	if got := e.Values(1); len(got) != 0 {
		t.Errorf("b after Reset = %v, want none", got)
	}
	if !e.Has(0) || e.Has(1) {
		t.Errorf("Has = %v %v, want true false", e.Has(0), e.Has(1))
	}
	e.Reset([]byte(`{"a":`))
	if e.Err() == nil || e.Has(0) {
		t.Errorf("malformed after Reset: Err %v, Has %v", e.Err(), e.Has(0))
	}
	e.Reset([]byte(`{"a":"z"}`))
	if e.Err() != nil || e.Values(0)[0].Str != "z" {
		t.Errorf("after a malformed document: Err %v, a = %v", e.Err(), e.Values(0))
	}
}

func TestOutOfRangeIDs(t *testing.T) {
	e := New([]byte(`{"a":1}`), nil)
	for _, id := range []FieldID{-1, 0, 7} {
		if got := e.Values(id); got != nil || e.Has(id) {
			t.Errorf("Values(%d) = %v", id, got)
		}
	}
	if e.Err() != nil {
		t.Errorf("Err() = %v", e.Err())
	}
}

func TestPlanGrowsAfterUse(t *testing.T) {
	p := planOf("a")
	doc := []byte(`{"a":1,"b":2}`)
	New(doc, p).Err()
	id := p.Add("b")
	e := New(doc, p)
	if got := e.Values(id); len(got) != 1 || got[0].Str != "2" {
		t.Errorf("b = %v", got)
	}
	var zero Plan
	zero.Add("a")
	if got := New(doc, &zero).Values(0); len(got) != 1 {
		t.Errorf("zero Plan: a = %v", got)
	}
}

func TestPlanSharedAcrossGoroutines(t *testing.T) {
	p := planOf("event.dataset", "azure.activitylogs.operation_name", "event.outcome")
	doc := []byte(`{"event":{"dataset":"azure.activitylogs","outcome":"success"},"azure.activitylogs.operation_name":"OP"}`)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			e := New(nil, p)
			for range 100 {
				e.Reset(doc)
				if got := e.Values(1); len(got) != 1 || got[0].Str != "OP" {
					t.Errorf("operation_name = %v", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestGet(t *testing.T) {
	p := planOf("a.b")
	e := New([]byte(`{"a":{"b":"x","c":[1,{"d":true}]}}`), p)
	tests := []struct {
		path string
		want []Value
	}{
		{"a.b", []Value{str("x")}},
		{"a.c", []Value{num("1", 1), object}},
		{"a.c.d", []Value{boolean(true)}},
		{"a", []Value{object}},
		{"z", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, e.Get(tt.path)); diff != "" {
			t.Errorf("Get(%q) (-want +got):\n%s", tt.path, diff)
		}
	}
}

func TestWalk(t *testing.T) {
	e := New([]byte(`{"b":[1,null,{"c":"x"}],"a.z":true,"d":{}}`), nil)
	type leaf struct {
		Path string
		V    Value
	}
	var got []leaf
	e.Walk(func(path string, v Value) bool {
		got = append(got, leaf{path, v})
		return true
	})
	want := []leaf{{"a.z", boolean(true)}, {"b", num("1", 1)}, {"b.c", str("x")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
}

func TestSteadyStateAllocations(t *testing.T) {
	p := planOf("event.dataset", "azure.activitylogs.operation_name", "event.outcome", "n")
	docs := [][]byte{
		[]byte(`{"event":{"dataset":"azure.activitylogs","outcome":"success"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE\/VIRTUALMACHINES\/RUNCOMMAND\/ACTION"}},"n":[1,2.5]}`),
		[]byte(`{"event.dataset":"azure.activitylogs","azure.activitylogs.operation_name":["A","B\u00e9"],"x":{"y":"\"z\""}}`),
	}
	e := New(nil, p)
	allocs := testing.AllocsPerRun(100, func() {
		for _, d := range docs {
			e.Reset(d)
			for id := range FieldID(p.Len()) {
				e.Values(id)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

// WalkUnder visits what Walk does, less the leaves that cannot lead to a
// path starting with head; dotted keys and nested objects alike.
func TestWalkUnder(t *testing.T) {
	doc := `{"a":{"b":{"c":1,"d":[{"e":2},3]},"bc":4},"a.b.f":5,"ab":6,"x":{"a":7}}`
	ev := New([]byte(doc), nil)
	var all []string
	ev.Walk(func(p string, v Value) bool { all = append(all, p+"="+v.String()); return true })
	for head, want := range map[string][]string{
		"":             all,
		"a.b.":         {"a.b.c=1", "a.b.d.e=2", "a.b.d=3", "a.b.f=5"},
		"a.b":          {"a.b.c=1", "a.b.d.e=2", "a.b.d=3", "a.bc=4", "a.b.f=5"},
		"a.bc":         {"a.bc=4"},
		"a.b.d.e.text": {"a.b.d.e=2", "a.b.d=3"}, // leaves on the way are visited too
		"z.":           nil,
	} {
		var got []string
		ev.WalkUnder(head, func(p string, v Value) bool { got = append(got, p+"="+v.String()); return true })
		if !slices.Equal(got, want) {
			t.Errorf("WalkUnder(%q) = %q, want %q", head, got, want)
		}
	}
}
