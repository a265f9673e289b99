package esbulk

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/vigil-project/vigil/internal/source"
)

// consumer runs the input and acks batches with ack's answer, collecting
// the records of acknowledged batches.
type consumer struct {
	mu   sync.Mutex
	recs []source.Record
	fail atomic.Int32 // batches to fail before succeeding
}

func (c *consumer) records() []source.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]source.Record(nil), c.recs...)
}

func start(t *testing.T, tls bool) (*Input, *httptest.Server, *consumer) {
	t.Helper()
	in := New(Options{MaxBodyBytes: 1 << 20})
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan source.Batch)
	c := &consumer{}
	go in.Run(ctx, out)
	go func() {
		for {
			select {
			case b := <-out:
				if c.fail.Load() > 0 {
					c.fail.Add(-1)
					b.Ack(errors.New("sink down"))
					continue
				}
				c.mu.Lock()
				c.recs = append(c.recs, b.Records...)
				c.mu.Unlock()
				b.Ack(nil)
			case <-ctx.Done():
				return
			}
		}
	}()
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(in.Handler())
	} else {
		srv = httptest.NewServer(in.Handler())
	}
	t.Cleanup(func() { srv.Close(); cancel() })
	return in, srv, c
}

func TestOfficialClientBulkIndexer(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			_, srv, c := start(t, tls)
			c.fail.Store(1) // the first batch fails: the indexer must retry it
			cfg := elasticsearch.Config{Addresses: []string{srv.URL}, RetryOnStatus: []int{502, 503, 504, 429},
				MaxRetries: 5, RetryBackoff: func(int) time.Duration { return 10 * time.Millisecond }}
			if tls {
				cfg.Transport = srv.Client().Transport
			}
			es, err := elasticsearch.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			info, err := es.Info()
			if err != nil || info.IsError() {
				t.Fatalf("info: %v %v", err, info)
			}
			info.Body.Close()
			bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: es, NumWorkers: 2, FlushBytes: 4096})
			if err != nil {
				t.Fatal(err)
			}
			var ok, failed atomic.Int64
			const n = 300
			for i := 0; i < n; i++ {
				index := "logs-azure.activitylogs-default"
				if i%3 == 0 {
					index = "logs-aws.cloudtrail-default"
				}
				doc := fmt.Sprintf(`{"@timestamp":"2026-03-14T09:00:00Z","n":%d}`, i)
				err := bi.Add(context.Background(), esutil.BulkIndexerItem{Action: "create", Index: index, Body: strings.NewReader(doc),
					OnSuccess: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem) { ok.Add(1) },
					OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem, err error) {
						failed.Add(1)
						t.Logf("failure: %v %+v", err, r)
					}})
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := bi.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if ok.Load() != n || failed.Load() != 0 {
				t.Fatalf("indexer: %d ok, %d failed", ok.Load(), failed.Load())
			}
			seen := map[int]int{}
			for _, r := range c.records() {
				var d struct{ N int }
				json.Unmarshal(r.Data, &d)
				seen[d.N]++
				want := "logs-azure.activitylogs-default"
				if d.N%3 == 0 {
					want = "logs-aws.cloudtrail-default"
				}
				if r.Index != want {
					t.Errorf("doc %d: index %q, want %q", d.N, r.Index, want)
				}
			}
			if len(seen) != n {
				t.Fatalf("%d distinct docs arrived, want %d", len(seen), n)
			}
			for k, v := range seen {
				if v != 1 {
					t.Errorf("doc %d arrived %d times", k, v)
				}
			}
		})
	}
}

