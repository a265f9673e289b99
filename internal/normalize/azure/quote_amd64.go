package azure

import "golang.org/x/sys/cpu"

// quoteASCII writes src[:n] to dst with a backslash before each quote,
// sixteen bytes a step (SSSE3: a shuffle per eight bytes makes room for
// the backslashes, from quoteTables), and returns the bytes written and
// read. It stops before the first step that holds a byte below 0x20 or
// above 0x7f, a backslash, or (strip) two quotes in a row (the last byte
// of the step before counted), and before the last n%16 bytes: the
// caller quotes the rest. wide: thirty-two bytes a step first (AVX2),
// while they are plain. A step of i bytes read writes at most 2*i bytes
// from twice the bytes read before it: dst has room for 2*n bytes.
//
//go:noescape
func quoteASCII(dst, src *byte, n int, strip, wide bool, t *quoteTables) (written, read int)

var (
	hasQuoteASCII     = cpu.X86.HasSSSE3
	hasQuoteASCIIWide = hasQuoteASCII && cpu.X86.HasAVX2
)

// plainStringEnd16 is plainStringEnd sixteen bytes a step (SSE2): the
// offset after the string token at raw[i] when its text is plain, -1
// when it is not, and -2-j when fewer than sixteen bytes are left from
// j on, all plain (the caller goes on from j). n is raw's length.
//
//go:noescape
func plainStringEnd16(raw *byte, n, i int) int

// simdStrings tells whether plainStringEnd16 reads (SSE2, every amd64).
const simdStrings = true
