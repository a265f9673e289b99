package bulk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// An item is one action of a bulk request and, for index and create, its
// document.
type item struct {
	action string // the key of its response entry: index, create, delete or update
	index  string // "" when none could be resolved
	id     string // the _id given, "" for none
	hasID  bool
	line   int    // line number of the action line, from 1
	doc    []byte // the document line of a valid item
	err    *itemError
}

// itemError is why an item was refused.
type itemError struct {
	status int
	typ    string
	reason string
}

const maxIDBytes = 512 // Elasticsearch's limit on _id

// parseBulk splits a bulk body into items. It never fails as a whole: every
// defect is an item with an error, and parsing goes on with the next line
// that can be an action. Blank lines between items are skipped; the last
// line needs no terminating newline. pathIndex (from the URL) and
// defaultIndex, in this order, give the index of actions without _index.
//
// After a line that is not a readable action, the next line is taken as
// its document (and skipped) unless it reads as an action itself.
func parseBulk(body []byte, pathIndex, defaultIndex string) []item {
	var items []item
	sc := lineScanner{buf: body}
	for {
		line, n, ok := sc.next()
		if !ok {
			return items
		}
		if len(line) == 0 {
			continue
		}
		items = append(items, parseItem(&sc, line, n, pathIndex, defaultIndex))
	}
}

// parseItem reads the item whose action line (number n) is line, and its
// document line from sc.
func parseItem(sc *lineScanner, line []byte, n int, pathIndex, defaultIndex string) item {
	it := item{action: "index", line: n}
	refuse := func(status int, typ, format string, args ...any) item {
		it.err = &itemError{status: status, typ: typ, reason: fmt.Sprintf(format, args...)}
		return it
	}

	a, err := parseAction(line)
	if a.known {
		it.action = a.name
	}
	it.index, it.id, it.hasID = a.index, a.id, a.hasID
	if it.index == "" {
		it.index = pathIndex
	}
	if it.index == "" {
		it.index = defaultIndex
	}
	if err != nil {
		switch {
		case a.known && a.name != "delete":
			sc.next() // its document, whatever it holds
		case !a.known:
			if next, ok := sc.peek(); ok && len(next) > 0 {
				if _, err := parseAction(next); err != nil {
					sc.next()
				}
			}
		}
		return refuse(400, "illegal_argument_exception", "line %d: %v", n, err)
	}

	switch a.name {
	case "delete":
		return refuse(400, "illegal_argument_exception",
			"line %d: delete is not supported: Vigil analyses events and stores no documents", n)
	case "update":
		sc.next()
		return refuse(400, "illegal_argument_exception",
			"line %d: update is not supported: Vigil analyses events and stores no documents", n)
	}

	doc, dn, ok := sc.next()
	switch {
	case !ok:
		return refuse(400, "action_request_validation_exception",
			"line %d: the %s action has no document line after it", n, a.name)
	case it.index == "":
		return refuse(400, "action_request_validation_exception",
			"line %d: index is missing: name it in _index or in the URL (/<index>/_bulk)", n)
	case a.hasID && a.id == "":
		return refuse(400, "action_request_validation_exception",
			"line %d: if _id is specified it must not be empty", n)
	case len(a.id) > maxIDBytes:
		return refuse(400, "action_request_validation_exception",
			"line %d: _id is %d bytes long, more than the limit of %d", n, len(a.id), maxIDBytes)
	}
	if why := checkDoc(doc); why != "" {
		return refuse(400, "mapper_parsing_exception", "line %d: failed to parse the document: %s", dn, why)
	}
	it.doc = doc
	return it
}

// action is an action/metadata line as far as it could be read.
type action struct {
	name  string // the action's key
	known bool   // name is index, create, delete or update
	index string
	id    string
	hasID bool
}

