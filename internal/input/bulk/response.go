package bulk

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// cause is an Elasticsearch error: a type such as
// "mapper_parsing_exception" and a sentence.
type cause struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// errorBody is Elasticsearch's error response:
// {"error":{"root_cause":[...],"type":...,"reason":...},"status":N}.
type errorBody struct {
	Error struct {
		RootCause []cause             `json:"root_cause"`
		Type      string              `json:"type"`
		Reason    string              `json:"reason"`
		Header    map[string][]string `json:"header,omitempty"`
	} `json:"error"`
	Status int `json:"status"`
}

func newErrorBody(status int, typ, reason string) *errorBody {
	b := &errorBody{Status: status}
	b.Error.RootCause = []cause{{Type: typ, Reason: reason}}
	b.Error.Type, b.Error.Reason = typ, reason
	return b
}

// writeError answers with an Elasticsearch error.
func writeError(w http.ResponseWriter, status int, typ, reason string) {
	writeJSON(w, status, newErrorBody(status, typ, reason))
}

// writeJSON answers with v as JSON. A HEAD request gets the headers only
// (net/http drops the body).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only the package's own types are written; this is a bug.
		status = http.StatusInternalServerError
		body, _ = json.Marshal(newErrorBody(status, "exception", "encoding the response: "+err.Error()))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// shards is the _shards object of write responses.
type shards struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	Failed     int `json:"failed"`
}

// created answers a document accepted: a bulk item (with status) or the
// single-document response (without).
type created struct {
	Index       string `json:"_index"`
	ID          string `json:"_id"`
	Version     int    `json:"_version"`
	Result      string `json:"result"`
	Shards      shards `json:"_shards"`
	SeqNo       int64  `json:"_seq_no"`
	PrimaryTerm int    `json:"_primary_term"`
	Status      int    `json:"status,omitempty"`
}

func newCreated(index, id string, seq int64, status int) *created {
	return &created{
		Index: index, ID: id, Version: 1, Result: "created",
		Shards: shards{Total: 1, Successful: 1}, SeqNo: seq, PrimaryTerm: 1, Status: status,
	}
}

// failed answers a refused bulk item.
type failed struct {
	Index  string  `json:"_index"`
	ID     *string `json:"_id"`
	Status int     `json:"status"`
	Error  cause   `json:"error"`
}

// bulkItem is one entry of a bulk response's items: {"<action>": result}.
type bulkItem struct {
	action string
	result any // *created or *failed
}

func (b bulkItem) MarshalJSON() ([]byte, error) {
	r, err := json.Marshal(b.result)
	if err != nil {
		return nil, err
	}
	k, err := json.Marshal(b.action)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(k)+len(r)+3)
	out = append(out, '{')
	out = append(out, k...)
	out = append(out, ':')
	out = append(out, r...)
	return append(out, '}'), nil
}
