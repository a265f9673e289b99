//go:build !amd64

package azure

// quoteASCII is quote_amd64.go's, which other machines do without: it
// writes nothing.
func quoteASCII(dst, src *byte, n int, strip, wide bool, t *quoteTables) (written, read int) {
	return 0, 0
}

const hasQuoteASCII, hasQuoteASCIIWide = false, false

// plainStringEnd16 is quote_amd64.go's: here it reads nothing, and the
// caller goes on from i+1.
func plainStringEnd16(raw *byte, n, i int) int { return -2 - (i + 1) }

// simdStrings tells whether plainStringEnd16 reads.
const simdStrings = false
