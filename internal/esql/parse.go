package esql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxDepth is how deeply expressions may nest.
const DefaultMaxDepth = 200

// Parse parses an ES|QL query. Errors are *Error with the position of the
// fault.
func Parse(query string) (*Query, error) {
	p := &parser{lex: lexer{src: query}, src: query}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	q.text = query
	q.spans = p.spans
	return q, nil
}

// span records the source text of e, from off to the last token read.
func (p *parser) span(e Expr, off int, err error) (Expr, error) {
	if err != nil || e == nil {
		return e, err
	}
	if p.spans == nil {
		p.spans = map[Expr]string{}
	}
	if _, ok := p.spans[e]; !ok && off <= p.prevEnd && p.prevEnd <= len(p.src) {
		p.spans[e] = p.src[off:p.prevEnd]
	}
	return e, nil
}

// ParseExpr parses one expression (for tests and tools).
func ParseExpr(expr string) (Expr, error) {
	p := &parser{lex: lexer{src: expr}, src: expr}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t, err := p.peek(); err != nil {
		return nil, err
	} else if t.kind != tokEOF {
		return nil, p.errAt(t.off, "", "unexpected %s after the expression", t.describe())
	}
	return e, nil
}

type parser struct {
	spans   map[Expr]string // expressions' source text, for warnings
	lex     lexer
	src     string
	cur     token
	has     bool // cur is lexed and not consumed
	prevEnd int  // end offset of the last consumed token
	depth   int
}

// parseError is returned through panics-free plumbing as *Error.
func (p *parser) errAt(off int, hint, format string, args ...any) error {
	return &Error{Pos: posAt(p.src, off), Msg: fmt.Sprintf(format, args...), Hint: hint, Query: p.src}
}

// posAt converts a byte offset into a position.
func posAt(src string, off int) Pos {
	off = min(max(off, 0), len(src))
	line, col := 1, 1
	lineStart := 0
	for i := 0; i < off; i++ {
		if src[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	col = utf8.RuneCountInString(src[lineStart:off]) + 1
	return Pos{Offset: off, Line: line, Col: col}
}

func (p *parser) lexErr(e *lexError) error { return p.errAt(e.off, e.hint, "%s", e.msg) }

func (p *parser) peek() (token, error) {
	if !p.has {
		t, err := p.lex.next()
		if err != nil {
			return token{}, p.lexErr(err)
		}
		p.cur, p.has = t, true
	}
	return p.cur, nil
}

func (p *parser) advance() token {
	t := p.cur
	p.has = false
	p.prevEnd = t.end
	return t
}

// accept consumes the punctuation s if it comes next.
func (p *parser) accept(s string) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	if t.is(s) {
		p.advance()
		return true, nil
	}
	return false, nil
}

// acceptKw consumes the keyword s if it comes next.
func (p *parser) acceptKw(s string) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	if t.kw(s) {
		p.advance()
		return true, nil
	}
	return false, nil
}

func (p *parser) expect(s, what string) (token, error) {
	t, err := p.peek()
	if err != nil {
		return t, err
	}
	if !t.is(s) && !t.kw(s) {
		return t, p.errAt(t.off, "", "expected %q %s, found %s", s, what, t.describe())
	}
	return p.advance(), nil
}

// query = source ("|" command)*
func (p *parser) query() (*Query, error) {
	q := &Query{}
	src, err := p.command(true)
	if err != nil {
		return nil, err
	}
	q.Source = src
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind == tokEOF {
			return q, nil
		}
		if !t.is("|") {
			return nil, p.errAt(t.off, "separate commands with |", "unexpected %s after the command", t.describe())
		}
		p.advance()
		c, err := p.command(false)
		if err != nil {
			return nil, err
		}
		q.Commands = append(q.Commands, c)
	}
}

var sourceCommands = []string{"FROM", "ROW"}
var processingCommands = []string{"WHERE", "EVAL", "STATS", "INLINE STATS", "KEEP", "DROP", "RENAME", "SORT", "LIMIT",
	"MV_EXPAND", "DISSECT", "GROK", "SAMPLE", "COMPLETION"}

