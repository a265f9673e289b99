package azure

import (
	"slices"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// TestLaidOutLiterals: the plan's constants are read where the text puts
// them, before the first value, between values and after the last one.
func TestLaidOutLiterals(t *testing.T) {
	f := &fastDoc{}
	f.reset([]byte(`{}`))
	f.putLit("a.lit", `"first"`)
	s := len(f.arena)
	f.arena = append(f.arena, `"x"`...)
	f.put("b.val", s)
	f.putLit("c.lit", `["mid",1]`)
	s = len(f.arena)
	f.arena = append(f.arena, `{"k":true}`...)
	f.put("d.val", s)
	f.putLit("z.lit", `"last"`)
	f.putLit("z.other", `null`)
	doc, ok := f.emit([]byte("prefix|"))
	if !ok {
		t.Fatal("emit refused")
	}
	doc = doc[len("prefix|"):]
	l, ok := f.laidOut(len(doc))
	if !ok {
		t.Fatal("no layout")
	}
	plan := event.NewPlan()
	for _, p := range []string{"a.lit", "b.val", "c.lit", "d.val.k", "z.lit", "z.other", "z", "d"} {
		plan.Add(p)
	}
	want, got := event.New(doc, plan), event.New(nil, plan)
	got.ResetLaid(doc, l)
	if got.Err() != nil || got.Laid().Shape == nil {
		t.Fatalf("%s: layout refused (%v), at %v", doc, got.Err(), l.At)
	}
	for id := range plan.Len() {
		if w, g := want.Values(event.FieldID(id)), got.Values(event.FieldID(id)); !slices.Equal(w, g) {
			t.Fatalf("%s: %s: scan %v, layout %v", doc, plan.Path(event.FieldID(id)), w, g)
		}
	}
	if _, ok := f.laidOut(len(doc) + 1); ok {
		t.Fatal("a layout for another size")
	}
}
