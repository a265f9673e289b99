package esclient

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/vigil-project/vigil/internal/httpauth"
	"github.com/vigil-project/vigil/internal/input/bulk"
	"github.com/vigil-project/vigil/internal/source"
)

// docN returns the "n" field of a test document.
func docN(t *testing.T, data []byte) int {
	t.Helper()
	var d struct {
		N *int `json:"n"`
	}
	if err := json.Unmarshal(data, &d); err != nil || d.N == nil {
		t.Errorf("record %q: no n (%v)", data, err)
		return -1
	}
	return *d.N
}

func esClient(t *testing.T, ts *httptest.Server, cfg elasticsearch.Config) *elasticsearch.Client {
	t.Helper()
	cfg.Addresses = []string{ts.URL}
	if ts.TLS != nil {
		cfg.CACert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	}
	c, err := elasticsearch.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOfficialBulkIndexer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tls, gzip bool
	}{
		{"plain", false, false},
		{"tls gzip", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const total = 300
			indices := []string{"logs-azure.activitylogs-default", "logs-system.auth-default", "filebeat-8.19.0"}

			in := bulk.New(bulk.Options{})
			var ackedMu sync.Mutex
			acked := map[int]bool{}
			c := run(t, in, func(b source.Batch) error {
				ackedMu.Lock()
				defer ackedMu.Unlock()
				for _, r := range b.Records {
					acked[docN(t, r.Data)] = true
				}
				return nil
			})
			var ts *httptest.Server
			if tc.tls {
				ts = httptest.NewTLSServer(in.Handler())
			} else {
				ts = httptest.NewServer(in.Handler())
			}
			defer ts.Close()
			client := esClient(t, ts, elasticsearch.Config{CompressRequestBody: tc.gzip})

			bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: client, NumWorkers: 3, FlushBytes: 4 << 10})
			if err != nil {
				t.Fatal(err)
			}
			var successes, failures, early atomic.Int64
			ctx := context.Background()
			for n := range total {
				index := indices[n%len(indices)]
				action := "index"
				if n%2 == 1 {
					action = "create"
				}
				id := ""
				if n%4 != 0 {
					id = fmt.Sprintf("doc-%d", n)
				}
				err := bi.Add(ctx, esutil.BulkIndexerItem{
					Index: index, Action: action, DocumentID: id,
					Body: strings.NewReader(fmt.Sprintf(`{"n":%d,"message":"event %d"}`, n, n)),
					OnSuccess: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem) {
						successes.Add(1)
						ackedMu.Lock()
						if !acked[n] {
							early.Add(1)
						}
						ackedMu.Unlock()
						if res.Status != 201 || res.Result != "created" || res.Index != index {
							t.Errorf("doc %d: %+v", n, res)
						}
						if id != "" && res.DocumentID != id || id == "" && !generatedID.MatchString(res.DocumentID) {
							t.Errorf("doc %d: _id %q, sent %q", n, res.DocumentID, id)
						}
					},
					OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
						failures.Add(1)
						t.Errorf("doc %d failed: %+v %v", n, res, err)
					},
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := bi.Close(ctx); err != nil {
				t.Fatal(err)
			}

			st := bi.Stats()
			if st.NumAdded != total || st.NumFlushed != total || st.NumFailed != 0 || st.NumIndexed != total/2 || st.NumCreated != total/2 {
				t.Errorf("indexer stats = %+v", st)
			}
			if st.NumRequests < 3 {
				t.Errorf("%d bulk requests, want several", st.NumRequests)
			}
			if successes.Load() != total || failures.Load() != 0 {
				t.Errorf("%d successes, %d failures", successes.Load(), failures.Load())
			}
			if early.Load() != 0 {
				t.Errorf("%d documents reported indexed before the consumer acknowledged them", early.Load())
			}

			_, failed, recs := c.Snapshot()
			seen := map[int]int{}
			for _, r := range recs {
				n := docN(t, r.Data)
				seen[n]++
				if n >= 0 && r.Index != indices[n%len(indices)] {
					t.Errorf("doc %d: index %q, want %q", n, r.Index, indices[n%len(indices)])
				}
				if !strings.HasPrefix(r.Origin, "bulk 127.0.0.1:") || !strings.Contains(r.Origin, " item ") {
					t.Errorf("doc %d: origin %q", n, r.Origin)
				}
			}
			for n := range total {
				if seen[n] != 1 {
					t.Errorf("doc %d arrived %d times", n, seen[n])
				}
			}
			if len(recs) != total || failed != 0 {
				t.Errorf("%d records, %d failed batches", len(recs), failed)
			}
			if s := c.stats(in); s.Docs != total || s.BadItems != 0 || s.Rejected != 0 {
				t.Errorf("input stats = %+v", s)
			}
		})
	}
}

