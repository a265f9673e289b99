package match

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// Text fields are analyzed by Elasticsearch's standard analyzer: the
// standard tokenizer (Unicode word boundaries, UAX #29) and a lower-case
// filter. analyze approximates it with the rules that matter for log text:
//
//   - letters, digits and '_' form words ("user_name", "abc123");
//   - '.', ':', an apostrophe (' or ’) between two letters stay inside the
//     word ("example.com", "don't", "c:a"); '.', ',', ';' or an apostrophe
//     between two digits too ("3.14", "1,000", "v1.2");
//   - every other character separates words, and is dropped;
//   - each Han ideograph and Hiragana character is a word of its own;
//   - words are lower-cased rune by rune.
//
// Not modelled: the rarer word-break classes (Hebrew letters, some marks and
// punctuation of other scripts), emoji tokens, and the 255-character limit
// on a token.

type wordClass uint8

const (
	wcOther wordClass = iota
	wcLetter
	wcDigit
	wcConnector // '_': joins words, not a word by itself
	wcMark      // combining marks extend the word they follow
	wcIdeo      // one-character words
	wcMidLetter // inside a word between two letters
	wcMidNum    // inside a number between two digits
	wcMidBoth   // between letters or between digits
)

func classOf(r rune) wordClass {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			return wcLetter
		case '0' <= r && r <= '9':
			return wcDigit
		case r == '_':
			return wcConnector
		case r == ':':
			return wcMidLetter
		case r == ',' || r == ';':
			return wcMidNum
		case r == '.' || r == '\'':
			return wcMidBoth
		}
		return wcOther
	case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r):
		return wcIdeo
	case unicode.IsLetter(r):
		return wcLetter
	case unicode.IsDigit(r):
		return wcDigit
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Me, r):
		return wcMark
	case unicode.Is(unicode.Pc, r):
		return wcConnector
	}
	switch r {
	case '\u00b7', '\u0387', '\u05f4', '\u2027', '\ufe13', '\ufe55', '\uff1a':
		return wcMidLetter
	case '\u037e', '\u0589', '\u060c', '\u060d', '\u066c', '\u07f8', '\u2044', '\ufe10', '\ufe14', '\ufe50', '\ufe54', '\uff0c', '\uff1b':
		return wcMidNum
	case '\u2018', '\u2019', '\u2024', '\ufe52', '\uff07', '\uff0e':
		return wcMidBoth
	}
	return wcOther
}

// eachToken calls fn with every token of s, lower-cased, until fn returns
// false. Tokens share s's memory when s holds no upper-case letters.
func eachToken(s string, fn func(tok string) bool) {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		cl := classOf(r)
		switch cl {
		case wcIdeo:
			end := i + size
			for end < len(s) {
				r2, n := utf8.DecodeRuneInString(s[end:])
				if classOf(r2) != wcMark {
					break
				}
				end += n
			}
			if !fn(lower(s[i:end])) {
				return
			}
			i = end
			continue
		case wcLetter, wcDigit, wcConnector:
		default:
			i += size
			continue
		}
		start, last := i, cl // last: the class of the last letter, digit or '_'
		word := cl != wcConnector
		i += size
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			c := classOf(r)
			if c == wcLetter || c == wcDigit || c == wcConnector {
				last, word = c, word || c != wcConnector
				i += size
				continue
			}
			if c == wcMark {
				i += size
				continue
			}
			if c == wcMidLetter || c == wcMidNum || c == wcMidBoth {
				// A middle character stays if the same kind follows.
				r2, size2 := utf8.DecodeRuneInString(s[i+size:])
				next := classOf(r2)
				if i+size < len(s) && next == last &&
					(last == wcLetter && (c == wcMidLetter || c == wcMidBoth) ||
						last == wcDigit && (c == wcMidNum || c == wcMidBoth)) {
					i += size + size2
					continue
				}
			}
			break
		}
		if word && !fn(lower(s[start:i])) {
			return
		}
	}
}

// lower lower-cases s, without allocating when it has nothing to change.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// analyze returns the tokens of s (see eachToken).
func analyze(s string) []string {
	var out []string
	eachToken(s, func(t string) bool {
		out = append(out, t)
		return true
	})
	return out
}

// textTerm compiles a literal for a field of the standard analyzer.
func textTerm(l *kql.Literal) valueMatcher { return textTermWith(l, standardAnalyzer) }

// textTermWith compiles a literal for a field analyzed by an: match
// (unquoted: any token), match_phrase (quoted: the tokens adjacent and in
// order), or a query_string wildcard (each piece against each token,
// lower-cased when the analyzer lower-cases).
func textTermWith(l *kql.Literal, an *analyzer) valueMatcher {
	if l.IsWildcard() {
		return queryString(l.Parts, func(piece []string) valueMatcher {
			if len(piece) == 1 {
				return anyTokenOf(an.analyze(piece[0]), an)
			}
			low := make([]string, len(piece))
			for i, p := range piece {
				low[i] = p
				if an.lower {
					low[i] = strings.ToLower(p)
				}
			}
			return &tokenGlobMatcher{g: newGlob(low), an: an}
		})
	}
	q := an.analyze(l.Text())
	if l.Quoted && len(q) > 1 {
		return &phraseMatcher{tokens: q, an: an}
	}
	return anyTokenOf(q, an)
}

func anyTokenOf(q []string, an *analyzer) valueMatcher {
	if len(q) == 0 {
		return noneMatcher{why: "the value has no words once analyzed"}
	}
	return &tokensMatcher{tokens: q, an: an}
}

// tokensMatcher is a match query: any of its tokens is a token of the value.
type tokensMatcher struct {
	tokens []string
	an     *analyzer
}

func (m *tokensMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	if !ok {
		return false
	}
	found := false
	m.an.each(s, func(t string) bool {
		for _, q := range m.tokens {
			if t == q {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

// phraseMatcher is a match_phrase query: its tokens appear adjacent, in order.
type phraseMatcher struct {
	tokens []string
	an     *analyzer
}

func (m *phraseMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	if !ok {
		return false
	}
	doc := m.an.analyze(s)
	for i := 0; i+len(m.tokens) <= len(doc); i++ {
		ok := true
		for j, q := range m.tokens {
			if doc[i+j] != q {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// tokenGlobMatcher is a wildcard query on an analyzed field: the pattern
// (lower-cased by a lower-casing analyzer) matches one of the value's tokens.
type tokenGlobMatcher struct {
	g  *glob
	an *analyzer
}

func (m *tokenGlobMatcher) match(v event.Value) bool {
	s, ok := keywordText(v)
	if !ok {
		return false
	}
	found := false
	m.an.each(s, func(t string) bool {
		found = m.g.match(t)
		return !found
	})
	return found
}
