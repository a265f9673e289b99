package engine

import "golang.org/x/sys/cpu"

// indexHigh returns the offset of the first byte of b outside ASCII (0x80
// or more), len(b) when there is none: 64 bytes a step, their high bits
// gathered by one move of the mask of the words OR-ed (AVX2 where the
// machine has it, else SSE2, which every amd64 machine has;
// high_amd64.s), the last bytes by indexHighWords.
func indexHigh(b []byte) int {
	if hasAVX2 {
		return highAfter(b, highChunksAVX2(b))
	}
	return highAfter(b, highChunksSSE2(b))
}

// highAfter is indexHigh from what a chunk kernel returned for b, i.
func highAfter(b []byte, i int) int {
	if i < len(b)&^63 {
		return i
	}
	return i + indexHighWords(b[i:])
}

var hasAVX2 = cpu.X86.HasAVX2

// highChunksSSE2 and highChunksAVX2 return the offset of the first byte
// outside ASCII in b's whole 64-byte chunks, their length when none has
// one.
//
//go:noescape
func highChunksSSE2(b []byte) int

//go:noescape
func highChunksAVX2(b []byte) int
