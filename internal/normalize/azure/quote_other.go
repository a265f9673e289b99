//go:build !amd64

package azure

// quoteASCII is quote_amd64.go's, which other machines do without: it
// writes nothing.
func quoteASCII(dst, src *byte, n int, strip bool, t *quoteTables) (written, read int) { return 0, 0 }

const hasQuoteASCII = false
