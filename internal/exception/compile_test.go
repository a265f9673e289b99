package exception

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
)

// TestPlanRegistration: Compile registers every field it reads in the
// engine's plan, so that one pass over each event serves rules and
// exceptions alike.
func TestPlanRegistration(t *testing.T) {
	plan := event.NewPlan()
	plan.Add("event.action") // a rule's field, registered before
	vl, _ := NewValueList("v", "keyword", []string{"x"})
	lists := []*List{{ListID: "t", Items: []*Item{{Name: "i", OSTypes: []string{"linux"}, Entries: []Entry{
		{Field: "user.name", Type: TypeMatch, Operator: Included, Value: "x"},
		{Field: "process.name", Type: TypeWildcard, Operator: Excluded, Value: "x*"},
		{Field: "source.address", Type: TypeList, Operator: Included, List: &ListRef{ID: "v"}},
		{Field: "event.outcome", Type: TypeExists, Operator: Included},
	}}}}}
	f, err := Compile(lists, CompileOptions{Plan: plan, ValueLists: map[string]*ValueList{"v": vl}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Plan() != plan {
		t.Error("Filter.Plan is not the plan given")
	}
	for _, path := range []string{"event.action", "user.name", "process.name", "source.address", "event.outcome", "host.os.type", "host.os.name.caseless"} {
		if _, ok := plan.Lookup(path); !ok {
			t.Errorf("%s is not registered in the plan", path)
		}
	}
	// Without a plan, the filter has its own.
	f2, err := Compile(lists, CompileOptions{ValueLists: map[string]*ValueList{"v": vl}})
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"user.name":"x","process.name":"y","source.address":"x","event.outcome":"success","host.os.type":"linux"}`
	if got, _ := f2.Excludes(event.New([]byte(doc), f2.Plan())); !got {
		t.Error("the event is not excluded with the filter's own plan")
	}
}

func TestExpireNeedsClock(t *testing.T) {
	lists := []*List{{ListID: "t", Items: []*Item{{Name: "i", Source: "x.toml:3", ExpireTime: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		Entries: []Entry{{Field: "user.name", Type: TypeExists, Operator: Included}}}}}}
	_, err := Compile(lists, CompileOptions{})
	if err == nil || !strings.Contains(err.Error(), "x.toml:3: the item has an expire_time but CompileOptions.Now is nil") {
		t.Errorf("error = %v", err)
	}
}

// TestExpireMovingClock: an item stops excluding once the clock passes its
// expire_time, without compiling again.
func TestExpireMovingClock(t *testing.T) {
	now := time.Date(2025, 6, 30, 21, 59, 59, 0, time.UTC)
	expire := time.Date(2025, 6, 30, 22, 0, 0, 0, time.UTC)
	lists := []*List{{ListID: "t", Items: []*Item{{Name: "i", ExpireTime: expire,
		Entries: []Entry{{Field: "user.name", Type: TypeMatch, Operator: Included, Value: "pentester"}}}}}}
	plan := event.NewPlan()
	calls := 0
	f, err := Compile(lists, CompileOptions{Plan: plan, Now: func() time.Time { calls++; return now }})
	if err != nil {
		t.Fatal(err)
	}
	ev := event.New([]byte(`{"user.name":"pentester"}`), plan)
	if got, _ := f.Excludes(ev); !got {
		t.Error("not excluded one second before expire_time")
	}
	now = expire
	if got, _ := f.Excludes(ev); got {
		t.Error("excluded at expire_time")
	}
	if calls != 2 {
		t.Errorf("the clock was read %d times for 2 events, want once per event", calls)
	}
}

// TestCompileErrors: lists built in Go (not by the parsers) are checked too,
// and every problem is reported with its item and entry.
func TestCompileErrors(t *testing.T) {
	lists := []*List{{ListID: "t", Items: []*Item{
		{Name: "a", Source: "f.toml:10", OSTypes: []string{"Windows"}, Entries: []Entry{
			{Field: "user.name", Type: "matchh", Operator: Included, Value: "x"},
			{Field: "", Type: TypeExists, Operator: Included},
			{Field: "p", Type: TypeNested, Entries: []Entry{{Field: "x", Type: TypeList, Operator: Included, List: &ListRef{ID: "v"}}}},
			{Field: "user.name", Type: TypeMatch, Operator: "is", Value: "x", Source: "f.toml:14"},
		}},
		{Name: "b", Source: "f.toml:20"},
		nil,
	}}, nil}
	_, err := Compile(lists, CompileOptions{})
	want := []string{
		`f.toml:10:1: list "t" item 1 ("a"): unknown os type "Windows" (did you mean "windows"?)`,
		`f.toml:10:1: list "t" item 1 ("a") entry 1: unknown entry type "matchh" (did you mean "match"?)`,
		`f.toml:10:1: list "t" item 1 ("a") entry 2: no field (name the event field the entry tests, e.g. user.name)`,
		`f.toml:10:1: list "t" item 1 ("a") entry 3.1: a nested entry's sub-entries are match, match_any or exists, not list (Kibana allows only is, is not, is one of, is not one of, exists and does not exist inside nested)`,
		`f.toml:14:1: list "t" item 1 ("a") entry 4: unknown operator "is" (use included or excluded)`,
		`f.toml:20:1: list "t" item 2 ("b"): the item has no entries (an item needs at least one condition; Kibana refuses empty items)`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestNestedOnObject: Kibana builds nested entries only for nested fields;
// Elasticsearch fails a nested query on an object path, and so does Compile.
func TestNestedOnObject(t *testing.T) {
	schema := ecs.NewSchema(map[string]ecs.Type{"obj": ecs.Object, "obj.a": ecs.Keyword})
	lists := []*List{{ListID: "t", Items: []*Item{{Name: "i", Source: "f:1", Entries: []Entry{
		{Field: "obj", Type: TypeNested, Entries: []Entry{{Field: "a", Type: TypeExists, Operator: Included}}},
	}}}}}
	_, err := Compile(lists, CompileOptions{Schema: schema})
	if err == nil || !strings.Contains(err.Error(), `f:1:1: list "t" item 1 ("i") entry 1: obj is an object field, not a nested one`) {
		t.Errorf("error = %v", err)
	}
}

// TestOutsideNested: a wildcard or list entry on a field inside a nested
// mapping never matches in Elasticsearch (and nested entries cannot hold
// them): an error, as package match reports it for is and exists.
func TestOutsideNested(t *testing.T) {
	vl, _ := NewValueList("v", "keyword", []string{".text"})
	for _, e := range []Entry{
		{Field: "dll.pe.sections.name", Type: TypeWildcard, Operator: Included, Value: ".t*"},
		{Field: "dll.pe.sections.name", Type: TypeList, Operator: Included, List: &ListRef{ID: "v"}},
		{Field: "dll.pe.sections.name", Type: TypeMatch, Operator: Included, Value: ".text"},
	} {
		lists := []*List{{ListID: "t", Items: []*Item{{Name: "i", Entries: []Entry{e}}}}}
		_, err := Compile(lists, CompileOptions{ValueLists: map[string]*ValueList{"v": vl}})
		if err == nil || !strings.Contains(err.Error(), "inside the nested field dll.pe.sections") {
			t.Errorf("%s entry: error = %v", e.Type, err)
		}
	}
}

func TestMalformedEventNotExcluded(t *testing.T) {
	lists := []*List{{ListID: "t", Items: []*Item{{Name: "i", Entries: []Entry{{Field: "user.name", Type: TypeExists, Operator: Excluded}}}}}}
	plan := event.NewPlan()
	f, err := Compile(lists, CompileOptions{Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Excludes(event.New([]byte(`{"user.name":`), plan)); got {
		t.Error("a malformed event is excluded")
	}
	if got, _ := f.Excludes(event.New([]byte(`{}`), plan)); !got {
		t.Error(`"does not exist" does not exclude {}`)
	}
	var nilFilter *Filter
	if got, _ := nilFilter.Excludes(event.New([]byte(`{}`), plan)); got {
		t.Error("a nil filter excludes")
	}
}

func TestSelect(t *testing.T) {
	a := &List{ListID: "a"}
	b := &List{ListID: "b", Rules: []string{"r1"}}
	c := &List{ListID: "c", Rules: []string{"*"}}
	d := &List{ListID: "d", Rules: []string{"r2"}}
	lists := []*List{a, b, c, d, nil}
	for _, tt := range []struct {
		rule string
		ids  []string
		want []*List
	}{
		{"r1", nil, []*List{b, c}},
		{"r1", []string{"a", "b"}, []*List{a, b, c}},
		{"r3", []string{"d"}, []*List{c, d}},
		{"", nil, []*List{c}},
	} {
		got := Select(lists, tt.rule, tt.ids)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Select(%q, %q) = %d lists, want %d", tt.rule, tt.ids, len(got), len(tt.want))
		}
	}
}

func TestValueListTypes(t *testing.T) {
	data, err := os.ReadFile("testdata/exceptions.toml")
	if err != nil {
		t.Fatal(err)
	}
	lists, err := ParseTOML("exceptions.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ValueListTypes(lists)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"jump-hosts": "ip_range", "vip-users": "keyword"}, got); diff != "" {
		t.Errorf("ValueListTypes (-want +got):\n%s", diff)
	}
	conflict := []*List{{ListID: "t", Items: []*Item{{Source: "x.toml:1", Entries: []Entry{
		{Type: TypeList, List: &ListRef{ID: "v", Type: "ip"}, Source: "x.toml:5"},
		{Type: TypeList, List: &ListRef{ID: "v", Type: "keyword"}, Source: "x.toml:9"},
	}}}}}
	_, err = ValueListTypes(conflict)
	if err == nil || err.Error() != `x.toml:9:1: value list "v" is used as keyword here and as ip at x.toml:5 (a value list has one type: use the same list_type everywhere)` {
		t.Errorf("conflict: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	toml, err := os.ReadFile("testdata/exceptions.toml")
	if err != nil {
		t.Fatal(err)
	}
	kib, err := os.ReadFile("testdata/kibana/shared_list_export.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"a.toml": toml, "b.ndjson": kib, "c.json": kib, "d.txt": kib, "e": toml} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		lists, err := Load(path)
		if err != nil {
			t.Errorf("Load(%s): %v", name, err)
			continue
		}
		if len(lists) == 0 || !strings.HasPrefix(lists[0].Source, path+":") {
			t.Errorf("Load(%s): %d lists, first from %q", name, len(lists), lists[0].Source)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.toml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// TestConcurrentExcludes: one filter, one event per goroutine.
func TestConcurrentExcludes(t *testing.T) {
	data, err := os.ReadFile("testdata/exceptions.toml")
	if err != nil {
		t.Fatal(err)
	}
	lists, err := ParseTOML("exceptions.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	plan := event.NewPlan()
	f, err := Compile(lists, CompileOptions{Plan: plan, ValueLists: loadFixtureValueLists(t, nil),
		Now: func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 200 {
				tt := exportEvents[(g+i)%len(exportEvents)]
				got, item := f.Excludes(event.New([]byte(tt.doc), plan))
				name := ""
				if got {
					name = item.Name
				}
				if name != tt.toml {
					done <- fmt.Errorf("%s: excluded by %q, want %q", tt.doc, name, tt.toml)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
