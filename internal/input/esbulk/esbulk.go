// Package esbulk is an Elasticsearch-compatible ingest API: the part of
// Elasticsearch's HTTP interface that log shippers use to index events, so
// that Filebeat, Elastic Agent, Logstash and rsyslog's omelasticsearch can
// ship to `vigil serve` unchanged (point their Elasticsearch output at it).
//
// Supported: GET and HEAD / (cluster information, with the
// X-Elastic-Product header the official clients check), POST|PUT /_bulk and
// /<index>/_bulk (index and create actions; delete and update are refused
// per item, as Vigil stores no documents), POST /<index>/_doc,
// PUT|POST /<index>/_doc/<id> and /<index>/_create/<id>, and the probes
// shippers send at startup (license, xpack, nodes, index templates, ILM
// policies, index existence), answered with plausible success.
//
// A request becomes one batch; the response is written only once the batch
// is acknowledged, that is once every alert it caused is stored. A failed
// acknowledgement answers 503 for the whole request, so the shipper retries
// it. Malformed lines get a per-item error in the bulk response, as
// Elasticsearch returns them, and the other items go on. Authentication and
// TLS are the HTTP server's (see serve.Auth).
package esbulk

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/source"
)

// Options configure the ingest API.
type Options struct {
	Name         string // input name (default "bulk")
	DefaultIndex string // index of documents whose action names none ("" resolves per event)
	MaxBodyBytes int64  // larger requests get 413 (default 100 MiB)
	Logger       *slog.Logger
}

// Input is the ingest API: an http.Handler and a source.Source.
type Input struct {
	opts  Options
	out   atomic.Pointer[chan<- source.Batch]
	ready chan struct{}
	ctx   atomic.Pointer[context.Context]

	requests, docs, badItems, rejected atomic.Int64
}

// New returns the ingest API.
func New(opts Options) *Input {
	if opts.Name == "" {
		opts.Name = "bulk"
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 100 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Input{opts: opts, ready: make(chan struct{})}
}

// Name implements source.Source.
func (in *Input) Name() string { return in.opts.Name }

// Run implements source.Source: it hands the handler the channel batches
// go to, and returns when ctx is done.
func (in *Input) Run(ctx context.Context, out chan<- source.Batch) error {
	in.out.Store(&out)
	in.ctx.Store(&ctx)
	close(in.ready)
	<-ctx.Done()
	return nil
}

// Stats are the API's counters.
type Stats struct{ Requests, Docs, BadItems, Rejected int64 }

// Stats returns the counters.
func (in *Input) Stats() Stats {
	return Stats{Requests: in.requests.Load(), Docs: in.docs.Load(), BadItems: in.badItems.Load(), Rejected: in.rejected.Load()}
}

// Handler returns the HTTP handler.
func (in *Input) Handler() http.Handler { return http.HandlerFunc(in.serve) }

func (in *Input) serve(w http.ResponseWriter, r *http.Request) {
	in.requests.Add(1)
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		parts = nil
	}
	switch {
	case len(parts) == 0:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			in.fail(w, http.StatusMethodNotAllowed, "illegal_argument_exception", "use GET / for cluster information")
			return
		}
		writeJSON(w, http.StatusOK, clusterInfo)
	case parts[0] == "_bulk" && len(parts) == 1:
		in.bulk(w, r, "")
	case len(parts) == 2 && parts[1] == "_bulk" && !strings.HasPrefix(parts[0], "_"):
		in.bulk(w, r, parts[0])
	case len(parts) >= 2 && !strings.HasPrefix(parts[0], "_") && (parts[1] == "_doc" || parts[1] == "_create"):
		in.single(w, r, parts)
	default:
		in.probe(w, r, parts)
	}
}

var clusterInfo = map[string]any{
	"name":         "vigil",
	"cluster_name": "vigil",
	"cluster_uuid": "vigil-ingest-0000000000",
	"version": map[string]any{
		"number":                              "8.17.0",
		"build_flavor":                        "default",
		"build_type":                          "vigil",
		"build_hash":                          "vigil",
		"build_date":                          "2026-01-01T00:00:00.000Z",
		"build_snapshot":                      false,
		"lucene_version":                      "9.12.0",
		"minimum_wire_compatibility_version":  "7.17.0",
		"minimum_index_compatibility_version": "7.0.0",
	},
	"tagline": "You Know, for Search",
}

