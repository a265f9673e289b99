package eql

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/querytext"
)

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokIdent
	tokTildeIdent // name~ (functions, like~, regex~, in~)
	tokQuotedIdent
	tokString       // "..." and """..."""
	tokSingleString // '...': lexed so that the parser can say what to write
	tokRawString    // ?"...": the old raw string, lexed to be refused too
	tokNumber
	tokPunct // ( ) [ ] , . | ? ! = == != < <= > >= + - * / % :
)

// token is one lexeme. text is the source text (for punctuation and
// identifiers the symbol or name; quoted identifiers and strings hold the
// decoded value).
type token struct {
	kind tokenKind
	text string
	off  int // byte offset of the first byte
	end  int // byte offset after the last byte
}

// is reports whether t is the punctuation or (unquoted) keyword s.
func (t token) is(s string) bool {
	return (t.kind == tokPunct || t.kind == tokIdent || t.kind == tokTildeIdent) && t.text == s
}

// describe names the token for error messages.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the query"
	case tokString, tokSingleString, tokRawString:
		return "the string " + strconv.Quote(t.text)
	case tokNumber:
		return "the number " + t.text
	case tokQuotedIdent:
		return "the field `" + t.text + "`"
	}
	return strconv.Quote(t.text)
}

// lexer cuts the query into tokens on demand. It is synchronous: next
// returns the token starting at the current offset and moves past it.
type lexer struct {
	src string
	off int
}

// lexError is a lexical fault at a byte offset.
type lexError struct {
	off  int
	msg  string
	hint string
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return isLetter(c) || c == '_' || c == '@'
}
func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

// skip moves past white space and comments.
func (l *lexer) skip() *lexError {
	off, ok := querytext.SkipBlank(l.src, l.off)
	l.off = off
	if !ok {
		return &lexError{off: off, msg: "unterminated comment", hint: "close it with */"}
	}
	return nil
}

// next returns the next token.
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
		t := token{kind: tokIdent, text: l.src[start:i], off: start}
		if i < len(l.src) && l.src[i] == '~' {
			t.kind = tokTildeIdent
			t.text = l.src[start : i+1]
			i++
		}
		t.end = i
		l.off = i
		return t, nil
	case isDigit(c) || c == '.' && start+1 < len(l.src) && isDigit(l.src[start+1]):
		return l.number()
	case c == '`':
		var b strings.Builder
		i := start + 1
		for {
			j := strings.IndexByte(l.src[i:], '`')
			if j < 0 {
				return token{}, &lexError{off: start, msg: "unterminated quoted field name", hint: "close it with a back quote (write `` for a back quote inside)"}
			}
			b.WriteString(l.src[i : i+j])
			i += j + 1
			if i < len(l.src) && l.src[i] == '`' {
				b.WriteByte('`')
				i++
				continue
			}
			break
		}
		l.off = i
		return token{kind: tokQuotedIdent, text: b.String(), off: start, end: i}, nil
	case c == '"' || c == '\'':
		return l.str()
	case c == '?' && start+1 < len(l.src) && (l.src[start+1] == '"' || l.src[start+1] == '\''):
		q := l.src[start+1]
		i := start + 2
		for i < len(l.src) && l.src[i] != q && l.src[i] != '\n' {
			if l.src[i] == '\\' && i+1 < len(l.src) && l.src[i+1] == q {
				i++
			}
			i++
		}
		if i >= len(l.src) || l.src[i] != q {
			return token{}, &lexError{off: start, msg: "unterminated string"}
		}
		l.off = i + 1
		return token{kind: tokRawString, text: l.src[start+2 : i], off: start, end: i + 1}, nil
	}
	for _, p := range [...]string{"==", "!=", "<=", ">="} {
		if strings.HasPrefix(l.src[start:], p) {
			l.off += 2
			return token{kind: tokPunct, text: p, off: start, end: l.off}, nil
		}
	}
	if strings.IndexByte("()[],.|?!=<>+-*/%:", c) >= 0 {
		l.off++
		return token{kind: tokPunct, text: l.src[start:l.off], off: start, end: l.off}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	return token{}, &lexError{off: start, msg: fmt.Sprintf("unexpected character %q", r)}
}

