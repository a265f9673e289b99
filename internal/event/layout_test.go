package event

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// layoutDoc writes a document the way a layout describes it: fields is
// path → JSON value, written nested in sorted order, one segment a key.
// It returns the document, the paths in the order written and where each
// value starts.
func layoutDoc(fields map[string]string) (doc []byte, paths []string, at []int32) {
	for p := range fields {
		paths = append(paths, p)
	}
	// Segment by segment, as nested objects with sorted keys are written.
	slices.SortFunc(paths, func(a, b string) int {
		return slices.Compare(strings.Split(a, "."), strings.Split(b, "."))
	})
	doc = []byte{'{'}
	var open []string
	first := true
	for _, p := range paths {
		segs := strings.Split(p, ".")
		depth := 0
		for depth < len(open) && depth < len(segs)-1 && segs[depth] == open[depth] {
			depth++
		}
		for len(open) > depth {
			doc = append(doc, '}')
			open = open[:len(open)-1]
			first = false
		}
		for k := depth; k < len(segs); k++ {
			if !first {
				doc = append(doc, ',')
			}
			doc = append(doc, fmt.Sprintf("%q:", segs[k])...)
			first = k < len(segs)-1
			if k < len(segs)-1 {
				doc = append(doc, '{')
				open = append(open, segs[k])
			}
		}
		at = append(at, int32(len(doc)))
		doc = append(doc, fields[p]...)
	}
	for range open {
		doc = append(doc, '}')
	}
	return append(doc, '}'), paths, at
}

// checkLayout compares every planned path's values read through the layout
// with those the scan reads.
func checkLayout(t *testing.T, plan *Plan, doc []byte, paths []string, at []int32) {
	t.Helper()
	l := plan.Layout(paths)
	a, b := New(doc, plan), New(nil, plan)
	b.ResetLayout(doc, l, at)
	if err := a.Err(); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	if b.layout == nil {
		t.Fatalf("%s: layout not used", doc)
	}
	if err := b.Err(); err != nil {
		t.Fatalf("%s: through the layout: %v", doc, err)
	}
	if b.layout == nil {
		t.Fatalf("%s: the layout was refused", doc)
	}
	for id := range plan.Len() {
		want, got := a.Values(FieldID(id)), b.Values(FieldID(id))
		if !slices.Equal(want, got) {
			t.Fatalf("%s\n%s: scan %v, layout %v", doc, plan.Path(FieldID(id)), want, got)
		}
	}
}

func TestLayoutCases(t *testing.T) {
	fields := map[string]string{
		"@timestamp":                 `"2026-01-02T03:04:05Z"`,
		"azure.signinlogs.category":  `"SignInLogs"`,
		"azure.signinlogs.props.a":   `{"b":[1,{"c":"x\"y"}],"d":null}`,
		"azure.signinlogs.props.n":   `null`,
		"azure.signinlogs.props.e":   `{}`,
		"azure.empty.x":              `[]`,
		"azure.empty.y":              `null`,
		"event.original":             `"{\"records\":[\"\\u00e9\"]}"`,
		"event.category":             `["authentication","iam"]`,
		"related.ip":                 `["10.0.0.1","10.0.0.2"]`,
		"source.port":                `443`,
		"source.geo.location":        `{"lat":1.5,"lon":-2}`,
		"user.roles":                 `[{"name":"a"},{"name":"b"},{"other":1}]`,
		"user.is_admin":              `true`,
		"user.is_guest":              `false`,
		"deep.a.b.c.d.e.f":           `"g"`,
		"unplanned.big":              `"` + strings.Repeat(`x\"`, 100) + `"`,
		"unplanned.obj":              `{"k":[1,2,3]}`,
		"azure.signinlogs.props.str": `"caf\u00e9 é"`,
	}
	doc, paths, at := layoutDoc(fields)
	planned := []string{
		"@timestamp", "azure", "azure.signinlogs", "azure.signinlogs.props", "azure.signinlogs.props.a",
		"azure.signinlogs.props.a.b", "azure.signinlogs.props.a.b.c", "azure.signinlogs.props.a.d",
		"azure.signinlogs.props.n", "azure.signinlogs.props.e", "azure.empty", "azure.empty.x",
		"event.category", "related.ip", "source.port", "source.geo", "source.geo.location.lat",
		"user.roles.name", "user.roles", "user.is_admin", "user.is_guest", "deep.a.b", "deep.a.b.c.d.e.f",
		"deep.a.b.c.d.e.f.g", "nothing.here", "azure.signinlogs.props.str", "event", "event.original",
	}
	for n := range len(planned) + 1 {
		// Each prefix of the list: ancestors planned or not, values
		// planned or not.
		plan := NewPlan()
		for _, p := range planned[:n] {
			plan.Add(p)
		}
		checkLayout(t, plan, doc, paths, at)
	}
}

func TestLayoutRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	segs := []string{"a", "b", "c", "d"}
	vals := []string{`"s"`, `"t\"u"`, `1`, `-2.5e3`, `true`, `false`, `null`, `{}`, `[]`, `[null]`,
		`{"a":"x"}`, `{"b":null}`, `[{"c":1},{"a":{}}]`, `{"a.b":"dotted"}`, `["p","q"]`}
	for range 2000 {
		fields := map[string]string{}
		for range 1 + r.IntN(8) {
			var p []string
			for range 1 + r.IntN(4) {
				p = append(p, segs[r.IntN(len(segs))])
			}
			path := strings.Join(p, ".")
			// No field may be the parent of another.
			clash := false
			for q := range fields {
				if strings.HasPrefix(q, path+".") || strings.HasPrefix(path, q+".") || q == path {
					clash = true
				}
			}
			if !clash {
				fields[path] = vals[r.IntN(len(vals))]
			}
		}
		doc, paths, at := layoutDoc(fields)
		plan := NewPlan()
		for range r.IntN(10) {
			var p []string
			for range 1 + r.IntN(5) {
				p = append(p, segs[r.IntN(len(segs))])
			}
			plan.Add(strings.Join(p, "."))
		}
		checkLayout(t, plan, doc, paths, at)
	}
}

func TestLayoutStale(t *testing.T) {
	doc, paths, at := layoutDoc(map[string]string{"a.b": `"x"`, "c": `1`})
	plan := NewPlan()
	a := plan.Add("a.b")
	l := plan.Layout(paths)
	c := plan.Add("c") // the layout no longer stands for the plan
	if l.Current(plan) {
		t.Fatal("a layout made before an Add is current")
	}
	e := New(nil, plan)
	e.ResetLayout(doc, l, at)
	if e.layout != nil {
		t.Fatal("a stale layout was used")
	}
	if got := e.Values(a); len(got) != 1 || got[0].Str != "x" {
		t.Fatalf("a.b: %v", got)
	}
	if got := e.Values(c); len(got) != 1 || got[0].Str != "1" {
		t.Fatalf("c: %v", got)
	}
	// Offsets outside the document fall back to the scan.
	l = plan.Layout(paths)
	e.ResetLayout(doc, l, []int32{int32(len(doc) + 5), 0})
	if got := e.Values(a); len(got) != 1 || e.Err() != nil {
		t.Fatalf("a.b with offsets out of range: %v %v", got, e.Err())
	}
}

// TestShapeLayouts: a shape gives each plan its own layout, makes it again
// once the plan grows, and an event of any plan reads a document through
// it (ResetLaid) as the scan does.
func TestShapeLayouts(t *testing.T) {
	doc, paths, at := layoutDoc(map[string]string{"a.b": `"x"`, "a.c": `[1,2]`, "d": `{"e":true}`})
	sh := NewShape(paths)
	p1, p2 := NewPlan(), NewPlan()
	p1.Add("a.b")
	p2.Add("d.e")
	p2.Add("a")
	l1, l2 := sh.Layout(p1), sh.Layout(p2)
	if l1 == l2 || sh.Layout(p1) != l1 || sh.Layout(p2) != l2 {
		t.Fatal("a shape's layouts are not one a plan")
	}
	for _, p := range []*Plan{p1, p2} {
		e := New(nil, p)
		e.ResetLaid(doc, Laid{Shape: sh, At: at})
		if got := e.Laid(); got.Shape != sh {
			t.Fatalf("Laid: %+v", got)
		}
		checkLayout(t, p, doc, paths, at)
	}
	p1.Add("a.c")
	if l := sh.Layout(p1); l == l1 || !l.Current(p1) || len(sh.laid) != 2 {
		t.Fatalf("after the plan grew: the same layout (%v) or %d layouts", l == l1, len(sh.laid))
	}
	e := New(nil, p1)
	e.ResetLaid(doc, Laid{Shape: sh, At: at})
	if got := e.Values(1); len(got) != 2 || got[1].Str != "2" {
		t.Fatalf("a.c: %v", got)
	}
	// No shape: a scan.
	e.ResetLaid(doc, Laid{})
	if e.Laid().Shape != nil || len(e.Values(0)) != 1 {
		t.Fatal("ResetLaid without a shape")
	}
	// Many plans: the shape keeps a few layouts, and stays right.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				p := NewPlan()
				p.Add("a.b")
				e := New(nil, p)
				e.ResetLaid(doc, Laid{Shape: sh, At: at})
				if got := e.Values(0); len(got) != 1 || got[0].Str != "x" {
					t.Errorf("a.b: %v", got)
				}
			}
		}()
	}
	wg.Wait()
	if len(sh.laid) > 8 {
		t.Fatalf("%d layouts kept", len(sh.laid))
	}
}
