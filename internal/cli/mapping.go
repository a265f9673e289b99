package cli

import (
	"fmt"
	"os"

	"github.com/vigil-project/vigil/internal/ecs"
)

// loadMappings reads the --mapping files (Elasticsearch index mappings)
// and returns the built-in schema with their fields over it; nil without
// files. A field two files define takes the later file's type.
func loadMappings(files []string) (*ecs.Schema, error) {
	if len(files) == 0 {
		return nil, nil
	}
	all := map[string]ecs.Field{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("mapping: %w", err)
		}
		fields, err := ecs.ParseMapping(f, data)
		if err != nil {
			return nil, fmt.Errorf("mapping %w", err)
		}
		for k, v := range fields {
			all[k] = v
		}
	}
	return ecs.Default().WithMapping(all), nil
}
