package ruleset

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
)

// The facts of a sequence match skip the steps whose parts the rule index
// did not reach: they are those of every step evaluated, whatever steps,
// runs and until select the event, with the rule index and without.
func TestSequenceFactsOfReachedParts(t *testing.T) {
	queries := []string{
		`sequence by host.id with maxspan=1m
  [process where event.type == "start" and process.name == "curl"]
  [network where destination.port == 443]
  [file where file.extension : "exe"]
until [process where event.type == "end" and process.name == "curl"]`,
		`sequence by host.id with maxspan=1m
  [process where process.name : "sh*"] with runs=2
  [process where process.name : "?:\\Users\\*" or process.args == "x"]
  ![network where true]`,
		`sequence with maxspan=1m
  [process where process.name == "curl"] by host.id
  [process where process.name == "curl"] by user.name`,
	}
	docs := []string{
		`{"event":{"category":"process","type":"start"},"process":{"name":"curl"}}`,
		`{"event":{"category":"process","type":"end"},"process":{"name":"curl"}}`,
		`{"event":{"category":"process","type":"start"},"process":{"name":"shx","args":["x"]}}`,
		`{"event":{"category":"process","type":"start"},"process":{"name":"C:\\Users\\a"}}`,
		`{"event":{"category":"network"},"destination":{"port":443}}`,
		`{"event":{"category":"network"},"destination":{"port":80}}`,
		`{"event":{"category":"file"},"file":{"extension":"EXE"}}`,
		`{"event":{"category":["file","process"],"type":"start"},"file":{"extension":"exe"},"process":{"name":"curl"}}`,
	}
	for _, noIndex := range []bool{false, true} {
		plan := event.NewPlan()
		var rules []*engine.Rule
		for i, q := range queries {
			src := fmt.Sprintf("[metadata]\ncreation_date = \"2026/01/01\"\nupdated_date = \"2026/01/01\"\n\n[rule]\nauthor = [\"Test\"]\ndescription = \"d\"\nname = \"s%d\"\nrisk_score = 47\nrule_id = \"00000000-0000-4000-8000-00000000010%d\"\nseverity = \"low\"\ntype = \"eql\"\nlanguage = \"eql\"\nquery = '''\n%s\n'''\n", i, i, q)
			r := rule.Parse(fmt.Sprintf("s%d.toml", i), []byte(src), rule.LoadOptions{Plan: plan})
			if r.Status != rule.StatusOK {
				t.Fatalf("query %d: %v %v %s", i, r.Status, r.Errors, r.Reason)
			}
			rules = append(rules, EngineRule(r))
		}
		x := &engine.Evaluator{Engine: engine.New(engine.Options{Rules: rules, Plan: plan, NoRuleIndex: noIndex}), Index: "logs-endpoint.events.process-default",
			Now: func() time.Time { return time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC) }}
		matched := 0
		for _, d := range docs {
			for _, host := range []string{`,"host":{"id":"h"}`, `,"user":{"name":"u"}`} {
				raw := []byte(`{"@timestamp":"2026-03-14T09:00:00Z"` + host + "," + strings.TrimPrefix(d, "{"))
				ev := event.New(raw, plan)
				ms, err := x.Evaluate(ev, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					matched++
					if want := m.Rule.Sequence.AppendFacts(nil, ev); !bytes.Equal(m.Facts, want) {
						t.Errorf("no index %v, %s on %s: facts %v, want %v", noIndex, m.Rule.Alert.Name, raw, m.Facts, want)
					}
				}
			}
		}
		if matched < len(docs) {
			t.Fatalf("no index %v: only %d matches", noIndex, matched)
		}
	}
}
