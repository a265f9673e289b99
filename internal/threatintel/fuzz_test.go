package threatintel

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadIndicators checks that no indicator file makes Read panic, that
// every indicator read is a JSON object with an id and a location, that
// problems are counted, and that reading the same file twice gives the same
// ids (rules keep their enrichments across reloads).
func FuzzReadIndicators(f *testing.F) {
	// Indicator documents as the tests of threat_match rules use them.
	ip := `{"@timestamp":"2026-03-10T00:00:00Z","event":{"kind":"enrichment","type":["indicator"]},"data_stream":{"type":"logs","dataset":"ti_abusech.ip","namespace":"default"},"threat":{"feed":{"name":"AbuseCH"},"indicator":{"ip":"203.0.113.7","type":"ipv4-addr","confidence":"High"}}}`
	network := `{"@timestamp":"2026-03-10T00:00:00Z","event":{"kind":"enrichment"},"data_stream":{"type":"logs","dataset":"ti_custom.net","namespace":"default"},"threat":{"indicator":{"ip":"198.51.100.0/24"}}}`
	hit := `{"_index":".ds-logs-ti_abusech.url-default-2026.03.10-000001","_id":"abc","_source":` + ip + `}`
	for _, seed := range []string{
		ip + "\n" + network + "\n",
		hit + "\n" + network,
		"[" + ip + "," + hit + "]",
		ip + "\nnot json\n{\"_source\":[1]}\n{\"data_stream\":{\"type\":1}}\n\n",
		`{"records":[` + ip + `]}`,
	} {
		for _, mode := range []byte{0, 1, 2} {
			f.Add([]byte(seed), mode)
		}
	}
	dir := f.TempDir()
	names := []string{"ti.ndjson", "ti.ndjson.gz", "ti.ndjson.gz", "ti.json"}
	f.Fuzz(func(t *testing.T, data []byte, mode byte) {
		m := int(mode) % len(names)
		path := filepath.Join(dir, names[m])
		if m == 1 { // compressed as the name says; mode 2: not
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(data)
			zw.Close()
			data = buf.Bytes()
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Read([]string{path})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "indicators: ") {
				t.Fatalf("error %q does not say it is about indicators", err)
			}
			return
		}
		if len(s.Problems) > maxProblems || s.Bad < len(s.Problems) || s.Bad > len(s.Problems) && len(s.Problems) < maxProblems {
			t.Errorf("%d bad records, %d problems kept", s.Bad, len(s.Problems))
		}
		var ids []string
		for i, ind := range s.Items {
			if ind.ID == "" || !strings.HasPrefix(ind.Where, path) {
				t.Errorf("indicator %d: id %q, where %q", i, ind.ID, ind.Where)
			}
			var obj map[string]any
			if err := json.Unmarshal(ind.Raw, &obj); err != nil {
				t.Errorf("indicator %d: %q is not a JSON object: %v", i, ind.Raw, err)
			}
			ids = append(ids, ind.ID)
		}
		again, err := Read([]string{path})
		if err != nil {
			t.Fatalf("second read: %v", err)
		}
		var idsAgain []string
		for _, ind := range again.Items {
			idsAgain = append(idsAgain, ind.ID)
		}
		if diff := cmp.Diff(ids, idsAgain); diff != "" {
			t.Errorf("ids differ between two reads (-first +second):\n%s", diff)
		}
	})
}