// command = FROM ... | ROW ... | WHERE ... | ...
func (p *parser) command(source bool) (Command, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != tokIdent {
		want := "a command (" + strings.Join(processingCommands, ", ") + ")"
		if source {
			want = "a source command (FROM or ROW)"
		}
		return nil, p.errAt(t.off, "", "expected %s, found %s", want, t.describe())
	}
	name := strings.ToUpper(t.text)
	at := posAt(p.src, t.off)
	if source != (name == "FROM" || name == "ROW") {
		if source {
			return nil, p.errAt(t.off, "start the query with FROM index-pattern", "a query starts with FROM or ROW, not %s", t.describe())
		}
		if name == "FROM" || name == "ROW" {
			return nil, p.errAt(t.off, "", "%s can only start a query", name)
		}
	}
	p.advance()
	switch name {
	case "FROM":
		return p.from(at)
	case "ROW":
		fs, err := p.fields(false)
		if err != nil {
			return nil, err
		}
		return &Row{At: at, Fields: fs}, nil
	case "WHERE":
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &Where{At: at, Cond: e}, nil
	case "EVAL":
		fs, err := p.fields(false)
		if err != nil {
			return nil, err
		}
		return &Eval{At: at, Fields: fs}, nil
	case "STATS":
		return p.stats(at, false)
	case "INLINESTATS":
		return p.stats(at, true)
	case "INLINE":
		if _, err := p.expect("STATS", "after INLINE"); err != nil {
			return nil, err
		}
		return p.stats(at, true)
	case "KEEP":
		ps, err := p.namePatterns()
		if err != nil {
			return nil, err
		}
		return &Keep{At: at, Patterns: ps}, nil
	case "DROP":
		ps, err := p.namePatterns()
		if err != nil {
			return nil, err
		}
		return &Drop{At: at, Patterns: ps}, nil
	case "RENAME":
		return p.rename(at)
	case "SORT":
		return p.sort(at)
	case "LIMIT":
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		n, perr := strconv.Atoi(t.text)
		if t.kind != tokNumber || perr != nil || n < 0 {
			return nil, p.errAt(t.off, "", "LIMIT takes a non-negative whole number, found %s", t.describe())
		}
		p.advance()
		return &Limit{At: at, N: n}, nil
	case "MV_EXPAND":
		t, err := p.namePattern()
		if err != nil {
			return nil, err
		}
		if strings.Contains(t.Name, "*") {
			return nil, p.errAt(t.At.Offset, "", "MV_EXPAND takes a column name, not a pattern")
		}
		return &MvExpand{At: at, Column: t.Name}, nil
	case "DISSECT":
		return p.dissect(at)
	case "GROK":
		return p.grok(at)
	case "SAMPLE":
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		f, perr := strconv.ParseFloat(t.text, 64)
		if t.kind != tokNumber || perr != nil || !(f > 0 && f < 1) {
			return nil, p.errAt(t.off, "write SAMPLE 0.1 to keep about one row in ten", "SAMPLE takes a probability between 0 and 1 (both excluded), found %s", t.describe())
		}
		p.advance()
		return &Sample{At: at, Probability: f, Text: t.text}, nil
	case "COMPLETION", "CHANGE_POINT", "ENRICH", "LOOKUP", "FORK", "RERANK", "FUSE", "RRF", "JOIN", "LEFT", "RIGHT":
		return p.unsupported(at, name)
	}
	return nil, p.errAt(t.off, "commands are "+strings.Join(processingCommands, ", "), "unknown command %s", t.describe())
}

// unsupported reads the rest of a command Vigil does not run, up to the
// next | outside parentheses, so that the query still parses.
func (p *parser) unsupported(at Pos, name string) (Command, error) {
	reason := "Vigil does not run " + name
	if name == "COMPLETION" {
		reason = "COMPLETION sends rows to a language model (an inference endpoint); Vigil does not call one"
	}
	depth := 0
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind == tokEOF || t.is("|") && depth == 0 {
			break
		}
		switch {
		case t.is("("), t.is("["), t.is("{"):
			depth++
		case t.is(")"), t.is("]"), t.is("}"):
			depth--
		}
		p.advance()
	}
	text := strings.TrimSpace(p.src[at.Offset:max(p.prevEnd, at.Offset)])
	return &Unsupported{At: at, Name: name, Text: text, Reason: reason}, nil
}

