package azure

import (
	"slices"
	"strings"
	"testing"
)

// TestEmitRunsStayInBounds is TestEmitRunsIsEmitWords with the plan's
// text, the record and the arena each ending where a page no one may
// read begins (the text and the arena with only the room their callers
// make sure of): emitRun reads no byte past them.
func TestEmitRunsStayInBounds(t *testing.T) {
	testEmitRuns(t, 300, guarded)
}

// TestEmitRunsShortBuffers writes empty values and values that end the
// record or the arena, where the buffer is shorter than the 32 bytes
// emitRun reads at a time and ends at an unreadable page: such values are
// left to Go.
func TestEmitRunsShortBuffers(t *testing.T) {
	for n := 0; n <= runOver+2; n++ {
		for _, e := range []fent{{s: 0, e: 0}, {s: n, e: n}, {s: 0, e: n}, {s: n / 2, e: n}} {
			for _, inRec := range []bool{false, true} {
				e.inRec = inRec
				c := emitCase{text: `{"a":,"b":}`, steps: []planStep{{0, 5, 0, 0}, {5, 10, 1, entSize}}, last: 10, nfields: 2,
					ents: []fent{e, e}, rec: strings.Repeat("r", n), arena: strings.Repeat("a", n), room: 200}
				f := c.writer(t, guarded)
				wantAt := make([]int32, 2)
				want := f.emitWords(c.dst(), c.plan(t, guarded, wideCopy), 0, wantAt)
				f = c.writer(t, guarded)
				gotAt := make([]int32, 2)
				got := f.emitRuns(c.dst(), c.plan(t, guarded, runOver), 0, gotAt)
				if string(got) != string(want) || !slices.Equal(gotAt, wantAt) {
					t.Fatalf("%d bytes, %+v: emitRuns wrote %s at %v, want %s at %v", n, e, got, gotAt, want, wantAt)
				}
			}
		}
	}
}
