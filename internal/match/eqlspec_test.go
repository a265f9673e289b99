package match

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// TestEQLSpec runs what applies to single-event queries of Elasticsearch's
// EQL spec tests (../shared/testdata/eql-spec, sequences and samples): every
// step of every query compiles against the spec's mappings, and each event
// of each expected result matches the filter of the step it stands for
// (the k-th event of a sample or sequence matches the k-th step; a
// missing-event placeholder, -1, stands for a `!` step).
func TestEQLSpec(t *testing.T) {
	root := filepath.Join(sharedTestdata(t), "eql-spec")
	if _, err := os.Stat(root); err != nil {
		t.Skip("eql-spec not found")
	}
	t.Run("sample", func(t *testing.T) {
		docs, schema := specData(t, root, "id", "sample1", "sample2", "sample3")
		checked := runSpec(t, filepath.Join(root, "test_sample.toml"), docs, schema, false)
		t.Logf("%d expected events checked against their step", checked)
	})
	t.Run("missing-events", func(t *testing.T) {
		docs, schema := specData(t, root, "sequence", "missing-events")
		checked := runSpec(t, filepath.Join(root, "test_missing_events.toml"), docs, schema, true)
		t.Logf("%d expected events checked against their step", checked)
	})
}

// specDoc is an event of the spec data, with its id.
type specDoc struct {
	id       string
	category string
	raw      []byte
}

// specData reads the data and mappings of indices: the documents by id and
// the field types (the mappings' aliases are left out: event.category is
// an alias of event_type, which the test compares as the category).
func specData(t *testing.T, root, idField string, indices ...string) ([]specDoc, *ecs.Schema) {
	t.Helper()
	types := map[string]ecs.Type{}
	var docs []specDoc
	for _, ix := range indices {
		mb, err := os.ReadFile(filepath.Join(root, "data", ix+".mapping"))
		if err != nil {
			t.Fatal(err)
		}
		var mapping map[string]any
		if err := json.Unmarshal(mb, &mapping); err != nil {
			t.Fatalf("%s.mapping: %v", ix, err)
		}
		flattenMapping("", mapping["properties"], types)
		db, err := os.ReadFile(filepath.Join(root, "data", ix+".data"))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(string(db), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "//") {
				lines = append(lines, l)
			}
		}
		var raw []json.RawMessage
		if err := json.Unmarshal([]byte(strings.Join(lines, "\n")), &raw); err != nil {
			t.Fatalf("%s.data: %v", ix, err)
		}
		for _, r := range raw {
			var m map[string]any
			_ = json.Unmarshal(r, &m)
			cat, _ := m["event_type"].(string)
			docs = append(docs, specDoc{id: fmt.Sprint(m[idField]), category: cat, raw: r})
		}
	}
	return docs, ecs.NewSchema(types)
}

func flattenMapping(prefix string, props any, out map[string]ecs.Type) {
	m, _ := props.(map[string]any)
	for name, v := range m {
		f, _ := v.(map[string]any)
		path := prefix + name
		if sub, ok := f["properties"]; ok {
			flattenMapping(path+".", sub, out)
			continue
		}
		typ, _ := f["type"].(string)
		if typ == "alias" {
			continue
		}
		if t := ecs.ParseType(typ); t != ecs.Unknown {
			out[path] = t
		} else {
			out[path] = ecs.Keyword // version, runtime keyword types
		}
	}
}

// runSpec checks the queries of one spec file; sequence tells the file's
// ids (per category for sequences).
func runSpec(t *testing.T, path string, docs []specDoc, schema *ecs.Schema, sequence bool) int {
	t.Helper()
	var spec struct {
		Queries []struct {
			Name     string `toml:"name"`
			Query    string `toml:"query"`
			Expected any    `toml:"expected_event_ids"`
		} `toml:"queries"`
	}
	if _, err := toml.DecodeFile(path, &spec); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, q := range spec.Queries {
		st, err := eql.Parse(q.Query)
		if err != nil {
			t.Errorf("%s: %v", q.Name, err)
			continue
		}
		var steps []*eql.Step
		switch x := st.Query.(type) {
		case *eql.Sequence:
			for _, s := range x.Steps {
				for range max(s.Runs, 1) {
					steps = append(steps, s)
				}
			}
		case *eql.Sample:
			steps = x.Steps
		}
		matchers := make([]*Matcher, len(steps))
		for i, s := range steps {
			m, err := CompileEQL(&eql.Statement{Query: s.Query}, EQLOptions{Options: Options{Schema: schema}, CategoryField: "event_type"})
			if err != nil {
				t.Errorf("%s: step %d %s: %v", q.Name, i+1, s.Query, err)
				continue
			}
			matchers[i] = m
		}
		for _, ids := range expectedRuns(q.Expected) {
			if len(steps) == 0 || len(ids)%len(steps) != 0 {
				t.Errorf("%s: %d expected ids for %d steps", q.Name, len(ids), len(steps))
				continue
			}
			for i, id := range ids {
				k := i % len(steps)
				if id == "-1" {
					if !steps[k].Missing {
						t.Errorf("%s: placeholder for step %d, which is not a missing event", q.Name, k+1)
					}
					continue
				}
				m := matchers[k]
				if m == nil {
					continue
				}
				hit, found := false, false
				for _, d := range docs {
					if d.id != id || sequence && d.category != steps[k].Query.Category && steps[k].Query.Category != "" {
						continue
					}
					found = true
					hit = hit || m.Match(event.New(d.raw, m.Plan()))
				}
				if !found {
					t.Errorf("%s: no event with id %s", q.Name, id)
					continue
				}
				if !hit {
					t.Errorf("%s: event %s does not match step %d: %s", q.Name, id, k+1, steps[k].Query)
				}
				checked++
			}
		}
	}
	return checked
}

// expectedRuns reads expected_event_ids: a list of ids, or a list of
// possible lists (the first is checked: every one must match its steps,
// so checking them all is no stronger for single events... but cheap).
func expectedRuns(x any) [][]string {
	list, _ := x.([]any)
	if len(list) == 0 {
		return nil
	}
	if _, nested := list[0].([]any); nested {
		var out [][]string
		for _, l := range list {
			out = append(out, expectedRuns(l)...)
		}
		return out
	}
	ids := make([]string, len(list))
	for i, v := range list {
		ids[i] = fmt.Sprint(v)
	}
	return [][]string{ids}
}
