package eql

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPosCountsOn checks parser.pos, which counts a column on from the
// last position converted, against counting from the line's start, for
// offsets asked in order, backwards and at random, over lines of runes of
// every width.
func TestPosCountsOn(t *testing.T) {
	src := "process where\n  process.name : (\"é\", \"日本\", \"𝄞x\") and\n\n  x == 1 /* ü */ and y : \"a\"\n"
	naive := func(off int) Pos {
		start := strings.LastIndexByte(src[:off], '\n') + 1
		return Pos{Offset: off, Line: strings.Count(src[:off], "\n") + 1, Col: utf8.RuneCountInString(src[start:off]) + 1}
	}
	var offs []int
	for i := 0; i <= len(src); i++ {
		if utf8.RuneStart(src[min(i, len(src)-1)]) || i == len(src) {
			offs = append(offs, i)
		}
	}
	orders := map[string][]int{"forward": offs}
	backward := make([]int, len(offs))
	for i, o := range offs {
		backward[len(offs)-1-i] = o
	}
	orders["backward"] = backward
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 5 {
		shuffled := append([]int(nil), offs...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		orders["random"+string(rune('0'+n))] = shuffled
	}
	for name, order := range orders {
		p := &parser{src: src}
		for i := 0; i < len(src); i++ {
			if src[i] == '\n' {
				p.lines = append(p.lines, i+1)
			}
		}
		for _, off := range order {
			if got, want := p.pos(off), naive(off); got != want {
				t.Fatalf("%s: pos(%d) = %+v, want %+v", name, off, got, want)
			}
		}
	}
}
