package serve

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/bench/gen"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// TestDetectorRawReadIsNormalized: raw Azure records sent to serve (read
// once by a normalize.Record, their documents read through their layout)
// raise the alerts their normalized documents raise when sent as ECS, and
// malformed ones are refused alike.
func TestDetectorRawReadIsNormalized(t *testing.T) {
	var raw [][]byte
	raw = append(raw, sampleLines(t)...)
	var signin bytes.Buffer
	if _, err := gen.Write(&signin, gen.Options{Events: 400, Seed: 5, Raw: true, RawStream: gen.RawSignIn}); err != nil {
		t.Fatal(err)
	}
	for _, l := range bytes.Split(bytes.TrimSpace(signin.Bytes()), []byte("\n")) {
		raw = append(raw, l)
	}
	const act = `"time":"2026-03-14T11:58:00Z","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM1","category":"Administrative","resultType":"Success","callerIpAddress":"203.0.113.45","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"`
	bad := []string{
		`{` + act,
		`{` + act + `,"x":tru}`,
		`{` + act + `,"x":"a\qb"}`,
		`{"records":[{` + act + `},{` + act + `,"x":[1,]}]}`,
		`{` + act + `,"operationName":{"value":null}}`,
	}
	for _, b := range bad {
		raw = append(raw, []byte(b))
	}
	// The same records as the ECS documents Normalize makes of them at
	// the detector's time, the malformed ones as they are.
	var ecs [][]byte
	for _, l := range raw {
		items := input.AppendExpanded(nil, input.Record{Data: l, Index: -1, Unchecked: true})
		for _, it := range items {
			if it.Err != nil {
				ecs = append(ecs, l)
				break
			}
			doc, _, err := normalize.Normalize(it.Record.Data, normalize.AzureActivity, normalize.Options{Ingested: fixedNow, Strict: true})
			if err != nil || !strings.Contains(string(it.Record.Data), `"operationName"`) {
				doc = it.Record.Data
			}
			ecs = append(ecs, doc)
		}
	}
	run := func(lines [][]byte, paths []string) (alerts []string, bad float64) {
		plan := event.NewPlan()
		rules, problems, err := ruleset.Load(paths, plan, func() time.Time { return fixedNow })
		if err != nil || len(problems.Errors) > 0 {
			t.Fatalf("load rules: %v %v", err, problems.Lines())
		}
		rec := &recorder{}
		d := NewDetector(DetectorOptions{Store: openStore(t), Sink: rec, Now: func() time.Time { return fixedNow }})
		d.SetRules(rules, plan)
		if err := d.Process(context.Background(), "in", batchOf(lines, func(error) {})); err != nil {
			t.Fatal(err)
		}
		for _, a := range rec.alerts {
			alerts = append(alerts, a.RuleID+" "+string(a.Doc))
		}
		slices.Sort(alerts)
		return alerts, d.bad.Value("in")
	}
	sets := [][]string{nil} // the built-in pack
	if dir, ok := sharedtestdata.Find("detection-rules/rules/integrations/azure"); ok {
		// Elastic's Azure rules read most sign-ins: most records are
		// normalized, not passed over by the raw filter.
		sets = append(sets, []string{dir})
	} else {
		t.Log("../shared/testdata/detection-rules is absent: the built-in pack only")
	}
	for _, paths := range sets {
		gotAlerts, gotBad := run(raw, paths)
		wantAlerts, wantBad := run(ecs, paths)
		if len(wantAlerts) == 0 {
			t.Fatalf("%v: no alert from the documents: the test checks nothing", paths)
		}
		if !slices.Equal(gotAlerts, wantAlerts) {
			t.Fatalf("%v: raw records: %d alerts, as ECS: %d; raw %.300s\nECS %.300s", paths, len(gotAlerts), len(wantAlerts), gotAlerts, wantAlerts)
		}
		t.Logf("%v: %d alerts, %v bad records", paths, len(gotAlerts), gotBad)
		if gotBad != wantBad || gotBad < 4 {
			t.Fatalf("%v: bad records: raw %v, as ECS %v", paths, gotBad, wantBad)
		}
	}
}