// from = FROM pattern ("," pattern)* [METADATA name ("," name)*]
func (p *parser) from(at Pos) (Command, error) {
	f := &From{At: at}
	for {
		if p.has {
			// cannot happen: FROM consumed without lookahead
			return nil, p.errAt(p.cur.off, "", "unexpected %s", p.cur.describe())
		}
		t, lerr := p.lex.indexPattern()
		if lerr != nil {
			return nil, p.lexErr(lerr)
		}
		if t.text == "" {
			nt, err := p.peek()
			if err != nil {
				return nil, err
			}
			return nil, p.errAt(t.off, "name the indices: FROM logs-*", "expected an index pattern, found %s", nt.describe())
		}
		p.prevEnd = t.end
		f.Indices = append(f.Indices, t.text)
		ok, err := p.accept(",")
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
	}
	ok, err := p.acceptKw("METADATA")
	if err != nil || !ok {
		return f, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != tokIdent {
			return nil, p.errAt(t.off, "metadata fields are _id, _index, _version, _score, _ignored, _source, _index_mode",
				"expected a metadata field, found %s", t.describe())
		}
		switch t.text {
		case "_id", "_index", "_version", "_score", "_ignored", "_source", "_index_mode":
		default:
			return nil, p.errAt(t.off, "metadata fields are _id, _index, _version, _score, _ignored, _source, _index_mode",
				"unknown metadata field %s", t.describe())
		}
		p.advance()
		f.Metadata = append(f.Metadata, t.text)
		if ok, err := p.accept(","); err != nil || !ok {
			return f, err
		}
	}
}

// fields = field ("," field)*; field = [name "="] expr
func (p *parser) fields(agg bool) ([]Field, error) {
	return commaList(p, p.field)
}

// field = [qualifiedName "="] expr
func (p *parser) field() (Field, error) {
	t, err := p.peek()
	if err != nil {
		return Field{}, err
	}
	if t.kind == tokIdent || t.kind == tokQuotedIdent {
		save, saveLex, saveEnd := p.cur, p.lex, p.prevEnd
		name, _, err := p.qualifiedName()
		if err == nil {
			if ok, _ := p.accept("="); ok {
				e, err := p.expr()
				if err != nil {
					return Field{}, err
				}
				return Field{Name: name, Named: true, Expr: e}, nil
			}
		}
		p.cur, p.has, p.lex, p.prevEnd = save, true, saveLex, saveEnd
	}
	start := t.off
	e, err := p.expr()
	if err != nil {
		return Field{}, err
	}
	name := strings.TrimSpace(p.src[start:p.prevEnd])
	if c, ok := e.(*Column); ok {
		name = c.Name
	}
	return Field{Name: name, Expr: e}, nil
}

// qualifiedName = identifier ("." identifier)*
func (p *parser) qualifiedName() (string, int, error) {
	t, err := p.peek()
	if err != nil {
		return "", 0, err
	}
	if t.kind != tokIdent && t.kind != tokQuotedIdent {
		return "", t.off, p.errAt(t.off, "", "expected a column name, found %s", t.describe())
	}
	p.advance()
	var b strings.Builder
	b.WriteString(t.text)
	for {
		d, err := p.peek()
		if err != nil {
			return "", 0, err
		}
		if !d.is(".") || d.off != p.prevEnd {
			return b.String(), t.off, nil
		}
		// A dot must be followed directly by a name part.
		save, saveLex, saveEnd := p.cur, p.lex, p.prevEnd
		p.advance()
		n, err := p.peek()
		if err != nil {
			return "", 0, err
		}
		if n.off != p.prevEnd || (n.kind != tokIdent && n.kind != tokQuotedIdent && n.kind != tokNumber) {
			p.cur, p.has, p.lex, p.prevEnd = save, true, saveLex, saveEnd
			return b.String(), t.off, nil
		}
		p.advance()
		b.WriteByte('.')
		b.WriteString(n.text)
	}
}

