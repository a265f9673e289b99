package kql

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The lexer is a pure function of a position: each method takes the position
// to lex at and returns the token found there, whose next field is the
// position after it. The parser decides which method to call, because KQL's
// tokens depend on where they appear: `or` between two expressions is a
// keyword, but right after `(` or `:` it starts a value (`f:( or x)` is the
// value "or x"). Peeking is free: a token is consumed by moving the parser's
// position to its next field.

type tokenKind uint8

const (
	tokEOF      tokenKind = iota
	tokError              // a lexical error; err says what
	tokLParen             // (
	tokRParen             // )
	tokLBrace             // {
	tokRBrace             // }
	tokColon              // :
	tokRange              // < <= > >=
	tokQuoted             // "..."
	tokUnquoted           // an unquoted literal
	tokOr                 // Space+ "or" Space+
	tokAnd                // Space+ "and" Space+
	tokNot                // "not" Space+
)

type token struct {
	kind tokenKind
	pos  Pos // first character (for or/and, the keyword itself)
	next Pos // position after the token and, for keywords, after their spaces
	op   RangeOp
	lit  *Literal
	err  *Error
}

type lexer struct {
	src string
}

// isSpace reports whether r is KQL whitespace: the grammar's Space.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\u00a0':
		return true
	}
	return false
}

// plainUnquoted reports whether c stands for itself in an unquoted literal
// whatever follows it: ASCII, not special, not blank, and not the n of a
// "not" keyword.
func plainUnquoted(c byte) bool {
	return c < utf8.RuneSelf && c > ' ' && !isSpecial(c) && c != 'n' && c != 'N'
}

// isSpecial reports whether c must be escaped in an unquoted literal.
func isSpecial(c byte) bool {
	switch c {
	case '\\', '(', ')', ':', '<', '>', '"', '*', '{', '}':
		return true
	}
	return false
}

// isJSSpace reports whether r is removed by JavaScript's String.trim, which
// Kibana applies to unquoted literals: more than KQL's own whitespace.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2028', '\u2029',
		'\u202f', '\u205f', '\u3000', '\ufeff':
		return true
	}
	return r >= '\u2000' && r <= '\u200a'
}

// spaceAt returns the byte size of the KQL whitespace rune at off, or 0.
func (l *lexer) spaceAt(off int) int {
	if off >= len(l.src) {
		return 0
	}
	switch l.src[off] {
	case ' ', '\t', '\r', '\n':
		return 1
	case 0xC2:
		if off+1 < len(l.src) && l.src[off+1] == 0xA0 {
			return 2
		}
	}
	return 0
}

// wordAt reports whether the ASCII word w (lower case) is at off, in any case.
func (l *lexer) wordAt(off int, w string) bool { return hasWordAt(l.src, off, w) }

