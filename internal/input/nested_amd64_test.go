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
