package match

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/vigil-project/vigil/internal/ecs"
)

// analyzer is a text field's analyzer: how values and query strings become
// tokens.
type analyzer struct {
	name string
	each func(s string, fn func(tok string) bool) // tokens of s until fn returns false
	// lower: the analyzer lower-cases, so wildcard patterns are lower-cased
	// too (query_string normalizes them with the analyzer's normalizing
	// filters).
	lower bool
}

var (
	standardAnalyzer   = &analyzer{name: "standard", each: eachToken, lower: true}
	whitespaceAnalyzer = &analyzer{name: "whitespace", each: eachWhitespaceToken}
	simpleAnalyzer     = &analyzer{name: "simple", each: eachLetterToken, lower: true}
	keywordAnalyzer    = &analyzer{name: "keyword", each: func(s string, fn func(string) bool) { fn(s) }}
	powershellAnalyzer = &analyzer{name: ecs.PowerShellAnalyzer, each: eachPowerShellToken, lower: true}
)

// analyzerFor returns the analyzer a mapping names (ecs.Field.Analyzer);
// unknown names are analyzed as standard.
func analyzerFor(name string) *analyzer {
	switch ecs.CanonicalAnalyzer(name) {
	case "whitespace":
		return whitespaceAnalyzer
	case "simple":
		return simpleAnalyzer
	case "keyword":
		return keywordAnalyzer
	case ecs.PowerShellAnalyzer:
		return powershellAnalyzer
	}
	return standardAnalyzer
}

// analyze returns the tokens of s.
func (a *analyzer) analyze(s string) []string {
	var out []string
	a.each(s, func(t string) bool {
		out = append(out, t)
		return true
	})
	return out
}

// eachWhitespaceToken is Lucene's whitespace tokenizer: runs of characters
// that are not whitespace (Java's Character.isWhitespace, which leaves out
// the no-break spaces), as they are.
func eachWhitespaceToken(s string, fn func(string) bool) {
	for _, t := range strings.FieldsFunc(s, javaWhitespace) {
		if !fn(t) {
			return
		}
	}
}

func javaWhitespace(r rune) bool {
	switch r {
	case '\u00a0', '\u2007', '\u202f':
		return false
	case '\u001c', '\u001d', '\u001e', '\u001f':
		return true
	}
	return unicode.IsSpace(r)
}

// eachLetterToken is the simple analyzer: runs of letters, lower-cased.
func eachLetterToken(s string, fn func(string) bool) {
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if !fn(lower(t)) {
			return
		}
	}
}

// eachPowerShellToken is the pattern analyzer the Windows integration and
// Winlogbeat map powershell.file.script_block_text with: the pattern
// `[\W&&[^-]]+` separates tokens (Java's \W is any character but ASCII
// letters, digits and '_', so every other character but '-' separates,
// non-ASCII letters included), and tokens are lower-cased.
func eachPowerShellToken(s string, fn func(string) bool) {
	start := -1
	for i := 0; i <= len(s); i++ {
		word := i < len(s) && psWord(s[i])
		if word && start < 0 {
			start = i
		}
		if !word && start >= 0 {
			if !fn(lower(s[start:i])) {
				return
			}
			start = -1
		}
	}
}

func psWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// lowerInto returns s lower-cased as lowerFold does, in buf when s is
// ASCII, has upper-case letters and fits (no allocation); the result is
// valid while buf is.
func lowerInto(buf *[256]byte, s string) string {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if !upper {
		return s
	}
	if len(s) > len(buf) {
		return strings.ToLower(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return unsafe.String(&buf[0], len(s))
}

// lowerFold lower-cases s as the lowercase normalizer does.
func lowerFold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
