package ecs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-project/vigil/internal/ecs/internal/gen"
)

func TestTypes(t *testing.T) {
	s := Default()
	tests := map[string]Type{
		"@timestamp": Date, "event.action": Keyword, "source.ip": IP, "event.duration": Long,
		"process.command_line": Wildcard, "process.name.text": MatchOnlyText,
		"azure.activitylogs.properties": Flattened, "azure.activitylogs.properties.statusCode": Flattened,
		"event.dataset": ConstantKeyword, "azure.activitylogs.level": Long, "no.such.field": Keyword,
	}
	for path, want := range tests {
		if got := s.Type(path); got != want {
			t.Errorf("Type(%s) = %s, want %s", path, got, want)
		}
	}
	if _, ok := s.Known("no.such.field"); ok {
		t.Error("Known(no.such.field) = true")
	}
}

// TestGeneratedIsCurrent regenerates the table and compares it with the
// committed fields_gen.go.
func TestGeneratedIsCurrent(t *testing.T) {
	ecsFlat := "../../../shared/testdata/ecs/v9.4.0/ecs_flat.yml"
	if _, err := os.Stat(ecsFlat); err != nil {
		t.Skip("../shared/testdata/ecs not found (run from a checkout with shared/ beside it)")
	}
	want, err := gen.Generate(ecsFlat, filepath.Join("../../../shared/testdata/azure/fields"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("fields_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("fields_gen.go is stale: run go generate ./internal/ecs")
	}
	want, err = gen.GenerateIntegrations("../../../shared/testdata/field-types/field-types.tsv", "integrations_supplement.tsv")
	if err != nil {
		t.Fatal(err)
	}
	got, err = os.ReadFile("integrations_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("integrations_gen.go is stale: run go generate ./internal/ecs")
	}
}
