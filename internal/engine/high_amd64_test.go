package engine

// highKernels are the machine's own indexHigh kernels, each tested.
func highKernels() []func([]byte) int {
	if hasAVX2 {
		return []func([]byte) int{indexHighSSE2, indexHighAVX2}
	}
	return []func([]byte) int{indexHighSSE2}
}
