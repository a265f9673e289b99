package sink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeES implements enough of Elasticsearch's _bulk API: create actions
// store documents by index and _id, an existing _id answers 409, and
// failures can be injected per _id.
type fakeES struct {
	t    *testing.T
	auth string // required Authorization header, if set

	mu       sync.Mutex
	docs     map[string]map[string]json.RawMessage // index -> _id -> document
	inject   map[string][]int                      // _id -> statuses to answer first
	requests [][]string                            // the _ids of each _bulk request
	answer   func(w http.ResponseWriter) bool      // answers the whole request instead, if it returns true
}

func newFakeES(t *testing.T) *fakeES {
	return &fakeES{t: t, docs: map[string]map[string]json.RawMessage{}, inject: map[string][]int{}}
}

func (es *fakeES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_bulk" || r.Method != http.MethodPost {
		http.Error(w, `{"error":"no handler"}`, http.StatusNotFound)
		return
	}
	if es.auth != "" && r.Header.Get("Authorization") != es.auth {
		http.Error(w, `{"error":{"type":"security_exception","reason":"missing authentication credentials"}}`, http.StatusUnauthorized)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		http.Error(w, "content type "+ct, http.StatusNotAcceptable)
		return
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.answer != nil && es.answer(w) {
		return
	}
	type item struct {
		Index  string `json:"_index"`
		ID     string `json:"_id"`
		Status int    `json:"status"`
		Error  any    `json:"error,omitempty"`
	}
	var items []map[string]item
	var seen []string
	errs := false
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil || len(action) != 1 {
			http.Error(w, fmt.Sprintf(`{"error":"bad action line %q"}`, sc.Text()), http.StatusBadRequest)
			return
		}
		meta, ok := action["create"]
		if !ok || !sc.Scan() {
			http.Error(w, `{"error":"want create with a document"}`, http.StatusBadRequest)
			return
		}
		doc := json.RawMessage(append([]byte(nil), sc.Bytes()...))
		if !json.Valid(doc) {
			http.Error(w, `{"error":"bad document"}`, http.StatusBadRequest)
			return
		}
		seen = append(seen, meta.ID)
		it := item{Index: meta.Index, ID: meta.ID, Status: http.StatusCreated}
		if inj := es.inject[meta.ID]; len(inj) > 0 {
			es.inject[meta.ID] = inj[1:]
			it.Status = inj[0]
			it.Error = map[string]any{"type": "injected", "reason": fmt.Sprintf("status %d for %s", inj[0], meta.ID)}
			if inj[0] == http.StatusBadRequest {
				it.Error = map[string]any{"type": "document_parsing_exception", "reason": "failed to parse field [pad]",
					"caused_by": map[string]any{"type": "illegal_argument_exception", "reason": "not a date"}}
			}
		} else if _, exists := es.docs[meta.Index][meta.ID]; exists {
			it.Status = http.StatusConflict
			it.Error = map[string]any{"type": "version_conflict_engine_exception", "reason": "document already exists"}
		} else {
			if es.docs[meta.Index] == nil {
				es.docs[meta.Index] = map[string]json.RawMessage{}
			}
			es.docs[meta.Index][meta.ID] = doc
		}
		errs = errs || it.Error != nil
		items = append(items, map[string]item{"create": it})
	}
	es.requests = append(es.requests, seen)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"took": 3, "errors": errs, "items": items})
}

func (es *fakeES) stored(index string) []string {
	es.mu.Lock()
	defer es.mu.Unlock()
	return slices.Sorted(maps.Keys(es.docs[index]))
}

func (es *fakeES) sent() [][]string {
	es.mu.Lock()
	defer es.mu.Unlock()
	return append([][]string(nil), es.requests...)
}

