package bulk

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// readBody reads the whole request body, gzip-decoded when the request says
// so, at most MaxBodyBytes before and after decoding. On failure it answers
// (413 or 400), counts the request as rejected and returns false.
func (in *Input) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := in.opts.MaxBodyBytes
	tooLarge := func() ([]byte, bool) {
		in.rejected.Add(1)
		in.log.Warn("ingest request refused: body too large", "remote", r.RemoteAddr, "limit", limit)
		writeError(w, http.StatusRequestEntityTooLarge, "content_too_long_exception",
			fmt.Sprintf("request body is larger than the limit of %d bytes; send smaller bulk requests (Filebeat: bulk_max_size)", limit))
		return nil, false
	}
	bad := func(reason string) ([]byte, bool) {
		in.rejected.Add(1)
		in.log.Warn("ingest request refused: unreadable body", "remote", r.RemoteAddr, "reason", reason)
		writeError(w, http.StatusBadRequest, "parse_exception", reason)
		return nil, false
	}
	if r.ContentLength > limit {
		return tooLarge()
	}

	var rd io.Reader = http.MaxBytesReader(w, r.Body, limit)
	gzipped := false
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(rd)
		if err != nil {
			if isTooLarge(err) {
				return tooLarge()
			}
			return bad("request body is not valid gzip: " + err.Error())
		}
		defer zr.Close()
		rd, gzipped = zr, true
	default:
		in.rejected.Add(1)
		writeError(w, http.StatusUnsupportedMediaType, "illegal_argument_exception",
			fmt.Sprintf("unsupported Content-Encoding [%s]: send the body as is or gzip-compressed", enc))
		return nil, false
	}

	var buf bytes.Buffer
	if !gzipped && r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(io.LimitReader(rd, limit+1))
	switch {
	case isTooLarge(err), int64(buf.Len()) > limit:
		return tooLarge()
	case err != nil && gzipped:
		return bad("request body is not valid gzip: " + err.Error())
	case err != nil:
		return bad("reading the request body: " + err.Error())
	}
	return buf.Bytes(), true
}

func isTooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// drainBody reads and discards a probe's body (a template, a policy),
// within the size limit, so the connection can be reused.
func (in *Input) drainBody(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, in.opts.MaxBodyBytes))
}
