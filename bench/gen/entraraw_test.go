package gen

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/vigil-project/vigil/internal/normalize"
	az "github.com/vigil-project/vigil/internal/normalize/azure"
)

// TestRawEntra: the raw sign-in and audit data sets are deterministic,
// hold exactly the records asked for in envelopes, each routed to its
// stream and written by the byte-level writer (the path bench/run
// measures) as the general path writes it.
func TestRawEntra(t *testing.T) {
	for stream, want := range map[string]az.Stream{RawSignIn: az.SignInLogs, RawAudit: az.AuditLogs} {
		o := Options{Seed: 3, Events: 300, Raw: true, RawStream: stream}
		a, st := generate(t, o)
		if b, _ := generate(t, o); !bytes.Equal(a, b) {
			t.Fatalf("%s: two runs differ", stream)
		}
		n := 0
		for _, line := range bytes.Split(bytes.TrimSpace(a), []byte("\n")) {
			var env struct{ Records []json.RawMessage }
			if err := json.Unmarshal(line, &env); err != nil || len(env.Records) == 0 {
				t.Fatalf("%s: not an envelope: %s", stream, line)
			}
			for _, r := range env.Records {
				n++
				if got := normalize.StreamOf(r); got != want {
					t.Fatalf("%s: routed to %v: %s", stream, got, r)
				}
				fast, _, ok := az.AppendStream(nil, r, want, az.Options{})
				if !ok {
					t.Fatalf("%s: the byte-level writer declines %s", stream, r)
				}
				doc, _, err := normalize.Normalize(r, normalize.Auto, normalize.Options{})
				if err != nil || !bytes.Equal(doc, fast) {
					t.Fatalf("%s: Normalize gives %v\n%s\nwant %s", stream, err, doc, fast)
				}
			}
		}
		if n != 300 || st.Events != 300 {
			t.Fatalf("%s: %d records (stats %d), want 300", stream, n, st.Events)
		}
	}
}
