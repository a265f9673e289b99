package rule

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// TestDecodeAgreesWithBurntSushi decodes every rule file of Elastic's
// corpus and of the fixtures with decode (go-toml/v2, normalized) and with
// BurntSushi/toml, the decoder it replaced: the documents must be equal,
// arrays of inline tables aside (BurntSushi types them []any, decode
// []map[string]any, which every reader of a document accepts alike).
func TestDecodeAgreesWithBurntSushi(t *testing.T) {
	n := 0
	eachRuleFile(t, []string{"testdata"}, func(p string, data []byte) {
		n++
		got := decode(data, string(data))
		var want map[string]any
		_, wantErr := toml.Decode(string(data), &want)
		if (got.err != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, BurntSushi's %v", p, got.err, wantErr)
			return
		}
		if wantErr != nil {
			if got.err.Error() != wantErr.Error() {
				t.Errorf("%s: error %q, want BurntSushi's %q", p, got.err, wantErr)
			}
			return
		}
		if diff := cmp.Diff(tablesTyped(want), got.doc); diff != "" {
			t.Errorf("%s: decoded documents differ (-BurntSushi +decode):\n%s", p, diff)
		}
	})
	t.Logf("%d files compared", n)
}

// eachRuleFile calls fn with each *.toml file below dirs and Elastic's
// corpus (rules and building blocks, when the shared test data has it).
func eachRuleFile(t *testing.T, dirs []string, fn func(path string, data []byte)) {
	t.Helper()
	if root, ok := sharedtestdata.Find("detection-rules"); ok {
		dirs = append(dirs, filepath.Join(root, "rules"), filepath.Join(root, "rules_building_block"))
	} else {
		t.Log("Elastic's detection-rules are absent: fixtures only")
	}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".toml") {
				return err
			}
			data, err := os.ReadFile(p)
			if err == nil {
				fn(p, data)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// tablesTyped types BurntSushi's arrays of inline tables as its arrays of
// [[tables]]: []map[string]any.
func tablesTyped(x any) any {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			t[k] = tablesTyped(v)
		}
	case []map[string]any:
		for _, m := range t {
			tablesTyped(m)
		}
	case []any:
		maps := make([]map[string]any, 0, len(t))
		for i, el := range t {
			t[i] = tablesTyped(el)
			if m, ok := t[i].(map[string]any); ok {
				maps = append(maps, m)
			}
		}
		if len(t) > 0 && len(maps) == len(t) {
			return maps
		}
	}
	return x
}

// TestDecodeLocalDates: TOML dates and times decode to time.Time, as
// BurntSushi/toml gave them, so that messages name them "a date".
func TestDecodeLocalDates(t *testing.T) {
	d := decodeText("a = 2026-01-02\nb = 2026-01-02T03:04:05\nc = 03:04:05\nd = 2026-01-02T03:04:05Z\n")
	if d.err != nil {
		t.Fatal(d.err)
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		if got := typeName(d.doc[k]); got != "a date" {
			t.Errorf("%s: %s, want a date", k, got)
		}
	}
}

// FuzzDecode: decode gives BurntSushi/toml's verdict on any input, and the
// same document where both accept it (arrays of inline tables typed as
// arrays of tables).
func FuzzDecode(f *testing.F) {
	for _, b := range fuzzSeeds() {
		f.Add(b)
	}
	f.Add([]byte("a = [{b = 1}, {c = 2}]\n[[t]]\nx = 1979-05-27\n[[t]]\ny = 07:32:00\nz = 1979-05-27T07:32:00Z\n"))
	f.Add([]byte("a = {b = 1,}\nc = \"\\e\"\nd = 2024-01-01T10:00\n")) // TOML 1.1
	f.Fuzz(func(t *testing.T, data []byte) {
		got := decode(data, string(data))
		var want map[string]any
		_, wantErr := toml.Decode(string(data), &want)
		if (got.err != nil) != (wantErr != nil) {
			t.Fatalf("error %v, BurntSushi's %v", got.err, wantErr)
		}
		if wantErr != nil {
			return
		}
		if diff := cmp.Diff(tablesTyped(want), got.doc, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("documents differ (-BurntSushi +decode):\n%s", diff)
		}
	})
}

// fuzzSeeds are the decoders' fuzz seeds: the built-in Azure rules and the
// fixtures.
func fuzzSeeds() [][]byte {
	seeds, _ := filepath.Glob("../../rules/azure/*.toml")
	fixtures, _ := filepath.Glob("testdata/*/*.toml")
	var out [][]byte
	for _, s := range append(seeds, fixtures...) {
		if b, err := os.ReadFile(s); err == nil {
			out = append(out, b)
		}
	}
	return out
}