func newESSink(t *testing.T, opts ElasticsearchOptions) *Elasticsearch {
	t.Helper()
	s, err := NewElasticsearch(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestElasticsearchCreatesAlertsAndConflictsCountAsStored(t *testing.T) {
	es := newFakeES(t)
	es.auth = "ApiKey a2V5OnNlY3JldA=="
	srv := httptest.NewServer(es)
	defer srv.Close()
	s := newESSink(t, ElasticsearchOptions{URL: srv.URL + "/", APIKey: "a2V5OnNlY3JldA=="})
	batch := testAlerts(3, 0)
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	// Re-delivery: every item is a 409, which means stored.
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatalf("re-delivery: %v", err)
	}
	if diff := cmp.Diff(ids(batch), es.stored(DefaultAlertsIndex)); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	es.mu.Lock()
	doc := es.docs[DefaultAlertsIndex]["a0001"]
	es.mu.Unlock()
	if !jsonEqual(t, doc, batch[1].Doc) {
		t.Errorf("stored document %s, want %s", doc, batch[1].Doc)
	}
	if got, want := s.Stats(), (Stats{Written: 6}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestElasticsearchRetriesOnlyTransientItems(t *testing.T) {
	es := newFakeES(t)
	es.auth = "Basic dmlnaWw6cHc=" // vigil:pw
	es.inject["a0001"] = []int{429, 503}
	es.inject["a0003"] = []int{400}
	srv := httptest.NewServer(es)
	defer srv.Close()
	s := newESSink(t, ElasticsearchOptions{URL: srv.URL, Index: "alerts-vigil", Username: "vigil", Password: "pw"})
	r := Retry(s, RetryOptions{Sleep: noSleep})
	err := r.Write(context.Background(), testAlerts(4, 0))
	if !IsPermanent(err) || !strings.Contains(err.Error(), "alert a0003: status 400: document_parsing_exception: failed to parse field [pad] (caused by illegal_argument_exception: not a date)") {
		t.Fatalf("err = %v, want a0003 rejected with its reason", err)
	}
	want := [][]string{{"a0000", "a0001", "a0002", "a0003"}, {"a0001"}, {"a0001"}}
	if diff := cmp.Diff(want, es.sent()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a0000", "a0001", "a0002"}, es.stored("alerts-vigil")); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if got, want := r.Stats(), (Stats{Written: 3, Rejected: 1, Failures: 2, Retries: 2}); got != want {
		t.Errorf("retry stats %+v, want %+v", got, want)
	}
}

func TestElasticsearchRequestFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answer    func(w http.ResponseWriter)
		permanent bool
		want      string
	}{
		{"unavailable", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "4")
			http.Error(w, `{"error":"cluster_block_exception"}`, http.StatusServiceUnavailable)
		}, false, "503 Service Unavailable"},
		{"forbidden", func(w http.ResponseWriter) {
			http.Error(w, `{"error":{"type":"security_exception","reason":"action [indices:data/write/bulk] is unauthorized"}}`, http.StatusForbidden)
		}, true, "is unauthorized"},
		{"too large", func(w http.ResponseWriter) { w.WriteHeader(http.StatusRequestEntityTooLarge) }, true, "http.max_content_length"},
		{"not elasticsearch", func(w http.ResponseWriter) { fmt.Fprint(w, "<html>login</html>") }, true, "unreadable _bulk response"},
		{"items missing", func(w http.ResponseWriter) { fmt.Fprint(w, `{"errors":false,"items":[]}`) }, true, "answered 0 items for 2 documents"},
		{"items for other ids", func(w http.ResponseWriter) {
			fmt.Fprint(w, `{"errors":false,"items":[{"create":{"_id":"x","status":201}},{"create":{"_id":"y","status":201}}]}`)
		}, true, `is for _id "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := newFakeES(t)
			es.answer = func(w http.ResponseWriter) bool { tc.answer(w); return true }
			srv := httptest.NewServer(es)
			defer srv.Close()
			err := newESSink(t, ElasticsearchOptions{URL: srv.URL}).Write(context.Background(), testAlerts(2, 0))
			if err == nil || IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want permanent=%v and %q", err, tc.permanent, tc.want)
			}
			var ra *RetryAfterError
			if tc.name == "unavailable" && (!errors.As(err, &ra) || ra.After.Seconds() != 4) {
				t.Errorf("no Retry-After of 4s in %#v", err)
			}
		})
	}
}

func TestElasticsearchTLSWithCAFile(t *testing.T) {
	es := newFakeES(t)
	srv := httptest.NewUnstartedServer(es)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake the test makes fail
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := newESSink(t, ElasticsearchOptions{URL: srv.URL, CAFile: ca}).Write(context.Background(), testAlerts(1, 0)); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	err := newESSink(t, ElasticsearchOptions{URL: srv.URL}).Write(context.Background(), testAlerts(1, 1))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: err = %v, want a certificate error", err)
	}
	if got := es.stored(DefaultAlertsIndex); !cmp.Equal(got, []string{"a0000"}) {
		t.Errorf("stored %v", got)
	}
}

func TestElasticsearchOptionErrors(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	for _, opts := range []ElasticsearchOptions{
		{},
		{URL: "localhost:9200"},
		{URL: "http://es:9200", Index: "a,b"},
		{URL: "http://es:9200", APIKey: "k", Username: "u"},
		{URL: "http://es:9200", CAFile: notPEM},
		{URL: "http://es:9200", CAFile: filepath.Join(t.TempDir(), "missing.pem")},
	} {
		if _, err := NewElasticsearch(opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
	s, err := NewElasticsearch(ElasticsearchOptions{URL: "https://u:pw@es.example:9200"})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Name(); strings.Contains(n, "pw@") || !strings.HasSuffix(n, "/"+DefaultAlertsIndex) {
		t.Errorf("Name() = %q", n)
	}
}

func TestElasticsearchRejectsAlertsWithoutIDBeforeSending(t *testing.T) {
	es := newFakeES(t)
	srv := httptest.NewServer(es)
	defer srv.Close()
	batch := testAlerts(2, 0)
	batch[0].ID = ""
	batch[1].Doc = bytes.Repeat([]byte("x"), 3)
	err := newESSink(t, ElasticsearchOptions{URL: srv.URL}).Write(context.Background(), batch)
	if !IsPermanent(err) || len(es.sent()) != 0 {
		t.Errorf("err = %v, %d requests; want permanent and none", err, len(es.sent()))
	}
}
