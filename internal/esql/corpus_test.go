package esql

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

type corpusRule struct {
	path, name, query string
}

// readCorpus returns the ES|QL rules of Elastic's rule corpus.
func readCorpus(t testing.TB, root string) []corpusRule {
	t.Helper()
	var out []corpusRule
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".toml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc struct {
			Rule struct {
				Name     string `toml:"name"`
				Language string `toml:"language"`
				Query    string `toml:"query"`
			} `toml:"rule"`
		}
		if _, err := toml.Decode(string(data), &doc); err != nil {
			return nil // not a rule file this test reads
		}
		if doc.Rule.Language == "esql" {
			rel, _ := filepath.Rel(root, path)
			out = append(out, corpusRule{path: rel, name: doc.Rule.Name, query: doc.Rule.Query})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// TestCorpus parses every ES|QL rule of Elastic's corpus, prints it back
// and parses the print (the same query again), and compiles it against
// the built-in field types; COMPLETION rules are reported unsupported.
func TestCorpus(t *testing.T) {
	root := sharedtestdata.Dir(t, "detection-rules")
	rules := readCorpus(t, root)
	if len(rules) == 0 {
		t.Fatal("no ES|QL rules found")
	}
	parsed, compiled, completion := 0, 0, 0
	var compileErrs []string
	for _, r := range rules {
		q, err := Parse(r.query)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				t.Errorf("%s: %s", r.path, e.Detail())
			} else {
				t.Errorf("%s: %v", r.path, err)
			}
			continue
		}
		parsed++
		printed := q.String()
		q2, err := Parse(printed)
		if err != nil {
			t.Errorf("%s: the printed query does not parse: %v\n%s", r.path, err, printed)
			continue
		}
		if q2.String() != printed {
			t.Errorf("%s: printing is not stable:\n%s\n---\n%s", r.path, printed, q2.String())
		}
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		prog, err := Compile(q, Options{Now: func() time.Time { return now }})
		if err == nil {
			runOnSampleDocs(t, r.path, prog)
		}
		if err != nil {
			if strings.Contains(err.Error(), "COMPLETION is not supported") {
				completion++
				continue
			}
			compileErrs = append(compileErrs, r.path+": "+err.Error())
			continue
		}
		compiled++
	}
	for _, e := range compileErrs {
		t.Logf("does not compile: %s", e)
	}
	t.Logf("%d ES|QL rules: %d parse, %d compile, %d COMPLETION (unsupported), %d other compile errors",
		len(rules), parsed, compiled, completion, len(compileErrs))
	if parsed != len(rules) {
		t.Errorf("%d of %d rules do not parse", len(rules)-parsed, len(rules))
	}
	const wantCompiled = 202
	if compiled < wantCompiled {
		t.Errorf("%d rules compile, want at least %d", compiled, wantCompiled)
	}
	if len(compileErrs) > 0 {
		t.Errorf("%d rules do not compile", len(compileErrs))
	}
	if completion != 7 {
		t.Errorf("%d COMPLETION rules reported, want 7", completion)
	}
}

// runOnSampleDocs runs a compiled rule over documents holding every field
// it reads, single-valued, multi-valued and absent, so that evaluation of
// every corpus query is exercised (it must not panic).
func runOnSampleDocs(t *testing.T, path string, p *Program) {
	t.Helper()
	defer func() {
		if e := recover(); e != nil {
			t.Errorf("%s: evaluation panicked: %v", path, e)
		}
	}()
	for variant := 0; variant < 3; variant++ {
		r := p.Start()
		for _, d := range sampleDocs(p, variant) {
			r.Add(Doc{Event: event.New(d, p.Plan()), ID: "id", Index: "logs-x"})
		}
		r.Finish()
	}
}

// sampleDocs returns four documents holding the fields p reads: single
// and multi-valued in turn (variant 0 and 1), or half of them without
// any (variant 2).
func sampleDocs(p *Program, variant int) [][]byte {
	values := map[Type][2]string{
		Keyword: {`"Value 1"`, `["b", "a"]`}, Text: {`"some text"`, `["x y", "z"]`},
		Integer: {`7`, `[3, 1]`}, Long: {`123456`, `[5, 2]`}, Double: {`1.5`, `[2.5, 0.5]`},
		Boolean: {`true`, `[true, false]`}, Date: {`"2024-12-31T23:50:00Z"`, `["2024-12-31T23:00:00Z", "2024-12-31T23:59:00Z"]`},
		IP: {`"10.1.2.3"`, `["10.0.0.1", "2001:db8::1"]`}, GeoPoint: {`{"lat": 48.8, "lon": 2.3}`, `"POINT (1 2)"`},
	}
	types := map[string]Type{}
	for _, s := range p.sources {
		if s.meta == "" {
			types[s.path] = s.typ
		}
	}
	var docs [][]byte
	for i := 0; i < 4; i++ {
		var b strings.Builder
		b.WriteByte('{')
		n := 0
		for _, f := range p.Fields() {
			if variant == 2 && i%2 == 0 {
				break
			}
			v, ok := values[types[f]]
			if !ok {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			b.WriteString(`"` + f + `":` + v[(variant+i)%2])
		}
		b.WriteByte('}')
		docs = append(docs, []byte(b.String()))
	}
	return docs
}
