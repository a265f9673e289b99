package eql

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignorePos compares trees without their positions.
var ignorePos = cmpopts.IgnoreTypes(Pos{})

// detail renders err with its caret excerpt when it is an *Error.
func detail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Detail()
	}
	return err.Error()
}

// checkRoundTrip checks that s prints to a query that parses back to s and
// prints the same again.
func checkRoundTrip(t testing.TB, name string, s *Statement) {
	t.Helper()
	text := s.String()
	m, err := Parse(text)
	if err != nil {
		t.Errorf("%s: printed query does not parse:\n%s\nprinted: %s", name, detail(err), text)
		return
	}
	if diff := cmp.Diff(s, m, ignorePos); diff != "" {
		t.Errorf("%s: round trip changed the tree (-parsed +reparsed):\n%s\nprinted: %s", name, diff, text)
		return
	}
	if s2 := m.String(); s2 != text {
		t.Errorf("%s: printing is not stable:\nfirst:  %s\nsecond: %s", name, text, s2)
	}
}

// corpusQuery is one EQL query of a rule file.
type corpusQuery struct {
	file  string // relative to the corpus root
	query string
}

// readCorpus reads the EQL queries of the rule corpus at root.
func readCorpus(t testing.TB, root string) []corpusQuery {
	t.Helper()
	var out []corpusQuery
	for _, sub := range []string{"rules", "rules_building_block"} {
		err := filepath.WalkDir(filepath.Join(root, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".toml") {
				return err
			}
			var doc map[string]any
			if _, err := toml.DecodeFile(path, &doc); err != nil {
				t.Errorf("%s: decode: %v", path, err)
				return nil
			}
			rule, _ := doc["rule"].(map[string]any)
			rel, _ := filepath.Rel(root, path)
			if q, _ := rule["query"].(string); rule["language"] == "eql" && q != "" {
				out = append(out, corpusQuery{rel, q})
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", sub, err)
		}
	}
	return out
}

// specQueries reads the queries of the eql-spec TOML files at root.
func specQueries(t testing.TB, root string) []corpusQuery {
	t.Helper()
	var out []corpusQuery
	files, _ := filepath.Glob(filepath.Join(root, "*.toml"))
	for _, path := range files {
		var doc struct {
			Queries []struct {
				Name  string `toml:"name"`
				Query string `toml:"query"`
			} `toml:"queries"`
		}
		if _, err := toml.DecodeFile(path, &doc); err != nil {
			t.Errorf("%s: decode: %v", path, err)
			continue
		}
		for _, q := range doc.Queries {
			out = append(out, corpusQuery{filepath.Base(path) + " " + q.Name, q.Query})
		}
	}
	return out
}
