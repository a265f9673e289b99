package azure

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// naiveStringEnd is stringEnd byte by byte.
func naiveStringEnd(raw []byte, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(raw)
}

// naivePlainJSONString is plainJSONString without the eight-byte steps.
func naivePlainJSONString(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' {
			if i+1 < len(b) && strings.IndexByte(`"\nrtbf`, b[i+1]) >= 0 {
				i++
				continue
			}
			return false
		}
		if c < 0x20 {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(b[i:]) && !bytes.Contains(b[i:], []byte("\u2028")) && !bytes.Contains(b[i:], []byte("\u2029"))
		}
	}
	return true
}

var swarSeeds = []string{
	``, `a`, `"`, `\`, `\\`, `\"`, `abcdefg"`, `abcdefgh"`, `abcdefghi"`, `abcdefg\"x"`, `abcdefg\\"x`,
	`0123456789abcdef\\\"0123"`, "tab\there\"", "\x1f\x20\x21\"", `"":"",{"a":"b"}`, `{"":"","x":1}`,
	"caf\u00e9 na\u00efve\"", "line\u2028sep\"", "\u2029", "\xe2\x80", "\xff\xfe\"", `\u0041BCDEFGH"`,
	strings.Repeat(`a\"`, 20) + `"`, strings.Repeat("x", 63) + `"`, `{"k":"v","":""}`,
}

func TestSWARScans(t *testing.T) {
	for _, s := range swarSeeds {
		checkSWAR(t, s)
		for i := range len(s) { // every alignment
			checkSWAR(t, s[i:])
			checkSWAR(t, strings.Repeat("y", i)+s)
		}
	}
}

func checkSWAR(t *testing.T, s string) {
	t.Helper()
	raw := []byte(`"` + s)
	if got, want := stringEnd(raw, 0), naiveStringEnd(raw, 0); got != want {
		t.Fatalf("stringEnd(%q) = %d, want %d", raw, got, want)
	}
	if got, want := plainJSONString([]byte(s)), naivePlainJSONString([]byte(s)); got != want {
		t.Fatalf("plainJSONString(%q) = %v, want %v", s, got, want)
	}
	if !utf8.ValidString(s) {
		return // appendOriginal's callers check
	}
	for _, strip := range []bool{false, true} {
		prefix := []byte("pre")
		got := appendOriginal(prefix, []byte(s), strip)
		text := s
		if strip {
			text = strings.ReplaceAll(text, emptyPair, "")
		}
		want := appendJSONString([]byte("pre"), text)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendOriginal(%q, %v) = %s, want %s", s, strip, got, want)
		}
	}
}

func FuzzSWARScans(f *testing.F) {
	for _, s := range swarSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkSWAR(t, s) })
}
