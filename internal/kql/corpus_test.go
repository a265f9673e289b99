package kql

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// corpusQuery is one KQL query from a rule file.
type corpusQuery struct {
	file  string // relative to the corpus root
	key   string // "query" or "threat_query"
	query string
}

// corpusQueries returns the KQL queries of Elastic's rule corpus: rule.query
// of kuery rules (query, threshold, new_terms and threat_match rules with no
// language default to kuery) and rule.threat_query when it is kuery.
func corpusQueries(t testing.TB) []corpusQuery {
	t.Helper()
	return readCorpus(t, sharedtestdata.Dir(t, "detection-rules"))
}

// readCorpus reads the KQL queries of the rule corpus at root.
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
			if q, ok := kueryField(rule, "query", "language"); ok {
				out = append(out, corpusQuery{rel, "query", q})
			}
			if q, ok := kueryField(rule, "threat_query", "threat_language"); ok {
				out = append(out, corpusQuery{rel, "threat_query", q})
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", sub, err)
		}
	}
	return out
}

// kueryField returns rule[key] when it is a non-empty KQL query, judged by
// rule[langKey] or, when that is absent, by the rule type.
func kueryField(rule map[string]any, key, langKey string) (string, bool) {
	q, _ := rule[key].(string)
	if strings.TrimSpace(q) == "" {
		return "", false
	}
	lang, ok := rule[langKey].(string)
	if !ok {
		switch rule["type"] {
		case "query", "threshold", "new_terms", "threat_match":
			lang = "kuery"
		}
	}
	return q, lang == "kuery"
}

func TestCorpus(t *testing.T) {
	queries := corpusQueries(t)
	rules := 0
	for _, c := range queries {
		if c.key == "query" {
			rules++
		}
		n, err := Parse(c.query)
		if err != nil {
			t.Errorf("%s %s: %v", c.file, c.key, detail(err))
			continue
		}
		checkRoundTrip(t, c.file+" "+c.key, n)
	}
	t.Logf("parsed %d kuery queries (%d rule queries, %d threat queries)", len(queries), rules, len(queries)-rules)
	if rules != 729 {
		t.Errorf("found %d kuery rule queries, want 729 (the corpus changed?)", rules)
	}
}
