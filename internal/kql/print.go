package kql

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The canonical printer. Keywords are lower case, separated by single
// spaces; parentheses appear only where precedence needs them; values are
// escaped so that Parse(n.String()) gives back n (positions aside) for
// every tree Parse returns. The space-before-keyword rules of the grammar
// reach across token boundaries (`f:knot or x` ends the value at "k"), so
// the writers are told whether a space follows what they print.

// String prints the MatchAll as canonical KQL.
func (n *MatchAll) String() string { return "*:*" }

// String prints the Or as canonical KQL.
func (n *Or) String() string { return nodeString(n) }

// String prints the And as canonical KQL.
func (n *And) String() string { return nodeString(n) }

// String prints the Not as canonical KQL.
func (n *Not) String() string { return nodeString(n) }

// String prints the Nested as canonical KQL.
func (n *Nested) String() string { return nodeString(n) }

// String prints the Range as canonical KQL.
func (n *Range) String() string { return nodeString(n) }

// String prints the Match as canonical KQL.
func (n *Match) String() string { return nodeString(n) }

// String prints the ValueOr as canonical KQL.
func (n *ValueOr) String() string { return valueString(n) }

// String prints the ValueAnd as canonical KQL.
func (n *ValueAnd) String() string { return valueString(n) }

// String prints the ValueNot as canonical KQL.
func (n *ValueNot) String() string { return valueString(n) }

// String prints the Literal as canonical KQL.
func (n *Literal) String() string { return valueString(n) }

func nodeString(n Node) string {
	var b strings.Builder
	writeNode(&b, n, false)
	return b.String()
}

func valueString(v ValueNode) string {
	var b strings.Builder
	writeValue(&b, v, false)
	return b.String()
}

// writeNode prints n; spaceAfter tells whether whitespace may follow it.
func writeNode(b *strings.Builder, n Node, spaceAfter bool) {
	switch n := n.(type) {
	case *MatchAll:
		b.WriteString("*:*")
	case *Or:
		if n == nil {
			return
		}
		for i, t := range n.Terms {
			if i > 0 {
				b.WriteString(" or ")
			}
			writeNode(b, t, spaceAfter || i < len(n.Terms)-1)
		}
	case *And:
		if n == nil {
			return
		}
		for i, t := range n.Terms {
			if i > 0 {
				b.WriteString(" and ")
			}
			_, paren := t.(*Or)
			writeGroup(b, t, paren, spaceAfter || i < len(n.Terms)-1)
		}
	case *Not:
		if n == nil {
			return
		}
		b.WriteString("not ")
		switch n.X.(type) {
		case *Or, *And, *Not:
			writeGroup(b, n.X, true, spaceAfter)
		default:
			writeNode(b, n.X, spaceAfter)
		}
	case *Nested:
		if n == nil {
			return
		}
		writeLiteral(b, n.Field, false)
		b.WriteString(":{ ")
		writeNode(b, n.Query, true)
		b.WriteString(" }")
	case *Range:
		if n == nil {
			return
		}
		writeLiteral(b, n.Field, true)
		b.WriteByte(' ')
		b.WriteString(n.Op.String())
		b.WriteByte(' ')
		writeLiteral(b, n.Value, spaceAfter)
	case *Match:
		if n == nil || n.Value == nil {
			return
		}
		if n.Field != nil {
			writeLiteral(b, n.Field, false)
			b.WriteByte(':')
		}
		if lit, ok := n.Value.(*Literal); ok {
			writeLiteral(b, lit, spaceAfter)
			return
		}
		b.WriteByte('(')
		writeValue(b, n.Value, false)
		b.WriteByte(')')
	}
}

// writeGroup prints n, in parentheses if paren.
func writeGroup(b *strings.Builder, n Node, paren, spaceAfter bool) {
	if !paren {
		writeNode(b, n, spaceAfter)
		return
	}
	b.WriteByte('(')
	writeNode(b, n, false)
	b.WriteByte(')')
}

