package cli

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/input"
)

// Dynamic mapping for `vigil search`: Elasticsearch types a field it has no
// mapping for from the first value it indexes. Vigil follows the logs-*
// index templates, where logs land: a whole JSON number is a long, a
// fraction a float, true or false a boolean, and a string a keyword (those
// templates turn off date detection and map strings to keyword). A query is
// typed before any event is read, so search samples the input's first
// records and lays the types of the fields neither the built-in tables nor
// --mapping know over the schema: `serial_event_id < 4` is then a number
// comparison, as in Elasticsearch.

const (
	dynamicSampleRecords = 1000
	dynamicSampleBytes   = 4 << 20
)

// dynamicSchema returns schema with the dynamic types of the unknown fields
// of the first records of the first readable file among paths (stdin is
// not sampled: it cannot be read twice). Unreadable files are skipped here;
// the search reports them.
func dynamicSchema(schema *ecs.Schema, paths []string) *ecs.Schema {
	found := map[string]ecs.Field{}
	for _, p := range paths {
		if p == "-" {
			continue
		}
		r, err := input.Open(p, nil)
		if err != nil {
			continue
		}
		sampleTypes(r, schema, found)
		r.Close()
		break
	}
	if len(found) == 0 {
		return schema
	}
	return schema.WithMapping(found)
}

func sampleTypes(r *input.Reader, schema *ecs.Schema, found map[string]ecs.Field) {
	records, size := 0, 0
	for records < dynamicSampleRecords && size < dynamicSampleBytes {
		rec, err := r.Next()
		if err != nil {
			var de *input.DecodeError
			if errors.As(err, &de) {
				continue
			}
			return
		}
		for _, it := range input.Expand(rec) {
			if it.Err != nil {
				continue
			}
			records++
			size += len(it.Record.Data)
			d := json.NewDecoder(bytes.NewReader(it.Record.Data))
			d.UseNumber()
			var doc map[string]any
			if d.Decode(&doc) == nil {
				typeFields("", doc, schema, found)
			}
		}
	}
}

// typeFields records the dynamic type of each unknown leaf under prefix
// that has no type yet (the first value decides, as in Elasticsearch).
func typeFields(prefix string, obj map[string]any, schema *ecs.Schema, found map[string]ecs.Field) {
	for k, v := range obj {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if arr, ok := v.([]any); ok {
			for _, x := range arr {
				if x != nil {
					v = x
					break
				}
			}
		}
		if m, ok := v.(map[string]any); ok {
			typeFields(path, m, schema, found)
			continue
		}
		if _, done := found[path]; done {
			continue
		}
		if _, known := schema.Known(path); known {
			continue
		}
		if t, ok := dynamicType(v); ok {
			found[path] = ecs.Field{Type: t}
		}
	}
}

func dynamicType(v any) (ecs.Type, bool) {
	switch x := v.(type) {
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return ecs.Long, true
		}
		return ecs.Float, true
	case bool:
		return ecs.Boolean, true
	case string:
		return ecs.Keyword, true
	}
	return 0, false
}
