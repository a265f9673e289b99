package input

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readAll returns every record as "line:index:data" and every error.
func readAll(t *testing.T, data []byte) (recs []string, errs []string) {
	t.Helper()
	r := NewReader(bytes.NewReader(data), "f")
	for i := 0; i < 10000; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return recs, errs
		}
		var de *DecodeError
		if errors.As(err, &de) {
			errs = append(errs, fmt.Sprintf("%d:%d", de.Line, de.Col))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, fmt.Sprintf("%d:%d:%s", rec.Line, rec.Index, rec.Data))
	}
	t.Fatal("reader does not end")
	return nil, nil
}

func TestShapes(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []string
		wantErrs []string
	}{
		{"ndjson", "{\"a\":1}\n\n{\"a\":2}\r\n", []string{`1:-1:{"a":1}`, `3:-1:{"a":2}`}, nil},
		{"bad line goes on", "{\"a\":1}\n{\"a\":\n{\"a\":3}\n7\n", []string{`1:-1:{"a":1}`, `3:-1:{"a":3}`}, []string{"2:6", "4:1"}},
		{"envelope per line", `{"records":[{"a":1},{"a":2}]}` + "\n" + `{"records":[{"a":3}]}`, []string{`1:0:{"a":1}`, `1:1:{"a":2}`, `2:0:{"a":3}`}, nil},
		{"value list", `{"value":[{"a":1}]}`, []string{`1:0:{"a":1}`}, nil},
		{"records plus another key is a record", `{"records":[{"a":1}],"b":2}`, []string{`1:-1:{"records":[{"a":1}],"b":2}`}, nil},
		{"array", "[\n {\"a\":1},\n {\"a\":2}\n]\n", []string{`2:0:{"a":1}`, `3:1:{"a":2}`}, nil},
		{"array with a non-object", `[{"a":1}, 5]`, []string{`1:0:{"a":1}`}, []string{"1:1"}},
		{"pretty objects", "{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n", []string{"1:-1:{\n  \"a\": 1\n}", "4:-1:{\n  \"a\": 2\n}"}, nil},
		{"pretty envelope", "{\n \"records\": [\n  {\"a\":1},\n  {\"a\":2}\n ]\n}", []string{`3:0:{"a":1}`, `4:1:{"a":2}`}, nil},
		{"truncated document keeps what came before", "[{\"a\":1},\n{\"a\":", []string{`1:0:{"a":1}`}, []string{"2:1"}},
		{"bad first line stays NDJSON", "{\"a\":x}\n{\"a\":2}\n", []string{`2:-1:{"a":2}`}, []string{"1:6"}},
		{"bom", "\xef\xbb\xbf{\"a\":1}\n", []string{`1:-1:{"a":1}`}, nil},
		{"empty", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := readAll(t, []byte(tt.in))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"records":[{"a":1},{"a":2}]}` + "\n"))
	zw.Close()
	got, errs := readAll(t, buf.Bytes())
	if len(got) != 2 || len(errs) != 0 {
		t.Errorf("gzip: records %v, errors %v", got, errs)
	}
}

func TestLongLine(t *testing.T) {
	long := `{"a":"` + strings.Repeat("x", 3<<20) + `"}` + "\n" + `{"b":1}` + "\n"
	got, errs := readAll(t, []byte(long))
	if len(got) != 2 || len(errs) != 0 {
		t.Errorf("long line: %d records, errors %v", len(got), errs)
	}
}

// FuzzReader: no input panics the reader; every record is a JSON object.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n", `{"records":[{"a":1},2]}`, "[{\"a\":1},", "{\n\"a\":[\n1]}\n{", "\x1f\x8b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), "f")
		for i := 0; i < 100000; i++ {
			rec, err := r.Next()
			if err != nil {
				var de *DecodeError
				if errors.As(err, &de) {
					continue
				}
				return
			}
			if len(rec.Data) == 0 || rec.Data[0] != '{' {
				t.Fatalf("record is not an object: %q", rec.Data)
			}
		}
		t.Fatal("reader does not end")
	})
}

func TestDeferAndExpand(t *testing.T) {
	in := "{\"a\":1}\n{\"records\":[{\"b\":1},7,{\"b\":2}]}\n{\"records\":[x]}\n{\"a\":y}\n"
	r := NewReader(strings.NewReader(in), "f.json")
	r.Defer()
	var got []string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range Expand(rec) {
			if it.Err != nil {
				got = append(got, "err "+it.Err.Error())
				continue
			}
			got = append(got, fmt.Sprintf("%d:%d:%v:%s", it.Record.Line, it.Record.Index, it.Record.Unchecked, it.Record.Data))
		}
	}
	want := []string{
		`1:-1:true:{"a":1}`,
		`2:0:true:{"b":1}`,
		"err f.json:2:1: element 1 is not a JSON object",
		`2:2:true:{"b":2}`,
		"err f.json:3:13: malformed JSON: invalid character 'x' looking for beginning of value",
		`4:-1:true:{"a":y}`, // the caller's parser finds the fault
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if e := ErrorAt(Record{Source: "f.json", Line: 4, Index: -1, Data: []byte(`{"a":y}`)}, 5, io.ErrUnexpectedEOF); e.Error() != "f.json:4:6: unexpected EOF" {
		t.Errorf("ErrorAt: %v", e)
	}
}

func TestSplitEnvelopeAgreesWithDecoding(t *testing.T) {
	for _, in := range []string{
		`{"records":[{"a":"]}\"[{"},{"b":[1,{"c":"\\"}]}]}`,
		` { "value" : [ {"a":1} , {"b":2} ] } `,
		`{"records":[]}`,
		`{"records":[{"a":1},"x",3,null,[1]]}`,
		`{"records":[{"a":"\\\\"},{"b":"\\\\\""}]}`,
	} {
		got, ok := splitEnvelope([]byte(in))
		want, wok := envelope([]byte(in))
		if !ok || !wok || len(got) != len(want) {
			t.Errorf("%s: split %v %q, decode %v %q", in, ok, got, wok, want)
			continue
		}
		for i := range got {
			if !bytes.Equal(bytes.TrimSpace(got[i]), bytes.TrimSpace(want[i])) {
				t.Errorf("%s: element %d: %s, want %s", in, i, got[i], want[i])
			}
		}
	}
	for _, in := range []string{
		`{"records":[{"a":1}],"b":2}`, // another key: a record, not an envelope
		`{"records":[{"a":1}`,         // broken
		`{"records":{"a":1}}`,
		`{"recordsX":[]}`,
		`{"records":[{"a":1}]} x`,
		`{"records":[{"a":"unterminated}]}`,
	} {
		if els, ok := splitEnvelope([]byte(in)); ok {
			t.Errorf("%s: split into %q, want not an envelope", in, els)
		}
	}
}

func FuzzSplitEnvelope(f *testing.F) {
	f.Add([]byte(`{"records":[{"a":"]}\"[{"},{"b":[1,{"c":"\\"}]}]}`))
	f.Add([]byte(`{"value":[{"a":1},2]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		els, ok := splitEnvelope(b)
		if !ok || !json.Valid(b) {
			return
		}
		want, wok := envelope(b)
		if !wok || len(want) != len(els) {
			t.Fatalf("%q: split %d elements, decoding says %v %d", b, len(els), wok, len(want))
		}
		for i := range els {
			if !bytes.Equal(bytes.TrimSpace(els[i]), bytes.TrimSpace(want[i])) {
				t.Fatalf("%q: element %d: %q, want %q", b, i, els[i], want[i])
			}
		}
	})
}

// skipValueByBytes is skipValue as it was first written, byte by byte:
// the reference the eight-bytes-at-a-time version must agree with.
func skipValueByBytes(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i++
			for {
				n := bytes.IndexByte(b[i:], '"')
				if n < 0 {
					return 0, false
				}
				j := i + n
				bs := 0
				for k := j - 1; k >= i && b[k] == '\\'; k-- {
					bs++
				}
				i = j + 1
				if bs%2 == 0 {
					break
				}
			}
			if depth == 0 {
				return i, true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return 0, false
			}
			if depth == 0 {
				return i + 1, true
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i, true
			}
		}
		i++
	}
	if depth == 0 {
		return i, true
	}
	return 0, false
}

func TestSkipValueAgreesWithByteLoop(t *testing.T) {
	cases := []string{
		`{"a":"]}\"[{","b":[1,{"c":"\\"}]}`,
		`{"a":"\\\\\"x\\","b":"{[}]"}`,
		`[1,2,{"x":[[[]]]}] , `,
		`"just a string with \" inside", 3`,
		`{"unterminated":"abc`,
		`{"a":1}}`,
		`]`,
		`{"k":"\u00e9\u4e2d","l":"é中文 {[ ]}"}`,
		`{"deep":{"a":{"b":{"c":{"d":[1,2,3,"}}}}"]}}}}}`,
		`123,`,
		`{"x":"a\`,
		`{"x":"abcdefgh\\"}`,
		`{"x":"abcdefg\"hijklmnop"}`,
	}
	// Every prefix of each case, from every offset: the ends, escapes and
	// brackets fall at every place in the eight-byte words.
	for _, c := range cases {
		b := []byte(c)
		for n := 0; n <= len(b); n++ {
			for i := 0; i < n; i++ {
				got, gok := skipValue(b[:n], i)
				want, wok := skipValueByBytes(b[:n], i)
				if gok != wok || (gok && got != want) {
					t.Fatalf("skipValue(%q, %d) = %d, %v; the byte loop gives %d, %v", b[:n], i, got, gok, want, wok)
				}
			}
		}
	}
}

func FuzzSkipValue(f *testing.F) {
	f.Add([]byte(`{"a":"]}\"[{","b":[1,{"c":"\\"}]}`), 0)
	f.Add([]byte(`  [{"x":"\\\\"}]`), 2)
	f.Add([]byte(`{"records":[{"time":"2026-03-12T00:01:58Z","resourceId":"/tenants/9c8b/providers/Microsoft.aadiam","operationName":"Sign-in activity","properties":{"a":["{","[","}"],"b":{"c":[1,2,{"d":"]]]}}}"}]}}},{"time":"x"}]}`), 0)
	f.Fuzz(func(t *testing.T, b []byte, i int) {
		if i < 0 || i >= len(b) {
			return
		}
		got, gok := skipValue(b, i)
		want, wok := skipValueByBytes(b, i)
		if gok != wok || (gok && got != want) {
			t.Fatalf("skipValue(%q, %d) = %d, %v; the byte loop gives %d, %v", b, i, got, gok, want, wok)
		}
	})
}

func TestTrimSpaceIsBytesTrimSpace(t *testing.T) {
	for _, s := range []string{"", " ", "{}", " {} ", "{}\r", "\u00a0{}", "{}\u00a0", "{}\u2028", "\x85{}", "a", "\x7f{}\x7f", "!x~", "\t\n{x}\v\f"} {
		if got, want := trimSpace([]byte(s)), bytes.TrimSpace([]byte(s)); !bytes.Equal(got, want) {
			t.Errorf("trimSpace(%q) = %q, want %q", s, got, want)
		}
	}
	for c := range 256 {
		for _, s := range []string{string([]byte{byte(c)}) + "x" + string([]byte{byte(c)}), "x" + string([]byte{byte(c)}), string([]byte{byte(c)})} {
			if got, want := trimSpace([]byte(s)), bytes.TrimSpace([]byte(s)); !bytes.Equal(got, want) {
				t.Errorf("trimSpace(%q) = %q, want %q", s, got, want)
			}
		}
	}
}

// TestSkipValueLong checks skipValue against the byte loop on long values
// (many of skipNested's 64-byte steps): random objects and arrays whose
// strings hold brackets, quotes, escapes and runs of backslashes, cut
// anywhere and read from anywhere, so that every state crosses a step's
// edge.
func TestSkipValueLong(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	pieces := []string{`{`, `}`, `[`, `]`, `"`, `\`, `\\`, `\"`, `,`, `:`, ` `, `a`, `xyzxyzxyzxyz`, `{"k":"v"}`, `"]}"`, `"\\"`, `é`, "\n"}
	var value func(depth int) string
	value = func(depth int) string {
		switch n := r.IntN(10); {
		case depth > 6 || n < 3:
			var s strings.Builder
			s.WriteByte('"')
			for range r.IntN(40) {
				switch p := pieces[r.IntN(len(pieces))]; p {
				case `"`:
					if slices.Contains(pieces, `\`) {
						s.WriteString(`\"`)
					}
				case `\`:
					s.WriteString(`\\`)
				default:
					s.WriteString(p)
				}
			}
			s.WriteByte('"')
			return s.String()
		case n < 4:
			return strconv.Itoa(r.IntN(100000))
		case n < 7:
			var s strings.Builder
			s.WriteByte('{')
			for k := range r.IntN(6) {
				if k > 0 {
					s.WriteByte(',')
				}
				s.WriteString(value(7) + ":" + value(depth+1))
			}
			s.WriteByte('}')
			return s.String()
		default:
			var s strings.Builder
			s.WriteByte('[')
			for k := range r.IntN(6) {
				if k > 0 {
					s.WriteByte(',')
				}
				s.WriteString(value(depth + 1))
			}
			s.WriteByte(']')
			return s.String()
		}
	}
	long := 0
	all := pieces
	for k := range 3000 {
		pieces = all
		if k%2 == 0 { // no backslash: skipNested's steps all the way
			pieces = slices.DeleteFunc(slices.Clone(all), func(p string) bool { return strings.Contains(p, `\`) })
		}
		v := "{" + `"records":` + value(0) + `,"x":` + value(1) + "}"
		if r.IntN(4) == 0 {
			// raw garbage in the middle: unbalanced, unterminated
			at := r.IntN(len(v))
			v = v[:at] + pieces[r.IntN(len(pieces))] + v[at:]
		}
		b := []byte(v)
		if len(b) > 200 {
			long++
		}
		for range 8 {
			n := len(b) - r.IntN(len(b)/4+1)
			i := 0
			if r.IntN(2) == 0 {
				i = r.IntN(n)
			}
			got, gok := skipValue(b[:n], i)
			want, wok := skipValueByBytes(b[:n], i)
			if gok != wok || (gok && got != want) {
				t.Fatalf("skipValue(%q, %d) = %d, %v; the byte loop gives %d, %v", b[:n], i, got, gok, want, wok)
			}
			if c := b[i]; c == '{' || c == '[' { // the walk other machines use throughout
				got, gok = skipNestedFrom(b[:n], i+1, 1, false)
				if gok != wok || (gok && got != want) {
					t.Fatalf("skipNestedFrom(%q, %d) = %d, %v; the byte loop gives %d, %v", b[:n], i+1, got, gok, want, wok)
				}
			}
		}
	}
	if long < 500 {
		t.Fatalf("only %d values over 200 bytes: the test proves little", long)
	}
}

// BenchmarkSkipNested compares skipNested with the portable walk it falls
// back to (skipNestedFrom) over an envelope of raw Azure records as the
// benchmark's generator writes them.
func BenchmarkSkipNested(b *testing.B) {
	rec := `{"time":"2026-03-12T00:07:47.5470000Z","resourceId":"/SUBSCRIPTIONS/D36A9E81-871F-4FBB-8190-7B943B81C82B/RESOURCEGROUPS/OPS-WEB-RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKINTERFACES/NIC-77","operationName":"MICROSOFT.NETWORK/NETWORKINTERFACES/WRITE","category":"Administrative","resultType":"Success","resultSignature":"Succeeded.Created","durationMs":809,"callerIpAddress":"192.0.2.196","correlationId":"adc4f46f-5e5a-4de6-b5c8-1a50f7f0b95a","identity":{"authorization":{"evidence":{"role":"Contributor","principalId":"e37a81be01f2439db0c0bfbf5487c656","principalType":"User"}},"claims":{"name":"jane.doe@contoso.com","ipaddr":"192.0.2.196"}},"level":"Information","location":"westeurope","properties":{"statusCode":"Created","serviceRequestId":null}}`
	env := []byte(`{"records":[` + strings.Repeat(rec+",", 9) + rec + `]}`)
	for _, w := range []struct {
		name string
		skip func(b []byte, i int) (int, bool)
	}{
		{"skipNested", skipNested},
		{"portable", func(b []byte, i int) (int, bool) { return skipNestedFrom(b, i, 1, false) }},
	} {
		b.Run(w.name, func(b *testing.B) {
			b.SetBytes(int64(len(env)))
			for b.Loop() {
				if end, ok := w.skip(env, 1); !ok || end != len(env) {
					b.Fatal(end, ok)
				}
			}
		})
	}
}
