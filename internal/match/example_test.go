package match_test

import (
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
)

func Example() {
	q, err := kql.Parse(`event.outcome:(Success or success) and @timestamp > now-1h and source.ip:10.0.0.0/8`)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	plan := event.NewPlan() // shared by every rule of an engine
	m, err := match.Compile(q, match.Options{Plan: plan, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	ev := event.New([]byte(`{"@timestamp":"2026-03-14T09:30:00Z","event":{"outcome":"success"},"source":{"ip":"10.1.2.3"}}`), plan)
	fmt.Println(m.Match(ev))
	fmt.Println(m.Required())
	// Output:
	// true
	// [{event.outcome [Success success] false false false []} {@timestamp [] false true false []} {source.ip [] false true false []}]
}

func ExampleMatcher_Explain() {
	q, _ := kql.Parse(`event.outcome:Success and not user.name:admin`)
	m, _ := match.Compile(q, match.Options{})
	ev := event.New([]byte(`{"event":{"outcome":"success"}}`), m.Plan())
	fmt.Print(m.Explain(ev))
	// Output:
	// no   event.outcome:Success and not user.name:admin  (all must match)
	//   no   event.outcome:Success  (keyword is case-sensitive: got "success")
	//   yes  not user.name:admin  (the clause below does not match (a missing field counts))
	//     no   user.name:admin  (field missing)
}

func ExampleCompileError() {
	query := `http.response.status_code >= high`
	q, _ := kql.Parse(query)
	_, err := match.Compile(q, match.Options{})
	if ce, ok := err.(*match.CompileError); ok {
		fmt.Println(ce.Detail(query))
	}
	// Output:
	// 1:30: http.response.status_code is a long field and "high" is not a number
	//  | http.response.status_code >= high
	//  |                              ^
	// hint: compare it with a number, e.g. http.response.status_code:404 or http.response.status_code >= 400
}
