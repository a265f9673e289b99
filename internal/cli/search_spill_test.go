package cli

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// TestSorterSpills sorts events through run files (a tiny memory bound)
// and in memory, and checks both give the order of Hit.Compare, with every
// tiebreaker kind surviving the run files, and that the files are removed.
func TestSorterSpills(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ties := []any{nil, true, false, int64(-3), int64(7), 1.5, "a", "b", ""}
	var in []held
	for i := range 5000 {
		in = append(in, held{
			raw:  []byte(fmt.Sprintf(`{"i":%d}`, i)),
			time: int64(r.IntN(50)),
			tie:  ties[r.IntN(len(ties))],
			n:    uint64(i),
		})
	}
	want := slices.Clone(in)
	slices.SortFunc(want, func(a, b held) int { return a.hit().Compare(b.hit()) })
	for _, mem := range []int{1 << 30, 4096} {
		s := &sorter{memBytes: mem, tmpDir: t.TempDir()}
		for _, h := range in {
			if err := s.add(held{raw: slices.Clone(h.raw), time: h.time, tie: h.tie, n: h.n}); err != nil {
				t.Fatal(err)
			}
		}
		if mem == 4096 && len(s.runs) < 10 {
			t.Fatalf("%d runs: the small bound did not spill", len(s.runs))
		}
		var got []held
		err := s.each(func(h held) error {
			got = append(got, held{raw: slices.Clone(h.raw), time: h.time, tie: h.tie, n: h.n})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("memory %d: %d events, want %d", mem, len(got), len(want))
		}
		for i := range want {
			if got[i].n != want[i].n || string(got[i].raw) != string(want[i].raw) || got[i].tie != want[i].tie || got[i].time != want[i].time {
				t.Fatalf("memory %d: event %d is %+v, want %+v", mem, i, got[i], want[i])
			}
		}
		dir := s.dir
		s.close()
		if dir != "" {
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("run directory %s left behind", dir)
			}
		}
	}
}
