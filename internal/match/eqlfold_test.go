package match

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// TestFoldASCIIQuickChecks checks the case-insensitive quick checks of a
// folded wildcard on ASCII values, which read the value without lowering
// a copy: containsFoldASCII against strings.Contains on the value
// lowered, and maybeFoldASCII never ruling out a value the pattern
// matches.
func TestFoldASCIIQuickChecks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	word := func(alpha string, n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(alpha[r.IntN(len(alpha))])
		}
		return b.String()
	}
	for range 20000 {
		pat := foldCase(word(`aB\.x*?`, 1+r.IntN(7)))
		w := newWildcard(pat)
		v := word(`aAbB\.xX`, r.IntN(12))
		if w.matchFoldASCII(v) && !w.maybeFoldASCII(v) {
			t.Fatalf("%q matches %q, but its quick checks rule it out", pat, v)
		}
		low := foldCase(word(`aB\.x`, 1+r.IntN(4)))
		anchor := strings.IndexFunc(low, func(c rune) bool { return c < 'a' || c > 'z' })
		if got, want := containsFoldASCII(v, low, anchor), strings.Contains(strings.ToLower(v), low); got != want {
			t.Fatalf("containsFoldASCII(%q, %q, %d) = %v, want %v", v, low, anchor, got, want)
		}
	}
}

// TestFoldExactLengths checks a case-insensitive pattern list of exact
// texts and wildcards, whose exact texts are looked up only for values of
// their lengths, against each pattern on the value lowered.
func TestFoldExactLengths(t *testing.T) {
	patterns := []string{"cmd.exe", "PowerShell.EXE", "a", "*\\temp\\*", "x?z", "ÉTÉ", "long " + strings.Repeat("y", 70)}
	list := &patternMatch{fold: true}
	for _, p := range patterns {
		if f := foldCase(p); strings.ContainsAny(f, "*?") {
			list.wilds = append(list.wilds, newWildcard(f))
		} else {
			list.addExact(f)
		}
	}
	for _, v := range []string{"CMD.EXE", "cmd.ex", "xcmd.exe", "powershell.exe", "A", "", "b", "C:\\TEMP\\x", "XyZ", "été", "ÉTÉ",
		"LONG " + strings.Repeat("Y", 70), "long " + strings.Repeat("y", 69)} {
		want := false
		for _, p := range patterns {
			if f := foldCase(p); strings.ContainsAny(f, "*?") {
				want = want || newWildcard(f).match(foldCase(v))
			} else {
				want = want || f == foldCase(v)
			}
		}
		if got := list.matchString(v); got != want {
			t.Errorf("%q: %v, each pattern on the value lowered %v", v, got, want)
		}
	}
}

// TestEQLInLengths checks `in` and `in~`, which look a value up only when
// a constant has its length, against comparing it with each constant.
func TestEQLInLengths(t *testing.T) {
	consts := []string{"cmd.exe", "PowerShell.EXE", "a", "ÉTÉ", "long " + strings.Repeat("y", 70)}
	quoted := make([]string, len(consts))
	for i, c := range consts {
		quoted[i] = `"` + c + `"`
	}
	for _, op := range []string{"in", "in~"} {
		m := compileEQL(t, "any where kw "+op+" ("+strings.Join(quoted, ", ")+")")
		for _, v := range []string{"cmd.exe", "CMD.EXE", "cmd.ex", "xcmd.exe", "PowerShell.EXE", "powershell.exe", "a", "A", "", "ÉTÉ", "été",
			"long " + strings.Repeat("y", 70), "LONG " + strings.Repeat("Y", 70), "long " + strings.Repeat("y", 69)} {
			want := false
			for _, c := range consts {
				want = want || v == c || op == "in~" && foldCase(v) == foldCase(c)
			}
			raw, _ := json.Marshal(map[string]string{"kw": v})
			if got := m.Match(event.New(raw, m.Plan())); got != want {
				t.Errorf("kw %s (...) on %q: %v, want %v", op, v, got, want)
			}
		}
	}
}

// TestIsASCII puts one byte of 0x80 or more at each position of texts of
// up to 20 bytes (the word-at-a-time loop and the tail).
func TestIsASCII(t *testing.T) {
	for n := range 21 {
		b := []byte(strings.Repeat("a", n))
		if !isASCII(string(b)) {
			t.Errorf("%q: not ASCII", b)
		}
		for i := range n {
			for _, c := range []byte{0x80, 0xc3, 0xff} {
				b[i] = c
				if isASCII(string(b)) {
					t.Errorf("%q: ASCII", b)
				}
				b[i] = 0x7f
				if !isASCII(string(b)) {
					t.Errorf("%q: not ASCII", b)
				}
				b[i] = 'a'
			}
		}
	}
}
