package input

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestMasks64 checks the SSE2 and AVX2 kernels (where the machine has
// AVX2) against a byte loop, on random bytes weighted to the ones they
// look for.
func TestMasks64(t *testing.T) {
	kernels := map[string]func(*byte) (uint64, uint64, uint64, uint64){"sse2": masks64}
	if hasAVX2 {
		kernels["avx2"] = masks64AVX2
	}
	r := rand.New(rand.NewPCG(41, 42))
	alphabet := []byte(`"\{}[]az ` + "\x00\x80\xff\x22\x5b\x7b\x3b\x1b")
	for range 5000 {
		var b [64]byte
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
			if r.IntN(4) == 0 {
				b[i] = byte(r.IntN(256))
			}
		}
		var want [4]uint64
		for i, c := range b {
			for k, set := range []string{`"`, `\`, "{[", "}]"} {
				if strings.IndexByte(set, c) >= 0 {
					want[k] |= 1 << i
				}
			}
		}
		for name, masks := range kernels {
			q, bs, o, s := masks(&b[0])
			if got := [4]uint64{q, bs, o, s}; got != want {
				t.Fatalf("%s of %q = %x, want %x", name, b, got, want)
			}
		}
	}
	if !hasAVX2 {
		t.Log("no AVX2 here: only the SSE2 kernel was checked")
	}
}

// TestSkipNestedPaths: skipValue over long values (strings holding
// brackets, quotes escaped or not, backslashes, nesting across the
// 64-byte steps), with nestedEnd and with the Go loop, agrees with the
// byte loop at every prefix.
func TestSkipNestedPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{`{`, `}`, `[`, `]`, `"a{b"`, `"]"`, `"\""`, `"\\"`, `"x\\\"y"`, `,`, `:`, `1`, ` `, `"` + strings.Repeat("s", 70) + `"`, `"é"`, `"[[[{{{"`}
	was := hasNestedEnd
	defer func() { hasNestedEnd = was }()
	for range 300 {
		var sb strings.Builder
		sb.WriteString("[")
		for range 10 + r.IntN(60) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		if r.IntN(2) == 0 {
			sb.WriteString(strings.Repeat("]", 1+r.IntN(3)))
		}
		b := []byte(sb.String())
		for n := len(b) / 2; n <= len(b); n++ {
			for _, i := range []int{0, 1} {
				if i >= n {
					continue
				}
				want, wok := skipValueByBytes(b[:n], i)
				for _, asm := range []bool{false, was} {
					hasNestedEnd = asm
					if got, gok := skipValue(b[:n], i); gok != wok || (gok && got != want) {
						t.Fatalf("nestedEnd %v: skipValue(%q, %d) = %d, %v; the byte loop gives %d, %v", asm, b[:n], i, got, gok, want, wok)
					}
				}
			}
		}
	}
}
