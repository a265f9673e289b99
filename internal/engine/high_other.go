//go:build !amd64

package engine

// indexHigh returns the offset of the first byte of b outside ASCII (0x80
// or more), len(b) when there is none.
func indexHigh(b []byte) int { return indexHighWords(b) }
