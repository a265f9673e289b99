package sequence

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// TestCorpus compiles every sequence and sample of Elastic's rule corpus
// with its rule's timestamp, tiebreaker and category fields.
func TestCorpus(t *testing.T) {
	root := sharedtestdata.Dir(t, "detection-rules")
	counts := map[string]int{}
	for _, sub := range []string{"rules", "rules_building_block"} {
		err := filepath.WalkDir(filepath.Join(root, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".toml") {
				return err
			}
			var doc struct {
				Rule struct {
					Index         []string `toml:"index"`
					Language      string   `toml:"language"`
					Query         string   `toml:"query"`
					Timestamp     string   `toml:"timestamp_field"`
					Tiebreaker    string   `toml:"tiebreaker_field"`
					CategoryField string   `toml:"event_category_override"`
				} `toml:"rule"`
			}
			if _, err := toml.DecodeFile(path, &doc); err != nil {
				t.Errorf("%s: %v", path, err)
				return nil
			}
			r := doc.Rule
			if r.Language != "eql" {
				return nil
			}
			st, err := eql.Parse(r.Query)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				return nil
			}
			switch st.Query.(type) {
			case *eql.Sequence, *eql.Sample:
			default:
				return nil
			}
			q, err := Compile(st, Options{Schema: ecs.Default().ForIndices(r.Index), TimestampField: r.Timestamp, TiebreakerField: r.Tiebreaker, CategoryField: r.CategoryField})
			if err != nil {
				if strings.Contains(err.Error(), "no keyword/multi-field defined exact matches for [kubernetes.audit.user.groups]") {
					// The step's condition: the single-event compiler's
					// verdict on a text field (as for any EQL rule).
					counts["rejected as Elasticsearch would"]++
					return nil
				}
				t.Errorf("%s: %v", path, err)
				return nil
			}
			if q.IsSample() {
				counts["sample"]++
			} else {
				counts["sequence"]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("compiled %v", counts)
	if counts["sequence"]+counts["sample"]+counts["rejected as Elasticsearch would"] != 201 {
		t.Errorf("compiled %v, want 198 sequences and 3 samples (the corpus changed?)", counts)
	}
}
