package azure

import "golang.org/x/sys/cpu"

// quoteASCII writes src[:n] to dst with a backslash before each quote,
// sixteen bytes a step (SSSE3: a shuffle per eight bytes makes room for
// the backslashes, from quoteTables), and returns the bytes written and
// read. It stops before the first step that holds a byte below 0x20 or
// above 0x7f, a backslash, or (strip) two quotes in a row (the last byte
// of the step before counted), and before the last n%16 bytes: the
// caller quotes the rest. A step of i bytes read writes at most 32 bytes
// from 2*i: dst has room for 2*n bytes.
//
//go:noescape
func quoteASCII(dst, src *byte, n int, strip bool, t *quoteTables) (written, read int)

var hasQuoteASCII = cpu.X86.HasSSSE3
