package azure

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
)

// guarded returns a copy of text that ends where a page no one may read
// begins: a read past its end faults.
func guarded(t *testing.T, text string) []byte {
	t.Helper()
	page := syscall.Getpagesize()
	size := (len(text)/page + 2) * page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	b := mem[size-page-len(text) : size-page : size-page]
	copy(b, text)
	return b
}

// TestWordCopiesStayInBounds copies and quotes texts that end at a page
// no one may read: appendShort, appendOriginalASCII and sameKey read no
// byte past the text's backing array.
func TestWordCopiesStayInBounds(t *testing.T) {
	for n := 0; n <= wideCopy+6; n++ {
		text := strings.Repeat(`a"`, n)[:n]
		src := guarded(t, text)
		if got := appendShort(make([]byte, 0, 2*wideCopy), src); string(got) != text {
			t.Fatalf("appendShort(%q) = %q", text, got)
		}
		for _, strip := range []bool{false, true} {
			want := appendOriginal(nil, src, strip)
			if got, ok := appendOriginalASCII(nil, src, strip); ok && !bytes.Equal(got, want) {
				t.Fatalf("appendOriginalASCII(%q, %v) = %s, want %s", text, strip, got, want)
			}
		}
		str := guarded(t, `"`+strings.Repeat("s", n))
		if got := plainStringEnd(str, 0); got != -1 {
			t.Fatalf("plainStringEnd(%q) = %d", str, got)
		}
		str = guarded(t, `"`+strings.Repeat("s", n)+`"`)
		if got := plainStringEnd(str, 0); got != len(str) {
			t.Fatalf("plainStringEnd(%q) = %d", str, got)
		}
		if !sameKey(unsafeString(src), text) {
			t.Fatalf("sameKey(%q) false", text)
		}
	}
}
