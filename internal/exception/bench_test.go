package exception

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// BenchmarkExcludes runs a filter of 50 items (match, match_any, wildcard,
// nested, os_types) and two large value lists over an event that no item
// excludes, the common case: every item is tried.
func BenchmarkExcludes(b *testing.B) {
	var users, nets []string
	for i := range 100_000 {
		users = append(users, fmt.Sprintf("user-%d", i))
	}
	for i := range 10_000 {
		nets = append(nets, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
	}
	uvl, _ := NewValueList("users", "keyword", users)
	nvl, _ := NewValueList("nets", "ip_range", nets)
	var items []*Item
	for i := range 50 {
		items = append(items, &Item{Name: fmt.Sprint(i), OSTypes: []string{"windows"}, Entries: []Entry{
			{Field: "user.name", Type: TypeMatch, Operator: Included, Value: fmt.Sprintf("svc-%d", i)},
			{Field: "event.action", Type: TypeMatchAny, Operator: Excluded, Values: []string{"a", "b", "c", "d", "e", "f"}},
			{Field: "process.command_line", Type: TypeWildcard, Operator: Included, Value: fmt.Sprintf("*-File C:\\\\s%d\\\\*.ps?", i)},
		}})
	}
	items = append(items,
		&Item{Name: "users", Entries: []Entry{{Field: "user.name", Type: TypeList, Operator: Included, List: &ListRef{ID: "users"}}}},
		&Item{Name: "nets", Entries: []Entry{{Field: "source.ip", Type: TypeList, Operator: Included, List: &ListRef{ID: "nets"}}}},
		&Item{Name: "nested", Entries: []Entry{{Field: "file.Ext.code_signature", Type: TypeNested, Entries: []Entry{
			{Field: "subject_name", Type: TypeMatch, Operator: Included, Value: "Elastic N.V."}}}}},
	)
	plan := event.NewPlan()
	f, err := Compile([]*List{{ListID: "b", Items: items}}, CompileOptions{Plan: plan,
		ValueLists: map[string]*ValueList{"users": uvl, "nets": nvl}, Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	doc := []byte(`{"@timestamp":"2025-06-01T00:00:00Z","user":{"name":"svc-7"},"event":{"action":"x"},"host":{"os":{"type":"windows"}},` +
		`"process":{"command_line":"powershell.exe -File C:\\s7\\run.cmd"},"source":{"ip":"192.168.1.1"},"message":"hello"}`)
	ev := event.New(doc, plan)
	b.ReportAllocs()
	for b.Loop() {
		ev.Reset(doc)
		if got, _ := f.Excludes(ev); got {
			b.Fatal("excluded")
		}
	}
}
