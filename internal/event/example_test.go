package event_test

import (
	"fmt"

	"github.com/vigil-project/vigil/internal/event"
)

// Rules register the fields they read once; each event then extracts them in
// one pass, with Elasticsearch's view of dotted keys, nesting and arrays.
func Example() {
	plan := event.NewPlan()
	op := plan.Add("azure.activitylogs.operation_name")
	ip := plan.Add("source.ip")
	outcome := plan.Add("event.outcome")

	ev := event.New(nil, plan)
	for _, doc := range []string{
		`{"azure":{"activitylogs.operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"},"event.outcome":"success"}`,
		`{"source":[{"ip":"203.0.113.45"},{"ip":null},{"ip":["198.51.100.7"]}],"event":{}}`,
		`{"event":{"outcome":"success",}}`,
	} {
		ev.Reset([]byte(doc))
		if err := ev.Err(); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(ev.Values(op), ev.Values(ip), ev.Has(outcome))
	}
	// Output:
	// [MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION] [] true
	// [] [203.0.113.45 198.51.100.7] false
	// malformed JSON at byte 30: unexpected '}'
}
