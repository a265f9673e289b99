package esql

import (
	"math"
	"strconv"
	"strings"
)

// String prints the query in canonical form: commands upper case, one per
// line after the source, so that Parse(q.String()) gives the same query.
func (q *Query) String() string {
	var b strings.Builder
	b.WriteString(q.Source.String())
	for _, c := range q.Commands {
		b.WriteString("\n| ")
		b.WriteString(c.String())
	}
	return b.String()
}

func (c *From) String() string {
	var b strings.Builder
	b.WriteString("FROM ")
	for i, ix := range c.Indices {
		if i > 0 {
			b.WriteString(", ")
		}
		if plainIndex(ix) {
			b.WriteString(ix)
		} else {
			b.WriteString(quoteString(ix))
		}
	}
	if len(c.Metadata) > 0 {
		b.WriteString(" METADATA ")
		b.WriteString(strings.Join(c.Metadata, ", "))
	}
	return b.String()
}

func plainIndex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || strings.IndexByte(",|\"`()", c) >= 0 {
			return false
		}
	}
	return !strings.Contains(s, "//") && !strings.Contains(s, "/*")
}

func (c *Row) String() string { return "ROW " + printFields(c.Fields) }

func (c *Where) String() string { return "WHERE " + c.Cond.String() }

func (c *Eval) String() string { return "EVAL " + printFields(c.Fields) }

func (c *Stats) String() string {
	var b strings.Builder
	if c.Inline {
		b.WriteString("INLINE ")
	}
	b.WriteString("STATS")
	for i, a := range c.Aggs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		b.WriteString(printField(a.Field))
		if a.Filter != nil {
			b.WriteString(" WHERE ")
			b.WriteString(a.Filter.String())
		}
	}
	if len(c.By) > 0 {
		b.WriteString(" BY ")
		b.WriteString(printFields(c.By))
	}
	return b.String()
}

func printFields(fs []Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = printField(f)
	}
	return strings.Join(parts, ", ")
}

func printField(f Field) string {
	if f.Named {
		return quoteName(f.Name) + " = " + f.Expr.String()
	}
	return f.Expr.String()
}

func printPatterns(ps []NamePattern) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = quotePattern(p.Name)
	}
	return strings.Join(parts, ", ")
}

func (c *Keep) String() string { return "KEEP " + printPatterns(c.Patterns) }

func (c *Drop) String() string { return "DROP " + printPatterns(c.Patterns) }

func (c *Rename) String() string {
	parts := make([]string, len(c.Pairs))
	for i, p := range c.Pairs {
		parts[i] = quotePattern(p.Old) + " AS " + quotePattern(p.New)
	}
	return "RENAME " + strings.Join(parts, ", ")
}

func (c *Sort) String() string {
	parts := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		s := k.Expr.String()
		if k.Desc {
			s += " DESC"
		} else {
			s += " ASC"
		}
		if k.NullsFirst != k.Desc {
			if k.NullsFirst {
				s += " NULLS FIRST"
			} else {
				s += " NULLS LAST"
			}
		}
		parts[i] = s
	}
	return "SORT " + strings.Join(parts, ", ")
}

func (c *Limit) String() string { return "LIMIT " + strconv.Itoa(c.N) }

func (c *MvExpand) String() string { return "MV_EXPAND " + quotePattern(c.Column) }

func (c *Dissect) String() string {
	s := "DISSECT " + printPrec(c.Input, precPrimary) + " " + quoteString(c.Pattern)
	if c.HasSep {
		s += " APPEND_SEPARATOR = " + quoteString(c.Separator)
	}
	return s
}

func (c *Grok) String() string {
	parts := make([]string, len(c.Patterns))
	for i, p := range c.Patterns {
		parts[i] = quoteString(p)
	}
	return "GROK " + printPrec(c.Input, precPrimary) + " " + strings.Join(parts, ", ")
}

func (c *Unsupported) String() string { return c.Text }

func (c *Sample) String() string { return "SAMPLE " + c.Text }

// Operator precedence, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precPredicate
	precAdd
	precMul
	precUnary
	precPrimary
)

func prec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case "OR":
			return precOr
		case "AND":
			return precAnd
		case "+", "-":
			return precAdd
		case "*", "/", "%":
			return precMul
		}
		return precPredicate
	case *Unary:
		if e.Op == "NOT" {
			return precNot
		}
		return precUnary
	case *Like, *In, *IsNull, *MatchOp:
		return precPredicate
	case *Literal:
		switch v := e.Value.(type) {
		case int64:
			if v < 0 {
				return precUnary
			}
		case float64:
			if v < 0 || math.Signbit(v) {
				return precUnary
			}
		}
	}
	return precPrimary
}

