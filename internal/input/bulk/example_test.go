package bulk_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/vigil-project/vigil/internal/input/bulk"
	"github.com/vigil-project/vigil/internal/source"
)

// A shipper posts a bulk request; the engine receives it as one batch and
// acknowledges it; only then does the shipper get its answer.
func Example() {
	in := bulk.New(bulk.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan source.Batch)
	go in.Run(ctx, out)
	go func() { // the engine
		for b := range out {
			for _, r := range b.Records {
				fmt.Printf("%s %s\n", r.Index, r.Data)
			}
			b.Ack(nil) // every alert of the batch is stored
		}
	}()

	srv := httptest.NewServer(in.Handler()) // vigil serve mounts it on its own server
	defer srv.Close()
	body := `{"create":{"_index":"logs-azure.activitylogs-default","_id":"e1"}}
{"@timestamp":"2025-01-01T00:00:00Z","event":{"action":"MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"}}
`
	for {
		resp, err := http.Post(srv.URL+"/_bulk", "application/x-ndjson", strings.NewReader(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			continue // Run has not started yet: shippers retry, so do we
		}
		fmt.Println(resp.StatusCode, strings.Contains(string(answer), `"_id":"e1","_version":1,"result":"created"`))
		break
	}
	// Output:
	// logs-azure.activitylogs-default {"@timestamp":"2025-01-01T00:00:00Z","event":{"action":"MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"}}
	// 200 true
}
