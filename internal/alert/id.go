package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/vigil-project/vigil/internal/event"
)

// ID is the alert id (kibana.alert.uuid) Kibana's detection engine gives an
// alert of a query rule: hex SHA-256 of the event's index, its id and
// version, the space and the rule's id. Kibana does not fetch document
// versions, so the version is the string "undefined" there and here. The
// same event seen again by the same rule gets the same id, which is how
// overlapping windows and re-runs never duplicate an alert.
func ID(index, eventID, space, ruleUUID string) string {
	h := sha256.New()
	h.Write([]byte(index))
	h.Write([]byte(eventID))
	h.Write([]byte("undefined"))
	h.Write([]byte(space))
	h.Write([]byte(":"))
	h.Write([]byte(ruleUUID))
	return hex.EncodeToString(h.Sum(nil))
}

// EventID is the stable id of an event: its `_id` when the document carries
// one (events shipped through the _bulk API do), else the hex SHA-256 of its
// canonical JSON (keys sorted, compact) without event.ingested, which
// streaming sets on arrival and so differs between deliveries of one event,
// and without event.original, the raw text the other fields were parsed
// from, whose layout (a pretty-printed or compact export of the same record)
// must not make the same event a new one.
func EventID(doc map[string]any) string {
	if id, ok := doc["_id"].(string); ok && id != "" {
		return id
	}
	bp := canonicalBufs.Get().(*[]byte)
	b := appendCanonical((*bp)[:0], doc, "")
	sum := sha256.Sum256(b)
	*bp = b
	canonicalBufs.Put(bp)
	return hex.EncodeToString(sum[:])
}

// canonicalBufs holds the buffers EventID writes canonical JSON into.
var canonicalBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendCanonical appends x as compact JSON with sorted keys, leaving out
// event.ingested and event.original (as dotted keys or nested). path is
// where x is, as far as that decision needs it: "" at the top, "event"
// under the top-level event object, "-" anywhere else. Keys are quoted as
// strconv.Quote does and leaves encoded as encoding/json does: the bytes,
// and so the ids of the events already stored, are those of every earlier
// version.
func appendCanonical(b []byte, x any, path string) []byte {
	switch t := x.(type) {
	case map[string]any:
		b = append(b, '{')
		first := true
		var buf [32]event.Pair
		for _, p := range event.SortedPairs(buf[:], t) {
			k := p.Key
			if path == "" && (k == "event.ingested" || k == "event.original") ||
				path == "event" && (k == "ingested" || k == "original") {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			if plainQuote(k) {
				b = append(b, '"')
				b = append(b, k...)
				b = append(b, '"', ':')
			} else {
				b = strconv.AppendQuote(b, k)
				b = append(b, ':')
			}
			child := "-"
			if path == "" && (k == "event" || k == "") {
				child = k
			}
			b = appendCanonical(b, p.Value, child)
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, el := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, el, path)
		}
		return append(b, ']')
	case string:
		if plainJSON(t) {
			b = append(b, '"')
			b = append(b, t...)
			return append(b, '"')
		}
	}
	v, err := json.Marshal(x)
	if err != nil {
		return strconv.AppendQuote(b, fmt.Sprint(x))
	}
	return append(b, v...)
}

// plainQuote reports whether strconv.Quote writes s as it is between
// quotes: printable ASCII without '"' or '\\'.
func plainQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// plainJSON reports whether encoding/json writes s as it is between
// quotes: printable ASCII without '"', '\\' or the HTML characters it
// escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
