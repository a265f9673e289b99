package cli

import "testing"

func TestUseColor(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return v
			}
			return ""
		}
	}
	for _, c := range []struct {
		mode     string
		terminal bool
		noColor  string
		want     bool
	}{
		{"auto", true, "", true},
		{"auto", true, "1", false}, // NO_COLOR set: no colour
		{"auto", false, "", false}, // a pipe or a file
		{"always", false, "1", true},
		{"never", true, "", false},
	} {
		if got := useColor(c.mode, c.terminal, env(c.noColor)); got != c.want {
			t.Errorf("useColor(%q, terminal %v, NO_COLOR=%q) = %v, want %v", c.mode, c.terminal, c.noColor, got, c.want)
		}
	}
}

func TestShorten(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a reason that is too long", 10, "a reason…"},
		{"ééééééééééé", 5, "éééé…"}, // counted in characters, not bytes
	} {
		if got := shorten(c.in, c.n); got != c.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	in := "eve\x1b]0;pwned\x07\nnext\u009b31m\tend é"
	want := "eve ]0;pwned  next 31m end é"
	if got := printable(in); got != want {
		t.Errorf("printable(%q) = %q, want %q", in, got, want)
	}
}
