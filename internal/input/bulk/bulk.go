package bulk

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/vigil-project/vigil/internal/source"
)

// serveBulk answers POST|PUT /_bulk and /<index>/_bulk: the valid items go
// to the engine as one batch, the answer waits for its acknowledgement.
func (in *Input) serveBulk(w http.ResponseWriter, r *http.Request, pathIndex string) {
	start := in.opts.Now()
	l := in.admit(w, r)
	if l == nil {
		return
	}
	defer l.release()
	body, ok := in.readBody(w, r, l)
	if !ok {
		return
	}
	items := parseBulk(body, pathIndex, in.opts.DefaultIndex)
	if len(items) == 0 {
		in.rejected.Add(1)
		writeError(w, http.StatusBadRequest, "action_request_validation_exception",
			"Validation Failed: 1: no requests added;")
		return
	}

	var recs []source.Record
	bad, last := 0, ""
	for i := range items {
		it := &items[i]
		if it.err != nil {
			bad++
			last = it.err.reason
			in.log.Debug("bulk item refused", "remote", r.RemoteAddr, "item", i+1, "reason", it.err.reason)
			continue
		}
		givenID := ""
		if it.hasID {
			givenID = it.id
		} else {
			it.id = newID()
		}
		recs = append(recs, source.Record{
			ID:     givenID,
			Data:   it.doc,
			Index:  it.index,
			Origin: fmt.Sprintf("bulk %s item %d", r.RemoteAddr, i+1),
		})
	}
	in.noteBad(r.RemoteAddr, bad, last)
	if bad > 0 {
		in.log.Warn("bulk items refused", "remote", r.RemoteAddr, "refused", bad, "items", len(items), "last", last)
	}

	if len(recs) > 0 {
		if err := in.deliver(r.Context(), l, recs); err != nil {
			in.answerUndelivered(w, r, len(recs), err)
			return
		}
		in.docs.Add(int64(len(recs)))
	}

	// The answer is streamed item by item: a 100 MB request has hundreds
	// of thousands of items, which must not be built in memory at once.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, `{"took":%d,"errors":%t,"items":[`, in.opts.Now().Sub(start).Milliseconds(), bad > 0)
	enc := json.NewEncoder(bw)
	for i := range items {
		it := &items[i]
		if i > 0 {
			bw.WriteByte(',')
		}
		if it.err != nil {
			f := &failed{Index: it.index, Status: it.err.status, Error: cause{Type: it.err.typ, Reason: it.err.reason}}
			if it.hasID {
				f.ID = &it.id
			}
			enc.Encode(bulkItem{action: it.action, result: f})
			continue
		}
		seq := in.seq.Add(1) - 1
		enc.Encode(bulkItem{action: it.action, result: newCreated(it.index, it.id, seq, http.StatusCreated)})
	}
	bw.WriteString("]}")
	bw.Flush()
}

// serveDoc answers the single-document APIs: POST /<index>/_doc (id ""),
// PUT|POST /<index>/_doc/<id> and /<index>/_create/<id>.
func (in *Input) serveDoc(w http.ResponseWriter, r *http.Request, index, id string) {
	l := in.admit(w, r)
	if l == nil {
		return
	}
	defer l.release()
	body, ok := in.readBody(w, r, l)
	if !ok {
		return
	}
	// Unlike a bulk line, this document may span lines.
	doc := bytes.TrimSpace(body)
	doc = doc[:len(doc):len(doc)]
	if why := checkDoc(doc); why != "" {
		in.noteBad(r.RemoteAddr, 1, "document: "+why)
		writeError(w, http.StatusBadRequest, "mapper_parsing_exception", "failed to parse the document: "+why)
		return
	}
	if len(id) > maxIDBytes {
		in.noteBad(r.RemoteAddr, 1, "document: _id too long")
		writeError(w, http.StatusBadRequest, "action_request_validation_exception",
			fmt.Sprintf("_id is %d bytes long, more than the limit of %d", len(id), maxIDBytes))
		return
	}
	rec := source.Record{ID: id, Data: doc, Index: index, Origin: fmt.Sprintf("bulk %s item 1", r.RemoteAddr)}
	if id == "" {
		id = newID()
	}
	if err := in.deliver(r.Context(), l, []source.Record{rec}); err != nil {
		in.answerUndelivered(w, r, 1, err)
		return
	}
	in.docs.Add(1)
	w.Header().Set("Location", "/"+url.PathEscape(index)+"/_doc/"+url.PathEscape(id))
	writeJSON(w, http.StatusCreated, newCreated(index, id, in.seq.Add(1)-1, 0))
}

// newID returns a random document id of 20 URL-safe characters, the shape
// of Elasticsearch's generated ids.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand aborts the program instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
