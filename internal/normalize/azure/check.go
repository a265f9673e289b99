package azure

import (
	"math/bits"
	"unsafe"

	"github.com/vigil-project/vigil/internal/event"
)

// A record a caller has not checked is checked by the writer's first walk
// (Doc.Check): the walk that notes where every value ends also follows
// JSON's grammar as internal/event's scanner does, so that the record is
// read once, not scanned for its validity and then walked.

// maxCheckDepth is internal/event's nesting limit (encoding/json's), the
// top-level object included.
const maxCheckDepth = 10000

// check walks the record f.rec, noting the end of every value in the
// table of ends (strings with plainEnd when plain, containers, numbers
// and literals) and every string token in f.toks, in the order of the
// text, as the writers' own walks would note them. It reports whether the
// record is one JSON object the scanner accepts: blanks around it, the
// grammar of RFC 8259, strings that may hold any byte from 0x20 up
// (invalid UTF-8 included), nesting up to maxCheckDepth. false also when
// the record is too large for the table (nothing is noted then); the
// scanner tells those. f.ascii is set when every string is plain (the
// record is then printable ASCII, so valid UTF-8), f.compact when no
// blank lies between tokens (members and elements then read the noted
// ends without looking for blanks).
func (f *fastDoc) check() bool {
	raw := f.rec
	t := f.endTable(raw)
	if t == nil {
		return false
	}
	// Strings noted from a table of the quotes, where one can be made
	// (the walk then checks that each stands where a value or key may);
	// else each string is scanned when the walk meets it.
	noted, ascii := false, true
	if hasQuoteMasks {
		if odd, ok := f.quoteBits(raw); ok {
			if noted = f.noteStrings(raw, t, odd); !noted {
				return false // a string not closed
			}
			ascii = !odd
			if stack, ok := walkCompact(raw, t, f.endStack); ok {
				f.endStack = stack[:0]
				f.ascii, f.compact = ascii, true
				return true
			}
		}
	}
	blank := false // a blank met between tokens
	i := checkWS(raw, 0, &blank)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	stack := append(f.endStack[:0], int32(i)) // the open containers' offsets
	defer func() { f.endStack = stack[:0] }()
	i = checkWS(raw, i+1, &blank)
	first := true // i is just after an opening bracket, else after a comma
	obj := true   // the innermost container is an object
loop:
	for {
		if i >= len(raw) {
			return false
		}
		if c := raw[i]; !first || c != '}' && c != ']' {
			// A member's key and colon, or an element: then its value.
			key := obj
			for {
				c := raw[i]
				if c == '"' { // the commonest value, and every key
					var e int32
					if noted {
						// Noted: the walk goes past it.
						if e = t[i]; e == 0 {
							return false
						}
					} else {
						if e = int32(plainStringEnd(raw, i)) | plainEnd; e < 0 {
							var plain, ok bool
							if e, plain, ok = checkString(raw, i); !ok {
								return false
							}
							ascii = ascii && plain
						}
						t[i] = e
						f.toks = append(f.toks, int32(i))
					}
					i = int(e &^ plainEnd)
				} else {
					if key {
						return false
					}
					switch c {
					case '{', '[':
						if len(stack) >= maxCheckDepth {
							return false
						}
						stack = append(stack, int32(i))
						i, first, obj = checkWS(raw, i+1, &blank), true, c == '{'
						continue loop
					case 't':
						if !hasWord(raw, i, "true") {
							return false
						}
						t[i] = int32(i + 4)
						i += 4
					case 'f':
						if !hasWord(raw, i, "false") {
							return false
						}
						t[i] = int32(i + 5)
						i += 5
					case 'n':
						if !hasWord(raw, i, "null") {
							return false
						}
						t[i] = int32(i + 4)
						i += 4
					default:
						e := numberEnd(raw, i)
						if e < 0 {
							return false
						}
						t[i] = int32(e)
						i = e
					}
				}
				if !key {
					break
				}
				// The key's colon, then its value.
				if i = checkWS(raw, i, &blank); i >= len(raw) || raw[i] != ':' {
					return false
				}
				if i = checkWS(raw, i+1, &blank); i >= len(raw) {
					return false
				}
				key = false
			}
		}
		// After a value (or at the end of an empty container): a comma
		// and the next, or the innermost container's end.
		for {
			if i = checkWS(raw, i, &blank); i >= len(raw) {
				return false
			}
			c := raw[i]
			if c == ',' {
				i, first = checkWS(raw, i+1, &blank), false
				break
			}
			s := stack[len(stack)-1]
			if !(c == '}' && raw[s] == '{' || c == ']' && raw[s] == '[') {
				return false
			}
			stack = stack[:len(stack)-1]
			t[s] = int32(i + 1)
			i++
			if len(stack) == 0 {
				if checkWS(raw, i, &blank) != len(raw) {
					return false
				}
				f.ascii = ascii
				f.compact = !blank
				return true
			}
			obj = raw[stack[len(stack)-1]] == '{'
		}
	}
}