// stats = aggregate ("," aggregate)* [BY field ("," field)*]
func (p *parser) stats(at Pos, inline bool) (Command, error) {
	s := &Stats{At: at, Inline: inline}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if !t.kw("BY") && t.kind != tokEOF && !t.is("|") {
		for {
			f, err := p.field()
			if err != nil {
				return nil, err
			}
			a := Agg{Field: f}
			if ok, err := p.acceptKw("WHERE"); err != nil {
				return nil, err
			} else if ok {
				if a.Filter, err = p.expr(); err != nil {
					return nil, err
				}
				if !f.Named {
					a.Name = strings.TrimSpace(p.src[f.Expr.Pos().Offset:p.prevEnd])
				}
			}
			s.Aggs = append(s.Aggs, a)
			if ok, err := p.accept(","); err != nil {
				return nil, err
			} else if !ok {
				break
			}
		}
	}
	if ok, err := p.acceptKw("BY"); err != nil {
		return nil, err
	} else if ok {
		if s.By, err = p.fields(false); err != nil {
			return nil, err
		}
	}
	if len(s.Aggs) == 0 && len(s.By) == 0 {
		return nil, p.errAt(at.Offset, "write STATS count = COUNT(*) BY field", "STATS needs an aggregate or BY")
	}
	return s, nil
}

// namePatterns = namePattern ("," namePattern)*
func (p *parser) namePatterns() ([]NamePattern, error) {
	return commaList(p, p.namePattern)
}

// namePattern reads a column name or pattern: name parts, dots, * and
// `quoted` parts, written together.
func (p *parser) namePattern() (NamePattern, error) {
	if p.has {
		return NamePattern{}, p.errAt(p.cur.off, "", "unexpected %s", p.cur.describe())
	}
	if err := p.lex.skip(); err != nil {
		return NamePattern{}, p.lexErr(err)
	}
	start := p.lex.off
	var b strings.Builder
	i := start
	for i < len(p.src) {
		c := p.src[i]
		if isIdentPart(c) || c == '.' || c == '*' {
			if c == '/' {
				break
			}
			b.WriteByte(c)
			i++
			continue
		}
		if c == '`' {
			p.lex.off = i
			t, err := p.lex.next()
			if err != nil {
				return NamePattern{}, p.lexErr(err)
			}
			b.WriteString(t.text)
			i = t.end
			continue
		}
		break
	}
	if i == start {
		p.lex.off = start
		t, err := p.peek()
		if err != nil {
			return NamePattern{}, err
		}
		return NamePattern{}, p.errAt(t.off, "", "expected a column name or pattern, found %s", t.describe())
	}
	p.lex.off = i
	p.prevEnd = i
	return NamePattern{At: posAt(p.src, start), Name: b.String()}, nil
}

// rename = old AS new | new = old, separated by commas
func (p *parser) rename(at Pos) (Command, error) {
	r := &Rename{At: at}
	for {
		a, err := p.namePattern()
		if err != nil {
			return nil, err
		}
		var pair RenamePair
		if ok, err := p.acceptKw("AS"); err != nil {
			return nil, err
		} else if ok {
			b, err := p.namePattern()
			if err != nil {
				return nil, err
			}
			pair = RenamePair{At: a.At, Old: a.Name, New: b.Name}
		} else if ok, err := p.accept("="); err != nil {
			return nil, err
		} else if ok {
			b, err := p.namePattern()
			if err != nil {
				return nil, err
			}
			pair = RenamePair{At: a.At, Old: b.Name, New: a.Name}
		} else {
			t, _ := p.peek()
			return nil, p.errAt(t.off, "write RENAME old AS new", "expected AS after %q, found %s", a.Name, t.describe())
		}
		r.Pairs = append(r.Pairs, pair)
		if ok, err := p.accept(","); err != nil || !ok {
			return r, err
		}
	}
}

// sort = expr [ASC|DESC] [NULLS (FIRST|LAST)], ...
func (p *parser) sort(at Pos) (Command, error) {
	s := &Sort{At: at}
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		k := SortKey{Expr: e}
		if ok, err := p.acceptKw("DESC"); err != nil {
			return nil, err
		} else if ok {
			k.Desc = true
		} else if _, err := p.acceptKw("ASC"); err != nil {
			return nil, err
		}
		k.NullsFirst = k.Desc
		if ok, err := p.acceptKw("NULLS"); err != nil {
			return nil, err
		} else if ok {
			t, err := p.peek()
			if err != nil {
				return nil, err
			}
			switch {
			case t.kw("FIRST"):
				k.NullsFirst = true
			case t.kw("LAST"):
				k.NullsFirst = false
			default:
				return nil, p.errAt(t.off, "", "expected FIRST or LAST after NULLS, found %s", t.describe())
			}
			p.advance()
			k.NullsSet = true
		}
		s.Keys = append(s.Keys, k)
		if ok, err := p.accept(","); err != nil || !ok {
			return s, err
		}
	}
}

