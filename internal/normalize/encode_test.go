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

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, "", "a\"b\\c\n\r\t\b\f\x01\x1f<>&", "\u2028\u2029é€", string([]byte{0xff, 'a', 0xc3}),
		json.Number("12.50"), 1.0, 0.5, 1e21, 1e-7, -3.25e-9, 123456789.0, int64(-7), 42,
		[]any{1.0, "x", nil, map[string]any{"b": 1.0, "a": []string{"q"}}},
		map[string]any{"z": map[string]any{}, "a": []any{}, "m": "v", "é": 1.0},
	}
	for _, v := range values {
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if want := stdEncode(v); !bytes.Equal(got, want) {
			t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
		}
	}
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

func FuzzAppendString(f *testing.F) {
	f.Add("a\"\\\n\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		if want := stdEncode(s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}
