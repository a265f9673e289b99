package normalize

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// The sample's raw records normalize to the bytes encoding/json writes of
// the same document: compact, keys sorted, no HTML escaping.
func TestNormalizeSampleBytes(t *testing.T) {
	data, err := os.ReadFile("../../testdata/sample/azure-activity.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range bytes.Lines(data) {
		var env struct{ Records []json.RawMessage }
		if err := json.Unmarshal(line, &env); err != nil {
			t.Fatal(err)
		}
		for _, rec := range env.Records {
			out, _, err := Normalize(rec, Auto, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			d := json.NewDecoder(bytes.NewReader(out))
			d.UseNumber()
			if err := d.Decode(&doc); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			if want := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(out, want) {
				t.Fatalf("record %d:\n got %s\nwant %s", n, out, want)
			}
			n++
		}
	}
	if n != 70 {
		t.Fatalf("%d records", n)
	}
}
