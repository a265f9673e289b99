package exception

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
)

func TestPattern(t *testing.T) {
	for _, tt := range []struct {
		pat, s string
		want   bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		{"**", "x", true},
		{"?", "", false},
		{"?", "é", true},
		{"?", "ab", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*", "a", true},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"a*bc", "abcbc", true},
		{"*ab?", "xabab", false},
		{"*ab?", "xabcabd", true},
		{"*?*", "", false},
		{"*?*", "x", true},
		{"??*??", "abc", false},
		{"??*??", "abcd", true},
		{"a*?", "a", false},
		{"a*?", "ab", true},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`a\?`, "a?", true},
		{`a\?`, "ab", false},
		{`a\\b`, `a\b`, true},
		{`a\b`, "ab", true},
		{`a\`, `a\`, true},
		{"*.exe", "x.exe", true},
		{"*.exe", ".exe", true},
		{"*.exe", "x.exe.bak", false},
		{"日*本?", "日x本語", true},
		{"x", "X", false},
	} {
		if got := compilePattern(tt.pat).match(tt.s); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

// naiveMatch is Elasticsearch's wildcard by plain backtracking, for
// checking compilePattern on random inputs.
func naiveMatch(p []rune, s []rune) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	switch {
	case p[0] == '*':
		for i := 0; i <= len(s); i++ {
			if naiveMatch(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case p[0] == '?':
		return len(s) > 0 && naiveMatch(p[1:], s[1:])
	case p[0] == '\\' && len(p) > 1:
		return len(s) > 0 && s[0] == p[1] && naiveMatch(p[2:], s[1:])
	}
	return len(s) > 0 && s[0] == p[0] && naiveMatch(p[1:], s[1:])
}

func FuzzPattern(f *testing.F) {
	f.Add("a*b?c", "aXXbYc")
	f.Add(`*\**`, "a*b")
	f.Add("??*", "é")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 12 || len(s) > 24 || strings.Count(pat, "*") > 4 {
			return // keep the naive matcher fast
		}
		pat, s = strings.ToValidUTF8(pat, "?"), strings.ToValidUTF8(s, "?")
		want := naiveMatch([]rune(pat), []rune(s))
		if got := compilePattern(pat).match(s); got != want {
			t.Fatalf("%q matches %q = %v, naive %v", pat, s, got, want)
		}
	})
}

func TestTokens(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want []string
	}{
		{"Login FAILED for bob", []string{"login", "failed", "for", "bob"}},
		{"example.com: don't v1.2 3,000", []string{"example.com", "don't", "v1.2", "3,000"}},
		{"a_b __ c-d", []string{"a_b", "c", "d"}},
		{"end.", []string{"end"}},
		{"ÉCOLE Straße", []string{"école", "straße"}},
	} {
		var got []string
		match.EachToken(tt.s, func(tok string) bool { got = append(got, tok); return true })
		if !slices.Equal(got, tt.want) {
			t.Errorf("tokens of %q = %q, want %q", tt.s, got, tt.want)
		}
	}
}

// TestIgnoreAbove: keyword values longer than 1024 characters are not
// indexed, so no wildcard or list entry matches them (and "does not match"
// holds); other keyword-like types have no such limit.
func TestIgnoreAbove(t *testing.T) {
	long := strings.Repeat("a", 1025)
	vl, err := NewValueList("longs", "keyword", []string{long})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		e    Entry
		doc  string
		want bool
	}{
		{Entry{Field: "user.name", Type: TypeWildcard, Operator: Included, Value: "a*"}, `{"user.name":"` + long + `"}`, false},
		{Entry{Field: "user.name", Type: TypeWildcard, Operator: Excluded, Value: "a*"}, `{"user.name":"` + long + `"}`, true},
		{Entry{Field: "user.name", Type: TypeWildcard, Operator: Included, Value: "a*"}, `{"user.name":["` + long + `","ab"]}`, true},
		{Entry{Field: "user.name", Type: TypeList, Operator: Included, List: &ListRef{ID: "longs"}}, `{"user.name":"` + long + `"}`, false},
		{Entry{Field: "process.command_line", Type: TypeWildcard, Operator: Included, Value: "a*"}, `{"process.command_line":"` + long + `"}`, true},
		{Entry{Field: "process.command_line", Type: TypeList, Operator: Included, List: &ListRef{ID: "longs"}}, `{"process.command_line":"` + long + `"}`, true},
	} {
		if got := excludesOne(t, tt.e, tt.doc, map[string]*ValueList{"longs": vl}); got != tt.want {
			t.Errorf("%s %s %q on %d characters: %v, want %v", tt.e.Field, tt.e.Type, tt.e.Operator, len(long), got, tt.want)
		}
	}
}

// excludesOne compiles one item of one entry and runs it on doc.
func excludesOne(t *testing.T, e Entry, doc string, vls map[string]*ValueList) bool {
	t.Helper()
	lists := []*List{{ListID: "t", Items: []*Item{{Name: "i", Entries: []Entry{e}}}}}
	plan := event.NewPlan()
	f, err := Compile(lists, CompileOptions{Schema: ecs.Default(), Plan: plan, ValueLists: vls,
		Now: func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	got, _ := f.Excludes(event.New([]byte(doc), plan))
	return got
}
