package input

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/vigil-project/vigil/bench/gen"
)

var benchData struct {
	once          sync.Once
	ndjson, array []byte
}

// benchInputs returns the benchmark's data set as NDJSON and as one JSON
// array of the same events.
func benchInputs(b *testing.B) (ndjson, array []byte) {
	benchData.once.Do(func() {
		var nd, arr bytes.Buffer
		if _, err := gen.Write(&nd, gen.Options{Events: 20_000, Seed: 3}); err != nil {
			b.Fatal(err)
		}
		if _, err := gen.WriteDocument(&arr, bytes.NewReader(nd.Bytes()), gen.Array); err != nil {
			b.Fatal(err)
		}
		benchData.ndjson, benchData.array = nd.Bytes(), arr.Bytes()
	})
	return benchData.ndjson, benchData.array
}

// BenchmarkCut measures what hunt's reading goroutine does: NDJSON in
// blocks, a JSON array record by record (deferred: no validation).
func BenchmarkCut(b *testing.B) {
	nd, arr := benchInputs(b)
	b.Run("ndjson-blocks", func(b *testing.B) {
		b.SetBytes(int64(len(nd)))
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			r := NewReader(bytes.NewReader(nd), "f")
			r.Defer()
			r.Lines()
			for {
				blk, err := r.NextBlock(buf, 1<<20)
				if errors.Is(err, io.EOF) {
					break
				}
				buf = blk.Data
			}
		}
	})
	b.Run("array", func(b *testing.B) {
		b.SetBytes(int64(len(arr)))
		b.ReportAllocs()
		for b.Loop() {
			r := NewReader(bytes.NewReader(arr), "f")
			r.Defer()
			for {
				if _, err := r.Next(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
