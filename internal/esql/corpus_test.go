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
		_, err = Compile(q, Options{Now: func() time.Time { return now }})
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
