package esql_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/esql"
	"github.com/vigil-project/vigil/internal/event"
)

// Run a query over documents and read its result table.
func Example() {
	q, err := esql.Parse(`FROM logs-* | WHERE event.outcome == "failure"
| STATS failures = COUNT(*), ips = VALUES(source.ip) BY user.name | SORT failures DESC`)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := esql.Compile(q, esql.Options{Now: func() time.Time { return time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		fmt.Println(err)
		return
	}
	run := p.Start()
	for _, doc := range []string{
		`{"user":{"name":"bob"},"event":{"outcome":"failure"},"source":{"ip":"10.0.0.2"}}`,
		`{"user":{"name":"bob"},"event":{"outcome":"failure"},"source":{"ip":"10.0.0.1"}}`,
		`{"user":{"name":"eve"},"event":{"outcome":"failure"},"source":{"ip":"10.0.0.9"}}`,
		`{"user":{"name":"eve"},"event":{"outcome":"success"},"source":{"ip":"10.0.0.9"}}`,
	} {
		run.Add(esql.Doc{Event: event.New([]byte(doc), p.Plan())})
	}
	res := run.Finish()
	var header []string
	for _, c := range res.Columns {
		header = append(header, fmt.Sprint(c.Name, ":", c.Type))
	}
	fmt.Println(strings.Join(header, " "))
	for _, row := range res.Rows {
		var cells []string
		for i, v := range row {
			cells = append(cells, fmt.Sprint(esql.JSONValue(v, res.Columns[i].Type)))
		}
		fmt.Println(strings.Join(cells, " "))
	}
	// Output:
	// failures:long ips:ip user.name:keyword
	// 2 [10.0.0.1 10.0.0.2] bob
	// 1 10.0.0.9 eve
}

// A syntax error shows where it is.
func ExampleParse_error() {
	_, err := esql.Parse(`FROM logs-* | WHERE user.name = "bob"`)
	if e, ok := err.(*esql.Error); ok {
		fmt.Println(e.Detail())
	}
	// Output:
	// 1:31: unexpected = in an expression
	//  | FROM logs-* | WHERE user.name = "bob"
	//  |                               ^
	// hint: compare with ==
}
