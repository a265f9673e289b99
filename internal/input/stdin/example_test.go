package stdin_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigil-project/vigil/internal/input/stdin"
	"github.com/vigil-project/vigil/internal/source"
)

func Example() {
	in, err := stdin.New(stdin.Options{
		Reader: strings.NewReader(`{"operationName":"a"}` + "\n\n" + `{"operationName":"b"}`), // os.Stdin when nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	out := make(chan source.Batch)
	done := make(chan error)
	go func() { done <- in.Run(context.Background(), out) }()
	for {
		select {
		case b := <-out:
			for _, r := range b.Records {
				fmt.Printf("%s at %s\n", r.Data, r.Origin)
			}
			b.Ack(nil)
		case err := <-done:
			fmt.Println("end:", err)
			return
		}
	}
	// Output:
	// {"operationName":"a"} at stdin line 1
	// {"operationName":"b"} at stdin line 3
	// end: <nil>
}
