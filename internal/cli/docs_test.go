package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsDescribeEveryFlag checks that docs/cli.md names every flag of
// every command (as --name, or -x for a one-letter flag) in that command's
// section, so that the page keeps up with the flags.
func TestDocsDescribeEveryFlag(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	sectionOf := func(cmd string) string {
		i := strings.Index(doc, "\n## vigil "+cmd+"\n")
		if i < 0 {
			return ""
		}
		s := doc[i+1:]
		if j := strings.Index(s[1:], "\n## "); j >= 0 {
			s = s[:j+1]
		}
		return s
	}
	for _, c := range commands() {
		paths := [][]string{{c.name}}
		if c.name == "rules" {
			paths = nil
			for _, sub := range rulesSubcommands {
				paths = append(paths, []string{"rules", sub})
			}
		}
		part := sectionOf(c.name)
		if part == "" {
			t.Errorf("docs/cli.md has no section '## vigil %s'", c.name)
			continue
		}
		for _, path := range paths {
			for _, f := range helpFlags(t, path...) {
				if !strings.Contains(part, "--"+f) && !(len(f) == 1 && strings.Contains(part, "-"+f)) {
					t.Errorf("docs/cli.md, section vigil %s: flag --%s (of vigil %s) is not described", c.name, f, strings.Join(path, " "))
				}
			}
		}
	}
}
