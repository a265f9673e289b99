package esql

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/querytext"
)

type tokenKind uint8

const (
	tokEOF         tokenKind = iota
	tokIdent                 // a name or keyword: letters, digits, _ and @
	tokQuotedIdent           // `name`
	tokString                // "..." and """..."""
	tokNumber                // 12, 1.5, 1e3
	tokPunct                 // | , . ( ) [ ] = == != < <= > >= + - * / % :: : ?
	tokIndex                 // an index pattern after FROM
)

// token is one lexeme. text is the source text, except for quoted
// identifiers and strings, which hold the decoded value.
type token struct {
	kind tokenKind
	text string
	off  int // byte offset of the first byte
	end  int // byte offset after the last byte
}

// is reports whether t is the punctuation s.
func (t token) is(s string) bool { return t.kind == tokPunct && t.text == s }

// kw reports whether t is the (unquoted, case-insensitive) keyword s.
func (t token) kw(s string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, s) }

// describe names the token for error messages.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the query"
	case tokString:
		return "the string " + strconv.Quote(t.text)
	case tokNumber:
		return "the number " + t.text
	case tokQuotedIdent:
		return "the name `" + t.text + "`"
	}
	return strconv.Quote(t.text)
}

// lexError is a lexical fault at a byte offset.
type lexError struct {
	off  int
	msg  string
	hint string
}

// lexer cuts the query into tokens on demand.
type lexer struct {
	src string
	off int
}

func isLetter(c byte) bool     { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return isLetter(c) || c == '_' || c == '@' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// skip moves past white space and comments.
func (l *lexer) skip() *lexError {
	off, ok := querytext.SkipBlank(l.src, l.off)
	l.off = off
	if !ok {
		return &lexError{off: off, msg: "unterminated comment", hint: "close it with */"}
	}
	return nil
}

// next returns the next token of an expression.
func (l *lexer) next() (token, *lexError) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	start := l.off
	if start >= len(l.src) {
		return token{kind: tokEOF, off: start, end: start}, nil
	}
	c := l.src[start]
	switch {
	case isIdentStart(c):
		i := start + 1
		for i < len(l.src) && isIdentPart(l.src[i]) {
			i++
		}
		l.off = i
		return token{kind: tokIdent, text: l.src[start:i], off: start, end: i}, nil
	case isDigit(c):
		return l.number(start)
	case c == '.' && start+1 < len(l.src) && isDigit(l.src[start+1]):
		return l.number(start)
	case c == '"':
		return l.str(start)
	case c == '`':
		var b strings.Builder
		i := start + 1
		for {
			if i >= len(l.src) {
				return token{}, &lexError{off: start, msg: "unterminated quoted name", hint: "close it with `"}
			}
			if l.src[i] == '`' {
				if i+1 < len(l.src) && l.src[i+1] == '`' {
					b.WriteByte('`')
					i += 2
					continue
				}
				break
			}
			b.WriteByte(l.src[i])
			i++
		}
		l.off = i + 1
		return token{kind: tokQuotedIdent, text: b.String(), off: start, end: l.off}, nil
	}
	for _, p := range []string{"==", "!=", "<=", ">=", "::", "=~"} {
		if strings.HasPrefix(l.src[start:], p) {
			l.off = start + 2
			return token{kind: tokPunct, text: p, off: start, end: l.off}, nil
		}
	}
	if strings.IndexByte("|,.()[]=<>+-*/%:?{}", c) >= 0 {
		l.off = start + 1
		return token{kind: tokPunct, text: l.src[start : start+1], off: start, end: l.off}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	return token{}, &lexError{off: start, msg: "unexpected character " + strconv.QuoteRune(r)}
}

// number lexes 12, 1.5, .5, 1e3, 1.5E-3.
func (l *lexer) number(start int) (token, *lexError) {
	i := start
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	if i < len(l.src) && l.src[i] == '.' && (i+1 >= len(l.src) || !isIdentStart(l.src[i+1])) {
		i++
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
	}
	if i < len(l.src) && (l.src[i] == 'e' || l.src[i] == 'E') {
		j := i + 1
		if j < len(l.src) && (l.src[j] == '+' || l.src[j] == '-') {
			j++
		}
		if j < len(l.src) && isDigit(l.src[j]) {
			for j < len(l.src) && isDigit(l.src[j]) {
				j++
			}
			i = j
		}
	}
	l.off = i
	return token{kind: tokNumber, text: l.src[start:i], off: start, end: i}, nil
}

// str lexes "..." (with \" \\ \n \r \t escapes) and """...""" (raw).
func (l *lexer) str(start int) (token, *lexError) {
	if strings.HasPrefix(l.src[start:], `"""`) {
		j := strings.Index(l.src[start+3:], `"""`)
		if j < 0 {
			return token{}, &lexError{off: start, msg: "unterminated string", hint: `close it with """`}
		}
		end := start + 3 + j + 3
		// """a"""" holds a": extra quotes before the closing ones belong to the text.
		for end < len(l.src) && l.src[end] == '"' {
			end++
		}
		l.off = end
		return token{kind: tokString, text: l.src[start+3 : end-3], off: start, end: end}, nil
	}
	var b strings.Builder
	i := start + 1
	for {
		if i >= len(l.src) || l.src[i] == '\n' {
			return token{}, &lexError{off: start, msg: "unterminated string", hint: `close it with " on the same line, or use """ for text over several lines`}
		}
		c := l.src[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			if i+1 >= len(l.src) {
				return token{}, &lexError{off: i, msg: "unterminated string"}
			}
			switch e := l.src[i+1]; e {
			case '"', '\\':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				return token{}, &lexError{off: i, msg: "invalid escape \\" + string(e) + " in a string",
					hint: `write \\ for a backslash, or use a """raw string"""`}
			}
			i += 2
			continue
		}
		b.WriteByte(c)
		i++
	}
	l.off = i + 1
	return token{kind: tokString, text: b.String(), off: start, end: l.off}, nil
}

// indexPattern lexes one index pattern of FROM: unquoted (logs-*,
// .alerts-security.*, remote:logs-*) or quoted.
func (l *lexer) indexPattern() (token, *lexError) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	start := l.off
	if start < len(l.src) && l.src[start] == '"' {
		t, err := l.str(start)
		t.kind = tokIndex
		return t, err
	}
	i := start
	for i < len(l.src) {
		c := l.src[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '|' || c == '"' || c == '`' || c == '(' || c == ')' {
			break
		}
		if c == '/' && i+1 < len(l.src) && (l.src[i+1] == '/' || l.src[i+1] == '*') {
			break
		}
		i++
	}
	l.off = i
	return token{kind: tokIndex, text: l.src[start:i], off: start, end: i}, nil
}
