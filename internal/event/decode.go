package event

import "encoding/json"

// The whole-document decode behind Map, Walk and Get on unplanned paths. It
// builds exactly what encoding/json's Decoder with UseNumber builds into a
// map[string]any (json.Number numbers, a non-nil []any for every array, the
// last of repeated keys, U+FFFD for invalid UTF-8), which the tests check,
// about twice as fast:
//
//   - the text of every string and number is copied once into one block per
//     document (about the document's size), which the strings then share: a
//     string kept from the map keeps that block alive;
//   - object keys are interned per Event, since events repeat them;
//   - each array and object is allocated once at its final size, from
//     elements gathered on a stack reused across documents.

// keyCacheMax bounds the interned keys of an Event, and keyCacheLen the
// length of the keys it interns.
const (
	keyCacheMax = 4096
	keyCacheLen = 64
)

type member struct {
	key string
	val any
}

// decoder reuses the scanner's checks (literal, number, unquote) and
// shadows its object, array, value, key and str with ones that build.
type decoder struct {
	scanner
	text    []byte // the document's string and number text; fresh per document
	items   []any  // array elements being gathered
	members []member
}

// decodeTree decodes the event's document, which must already have passed the
// scan. Errors cannot happen then, but are reported rather than assumed.
func (e *Event) decodeTree() (map[string]any, error) {
	dec := decoder{
		scanner: scanner{d: e.raw, t: emptyTrie, e: e},
		text:    make([]byte, 0, len(e.raw)),
		items:   e.items[:0],
		members: e.members[:0],
	}
	i := skipWS(e.raw, 0)
	var doc map[string]any
	if i < len(e.raw) && e.raw[i] == '{' {
		var v any
		v, i = dec.value(i)
		doc, _ = v.(map[string]any)
	} else {
		dec.unexpected(i)
	}
	// Popped elements are cleared as they go; an error leaves some.
	clear(dec.items)
	clear(dec.members)
	e.items, e.members = dec.items[:0], dec.members[:0]
	if dec.err != nil {
		return nil, dec.err
	}
	if doc == nil || i < 0 {
		return nil, &SyntaxError{Offset: 0, Msg: "not an object"}
	}
	return doc, nil
}

// str returns the decoded string after the quote at i-1, as a string over
// the document's text block.
func (dec *decoder) str(i int) (string, int) {
	d := dec.d
	start := len(dec.text)
	if j := asciiRun(d, i); j < len(d) && d[j] == '"' {
		dec.text = append(dec.text, d[i:j]...)
		return dec.textString(start), j + 1
	}
	var end int
	dec.text, end = dec.unquote(dec.text, i)
	return dec.textString(start), end
}

// textString returns the text from start as a string. The block grows by
// append only, so when it moves, strings made earlier keep the old one.
func (dec *decoder) textString(start int) string {
	return aliasString(dec.text[start:])
}

// key returns the object key after the quote at i-1, interned.
func (dec *decoder) key(i int) (string, int) {
	d, e := dec.d, dec.e
	var b []byte
	end := -1
	if j := asciiRun(d, i); j < len(d) && d[j] == '"' {
		b, end = d[i:j], j+1
	} else {
		b, end = dec.unquote(e.scratch[:0], i)
		e.scratch = b
		if end < 0 {
			return "", -1
		}
	}
	if k, ok := e.keys[string(b)]; ok {
		return k, end
	}
	k := string(b)
	if len(k) <= keyCacheLen && len(e.keys) < keyCacheMax {
		if e.keys == nil {
			e.keys = map[string]string{}
		}
		e.keys[k] = k
	}
	return k, end
}

func (dec *decoder) value(i int) (any, int) {
	d := dec.d
	switch c := d[i]; c {
	case '"':
		return dec.str(i + 1)
	case '{':
		return dec.object(i)
	case '[':
		return dec.array(i)
	case 't':
		return true, dec.literal(i, "true")
	case 'f':
		return false, dec.literal(i, "false")
	case 'n':
		return nil, dec.literal(i, "null")
	default:
		j := dec.number(i)
		if j < 0 {
			return nil, -1
		}
		start := len(dec.text)
		dec.text = append(dec.text, d[i:j]...)
		return json.Number(dec.textString(start)), j
	}
}

func (dec *decoder) object(i int) (any, int) {
	if dec.depth++; dec.depth > maxDepth {
		return nil, dec.fail(i, "nesting deeper than 10000 levels")
	}
	d := dec.d
	base := len(dec.members)
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == '}' {
		dec.depth--
		return map[string]any{}, i + 1
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return nil, dec.unexpected(i)
		}
		k, j := dec.key(i + 1)
		if j < 0 {
			return nil, -1
		}
		if j = skipWS(d, j); j >= len(d) || d[j] != ':' {
			return nil, dec.unexpected(j)
		}
		if j = skipWS(d, j+1); j >= len(d) {
			return nil, dec.eof()
		}
		var v any
		if v, j = dec.value(j); j < 0 {
			return nil, -1
		}
		dec.members = append(dec.members, member{k, v})
		if j = skipWS(d, j); j >= len(d) {
			return nil, dec.eof()
		}
		switch d[j] {
		case ',':
			i = skipWS(d, j+1)
		case '}':
			dec.depth--
			ms := dec.members[base:]
			m := make(map[string]any, len(ms))
			for _, kv := range ms {
				m[kv.key] = kv.val // the last of repeated keys wins
			}
			clear(ms)
			dec.members = dec.members[:base]
			return m, j + 1
		default:
			return nil, dec.unexpected(j)
		}
	}
}

func (dec *decoder) array(i int) (any, int) {
	if dec.depth++; dec.depth > maxDepth {
		return nil, dec.fail(i, "nesting deeper than 10000 levels")
	}
	d := dec.d
	base := len(dec.items)
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == ']' {
		dec.depth--
		return []any{}, i + 1
	}
	for {
		if i >= len(d) {
			return nil, dec.eof()
		}
		v, j := dec.value(i)
		if j < 0 {
			return nil, -1
		}
		dec.items = append(dec.items, v)
		if j = skipWS(d, j); j >= len(d) {
			return nil, dec.eof()
		}
		switch d[j] {
		case ',':
			i = skipWS(d, j+1)
		case ']':
			dec.depth--
			els := dec.items[base:]
			a := make([]any, len(els))
			copy(a, els)
			clear(els)
			dec.items = dec.items[:base]
			return a, j + 1
		default:
			return nil, dec.unexpected(j)
		}
	}
}