func post(t *testing.T, srv *httptest.Server, path, body string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Errorf("%s: no X-Elastic-Product header", path)
	}
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func TestMalformedLinesGetPerItemErrors(t *testing.T) {
	in, srv, c := start(t, false)
	body := strings.Join([]string{
		`{"index":{"_index":"logs-a","_id":"1"}}`,
		`{"n":1}`,
		`{"index":{}}`,
		`not json`,
		`{"create":{"_index":"logs-b"}}`,
		`[1,2]`,
		`{"delete":{"_index":"logs-a","_id":"1"}}`,
		`{"upsert":{}}`,
		`{"create":{}}`,
		`{"n":2}`,
		`garbage action`,
	}, "\n") + "\n"
	code, resp := post(t, srv, "/logs-default/_bulk", body, nil)
	if code != 200 || resp["errors"] != true {
		t.Fatalf("status %d, %v", code, resp)
	}
	items := resp["items"].([]any)
	type res struct {
		action string
		status float64
		typ    string
		index  string
	}
	var got []res
	for _, it := range items {
		for a, v := range it.(map[string]any) {
			m := v.(map[string]any)
			r := res{action: a, status: m["status"].(float64), index: fmt.Sprint(m["_index"])}
			if e, ok := m["error"].(map[string]any); ok {
				r.typ = e["type"].(string)
				if !strings.Contains(e["reason"].(string), "line ") {
					t.Errorf("reason without a line: %v", e["reason"])
				}
			}
			got = append(got, r)
		}
	}
	want := []res{
		{"index", 201, "", "logs-a"},
		{"index", 400, "document_parsing_exception", "logs-default"},
		{"create", 400, "document_parsing_exception", "logs-b"},
		{"delete", 400, "illegal_argument_exception", "logs-a"},
		{"index", 400, "illegal_argument_exception", "logs-default"},
		{"create", 201, "", "logs-default"},
		{"index", 400, "illegal_argument_exception", "logs-default"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("items\n got %v\nwant %v", got, want)
	}
	if recs := c.records(); len(recs) != 2 || recs[0].Index != "logs-a" || recs[1].Index != "logs-default" {
		t.Errorf("records %v", recs)
	}
	if st := in.Stats(); st.BadItems != 5 || st.Docs != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestGzipBodyLimitSingleDocsAndProbes(t *testing.T) {
	_, srv, c := start(t, false)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("{\"index\":{\"_index\":\"logs-z\"}}\n{\"z\":1}\n"))
	zw.Close()
	if code, resp := post(t, srv, "/_bulk", gz.String(), map[string]string{"Content-Encoding": "gzip"}); code != 200 || resp["errors"] != false {
		t.Fatalf("gzip bulk: %d %v", code, resp)
	}
	big := strings.Repeat(`{"index":{}}`+"\n"+`{"pad":"`+strings.Repeat("x", 1000)+"\"}\n", 1200)
	if code, resp := post(t, srv, "/logs-x/_bulk", big, nil); code != 413 {
		t.Fatalf("oversized body: %d %v", code, resp)
	}
	if code, resp := post(t, srv, "/logs-one/_doc", `{"a":1}`, nil); code != 201 || resp["result"] != "created" || resp["_id"] == "" {
		t.Fatalf("single doc: %d %v", code, resp)
	}
	if code, _ := post(t, srv, "/logs-one/_create/abc", `{"a":2}`, nil); code != 201 {
		t.Fatalf("create with id: %d", code)
	}
	if code, resp := post(t, srv, "/logs-one/_doc", `[1]`, nil); code != 400 || resp["error"] == nil {
		t.Fatalf("bad single doc: %d %v", code, resp)
	}
	if recs := c.records(); len(recs) != 3 || recs[1].Index != "logs-one" {
		t.Fatalf("records %v", recs)
	}
	for _, p := range []string{"/", "/_license", "/_xpack", "/_nodes", "/_index_template/logs", "/_ilm/policy/logs", "/logs-x"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
			t.Errorf("GET %s: %v %v", p, err, resp.Status)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest("PUT", srv.URL+"/_index_template/filebeat", strings.NewReader(`{}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("PUT template: %v %v", err, resp.Status)
	}
	if code, _ := post(t, srv, "/_search", `{}`, nil); code != 400 {
		t.Errorf("_search: %d, want 400", code)
	}
}
