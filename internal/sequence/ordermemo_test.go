package sequence

import (
	"testing"

	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// TestOrderMemo checks that queries sharing a TimeMemo for an event order
// it as each does alone: the memo serves a query ordering by the same
// field, and a query ordering by another is not given its time.
func TestOrderMemo(t *testing.T) {
	plan := event.NewPlan()
	compileWith := func(query, ts, tb string) *Query {
		st, err := eql.Parse(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		q, err := Compile(st, Options{Schema: testSchema, Plan: plan, TimestampField: ts, TiebreakerField: tb})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return q
	}
	seq := `sequence [a where true] [b where true]`
	queries := []*Query{
		compileWith(seq, "", ""),
		compileWith(seq, "event.created", ""),
		compileWith(seq, "", "n"),
		compileWith(seq, "event.created", ""),
		compileWith(seq, "", ""),
	}
	for _, doc := range []string{
		`{"@timestamp":"2026-03-12T00:00:01.5Z","event":{"created":"2026-03-12T00:00:09Z"},"n":3}`,
		`{"@timestamp":1700000000000,"n":1}`,
		`{"event":{"created":"2026-03-12T00:00:09Z"}}`,
		`{"@timestamp":"not a date","event":{"created":"2026"}}`,
		`{}`,
	} {
		ev := event.New([]byte(doc), plan)
		var memo TimeMemo
		for i, q := range queries {
			wantNS, wantTB, wantOK := q.Order(ev)
			ns, tb, ok := q.OrderMemo(ev, &memo)
			if ns != wantNS || tb != wantTB || ok != wantOK {
				t.Errorf("%s, query %d: OrderMemo = %d, %v, %v; Order = %d, %v, %v", doc, i, ns, tb, ok, wantNS, wantTB, wantOK)
			}
		}
	}
}
