package normalize

import (
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// recordCases are records whose top-level operationName only the
// scanner can tell (or not), beside broken ones.
var recordCases = []string{
	`{"operationName":null,"time":"2026-01-01T00:00:00Z"}`,
	`{"operationName":{},"time":"2026-01-01T00:00:00Z"}`,
	`{"operationName":{"value":null},"time":"2026-01-01T00:00:00Z"}`,
	`{"operationName":{"value":"Microsoft.Compute/virtualMachines/runCommand/action"},"eventTimestamp":"1/9/2007 9:41:00 AM","resourceId":"/subscriptions/x"}`,
	`{"operationName":[],"time":"t"}`,
	`{"operationName":[null],"time":"t"}`,
	`{"operationName":[1],"time":"t"}`,
	`{"operationName":5,"time":"t"}`,
	`{"operationName":false,"time":"t"}`,
	`{"operationName":"","time":"t"}`,
	`{"operationName":null,"operationName":"X","time":"t"}`,
	`{"operationName":"X","operationName":null,"time":"t"}`,
	`{"operation\u004eame":"X","time":"t"}`,
	`{"operation\u004eame":null,"time":"t","operationName":"Y"}`,
	`{"properties":{"operationName":"X"},"time":"t"}`,
	`{"operationName.x":"X","time":"t"}`,
	`{"operationName":"X","time":"t",}`,
	`{"operationName":"X","time":"t"`,
	`{"operationName":"X","time":"t\u00zz"}`,
	"{\"operationName\":\"X\",\"time\":\"t\x01\"}",
	`{"operationName":"X","time":"t"} {}`,
	`{"operationName":"X","time":01}`,
	` {"operationName":"X","time":"t"} `,
}

// TestRecordIsAppend: a Record refuses what the scanner refuses, with its
// error, tells a top-level operationName as the scanner's event does (when
// it tells it), and normalizes as Append of a checked record does.
func TestRecordIsAppend(t *testing.T) {
	recs := appendCases(t)
	for _, c := range recordCases {
		recs = append(recs, []byte(c))
	}
	plan := event.NewPlan()
	op := plan.Add("operationName")
	ev := event.New(nil, plan)
	var r Record
	defer r.Release()
	prefix := []byte("held|")
	told := 0
	for _, raw := range recs {
		ev.Reset(raw)
		wantErr := ev.Err()
		err := r.Read(raw)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("%s: Read: %v, scanner: %v", raw, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if has, sure := r.Operation(); sure {
			told++
			if has != ev.Has(op) {
				t.Errorf("%s: Operation %v, the scanner's Has %v", raw, has, ev.Has(op))
			}
		}
		if got, want := r.Stream(), StreamOf(raw); got != want {
			t.Errorf("%s: Stream %v, StreamOf %v", raw, got, want)
		}
		for _, src := range []Source{Auto, Azure, AzureActivity, AzureSignIn, AzureAudit, AzureAADGraph, AzurePlatform, ECS} {
			for _, strict := range []bool{false, true} {
				opts := Options{Strict: strict}
				want, wantWarn, wantErr := Append(append([]byte(nil), prefix...), raw, src, Options{Strict: strict, Valid: true})
				// Read again: a record is read once, for one Append.
				if err := r.Read(raw); err != nil {
					t.Fatal(err)
				}
				got, warn, err := r.Append(append([]byte(nil), prefix...), src, opts)
				if (err != nil) != (wantErr != nil) || len(warn) != len(wantWarn) || string(got) != string(want) {
					t.Errorf("%s as %v (strict %v):\nRecord: %s %v %q\nAppend: %s %v %q", raw, src, strict, got, err, warn, want, wantErr, wantWarn)
				}
			}
		}
	}
	if told < len(recs)/2 {
		t.Errorf("Operation told only %d records of %d", told, len(recs))
	}
}
