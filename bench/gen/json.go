package gen

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// doc appends one JSON document to a byte slice, without reflection or
// maps, so that key order (and so the output) is fixed by the code that
// writes it. Callers open and close objects and arrays in matching pairs.
type doc struct {
	b     []byte
	comma bool // a value was just written at this level: the next one needs ','
}

func (d *doc) reset() { d.b, d.comma = d.b[:0], false }

func (d *doc) sep() {
	if d.comma {
		d.b = append(d.b, ',')
	}
	d.comma = false
}

func (d *doc) key(k string) {
	d.sep()
	d.b = appendString(d.b, k)
	d.b = append(d.b, ':')
}

// open starts an object, as the value of key k or, with k == "", as a
// top-level document or an array element.
func (d *doc) open(k string) {
	if k == "" {
		d.sep()
	} else {
		d.key(k)
	}
	d.b = append(d.b, '{')
}

func (d *doc) close() {
	d.b = append(d.b, '}')
	d.comma = true
}

// openArray starts an array as the value of key k.
func (d *doc) openArray(k string) {
	d.key(k)
	d.b = append(d.b, '[')
}

func (d *doc) closeArray() {
	d.b = append(d.b, ']')
	d.comma = true
}

func (d *doc) str(k, v string) {
	d.key(k)
	d.b = appendString(d.b, v)
	d.comma = true
}

// elem writes a string element of the current array.
func (d *doc) elem(v string) {
	d.sep()
	d.b = appendString(d.b, v)
	d.comma = true
}

func (d *doc) strs(k string, vs ...string) {
	d.openArray(k)
	for _, v := range vs {
		d.elem(v)
	}
	d.closeArray()
}

func (d *doc) int(k string, v int64) {
	d.key(k)
	d.b = strconv.AppendInt(d.b, v, 10)
	d.comma = true
}

func (d *doc) bool(k string, v bool) {
	d.key(k)
	d.b = strconv.AppendBool(d.b, v)
	d.comma = true
}

// time writes t as Elasticsearch stores dates from the integrations:
// RFC 3339 in UTC with milliseconds.
func (d *doc) time(k string, t time.Time) {
	d.key(k)
	d.b = append(d.b, '"')
	d.b = t.UTC().AppendFormat(d.b, "2006-01-02T15:04:05.000Z07:00")
	d.b = append(d.b, '"')
	d.comma = true
}

// rawTime writes t as Azure diagnostic exports do: seven fractional digits.
func (d *doc) rawTime(k string, t time.Time) {
	d.key(k)
	d.b = append(d.b, '"')
	d.b = t.UTC().AppendFormat(d.b, "2006-01-02T15:04:05.0000000Z07:00")
	d.b = append(d.b, '"')
	d.comma = true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, valid UTF-8 passed through, invalid bytes replaced.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
