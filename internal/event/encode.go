package event

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// JSONAppender is a value that encodes itself for AppendJSON: it appends
// its compact JSON, as AppendJSON writes it, to b.
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// AppendJSON appends v as compact JSON with sorted object keys, exactly as
// encoding/json with SetEscapeHTML(false) writes it, without reflection
// for the values decoded documents, normalizers and alerts are made of
// (maps, slices, strings, json.Number, numbers, booleans, nil): Map's
// inverse. A JSONAppender appends itself. Other types go through
// encoding/json, without HTML escaping.
func AppendJSON(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, t), nil
	case bool:
		return strconv.AppendBool(b, t), nil
	case json.Number:
		if t == "" {
			return append(b, '0'), nil
		}
		return append(b, t...), nil
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return json.Marshal(t) // the same error encoding/json gives
		}
		return appendFloat(b, t), nil
	case int:
		return strconv.AppendInt(b, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(b, t, 10), nil
	case map[string]any:
		return appendObject(b, t)
	case []any:
		return appendArray(b, t)
	case json.RawMessage: // already encoded, as this function does
		return append(b, t...), nil
	case JSONAppender:
		return t.AppendJSON(b)
	case []map[string]any: // arrays of tables, as TOML decoders give them
		return appendArray(b, t)
	case []string:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e)
		}
		return append(b, ']'), nil
	}
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// Pair is a member of an object: its key and its value.
type Pair struct {
	Key   string
	Value any
}

// SortedPairs returns m's members sorted by key, appended to buf[:0]: in
// one pass over the map (no lookup of each key again), in the caller's
// buffer when it is large enough (an array on its stack: alerts hold about
// 60 keys, events a dozen a level).
func SortedPairs(buf []Pair, m map[string]any) []Pair {
	ps := buf[:0]
	if len(m) > cap(buf) {
		ps = make([]Pair, 0, len(m))
	}
	for k, v := range m {
		ps = append(ps, Pair{k, v})
	}
	if len(ps) > 12 {
		slices.SortFunc(ps, func(a, b Pair) int { return strings.Compare(a.Key, b.Key) })
		return ps
	}
	for i := 1; i < len(ps); i++ { // a dozen at most: by insertion
		for j := i; j > 0 && ps[j].Key < ps[j-1].Key; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	return ps
}

// appendObject appends m with its keys sorted.
func appendObject(b []byte, m map[string]any) ([]byte, error) {
	var buf [64]Pair
	b = append(b, '{')
	for i, p := range SortedPairs(buf[:], m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, p.Key)
		b = append(b, ':')
		var err error
		if b, err = AppendJSON(b, p.Value); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendFloat formats like encoding/json: the shortest representation,
// exponent form outside [1e-6, 1e21).
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does without HTML escaping:
// control characters escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029
// escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if j := asciiRun(unsafe.Slice(unsafe.StringData(s), len(s)), i); j > i {
			i = j // plain printable ASCII, eight bytes at a time
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendArray appends the elements of xs as a JSON array.
func appendArray[T any](b []byte, xs []T) ([]byte, error) {
	b = append(b, '[')
	for i, e := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = AppendJSON(b, e); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// AppendString appends s quoted as AppendJSON quotes a string, without
// boxing it in an interface (normalizers write many strings).
func AppendString(b []byte, s string) []byte { return appendString(b, s) }
