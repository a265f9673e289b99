package sequence

import (
	"fmt"
	"testing"

	"github.com/vigil-project/vigil/internal/eql"
)

// TestRequiredPrefersNamesOverCategories: each step offers the rule index
// its most selective requirement; a disjunction of specific names
// (process.name : "x" or process.pe.original_file_name : "x") is preferred
// to the host.os.type or event.type most events of a kind share.
func TestRequiredPrefersNamesOverCategories(t *testing.T) {
	st, err := eql.Parse(`sequence by process.entity_id
		[process where host.os.type == "windows" and event.type == "start" and (process.name : "wmic.exe" or process.pe.original_file_name : "wmic.exe")]
		[library where host.os.type == "windows" and dll.name : "jscript.dll"]`)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Compile(st, Options{Schema: testSchema})
	if err != nil {
		t.Fatal(err)
	}
	req := q.Required()
	if len(req) != 1 {
		t.Fatalf("Required = %+v, want one disjunction", req)
	}
	var fields []string
	for _, alt := range req[0].Any {
		fields = append(fields, alt.Field)
	}
	if got, want := fmt.Sprint(fields), "[process.name process.pe.original_file_name dll.name]"; got != want {
		t.Errorf("keyed on %s, want %s", got, want)
	}
}
