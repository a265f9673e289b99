package sequence

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// BenchmarkSequence measures a sequence matcher holding a million open keys
// (one pending sequence each) against the plain scan of the same events
// (the step conditions evaluated, nothing kept): compare the two ns/op as
// a ratio. B/key is the heap the million keys take.
func BenchmarkSequence(b *testing.B) {
	const keys = 1_000_000
	st, err := eql.Parse(`sequence by k with maxspan=1h [process where tag == "a"] [file where tag == "b"]`)
	if err != nil {
		b.Fatal(err)
	}
	q, err := Compile(st, Options{Schema: testSchema})
	if err != nil {
		b.Fatal(err)
	}
	// The measured events: file events of open keys (completing their
	// sequence) and process events of new keys, in turn.
	events := make([][]byte, 4096)
	for i := range events {
		if i%2 == 0 {
			events[i] = []byte(ev("file", keys+i, "x", "tag", "b", "k", fmt.Sprint(i*97%keys)))
		} else {
			events[i] = []byte(ev("process", keys+i, "x", "tag", "a", "k", fmt.Sprint("n", i)))
		}
	}
	b.Run("plain", func(b *testing.B) {
		e := event.New(nil, q.Plan())
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e.Reset(events[i%len(events)])
			for _, s := range q.steps {
				s.m.Match(e)
			}
			i++
		}
	})
	b.Run("few-keys", func(b *testing.B) {
		m, _ := q.NewSequenceMatcher()
		e := event.New(nil, q.Plan())
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e.Reset(events[i%len(events)])
			m.last = nil
			if _, err := m.Push(e, nil); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("1e6-keys", func(b *testing.B) {
		m, _ := q.NewSequenceMatcher()
		e := event.New(nil, q.Plan())
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range keys {
			e.Reset([]byte(ev("process", i/1000, "x", "tag", "a", "k", fmt.Sprint(i))))
			if _, err := m.Push(e, nil); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perKey := float64(after.HeapAlloc-before.HeapAlloc) / keys
		b.ReportAllocs()
		i := 0
		t := int64(keys)
		for b.Loop() {
			raw := events[i%len(events)]
			e.Reset(raw)
			// Keep time moving forward.
			t++
			m.last = nil
			if _, err := m.Push(e, nil); err != nil {
				b.Fatal(err)
			}
			i++
		}
		if s := m.Stats(); s.Keys < keys/2 {
			b.Fatalf("keys not held: %+v", s)
		}
		// After the loop: b.Loop's start resets the metrics reported
		// before it.
		b.ReportMetric(perKey, "B/key")
	})
}
