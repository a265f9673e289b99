package engine

// highKernels are the machine's own indexHigh kernels, each tested.
func highKernels() []func([]byte) int {
	ks := []func([]byte) int{func(b []byte) int { return highAfter(b, highChunksSSE2(b)) }}
	if hasAVX2 {
		ks = append(ks, func(b []byte) int { return highAfter(b, highChunksAVX2(b)) })
	}
	return ks
}
