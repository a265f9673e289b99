package exception

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Load reads an exceptions file: Vigil's TOML form for .toml files, a Kibana
// NDJSON export for .ndjson, .jsonl and .json files; any other name is read
// as NDJSON when it starts with `{`, else as TOML.
func Load(path string) ([]*List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".toml":
		return ParseTOML(path, data)
	case ".ndjson", ".jsonl", ".json":
		return ParseKibana(bytes.NewReader(data), path)
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return ParseKibana(bytes.NewReader(data), path)
	}
	return ParseTOML(path, data)
}
