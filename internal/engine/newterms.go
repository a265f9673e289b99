package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
)

// NewTerms is a new_terms rule's configuration (spec §4.7): an alert on the
// first document carrying a combination of values of Fields not seen in
// the History before the rule's look-back.
type NewTerms struct {
	Fields []string
	// History is how far before an execution the history window starts
	// (now - history_window_start); it ends where the look-back starts.
	History time.Duration
}

// Combos returns the value combinations of a document: one per element of
// the cartesian product of the fields' values (an array yields one term per
// value). A document lacking a field has none.
func (n *NewTerms) Combos(doc map[string]any) [][]any {
	combos := [][]any{nil}
	for _, f := range n.Fields {
		v, ok := alert.Lookup(doc, f)
		if !ok {
			return nil
		}
		var vals []any
		if arr, isArr := v.([]any); isArr {
			for _, x := range arr {
				if x != nil {
					vals = append(vals, scalar(x))
				}
			}
		} else {
			vals = []any{scalar(v)}
		}
		if len(vals) == 0 {
			return nil
		}
		var next [][]any
		for _, c := range combos {
			for _, x := range vals {
				next = append(next, append(append([]any(nil), c...), x))
			}
		}
		combos = next
	}
	return combos
}

// ComboKey is a stable key of a value combination.
func ComboKey(c []any) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// NewTermsAlertID is the id of a new terms alert: a hash of the index,
// event id, space and rule, and the new values.
func NewTermsAlertID(index, eventID, space, ruleUUID string, values []any) string {
	b, _ := json.Marshal([]any{index, eventID, "undefined", space + ":" + ruleUUID, values})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// NewTermsDoc turns a match's alert document into the new terms alert for
// values.
func NewTermsDoc(m Match, space string, values []any) (string, map[string]any) {
	return newTermsDoc(m, m.Doc, space, values)
}

// newTermsDoc is NewTermsDoc with the match's alert document src.
func newTermsDoc(m Match, src map[string]any, space string, values []any) (string, map[string]any) {
	doc := make(map[string]any, len(src)+2)
	for k, v := range src {
		doc[k] = v
	}
	id := NewTermsAlertID(m.Index, m.EventID, space, m.Rule.Alert.UUID, values)
	doc["kibana.alert.uuid"] = id
	doc["kibana.alert.new_terms"] = values
	return id, doc
}
