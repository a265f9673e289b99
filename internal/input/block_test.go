package input

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/bench/gen"
)

type item struct {
	data string
	line int
	err  string
}

func viaNext(t *testing.T, in []byte) []item {
	r := NewReader(bytes.NewReader(in), "f")
	r.Defer()
	var out []item
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			out = append(out, item{err: err.Error()})
			var de *DecodeError
			if !errors.As(err, &de) {
				return out
			}
			continue
		}
		out = append(out, item{data: string(rec.Data), line: rec.Line})
	}
}

func viaBlocks(t *testing.T, in []byte, size int) []item {
	r := NewReader(bytes.NewReader(in), "f")
	r.Defer()
	if lines, err := r.Lines(); err != nil || !lines {
		t.Fatalf("Lines() = %v, %v", lines, err)
	}
	var out []item
	for {
		b, err := r.NextBlock(nil, size)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			out = append(out, item{err: err.Error()})
			continue
		}
		b.EachLine(func(rec Record, err error) bool {
			if err != nil {
				out = append(out, item{err: err.Error()})
			} else {
				out = append(out, item{data: string(rec.Data), line: rec.Line})
			}
			return true
		})
	}
}

// NextBlock and EachLine give what Next of a deferred reader gives, for
// any block size: the same records, line numbers and errors.
func TestBlocksMatchNext(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{`{"a":1}`, `{"b":"x y"}`, ``, `   `, `[1,2]`, `{"records":[{"c":1},{"c":2}]}`, "{\"d\":\"\u00e9\"}\r", `"text"`, `{broken`, `{"e":` + strings.Repeat("z", 300) + `}`}
	for round := range 200 {
		var b strings.Builder
		b.WriteString(`{"first":true}` + "\n")
		for range rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			b.WriteByte('\n')
		}
		if rng.IntN(2) == 0 {
			b.WriteString(`{"last":"no newline"}`)
		}
		in := []byte(b.String())
		want := viaNext(t, in)
		for _, size := range []int{1, 7, 64, 1 << 20} {
			got := viaBlocks(t, in, size)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("round %d, block size %d:\n got %v\nwant %v", round, size, got, want)
			}
		}
	}
}

func TestBlocksGzipAndWholeDocuments(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("{\"a\":1}\n{\"a\":2}\n"))
	zw.Close()
	if got := viaBlocks(t, z.Bytes(), 4); len(got) != 2 || got[1].line != 2 {
		t.Errorf("gzip: %v", got)
	}
	r := NewReader(strings.NewReader(`[{"a":1},{"a":2}]`), "f")
	if lines, err := r.Lines(); err != nil || lines {
		t.Errorf("a JSON array: Lines() = %v, %v, want false", lines, err)
	}
}

// BenchmarkExpandEnvelopes measures splitting the benchmark's raw Azure
// envelope lines into their records (AppendExpanded), as a hunt's workers
// do.
func BenchmarkExpandEnvelopes(b *testing.B) {
	var data bytes.Buffer
	if _, err := gen.Write(&data, gen.Options{Events: 20000}); err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	size := 0
	for l := range bytes.SplitSeq(bytes.TrimSpace(data.Bytes()), []byte{'\n'}) {
		if looksLikeEnvelope(l) {
			lines = append(lines, l)
			size += len(l)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var items []Item
	for b.Loop() {
		n := 0
		for _, l := range lines {
			items = AppendExpanded(items[:0], Record{Data: l, Line: 1, Index: -1, Unchecked: true})
			n += len(items)
		}
		if n < len(lines) {
			b.Fatal("no records")
		}
	}
}

// TestLooksLikeEnvelope checks the quick test of each line against the
// decoding of an envelope (one key, "records" or "value", holding an array):
// every envelope is told one.
func TestLooksLikeEnvelope(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pick := func(l ...string) string { return l[r.IntN(len(l))] }
	told, envs := 0, 0
	for range 50000 {
		// A line built of an envelope's parts, some of them wrong.
		b := []byte(pick("", " ", "\n\t") + pick("{", "[", "") + pick("", " ") +
			pick(`"x":1,`, "", "", "") + pick(`"records"`, `"value"`, `"recordsx"`, `"records`, `value`) +
			pick(":", " : ", "") + pick("[", "") + pick(`{"a":1}`, `{"a":1},{}`, "", "1") + pick("]", "") +
			pick(`,"x":1`, "", "", "") + pick("}", "", " }"))
		var m map[string][]json.RawMessage // one key, an array: an envelope
		isEnv := json.Unmarshal(b, &m) == nil && len(m) == 1 && (m["records"] != nil || m["value"] != nil)
		if isEnv {
			envs++
		}
		if isEnv && !looksLikeEnvelope(b) {
			t.Fatalf("%q is an envelope, but looksLikeEnvelope says no", b)
		}
		if looksLikeEnvelope(b) {
			told++
		}
	}
	for s, want := range map[string]bool{
		`{"records":[{"a":1}]}`: true, " \t{ \n\"value\" : []}": true, `{"x":1,"records":[]}`: false,
		`["records"]`: false, `{"recordsx":[]}`: false, ``: false, `{"@timestamp":"x","records":[]}`: false,
	} {
		if got := looksLikeEnvelope([]byte(s)); got != want {
			t.Errorf("looksLikeEnvelope(%q) = %v, want %v", s, got, want)
		}
	}
	if told == 0 || envs == 0 {
		t.Fatalf("%d random lines looked like an envelope, %d were: the test proves nothing", told, envs)
	}
}

func TestFirstKeyIs(t *testing.T) {
	for s, want := range map[string]bool{
		`{"@timestamp":"2026-03-12T00:00:00Z","a":1}`: true,
		" {\n \"@timestamp\" : 1}":                    true,
		`{"time":"x","@timestamp":1}`:                 false,
		`{"@timestampx":1}`:                           false,
		`["@timestamp"]`:                              false,
		``:                                            false,
	} {
		if got := FirstKeyIs([]byte(s), `"@timestamp"`); got != want {
			t.Errorf("FirstKeyIs(%q) = %v, want %v", s, got, want)
		}
	}
}
