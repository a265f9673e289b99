package bulk

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/source"
)

// respItem is one bulk response item, flattened.
type respItem struct {
	Action, Index, ID string
	Status            int
	ErrType, Reason   string
}

func decodeBulk(t *testing.T, body []byte) (errs bool, items []respItem, raw []map[string]map[string]any) {
	t.Helper()
	var resp struct {
		Took   *int64                      `json:"took"`
		Errors bool                        `json:"errors"`
		Items  []map[string]map[string]any `json:"items"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("bulk response %s: %v", body, err)
	}
	if resp.Took == nil {
		t.Errorf("bulk response without took: %s", body)
	}
	for _, m := range resp.Items {
		if len(m) != 1 {
			t.Fatalf("item %v has %d keys, want 1", m, len(m))
		}
		for action, v := range m {
			it := respItem{Action: action}
			it.Index, _ = v["_index"].(string)
			it.ID, _ = v["_id"].(string)
			st, _ := v["status"].(float64)
			it.Status = int(st)
			if e, ok := v["error"].(map[string]any); ok {
				it.ErrType, _ = e["type"].(string)
				it.Reason, _ = e["reason"].(string)
			}
			items = append(items, it)
		}
	}
	return resp.Errors, items, resp.Items
}

var generatedID = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)

func TestMalformedLinesGetPerItemErrors(t *testing.T) {
	in := New(Options{})
	c := run(t, in, nil)
	ts := server(t, in)

	body := ndjson(
		`{"index":{"_index":"a","_id":"1"}}`,  // 1
		`{"msg":"ok1"}`,                       // 2
		`{"index":{"_index":"a"}`,             // 3: not valid JSON
		`{"msg":"document of line 3"}`,        // 4: skipped with it
		`{"frobnicate":{"_index":"a"}}`,       // 5: unknown action
		`{"msg":"document of line 5"}`,        // 6: skipped with it
		`{"create":{"_index":"b","_id":"2"}}`, // 7
		`["not","an","object"]`,               // 8
		`{"delete":{"_index":"a","_id":"3"}}`, // 9
		`{"update":{"_index":"a","_id":"4"}}`, // 10
		`{"doc":{"x":1}}`,                     // 11
		`{"index":{"_index":"c"}}`,            // 12
		`{"msg": broken}`,                     // 13
		`{"create":{"pipeline":"p1"}}`,        // 14: index from the URL
		"{\"msg\":\"ok2\"}\r",                 // 15 (CRLF)
		``,                                    // 16: blank, skipped
		`{"index":{"_index":"a","_id":""}}`,   // 17
		`{"msg":"x"}`,                         // 18
		`not json at all`,                     // 19: the next line is an action, kept
		`{"index":{"_index":"d","_id":7}}`,    // 20: numeric _id
		`{"msg":"ok3"}`,                       // 21
		`{"index":{"_index":"a"}}`,            // 22: no document line
	)
	resp, rb := do(t, "POST", ts.URL+"/p/_bulk", body, "Content-Type", "application/x-ndjson")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, rb)
	}
	errs, items, raw := decodeBulk(t, rb)
	if !errs {
		t.Error("errors = false, want true")
	}
	if len(items) == 12 && generatedID.MatchString(items[7].ID) {
		items[7].ID = "<generated>"
	}
	want := []respItem{
		{Action: "index", Index: "a", ID: "1", Status: 201},
		{Action: "index", Index: "p", Status: 400, ErrType: "illegal_argument_exception",
			Reason: "line 3: the action/metadata line is not valid JSON: unexpected end of JSON input at byte 23 of the line"},
		{Action: "index", Index: "p", Status: 400, ErrType: "illegal_argument_exception",
			Reason: "line 5: unknown action [frobnicate], expected one of [create, delete, index, update]"},
		{Action: "create", Index: "b", ID: "2", Status: 400, ErrType: "mapper_parsing_exception",
			Reason: "line 8: failed to parse the document: the document is a JSON array, not an object"},
		{Action: "delete", Index: "a", ID: "3", Status: 400, ErrType: "illegal_argument_exception",
			Reason: "line 9: delete is not supported: Vigil analyses events and stores no documents"},
		{Action: "update", Index: "a", ID: "4", Status: 400, ErrType: "illegal_argument_exception",
			Reason: "line 10: update is not supported: Vigil analyses events and stores no documents"},
		{Action: "index", Index: "c", Status: 400, ErrType: "mapper_parsing_exception",
			Reason: "line 13: failed to parse the document: invalid JSON: invalid character 'b' looking for beginning of value at byte 9 of the line"},
		{Action: "create", Index: "p", ID: "<generated>", Status: 201},
		{Action: "index", Index: "a", Status: 400, ErrType: "action_request_validation_exception",
			Reason: "line 17: if _id is specified it must not be empty"},
		{Action: "index", Index: "p", Status: 400, ErrType: "illegal_argument_exception",
			Reason: `line 19: the action/metadata line is not a JSON object (it starts with "not json at all")`},
		{Action: "index", Index: "d", ID: "7", Status: 201},
		{Action: "index", Index: "a", Status: 400, ErrType: "action_request_validation_exception",
			Reason: "line 22: the index action has no document line after it"},
	}
	if d := cmp.Diff(want, items); d != "" {
		t.Errorf("items (-want +got):\n%s", d)
	}
	// Created items carry what shippers read; failed ones a null _id when none was given.
	for _, i := range []int{0, 7, 10} {
		for _, k := range []string{"_version", "result", "_shards", "_seq_no", "_primary_term"} {
			if _, ok := raw[i][items[i].Action][k]; !ok {
				t.Errorf("item %d has no %s: %v", i+1, k, raw[i])
			}
		}
	}
	if v, ok := raw[1]["index"]["_id"]; !ok || v != nil {
		t.Errorf("item 2 _id = %v (present %v), want null", v, ok)
	}

	_, _, acked := c.Snapshot()
	var got []string
	for _, r := range acked {
		got = append(got, r.Index+" "+string(r.Data)+" "+strings.TrimPrefix(r.Origin, "bulk "+"127.0.0.1:"))
	}
	re := regexp.MustCompile(`^(\S+ \S+) \d+ (item \d+)$`)
	for i, g := range got {
		got[i] = re.ReplaceAllString(g, "$1 $2")
	}
	wantRecs := []string{`a {"msg":"ok1"} item 1`, `p {"msg":"ok2"} item 8`, `d {"msg":"ok3"} item 11`}
	if d := cmp.Diff(wantRecs, got); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	st := in.Stats()
	if st.Docs != 3 || st.BadItems != 9 || st.Requests != 1 || st.Rejected != 0 {
		t.Errorf("stats = %+v, want 3 docs, 9 bad items, 1 request", st)
	}
	if !strings.HasPrefix(st.LastBadItem, "bulk 127.0.0.1:") || !strings.HasSuffix(st.LastBadItem, "line 22: the index action has no document line after it") {
		t.Errorf("LastBadItem = %q", st.LastBadItem)
	}
}

func TestAllItemsBadSendsNoBatch(t *testing.T) {
	in := New(Options{})
	c := run(t, in, nil)
	ts := server(t, in)
	resp, rb := do(t, "POST", ts.URL+"/_bulk", ndjson(`{"delete":{"_index":"a","_id":"1"}}`, `{"index":{"_index":"a"}}`, `42`))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, rb)
	}
	errs, items, _ := decodeBulk(t, rb)
	if !errs || len(items) != 2 || items[0].Status != 400 || items[1].ErrType != "mapper_parsing_exception" {
		t.Errorf("errors %v, items %+v", errs, items)
	}
	if n, _, _ := c.Snapshot(); n != 0 {
		t.Errorf("%d batches sent, want none", n)
	}
}

func TestIndexMissing(t *testing.T) {
	in := New(Options{})
	run(t, in, nil)
	ts := server(t, in)
	_, rb := do(t, "POST", ts.URL+"/_bulk", ndjson(`{"index":{}}`, `{"a":1}`))
	_, items, _ := decodeBulk(t, rb)
	if len(items) != 1 || items[0].ErrType != "action_request_validation_exception" || !strings.Contains(items[0].Reason, "index is missing") {
		t.Errorf("items = %+v", items)
	}

	// With a default index the same request is fine.
	in = New(Options{DefaultIndex: "logs-vigil-default"})
	c := run(t, in, nil)
	ts = server(t, in)
	_, rb = do(t, "POST", ts.URL+"/_bulk", ndjson(`{"index":{}}`, `{"a":1}`))
	_, items, _ = decodeBulk(t, rb)
	_, _, acked := c.Snapshot()
	if len(items) != 1 || items[0].Status != 201 || len(acked) != 1 || acked[0].Index != "logs-vigil-default" {
		t.Errorf("items = %+v, records %+v", items, acked)
	}
}

func TestEmptyBulk(t *testing.T) {
	in := New(Options{})
	run(t, in, nil)
	ts := server(t, in)
	resp, rb := do(t, "POST", ts.URL+"/_bulk", []byte("\n\n"))
	wantError(t, resp, rb, 400, "action_request_validation_exception", "no requests added")
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzipBodies(t *testing.T) {
	in := New(Options{MaxBodyBytes: 64 << 10})
	c := run(t, in, nil)
	ts := server(t, in)

	var lines []string
	for i := range 50 {
		lines = append(lines, `{"create":{"_index":"logs-a-default"}}`, fmt.Sprintf(`{"n":%d,"message":"compressed"}`, i))
	}
	resp, rb := do(t, "POST", ts.URL+"/_bulk", gz(t, ndjson(lines...)), "Content-Encoding", "gzip")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, rb)
	}
	if errs, items, _ := decodeBulk(t, rb); errs || len(items) != 50 {
		t.Errorf("errors %v, %d items", errs, len(items))
	}
	if _, _, acked := c.Snapshot(); len(acked) != 50 || string(acked[49].Data) != `{"n":49,"message":"compressed"}` {
		t.Errorf("%d records, last %q", len(acked), acked[len(acked)-1].Data)
	}

	// Not gzip at all, and gzip cut short.
	resp, rb = do(t, "POST", ts.URL+"/_bulk", ndjson(lines...), "Content-Encoding", "gzip")
	wantError(t, resp, rb, 400, "parse_exception", "not valid gzip")
	z := gz(t, ndjson(lines...))
	resp, rb = do(t, "POST", ts.URL+"/_bulk", z[:len(z)/2], "Content-Encoding", "gzip")
	wantError(t, resp, rb, 400, "parse_exception", "not valid gzip")

	// Small compressed, too large once decompressed.
	big := bytes.Repeat([]byte(`{"index":{"_index":"a"}}`+"\n"+`{"m":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`+"\n"), 2000)
	zb := gz(t, big)
	if int64(len(zb)) >= in.opts.MaxBodyBytes {
		t.Fatalf("compressed test body is %d bytes, not below the limit", len(zb))
	}
	resp, rb = do(t, "POST", ts.URL+"/_bulk", zb, "Content-Encoding", "gzip")
	wantError(t, resp, rb, 413, "content_too_long_exception", "larger than the limit of 65536 bytes")

	resp, rb = do(t, "POST", ts.URL+"/_bulk", ndjson(lines...), "Content-Encoding", "br")
	wantError(t, resp, rb, 415, "illegal_argument_exception", "unsupported Content-Encoding [br]")

	if st := in.Stats(); st.Rejected != 4 || st.Docs != 50 {
		t.Errorf("stats = %+v, want 4 rejected, 50 docs", st)
	}
}

func TestBodyLimit(t *testing.T) {
	in := New(Options{MaxBodyBytes: 1024})
	c := run(t, in, nil)
	ts := server(t, in)
	doc := `{"m":"` + strings.Repeat("x", 1100) + `"}`
	body := ndjson(`{"index":{"_index":"a"}}`, doc)

	// Known length.
	resp, rb := do(t, "POST", ts.URL+"/_bulk", body)
	wantError(t, resp, rb, 413, "content_too_long_exception", "larger than the limit of 1024 bytes")

	// Chunked: the length is found while reading.
	req, _ := http.NewRequest("POST", ts.URL+"/_bulk", io.MultiReader(bytes.NewReader(body)))
	req.ContentLength = -1
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rb2, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	wantError(t, r2, rb2, 413, "content_too_long_exception", "1024")

	// Single documents too.
	resp, rb = do(t, "POST", ts.URL+"/a/_doc", []byte(doc))
	wantError(t, resp, rb, 413, "content_too_long_exception", "1024")

	// Exactly at the limit is fine.
	pad := 1024 - len(ndjson(`{"index":{"_index":"a"}}`, `{"m":""}`))
	resp, rb = do(t, "POST", ts.URL+"/_bulk", ndjson(`{"index":{"_index":"a"}}`, `{"m":"`+strings.Repeat("y", pad)+`"}`))
	if resp.StatusCode != 200 {
		t.Errorf("body of exactly the limit: status %d: %s", resp.StatusCode, rb)
	}
	if n, _, _ := c.Snapshot(); n != 1 {
		t.Errorf("%d batches, want 1", n)
	}
	if st := in.Stats(); st.Rejected != 3 {
		t.Errorf("rejected = %d, want 3", st.Rejected)
	}
}

func TestSingleDocuments(t *testing.T) {
	in := New(Options{})
	c := run(t, in, nil)
	ts := server(t, in)

	type created struct {
		Index   string `json:"_index"`
		ID      string `json:"_id"`
		Result  string `json:"result"`
		Version int    `json:"_version"`
	}
	post := func(method, path, doc string) created {
		t.Helper()
		resp, rb := do(t, method, ts.URL+path, []byte(doc), "Content-Type", "application/json")
		if resp.StatusCode != 201 {
			t.Fatalf("%s %s: status %d: %s", method, path, resp.StatusCode, rb)
		}
		var cr created
		if err := json.Unmarshal(rb, &cr); err != nil {
			t.Fatal(err)
		}
		if cr.Result != "created" || cr.Version != 1 {
			t.Errorf("%s %s: %s", method, path, rb)
		}
		if loc := resp.Header.Get("Location"); loc != "/"+cr.Index+"/_doc/"+url.PathEscape(cr.ID) {
			t.Errorf("Location = %q", loc)
		}
		return cr
	}
	if cr := post("POST", "/logs-a-default/_doc", `{"n":1}`); cr.Index != "logs-a-default" || !generatedID.MatchString(cr.ID) {
		t.Errorf("POST _doc: %+v", cr)
	}
	if cr := post("PUT", "/b/_doc/abc", "{\n  \"n\": 2\n}\n"); cr.ID != "abc" || cr.Index != "b" {
		t.Errorf("PUT _doc/abc: %+v", cr)
	}
	if cr := post("PUT", "/c/_create/x%2Fy", `{"n":3}`); cr.ID != "x/y" {
		t.Errorf("PUT _create: %+v", cr)
	}
	_, _, acked := c.Snapshot()
	var got []string
	for _, r := range acked {
		got = append(got, r.Index+" "+string(r.Data))
	}
	if d := cmp.Diff([]string{`logs-a-default {"n":1}`, "b {\n  \"n\": 2\n}", `c {"n":3}`}, got); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}

	resp, rb := do(t, "POST", ts.URL+"/a/_doc", []byte(`[1,2]`))
	wantError(t, resp, rb, 400, "mapper_parsing_exception", "the document is a JSON array, not an object")
	resp, rb = do(t, "PUT", ts.URL+"/a/_doc/1", []byte(`{"a":`))
	wantError(t, resp, rb, 400, "mapper_parsing_exception", "invalid JSON")
	resp, rb = do(t, "GET", ts.URL+"/a/_doc/1", nil)
	if resp.StatusCode != 404 || !strings.Contains(string(rb), `"found":false`) {
		t.Errorf("GET _doc: %d %s", resp.StatusCode, rb)
	}
	if st := in.Stats(); st.Docs != 3 || st.BadItems != 2 {
		t.Errorf("stats = %+v", st)
	}
}

// A batch the engine could not finish (its alerts not delivered: a failing
// sink) is back pressure: 429, as Elasticsearch answers when it cannot take
// more, which every shipper retries with backoff.
func TestFailedAckAnswers429(t *testing.T) {
	in := New(Options{})
	c := run(t, in, func(source.Batch) error { return errors.New("alert sink down") })
	ts := server(t, in)
	resp, rb := do(t, "POST", ts.URL+"/_bulk", ndjson(`{"index":{"_index":"a"}}`, `{"n":1}`, `{"delete":{"_index":"a","_id":"1"}}`))
	wantError(t, resp, rb, 429, "es_rejected_execution_exception", "alert sink down")
	resp, rb = do(t, "PUT", ts.URL+"/a/_doc/1", []byte(`{"n":1}`))
	wantError(t, resp, rb, 429, "es_rejected_execution_exception", "alert sink down")
	if n, failed, acked := c.Snapshot(); n != 2 || failed != 2 || len(acked) != 0 {
		t.Errorf("batches %d, failed %d, acked %d", n, failed, len(acked))
	}
	if st := in.Stats(); st.Rejected != 2 || st.Docs != 0 || st.BadItems != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestNotRunningAnswers503(t *testing.T) {
	in := New(Options{})
	ts := server(t, in)
	resp, rb := do(t, "POST", ts.URL+"/_bulk", ndjson(`{"index":{"_index":"a"}}`, `{"n":1}`))
	wantError(t, resp, rb, 503, "unavailable_shards_exception", "not running")
	// The probes need no Run.
	if resp, rb := do(t, "GET", ts.URL+"/", nil); resp.StatusCode != 200 {
		t.Errorf("GET /: %d %s", resp.StatusCode, rb)
	}
}

func TestClientGoneDoesNotBlock(t *testing.T) {
	in := New(Options{})
	batches, _, _ := hold(t, in)
	ts := server(t, in)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/_bulk", bytes.NewReader(ndjson(`{"index":{"_index":"a"}}`, `{"n":1}`)))
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	b := <-batches
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the request succeeded, want it cancelled")
	}
	eventually(t, "the handler to give up", func() bool { return in.Stats().Rejected == 1 })
	// A late acknowledgement, even twice, neither blocks nor panics.
	b.Ack(nil)
	b.Ack(errors.New("again"))
	if st := in.Stats(); st.Docs != 0 {
		t.Errorf("docs = %d, want 0 (nobody was answered)", st.Docs)
	}
}

func TestRunStoppingAnswersWaitingRequests(t *testing.T) {
	in := New(Options{})
	batches, stop, runErr := hold(t, in)
	ts := server(t, in)

	type answer struct {
		resp *http.Response
		body []byte
	}
	answers := make(chan answer, 1)
	go func() {
		resp, err := http.Post(ts.URL+"/_bulk", "application/json", bytes.NewReader(ndjson(`{"index":{"_index":"a"}}`, `{"n":1}`)))
		if err != nil {
			t.Error(err)
			close(answers)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answers <- answer{resp, b}
	}()
	<-batches // received, never acknowledged
	stop()
	if err := <-runErr; err != nil {
		t.Errorf("Run: %v", err)
	}
	a, ok := <-answers
	if !ok {
		t.FailNow()
	}
	wantError(t, a.resp, a.body, 503, "unavailable_shards_exception", "shutting down")

	// Stopped, then run again.
	c := run(t, in, nil)
	if resp, rb := do(t, "POST", ts.URL+"/_bulk", ndjson(`{"index":{"_index":"a"}}`, `{"n":2}`)); resp.StatusCode != 200 {
		t.Errorf("after restart: %d %s", resp.StatusCode, rb)
	}
	if _, _, acked := c.Snapshot(); len(acked) != 1 {
		t.Errorf("%d records after restart", len(acked))
	}
}

func TestRunTwice(t *testing.T) {
	in := New(Options{})
	hold(t, in)
	if err := in.Run(context.Background(), make(chan source.Batch)); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run = %v, want already running", err)
	}
	if in.Name() != "bulk" {
		t.Errorf("Name = %q", in.Name())
	}
}
