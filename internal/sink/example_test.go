package sink_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-project/vigil/internal/sink"
)

// Each sink is retried on its own; Multi succeeds once all of them hold
// the batch, which is when the engine may acknowledge its source.
func Example() {
	dir, _ := os.MkdirTemp("", "vigil-sink")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "alerts.ndjson")
	file, err := sink.NewFile(sink.FileOptions{Path: path, MaxBytes: 64 << 20, MaxFiles: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	out := sink.NewMulti(sink.Retry(file, sink.RetryOptions{}))
	defer out.Close()

	alerts := []sink.Alert{
		{ID: "4f1c", RuleID: "azure-vm-run-command", Severity: "medium", Doc: []byte(`{"kibana.alert.uuid": "4f1c",
			"kibana.alert.severity": "medium"}`)},
	}
	if err := out.Write(context.Background(), alerts); err != nil {
		fmt.Println("not delivered:", err, "permanent:", sink.IsPermanent(err))
		return
	}
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	fmt.Printf("%+v\n", file.Stats())
	// Output:
	// {"kibana.alert.uuid":"4f1c","kibana.alert.severity":"medium"}
	// {Written:1 Rejected:0 Failures:0 Retries:0}
}