// parseAction reads an action/metadata line such as
// {"create":{"_index":"logs-x-default","_id":"a1","pipeline":"p"}}.
// Metadata other than _index and _id is accepted and ignored.
func parseAction(line []byte) (action, error) {
	var a action
	if line[0] != '{' {
		return a, fmt.Errorf("the action/metadata line is not a JSON object (it starts with %q)", clip(line))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return a, fmt.Errorf("the action/metadata line is not valid JSON: %s", syntaxError(line, err))
	}
	if len(obj) != 1 {
		return a, fmt.Errorf("the action/metadata line must hold exactly one action, it holds %d keys", len(obj))
	}
	var meta json.RawMessage
	for a.name, meta = range obj {
	}
	switch a.name {
	case "index", "create", "delete", "update":
		a.known = true
	default:
		return a, fmt.Errorf("unknown action [%s], expected one of [create, delete, index, update]", a.name)
	}
	if len(meta) == 0 || meta[0] != '{' {
		return a, fmt.Errorf("the metadata of the %s action is not a JSON object", a.name)
	}
	var m struct {
		Index json.RawMessage `json:"_index"`
		ID    json.RawMessage `json:"_id"`
	}
	if err := json.Unmarshal(meta, &m); err != nil {
		return a, fmt.Errorf("reading the metadata of the %s action: %v", a.name, err)
	}
	if len(m.Index) > 0 && string(m.Index) != "null" {
		if err := json.Unmarshal(m.Index, &a.index); err != nil {
			return a, fmt.Errorf("_index must be a string, not %s", clip(m.Index))
		}
	}
	if len(m.ID) > 0 && string(m.ID) != "null" {
		a.hasID = true
		switch {
		case m.ID[0] == '"':
			if err := json.Unmarshal(m.ID, &a.id); err != nil {
				return a, fmt.Errorf("reading _id: %v", err)
			}
		case m.ID[0] == '-' || m.ID[0] >= '0' && m.ID[0] <= '9':
			a.id = string(m.ID) // Elasticsearch takes a number's text
		default:
			return a, fmt.Errorf("_id must be a string, not %s", clip(m.ID))
		}
	}
	return a, nil
}

// checkDoc says what is wrong with a document line, or "".
func checkDoc(doc []byte) string {
	if len(doc) == 0 {
		return "the document is empty"
	}
	if !json.Valid(doc) {
		var v json.RawMessage
		return "invalid JSON: " + syntaxError(doc, json.Unmarshal(doc, &v))
	}
	if doc[0] == '{' {
		return ""
	}
	kind := "number"
	switch doc[0] {
	case '[':
		kind = "array"
	case '"':
		kind = "string"
	case 't', 'f':
		kind = "boolean"
	case 'n':
		kind = "null"
	}
	return "the document is a JSON " + kind + ", not an object"
}

// syntaxError describes a JSON decoding error with its byte offset in the
// line when there is one.
func syntaxError(line []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d of the line", se, se.Offset)
	}
	if err == nil {
		return "malformed"
	}
	return err.Error()
}

// clip returns the start of b, for messages.
func clip(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// lineScanner hands out the lines of a body, trimmed of surrounding
// whitespace ("\r\n" endings included), numbered from 1.
type lineScanner struct {
	buf []byte
	pos int
	n   int
}

// next returns the next line and its number; ok is false at the end.
func (s *lineScanner) next() (line []byte, n int, ok bool) {
	line, adv, ok := s.look()
	if !ok {
		return nil, 0, false
	}
	s.pos += adv
	s.n++
	return line, s.n, true
}

// peek returns the next line without consuming it.
func (s *lineScanner) peek() ([]byte, bool) {
	line, _, ok := s.look()
	return line, ok
}

func (s *lineScanner) look() (line []byte, adv int, ok bool) {
	if s.pos >= len(s.buf) {
		return nil, 0, false
	}
	rest := s.buf[s.pos:]
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		line, adv = rest[:i], i+1
	} else {
		line, adv = rest, len(rest)
	}
	line = bytes.TrimSpace(line)
	// A capacity at the length, so that nobody appending to a record's Data
	// overwrites the next line.
	return line[:len(line):len(line)], adv, true
}
