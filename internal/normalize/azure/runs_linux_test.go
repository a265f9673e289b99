package azure

import (
	"bytes"
	"strings"
	"testing"
)

// TestRunsStayInBounds: records that end where an unreadable page
// begins, with keys of every length last (the record's last key is
// followed by four bytes only): reading a record's keys
// against a run's (runKeyDiff, matchRun) reads nothing past the record.
func TestRunsStayInBounds(t *testing.T) {
	for n := 0; n <= 20; n++ {
		key := strings.Repeat("k", n)
		text := `{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","properties":{"deviceDetail":{"` + key + `":1},"` + key + `":""},"` + key + `x":1}`
		f := &fastDoc{}
		want, wantOK := writeFresh([]byte(text), SignInLogs)
		for range 3 {
			got, ok := writeWith(f, guarded(t, text), SignInLogs)
			if ok != wantOK || !bytes.Equal(got, want) {
				t.Fatalf("%s: with runs %v, without %v:\n%s", text, ok, wantOK, firstDifference(got, want))
			}
		}
	}
}
