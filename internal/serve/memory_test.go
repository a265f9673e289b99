package serve

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/source"
)

// A batch of thousands of matching events must not hold an alert document
// per match: max_signals and de-duplication drop most of them, and each
// holds the whole event (issue #15: a 20 MB _bulk request of 38k matching
// events held 2.9 GB). What the batch allocates grows with the alerts
// written, not with the matches: events sent with an _id (as shippers
// send them) are not even decoded unless they alert.
func TestDetectorHoldsNoDocumentPerMatch(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	d := seedDetector(t, st, rec, &now, func(r *engine.Rule) { r.Window.MaxSignals = 5 })

	// Wide events (200 fields), as audit logs are: an alert document of
	// one is tens of kilobytes of maps.
	var extra strings.Builder
	for i := range 200 {
		fmt.Fprintf(&extra, `,"field_%d":{"name":"value number %d","n":%d}`, i, i, i)
	}
	const n = 4000
	var b source.Batch
	rawBytes := 0
	for i := range n {
		doc := runCommand("bob", i)
		doc = append(doc[:len(doc)-1], extra.String()+"}"...)
		rawBytes += len(doc)
		b.Records = append(b.Records, source.Record{ID: fmt.Sprintf("id-%d", i), Data: doc, Origin: fmt.Sprintf("test %d", i)})
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	if err := d.Process(context.Background(), "in", b); err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if got := len(rec.alerts); got != 5 {
		t.Fatalf("%d alerts written, want max_signals = 5", got)
	}
	// An alert document per match allocated over ten times the events'
	// size; without them the batch allocates one copy of each event (to
	// add event.ingested) and little else.
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > uint64(rawBytes)*3/2 {
		t.Errorf("processing %d matching events (%d bytes) allocated %d bytes: documents are built per match, not per alert written", n, rawBytes, alloc)
	}
}
