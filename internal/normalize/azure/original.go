package azure

import (
	"bytes"
	"math/bits"
	"runtime"
	"slices"
	"time"
	"unsafe"
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
// strip no empty pair. Eight bytes at a time: each word is stored whole
// after the last escape (a backslash put before each quote and
// backslash), so that an escape costs a store and a backslash; words of
// the output overlap and the buffer has room for twice the text. False
// (dst unchanged) for any other text.
func appendOriginalPlain(dst, raw []byte, strip bool) ([]byte, bool) {
	dst = slices.Grow(dst, 2*len(raw)+10)
	base := len(dst)
	out := dst[base:cap(dst)]
	out[0] = '"'
	j, ok := quoteText(out, 1, raw, strip)
	if !ok {
		return dst, false
	}
	out[j] = '"'
	return dst[:base+int(j)+1], true
}

// appendOriginalTokens is appendOriginalPlain from the string tokens the
// walk noted (f.toks): the text between tokens copied as it is, each
// plain token's text copied whole between two \" pairs, the others
// quoted by quoteText. False (dst unchanged) when the walk did not note
// every string of the record in order (a quote or a backslash met between
// tokens), for a byte the general loop must see, or with strip for an
// empty token or one not plain (the only places an empty pair can be).
func (f *fastDoc) appendOriginalTokens(dst []byte) ([]byte, bool) {
	raw := f.raw
	if !wordAccess || !f.endsReady || len(f.toks) == 0 || len(raw) != len(f.rec) || unsafe.SliceData(raw) != unsafe.SliceData(f.rec) {
		return dst, false
	}
	dst = slices.Grow(dst, 2*len(raw)+10)
	base := len(dst)
	out := dst[base:cap(dst)]
	out[0] = '"'
	j, ok := quoteTokens(out, raw, f.toks, f.ends, f.stripOriginal)
	if !ok {
		return dst, false
	}
	out[j] = '"'
	return dst[:base+int(j)+1], true
}

// quoteTokens is appendOriginalTokens's loop, writing from out[1] on:
// toks are the tokens' offsets, ends the record's table of ends.
func quoteTokens(out, raw []byte, toks, ends []int32, strip bool) (uintptr, bool) {
	// The output is at most twice the record and two quotes: stores of
	// a word at j (below that) stay in out's 2*len(raw)+10 bytes.
	p, r := unsafe.Pointer(unsafe.SliceData(out)), unsafe.Pointer(unsafe.SliceData(raw))
	j, pos := uintptr(1), 0
	for t := 0; t <= len(toks); t++ {
		s := len(raw) // after the last token: the text to the end
		if t < len(toks) {
			s = int(toks[t])
		}
		if s < pos || s >= len(raw) && t < len(toks) || strip && s == pos {
			return 0, false
		}
		for ; pos < s; pos++ { // pos < s <= len(raw)
			c := *(*byte)(unsafe.Add(r, pos))
			if gapClass[c] {
				return 0, false
			}
			*(*byte)(unsafe.Add(p, j)) = c
			j++
		}
		if t == len(toks) {
			break
		}
		e := ends[s]
		end := int(e &^ plainEnd)
		switch {
		case e&plainEnd == 0:
			var ok bool
			if strip {
				return 0, false
			}
			if j, ok = quoteText(out, j, raw[s:end], false); !ok {
				return 0, false
			}
		case strip && end == s+2:
			return 0, false
		default:
			*(*uint16)(unsafe.Add(p, j)) = '\\' | '"'<<8
			j += 2
			n := end - 1 - (s + 1)
			if end+7 <= len(raw) {
				// Words read below raw[end+7], stored below out's end.
				for k := 0; k < n; k += 8 {
					*(*uint64)(unsafe.Add(p, j+uintptr(k))) = *(*uint64)(unsafe.Add(r, s+1+k))
				}
			} else {
				copy(out[j:], raw[s+1:end-1])
			}
			j += uintptr(n)
			*(*uint16)(unsafe.Add(p, j)) = '\\' | '"'<<8
			j += 2
		}
		pos = end
	}
	return j, true
}

// gapClass marks the bytes the text between string tokens may not hold
// for appendOriginalTokens: quotes and backslashes (a string the walk did
// not note), and what quoteText leaves to the general loop.
var gapClass = func() (t [256]bool) {
	for c := range t {
		t[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\'
	}
	return t
}()

// quoteText writes text into out from j on with a backslash before each
// quote and backslash, and returns where it stopped; false for a byte the
// general loop must see, or with strip an empty pair. out has room for
// 2*(j+len(text))+8 bytes: a word stored at j holds at most 2*i bytes of
// the text's output before it, and i+8 <= len(text).
func quoteText(out []byte, j uintptr, text []byte, strip bool) (uintptr, bool) {
	i := 0
	if wordAccess {
		if j, i = quoteWords(unsafe.Pointer(unsafe.SliceData(out)), j, text, strip); j == 0 {
			return 0, false // an empty pair
		}
	}
	for ; i < len(text); i++ {
		c := text[i]
		switch plainClass[c] {
		case 0:
			out[j] = c
			j++
			continue
		case 1:
			if strip && c == '"' && i > 0 && text[i-1] == '"' && string(text[i-1:min(len(text), i+5)]) == emptyPair {
				return 0, false
			}
			out[j], out[j+1] = '\\', c
			j += 2
			continue
		}
		return 0, false
	}
	return j, true
}

// wordAccess tells whether quoteWords's unaligned loads and stores of
// words through pointers are allowed and little-endian (as word).
const wordAccess = runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64"

// quoteWords quotes the words of raw into p from its offset j on, up to
// the first word with a byte the general loop must see; it returns where
// the output and the text stop, or j 0 for an empty pair with strip.
func quoteWords(p unsafe.Pointer, j uintptr, raw []byte, strip bool) (uintptr, int) {
	i := 0
	r := unsafe.Pointer(unsafe.SliceData(raw))
	for ; i+8 <= len(raw); i += 8 {
		w := *(*uint64)(unsafe.Add(r, i)) // i+8 <= len(raw); little-endian as word
		if byteBelow(w, 0x20)|byteIs(w, 0xE2) != 0 {
			break
		}
		quotes := exactByteIs(w, '"')
		if strip && quotes != 0 && emptyPairAt(raw, i, quotes) {
			return 0, i
		}
		q := quotes | exactByteIs(w, '\\')
		prev := uintptr(0)
		for q != 0 {
			k := uintptr(bits.TrailingZeros64(q)) >> 3
			*(*uint64)(unsafe.Add(p, j)) = w >> (8 * prev & 63)
			j += k - prev
			*(*byte)(unsafe.Add(p, j)) = '\\'
			j++
			prev = k // the escaped byte leads the next store
			q &= q - 1
		}
		*(*uint64)(unsafe.Add(p, j)) = w >> (8 * prev & 63)
		j += 8 - prev
	}
	return j, i
}

// emptyPairAt reports whether an empty pair starts at one of the two
// quotes in a row of the word at raw[i:] (quotes marks its quotes),
// the second of them possibly the next word's first byte.
func emptyPairAt(raw []byte, i int, quotes uint64) bool {
	pairs := quotes & (quotes >> 8)
	if quotes>>63 != 0 && i+8 < len(raw) && raw[i+8] == '"' {
		pairs |= 1 << 63
	}
	for pairs != 0 {
		k := i + bits.TrailingZeros64(pairs)>>3
		if string(raw[k:min(len(raw), k+len(emptyPair))]) == emptyPair {
			return true
		}
		pairs &= pairs - 1
	}
	return false
}
