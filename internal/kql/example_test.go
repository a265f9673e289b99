package kql_test

import (
	"errors"
	"fmt"

	"github.com/vigil-project/vigil/internal/kql"
)

func ExampleParse() {
	n, err := kql.Parse(`event.dataset:azure.activitylogs AND event.outcome:(Success OR success)`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n)
	and := n.(*kql.And)
	outcome := and.Terms[1].(*kql.Match)
	fmt.Println(outcome.Field.Text(), len(outcome.Value.(*kql.ValueOr).Terms))
	// Output:
	// event.dataset:azure.activitylogs and event.outcome:(Success or success)
	// event.outcome 2
}

func ExampleParse_gotcha() {
	// The second word is free text, not a second value of f.
	n, _ := kql.Parse(`f:foo or bar`)
	for _, t := range n.(*kql.Or).Terms {
		m := t.(*kql.Match)
		fmt.Printf("free text=%v value=%s\n", m.IsFreeText(), m.Value)
	}
	// Output:
	// free text=false value=foo
	// free text=true value=bar
}

func ExampleError_Detail() {
	_, err := kql.Parse(`file.path:C:\Windows\*`)
	var e *kql.Error
	if errors.As(err, &e) {
		fmt.Println(e.Detail())
	}
	// Output:
	// 1:12: unexpected ":"; expected "and", "or" or the end of the query
	//  | file.path:C:\Windows\*
	//  |            ^
	// hint: quote values that contain ':' (`f:"C:\Windows"`) or escape it as `\:`
}

func ExampleLiteral_Parts() {
	n, _ := kql.Parse(`process.name:*cmd\*.exe*`)
	lit := n.(*kql.Match).Value.(*kql.Literal)
	fmt.Printf("%q wildcard=%v\n", lit.Parts, lit.IsWildcard())
	// Output:
	// ["" "cmd*.exe" ""] wildcard=true
}
