package event

import (
	"slices"
	"testing"
)

// leavesOf lists what a walk gives, as "path=kind:text" strings, sorted.
func leavesOf(walk func(string, func(string, Value) bool), head string) []string {
	var out []string
	walk(head, func(p string, v Value) bool {
		out = append(out, p+"="+v.Kind.String()+":"+v.String())
		return true
	})
	slices.Sort(out)
	return out
}

// checkScanUnder checks ScanUnder against WalkUnder on one document and
// head: the same leaves when no key repeats, a superset otherwise.
func checkScanUnder(t *testing.T, doc, head string) {
	t.Helper()
	ev := New([]byte(doc), nil)
	scan := leavesOf(func(h string, fn func(string, Value) bool) { ev.ScanUnder(h, fn) }, head)
	walk := leavesOf(ev.WalkUnder, head)
	for _, w := range walk {
		if !slices.Contains(scan, w) {
			t.Fatalf("%s under %q: WalkUnder gives %s, ScanUnder does not\nscan %q\nwalk %q", doc, head, w, scan, walk)
		}
	}
	if len(scan) < len(walk) {
		t.Fatalf("%s under %q: scan %q, walk %q", doc, head, scan, walk)
	}
}

func TestScanUnder(t *testing.T) {
	docs := []string{
		`{"a":{"b":{"c":1,"d":[{"e":2},3,null,[4,[5]]]},"bc":4},"a.b.f":5,"ab":6,"x":{"a":7}}`,
		`{"file":{"hash":{"md5":"x","sha256":"y"},"name":"n"},"file.hash.sha1":"z","e":{}}`,
		`{"k\u0065y":{"v":"esc\"aped \u00e9"},"n":-1.5e3,"t":true,"f":false,"z":null,"u":"\ud83d\ude00 \xff"}`,
		`{"dup":1,"dup":{"x":2},"a":[{},{"b":[]}]}`,
		` { "sp" : [ 1 , { "q" : "r" } ] } `,
	}
	for _, doc := range docs {
		for _, head := range []string{"", "a", "a.b.", "a.b", "file.hash.", "dup", "key.v", "sp.q", "zz"} {
			checkScanUnder(t, doc, head)
		}
	}
	// A key repeated in one object: every occurrence.
	ev := New([]byte(`{"dup":"first","dup":"second"}`), nil)
	if got := leavesOf(func(h string, fn func(string, Value) bool) { ev.ScanUnder(h, fn) }, ""); !slices.Equal(got, []string{"dup=string:first", "dup=string:second"}) {
		t.Errorf("repeated key: %q", got)
	}
	// Stopping early, and a malformed document.
	n := 0
	if !New([]byte(`{"a":1,"b":2}`), nil).ScanUnder("", func(string, Value) bool { n++; return false }) || n != 1 {
		t.Errorf("stop: %d calls", n)
	}
	if New([]byte(`{"a":1,`), nil).ScanUnder("", func(string, Value) bool { t.Error("leaf of a malformed document"); return true }) {
		t.Error("a malformed document stopped")
	}
}

func FuzzScanUnder(f *testing.F) {
	f.Add(`{"a":{"b":[1,{"c":"d"}]},"a.b.e":null}`, "a.b")
	f.Add(`{"k\u0065y":{"v":"\u00e9"},"dup":1,"dup":2}`, "key.")
	f.Fuzz(func(t *testing.T, doc, head string) {
		checkScanUnder(t, doc, head)
	})
}
