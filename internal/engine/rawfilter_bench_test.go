package engine

import (
	"bytes"
	"testing"

	"github.com/vigil-project/vigil/bench/gen"
	"github.com/vigil-project/vigil/internal/match"
)

// BenchmarkLineFilter measures the line filter over the benchmark's mixed
// events with the seed rule's literals, its anchors from the static byte
// ranking or chosen from the data (Tune); the baseline reads the lines only.
func BenchmarkLineFilter(b *testing.B) {
	var data bytes.Buffer
	if _, err := gen.Write(&data, gen.Options{Events: 20000}); err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data.Bytes()), []byte{'\n'})
	rules := []*Rule{{Prefilter: func(match.Origin) match.Prefilter {
		return match.Prefilter{
			Literals: []string{"microsoft.compute/virtualmachines/runcommand/action"},
			And:      [][]string{{"azure.activitylogs"}, {"success"}},
		}
	}}}
	run := func(b *testing.B, f *RawFilter) {
		var scratch RawScratch
		b.SetBytes(int64(data.Len()))
		for b.Loop() {
			n := 0
			for _, l := range lines {
				if f == nil {
					n += len(l)
				} else if f.Pass(l, &scratch) {
					n++
				}
			}
			if n == 0 {
				b.Fatal("nothing passed")
			}
		}
	}
	b.Run("read", func(b *testing.B) { run(b, nil) })
	b.Run("static", func(b *testing.B) { run(b, NewLineFilter(rules, Shape{Origin: ECSOrigin(nil)})) })
	b.Run("tuned", func(b *testing.B) {
		f := NewLineFilter(rules, Shape{Origin: ECSOrigin(nil)})
		f.Tune(data.Bytes())
		run(b, f)
	})
}

// BenchmarkPlainScan measures PlainScan over the benchmark's mixed events
// in blocks of 256 KiB, each line asked for in order, as hunt's workers do.
func BenchmarkPlainScan(b *testing.B) {
	var data bytes.Buffer
	if _, err := gen.Write(&data, gen.Options{Events: 20000}); err != nil {
		b.Fatal(err)
	}
	text := data.Bytes()
	b.SetBytes(int64(len(text)))
	var p PlainScan
	for b.Loop() {
		plain := 0
		for off := 0; off < len(text); {
			end := min(off+256<<10, len(text))
			if i := bytes.LastIndexByte(text[off:end], '\n'); i >= 0 && end < len(text) {
				end = off + i + 1
			}
			blk := text[off:end]
			p.Reset(blk)
			for from := 0; from < len(blk); {
				to := bytes.IndexByte(blk[from:], '\n')
				if to < 0 {
					to = len(blk)
				} else {
					to += from
				}
				if p.Plain(from, to) {
					plain++
				}
				from = to + 1
			}
			off = end
		}
		if plain == 0 {
			b.Fatal("no line is plain")
		}
	}
}