// probe answers the requests shippers make before indexing.
func (in *Input) probe(w http.ResponseWriter, r *http.Request, parts []string) {
	switch parts[0] {
	case "_license":
		writeJSON(w, 200, map[string]any{"license": map[string]any{"status": "active", "type": "basic", "uid": "vigil"}})
	case "_xpack":
		writeJSON(w, 200, map[string]any{"build": map[string]any{}, "features": map[string]any{}, "license": map[string]any{"status": "active", "type": "basic"}})
	case "_nodes":
		writeJSON(w, 200, map[string]any{"_nodes": map[string]any{"total": 1, "successful": 1, "failed": 0}, "cluster_name": "vigil",
			"nodes": map[string]any{"vigil": map[string]any{"name": "vigil", "version": "8.17.0", "roles": []string{"ingest", "data"}}}})
	case "_cluster":
		writeJSON(w, 200, map[string]any{"cluster_name": "vigil", "status": "green", "number_of_nodes": 1})
	case "_index_template", "_component_template", "_template", "_ingest":
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			// Shippers install templates and pipelines when missing: say
			// they exist, since Vigil has no use for them.
			writeJSON(w, 200, map[string]any{"index_templates": []any{}, "component_templates": []any{}})
			return
		}
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	case "_ilm", "_data_stream", "_alias", "_aliases":
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			writeJSON(w, 200, map[string]any{})
			return
		}
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	default:
		if strings.HasPrefix(parts[0], "_") || len(parts) > 1 {
			in.fail(w, http.StatusBadRequest, "illegal_argument_exception",
				fmt.Sprintf("vigil does not implement %s %s: it accepts _bulk and _doc requests", r.Method, r.URL.Path))
			return
		}
		// HEAD/GET/PUT /<index>: the index "exists" (or is created).
		switch r.Method {
		case http.MethodHead:
			w.WriteHeader(200)
		case http.MethodPut:
			writeJSON(w, 200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": parts[0]})
		default:
			writeJSON(w, 200, map[string]any{parts[0]: map[string]any{}})
		}
	}
}

// item is one document of a request, or the error standing in its place.
type item struct {
	action string // index or create
	index  string
	id     string
	doc    []byte
	status int
	errTyp string
	reason string
}

func (in *Input) bulk(w http.ResponseWriter, r *http.Request, pathIndex string) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		in.fail(w, http.StatusMethodNotAllowed, "illegal_argument_exception", "use POST for _bulk")
		return
	}
	body, ok := in.body(w, r)
	if !ok {
		return
	}
	if pathIndex == "" {
		pathIndex = in.opts.DefaultIndex
	}
	var items []*item
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), int(in.opts.MaxBodyBytes)+1)
	lineNo := 0
	next := func() ([]byte, bool) {
		for sc.Scan() {
			lineNo++
			if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
				return b, true
			}
		}
		return nil, false
	}
	for {
		line, ok := next()
		if !ok {
			break
		}
		actLine := lineNo
		var act map[string]map[string]any
		if err := json.Unmarshal(line, &act); err != nil || len(act) != 1 {
			items = append(items, &item{action: "index", index: pathIndex, status: 400, errTyp: "illegal_argument_exception",
				reason: fmt.Sprintf("line %d: malformed action/metadata line: expected {\"index\":{...}} or {\"create\":{...}}", actLine)})
			continue
		}
		var name string
		var meta map[string]any
		for k, v := range act {
			name, meta = k, v
		}
		it := &item{action: name, index: pathIndex}
		if s, ok := meta["_index"].(string); ok && s != "" {
			it.index = s
		}
		if s, ok := meta["_id"].(string); ok {
			it.id = s
		}
		switch name {
		case "index", "create":
			doc, ok := next()
			if !ok {
				it.status, it.errTyp, it.reason = 400, "action_request_validation_exception", fmt.Sprintf("line %d: the %s action has no document line after it", actLine, name)
			} else if doc[0] != '{' || !json.Valid(doc) {
				it.status, it.errTyp, it.reason = 400, "document_parsing_exception", fmt.Sprintf("line %d: the document is not a valid JSON object", lineNo)
			} else {
				it.doc = doc
			}
		case "delete":
			it.status, it.errTyp, it.reason = 400, "illegal_argument_exception", fmt.Sprintf("line %d: vigil evaluates events and stores none: delete is not supported", actLine)
		case "update":
			next() // its body line
			it.status, it.errTyp, it.reason = 400, "illegal_argument_exception", fmt.Sprintf("line %d: vigil evaluates events and stores none: update is not supported", actLine)
		default:
			it.action = "index"
			it.status, it.errTyp, it.reason = 400, "illegal_argument_exception", fmt.Sprintf("line %d: unknown action %q: use index or create", actLine, name)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		in.fail(w, http.StatusBadRequest, "parse_exception", fmt.Sprintf("reading the bulk body: %v", err))
		return
	}
	if len(items) == 0 {
		in.fail(w, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
		return
	}
	start := time.Now()
	if !in.submit(w, r, items) {
		return
	}
	resp := map[string]any{"took": time.Since(start).Milliseconds(), "errors": false}
	out := make([]any, 0, len(items))
	for _, it := range items {
		res := map[string]any{"_index": it.index, "_id": it.id, "status": it.status}
		if it.errTyp != "" {
			resp["errors"] = true
			res["error"] = map[string]any{"type": it.errTyp, "reason": it.reason}
		} else {
			res["_version"] = 1
			res["result"] = "created"
			res["_shards"] = map[string]any{"total": 1, "successful": 1, "failed": 0}
			res["_seq_no"] = 0
			res["_primary_term"] = 1
		}
		out = append(out, map[string]any{it.action: res})
	}
	resp["items"] = out
	writeJSON(w, http.StatusOK, resp)
}

func (in *Input) single(w http.ResponseWriter, r *http.Request, parts []string) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		in.fail(w, http.StatusMethodNotAllowed, "illegal_argument_exception", "use POST or PUT to index a document")
		return
	}
	body, ok := in.body(w, r)
	if !ok {
		return
	}
	it := &item{action: "index", index: parts[0]}
	if parts[1] == "_create" {
		it.action = "create"
	}
	if len(parts) > 2 {
		it.id = parts[2]
	}
	doc := bytes.TrimSpace(body)
	if len(doc) == 0 || doc[0] != '{' || !json.Valid(doc) {
		in.badItems.Add(1)
		in.fail(w, http.StatusBadRequest, "document_parsing_exception", "the request body is not a valid JSON object")
		return
	}
	it.doc = doc
	if !in.submit(w, r, []*item{it}) {
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"_index": it.index, "_id": it.id, "_version": 1, "result": "created",
		"_shards": map[string]any{"total": 1, "successful": 1, "failed": 0}, "_seq_no": 0, "_primary_term": 1})
}

