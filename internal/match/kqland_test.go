package match

import (
	"testing"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
)

// TestKQLAndEvaluatesKeyedLast checks the order a KQL AND evaluates its
// operands in: exact terms and sets (what the rule index keys on) after
// the others, which keep their order; the same verdicts as the written
// order.
func TestKQLAndEvaluatesKeyedLast(t *testing.T) {
	query := `host.os.type:windows and process.executable:*temp* and event.type:start and not process.name:x.exe`
	m := compile(t, ecs.Default(), query)
	and := m.root.(*andNode)
	for i, k := range and.run {
		if want := i >= len(and.run)-2; keyedTerm(k) != want {
			t.Errorf("operand %d (%s) keyed %v: the two exact terms go last", i, k.clause(), keyedTerm(k))
		}
	}
	if keyedTerm(and.run[0]) || and.run[0] != and.kids[1] {
		t.Errorf("the wildcard term is not evaluated first")
	}
	for _, doc := range []string{
		`{"host":{"os":{"type":"windows"}},"event":{"type":"start"},"process":{"executable":"c:\\temp\\a","name":"y.exe"}}`,
		`{"host":{"os":{"type":"windows"}},"event":{"type":"start"},"process":{"executable":"c:\\temp\\a","name":"x.exe"}}`,
		`{"host":{"os":{"type":"linux"}},"event":{"type":"start"},"process":{"executable":"/temp/a"}}`,
		`{"host":{"os":{"type":"windows"}},"event":{"type":"end"},"process":{"executable":"c:\\temp\\a"}}`,
		`{"host":{"os":{"type":"windows"}},"event":{"type":"start"},"process":{"executable":"c:\\tmp\\a"}}`,
	} {
		ev := event.New([]byte(doc), m.Plan())
		want := true
		for _, k := range and.kids {
			want = want && k.eval(ev)
		}
		if got := m.Match(ev); got != want {
			t.Errorf("%s: %v, in the written order %v", doc, got, want)
		}
	}
}