// dissect = DISSECT primary string [APPEND_SEPARATOR "=" string]
func (p *parser) dissect(at Pos) (Command, error) {
	in, err := p.primary()
	if err != nil {
		return nil, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != tokString {
		return nil, p.errAt(t.off, `write DISSECT field "%{a} %{b}"`, "expected the dissect pattern (a string), found %s", t.describe())
	}
	p.advance()
	d := &Dissect{At: at, Input: in, Pattern: t.text, PatPos: posAt(p.src, t.off)}
	if _, err := parseDissect(t.text); err != nil {
		return nil, p.errAt(t.off, "", "invalid dissect pattern: %v", err)
	}
	n, err := p.peek()
	if err != nil {
		return nil, err
	}
	if n.kind == tokIdent && !n.kw("APPEND_SEPARATOR") {
		return nil, p.errAt(n.off, "", "unknown DISSECT option %s; the option is APPEND_SEPARATOR", n.describe())
	}
	if n.kw("APPEND_SEPARATOR") {
		p.advance()
		if _, err := p.expect("=", "after APPEND_SEPARATOR"); err != nil {
			return nil, err
		}
		s, err := p.peek()
		if err != nil {
			return nil, err
		}
		if s.kind != tokString {
			return nil, p.errAt(s.off, "", "APPEND_SEPARATOR takes a string, found %s", s.describe())
		}
		p.advance()
		d.Separator, d.HasSep = s.text, true
	}
	return d, nil
}

// grok = GROK primary string ("," string)*
func (p *parser) grok(at Pos) (Command, error) {
	in, err := p.primary()
	if err != nil {
		return nil, err
	}
	g := &Grok{At: at, Input: in}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != tokString {
			return nil, p.errAt(t.off, `write GROK field "%{WORD:name}"`, "expected the grok pattern (a string), found %s", t.describe())
		}
		p.advance()
		if len(g.Patterns) == 0 {
			g.PatPos = posAt(p.src, t.off)
		}
		if _, err := compileGrok(t.text); err != nil {
			return nil, p.errAt(t.off, "", "invalid grok pattern: %v", err)
		}
		g.Patterns = append(g.Patterns, t.text)
		if ok, err := p.accept(","); err != nil || !ok {
			return g, err
		}
	}
}

