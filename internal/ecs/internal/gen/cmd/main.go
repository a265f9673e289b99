// Command cmd writes internal/ecs/fields_gen.go and integrations_gen.go
// (see package gen).
package main

import (
	"flag"
	"log"
	"os"

	"github.com/vigil-project/vigil/internal/ecs/internal/gen"
)

func main() {
	ecsFlat := flag.String("ecs", "../../../shared/testdata/ecs/v9.4.0/ecs_flat.yml", "ECS flat schema")
	azure := flag.String("azure", "../../../shared/testdata/azure/fields", "directory of the Azure integration's field files")
	out := flag.String("out", "fields_gen.go", "output file")
	table := flag.String("types", "../../../shared/testdata/field-types/field-types.tsv", "the integrations' field types (field, type, package or index pattern, source)")
	supplement := flag.String("supplement", "integrations_supplement.tsv", "Vigil's additions to -types")
	intOut := flag.String("integrations-out", "integrations_gen.go", "output file of the integrations' fields")
	flag.Parse()
	src, err := gen.Generate(*ecsFlat, *azure)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
	src, err = gen.GenerateIntegrations(*table, *supplement)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*intOut, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
