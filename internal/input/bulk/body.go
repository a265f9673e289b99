package bulk

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// readBody reads the whole request body, gzip-decoded when the request says
// so, at most MaxBodyBytes before and after decoding, into memory taken from
// the request's lease as it grows. On failure it answers (413, 400, or 429
// when the in-flight bound is reached), counts the request as rejected and
// returns false.
func (in *Input) readBody(w http.ResponseWriter, r *http.Request, l *lease) ([]byte, bool) {
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
	busy := func() ([]byte, bool) {
		in.reject(w, r, "the request bodies held at once would pass the in-flight bound")
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

	// The buffer grows only as far as the body goes, and only with room
	// taken from the lease: a body announced large but sent slowly holds
	// what it has sent, no more.
	size := int64(64 << 10)
	if !gzipped && r.ContentLength >= 0 {
		// Room to read the end of the body, up to 1 MiB: a larger one
		// grows as it arrives.
		size = min(r.ContentLength+1, 1<<20)
	}
	size = min(size, limit+1)
	if !l.grow(size) {
		return busy()
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return tooLarge()
			}
			next := min(max(2*int64(cap(buf)), 64<<10), limit+1)
			if !l.grow(next - int64(cap(buf))) {
				return busy()
			}
			buf = append(make([]byte, 0, next), buf...)
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		switch {
		case err == nil:
		case isTooLarge(err):
			return tooLarge()
		case gzipped && errors.Is(err, io.ErrUnexpectedEOF):
			return bad("request body is not valid gzip: truncated gzip, the compressed stream ends early")
		case gzipped:
			return bad("request body is not valid gzip: " + err.Error())
		default:
			return bad("reading the request body: " + err.Error())
		}
	}
	if int64(len(buf)) > limit {
		return tooLarge()
	}
	return buf, true
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
