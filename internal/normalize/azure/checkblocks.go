package azure

import (
	"math/bits"
	"slices"
	"unsafe"
)

// On machines with quoteMasks, check finds where each string ends in a
// table of the record's quotes made 64 bytes a step (quoteBits), not by
// scanning the string: its walk then reads only the bytes between
// strings.

// blockNotes are quoteBits's, kept from record to record.
type blockNotes struct {
	quote []uint64 // the record's quotes that open or close a string, a bit a byte
	odd   []uint64 // its backslashes and bytes above 0x7f: a string holding one is not plain
}

// quoteBits notes raw's quotes in f.blocks.quote, escaped ones left out,
// and its backslashes and bytes above 0x7f in f.blocks.odd: the next
// quote after a string's opening one is its closing one. odd reports a
// bit in f.blocks.odd. ok is false when the notes cannot stand for a scan
// of the strings: a byte below 0x20 (in a string a fault, outside one a
// blank that needs no check here), a backslash that starts no valid
// escape.
func (f *fastDoc) quoteBits(raw []byte) (odd, ok bool) {
	n := (len(raw) + 63) >> 6
	q := slices.Grow(f.blocks.quote[:0], n)[:n]
	o := slices.Grow(f.blocks.odd[:0], n)[:n]
	f.blocks.quote, f.blocks.odd = q, o
	full := len(raw) >> 6
	var low, bs bool
	if full > 0 {
		low, bs = quoteMasks(&raw[0], full, &q[0], &o[0])
	}
	if full < n {
		// The last bytes, then commas: no quote, nothing odd.
		var tail [64]byte
		k := copy(tail[:], raw[full<<6:])
		for ; k < len(tail); k++ {
			tail[k] = ','
		}
		l, b := quoteMasks(&tail[0], 1, &q[full], &o[full])
		low, bs = low || l, bs || b
	}
	if low {
		return false, false
	}
	all := uint64(0)
	for _, w := range o {
		all |= w
	}
	if bs && !unescapeQuotes(raw, q, o) {
		return false, false
	}
	return all != 0, true
}

// unescapeQuotes takes the escaped quotes out of q, and reports whether
// every backslash (of those in odd) starts a valid escape.
func unescapeQuotes(raw []byte, q, odd []uint64) bool {
	escaped := -1 // the byte the last backslash escapes
	for b, w := range odd {
		for ; w != 0; w &= w - 1 {
			j := b<<6 | bits.TrailingZeros64(w)
			if j == escaped || raw[j] != '\\' {
				continue
			}
			if !validEscape(raw, j) {
				return false
			}
			if escaped = j + 1; raw[escaped] == '"' {
				q[escaped>>6] &^= 1 << (escaped & 63)
			}
		}
	}
	return true
}

// validEscape reports whether the backslash at raw[j] starts a valid
// escape of RFC 8259 (internal/event's scanner's rule).
func validEscape(raw []byte, j int) bool {
	if j+1 >= len(raw) {
		return false
	}
	switch raw[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if j+6 > len(raw) {
			return false
		}
		for _, h := range raw[j+2 : j+6] {
			if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
				return false
			}
		}
		return true
	}
	return false
}

// noteStrings notes the end of every string in t and its offset in
// f.toks, pairing the quotes quoteBits noted (odd: some strings are not
// plain). false when a string is not closed.
func (f *fastDoc) noteStrings(raw []byte, t []int32, odd bool) bool {
	toks := f.toks
	if q, o := f.blocks.quote, f.blocks.odd; hasNoteQuotes && len(q) > 0 {
		toks = slices.Grow(toks, len(raw)/2+1)
		n, closed := noteQuotes(&q[0], &o[0], len(q), &t[0], unsafe.SliceData(toks[len(toks):cap(toks)]))
		f.toks = toks[:len(toks)+n]
		return closed
	}
	open := -1 // the opening quote of the string being read
	for b, w := range f.blocks.quote {
		for ; w != 0; w &= w - 1 {
			j := b<<6 | bits.TrailingZeros64(w)
			if open < 0 {
				open = j
				continue
			}
			e := int32(j+1) | plainEnd
			if odd && anyBit(f.blocks.odd, open, j) {
				e = int32(j + 1)
			}
			t[open] = e
			toks = append(toks, int32(open))
			open = -1
		}
	}
	f.toks = toks
	return open < 0
}

