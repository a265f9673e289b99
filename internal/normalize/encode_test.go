package normalize

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

func stdEncode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// The sample's raw records normalize to the same bytes as with encoding/json.
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
			if want := stdEncode(doc); !bytes.Equal(out, want) {
				t.Fatalf("record %d:\n got %s\nwant %s", n, out, want)
			}
			n++
		}
	}
	if n != 70 {
		t.Fatalf("%d records", n)
	}
}
