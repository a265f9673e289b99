package azure

import (
	"encoding/binary"
	"strings"
	"unsafe"
)

// Eight bytes at a time: masks with the high bit set in each byte of a
// word that is of a kind. The lowest set bit of a mask (and of an OR of
// masks) is exact; bits above it may be false positives (the borrow), so
// callers use only the first.
const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// word is the eight bytes of b at i, little-endian (b[i] lowest).
func word(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i:]) }

// byteIs marks the bytes of w equal to c.
func byteIs(w uint64, c byte) uint64 {
	x := w ^ (swarLo * uint64(c))
	return (x - swarLo) & ^x & swarHi
}

// byteBelow marks the bytes of w less than n (n <= 128).
func byteBelow(w uint64, n byte) uint64 { return (w - swarLo*uint64(n)) & ^w & swarHi }

// exactByteIs marks exactly the bytes of w equal to c: no false positive,
// so that every set bit can be used.
func exactByteIs(w uint64, c byte) uint64 {
	const low7 = ^uint64(swarHi)
	x := w ^ (swarLo * uint64(c))
	return ^((x&low7 + low7) | x | low7)
}

// sameKey reports whether a and b hold the same bytes: keys of 4 to 16
// bytes, most of a record's, compared as two words each (the first and
// last eight or four bytes, overlapping) without a call.
func sameKey(a, b string) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	if wordAccess && n >= 4 && n <= 16 {
		pa, pb := unsafe.Pointer(unsafe.StringData(a)), unsafe.Pointer(unsafe.StringData(b))
		if n < 8 { // two halves of four bytes, overlapping
			return *(*uint32)(pa) == *(*uint32)(pb) && *(*uint32)(unsafe.Add(pa, n-4)) == *(*uint32)(unsafe.Add(pb, n-4))
		}
		return *(*uint64)(pa) == *(*uint64)(pb) && *(*uint64)(unsafe.Add(pa, n-8)) == *(*uint64)(unsafe.Add(pb, n-8))
	}
	return a == b
}

// lowerIs reports whether strings.ToLower(s) == lower, for lower of
// ASCII: an ASCII s's letters compared lowered, without a copy (ToLower
// makes some letters outside ASCII ASCII ones, the Kelvin sign a k and
// the dotted capital I an i: those s are left to it).
func lowerIs(s, lower string) bool {
	if len(s) != len(lower) {
		// Letters of two or three bytes may lower to one.
		return len(s) > len(lower) && len(s) <= 3*len(lower) && !isASCII(s) && strings.ToLower(s) == lower
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToLower(s) == lower
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