// number lexes DIGIT+ [ "." DIGIT* ] [ EXPONENT ] | "." DIGIT+ [ EXPONENT ].
func (l *lexer) number() (token, *lexError) {
	s, start := l.src, l.off
	i := start
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '.' {
		// A dot after digits belongs to the number only when a digit, an
		// exponent or something other than an identifier follows.
		if i+1 >= len(s) || !isIdentStart(s[i+1]) || isExponent(s, i+1) {
			i++
			for i < len(s) && isDigit(s[i]) {
				i++
			}
		}
	}
	if isExponent(s, i) {
		i++
		if s[i] == '+' || s[i] == '-' {
			i++
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	l.off = i
	return token{kind: tokNumber, text: s[start:i], off: start, end: i}, nil
}

// isExponent reports whether s[i:] starts an exponent: e or E, an optional
// sign, a digit.
func isExponent(s string, i int) bool {
	if i >= len(s) || s[i] != 'e' && s[i] != 'E' {
		return false
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	return i < len(s) && isDigit(s[i])
}

// str lexes a string: "..." and '...' with escapes, or """...""" raw.
// Neither holds a line break, as in Elasticsearch.
func (l *lexer) str() (token, *lexError) {
	s, start := l.src, l.off
	q := s[start]
	if q == '"' && strings.HasPrefix(s[start:], `"""`) {
		j := strings.Index(s[start+3:], `"""`)
		if j < 0 {
			return token{}, &lexError{off: start, msg: "unterminated string", hint: `close it with """`}
		}
		end := start + 3 + j + 3
		// Up to two more quotes belong to the value: """a""""" is a"".
		for k := 0; k < 2 && end < len(s) && s[end] == '"'; k++ {
			end++
		}
		val := s[start+3 : end-3]
		if k := strings.IndexAny(val, "\r\n"); k >= 0 {
			return token{}, &lexError{off: start + 3 + k, msg: "line break inside a string", hint: `strings cannot span lines: write \n in a "..." string`}
		}
		l.off = end
		return token{kind: tokString, text: val, off: start, end: end}, nil
	}
	// Most strings have no escape: their text is the source's.
	i := start + 1
	for i < len(s) && s[i] != q && s[i] != '\\' && s[i] != '\r' && s[i] != '\n' {
		i++
	}
	if i < len(s) && s[i] == q {
		l.off = i + 1
		kind := tokString
		if q == '\'' {
			kind = tokSingleString
		}
		return token{kind: kind, text: s[start+1 : i], off: start, end: i + 1}, nil
	}
	var b strings.Builder
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		b.Grow(i - start + j)
	}
	b.WriteString(s[start+1 : i])
	for {
		if i >= len(s) {
			return token{}, &lexError{off: start, msg: "unterminated string", hint: fmt.Sprintf("close it with %c", q)}
		}
		c := s[i]
		switch {
		case c == q:
			l.off = i + 1
			kind := tokString
			if q == '\'' {
				kind = tokSingleString
			}
			return token{kind: kind, text: b.String(), off: start, end: i + 1}, nil
		case c == '\r' || c == '\n':
			return token{}, &lexError{off: i, msg: "line break inside a string", hint: `strings cannot span lines: write \n`}
		case c == '\\':
			n, err := unescape(s, i, &b)
			if err != nil {
				return token{}, err
			}
			i += n
		default:
			j := i + 1
			for j < len(s) && s[j] != q && s[j] != '\\' && s[j] != '\r' && s[j] != '\n' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		}
	}
}

// unescape decodes the escape at s[i] (a backslash) into b and returns its
// length: \t \n \r \b \f \" \' \\ and \u{X...} with 1 to 8 hex digits.
func unescape(s string, i int, b *strings.Builder) (int, *lexError) {
	if i+1 >= len(s) {
		return 0, &lexError{off: i, msg: "unterminated escape sequence", hint: `write \\ for a backslash`}
	}
	switch s[i+1] {
	case 't':
		b.WriteByte('\t')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case '"', '\'', '\\':
		b.WriteByte(s[i+1])
	case 'u':
		if i+2 >= len(s) || s[i+2] != '{' {
			return 0, &lexError{off: i, msg: `invalid unicode escape: write \u{XXXX}`, hint: `write \u{...} with 1 to 8 hex digits`}
		}
		j := strings.IndexByte(s[i+3:], '}')
		if j < 1 || j > 8 {
			return 0, &lexError{off: i, msg: "invalid unicode escape", hint: `write \u{...} with 1 to 8 hex digits`}
		}
		n, err := strconv.ParseUint(s[i+3:i+3+j], 16, 32)
		if err != nil || n > utf8.MaxRune || n >= 0xD800 && n <= 0xDFFF {
			return 0, &lexError{off: i, msg: fmt.Sprintf("invalid unicode escape \\u{%s}", s[i+3:i+3+j]), hint: "write the hex code of a Unicode character"}
		}
		b.WriteRune(rune(n))
		return 3 + j + 1, nil
	default:
		r, _ := utf8.DecodeRuneInString(s[i+1:])
		return 0, &lexError{off: i, msg: fmt.Sprintf("illegal escape sequence \\%c", r), hint: `escapes are \t \n \r \b \f \" \' \\ and \u{XXXX}; write \\ for a backslash`}
	}
	return 2, nil
}