// bulkAll adds docs 0..n-1 to index "a" and closes the indexer, returning
// its stats and the errors its OnFailure callbacks saw.
func bulkAll(t *testing.T, client *elasticsearch.Client, n int) (esutil.BulkIndexerStats, []error) {
	t.Helper()
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: client, NumWorkers: 1, Index: "a"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var errs []error
	ctx := context.Background()
	for i := range n {
		err := bi.Add(ctx, esutil.BulkIndexerItem{
			Action: "create",
			Body:   strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)),
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, _ esutil.BulkIndexerResponseItem, err error) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := bi.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return bi.Stats(), errs
}

func TestOfficialClientRetriesFailedAcks(t *testing.T) {
	in := bulk.New(bulk.Options{})
	var fails atomic.Int32
	fails.Store(2)
	c := run(t, in, func(source.Batch) error {
		if fails.Add(-1) >= 0 {
			return errors.New("sink unavailable")
		}
		return nil
	})
	ts := server(t, in)
	// The client retries 502, 503 and 504 by default; shippers (Beats,
	// Logstash, the Python bulk helpers) retry 429 too, as set here.
	st, errs := bulkAll(t, esClient(t, ts, elasticsearch.Config{MaxRetries: 3, RetryOnStatus: []int{429, 502, 503, 504}}), 50)
	if st.NumFlushed != 50 || st.NumFailed != 0 || len(errs) != 0 {
		t.Errorf("indexer stats %+v, errors %v", st, errs)
	}
	batches, failed, recs := c.Snapshot()
	if batches != 3 || failed != 2 {
		t.Errorf("%d batches, %d failed; want 3 and 2 (two refusals, then the retry accepted)", batches, failed)
	}
	seen := map[int]int{}
	for _, r := range recs {
		seen[docN(t, r.Data)]++
	}
	for i := range 50 {
		if seen[i] != 1 {
			t.Errorf("doc %d acknowledged %d times", i, seen[i])
		}
	}
	if s := c.stats(in); s.Rejected != 2 || s.Docs != 50 {
		t.Errorf("input stats = %+v", s)
	}
}

func TestOfficialClientSeesAckFailures(t *testing.T) {
	in := bulk.New(bulk.Options{})
	c := run(t, in, func(source.Batch) error { return errors.New("sink unavailable") })
	ts := server(t, in)
	st, errs := bulkAll(t, esClient(t, ts, elasticsearch.Config{MaxRetries: 2, RetryOnStatus: []int{429, 502, 503, 504}}), 20)
	if st.NumFailed != 20 || st.NumFlushed != 0 || len(errs) != 20 {
		t.Fatalf("indexer stats %+v, %d item errors", st, len(errs))
	}
	for _, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "sink unavailable") {
			t.Errorf("item error %v, want the 429 and its reason", err)
			break
		}
	}
	if batches, failed, recs := c.Snapshot(); batches != 3 || failed != 3 || len(recs) != 0 {
		t.Errorf("%d batches, %d failed, %d acknowledged records; want 3 tries, all failed", batches, failed, len(recs))
	}
}

