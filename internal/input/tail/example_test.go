package tail_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-project/vigil/internal/input/tail"
	"github.com/vigil-project/vigil/internal/source"
)

func Example() {
	dir, _ := os.MkdirTemp("", "vigil-tail")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "activity.json"), []byte(`{"operationName":"a"}`+"\n"+`{"operationName":"b"}`+"\n"), 0o644)

	in, err := tail.New(tail.Options{
		Name:  "tail:azure",
		Paths: []string{filepath.Join(dir, "*.json")},
		Index: "logs-azure.activitylogs-default",
		// Checkpoints: a *state.Store, to resume after a restart.
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan source.Batch)
	done := make(chan error)
	go func() { done <- in.Run(ctx, out) }()

	b := <-out
	for _, r := range b.Records {
		fmt.Printf("%s from %s\n", r.Data, filepath.Base(r.Origin))
	}
	b.Ack(nil) // once the alerts the batch caused are stored
	cancel()
	fmt.Println(<-done)
	// Output:
	// {"operationName":"a"} from activity.json line 1
	// {"operationName":"b"} from activity.json line 2
	// <nil>
}
