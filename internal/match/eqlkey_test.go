package match

import (
	"testing"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

func TestEQLKey(t *testing.T) {
	schema := ecs.NewSchema(map[string]ecs.Type{
		"kw": ecs.Keyword, "n": ecs.Long, "f": ecs.Double, "b": ecs.Boolean, "ip": ecs.IP, "d": ecs.Date,
		"obj": ecs.Object,
	})
	doc := `{"kw":["b","a"],"kw2":7,"n":"42","f":1.5,"b":"true","ip":"::ffff:10.0.0.1","d":"2022-12-17","d2":1000,"ts":"1"}`
	for _, tt := range []struct {
		expr string
		want any
	}{
		{"kw", "b"}, // the first value
		{"kw2", "7"},
		{"n", int64(42)},
		{"f", 1.5},
		{"b", true},
		{"ip", "10.0.0.1"},
		{"d", int64(1671235200000)},
		{"?missing", nil},
		{"length(kw)", int64(1)},
	} {
		x, err := eql.ParseExpr(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		plan := event.NewPlan()
		k, err := CompileEQLKey(x, EQLOptions{Options: Options{Schema: schema, Plan: plan}})
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if got := k.Value(event.New([]byte(doc), plan)); got != tt.want {
			t.Errorf("%s: %#v, want %#v", tt.expr, got, tt.want)
		}
	}
	for _, tt := range []struct {
		field string
		want  int64
		ok    bool
	}{
		{"d", 1671235200000 * 1e6, true},
		{"d2", 1000 * 1e6, true}, // a JSON number: epoch milliseconds
		{"ts", 1e6, true},        // a string of digits: epoch milliseconds
		{"kw", 0, false},
		{"missing", 0, false},
	} {
		plan := event.NewPlan()
		k, err := CompileEQLKey(&eql.Field{Path: []string{tt.field}}, EQLOptions{Options: Options{Schema: schema, Plan: plan}})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := k.Time(event.New([]byte(doc), plan))
		if got != tt.want || ok != tt.ok {
			t.Errorf("time of %s: %d %v, want %d %v", tt.field, got, ok, tt.want, tt.ok)
		}
	}
	if _, err := CompileEQLKey(&eql.Field{Path: []string{"obj"}}, EQLOptions{Options: Options{Schema: schema}}); err == nil {
		t.Error("an object key compiled")
	}
}

func TestCompareKeys(t *testing.T) {
	ordered := []any{false, true, int64(-1), 0.5, int64(1), "", "B", "a", nil}
	for i, a := range ordered {
		for j, b := range ordered {
			got := CompareKeys(a, b)
			if (i < j) != (got < 0) || (i == j) != (got == 0) {
				t.Errorf("CompareKeys(%#v, %#v) = %d", a, b, got)
			}
		}
	}
}