func TestOfficialClientPerItemErrors(t *testing.T) {
	in := bulk.New(bulk.Options{})
	c := run(t, in, nil)
	ts := server(t, in)
	client := esClient(t, ts, elasticsearch.Config{})
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: client, NumWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	outcome := map[string]string{}
	add := func(key, action, body string) {
		item := esutil.BulkIndexerItem{Index: "a", Action: action, DocumentID: key,
			OnSuccess: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem) {
				mu.Lock()
				outcome[key] = fmt.Sprint(res.Status)
				mu.Unlock()
			},
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
				mu.Lock()
				outcome[key] = fmt.Sprint(res.Status, " ", res.Error.Type)
				mu.Unlock()
			},
		}
		if body != "" {
			item.Body = strings.NewReader(body)
		}
		if err := bi.Add(context.Background(), item); err != nil {
			t.Fatal(err)
		}
	}
	add("ok", "index", `{"n":1}`)
	add("del", "delete", "")
	add("upd", "update", `{"doc":{"n":2}}`)
	add("arr", "index", `[1]`)
	if err := bi.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ok":  "201",
		"del": "400 illegal_argument_exception",
		"upd": "400 illegal_argument_exception",
		"arr": "400 mapper_parsing_exception",
	}
	for k, w := range want {
		if outcome[k] != w {
			t.Errorf("%s: %q, want %q", k, outcome[k], w)
		}
	}
	if _, _, recs := c.Snapshot(); len(recs) != 1 {
		t.Errorf("%d records, want 1", len(recs))
	}
}

func TestOfficialClientStartup(t *testing.T) {
	in := bulk.New(bulk.Options{Auth: httpauth.Auth{BearerToken: "aWQ6a2V5", Username: "logstash", Password: "pw"}})
	ts := server(t, in)
	for name, cfg := range map[string]elasticsearch.Config{
		"api key": {APIKey: "aWQ6a2V5"},
		"basic":   {Username: "logstash", Password: "pw"},
	} {
		client := esClient(t, ts, cfg)
		res, err := client.Info()
		if err != nil {
			t.Fatalf("%s: Info: %v", name, err)
		}
		var info struct {
			Version struct{ Number string } `json:"version"`
		}
		err = json.NewDecoder(res.Body).Decode(&info)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || info.Version.Number != "8.19.0" {
			t.Errorf("%s: Info: %d %+v %v", name, res.StatusCode, info, err)
		}
		for what, call := range map[string]func() (*esapi.Response, error){
			"license":       func() (*esapi.Response, error) { return client.License.Get() },
			"xpack":         func() (*esapi.Response, error) { return client.XPack.Info() },
			"template head": func() (*esapi.Response, error) { return client.Indices.ExistsIndexTemplate("filebeat-8.19.0") },
			"template put": func() (*esapi.Response, error) {
				return client.Indices.PutIndexTemplate("filebeat-8.19.0", strings.NewReader(`{"index_patterns":["filebeat-*"]}`))
			},
			"ilm get": func() (*esapi.Response, error) {
				return client.ILM.GetLifecycle(client.ILM.GetLifecycle.WithPolicy("filebeat"))
			},
			"index exists": func() (*esapi.Response, error) { return client.Indices.Exists([]string{"logstash"}) },
			"pipeline get": func() (*esapi.Response, error) {
				return client.Ingest.GetPipeline(client.Ingest.GetPipeline.WithPipelineID("p"))
			},
			"nodes info":     func() (*esapi.Response, error) { return client.Nodes.Info() },
			"cluster health": func() (*esapi.Response, error) { return client.Cluster.Health() },
		} {
			res, err := call()
			if err != nil {
				t.Errorf("%s: %s: %v", name, what, err)
				continue
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("%s: %s: status %d", name, what, res.StatusCode)
			}
		}
	}

	// Without credentials the client gets a 401 it can read.
	res, err := esClient(t, ts, elasticsearch.Config{}).Info()
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("no credentials: status %d", res.StatusCode)
	}
}

// stripProduct removes the X-Elastic-Product header from every response.
type stripProduct struct{ http.ResponseWriter }

func (s stripProduct) WriteHeader(code int) {
	s.Header().Del("X-Elastic-Product")
	s.ResponseWriter.WriteHeader(code)
}

func TestOfficialClientNeedsProductHeader(t *testing.T) {
	h := bulk.New(bulk.Options{}).Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(stripProduct{w}, r)
	}))
	defer ts.Close()
	if _, err := esClient(t, ts, elasticsearch.Config{}).Info(); err == nil || !strings.Contains(err.Error(), "not Elasticsearch") {
		t.Errorf("Info without the header: %v, want the client's product check to refuse", err)
	}
}