// anyBit reports whether words have a bit set in [a, b).
func anyBit(words []uint64, a, b int) bool {
	wa, wb := a>>6, b>>6
	lo, hi := ^uint64(0)<<(a&63), uint64(1)<<(b&63)-1
	if wa == wb {
		return words[wa]&lo&hi != 0
	}
	if words[wa]&lo != 0 {
		return true
	}
	for _, w := range words[wa+1 : wb] {
		if w != 0 {
			return true
		}
	}
	return wb < len(words) && words[wb]&hi != 0
}

// walkCompact is check's walk for a record whose strings are noted in t
// (noteStrings) and that has no blank between tokens, the common record:
// each separator then stands at a known place. It reports whether raw is
// one such valid object, noting containers, numbers and literals as check
// does; false also when it meets a blank (check's walk then judges).
func walkCompact(raw []byte, t []int32, stack []int32) ([]int32, bool) {
	if len(raw) < 2 || raw[0] != '{' || len(t) != len(raw) {
		return stack, false
	}
	t = t[:len(raw)]
	stack = append(stack[:0], 0)
	obj, i := true, 1
	empty := raw[1] == '}' // i is at the end of an empty container
	for {
		if !empty && obj && hasQuoteMasks {
			// Members with string values, at once.
			i, empty = stringMembers(unsafe.SliceData(raw), len(raw), &t[0], i)
		}
		if !empty {
			if obj {
				// A key, its colon.
				if raw[i] != '"' {
					return stack, false
				}
				if i = int(t[i] &^ plainEnd); i+1 >= len(raw) || raw[i] != ':' {
					return stack, false
				}
				i++
			}
			// A value.
			if c := raw[i]; c == '"' {
				n := t[i]
				if n == 0 {
					return stack, false
				}
				i = int(n &^ plainEnd)
			} else if c == '{' || c == '[' {
				// A container: its first member or element, or its end.
				if len(stack) >= maxCheckDepth || i+1 >= len(raw) {
					return stack, false
				}
				stack = append(stack, int32(i))
				obj = c == '{'
				if i++; raw[i] != c+2 { // '}' is '{'+2, ']' '['+2
					continue
				}
			} else {
				e := scalarEnd(raw, i)
				if e < 0 {
					return stack, false
				}
				t[i] = int32(e)
				i = e
			}
		}
		empty = false
		// After a value: a comma and the next, or closing brackets.
		for {
			if i >= len(raw) {
				return stack, false
			}
			c := raw[i]
			if c == ',' {
				if i++; i >= len(raw) {
					return stack, false
				}
				break
			}
			s := stack[len(stack)-1]
			if c != raw[s]+2 {
				return stack, false
			}
			stack = stack[:len(stack)-1]
			t[s] = int32(i + 1)
			if i++; len(stack) == 0 {
				return stack, i == len(raw)
			}
			obj = raw[stack[len(stack)-1]] == '{'
		}
	}
}

// scalarEnd returns the end of the number or literal at raw[i], -1 when
// there is none.
func scalarEnd(raw []byte, i int) int {
	switch raw[i] {
	case 't':
		if hasWord(raw, i, "true") {
			return i + 4
		}
	case 'f':
		if hasWord(raw, i, "false") {
			return i + 5
		}
	case 'n':
		if hasWord(raw, i, "null") {
			return i + 4
		}
	default:
		return numberEnd(raw, i)
	}
	return -1
}
