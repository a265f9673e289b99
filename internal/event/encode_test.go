package event

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
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
		// Types it leaves to encoding/json, still without HTML escaping.
		[]map[string]any{{"h": "<a&b>"}}, map[string]string{"k": "<>"}, uint8(7),
	}
	for _, v := range values {
		got, err := AppendJSON(nil, v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if want := stdEncode(v); !bytes.Equal(got, want) {
			t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
		}
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

// TestAppendJSONSortsMembers checks objects of every size AppendJSON sorts
// differently (by insertion up to a dozen keys, on the stack up to 64, on
// the heap past that), with keys that share long prefixes, against
// encoding/json.
func TestAppendJSONSortsMembers(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for n := range 150 {
		m := map[string]any{}
		for len(m) < n {
			k := []string{"kibana.alert.rule.", "kibana.alert.", "event.", "", "é"}[r.IntN(5)] + strconv.Itoa(r.IntN(1000))
			if r.IntN(8) == 0 {
				m[k] = map[string]any{strconv.Itoa(r.IntN(30)): "v", "a": 1.0, "Z": nil}
			} else {
				m[k] = k
			}
		}
		got, err := AppendJSON(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdEncode(m); !bytes.Equal(got, want) {
			t.Fatalf("%d keys:\n got %s\nwant %s", n, got, want)
		}
	}
}
