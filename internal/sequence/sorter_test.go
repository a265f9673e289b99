package sequence

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// TestSorterSpills sorts events through run files (a tiny memory bound)
// and in memory, and checks both give the order of Hit.Compare, with every
// tiebreaker kind and the meta surviving the run files, that Each can be
// called twice, and that Close removes the files.
func TestSorterSpills(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ties := []any{nil, true, false, int64(-3), int64(7), 1.5, "a", "b", ""}
	var in []Sorted
	for i := range 5000 {
		in = append(in, Sorted{
			Raw:        []byte(fmt.Sprintf(`{"i":%d}`, i)),
			Meta:       []byte(fmt.Sprintf("m%d", i%7)),
			Time:       int64(r.IntN(50)),
			Tiebreaker: ties[r.IntN(len(ties))],
			Arrival:    uint64(i),
		})
	}
	want := slices.Clone(in)
	slices.SortFunc(want, func(a, b Sorted) int { return a.Compare(&b) })
	for _, mem := range []int{1 << 30, 4096} {
		s := &Sorter{MemBytes: mem, TmpDir: t.TempDir()}
		for _, h := range in {
			h.Raw = slices.Clone(h.Raw)
			if err := s.Add(h); err != nil {
				t.Fatal(err)
			}
		}
		if mem == 4096 && s.Runs() < 10 {
			t.Fatalf("%d runs: the small bound did not spill", s.Runs())
		}
		for pass := range 2 {
			var got []Sorted
			err := s.Each(func(h *Sorted) error {
				c := *h
				c.Raw, c.Meta = slices.Clone(h.Raw), slices.Clone(h.Meta)
				got = append(got, c)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("memory %d pass %d: %d events, want %d", mem, pass, len(got), len(want))
			}
			for i := range want {
				w, g := want[i], got[i]
				if g.Arrival != w.Arrival || string(g.Raw) != string(w.Raw) || string(g.Meta) != string(w.Meta) || g.Tiebreaker != w.Tiebreaker || g.Time != w.Time {
					t.Fatalf("memory %d pass %d: event %d is %+v, want %+v", mem, pass, i, g, w)
				}
			}
		}
		dir := s.Dir()
		s.Close()
		if dir != "" {
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("run directory %s left behind", dir)
			}
		}
	}
}

// TestSorterCorruptRun: a damaged run file is an error, not a crash or a
// huge allocation.
func TestSorterCorruptRun(t *testing.T) {
	s := &Sorter{MemBytes: 1, TmpDir: t.TempDir()}
	defer s.Close()
	for i := range 3 {
		if err := s.Add(Sorted{Time: int64(i), Raw: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	path := s.Dir() + "/run-1"
	if err := os.WriteFile(path, []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 'z', 0xff, 0xff, 0xff, 0xff}, 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Each(func(*Sorted) error { return nil })
	if err == nil || err != errBadRun {
		t.Fatalf("Each over a corrupt run: %v, want %v", err, errBadRun)
	}
}

// BenchmarkSorter sorts 200,000 events of about 200 bytes given in a
// shuffled time order, in memory and through run files (a 4 MiB bound:
// about 20 runs), against the plain in-memory sort of the same records:
// compare ns/event as ratios.
func BenchmarkSorter(b *testing.B) {
	const n = 200_000
	r := rand.New(rand.NewPCG(1, 2))
	pad := make([]byte, 160)
	for i := range pad {
		pad[i] = 'x'
	}
	in := make([]Sorted, n)
	for i := range in {
		in[i] = Sorted{Time: int64(r.IntN(n)), Raw: fmt.Appendf(nil, `{"i":%d,"p":%q}`, i, pad), Meta: []byte("idx\x00id")}
	}
	run := func(b *testing.B, mem int) {
		b.ReportAllocs()
		for b.Loop() {
			s := &Sorter{MemBytes: mem, TmpDir: b.TempDir()}
			for _, e := range in {
				if err := s.Add(e); err != nil {
					b.Fatal(err)
				}
			}
			var last int64
			err := s.Each(func(e *Sorted) error {
				if e.Time < last {
					b.Fatal("out of order")
				}
				last = e.Time
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/event")
	}
	b.Run("slices-sort", func(b *testing.B) {
		for b.Loop() {
			c := slices.Clone(in)
			slices.SortFunc(c, func(a, b Sorted) int { return a.Compare(&b) })
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/event")
	})
	b.Run("memory", func(b *testing.B) { run(b, 1<<30) })
	b.Run("spill-4MiB", func(b *testing.B) { run(b, 4<<20) })
}
