package match

import (
	"strings"
	"testing"
)

// TestLucRegexpQuickChecks checks that a regular expression's quick
// conditions (first and last bytes, required literals) never reject what
// the expression itself matches, and that they are derived where they
// should be.
func TestLucRegexpQuickChecks(t *testing.T) {
	patterns := []string{
		`(azure|sharp|blood)(hound)/.*`, `/[a-z0-9\s_\-\\./]+\s`, `[a-z0-9]\.exe`, `.*`, `a*`, `ab?c+`, `(foo|)bar`,
		`"a.b"x{2,3}`, `[^a]+z`, `é+k`, `K`, `s.*`, `(x|yz)`, `x{0,2}y`, `.+\.(exe|dll)`, `[0-9]{3}`, `ſ`,
	}
	values := []string{
		"", "a", "Hound/1", "AzureHound/2.1", "sharphound/x", "bloodhoundx/", "BLOODHOUND/", "/usr/bin/x ", "/usr/bin/x",
		"/UsR/x\t", "a.exe", "A.EXE", "ab.exe", "abc", "abcc", "ac", "bar", "foobar", "FOOBAR", "a.bxx", "a.bxxx", "a.bx",
		"qqz", "az", "éék", "ÉK", "k", "K", "\u212a", "s", "S", "ſ", "sx", "ſx", "x", "yz", "Yz", "y", "xxy", "a.dll", ".exe",
		"123", "12", "x\xffz", "\xff", "é", strings.Repeat("a", 300) + "hound/", strings.Repeat("b", 300),
	}
	for _, p := range patterns {
		for _, fold := range []bool{false, true} {
			re, err := luceneRegexp(p, fold)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			lr := newLucRegexp(re, fold)
			for _, v := range values {
				if got, want := lr.match(v), re.MatchString(v); got != want {
					t.Errorf("%q (fold %v) on %q: %v, the expression says %v", p, fold, v, got, want)
				}
			}
		}
	}
	re, _ := luceneRegexp(`(azure|sharp|blood)(hound)/.*`, true)
	if lr := newLucRegexp(re, true); len(lr.lits) != 1 || lr.lits[0] != "hound/" || lr.first == nil || lr.last != nil {
		t.Errorf("bloodhound: lits %q, first %v, last %v: want [hound/], a first byte set and none for the last", lr.lits, lr.first != nil, lr.last != nil)
	}
	re, _ = luceneRegexp(`/[a-z0-9\s_\-\\./]+\s`, true)
	if lr := newLucRegexp(re, true); lr.last == nil || lr.last['h'] || !lr.last[' '] {
		t.Errorf("space after filename: the last byte must be a space")
	}
}