func (p *parser) enter(off int) error {
	p.depth++
	if p.depth > DefaultMaxDepth {
		return p.errAt(off, "flatten the expression", "expression nests more than %d levels deep", DefaultMaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// expr = orExpr
func (p *parser) expr() (Expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if err := p.enter(t.off); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.or()
}

// or = and (OR and)*
func (p *parser) or() (Expr, error) {
	return p.spanned(func() (Expr, error) { return p.chain("OR", p.and) })
}

// and = not (AND not)*
func (p *parser) and() (Expr, error) {
	return p.spanned(func() (Expr, error) { return p.chain("AND", p.not) })
}

// chain parses next (op next)*, left-associative.
func (p *parser) chain(op string, next func() (Expr, error)) (Expr, error) {
	x, err := next()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !t.kw(op) {
			return x, nil
		}
		p.advance()
		y, err := next()
		if err != nil {
			return nil, err
		}
		x = &Binary{At: x.Pos(), Op: op, X: x, Y: y}
	}
}

// not = NOT not | predicate
func (p *parser) not() (Expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kw("NOT") {
		p.advance()
		if err := p.enter(t.off); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Unary{At: posAt(p.src, t.off), Op: "NOT", X: x}, nil
	}
	return p.predicate()
}

// predicate = additive [cmpOp additive | [NOT] LIKE|RLIKE patterns |
// [NOT] IN "(" exprs ")" | IS [NOT] NULL | ":" additive]
func (p *parser) predicate() (Expr, error) {
	return p.spanned(p.predicateRaw)
}

func (p *parser) predicateRaw() (Expr, error) {
	x, err := p.additive()
	if err != nil {
		return nil, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case t.is("==") || t.is("!=") || t.is("<") || t.is("<=") || t.is(">") || t.is(">=") || t.is("=~"):
		p.advance()
		y, err := p.additive()
		if err != nil {
			return nil, err
		}
		return &Binary{At: x.Pos(), Op: t.text, X: x, Y: y}, nil
	case t.is("="):
		return nil, p.errAt(t.off, "compare with ==", "unexpected = in an expression")
	case t.is(":"):
		p.advance()
		y, err := p.additive()
		if err != nil {
			return nil, err
		}
		return &MatchOp{At: x.Pos(), Field: x, Query: y}, nil
	case t.kw("IS"):
		p.advance()
		not, err := p.acceptKw("NOT")
		if err != nil {
			return nil, err
		}
		if _, err := p.expect("NULL", "after IS"); err != nil {
			return nil, err
		}
		return &IsNull{At: x.Pos(), X: x, Not: not}, nil
	}
	not := false
	if t.kw("NOT") {
		save, saveLex, saveEnd := p.cur, p.lex, p.prevEnd
		p.advance()
		n, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !n.kw("LIKE") && !n.kw("RLIKE") && !n.kw("IN") {
			p.cur, p.has, p.lex, p.prevEnd = save, true, saveLex, saveEnd
			return x, nil
		}
		not, t = true, n
	}
	switch {
	case t.kw("LIKE"), t.kw("RLIKE"):
		p.advance()
		l := &Like{At: x.Pos(), X: x, Not: not, Regex: t.kw("RLIKE")}
		paren, err := p.accept("(")
		if err != nil {
			return nil, err
		}
		for {
			s, err := p.peek()
			if err != nil {
				return nil, err
			}
			if s.kind != tokString {
				return nil, p.errAt(s.off, `write field LIKE "pattern*"`, "%s takes a string pattern, found %s", strings.ToUpper(t.text), s.describe())
			}
			p.advance()
			l.Patterns = append(l.Patterns, s.text)
			if !paren {
				break
			}
			if ok, err := p.accept(","); err != nil {
				return nil, err
			} else if !ok {
				if _, err := p.expect(")", "after the patterns"); err != nil {
					return nil, err
				}
				break
			}
		}
		return l, nil
	case t.kw("IN"):
		p.advance()
		if _, err := p.expect("(", "after IN"); err != nil {
			return nil, err
		}
		in := &In{At: x.Pos(), X: x, Not: not}
		for {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			in.List = append(in.List, e)
			if ok, err := p.accept(","); err != nil {
				return nil, err
			} else if !ok {
				break
			}
		}
		if _, err := p.expect(")", "to close the IN list"); err != nil {
			return nil, err
		}
		return in, nil
	}
	return x, nil
}

// additive = multiplicative (("+"|"-") multiplicative)*
func (p *parser) additive() (Expr, error) {
	return p.spanned(p.additiveRaw)
}

func (p *parser) additiveRaw() (Expr, error) {
	x, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !t.is("+") && !t.is("-") {
			return x, nil
		}
		p.advance()
		y, err := p.multiplicative()
		if err != nil {
			return nil, err
		}
		x = &Binary{At: x.Pos(), Op: t.text, X: x, Y: y}
	}
}

// multiplicative = unary (("*"|"/"|"%") unary)*
func (p *parser) multiplicative() (Expr, error) {
	return p.spanned(p.multiplicativeRaw)
}

func (p *parser) multiplicativeRaw() (Expr, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !t.is("*") && !t.is("/") && !t.is("%") {
			return x, nil
		}
		p.advance()
		y, err := p.unary()
		if err != nil {
			return nil, err
		}
		x = &Binary{At: x.Pos(), Op: t.text, X: x, Y: y}
	}
}

// unary = ("-"|"+") unary | postfix
func (p *parser) unary() (Expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.is("-") || t.is("+") {
		p.advance()
		if err := p.enter(t.off); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if t.is("+") {
			return x, nil
		}
		// Fold -literal so that -9223372036854775808 is a long.
		if l, ok := x.(*Literal); ok {
			switch v := l.Value.(type) {
			case int64:
				if v != math.MinInt64 {
					return &Literal{At: posAt(p.src, t.off), Value: -v}, nil
				}
			case uint64:
				if v == 1<<63 {
					return &Literal{At: posAt(p.src, t.off), Value: int64(math.MinInt64)}, nil
				}
			case float64:
				return &Literal{At: posAt(p.src, t.off), Value: -v}, nil
			}
		}
		return &Unary{At: posAt(p.src, t.off), Op: "-", X: x}, nil
	}
	return p.postfix()
}

