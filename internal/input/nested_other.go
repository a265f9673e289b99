//go:build !amd64

package input

// skipNested returns the end of the object or array whose first byte
// after the opening bracket is at i.
func skipNested(b []byte, i int) (int, bool) { return skipNestedFrom(b, i, 1, false) }