// hasWordAt reports whether s[off:] starts with the lower-case ASCII word w
// in any case. Like Kibana's case-insensitive match, only ASCII letters fold.
func hasWordAt(s string, off int, w string) bool {
	if off < 0 || len(s)-off < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := s[off+i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// keywordAt reports whether w followed by whitespace is at off.
func (l *lexer) keywordAt(off int, w string) bool {
	return l.wordAt(off, w) && l.spaceAt(off+len(w)) > 0
}

// spaceBefore reports whether the rune before off is whitespace.
func (l *lexer) spaceBefore(off int) bool {
	r, _ := utf8.DecodeLastRuneInString(l.src[:off])
	return isSpace(r)
}

// advance moves p over the next n bytes, counting lines and runes.
func (l *lexer) advance(p Pos, n int) Pos {
	end := min(p.Offset+n, len(l.src))
	for p.Offset < end {
		r, size := utf8.DecodeRuneInString(l.src[p.Offset:])
		p.Offset += size
		if r == '\n' {
			p.Line++
			p.Col = 1
		} else {
			p.Col++
		}
	}
	return p
}

// skipSpace moves p over any whitespace.
func (l *lexer) skipSpace(p Pos) Pos {
	for {
		n := l.spaceAt(p.Offset)
		if n == 0 {
			return p
		}
		p = l.advance(p, n)
	}
}

// operand lexes where an expression or a value may start: whitespace is
// skipped, and `or`/`and` are ordinary text.
func (l *lexer) operand(p Pos) token {
	return l.lexToken(l.skipSpace(p))
}

// operator lexes after a complete expression or value: Space+ `or` Space+
// and Space+ `and` Space+ are keywords; anything else is lexed after the
// whitespace.
func (l *lexer) operator(p Pos) token {
	q := l.skipSpace(p)
	if q.Offset > p.Offset {
		for _, kw := range [...]struct {
			word string
			kind tokenKind
		}{{"or", tokOr}, {"and", tokAnd}} {
			if l.keywordAt(q.Offset, kw.word) {
				return token{kind: kw.kind, pos: q, next: l.skipSpace(l.advance(q, len(kw.word)))}
			}
		}
	}
	return l.lexToken(q)
}

// punct lexes a punctuation token (parenthesis, brace, colon or range
// operator) after any whitespace at p; ok is false if there is none there.
// It looks ahead without lexing a literal.
func (l *lexer) punct(p Pos) (t token, ok bool) {
	q := l.skipSpace(p)
	if q.Offset >= len(l.src) {
		return token{}, false
	}
	switch l.src[q.Offset] {
	case '(', ')', '{', '}', ':', '<', '>':
		return l.lexToken(q), true
	}
	return token{}, false
}

// lexToken lexes the token starting at p, which is not whitespace.
func (l *lexer) lexToken(p Pos) token {
	if p.Offset >= len(l.src) {
		return token{kind: tokEOF, pos: p, next: p}
	}
	single := func(k tokenKind) token { return token{kind: k, pos: p, next: l.advance(p, 1)} }
	switch c := l.src[p.Offset]; c {
	case '(':
		return single(tokLParen)
	case ')':
		return single(tokRParen)
	case '{':
		return single(tokLBrace)
	case '}':
		return single(tokRBrace)
	case ':':
		return single(tokColon)
	case '<', '>':
		t := single(tokRange)
		t.op = LT
		if c == '>' {
			t.op = GT
		}
		if p.Offset+1 < len(l.src) && l.src[p.Offset+1] == '=' {
			t.op++ // LT -> LTE, GT -> GTE
			t.next = l.advance(p, 2)
		}
		return t
	case '"':
		return l.lexQuoted(p)
	case 'n', 'N':
		if l.keywordAt(p.Offset, "not") {
			return token{kind: tokNot, pos: p, next: l.skipSpace(l.advance(p, 3))}
		}
	}
	return l.lexUnquoted(p)
}

// unitWriter collects decoded text, pairing UTF-16 surrogates written as
// \uXXXX escapes; a lone surrogate becomes U+FFFD.
type unitWriter struct {
	buf []byte
	hi  rune // pending high surrogate, or 0
}

func (w *unitWriter) flush() {
	if w.hi != 0 {
		w.buf = utf8.AppendRune(w.buf, utf8.RuneError)
		w.hi = 0
	}
}

// rune appends a decoded character.
func (w *unitWriter) rune(r rune) {
	w.flush()
	w.buf = utf8.AppendRune(w.buf, r)
}

// str appends source text that is valid UTF-8.
func (w *unitWriter) str(s string) {
	w.flush()
	w.buf = append(w.buf, s...)
}

// unit appends one UTF-16 code unit from a \uXXXX escape.
func (w *unitWriter) unit(u rune) {
	switch {
	case utf16.IsSurrogate(u) && u < 0xDC00: // high
		w.flush()
		w.hi = u
	case utf16.IsSurrogate(u): // low
		if w.hi != 0 {
			r := utf16.DecodeRune(w.hi, u)
			w.hi = 0
			w.buf = utf8.AppendRune(w.buf, r)
			return
		}
		w.rune(utf8.RuneError)
	default:
		w.rune(u)
	}
}

// take returns the text collected so far and starts a new one.
func (w *unitWriter) take() string {
	w.flush()
	s := string(w.buf)
	w.buf = w.buf[:0]
	return s
}

// hex4 decodes the four hex digits at s[0:4].
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var u rune
	for i := range 4 {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		u = u<<4 | rune(c)
	}
	return u, true
}

// lexQuoted lexes a quoted literal at p (on the opening quote). Escapes:
// \" \\ \t \r \n \uXXXX; any other character, a lone backslash and raw
// newlines included, stands for itself.
func (l *lexer) lexQuoted(p Pos) token {
	src := l.src
	var w unitWriter
	i := p.Offset + 1
	escapedQuote := false // the last thing read was \"
	for {
		if i >= len(src) {
			hint := "close the value with a `\"`; write a quote inside a value as `\\\"`"
			if escapedQuote {
				hint = "the `\\\"` before the end is an escaped quote, not the closing one; write a trailing backslash as `\\\\`"
			}
			return token{kind: tokError, pos: p, err: &Error{Pos: p, Msg: "unterminated quoted value", Hint: hint}}
		}
		c := src[i]
		if c == '"' {
			i++
			break
		}
		escapedQuote = false
		if c == '\\' && i+1 < len(src) {
			switch d := src[i+1]; d {
			case 't':
				w.rune('\t')
				i += 2
				continue
			case 'r':
				w.rune('\r')
				i += 2
				continue
			case 'n':
				w.rune('\n')
				i += 2
				continue
			case 'u':
				if u, ok := hex4(src[i+2:]); ok {
					w.unit(u)
					i += 6
					continue
				}
			case '\\', '"':
				w.rune(rune(d))
				escapedQuote = d == '"'
				i += 2
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		w.rune(r) // an invalid byte decodes to U+FFFD
		i += size
	}
	lit := &Literal{At: p, Quoted: true, Kind: String, Parts: []string{w.take()}}
	return token{kind: tokQuoted, pos: p, next: l.advance(p, i-p.Offset), lit: lit}
}

// lexUnquoted lexes an unquoted literal at p: a run of characters that
// stops before a special character, before Space `or` Space, Space `and`
// Space and `not` Space (even mid-word), and before a backslash that starts
// no escape. The text is trimmed as JavaScript's trim does; unescaped `*`
// split it into Parts.
func (l *lexer) lexUnquoted(p Pos) token {
	src := l.src
	var w unitWriter
	var parts []string
	i := p.Offset
run:
	for i < len(src) {
		c := src[i]
		if c == '\\' {
			if i+1 >= len(src) {
				break
			}
			switch d := src[i+1]; {
			case d == 't':
				w.rune('\t')
			case d == 'r':
				w.rune('\r')
			case d == 'n':
				w.rune('\n')
			case isSpecial(d):
				w.rune(rune(d))
			case d == 'u':
				u, ok := hex4(src[i+2:])
				if !ok {
					break run
				}
				w.unit(u)
				i += 6
				continue
			case l.wordAt(i+1, "or"):
				w.str(src[i+1 : i+3])
				i += 3
				continue
			case l.wordAt(i+1, "and"), l.wordAt(i+1, "not"):
				w.str(src[i+1 : i+4])
				i += 4
				continue
			default:
				break run
			}
			i += 2
			continue
		}
		if c == '*' {
			parts = append(parts, w.take())
			i++
			continue
		}
		if isSpecial(c) {
			break
		}
		if plainUnquoted(c) {
			// A run of ASCII that is neither special, blank nor the
			// start of a keyword: written as it is.
			j := i + 1
			for j < len(src) && plainUnquoted(src[j]) {
				j++
			}
			w.str(src[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		if isSpace(r) && (l.keywordAt(i+size, "or") || l.keywordAt(i+size, "and")) {
			break
		}
		if (c == 'n' || c == 'N') && l.keywordAt(i, "not") {
			break
		}
		w.rune(r) // an invalid byte decodes to U+FFFD
		i += size
	}
	if i == p.Offset {
		return token{kind: tokError, pos: p, err: l.escapeError(p)}
	}
	parts = append(parts, w.take())
	parts[0] = strings.TrimLeftFunc(parts[0], isJSSpace)
	last := len(parts) - 1
	parts[last] = strings.TrimRightFunc(parts[last], isJSSpace)
	kind := String
	if len(parts) == 1 {
		switch parts[0] {
		case "true", "false":
			kind = Bool
		case "null":
			kind = Null
		}
	}
	lit := &Literal{At: p, Kind: kind, Parts: parts}
	return token{kind: tokUnquoted, pos: p, next: l.advance(p, i-p.Offset), lit: lit}
}

// escapeError describes the backslash at p that starts no escape.
func (l *lexer) escapeError(p Pos) *Error {
	if p.Offset >= len(l.src) || l.src[p.Offset] != '\\' {
		return &Error{Pos: p, Msg: "unexpected character"}
	}
	rest := l.src[p.Offset+1:]
	hint := "escape a literal backslash as `\\\\`, or quote the value (inside quotes `\\t`, `\\r`, `\\n` are still escapes)"
	if rest == "" {
		return &Error{Pos: p, Msg: "a backslash at the end of the query escapes nothing", Hint: hint}
	}
	if rest[0] == 'u' {
		end := 1
		for end < len(rest) && end < 5 && rest[end] < utf8.RuneSelf && rest[end] > ' ' {
			end++
		}
		return &Error{Pos: p, Msg: "invalid escape `\\" + excerpt(rest[:end]) + "`: \\u needs four hex digits", Hint: hint}
	}
	_, size := utf8.DecodeRuneInString(rest)
	return &Error{Pos: p, Msg: "invalid escape `\\" + excerpt(rest[:size]) + "`", Hint: hint}
}
