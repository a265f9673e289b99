package match

import (
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// TestAndTestsKeyedLast checks the order an EQL AND tests its operands
// in: the equalities the rule index keys on (the category, == and in on
// texts) after the others, which keep their order; explanations keep the
// written (cost) order. Both orders give the same verdict.
func TestAndTestsKeyedLast(t *testing.T) {
	m := compileEQL(t, `process where process.name in ("a.exe", "b.exe") and process.executable : "*\\temp\\*" and kw == "x" and not process.args == "y"`)
	root := m.root.(*eqlNode).c.(*andCond)
	if root.run[len(root.run)-1] != m.root.(*eqlNode).cat || root.kids[0] != m.root.(*eqlNode).cat {
		t.Fatalf("the category test: kids %v, run %v; want it first to explain, last to test", root.kids, root.run)
	}
	where := root.run[0].(*andCond)
	for i, k := range where.run {
		keyed := isKeyed(k)
		if want := i >= len(where.run)-2; keyed != want {
			t.Errorf("operand %d of %d (%T) keyed %v: the two keyed ones go last", i, len(where.run), k, keyed)
		}
	}
	for _, doc := range []string{
		`{"event":{"category":"process"},"process":{"name":"a.exe","executable":"C:\\temp\\a.exe","args":"z"},"kw":"x"}`,
		`{"event":{"category":"process"},"process":{"name":"a.exe","executable":"C:\\temp\\a.exe","args":"y"},"kw":"x"}`,
		`{"event":{"category":"file"},"process":{"name":"a.exe","executable":"C:\\temp\\a.exe"},"kw":"x"}`,
		`{"event":{"category":"process"},"process":{"name":"c.exe","executable":"C:\\temp\\a.exe"},"kw":"x"}`,
		`{"event":{"category":"process"},"process":{"name":"b.exe","executable":"C:\\temp\\a.exe"}}`,
	} {
		ev := event.New([]byte(doc), m.Plan())
		if got, want := m.Match(ev), root.test(ev) == triTrue; got != want {
			t.Errorf("%s: Match %v, test %v", doc, got, want)
		}
		if got, want := root.test(ev), writtenOrder(root, ev); got != want {
			t.Errorf("%s: tested in run order %v, in written order %v", doc, got, want)
		}
	}
}

// TestNestedAndTestsSelectiveFirst checks the order of an AND below the
// query's top level, which the rule index keyed on nothing of: the
// equalities on fields most events carry last, the others (a process
// name) among the cheap operands, first. The verdicts are the written
// order's.
func TestNestedAndTestsSelectiveFirst(t *testing.T) {
	m := compileEQL(t, `process where (process.args : "*x*" and process.name in ("a.exe", "b.exe")) or (event.type == "start" and process.args : "*y*")`)
	root := m.root.(*eqlNode).c.(*andCond)
	or := root.run[0].(*orCond)
	first, second := or.kids[0].(*andCond), or.kids[1].(*andCond)
	if !isKeyed(first.run[0]) || isKeyed(first.run[1]) {
		t.Errorf("process.name in (...) and a pattern: run %v, want the name first", first.run)
	}
	if isKeyed(second.run[0]) || !isCommonKeyed(second.run[1]) {
		t.Errorf("event.type == \"start\" and a pattern: run %v, want event.type last", second.run)
	}
	for _, doc := range []string{
		`{"event":{"category":"process","type":"start"},"process":{"name":"a.exe","args":["x"]}}`,
		`{"event":{"category":"process","type":"start"},"process":{"name":"c.exe","args":["x"]}}`,
		`{"event":{"category":"process","type":"end"},"process":{"name":"c.exe","args":["y"]}}`,
		`{"event":{"category":"process","type":"start"},"process":{"name":"c.exe","args":["y"]}}`,
		`{"event":{"category":"process"},"process":{"args":["y"]}}`,
		`{"event":{"category":"process","type":"start"},"process":{"name":"b.exe"}}`,
	} {
		ev := event.New([]byte(doc), m.Plan())
		for _, a := range []*andCond{first, second} {
			if got, want := a.test(ev), writtenOrder(a, ev); got != want {
				t.Errorf("%s: tested in run order %v, in written order %v", doc, got, want)
			}
		}
	}
}

// writtenOrder is an AND's verdict on ev tested in its written order.
func writtenOrder(a *andCond, ev *event.Event) tri {
	return (&andCond{run: a.kids}).test(ev)
}
