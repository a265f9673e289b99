package azure

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
	"time"
)

// emptyPair is what Elastic's pipelines take out of a record's text before
// parsing it (`"":"",`, an empty key with an empty value).
const emptyPair = `"":"",`

// appendOriginal appends the record's text raw as a JSON string, as
// event.AppendString quotes it, for event.original; with strip, without
// its empty pairs, as most pipelines keep it. raw is valid UTF-8 (the
// writers check).
func appendOriginal(dst, raw []byte, strip bool) []byte {
	if out, ok := appendOriginalPlain(dst, raw, strip); ok {
		return out
	}
	if strip && bytes.Contains(raw, []byte(emptyPair)) {
		raw = bytes.ReplaceAll(raw, []byte(emptyPair), nil)
	}
	return appendJSONString(dst, unsafeString(raw))
}

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
	// Eight bytes of slack: words are stored whole, then j moves by the
	// bytes that count.
	dst = slices.Grow(dst, n+8)
	out := dst[len(dst) : len(dst)+n+8]
	out[0] = '"'
	j := 1
	for i := 0; i < len(raw); {
		if i+8 <= len(raw) {
			w := word(raw, i)
			if byteBelow(w, 0x20)|byteIs(w, 0xE2) == 0 {
				// No byte the general loop must see: the word copied,
				// a backslash put before each quote and backslash.
				q := exactByteIs(w, '"') | exactByteIs(w, '\\')
				prev := 0
				for q != 0 {
					k := bits.TrailingZeros64(q) >> 3
					binary.LittleEndian.PutUint64(out[j:], w>>(8*prev))
					j += k - prev
					c := raw[i+k]
					if strip && c == '"' && i+k > 0 && raw[i+k-1] == '"' && string(raw[i+k-1:min(len(raw), i+k+5)]) == emptyPair {
						return dst, false
					}
					out[j], out[j+1] = '\\', c
					j += 2
					prev = k + 1
					q &= q - 1
				}
				binary.LittleEndian.PutUint64(out[j:], w>>(8*prev))
				i, j = i+8, j+8-prev
				continue
			}
		}
		c := raw[i]
		switch plainClass[c] {
		case 0:
			out[j] = c
			j++
			i++
			continue
		case 1:
			if strip && c == '"' && i > 0 && raw[i-1] == '"' && string(raw[i-1:min(len(raw), i+5)]) == emptyPair {
				return dst, false
			}
			out[j], out[j+1] = '\\', c
			j += 2
			i++
			continue
		}
		return dst, false
	}
	out[j] = '"'
	return dst[:len(dst)+n], true
}
