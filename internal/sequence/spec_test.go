package sequence

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// TestSpec runs Elasticsearch's EQL spec tests for missing events and
// samples (../shared/testdata/eql-spec) through the matchers, as its
// harness runs them (see that directory's README): every query, at the
// head and at the tail, must return exactly the expected event ids (one of
// them when several are allowed) and join keys.
func TestSpec(t *testing.T) {
	root := sharedtestdata.Dir(t, "eql-spec")
	t.Run("missing-events", func(t *testing.T) {
		docs, schema := specIndex(t, root, "sequence", "missing-events")
		runSpecFile(t, filepath.Join(root, "test_missing_events.toml"), docs, schema, "sequence")
	})
	t.Run("sample", func(t *testing.T) {
		docs, schema := specIndex(t, root, "id", "sample1", "sample2", "sample3")
		runSpecFile(t, filepath.Join(root, "test_sample.toml"), docs, schema, "")
	})
}

type specDoc struct {
	id  string
	raw []byte
}

var ddMMyyyy = regexp.MustCompile(`^(\d\d)-(\d\d)-(\d{4})$`)

// specIndex loads indices as Elasticsearch's harness does: the data in
// order, index after index, and a schema from their mappings. Dates in a
// mapping's custom dd-MM-yyyy format are rewritten as ISO dates, as
// Elasticsearch parses them at indexing.
func specIndex(t *testing.T, root, idField string, indices ...string) ([]specDoc, *ecs.Schema) {
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
		formats := map[string]string{}
		specMapping("", mapping["properties"], types, formats)
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
		var raw []map[string]any
		if err := json.Unmarshal([]byte(strings.Join(lines, "\n")), &raw); err != nil {
			t.Fatalf("%s.data: %v", ix, err)
		}
		for _, m := range raw {
			for f, format := range formats {
				if s, ok := m[f].(string); ok && format == "dd-MM-yyyy" {
					m[f] = ddMMyyyy.ReplaceAllString(s, "$3-$2-$1")
				}
			}
			b, _ := json.Marshal(m)
			docs = append(docs, specDoc{id: fmt.Sprint(m[idField]), raw: b})
		}
	}
	return docs, ecs.NewSchema(types)
}

func specMapping(prefix string, props any, out map[string]ecs.Type, formats map[string]string) {
	m, _ := props.(map[string]any)
	for name, v := range m {
		f, _ := v.(map[string]any)
		path := prefix + name
		if sub, ok := f["properties"]; ok {
			specMapping(path+".", sub, out, formats)
			continue
		}
		typ, _ := f["type"].(string)
		if typ == "alias" {
			continue
		}
		if format, ok := f["format"].(string); ok {
			formats[path] = format
		}
		if t := ecs.ParseType(typ); t != ecs.Unknown {
			out[path] = t
		} else {
			out[path] = ecs.Keyword // version, runtime keyword types
		}
	}
}

func runSpecFile(t *testing.T, path string, docs []specDoc, schema *ecs.Schema, tiebreaker string) {
	t.Helper()
	var spec struct {
		Queries []struct {
			Name     string   `toml:"name"`
			Query    string   `toml:"query"`
			Size     *int     `toml:"size"`
			Expected any      `toml:"expected_event_ids"`
			JoinKeys []string `toml:"join_keys"`
		} `toml:"queries"`
	}
	md, err := toml.DecodeFile(path, &spec)
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for qi, sq := range spec.Queries {
		for _, tail := range []bool{false, true} {
			name := sq.Name
			if tail {
				name += "/tail"
			}
			st, err := eql.Parse(sq.Query)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			q, err := Compile(st, Options{Schema: schema, CategoryField: "event_type", TiebreakerField: tiebreaker})
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			size := 50
			if sq.Size != nil {
				size = *sq.Size
			}
			results := runQuery(t, q, docs, size, tail)
			var ids, keys []string
			for _, r := range results {
				for _, h := range r.Events {
					if h == nil {
						ids = append(ids, "-1")
					} else {
						ids = append(ids, h.Ref.(string))
					}
				}
				for _, k := range r.JoinKeys {
					if k == nil {
						keys = append(keys, "null")
					} else {
						keys = append(keys, fmt.Sprint(k))
					}
				}
			}
			want := specExpected(sq.Expected)
			if !slices.ContainsFunc(want, func(w []string) bool { return slices.Equal(w, ids) }) {
				t.Errorf("%s: ids %v, want %v\n%s", name, ids, want, sq.Query)
				continue
			}
			if md.IsDefined("queries", fmt.Sprint(qi), "join_keys") || sq.JoinKeys != nil {
				if !slices.Equal(keys, sq.JoinKeys) && !(len(keys) == 0 && len(sq.JoinKeys) == 0) {
					t.Errorf("%s: join keys %v, want %v", name, keys, sq.JoinKeys)
					continue
				}
			}
			passed++
		}
	}
	t.Logf("%d of %d spec runs pass (%d queries, head and tail)", passed, 2*len(spec.Queries), len(spec.Queries))
}

// runQuery runs q over docs as a search does: sequences over the events
// sorted by timestamp, tiebreaker and arrival; samples over them as they
// come.
func runQuery(t *testing.T, q *Query, docs []specDoc, size int, tail bool) []*Result {
	t.Helper()
	sel := q.NewSelection(size, tail)
	if q.IsSample() {
		s, err := q.NewSampler()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			s.Push(event.New(d.raw, q.Plan()), d.id)
		}
		sel.Add(s.Flush()...)
		return sel.Results()
	}
	type ordered struct {
		d    specDoc
		ev   *event.Event
		time int64
		tb   any
		n    int
	}
	var evs []ordered
	for i, d := range docs {
		ev := event.New(d.raw, q.Plan())
		ns, tb, ok := q.Order(ev)
		if !ok {
			continue
		}
		evs = append(evs, ordered{d, ev, ns, tb, i})
	}
	slices.SortStableFunc(evs, func(a, b ordered) int {
		return (&Hit{Time: a.time, Tiebreaker: a.tb, Arrival: uint64(a.n)}).Compare(&Hit{Time: b.time, Tiebreaker: b.tb, Arrival: uint64(b.n)})
	})
	m, err := q.NewSequenceMatcher()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		rs, err := m.Push(e.ev, e.d.id)
		if err != nil {
			t.Fatalf("push %s: %v", e.d.id, err)
		}
		sel.Add(rs...)
	}
	sel.Add(m.Flush()...)
	return sel.Results()
}

// specExpected reads expected_event_ids: a list of ids, or a list of
// possible lists.
func specExpected(x any) [][]string {
	list, _ := x.([]any)
	if len(list) > 0 {
		if _, nested := list[0].([]any); nested {
			var out [][]string
			for _, l := range list {
				out = append(out, specExpected(l)...)
			}
			return out
		}
	}
	ids := make([]string, len(list))
	for i, v := range list {
		ids[i] = fmt.Sprint(v)
	}
	return [][]string{ids}
}

var _ = cmp.Compare[int]