// checkWS is skipWS for check: *blank is set when a blank is skipped.
// One comparison for the common byte, which is no blank.
func checkWS(raw []byte, i int, blank *bool) int {
	if i < len(raw) && raw[i] > ' ' {
		return i
	}
	return checkBlanks(raw, i, blank)
}

// checkBlanks is checkWS's loop.
func checkBlanks(raw []byte, i int, blank *bool) int {
	j := skipWS(raw, i)
	if j != i {
		*blank = true
	}
	return j
}

// checkString returns the end of the string token at raw[i] as the table
// notes it (with plainEnd when its text is plain), and whether the
// string is valid: no control character, valid escapes.
func checkString(raw []byte, i int) (end int32, plain, ok bool) {
	if e := plainStringEnd(raw, i); e >= 0 {
		return int32(e) | plainEnd, true, true
	}
	// Rare: the text has escapes, control characters or bytes above
	// 0x7f. Checked byte by byte; the end is stringEnd's.
	for j := i + 1; j < len(raw); j++ {
		switch c := raw[j]; {
		case c == '"':
			return int32(j + 1), false, true
		case c < 0x20:
			return 0, false, false
		case c == '\\':
			if !validEscape(raw, j) {
				return 0, false, false
			}
			if raw[j+1] == 'u' {
				j += 5
			} else {
				j++
			}
		}
	}
	return 0, false, false
}

// plainStringEnd returns the offset after the string token at raw[i]
// when its text is plain (printable ASCII without a backslash: what
// noteString marks plainEnd), else -1. Eight bytes at a time: the lowest
// mark of the word's quotes, backslashes, control bytes and bytes above
// 0x7f is exact, so the string is plain when it is a quote.
func plainStringEnd(raw []byte, i int) int {
	if simdStrings && len(raw) > 0 {
		// Sixteen bytes a step, then words for what is left.
		e := plainStringEnd16(unsafe.SliceData(raw), len(raw), i)
		if e >= -1 {
			return e
		}
		return plainStringEndFrom(raw, -2-e)
	}
	return plainStringEndFrom(raw, i+1)
}

// plainStringEndFrom is plainStringEnd from raw[j] on, the string's text
// before it plain.
func plainStringEndFrom(raw []byte, j int) int {
	if wordAccess {
		p := unsafe.Pointer(unsafe.SliceData(raw))
		for ; j+8 <= len(raw); j += 8 {
			w := *(*uint64)(unsafe.Add(p, j)) // j+8 <= len(raw); little-endian as word
			q := w ^ (swarLo * '"')
			b := w ^ (swarLo * '\\')
			// Quotes, backslashes, then control bytes and bytes above
			// 0x7f: (w-0x20s)&^w | w is (w-0x20s) | w.
			if m := ((q-swarLo)&^q | (b-swarLo)&^b | (w - swarLo*0x20) | w) & swarHi; m != 0 {
				if j += bits.TrailingZeros64(m) >> 3; raw[j] == '"' {
					return j + 1
				}
				return -1
			}
		}
	}
	for ; j+8 <= len(raw); j += 8 {
		w := word(raw, j)
		if m := byteIs(w, '"') | byteIs(w, '\\') | byteBelow(w, 0x20) | w&swarHi; m != 0 {
			if j += bits.TrailingZeros64(m) >> 3; raw[j] == '"' {
				return j + 1
			}
			return -1
		}
	}
	for ; j < len(raw); j++ {
		switch c := raw[j]; {
		case c == '"':
			return j + 1
		case c < 0x20 || c >= 0x80 || c == '\\':
			return -1
		}
	}
	return -1
}

// hasWord reports whether raw holds word at i.
func hasWord(raw []byte, i int, word string) bool {
	return len(raw)-i >= len(word) && string(raw[i:i+len(word)]) == word
}

// numberEnd returns the end of the JSON number at raw[i], -1 when there
// is none (event.NumberEnd, the scanner's own check).
func numberEnd(raw []byte, i int) int {
	if end, ok := event.NumberEnd(raw, i); ok {
		return end
	}
	return -1
}