// printPrec prints e, in parentheses when it binds looser than min.
func printPrec(e Expr, min int) string {
	if prec(e) < min {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func (e *Literal) String() string {
	switch v := e.Value.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		if strings.Contains(s, "e") && !strings.Contains(s, ".") {
			// 1e+21 reads back as a double too; keep it
			return s
		}
		return s
	case string:
		return quoteString(v)
	case Duration:
		return v.Text
	case Period:
		return v.Text
	}
	return "null"
}

func (e *ListLit) String() string {
	parts := make([]string, len(e.Items))
	for i, x := range e.Items {
		parts[i] = x.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (e *Column) String() string { return quoteName(e.Name) }

func (e *Call) String() string {
	if e.Star {
		return e.Name + "(*)"
	}
	parts := make([]string, len(e.Args))
	for i, x := range e.Args {
		parts[i] = x.String()
	}
	return e.Name + "(" + strings.Join(parts, ", ") + ")"
}

func (e *Unary) String() string {
	if e.Op == "NOT" {
		return "NOT " + printPrec(e.X, precNot)
	}
	return "-" + printPrec(e.X, precUnary)
}

func (e *Binary) String() string {
	p := prec(e)
	left, right := p, p+1
	if p == precPredicate {
		left, right = precAdd, precAdd
	}
	return printPrec(e.X, left) + " " + e.Op + " " + printPrec(e.Y, right)
}

func (e *Like) String() string {
	var b strings.Builder
	b.WriteString(printPrec(e.X, precAdd))
	if e.Not {
		b.WriteString(" NOT")
	}
	if e.Regex {
		b.WriteString(" RLIKE ")
	} else {
		b.WriteString(" LIKE ")
	}
	if len(e.Patterns) == 1 {
		b.WriteString(quoteString(e.Patterns[0]))
		return b.String()
	}
	parts := make([]string, len(e.Patterns))
	for i, p := range e.Patterns {
		parts[i] = quoteString(p)
	}
	b.WriteString("(" + strings.Join(parts, ", ") + ")")
	return b.String()
}

func (e *In) String() string {
	parts := make([]string, len(e.List))
	for i, x := range e.List {
		parts[i] = x.String()
	}
	op := " IN ("
	if e.Not {
		op = " NOT IN ("
	}
	return printPrec(e.X, precAdd) + op + strings.Join(parts, ", ") + ")"
}

func (e *IsNull) String() string {
	if e.Not {
		return printPrec(e.X, precAdd) + " IS NOT NULL"
	}
	return printPrec(e.X, precAdd) + " IS NULL"
}

func (e *Cast) String() string { return printPrec(e.X, precPrimary) + "::" + e.Type }

func (e *MatchOp) String() string {
	return printPrec(e.Field, precAdd) + " : " + printPrec(e.Query, precAdd)
}

// quoteString prints s as an ES|QL string literal: "..." with escapes, or
// """...""" when that keeps it readable and exact.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// keywords that cannot be column names unquoted.
var reserved = map[string]bool{"AND": true, "OR": true, "NOT": true, "NULL": true, "TRUE": true, "FALSE": true,
	"IS": true, "IN": true, "LIKE": true, "RLIKE": true, "BY": true, "AS": true, "ASC": true, "DESC": true,
	"NULLS": true, "WHERE": true, "METADATA": true}

// quoteName prints a column name, in backquotes unless every part is a
// plain identifier.
func quoteName(s string) string {
	if plainName(s, false) {
		return s
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// quotePattern prints a name pattern, keeping * unquoted.
func quotePattern(s string) string {
	if plainName(s, true) {
		return s
	}
	if s == "" {
		return "``" // an empty quoted name (KEEP ``) stays one
	}
	// quote the parts between wildcards
	parts := strings.Split(s, "*")
	for i, p := range parts {
		if p != "" {
			parts[i] = "`" + strings.ReplaceAll(p, "`", "``") + "`"
		}
	}
	return strings.Join(parts, "*")
}

func plainName(s string, wildcards bool) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || reserved[strings.ToUpper(part)] {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c == '*' && wildcards {
				continue
			}
			if !isIdentPart(c) || i == 0 && isDigit(c) {
				return false
			}
		}
	}
	return true
}

func (e *MapLit) String() string {
	parts := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		parts[i] = quoteString(k) + ": " + e.Values[i].String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
