package sink

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// appendDoc appends a's document to dst on one line (compacted, so that
// NDJSON and _bulk bodies stay line-oriented), or says why it cannot be
// written: every sink refuses a document that is not a JSON object rather
// than pass it on.
func appendDoc(dst *bytes.Buffer, a Alert) error {
	trimmed := bytes.TrimSpace(a.Doc)
	if len(trimmed) == 0 {
		return Permanent(fmt.Errorf("alert %q has no document", a.ID))
	}
	if trimmed[0] != '{' {
		return Permanent(fmt.Errorf("alert %q: document is not a JSON object", a.ID))
	}
	mark := dst.Len()
	if err := json.Compact(dst, trimmed); err != nil {
		dst.Truncate(mark)
		return Permanent(fmt.Errorf("alert %q: document is not valid JSON: %v", a.ID, err))
	}
	return nil
}

// compactDoc returns a's document on one line, or why it cannot be written.
func compactDoc(a Alert) ([]byte, error) {
	var b bytes.Buffer
	if err := appendDoc(&b, a); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// asPartial is errors.As for a *PartialError at the top of err's chain of
// single wraps; one found inside a join (another sink's) does not count.
func asPartial(err error, target **PartialError) bool {
	for err != nil {
		if pe, ok := err.(*PartialError); ok {
			*target = pe
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}