// postfix = primary ("::" type)*
func (p *parser) postfix() (Expr, error) {
	return p.spanned(p.postfixRaw)
}

func (p *parser) postfixRaw() (Expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		ok, err := p.accept("::")
		if err != nil || !ok {
			return x, err
		}
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != tokIdent {
			return nil, p.errAt(t.off, "", "expected a type after ::, found %s", t.describe())
		}
		p.advance()
		if _, ok := castFunctions[strings.ToLower(t.text)]; !ok {
			return nil, p.errAt(t.off, "types are "+castTypeList(), "unknown type %s", t.describe())
		}
		x = &Cast{At: x.Pos(), X: x, Type: strings.ToLower(t.text)}
	}
}

// timeUnits maps the units of time span literals to milliseconds (0 for
// calendar units, which are periods).
var timeUnits = map[string]struct {
	canon  string
	millis int64
	months int
	days   int
}{
	"millisecond": {"millisecond", 1, 0, 0}, "milliseconds": {"millisecond", 1, 0, 0}, "ms": {"millisecond", 1, 0, 0},
	"second": {"second", 1000, 0, 0}, "seconds": {"second", 1000, 0, 0}, "sec": {"second", 1000, 0, 0}, "s": {"second", 1000, 0, 0},
	"minute": {"minute", 60000, 0, 0}, "minutes": {"minute", 60000, 0, 0}, "min": {"minute", 60000, 0, 0}, "m": {"minute", 60000, 0, 0},
	"hour": {"hour", 3600000, 0, 0}, "hours": {"hour", 3600000, 0, 0}, "h": {"hour", 3600000, 0, 0},
	"day": {"day", 0, 0, 1}, "days": {"day", 0, 0, 1}, "d": {"day", 0, 0, 1},
	"week": {"week", 0, 0, 7}, "weeks": {"week", 0, 0, 7}, "w": {"week", 0, 0, 7},
	"month": {"month", 0, 1, 0}, "months": {"month", 0, 1, 0}, "mo": {"month", 0, 1, 0},
	"quarter": {"quarter", 0, 3, 0}, "quarters": {"quarter", 0, 3, 0}, "q": {"quarter", 0, 3, 0},
	"year": {"year", 0, 12, 0}, "years": {"year", 0, 12, 0}, "yr": {"year", 0, 12, 0}, "y": {"year", 0, 12, 0},
}

// primary = literal | timeSpan | qualifiedName | function "(" args ")" |
// "(" expr ")" | "[" literals "]"
func (p *parser) primary() (Expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	at := posAt(p.src, t.off)
	switch t.kind {
	case tokNumber:
		p.advance()
		lit, err := p.number(t)
		if err != nil {
			return nil, err
		}
		// 1 hour, 30 minutes, 2 days: a time span.
		if u, err := p.peek(); err == nil && u.kind == tokIdent {
			if unit, ok := timeUnits[strings.ToLower(u.text)]; ok {
				n, isInt := lit.Value.(int64)
				if !isInt {
					return nil, p.errAt(t.off, "", "a time span takes a whole number")
				}
				p.advance()
				text := fmt.Sprintf("%d %s", n, unit.canon)
				if unit.millis > 0 {
					return &Literal{At: at, Value: Duration{Millis: n * unit.millis, Text: text}}, nil
				}
				return &Literal{At: at, Value: Period{Months: int(n) * unit.months, Days: int(n) * unit.days, Text: text}}, nil
			}
		}
		return lit, nil
	case tokString:
		p.advance()
		return &Literal{At: at, Value: t.text}, nil
	case tokQuotedIdent:
		name, _, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		return &Column{At: at, Name: name}, nil
	case tokIdent:
		switch {
		case t.kw("NULL"):
			p.advance()
			return &Literal{At: at, Value: nil}, nil
		case t.kw("TRUE"), t.kw("FALSE"):
			p.advance()
			return &Literal{At: at, Value: t.kw("TRUE")}, nil
		}
		// A function call: name directly followed by "(".
		save, saveLex, saveEnd := p.cur, p.lex, p.prevEnd
		p.advance()
		if n, err := p.peek(); err == nil && n.is("(") {
			p.advance()
			return p.call(at, strings.ToUpper(t.text))
		}
		p.cur, p.has, p.lex, p.prevEnd = save, true, saveLex, saveEnd
		name, _, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		return &Column{At: at, Name: name}, nil
	case tokPunct:
		switch t.text {
		case "(":
			p.advance()
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")", "to close the parenthesis"); err != nil {
				return nil, err
			}
			return e, nil
		case "[":
			p.advance()
			l := &ListLit{At: at}
			if ok, err := p.accept("]"); err != nil {
				return nil, err
			} else if ok {
				return l, nil
			}
			for {
				e, err := p.unary()
				if err != nil {
					return nil, err
				}
				if _, ok := e.(*Literal); !ok {
					return nil, p.errAt(e.Pos().Offset, "", "a list [..] holds constants only")
				}
				l.Items = append(l.Items, e)
				if ok, err := p.accept(","); err != nil {
					return nil, err
				} else if !ok {
					break
				}
			}
			if _, err := p.expect("]", "to close the list"); err != nil {
				return nil, err
			}
			return l, nil
		case "?":
			return nil, p.errAt(t.off, "write the value into the query", "query parameters (?) are not supported")
		}
	}
	return nil, p.errAt(t.off, "", "expected an expression, found %s", t.describe())
}

