package bulk

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// endpoint is what a path is served by, and with which methods.
type endpoint struct {
	methods []string
	serve   http.HandlerFunc
}

var (
	readMethods  = []string{http.MethodGet, http.MethodHead}
	writeMethods = []string{http.MethodPost, http.MethodPut}
	// probeMethods serve the configuration objects shippers check and
	// install at startup (templates, policies, pipelines).
	probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete}
)

func (in *Input) serveHTTP(w http.ResponseWriter, r *http.Request) {
	in.requests.Add(1)
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	if !in.opts.Auth.Authorize(w, r) {
		in.rejected.Add(1)
		return
	}
	seg, err := segments(r.URL)
	if err != nil {
		writeError(w, http.StatusBadRequest, "illegal_argument_exception",
			fmt.Sprintf("malformed uri [%s]: %v", r.URL.EscapedPath(), err))
		return
	}
	ep := in.route(seg)
	if ep.serve == nil {
		writeError(w, http.StatusBadRequest, "illegal_argument_exception",
			fmt.Sprintf("no handler found for uri [%s] and method [%s]", r.URL.Path, r.Method))
		return
	}
	if !slices.Contains(ep.methods, r.Method) {
		allowed := strings.Join(ep.methods, ", ")
		w.Header().Set("Allow", allowed)
		writeError(w, http.StatusMethodNotAllowed, "illegal_argument_exception",
			fmt.Sprintf("Incorrect HTTP method for uri [%s] and method [%s], allowed: [%s]", r.URL.Path, r.Method, allowed))
		return
	}
	ep.serve(w, r)
}

// segments splits a URL path into its unescaped, non-empty segments.
func segments(u *url.URL) ([]string, error) {
	var seg []string
	for s := range strings.SplitSeq(u.EscapedPath(), "/") {
		if s == "" {
			continue
		}
		v, err := url.PathUnescape(s)
		if err != nil {
			return nil, err
		}
		seg = append(seg, v)
	}
	return seg, nil
}

// route maps a path to its endpoint; the zero endpoint when there is none.
func (in *Input) route(seg []string) endpoint {
	n := len(seg)
	if n == 0 {
		return endpoint{readMethods, in.serveInfo}
	}
	switch seg[0] {
	case "_bulk":
		if n == 1 {
			return endpoint{writeMethods, func(w http.ResponseWriter, r *http.Request) { in.serveBulk(w, r, "") }}
		}
	case "_license":
		if n == 1 {
			return endpoint{readMethods, in.serveLicense}
		}
	case "_xpack":
		if n == 1 {
			return endpoint{readMethods, in.serveXPack}
		}
	case "_nodes":
		return endpoint{readMethods, in.serveNodes}
	case "_cluster":
		if n == 2 && seg[1] == "health" {
			return endpoint{readMethods, in.serveHealth}
		}
	case "_index_template", "_template", "_component_template":
		kind := seg[0]
		switch n {
		case 1:
			return endpoint{readMethods, func(w http.ResponseWriter, r *http.Request) { serveTemplate(w, r, kind, "") }}
		case 2:
			return endpoint{probeMethods, in.probe(func(w http.ResponseWriter, r *http.Request) { serveTemplate(w, r, kind, seg[1]) }, nil)}
		}
	case "_ilm":
		switch {
		case n == 2 && seg[1] == "status":
			return endpoint{readMethods, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, map[string]string{"operation_mode": "RUNNING"})
			}}
		case n == 2 && seg[1] == "policy":
			return endpoint{readMethods, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, struct{}{}) }}
		case n == 3 && seg[1] == "policy":
			return endpoint{probeMethods, in.probe(func(w http.ResponseWriter, r *http.Request) { in.servePolicy(w, seg[2]) }, nil)}
		}
	case "_ingest":
		switch {
		case n == 2 && seg[1] == "pipeline":
			return endpoint{readMethods, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, struct{}{}) }}
		case n == 3 && seg[1] == "pipeline":
			return endpoint{probeMethods, in.probe(func(w http.ResponseWriter, r *http.Request) { servePipeline(w, seg[2]) }, nil)}
		}
	case "_data_stream":
		if n == 2 {
			return endpoint{probeMethods, in.probe(func(w http.ResponseWriter, r *http.Request) { serveDataStream(w, seg[1]) }, nil)}
		}
	case "_alias":
		if n == 2 {
			return endpoint{readMethods, func(w http.ResponseWriter, r *http.Request) { serveAlias(w, seg[1]+"-000001", seg[1]) }}
		}
	}
	if strings.HasPrefix(seg[0], "_") {
		return endpoint{}
	}

	index := seg[0]
	switch {
	case n == 1:
		return endpoint{[]string{http.MethodGet, http.MethodHead, http.MethodPut}, in.probe(func(w http.ResponseWriter, r *http.Request) { serveIndex(w, index) },
			map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": index})}
	case n == 2 && seg[1] == "_bulk":
		return endpoint{writeMethods, func(w http.ResponseWriter, r *http.Request) { in.serveBulk(w, r, index) }}
	case n == 2 && seg[1] == "_doc":
		return endpoint{[]string{http.MethodPost}, func(w http.ResponseWriter, r *http.Request) { in.serveDoc(w, r, index, "") }}
	case n == 3 && seg[1] == "_doc":
		return endpoint{[]string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut}, func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				writeJSON(w, http.StatusNotFound, map[string]any{"_index": index, "_id": seg[2], "found": false})
				return
			}
			in.serveDoc(w, r, index, seg[2])
		}}
	case n == 3 && seg[1] == "_create":
		return endpoint{writeMethods, func(w http.ResponseWriter, r *http.Request) { in.serveDoc(w, r, index, seg[2]) }}
	case n == 3 && (seg[1] == "_alias" || seg[1] == "_aliases"):
		return endpoint{[]string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost}, in.probe(func(w http.ResponseWriter, r *http.Request) { serveAlias(w, index, seg[2]) }, nil)}
	}
	return endpoint{}
}

// probe wraps the GET answer of a configuration object: HEAD says it
// exists, writes (PUT, POST, DELETE) have their body read and are answered
// with written, or {"acknowledged":true} when it is nil.
func (in *Input) probe(get http.HandlerFunc, written any) http.HandlerFunc {
	if written == nil {
		written = map[string]bool{"acknowledged": true}
	}
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			get(w, r)
		case http.MethodHead:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
		default:
			in.drainBody(w, r)
			writeJSON(w, http.StatusOK, written)
		}
	}
}
