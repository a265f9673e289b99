//go:build !amd64

package engine

func highKernels() []func([]byte) int { return nil }