// number parses an integer (int64, or uint64 above int64's range, or
// float64 beyond that) or a decimal.
func (p *parser) number(t token) (*Literal, error) {
	at := posAt(p.src, t.off)
	if !strings.ContainsAny(t.text, ".eE") {
		if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return &Literal{At: at, Value: n}, nil
		}
		if n, err := strconv.ParseUint(t.text, 10, 64); err == nil {
			return &Literal{At: at, Value: n}, nil
		}
	}
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, p.errAt(t.off, "", "number %s is out of range", t.text)
	}
	return &Literal{At: at, Value: f}, nil
}

// call = name "(" [ "*" | expr ("," expr)* ] ")"
func (p *parser) call(at Pos, name string) (Expr, error) {
	c := &Call{At: at, Name: name}
	if ok, err := p.accept(")"); err != nil || ok {
		return c, err
	}
	if ok, err := p.accept("*"); err != nil {
		return nil, err
	} else if ok {
		c.Star = true
		_, err := p.expect(")", "after *")
		return c, err
	}
	for {
		var e Expr
		var err error
		if t, perr := p.peek(); perr != nil {
			return nil, perr
		} else if t.is("{") {
			e, err = p.mapLit()
		} else {
			e, err = p.expr()
		}
		if err != nil {
			return nil, err
		}
		c.Args = append(c.Args, e)
		if ok, err := p.accept(","); err != nil {
			return nil, err
		} else if !ok {
			break
		}
	}
	if _, err := p.expect(")", "to close "+name+"("); err != nil {
		return nil, err
	}
	return c, nil
}

// mapLit = "{" [string ":" literal ("," string ":" literal)*] "}" (the
// options of MATCH and other functions)
func (p *parser) mapLit() (Expr, error) {
	t := p.advance()
	m := &MapLit{At: posAt(p.src, t.off)}
	if ok, err := p.accept("}"); err != nil || ok {
		return m, err
	}
	for {
		k, err := p.peek()
		if err != nil {
			return nil, err
		}
		if k.kind != tokString {
			return nil, p.errAt(k.off, "", "expected an option name (a string), found %s", k.describe())
		}
		p.advance()
		if _, err := p.expect(":", "after the option name"); err != nil {
			return nil, err
		}
		v, err := p.unary()
		if err != nil {
			return nil, err
		}
		if _, ok := v.(*Literal); !ok {
			return nil, p.errAt(v.Pos().Offset, "", "an option value must be a constant")
		}
		m.Keys = append(m.Keys, k.text)
		m.Values = append(m.Values, v)
		if ok, err := p.accept(","); err != nil {
			return nil, err
		} else if !ok {
			break
		}
	}
	_, err := p.expect("}", "to close the options")
	return m, err
}

// spanned runs parse and gives what it parses the span from the token it
// starts at.
func (p *parser) spanned(parse func() (Expr, error)) (Expr, error) {
	t0, err := p.peek()
	if err != nil {
		return nil, err
	}
	e, err := parse()
	return p.span(e, t0.off, err)
}

// commaList parses item ("," item)*.
func commaList[T any](p *parser, item func() (T, error)) ([]T, error) {
	var out []T
	for {
		x, err := item()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		if ok, err := p.accept(","); err != nil || !ok {
			return out, err
		}
	}
}
