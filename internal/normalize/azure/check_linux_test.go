package azure

import (
	"strings"
	"testing"
)

// TestQuoteMasksStayInBounds: a record that ends where an unreadable page
// begins is checked without reading past it, at every length around the
// 64-byte steps.
func TestQuoteMasksStayInBounds(t *testing.T) {
	for n := 0; n < 200; n++ {
		text := `{"k":"` + strings.Repeat("v", n) + `","n":[1,2]}`
		b := guarded(t, text)
		d := NewDoc(b)
		if !d.Check() {
			t.Fatalf("%q: refused", text)
		}
		d.Release()
		checkOne(t, guarded(t, text[:len(text)-1]))
	}
}
