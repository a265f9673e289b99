package input

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readDoc returns every record as "line:col:index:data" and every error as
// its message, reading with the given record bound (0: the default).
func readDoc(t *testing.T, in io.Reader, limit int) (recs, errs []string) {
	t.Helper()
	r := NewReader(in, "f")
	if limit > 0 {
		r.limit = limit
	}
	for range 1_000_000 {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return recs, errs
		}
		var de *DecodeError
		if errors.As(err, &de) {
			errs = append(errs, de.Error())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, fmt.Sprintf("%d:%d:%d:%s", rec.Line, rec.Col, rec.Index, rec.Data))
	}
	t.Fatal("reader does not end")
	return nil, nil
}

// docCases are broken documents and what is left of them: each loses the
// broken record only, reported where the fault is. They seed FuzzDocument.
var docCases = []struct {
	name     string
	in       string
	want     []string
	wantErrs []string
}{
	{
		"elements on their own lines",
		"[\n {\"a\":1},\n {\"a\":1}\n]\n",
		[]string{`2:2:0:{"a":1}`, `3:2:1:{"a":1}`}, nil,
	},
	{
		"an element cut short, the next on its line",
		"[\n  {\"a\":1},\n  {\"a\":2, \"b\":\n  {\"a\":3}\n]\n",
		[]string{`2:3:0:{"a":1}`, `4:3:2:{"a":3}`},
		[]string{`f:3:3: record 1: malformed JSON: the value does not end before the next record at 4:3 (']' does not close '{' at 5:1)`},
	},
	{
		"a malformed element between good ones",
		`[{"a":1},{"a":x},{"a":3}]`,
		[]string{`1:2:0:{"a":1}`, `1:18:2:{"a":3}`},
		[]string{"f:1:15: record 1: malformed JSON: invalid character 'x' looking for beginning of value"},
	},
	{
		"an unterminated string in a pretty array",
		"[\n{\"a\":\"1},\n{\"a\":2}\n]\n",
		[]string{`3:1:1:{"a":2}`},
		[]string{"f:2:10: record 0: malformed JSON: a newline in a string (is the string unterminated?)"},
	},
	{
		"an unterminated string on one line",
		`[{"a":1},{"a":"2},{"a":3}]`,
		[]string{`1:2:0:{"a":1}`, `1:19:2:{"a":3}`},
		[]string{"f:1:10: record 1: malformed JSON: the value is not closed before the end of the input (1:27)"},
	},
	{
		"a missing comma",
		`[{"a":1} {"a":2}]`,
		[]string{`1:2:0:{"a":1}`, `1:10:1:{"a":2}`},
		[]string{`f:1:10: expected ',' or ']' after record 0, found "{\"a\":2}]"`},
	},
	{
		"an empty element",
		`[{"a":1},,{"a":2}]`,
		[]string{`1:2:0:{"a":1}`, `1:11:2:{"a":2}`},
		[]string{`f:1:10: malformed JSON: unexpected ','`},
	},
	{
		"NDJSON whose first line is cut",
		"{\"a\":\n{\"b\":1}\n{\"c\":2}\n",
		[]string{`2:1:-1:{"b":1}`, `3:1:-1:{"c":2}`},
		[]string{"f:1:1: malformed JSON: the value is not closed before the end of the input (4:1)"},
	},
	{
		"an array not closed",
		"[{\"a\":1},\n",
		[]string{`1:2:0:{"a":1}`},
		[]string{"f:2:1: the input ends in the array opened at 1:1 (a ']' is missing)"},
	},
	{
		"a stray bracket after an array",
		"[{\"a\":1}]]\n{\"b\":2}\n",
		[]string{`1:2:0:{"a":1}`, `2:1:-1:{"b":2}`},
		[]string{`f:1:10: malformed JSON: unexpected ']'`},
	},
	{
		"a broken envelope keeps its good records",
		"{\"records\":[\n{\"a\":1},\n{\"a\":[}\n,{\"a\":3}]}\n",
		[]string{`2:1:0:{"a":1}`, `4:2:2:{"a":3}`},
		[]string{`f:3:7: record 1: malformed JSON: '}' does not close '['`},
	},
	{
		"arrays and envelopes one after another",
		"[{\"a\":1}]\n{\"value\":[{\"b\":1}]}\n{\"c\":1}\n",
		[]string{`1:2:0:{"a":1}`, `2:11:0:{"b":1}`, `3:1:-1:{"c":1}`}, nil,
	},
}

