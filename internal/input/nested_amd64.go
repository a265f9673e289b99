package input

import (
	"math/bits"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// masks64 sets a bit, for each of the 64 bytes at p, in quote where the
// byte is '"', in backslash where it is '\\', in open where it is '{' or
// '[' and in shut where it is '}' or ']' (bit k for p[k]). SSE2, which
// every amd64 machine has (nested_amd64.s).
//
//go:noescape
func masks64(p *byte) (quote, backslash, open, shut uint64)

// masks64AVX2 is masks64 in two 32-byte steps, for machines with AVX2.
//
//go:noescape
func masks64AVX2(p *byte) (quote, backslash, open, shut uint64)

var hasAVX2 = cpu.X86.HasAVX2

// nestedEnd is skipNested's loop in assembly (AVX2, BMI1 and PCLMULQDQ),
// from i on at the given depth, over p[:n], 64 bytes a step: found with
// the end when a step holds it, else where it stopped (a step with a
// backslash, or fewer than 64 bytes left), the depth there and whether
// that is in a string, for skipNestedFrom.
//
//go:noescape
func nestedEnd(p *byte, n, i, depth int) (end, depthOut int, inString, found bool)

var hasNestedEnd = hasAVX2 && cpu.X86.HasBMI1 && cpu.X86.HasPCLMULQDQ

// skipNested returns the end of the object or array whose first byte
// after the opening bracket is at i, 64 bytes a step: the running parity
// of the quotes (a prefix XOR of their bits) tells the brackets inside
// strings from those outside, and only the latter are looked at one by
// one. A step whose bytes hold a backslash (an escape) hands the rest to
// skipNestedFrom, which follows escapes.
func skipNested(b []byte, i int) (int, bool) {
	if hasNestedEnd {
		end, depth, in, found := nestedEnd(unsafe.SliceData(b), len(b), i, 1)
		if found {
			return end, true
		}
		return skipNestedFrom(b, end, depth, in)
	}
	depth := 1
	var in uint64 // all ones when the step starts inside a string
	for ; i+64 <= len(b); i += 64 {
		var quote, backslash, open, shut uint64
		if hasAVX2 {
			quote, backslash, open, shut = masks64AVX2(&b[i])
		} else {
			quote, backslash, open, shut = masks64(&b[i])
		}
		if backslash != 0 {
			break
		}
		// Bit k of inside: the quotes at or before k are odd in number
		// (counting the string the step started in): a bracket there is
		// in a string.
		inside := quote
		inside ^= inside << 1
		inside ^= inside << 2
		inside ^= inside << 4
		inside ^= inside << 8
		inside ^= inside << 16
		inside ^= inside << 32
		inside ^= in
		for m := (open | shut) &^ inside; m != 0; m &= m - 1 {
			k := bits.TrailingZeros64(m)
			if open>>k&1 != 0 {
				depth++
			} else if depth--; depth == 0 {
				return i + k + 1, true
			}
		}
		in = uint64(int64(inside) >> 63)
	}
	return skipNestedFrom(b, i, depth, in != 0)
}
