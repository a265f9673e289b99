package exception

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseTOMLExample(t *testing.T) {
	const file = "exceptions.toml"
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	lists, err := ParseTOML(file, data)
	if err != nil {
		t.Fatal(err)
	}
	src := func(line int) string { return source(file, line) }
	match := func(line int, field, op, value string) Entry {
		return Entry{Field: field, Type: TypeMatch, Operator: op, Value: value, Source: src(line)}
	}
	want := []*List{
		{
			ListID: "soc-azure", Name: "SOC Azure exceptions", Description: "Known-good activity in the Azure tenant.",
			Type: "detection", NamespaceType: "single", Rules: []string{"60884af6-f553-4a6c-af13-300047455491"}, Source: src(4),
			Items: []*Item{
				{ItemID: "soc-azure-1", ListID: "soc-azure", Name: "Backup runbook", Source: src(10),
					Description: "The nightly backup runbook runs commands on every VM.",
					Comments:    []string{"Approved in CHG-20931."}, Tags: []string{"automation"},
					Entries: []Entry{
						match(16, "user.name", Included, "svc-backup@corp.example"),
						{Field: "azure.resource.group", Type: TypeMatchAny, Operator: Included, Values: []string{"RG-PROD-APP", "RG-PROD-DB"}, Source: src(21)},
					}},
				{ItemID: "soc-azure-2", ListID: "soc-azure", Name: "Administration from jump hosts", Source: src(26),
					Entries: []Entry{
						{Field: "source.ip", Type: TypeList, Operator: Included, List: &ListRef{ID: "jump-hosts", Type: "ip_range"}, Source: src(29)},
						{Field: "user.name", Type: TypeMatchAny, Operator: Excluded, Values: []string{"guest", "anonymous"}, Source: src(35)},
					}},
				{ItemID: "soc-azure-3", ListID: "soc-azure", Name: "Deployment scripts", OSTypes: []string{"windows"}, Source: src(40),
					Entries: []Entry{
						{Field: "process.command_line", Type: TypeWildcard, Operator: Included, Value: `powershell.exe -File \\\\deploy01\\scripts\\*.ps1`, Source: src(44)},
						{Field: "process.name", Type: TypeWildcard, Operator: Excluded, Value: "adhoc-*.exe", Source: src(49)},
						{Field: "process.parent.name", Type: TypeExists, Operator: Included, Source: src(54)},
					}},
				{ItemID: "soc-azure-4", ListID: "soc-azure", Name: "Red team engagement RT-7", Source: src(58),
					ExpireTime: time.Date(2025, 6, 30, 22, 0, 0, 0, time.UTC),
					Entries: []Entry{
						match(62, "source.ip", Included, "203.0.113.0/24"),
						{Field: "user.name", Type: TypeList, Operator: Excluded, List: &ListRef{ID: "vip-users", Type: "keyword"}, Source: src(67)},
						match(72, "event.outcome", Excluded, "failure"),
					}},
				{ItemID: "soc-azure-5", ListID: "soc-azure", Name: "Elastic-signed binaries", OSTypes: []string{"windows", "macos"}, Source: src(77),
					Entries: []Entry{
						{Field: "file.Ext.code_signature", Type: TypeNested, Source: src(81), Entries: []Entry{
							match(85, "subject_name", Included, "Elastic N.V."),
							match(86, "trusted", Included, "true"),
						}},
						{Field: "process.executable", Type: TypeExists, Operator: Excluded, Source: src(89)},
					}},
			},
		},
		{
			ListID: "all-rules-probes", Name: "Health probes, for every rule", Type: "detection", NamespaceType: "single",
			Rules: []string{"*"}, Source: src(93),
			Items: []*Item{{ItemID: "lb-probes", ListID: "all-rules-probes", Name: "Load balancer probes", Source: src(98),
				Entries: []Entry{
					{Field: "user_agent.original", Type: TypeMatchAny, Operator: Included, Values: []string{"AzureLoadBalancer/1.0", "Azure Traffic Manager Endpoint Monitor"}, Source: src(102)},
					{Field: "user.name", Type: TypeExists, Operator: Excluded, Source: src(107)},
				}}},
		},
	}
	if diff := cmp.Diff(want, lists, cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("ParseTOML (-want +got):\n%s", diff)
	}
}

// TestTOMLOperators: every operator word maps to Kibana's type and operator;
// case and extra spaces do not matter.
func TestTOMLOperators(t *testing.T) {
	for word, want := range map[string][2]string{
		"is": {TypeMatch, Included}, "IS NOT": {TypeMatch, Excluded}, "is  one of": {TypeMatchAny, Included},
		"is not one of": {TypeMatchAny, Excluded}, "Matches": {TypeWildcard, Included}, "does not match": {TypeWildcard, Excluded},
		"exists": {TypeExists, Included}, "does not exist": {TypeExists, Excluded},
		"is in list": {TypeList, Included}, "is not in list": {TypeList, Excluded},
	} {
		value := `value = "x"`
		switch want[0] {
		case TypeMatchAny:
			value = `values = ["x"]`
		case TypeExists:
			value = ""
		case TypeList:
			value = `list = "v"`
		}
		doc := "[[list]]\nlist_id = \"t\"\n[[list.item]]\nname = \"i\"\n[[list.item.entry]]\nfield = \"f\"\noperator = \"" + word + "\"\n" + value + "\n"
		lists, err := ParseTOML("x.toml", []byte(doc))
		if err != nil {
			t.Errorf("%q: %v", word, err)
			continue
		}
		e := lists[0].Items[0].Entries[0]
		if e.Type != want[0] || e.Operator != want[1] {
			t.Errorf("%q: type %s operator %s, want %s %s", word, e.Type, e.Operator, want[0], want[1])
		}
	}
}

func TestParseTOMLErrorsAreErrors(t *testing.T) {
	_, err := ParseTOML("x.toml", []byte("[[list]]\nlist_id = 5\n"))
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("error = %v (%T), want 2 Errors", err, err)
	}
	if es[0].File != "x.toml" || es[0].Line != 1 || !strings.Contains(es[1].Msg, "list_id must be a string, not an integer") || es[1].Line != 2 {
		t.Errorf("errors: %+v %+v", *es[0], *es[1])
	}
}

// FuzzParseTOML: no input makes ParseTOML (or Compile of what it returns)
// panic; every error names the file.
func FuzzParseTOML(f *testing.F) {
	for _, pattern := range []string{"testdata/exceptions.toml", "testdata/errors/*.txtar", "testdata/cases/*.txtar"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			// The TOML parts of case archives.
			for _, part := range strings.Split(string(data), "\n-- ") {
				if _, rest, ok := strings.Cut(part, ".toml --\n"); ok {
					f.Add([]byte(rest))
				}
			}
		}
	}
	f.Add([]byte("[[list]]\n[[list.item]]\n[[list.item.entry]]\nentry = [{entry = [{}]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lists, err := ParseTOML("f.toml", data)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			for _, e := range es {
				if e.File != "f.toml" || e.Msg == "" || e.Line < 0 {
					t.Fatalf("error without a place or message: %+v", *e)
				}
			}
			return
		}
		_, _ = Compile(lists, CompileOptions{Now: func() time.Time { return time.Unix(0, 0) }})
	})
}