// writeValue prints a value-list expression without its outer parentheses.
func writeValue(b *strings.Builder, v ValueNode, spaceAfter bool) {
	switch v := v.(type) {
	case *Literal:
		writeLiteral(b, v, spaceAfter)
	case *ValueOr:
		if v == nil {
			return
		}
		for i, t := range v.Terms {
			if i > 0 {
				b.WriteString(" or ")
			}
			writeValue(b, t, spaceAfter || i < len(v.Terms)-1)
		}
	case *ValueAnd:
		if v == nil {
			return
		}
		for i, t := range v.Terms {
			if i > 0 {
				b.WriteString(" and ")
			}
			_, paren := t.(*ValueOr)
			writeValueGroup(b, t, paren, spaceAfter || i < len(v.Terms)-1)
		}
	case *ValueNot:
		if v == nil {
			return
		}
		b.WriteString("not ")
		_, lit := v.X.(*Literal)
		writeValueGroup(b, v.X, !lit, spaceAfter)
	}
}

// writeValueGroup prints v, in parentheses if paren.
func writeValueGroup(b *strings.Builder, v ValueNode, paren, spaceAfter bool) {
	if !paren {
		writeValue(b, v, spaceAfter)
		return
	}
	b.WriteByte('(')
	writeValue(b, v, false)
	b.WriteByte(')')
}

// writeLiteral prints a field name or value; spaceAfter tells whether
// whitespace may follow it (then a trailing keyword must be escaped).
func writeLiteral(b *strings.Builder, l *Literal, spaceAfter bool) {
	if l == nil {
		return
	}
	if l.Quoted {
		writeQuoted(b, l.Text())
		return
	}
	switch l.Kind {
	case Bool:
		if l.BoolValue() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		return
	case Null:
		b.WriteString("null")
		return
	}
	if len(l.Parts) == 1 && l.Parts[0] == "" {
		// An empty unquoted literal: only whitespace escapes, which are
		// trimmed away, decode to nothing.
		b.WriteString(`\t`)
		return
	}
	for i, part := range l.Parts {
		if i > 0 {
			b.WriteByte('*')
		}
		writeUnquotedPart(b, part, spaceAfter && i == len(l.Parts)-1)
	}
}

// writeUnquotedPart prints text between wildcards, escaping special
// characters, whitespace other than a plain space, and any keyword that the
// lexer would otherwise stop at: Space `or`/`and` Space, and `not` Space.
// spaceAfter tells whether whitespace may follow the text.
func writeUnquotedPart(b *strings.Builder, s string, spaceAfter bool) {
	// kwFollows reports whether the word w is at s[i:] in any case and is
	// followed by a space, in s or after it.
	kwFollows := func(i int, w string) bool {
		if !hasWordAt(s, i, w) {
			return false
		}
		j := i + len(w)
		return j == len(s) && spaceAfter || j < len(s) && s[j] == ' '
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ' ':
			b.WriteByte(' ')
			i++
			for _, w := range [...]string{"or", "and"} {
				if kwFollows(i, w) {
					b.WriteByte('\\')
					b.WriteString(s[i : i+len(w)])
					i += len(w)
					break
				}
			}
			continue
		case (r == 'n' || r == 'N') && kwFollows(i, "not"):
			if r == 'N' {
				b.WriteString(`\N`) // \Not is the word; \not would be a newline
			} else {
				b.WriteString(`\u006e`)
			}
			b.WriteString(s[i+1 : i+3])
			i += 3
			continue
		case r < utf8.RuneSelf && isSpecial(byte(r)):
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		default:
			writeEscapedRune(b, r)
		}
		i += size
	}
}

// writeQuoted prints s as a quoted literal.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		default:
			writeEscapedRune(b, r)
		}
	}
	b.WriteByte('"')
}

// writeEscapedRune prints r, as \t \r \n or \uXXXX if it is whitespace
// other than a plain space or not printable.
func writeEscapedRune(b *strings.Builder, r rune) {
	switch {
	case r == '\t':
		b.WriteString(`\t`)
	case r == '\r':
		b.WriteString(`\r`)
	case r == '\n':
		b.WriteString(`\n`)
	case r == ' ' || (unicode.IsPrint(r) && !isJSSpace(r)):
		b.WriteRune(r)
	case r > 0xFFFF:
		r1, r2 := utf16.EncodeRune(r)
		writeUnit(b, r1)
		writeUnit(b, r2)
	default:
		writeUnit(b, r)
	}
}

func writeUnit(b *strings.Builder, u rune) {
	const hex = "0123456789abcdef"
	b.WriteString(`\u`)
	b.WriteByte(hex[u>>12&0xF])
	b.WriteByte(hex[u>>8&0xF])
	b.WriteByte(hex[u>>4&0xF])
	b.WriteByte(hex[u&0xF])
}
