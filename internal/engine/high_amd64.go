package engine

// indexHigh returns the offset of the first byte of b outside ASCII (0x80
// or more), len(b) when there is none: 64 bytes a step, their high bits
// gathered by one PMOVMSKB of the four 16-byte words OR-ed (SSE2, which
// every amd64 machine has; high_amd64.s).
//
//go:noescape
func indexHigh(b []byte) int
