package bulk

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vigil-project/vigil/internal/source"
)

// fuzzGzip compresses the bodies of FuzzBulkHTTP. One writer for all the
// inputs: a new one allocates about a megabyte, which would dominate the
// cost of an input. Fuzz inputs run one at a time in a process.
var fuzzGzip = gzip.NewWriter(nil)

// FuzzBulkHTTP drives the whole handler through httptest: any method, path,
// body, Content-Encoding and a small body limit, with an engine that
// acknowledges or refuses. Whatever comes in, the answer is well-formed
// JSON with a status that says what happened, and a bulk answer accounts
// for every item it lists.
func FuzzBulkHTTP(f *testing.F) {
	for _, seed := range []struct {
		method   byte
		path     string
		body     string
		encoding byte
		limit    uint16
		fail     bool
	}{
		{2, "/_bulk", "{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"msg\":\"ok\"}\n", 0, 0, false},
		{2, "/_bulk", "{\"create\":{}}\n{\"a\":1}\n{\"delete\":{\"_id\":\"x\"}}\n{\"update\":{\"_id\":\"y\"}}\n{\"doc\":{}}\n", 1, 0, false},
		{3, "/logs-azure.activitylogs-default/_bulk", "{\"create\":{}}\n{\"a\":1}\nnot json\n", 0, 0, false},
		{2, "/logs-a-default/_bulk", "{\"index\":{}}\n{\"x\":1}\n", 1, 20, false},
		{2, "/_bulk", "{\"index\":{\"_index\":\"a\"}}\n{\"x\":1}\n", 0, 0, true},
		{2, "/_bulk", "\x1f\x8b\x08\x00garbage", 2, 0, false},
		{2, "/_bulk", "{}", 4, 0, false},
		{2, "/logs-a-default/_doc", "{\"n\":1}", 0, 0, false},
		{3, "/logs-a-default/_doc/id%2F1", "{\"n\":1}\n", 5, 0, false},
		{3, "/logs-a-default/_create/1", "[1]", 0, 0, false},
		{0, "/", "", 0, 0, false},
		{1, "/_index_template/filebeat-8.19.0", "", 0, 0, false},
		{3, "/_ilm/policy/filebeat", "{\"policy\":{}}", 0, 4, false},
		{0, "/_nodes/http", "", 0, 0, false},
		{4, "/_bulk", "", 0, 0, false},
		{0, "/%zz/_bulk", "", 0, 0, false},
	} {
		f.Add(seed.method, seed.path, []byte(seed.body), seed.encoding, seed.limit, seed.fail)
	}
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete}
	f.Fuzz(func(t *testing.T, method byte, path string, body []byte, encoding byte, limit uint16, fail bool) {
		u, err := url.ParseRequestURI("/" + strings.TrimPrefix(path, "/"))
		if err != nil {
			return // no client can send it
		}
		sent := body
		var enc string
		switch encoding % 6 {
		case 1, 5: // compressed as the header says
			var buf bytes.Buffer
			fuzzGzip.Reset(&buf)
			fuzzGzip.Write(body)
			fuzzGzip.Close()
			sent, enc = buf.Bytes(), map[byte]string{1: "gzip", 5: "X-Gzip"}[encoding%6]
		case 2:
			enc = "gzip" // but not compressed
		case 3:
			enc = "identity"
		case 4:
			enc = "br"
		}
		max := int64(limit % 512) // 0: the default
		in := New(Options{MaxBodyBytes: max})
		if max == 0 {
			max = defaultMaxBody
		}
		var delivered atomic.Int64
		stop := runFuzzEngine(t, in, fail, &delivered)

		req := httptest.NewRequest(methods[int(method)%len(methods)], "/", bytes.NewReader(sent))
		req.URL, req.RequestURI = u, u.RequestURI()
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		w := httptest.NewRecorder()
		in.Handler().ServeHTTP(w, req)
		stop()

		code, answer := w.Code, w.Body.Bytes()
		if code < 200 || code >= 600 || http.StatusText(code) == "" || code >= 500 && code != http.StatusServiceUnavailable {
			t.Fatalf("status %d: %s", code, answer)
		}
		if w.Header().Get("X-Elastic-Product") != "Elasticsearch" {
			t.Errorf("no X-Elastic-Product header")
		}
		if len(answer) == 0 {
			if req.Method != http.MethodHead {
				t.Errorf("status %d without a body", code)
			}
			return
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" || !json.Valid(answer) {
			t.Fatalf("answer %q of type %q is not JSON", answer, ct)
		}
		var a struct {
			Error *struct {
				Type string `json:"type"`
			} `json:"error"`
			Status int                          `json:"status"`
			Errors *bool                        `json:"errors"`
			Items  []map[string]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(answer, &a); err != nil {
			t.Fatalf("answer %s: %v", answer, err)
		}
		if a.Error != nil && (a.Status != code || a.Error.Type == "" || code < 400) {
			t.Errorf("error answer with status %d: %s", code, answer)
		}
		n := delivered.Load()
		switch {
		case code == http.StatusRequestEntityTooLarge:
			if int64(len(sent)) <= max && int64(len(body)) <= max {
				t.Errorf("413 for %d bytes (%d decoded) under the limit of %d", len(sent), len(body), max)
			}
		case n > 0 && fail && code != http.StatusTooManyRequests: // back pressure
			t.Errorf("status %d for a batch the engine refused", code)
		case n > 0 && !fail && code != http.StatusOK && code != http.StatusCreated:
			t.Errorf("status %d for %d documents acknowledged", code, n)
		}
		if a.Errors == nil {
			return
		}
		// A bulk answer: one item per action, the created ones delivered.
		if code != http.StatusOK || len(a.Items) == 0 {
			t.Fatalf("bulk answer with status %d and %d items", code, len(a.Items))
		}
		if int64(len(body)) > max {
			t.Errorf("bulk body of %d bytes answered under the limit of %d", len(body), max)
		}
		if lines := bytes.Count(body, []byte("\n")) + 1; len(a.Items) > lines {
			t.Errorf("%d items from %d lines", len(a.Items), lines)
		}
		created, failed := 0, false
		for i, item := range a.Items {
			if len(item) != 1 {
				t.Fatalf("item %d has %d actions", i, len(item))
			}
			for _, res := range item {
				var r struct {
					Status int `json:"status"`
				}
				if err := json.Unmarshal(res, &r); err != nil {
					t.Fatalf("item %d: %v", i, err)
				}
				switch {
				case r.Status == http.StatusCreated:
					created++
				case r.Status >= 400 && r.Status < 500:
					failed = true
				default:
					t.Errorf("item %d: status %d", i, r.Status)
				}
			}
		}
		if int64(created) != n || *a.Errors != failed {
			t.Errorf("%d items created, %d documents delivered; errors %v, an item failed %v", created, n, *a.Errors, failed)
		}
	})
}

// runFuzzEngine runs in with an engine that counts the records it gets and
// acknowledges each batch, with an error when fail is set. stop ends Run.
func runFuzzEngine(t *testing.T, in *Input, fail bool, delivered *atomic.Int64) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan source.Batch)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = in.Run(ctx, out)
	}()
	engine := make(chan struct{})
	go func() {
		defer close(engine)
		for {
			select {
			case <-ctx.Done():
				return
			case b := <-out:
				delivered.Add(int64(len(b.Records)))
				if fail {
					b.Ack(errFuzzEngine)
				} else {
					b.Ack(nil)
				}
			}
		}
	}()
	waitRunning(t, in)
	return func() {
		cancel()
		<-done
		<-engine
	}
}

var errFuzzEngine = errors.New("sink unavailable")
