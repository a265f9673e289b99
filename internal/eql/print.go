package eql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// String prints the statement in canonical EQL.
func (s *Statement) String() string {
	var b strings.Builder
	b.WriteString(s.Query.String())
	for _, p := range s.Pipes {
		b.WriteString(" | ")
		b.WriteString(p.String())
	}
	return b.String()
}

// String prints `category where condition`.
func (q *EventQuery) String() string {
	return categoryString(q.Category) + " where " + q.Where.String()
}

// categoryString prints a category: bare when it reads as one, else quoted.
func categoryString(c string) string {
	if c == "" {
		return "any"
	}
	if isPlainName(c) {
		return c
	}
	return quote(c)
}

func (q *Sequence) String() string {
	var b strings.Builder
	b.WriteString("sequence")
	writeBy(&b, q.By)
	if q.MaxSpan != nil {
		b.WriteString(" with maxspan=")
		b.WriteString(q.MaxSpan.String())
	}
	for _, s := range q.Steps {
		b.WriteByte(' ')
		b.WriteString(s.String())
	}
	if q.Until != nil {
		b.WriteString(" until ")
		b.WriteString(q.Until.String())
	}
	return b.String()
}

func (q *Sample) String() string {
	var b strings.Builder
	b.WriteString("sample")
	writeBy(&b, q.By)
	for _, s := range q.Steps {
		b.WriteByte(' ')
		b.WriteString(s.String())
	}
	return b.String()
}

func (s *Step) String() string {
	var b strings.Builder
	if s.Missing {
		b.WriteByte('!')
	}
	b.WriteByte('[')
	b.WriteString(s.Query.String())
	b.WriteByte(']')
	writeBy(&b, s.By)
	if s.Runs > 0 {
		fmt.Fprintf(&b, " with runs=%d", s.Runs)
	}
	return b.String()
}

func writeBy(b *strings.Builder, keys []Expr) {
	if len(keys) == 0 {
		return
	}
	b.WriteString(" by ")
	writeList(b, keys)
}

func writeList(b *strings.Builder, xs []Expr) {
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x.String())
	}
}

func (t *TimeSpan) String() string { return fmt.Sprintf("%d%s", t.Value, t.Unit) }

func (p *Pipe) String() string {
	var b strings.Builder
	b.WriteString(p.Name)
	if len(p.Args) > 0 {
		b.WriteByte(' ')
		writeList(&b, p.Args)
	}
	return b.String()
}

// Precedence levels, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCompare
	precAdd
	precMul
	precUnary
	precPredicate
	precPrimary
)

func prec(e Expr) int {
	switch t := e.(type) {
	case *Bool:
		if t.Op == Or {
			return precOr
		}
		return precAnd
	case *Not:
		return precNot
	case *Compare:
		return precCompare
	case *Arith:
		if t.Op == Add || t.Op == Sub {
			return precAdd
		}
		return precMul
	case *Neg:
		return precUnary
	case *In, *Match:
		return precPredicate
	}
	return precPrimary
}

// sub prints e, in parentheses when it binds less tightly than min.
func sub(e Expr, min int) string {
	if prec(e) < min {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func (e *Bool) String() string {
	word, min := " or ", precAnd
	if e.Op == And {
		word, min = " and ", precNot
	}
	parts := make([]string, len(e.Terms))
	for i, t := range e.Terms {
		parts[i] = sub(t, min)
	}
	return strings.Join(parts, word)
}

func (e *Not) String() string { return "not " + sub(e.X, precNot) }

var compareText = [...]string{EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">="}

func (op CompareOp) String() string {
	if int(op) < len(compareText) && op > 0 {
		return compareText[op]
	}
	return "?"
}

func (e *Compare) String() string {
	return sub(e.L, precAdd) + " " + e.Op.String() + " " + sub(e.R, precAdd)
}

var arithText = [...]string{Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%"}

func (op ArithOp) String() string {
	if int(op) < len(arithText) && op > 0 {
		return arithText[op]
	}
	return "?"
}

func (e *Arith) String() string {
	p := prec(e)
	return sub(e.L, p) + " " + e.Op.String() + " " + sub(e.R, p+1)
}

func (e *Neg) String() string {
	op := "-"
	if e.Plus {
		op = "+"
	}
	x := sub(e.X, precUnary)
	if strings.HasPrefix(x, "-") || strings.HasPrefix(x, "+") {
		return op + " " + x
	}
	return op + x
}

func (e *In) String() string {
	var b strings.Builder
	b.WriteString(sub(e.X, precPrimary))
	if e.Not {
		b.WriteString(" not")
	}
	b.WriteString(" in")
	if e.Insensitive {
		b.WriteByte('~')
	}
	b.WriteString(" (")
	writeList(&b, e.List)
	b.WriteByte(')')
	return b.String()
}

var matchText = [...]string{Seq: ":", Like: "like", LikeI: "like~", Regex: "regex", RegexI: "regex~"}

func (op MatchOp) String() string {
	if int(op) < len(matchText) && op > 0 {
		return matchText[op]
	}
	return "?"
}

func (e *Match) String() string {
	var b strings.Builder
	b.WriteString(sub(e.X, precPrimary))
	b.WriteByte(' ')
	b.WriteString(e.Op.String())
	b.WriteByte(' ')
	if e.List {
		b.WriteByte('(')
		writeList(&b, e.Patterns)
		b.WriteByte(')')
	} else {
		b.WriteString(e.Patterns[0].String())
	}
	return b.String()
}

func (e *Call) String() string {
	var b strings.Builder
	b.WriteString(e.Name)
	if e.Insensitive {
		b.WriteByte('~')
	}
	b.WriteByte('(')
	writeList(&b, e.Args)
	b.WriteByte(')')
	return b.String()
}

func (e *Field) String() string {
	var b strings.Builder
	if e.Optional {
		b.WriteByte('?')
	}
	for i, p := range e.Path {
		if i > 0 {
			b.WriteByte('.')
		}
		if isPlainName(p) {
			b.WriteString(p)
		} else {
			b.WriteByte('`')
			b.WriteString(strings.ReplaceAll(p, "`", "``"))
			b.WriteByte('`')
		}
	}
	return b.String()
}

// isPlainName reports whether s reads as an identifier: not a keyword,
// letters, digits, _ and @, not starting with a digit.
func isPlainName(s string) bool {
	if s == "" || keywords[s] || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	return true
}

func (e *String) String() string  { return quote(e.Value) }
func (e *Number) String() string  { return e.Text }
func (e *Boolean) String() string { return fmt.Sprint(e.Value) }
func (e *Null) String() string    { return "null" }

// quote prints s as a double-quoted EQL string. Bytes that are not UTF-8
// are written as they are, so the value survives a round trip.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte(s[i])
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u{%x}`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}
