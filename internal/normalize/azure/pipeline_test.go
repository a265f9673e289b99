package azure_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/normalize/azure"
)

// knownDiffs are the expected fields Vigil deliberately does not produce,
// by "file:document:field" (the file relative to integrations/, documents
// counted from 1), each explained in docs/azure.md ("Agreement with
// Elastic").
//
// variants/55c9a0a3 is the expected output of one commit of the integration
// (55c9a0a3) whose pipeline renamed azure.correlation_id,
// azure.tenant_id, azure.resource.group and azure.resource.provider; the
// integration's main line, and Elastic's detection rules, use the names
// Vigil writes (see the same file without the variant, which expects them).
var knownDiffs = map[string]string{
	"variants/55c9a0a3/test-activitylogs-mixedcase-resourceid.log-expected.json:1:azure.correlation.id":              "55c9a0a3 layout: Vigil writes azure.correlation_id",
	"variants/55c9a0a3/test-activitylogs-mixedcase-resourceid.log-expected.json:1:azure.resource_group.name":         "55c9a0a3 layout: Vigil writes azure.resource.group",
	"variants/55c9a0a3/test-activitylogs-mixedcase-resourceid.log-expected.json:1:azure.resource_provider.namespace": "55c9a0a3 layout: Vigil writes azure.resource.provider",
	"variants/55c9a0a3/test-activitylogs-mixedcase-resourceid.log-expected.json:2:azure.correlation.id":              "55c9a0a3 layout: Vigil writes azure.correlation_id",
	"variants/55c9a0a3/test-activitylogs-mixedcase-resourceid.log-expected.json:2:azure.resource_provider.namespace": "55c9a0a3 layout: Vigil writes azure.resource.provider",
	"variants/55c9a0a3/test-activitylogs-mixedcase-resourceid.log-expected.json:2:azure.tenant.id":                   "55c9a0a3 layout: Vigil writes azure.tenant_id",
}

// TestPipelineOracle runs every pipeline test of Elastic's integration
// under integrations/ (each *-expected.json, variants included) through
// normalize.Normalize with the source named, the path of `vigil normalize
// --source azure-activity`, and compares each document leaf by leaf with
// the one Elastic's ingest pipeline produced.
//
// Records without operationName are in scope: test-time-formats-corner-
// cases.log holds eleven records of only time and category, and its
// -expected.json shows a document for each (@timestamp,
// azure.activitylogs.category and .event_category, cloud.provider,
// event.kind, event.original); see TestNamedSourceSparseRecords.
func TestPipelineOracle(t *testing.T) {
	root := filepath.Join(azure.SharedDir(t), "integrations")
	var expected []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, "-expected.json") {
			expected = append(expected, p)
		}
		return nil
	})
	sort.Strings(expected)
	total, equal, mainTotal, mainEqual := 0, 0, 0, 0
	seen := map[string]bool{}
	for _, exp := range expected {
		rel, _ := filepath.Rel(root, exp)
		rel = filepath.ToSlash(rel)
		want := expectedDocs(t, exp)
		lines := inputLines(t, root, exp)
		if len(lines) != len(want) {
			t.Errorf("%s: %d input records for %d expected documents", rel, len(lines), len(want))
			continue
		}
		fileTotal, fileEqual := 0, 0
		for i, line := range lines {
			wantFlat := map[string]string{}
			azure.Flatten("", want[i], wantFlat)
			// The pair is right: Elastic's event.original is the input line.
			if o, ok := wantFlat["event.original"]; ok {
				b, _ := json.Marshal(string(line))
				if o != string(b) {
					t.Fatalf("%s document %d: event.original is not the input line %d of %s", rel, i+1, i+1, filepath.Base(strings.TrimSuffix(exp, "-expected.json")))
				}
			}
			gotFlat := map[string]string{}
			out, _, err := normalize.Normalize(line, normalize.AzureActivity, normalize.Options{})
			if err != nil {
				t.Errorf("%s document %d: %v", rel, i+1, err)
			} else {
				azure.Flatten("", decodeJSON(t, out), gotFlat)
			}
			keys := make([]string, 0, len(wantFlat))
			for k := range wantFlat {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if azure.Ignored(k) {
					continue
				}
				fileTotal++
				id := fmt.Sprintf("%s:%d:%s", rel, i+1, k)
				_, known := knownDiffs[id]
				switch {
				case gotFlat[k] == wantFlat[k]:
					fileEqual++
					if known {
						t.Errorf("%s: now equal; remove it from knownDiffs and docs/azure.md", id)
					}
				case known:
					seen[id] = true
				default:
					t.Errorf("%s: got %s, want %s", id, orNone(gotFlat[k]), wantFlat[k])
				}
			}
		}
		t.Logf("%s: %d/%d expected fields equal", rel, fileEqual, fileTotal)
		total += fileTotal
		equal += fileEqual
		if !strings.HasPrefix(rel, "variants/") {
			mainTotal += fileTotal
			mainEqual += fileEqual
		}
	}
	for id := range knownDiffs {
		if !seen[id] {
			t.Errorf("%s: listed in knownDiffs but not met", id)
		}
	}
	if total == 0 {
		t.Fatal("no pipeline tests found")
	}
	t.Logf("main line: %d/%d expected fields equal (%.1f%%)", mainEqual, mainTotal, 100*float64(mainEqual)/float64(mainTotal))
	t.Logf("all files: %d/%d expected fields equal (%.1f%%)", equal, total, 100*float64(equal)/float64(total))
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// expectedDocs reads the documents of a pipeline test's -expected.json.
func expectedDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Expected []map[string]any }
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return want.Expected
}

// inputLines reads the records of the input beside an -expected.json or,
// for a variant kept without its input, the input of the same name at the
// top of the integration's tests (the caller checks each line against the
// expected event.original).
func inputLines(t *testing.T, root, expected string) [][]byte {
	t.Helper()
	name := strings.TrimSuffix(expected, "-expected.json")
	f, err := os.Open(name)
	if os.IsNotExist(err) {
		f, err = os.Open(filepath.Join(root, filepath.Base(name)))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			lines = append(lines, bytes.Clone(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