// body reads the request body, gunzipping it, within the size limit.
func (in *Input) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	rd := io.Reader(http.MaxBytesReader(w, r.Body, in.opts.MaxBodyBytes))
	if strings.Contains(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			in.fail(w, http.StatusBadRequest, "parse_exception", "Content-Encoding is gzip but the body is not: "+err.Error())
			return nil, false
		}
		rd = io.LimitReader(zr, in.opts.MaxBodyBytes+1)
	}
	body, err := io.ReadAll(rd)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || int64(len(body)) > in.opts.MaxBodyBytes {
		in.rejected.Add(1)
		in.fail(w, http.StatusRequestEntityTooLarge, "content_too_long_exception",
			fmt.Sprintf("request body is larger than the limit of %d bytes: send smaller bulk requests (bulk_max_size) or raise http.max_body_bytes", in.opts.MaxBodyBytes))
		return nil, false
	}
	if err != nil {
		in.fail(w, http.StatusBadRequest, "parse_exception", "reading the request body: "+err.Error())
		return nil, false
	}
	return body, true
}

// submit sends the good items as one batch and waits for its
// acknowledgement; it answers the request itself when that fails.
func (in *Input) submit(w http.ResponseWriter, r *http.Request, items []*item) bool {
	var b source.Batch
	for i, it := range items {
		if it.errTyp != "" {
			in.badItems.Add(1)
			continue
		}
		if it.id == "" {
			it.id = newID()
		}
		it.status = 201
		b.Records = append(b.Records, source.Record{Data: it.doc, Index: it.index,
			Origin: fmt.Sprintf("bulk %s item %d", r.RemoteAddr, i)})
	}
	if len(b.Records) == 0 {
		return true
	}
	select {
	case <-in.ready:
	case <-r.Context().Done():
		return false
	case <-time.After(10 * time.Second):
		in.fail(w, http.StatusServiceUnavailable, "unavailable_shards_exception", "vigil is starting: retry")
		return false
	}
	out := *in.out.Load()
	runCtx := *in.ctx.Load()
	done := make(chan error, 1)
	b.Ack = func(err error) { done <- err }
	select {
	case out <- b:
	case <-r.Context().Done():
		return false
	case <-runCtx.Done():
		in.fail(w, http.StatusServiceUnavailable, "node_closed_exception", "vigil is shutting down: retry")
		return false
	}
	// Once sent, the batch is processed even if the client goes away; the
	// answer waits for its acknowledgement.
	if err := <-done; err != nil {
		in.fail(w, http.StatusServiceUnavailable, "unavailable_shards_exception",
			"the events were not processed ("+err.Error()+"): retry the request")
		return false
	}
	in.docs.Add(int64(len(b.Records)))
	return true
}

func (in *Input) fail(w http.ResponseWriter, status int, typ, reason string) {
	writeJSON(w, status, map[string]any{
		"error":  map[string]any{"root_cause": []any{map[string]any{"type": typ, "reason": reason}}, "type": typ, "reason": reason},
		"status": status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func newID() string {
	var b [15]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
