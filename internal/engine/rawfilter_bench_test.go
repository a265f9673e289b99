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
