package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
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
	h := sha256.New()
	writeCanonical(h, doc, "")
	return hex.EncodeToString(h.Sum(nil))
}

type writer interface{ Write([]byte) (int, error) }

// writeCanonical writes x as compact JSON with sorted keys, leaving out
// event.ingested and event.original (as dotted keys or nested).
func writeCanonical(w writer, x any, path string) {
	switch t := x.(type) {
	case map[string]any:
		w.Write([]byte("{"))
		first := true
		for _, k := range sortedKeys(t) {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if p == "event.ingested" || p == "event.original" {
				continue
			}
			if !first {
				w.Write([]byte(","))
			}
			first = false
			w.Write([]byte(strconv.Quote(k)))
			w.Write([]byte(":"))
			writeCanonical(w, t[k], p)
		}
		w.Write([]byte("}"))
	case []any:
		w.Write([]byte("["))
		for i, el := range t {
			if i > 0 {
				w.Write([]byte(","))
			}
			writeCanonical(w, el, path)
		}
		w.Write([]byte("]"))
	default:
		b, err := json.Marshal(t)
		if err != nil {
			fmt.Fprintf(w, "%q", fmt.Sprint(t))
			return
		}
		w.Write(b)
	}
}
