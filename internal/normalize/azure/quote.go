package azure

import (
	"math/bits"
	"slices"
)

// quoteTables are quoteASCII's: for each pattern of quotes among eight
// bytes (bit k for byte k), the shuffle that spreads the bytes to make
// room for a backslash before each quote (0x80, a zero byte, at the
// backslashes' places), the backslashes to put there, and the length of
// the result.
type quoteTables struct {
	shuffle   [256][16]byte
	backslash [256][16]byte
	length    [256]uint64
}

var quoteTabs = func() (t quoteTables) {
	for m := range 256 {
		for k := range t.shuffle[m] {
			t.shuffle[m][k] = 0x80
		}
		p := 0
		for k := range 8 {
			if m>>k&1 != 0 {
				t.backslash[m][p] = '\\'
				p++
			}
			t.shuffle[m][p] = byte(k)
			p++
		}
		t.length[m] = uint64(8 + bits.OnesCount8(uint8(m)))
	}
	return t
}()

// appendOriginalASCII is appendOriginal sixteen bytes at a time where
// the machine allows it (quoteASCII), the rest (a record's last bytes, or
// from a step quoteASCII does not take on) by quoteText; false (dst
// unchanged) where either declines.
func appendOriginalASCII(dst, raw []byte, strip bool) ([]byte, bool) {
	if !hasQuoteASCII || len(raw) < 16 {
		return dst, false
	}
	dst = slices.Grow(dst, 2*len(raw)+10)
	base := len(dst)
	out := dst[base:cap(dst)]
	out[0] = '"'
	j, i := quoteASCII(&out[1], &raw[0], len(raw), strip, hasQuoteASCIIWide, &quoteTabs)
	if strip && i > 0 && i < len(raw) && raw[i-1] == '"' && raw[i] == '"' {
		return dst, false // two quotes in a row across the steps and the rest
	}
	end, ok := quoteText(out, uintptr(1+j), raw[i:], strip)
	if !ok {
		return dst, false
	}
	out[end] = '"'
	return dst[:base+int(end)+1], true
}
