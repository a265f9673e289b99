package engine

import "golang.org/x/sys/cpu"

// indexHigh returns the offset of the first byte of b outside ASCII (0x80
// or more), len(b) when there is none: 64 bytes a step, their high bits
// gathered by one move of the mask of the words OR-ed (AVX2 where the
// machine has it, else SSE2, which every amd64 machine has;
// high_amd64.s).
func indexHigh(b []byte) int {
	if hasAVX2 {
		return indexHighAVX2(b)
	}
	return indexHighSSE2(b)
}

var hasAVX2 = cpu.X86.HasAVX2

//go:noescape
func indexHighSSE2(b []byte) int

//go:noescape
func indexHighAVX2(b []byte) int
