package azure

import (
	"bytes"
	"slices"
	"time"
)

// escapeClass marks the bytes appendOriginal must look at: '"', '\\',
// control characters and the first byte of U+2028 and U+2029 (0xE2).
var escapeClass = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'], t[0xE2] = true, true, true
	return t
}()

// emptyPair is what Elastic's pipelines take out of a record's text before
// parsing it (`"":"",`, an empty key with an empty value).
const emptyPair = `"":"",`

// appendOriginal appends the record's text raw as a JSON string, as
// event.AppendString quotes it, for event.original. raw is valid UTF-8 (the
// writers check). pair reports an empty pair in the text (the caller then
// quotes the text without them, as the pipelines keep it); what was
// appended is then incomplete.
func appendOriginal(dst, raw []byte, strip bool) (out []byte, pair bool) {
	if out, ok := appendOriginalPlain(dst, raw, strip); ok {
		return out, false
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !escapeClass[c] {
			continue
		}
		switch {
		case c == '"':
			if strip && i+len(emptyPair) <= len(raw) && raw[i+1] == '"' && string(raw[i:i+len(emptyPair)]) == emptyPair {
				return dst, true
			}
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', '"')
		case c == '\\':
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', '\\')
		case c == 0xE2:
			if i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xA8 || raw[i+2] == 0xA9) {
				dst = append(dst, raw[start:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigit(raw[i+2]&0xf))
				i += 2
				start = i + 1
			}
			continue
		default:
			// A control character: whitespace between tokens.
			dst = append(dst, raw[start:i]...)
			switch c {
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigit(c>>4), hexDigit(c&0xf))
			}
		}
		start = i + 1
	}
	dst = append(dst, raw[start:]...)
	return append(dst, '"'), false
}

func hexDigit(n byte) byte { return "0123456789abcdef"[n] }

// appendTimestamp appends t (UTC) as "2006-01-02T15:04:05.000Z", quoted,
// for a year of four digits; others through time's formatter.
func appendTimestamp(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
		return append(dst, '"')
	}
	h, mi, s := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(dst, '"',
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
}

// plainClass sorts bytes for appendOriginalPlain: 0 copied, 1 escaped
// with a backslash ('"', '\\'), 2 anything else (the general loop's).
var plainClass = func() (t [256]byte) {
	for c := 0; c < 0x20; c++ {
		t[c] = 2
	}
	t['"'], t['\\'], t[0xE2] = 1, 1, 2
	return t
}()

// appendOriginalPlain is appendOriginal for the common text: no control
// character (a record on one line), no U+2028/2029 lead byte, and with
// strip no empty pair. It sizes the output once and writes byte by
// byte; false (dst unchanged) for any other text.
func appendOriginalPlain(dst, raw []byte, strip bool) ([]byte, bool) {
	n := len(raw) + 2 + bytes.Count(raw, []byte{'"'}) + bytes.Count(raw, []byte{'\\'})
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	out[0] = '"'
	j := 1
	for i, c := range raw {
		switch plainClass[c] {
		case 0:
			out[j] = c
			j++
			continue
		case 1:
			if strip && c == '"' && i > 0 && raw[i-1] == '"' && string(raw[i-1:min(len(raw), i+5)]) == emptyPair {
				return dst, false
			}
			out[j], out[j+1] = '\\', c
			j += 2
			continue
		}
		return dst, false
	}
	out[j] = '"'
	return dst[:len(dst)+n], true
}
