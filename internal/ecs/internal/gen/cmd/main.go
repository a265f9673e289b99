// Command cmd writes internal/ecs/fields_gen.go (see package gen).
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
	flag.Parse()
	src, err := gen.Generate(*ecsFlat, *azure)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
