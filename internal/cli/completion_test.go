package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// helpFlags reads a command's flags from its -h output, as a user sees
// them: independent of how the completion scripts gather them.
func helpFlags(t *testing.T, args ...string) []string {
	t.Helper()
	var stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr, Now: StdEnv().Now}
	if code := Main(append(args, "-h"), env); code != exitOK {
		t.Fatalf("vigil %s -h: exit %d", strings.Join(args, " "), code)
	}
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^  -([\w-]+)`).FindAllStringSubmatch(stderr.String(), -1) {
		flags = append(flags, m[1])
	}
	return flags
}

// TestCompletionCoversEveryFlag checks that each shell's script offers
// every command, every rules subcommand and every flag each one's -h
// lists, in that command's part of the script.
func TestCompletionCoversEveryFlag(t *testing.T) {
	scripts := map[string]string{}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		var out bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &bytes.Buffer{}, Now: StdEnv().Now}
		if code := Main([]string{"completion", sh}, env); code != exitOK {
			t.Fatalf("vigil completion %s: exit %d", sh, code)
		}
		scripts[sh] = out.String()
	}
	total := 0
	check := func(path []string, flags []string) {
		total += len(flags)
		for sh, script := range scripts {
			part := section(script, sh, path)
			if part == "" {
				t.Errorf("%s: no part for vigil %s", sh, strings.Join(path, " "))
				continue
			}
			for _, f := range flags {
				want := "--" + f
				if sh == "fish" {
					want = "-l " + f + " "
				}
				if !strings.Contains(part, want) {
					t.Errorf("%s: vigil %s: flag --%s missing", sh, strings.Join(path, " "), f)
				}
			}
		}
	}
	for _, c := range commands() {
		if c.name == "rules" {
			for _, sub := range rulesSubcommands {
				check([]string{"rules", sub}, helpFlags(t, "rules", sub))
			}
			continue
		}
		check([]string{c.name}, helpFlags(t, c.name))
	}
	if total < 60 {
		t.Errorf("only %d flags found in the commands' -h: the help format changed?", total)
	}
}

// section returns the part of a completion script that completes the
// command path.
func section(script, sh string, path []string) string {
	switch sh {
	case "fish":
		var b strings.Builder
		for _, line := range strings.Split(script, "\n") {
			cond := "__fish_seen_subcommand_from " + path[0] + "'"
			if len(path) == 2 {
				cond = "__fish_seen_subcommand_from " + path[0] + "; and __fish_seen_subcommand_from " + path[1] + "'"
			}
			if strings.Contains(line, cond) {
				b.WriteString(line + "\n")
			}
		}
		return b.String()
	default: // bash and zsh: case branches "    name)" up to ";;" at the same depth
		s := script
		for depth, name := range path {
			indent := strings.Repeat("    ", depth+1)
			i := strings.Index(s, "\n"+indent+name+")\n")
			if i < 0 {
				return ""
			}
			s = s[i+1:]
			if j := strings.Index(s, "\n"+indent+";;"); j >= 0 && depth == len(path)-1 {
				s = s[:j]
			}
		}
		return s
	}
}

// TestCompletionInShells loads each script in its shell and asks for
// completions as the shell would: the command names, a rules subcommand, a
// flag. A shell that is not installed is skipped (CI installs them).
func TestCompletionInShells(t *testing.T) {
	dir := t.TempDir()
	for _, sh := range []string{"bash", "zsh", "fish"} {
		var out bytes.Buffer
		Main([]string{"completion", sh}, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &bytes.Buffer{}, Now: StdEnv().Now})
		if err := os.WriteFile(filepath.Join(dir, "vigil."+sh), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(t *testing.T, shell string, args ...string) string {
		t.Helper()
		if _, err := exec.LookPath(shell); err != nil {
			if os.Getenv("VIGIL_REQUIRE_SHELLS") != "" {
				t.Fatalf("%s is not installed (VIGIL_REQUIRE_SHELLS is set)", shell)
			}
			t.Skipf("%s is not installed", shell)
		}
		cmd := exec.Command(shell, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", shell, args, err, out)
		}
		return string(out)
	}
	t.Run("bash", func(t *testing.T) {
		q := func(line string) string {
			return run(t, "bash", "-c", `source ./vigil.bash
read -ra COMP_WORDS <<< "$1"; [[ "$1" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _vigil; printf '%s\n' "${COMPREPLY[@]}"`, "bash", line)
		}
		if got := q("vigil hu"); got != "hunt\n" {
			t.Errorf("vigil hu<TAB> = %q, want hunt", got)
		}
		if got := q("vigil rules sh"); got != "show\n" {
			t.Errorf("vigil rules sh<TAB> = %q, want show", got)
		}
		if got := q("vigil hunt --qu"); got != "--quiet\n" {
			t.Errorf("vigil hunt --qu<TAB> = %q, want --quiet", got)
		}
		if got := q("vigil search --lang"); got != "--language\n" {
			t.Errorf("vigil search --lang<TAB> = %q, want --language", got)
		}
		if got := q("vigil rules validate --ma"); got != "--mapping\n" {
			t.Errorf("vigil rules validate --ma<TAB> = %q, want --mapping", got)
		}
	})
	t.Run("zsh", func(t *testing.T) {
		run(t, "zsh", "-n", "vigil.zsh") // syntax only: zsh completes in an interactive shell
	})
	t.Run("fish", func(t *testing.T) {
		q := func(line string) string {
			out := run(t, "fish", "--no-config", "-c", "source vigil.fish; complete -C '"+line+"'")
			var words []string
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				words = append(words, strings.SplitN(l, "\t", 2)[0])
			}
			return strings.Join(words, " ")
		}
		if got := q("vigil hu"); got != "hunt" {
			t.Errorf("vigil hu<TAB> = %q, want hunt", got)
		}
		if got := q("vigil rules sh"); got != "show" {
			t.Errorf("vigil rules sh<TAB> = %q, want show", got)
		}
		if got := q("vigil hunt --qu"); got != "--quiet" {
			t.Errorf("vigil hunt --qu<TAB> = %q, want --quiet", got)
		}
		if got := q("vigil rules validate --ma"); got != "--mapping" {
			t.Errorf("vigil rules validate --ma<TAB> = %q, want --mapping", got)
		}
	})
}