func TestDocumentRecovery(t *testing.T) {
	for _, tt := range docCases {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := readDoc(t, strings.NewReader(tt.in), 0)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// A record longer than the bound is reported where it starts and skipped
// without being kept; the records around it are read.
func TestDocumentOversizedRecord(t *testing.T) {
	long := `{"b":"` + strings.Repeat("x", 5000) + `"}`
	for _, tt := range []struct {
		name, in string
		want     []string
		wantErrs []string
	}{
		{"element", `[{"a":1},` + long + `,{"c":3}]`, []string{`1:2:0:{"a":1}`, `1:5019:2:{"c":3}`}, []string{"f:1:10: record 1 is longer than 1024 bytes"}},
		{"envelope element", "{\"records\":[\n{\"a\":1},\n" + long + ",\n{\"c\":3}]}", []string{`2:1:0:{"a":1}`, `4:1:2:{"c":3}`}, []string{"f:3:1: record 1 is longer than 1024 bytes"}},
		{"top-level object", "{\n\"a\":1}\n" + long + "\n{\"c\":3}\n", []string{"1:1:-1:{\n\"a\":1}", `4:1:-1:{"c":3}`}, []string{"f:3:1: a value longer than 1024 bytes"}},
		{"scalar", `[{"a":1},` + strings.Repeat("1", 5000) + `,{"c":3}]`, []string{`1:2:0:{"a":1}`, `1:5011:2:{"c":3}`}, []string{"f:1:10: record 1 is longer than 1024 bytes"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := readDoc(t, strings.NewReader(tt.in), 1024)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// An object that starts as an envelope but is longer than envelopeBudget is
// streamed as an envelope; keys after its array are reported, not read.
func TestLongEnvelopeWithAnotherKey(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"records":[`)
	n := 0
	for b.Len() < envelopeBudget+1000 {
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"i":%d,"pad":"%s"}`, n, strings.Repeat("p", 100))
		n++
	}
	b.WriteString(`],"other":{"x":[1,2]}}` + "\n" + `{"after":1}`)
	recs, errs := readDoc(t, strings.NewReader(b.String()), 0)
	if len(recs) != n+1 || !strings.HasSuffix(recs[n], `{"after":1}`) {
		t.Logf("first records %.200q, errors %q", recs, errs)
		t.Errorf("%d records, want the %d elements and the object after", len(recs), n)
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "has keys after its array: they are ignored") {
		t.Errorf("errors: %q", errs)
	}
}

// gen is an endless (or n-byte) reader that writes head once, then body
// over and over, sampling the heap as it goes.
type genReader struct {
	head, body []byte
	left       int64 // bytes still to give; <0: endless
	off        int
	sent       int64
	nextSample int64
	peak       uint64
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	n := 0
	if len(g.head) > 0 {
		n = copy(p, g.head)
		g.head = g.head[n:]
	}
	for n < len(p) {
		c := copy(p[n:], g.body[g.off:])
		n += c
		g.off = (g.off + c) % len(g.body)
	}
	if g.left > 0 && int64(n) > g.left {
		n = int(g.left)
	}
	if g.left > 0 {
		g.left -= int64(n)
	}
	g.sent += int64(n)
	if g.sent >= g.nextSample {
		g.nextSample = g.sent + 4<<20
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		g.peak = max(g.peak, ms.HeapInuse)
	}
	return n, nil
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// gzipped compresses r on the fly.
func gzipped(r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		_, err := io.Copy(zw, r)
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// The tester's bomb: a small gzip of '[' and a long run of zeros (or of
// blanks). The reader goes through all of it with a heap that does not
// grow with it, and ends with an error.
func TestGzipBombIsBounded(t *testing.T) {
	const size = 96 << 20
	for _, tt := range []struct {
		name string
		fill byte
		want []string
	}{
		{"zeros", '0', []string{"f:1:2: record 0 is longer than 1 MiB", "f:1:100663298: the input ends in the array opened at 1:1 (a ']' is missing)"}},
		{"blanks", ' ', []string{"f:1:100663298: the input ends in the array opened at 1:1 (a ']' is missing)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := heapInuse()
			g := &genReader{head: []byte("["), body: bytes.Repeat([]byte{tt.fill}, 64<<10), left: size + 1}
			recs, errs := readDoc(t, gzipped(g), 1<<20)
			if g.sent != size+1 {
				t.Fatalf("read %d bytes of %d", g.sent, size+1)
			}
			if len(recs) != 0 {
				t.Errorf("records: %q", recs)
			}
			if diff := cmp.Diff(tt.want, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if grew := int64(g.peak) - int64(base); grew > 16<<20 {
				t.Errorf("the heap grew by %d MiB reading %d MiB", grew>>20, size>>20)
			}
		})
	}
}

// An array that never ends is read a record at a time in flat memory.
func TestEndlessArrayIsBounded(t *testing.T) {
	base := heapInuse()
	g := &genReader{head: []byte("[\n"), body: []byte(`{"event":{"action":"x"},"pad":"` + strings.Repeat("p", 100) + `"},` + "\n"), left: -1}
	r := NewReader(g, "-")
	r.Defer()
	const n = 400_000 // about 60 MB
	for i := range n {
		rec, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if rec.Index != i || rec.Line != i+2 {
			t.Fatalf("record %d at line %d index %d", i, rec.Line, rec.Index)
		}
	}
	if grew := int64(g.peak) - int64(base); grew > 16<<20 {
		t.Errorf("the heap grew by %d MiB over %d MB of input", grew>>20, g.sent/1e6)
	}
}

// A gzip stream cut short yields the records before the cut, then
// "truncated gzip" where it stops: not a malformed record.
func TestTruncatedGzip(t *testing.T) {
	var lines, array bytes.Buffer
	array.WriteString("[\n")
	for i := range 2000 {
		fmt.Fprintf(&lines, `{"i":%d,"pad":"%d%d%d"}`+"\n", i, i*7, i*13, i*31)
		fmt.Fprintf(&array, `{"i":%d,"pad":"%d%d%d"},`+"\n", i, i*7, i*13, i*31)
	}
	cut := func(b []byte) []byte {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		return z.Bytes()[:z.Len()*6/10]
	}
	check := func(t *testing.T, recs int, errs []string) {
		t.Helper()
		if recs < 500 || recs >= 2000 {
			t.Errorf("%d records before the cut", recs)
		}
		if len(errs) != 1 || !strings.Contains(errs[0], "truncated gzip") || !strings.HasPrefix(errs[0], "f.gz:") || strings.Contains(errs[0], "malformed") {
			t.Errorf("errors: %q", errs)
		}
	}
	for _, tt := range []struct {
		name string
		data []byte
	}{{"lines", lines.Bytes()}, {"array", array.Bytes()}} {
		t.Run(tt.name+"/Next", func(t *testing.T) {
			r := NewReader(bytes.NewReader(cut(tt.data)), "f.gz")
			var recs int
			var errs []string
			for {
				rec, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var de *DecodeError
				if errors.As(err, &de) {
					if !errors.Is(err, ErrTruncatedGzip) {
						t.Errorf("%v does not wrap ErrTruncatedGzip", err)
					}
					errs = append(errs, err.Error())
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if !json.Valid(rec.Data) {
					t.Fatalf("record %d: %s", recs, rec.Data)
				}
				recs++
			}
			check(t, recs, errs)
		})
	}
	t.Run("lines/NextBlock", func(t *testing.T) {
		r := NewReader(bytes.NewReader(cut(lines.Bytes())), "f.gz")
		r.Defer()
		if lines, err := r.Lines(); !lines || err != nil {
			t.Fatalf("Lines() = %v, %v", lines, err)
		}
		var recs int
		var errs []string
		for {
			b, err := r.NextBlock(nil, 4096)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			b.EachLine(func(rec Record, err error) bool {
				if err != nil || !json.Valid(rec.Data) || rec.Line != recs+1 {
					t.Fatalf("line %d: %s %v", rec.Line, rec.Data, err)
				}
				recs++
				return true
			})
		}
		check(t, recs, errs)
	})
}

// Deferred records of a document are placed exactly by ErrorAt.
func TestErrorAtInDocuments(t *testing.T) {
	r := NewReader(strings.NewReader("[\n  {\"a\":1,\n   \"b\":x}\n]"), "f")
	r.Defer()
	rec, err := r.Next()
	if err != nil || !rec.Unchecked || rec.Line != 2 || rec.Col != 3 {
		t.Fatalf("%+v, %v", rec, err)
	}
	off := bytes.IndexByte(rec.Data, 'x')
	if got := ErrorAt(rec, off, errors.New("bad")).Error(); got != "f:3:8: record 0: bad" {
		t.Errorf("ErrorAt: %s", got)
	}
	if items := Expand(Record{Data: []byte(`{"records":[{"a":1}]}`), Index: 0, Unchecked: true}); len(items) != 1 {
		t.Errorf("an element was split again: %+v", items)
	}
}

// FuzzDocument: no input panics the document reader or makes it loop;
// every record is an object and, undeferred, valid JSON; a valid array of
// objects yields exactly its elements, with no error.
func FuzzDocument(f *testing.F) {
	for _, c := range docCases {
		f.Add([]byte(c.in), uint16(0))
	}
	f.Add([]byte(`{"records":[{"a":1},2,{"b":[{"c":"\\\""}]}]}`), uint16(8))
	f.Add([]byte("[{\"a\":\"\\\\\"},\n{\"b\":\"\u00e9\"}]"), uint16(3))
	f.Add([]byte(`[{"a":1},{"b":"`+strings.Repeat("x", 100)+`"},{"c":3}]`), uint16(20))
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		r := NewReader(bytes.NewReader(append([]byte{'['}, data...)), "f")
		if limit > 0 {
			r.limit = int(limit)
		}
		var recs [][]byte
		bad := 0
		for i := 0; ; i++ {
			if i > 4*len(data)+10 {
				t.Fatal("the reader does not end")
			}
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("not a DecodeError: %v", err)
				}
				bad++
				continue
			}
			if !json.Valid(rec.Data) || rec.Data[0] != '{' || rec.Line < 1 || rec.Col < 1 {
				t.Fatalf("record %q at %d:%d", rec.Data, rec.Line, rec.Col)
			}
			recs = append(recs, append([]byte(nil), rec.Data...))
		}
		var els []json.RawMessage
		if json.Unmarshal(append([]byte{'['}, data...), &els) != nil || limit > 0 {
			return
		}
		for _, el := range els {
			if len(el) == 0 || el[0] != '{' {
				return
			}
		}
		if bad > 0 || len(recs) != len(els) {
			t.Fatalf("a valid array of %d objects gave %d records and %d errors", len(els), len(recs), bad)
		}
		for i := range els {
			if !bytes.Equal(recs[i], els[i]) {
				t.Fatalf("record %d: %s, want %s", i, recs[i], els[i])
			}
		}
	})
}
