package azure

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sharedDir finds ../shared/testdata/azure beside the repository.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repository root not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "testdata", "azure")
	if _, err := os.Stat(p); err != nil {
		t.Skip("../shared/testdata/azure not found (run from a checkout with shared/ beside it)")
	}
	return p
}

// ignored are fields we do not produce on purpose: GeoIP lookups (no
// database ships), the ingest time, the ECS version, the test's tag.
func ignored(path string) bool {
	for _, p := range []string{"geo.", "source.geo.", "source.as.", "client.geo.", "client.as.", "tags"} {
		if strings.HasPrefix(path, p) || path == strings.TrimSuffix(p, ".") {
			return true
		}
	}
	return path == "event.ingested" || path == "ecs.version"
}

func flatten(prefix string, x any, out map[string]string) {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, v, out)
		}
	default:
		b, _ := json.Marshal(t)
		out[prefix] = string(b)
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// filebeatOnly are fields the Filebeat module adds that are not about the
// record (input metadata).
func filebeatOnly(path string) bool {
	switch path {
	case "fileset.name", "input.type", "log.offset", "service.type", "event.module", "event.dataset", "agent", "host":
		return true
	}
	return false
}

// TestFilebeatOracle compares with the old Filebeat module's pipeline tests.
// That pipeline differs from the integration's in places (documented in
// docs/azure.md): it is reported, with a lower bar.
func TestFilebeatOracle(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "filebeat")
	inputs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	total, equal := 0, 0
	diffs := map[string]int{}
	for _, in := range inputs {
		exp, err := os.ReadFile(in + "-expected.json")
		if err != nil {
			continue
		}
		var want []map[string]any
		d := json.NewDecoder(bytes.NewReader(exp))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		data, _ := os.ReadFile(in)
		i := 0
		for _, line := range bytes.Split(data, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 || i >= len(want) {
				continue
			}
			got, _, err := Activity(decode(t, line), line, Options{})
			gotFlat := map[string]string{}
			if err == nil {
				flatten("", got, gotFlat)
			}
			for k, v := range want[i] {
				if ignored(k) || filebeatOnly(k) {
					continue
				}
				b, _ := json.Marshal(v)
				total++
				if gotFlat[k] == string(b) {
					equal++
				} else {
					diffs[k]++
				}
			}
			i++
		}
	}
	if total == 0 {
		t.Skip("no Filebeat pipeline tests found")
	}
	keys := make([]string, 0, len(diffs))
	for k := range diffs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("differs from Filebeat: %s (%d)", k, diffs[k])
	}
	pct := 100 * float64(equal) / float64(total)
	t.Logf("Filebeat: %d/%d expected fields equal (%.1f%%)", equal, total, pct)
	if pct < 90 {
		t.Errorf("agreement with Filebeat's pipeline is %.1f%%, want at least 90%%", pct)
	}
}
