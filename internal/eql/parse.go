package eql

import (
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// DefaultMaxDepth is how deeply expressions may nest by default.
const DefaultMaxDepth = 200

// ParseOptions tunes ParseWith.
type ParseOptions struct {
	// MaxDepth is how deeply expressions (parentheses, not, unary minus,
	// function calls) may nest; deeper queries are rejected so that no
	// input can exhaust the stack. Zero or less means DefaultMaxDepth.
	MaxDepth int
}

// Parse parses an Elasticsearch EQL query. A syntax error is returned as an
// *Error.
func Parse(query string) (*Statement, error) {
	return ParseWith(query, ParseOptions{})
}

// ParseWith is Parse with options.
func ParseWith(query string, opts ParseOptions) (*Statement, error) {
	maxDepth := opts.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	p := &parser{lex: lexer{src: query}, src: query, maxDepth: maxDepth}
	for i := 0; i < len(query); i++ {
		if query[i] == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	s, err := p.parseStatement()
	if err != nil {
		err.Query = query
		return nil, err
	}
	return s, nil
}

// ParseExpr parses a lone condition (what follows `where`).
func ParseExpr(expr string) (Expr, error) {
	p := &parser{lex: lexer{src: expr}, src: expr, maxDepth: DefaultMaxDepth}
	for i := 0; i < len(expr); i++ {
		if expr[i] == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	e, err := p.parseExpr()
	if err == nil {
		err = p.expectEOF()
	}
	if err != nil {
		err.Query = expr
		return nil, err
	}
	return e, nil
}

// parser is a recursive-descent parser with one method per production of
// Elasticsearch's EQL grammar (see doc.go), over a one-token look-ahead.
type parser struct {
	lex      lexer
	src      string
	lines    []int // byte offsets where lines 2, 3... start
	tok      token // the look-ahead, valid when peeked
	peeked   bool
	prev     token // the last token consumed
	depth    int
	maxDepth int
	last     Pos // the last position converted, counted on from when on its line
}

// pos converts a byte offset into a Pos. Its column counts the runes
// since the line's start, or since the last position converted when off
// is after it on the same line: positions are mostly asked in order, and
// counting from the line's start each time took a query of long lines
// (Elastic's lists of paths) quadratic time.
func (p *parser) pos(off int) Pos {
	line := sort.SearchInts(p.lines, off+1) // lines starting at or before off
	start := 0
	if line > 0 {
		start = p.lines[line-1]
	}
	col := 1
	if l := p.last; l.Line == line+1 && l.Col > 0 && l.Offset <= off {
		start, col = l.Offset, l.Col
	}
	p.last = Pos{Offset: off, Line: line + 1, Col: col + utf8.RuneCountInString(p.src[start:off])}
	return p.last
}

func (p *parser) errAt(off int, hint, format string, args ...any) *Error {
	return &Error{Pos: p.pos(off), Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// peek returns the next token without consuming it.
func (p *parser) peek() (token, *Error) {
	if !p.peeked {
		t, err := p.lex.next()
		if err != nil {
			return token{}, p.errAt(err.off, err.hint, "%s", err.msg)
		}
		p.tok, p.peeked = t, true
	}
	return p.tok, nil
}

// next consumes the next token.
func (p *parser) next() (token, *Error) {
	t, err := p.peek()
	if err != nil {
		return t, err
	}
	p.peeked = false
	p.prev = t
	return t, nil
}

// accept consumes the next token if it is the punctuation or keyword s.
func (p *parser) accept(s string) (bool, *Error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	if t.is(s) {
		p.next()
		return true, nil
	}
	return false, nil
}

// expect consumes the punctuation or keyword s, or fails naming what.
func (p *parser) expect(s, what string) (token, *Error) {
	t, err := p.peek()
	if err != nil {
		return t, err
	}
	if !t.is(s) {
		return t, p.unexpected(t, what)
	}
	return p.next()
}

// unexpected reports t where want was expected.
func (p *parser) unexpected(t token, want string) *Error {
	if t.kind == tokPunct && t.text == "=" {
		return p.errAt(t.off, `EQL compares with "==" (case-sensitive) or ":" (case-insensitive)`, "unexpected \"=\": expected %s", want)
	}
	if t.kind == tokEOF {
		return p.errAt(t.off, "", "unexpected end of the query: expected %s", want)
	}
	return p.errAt(t.off, "", "unexpected %s: expected %s", t.describe(), want)
}

// enter counts one more level of nesting, refusing more than maxDepth.
func (p *parser) enter(off int) *Error {
	if p.depth >= p.maxDepth {
		return p.errAt(off, "flatten the query", "query nests more than %d levels deep", p.maxDepth)
	}
	p.depth++
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) expectEOF() *Error {
	t, err := p.peek()
	if err != nil {
		return err
	}
	if t.kind != tokEOF {
		return p.unexpected(t, `"and", "or", "|" or the end of the query`)
	}
	return nil
}

// keywords are reserved: no field or category may be spelled like one
// without back quotes.
var keywords = map[string]bool{
	"and": true, "any": true, "by": true, "false": true, "in": true, "join": true, "like": true,
	"maxspan": true, "not": true, "null": true, "of": true, "or": true, "regex": true, "sample": true,
	"sequence": true, "true": true, "until": true, "where": true, "with": true,
}

// statement = query { "|" pipe } EOF .
func (p *parser) parseStatement() (*Statement, *Error) {
	q, err := p.parseQuery()
	if err != nil {
		return nil, err
	}
	s := &Statement{Query: q}
	for {
		ok, err := p.accept("|")
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		pipe, err := p.parsePipe()
		if err != nil {
			return nil, err
		}
		s.Pipes = append(s.Pipes, pipe)
	}
	if err := p.expectEOF(); err != nil {
		return nil, err
	}
	return s, nil
}

// query = sequence | sample | event_query .
func (p *parser) parseQuery() (Query, *Error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case t.is("sequence"):
		return p.parseSequence()
	case t.is("sample"):
		return p.parseSample()
	case t.is("join"):
		return nil, p.errAt(t.off, "write a sequence or a sample", "join is not supported by Elasticsearch EQL")
	}
	return p.parseEventQuery()
}

// event_query = ( "any" | IDENT | STRING ) "where" expr .
func (p *parser) parseEventQuery() (*EventQuery, *Error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	q := &EventQuery{At: p.pos(t.off)}
	switch {
	case t.is("any"):
	case t.kind == tokIdent && !keywords[t.text], t.kind == tokString:
		q.Category = t.text
	case t.kind == tokQuotedIdent:
		q.Category = t.text
	case t.kind == tokSingleString:
		return nil, p.singleQuote(t)
	default:
		return nil, p.unexpected(t, `an event category (e.g. "process") or "any"`)
	}
	if _, err := p.expect("where", `"where"`); err != nil {
		return nil, err
	}
	if q.Where, err = p.parseExpr(); err != nil {
		return nil, err
	}
	return q, nil
}

// sequence = "sequence" [ "by" keys ] [ "with" "maxspan" "=" timespan ]
//
//	step step { step } [ "until" step ] .
func (p *parser) parseSequence() (*Sequence, *Error) {
	t, _ := p.next()
	s := &Sequence{At: p.pos(t.off)}
	var err *Error
	if s.By, err = p.parseBy(); err != nil {
		return nil, err
	}
	if ok, err := p.accept("with"); err != nil {
		return nil, err
	} else if ok {
		if _, err := p.expect("maxspan", `"maxspan"`); err != nil {
			return nil, err
		}
		if _, err := p.expect("=", `"="`); err != nil {
			return nil, err
		}
		if s.MaxSpan, err = p.parseTimeSpan(); err != nil {
			return nil, err
		}
		if t, err := p.peek(); err != nil {
			return nil, err
		} else if t.is("by") {
			return nil, p.errAt(t.off, "write sequence by ... with maxspan=...", "sequence [by] goes before [with], not after")
		}
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !t.is("[") && !t.is("!") {
			break
		}
		st, err := p.parseStep(true)
		if err != nil {
			return nil, err
		}
		s.Steps = append(s.Steps, st)
	}
	if n := runs(s.Steps); n < 2 {
		t, _ := p.peek()
		if len(s.Steps) == 0 {
			return nil, p.unexpected(t, "a sequence step [ ... ]")
		}
		return nil, p.errAt(s.At.Offset, "add a step, or repeat one: [ ... ] with runs=2", "a sequence needs at least two steps, found %d", n)
	}
	if ok, err := p.accept("until"); err != nil {
		return nil, err
	} else if ok {
		if s.Until, err = p.parseStep(false); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// runs counts a sequence's steps, each as many times as it runs.
func runs(steps []*Step) int {
	n := 0
	for _, s := range steps {
		n += max(s.Runs, 1)
	}
	return n
}

// sample = "sample" [ "by" keys ] step step { step } .
func (p *parser) parseSample() (*Sample, *Error) {
	t, _ := p.next()
	s := &Sample{At: p.pos(t.off)}
	var err *Error
	if s.By, err = p.parseBy(); err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !t.is("[") {
			break
		}
		st, err := p.parseStep(false)
		if err != nil {
			return nil, err
		}
		s.Steps = append(s.Steps, st)
	}
	if len(s.Steps) < 2 {
		t, _ := p.peek()
		return nil, p.unexpected(t, "a sample step [ ... ] (a sample needs at least two)")
	}
	return s, nil
}

// step = [ "!" ] "[" event_query "]" [ "by" keys ] [ "with" "runs" "=" INTEGER ] .
//
// Only sequence steps (sequence set) may be missing (!) or repeated (runs).
func (p *parser) parseStep(sequence bool) (*Step, *Error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	st := &Step{At: p.pos(t.off)}
	if t.is("!") && sequence {
		st.Missing = true
		if t, err = p.next(); err != nil {
			return nil, err
		}
	}
	if !t.is("[") {
		return nil, p.unexpected(t, `"["`)
	}
	if st.Query, err = p.parseEventQuery(); err != nil {
		return nil, err
	}
	if _, err := p.expect("]", `"]"`); err != nil {
		return nil, err
	}
	if st.By, err = p.parseBy(); err != nil {
		return nil, err
	}
	if !sequence {
		return st, nil
	}
	if ok, err := p.accept("with"); err != nil {
		return nil, err
	} else if ok {
		if _, err := p.expect("runs", `"runs"`); err != nil {
			return nil, err
		}
		if _, err := p.expect("=", `"="`); err != nil {
			return nil, err
		}
		n, err := p.next()
		if err != nil {
			return nil, err
		}
		v, perr := strconv.Atoi(n.text)
		if n.kind != tokNumber || perr != nil || v < 1 || v > 100 {
			return nil, p.errAt(n.off, "write e.g. with runs=3", "runs must be an integer from 1 to 100, not %s", n.describe())
		}
		st.Runs = v
	}
	return st, nil
}

// keys = "by" expr { "," expr } .   (empty when the next token is not "by")
func (p *parser) parseBy() ([]Expr, *Error) {
	if ok, err := p.accept("by"); err != nil || !ok {
		return nil, err
	}
	return p.parseExprList()
}

// expr_list = expr { "," expr } .
func (p *parser) parseExprList() ([]Expr, *Error) {
	var out []Expr
	for {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if ok, err := p.accept(","); err != nil {
			return nil, err
		} else if !ok {
			return out, nil
		}
	}
}

// timeUnits are the units of a maxspan, as Elasticsearch reads them.
var timeUnits = map[string]bool{"": true, "ms": true, "s": true, "m": true, "h": true, "d": true}

// timespan = INTEGER [ IDENT ] .
func (p *parser) parseTimeSpan() (*TimeSpan, *Error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	v, perr := strconv.ParseInt(t.text, 10, 64)
	if t.kind != tokNumber || perr != nil {
		return nil, p.errAt(t.off, "write e.g. maxspan=5m (units ms, s, m, h, d)", "expected a whole number for maxspan, found %s", t.describe())
	}
	ts := &TimeSpan{At: p.pos(t.off), Value: v}
	if u, err := p.peek(); err != nil {
		return nil, err
	} else if u.kind == tokIdent && u.off == t.end {
		p.next()
		ts.Unit = u.text
	}
	if !timeUnits[ts.Unit] {
		return nil, p.errAt(t.off, "use ms, s, m, h or d", "unknown time unit %q in maxspan", ts.Unit)
	}
	return ts, nil
}

// pipe = IDENT [ expr { "," expr } ] .
func (p *parser) parsePipe() (*Pipe, *Error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	if t.kind != tokIdent {
		return nil, p.unexpected(t, `a pipe (e.g. "head")`)
	}
	pipe := &Pipe{At: p.pos(t.off), Name: t.text}
	n, err := p.peek()
	if err != nil {
		return nil, err
	}
	if n.kind == tokEOF || n.is("|") {
		return pipe, nil
	}
	if pipe.Args, err = p.parseExprList(); err != nil {
		return nil, err
	}
	return pipe, nil
}

// expr = or_expr .
// or_expr = and_expr { "or" and_expr } .
func (p *parser) parseExpr() (Expr, *Error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if err := p.enter(t.off); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.parseBool(Or)
}

// and_expr = not_expr { "and" not_expr } .
func (p *parser) parseBool(op BoolOp) (Expr, *Error) {
	sub := func() (Expr, *Error) {
		if op == Or {
			return p.parseBool(And)
		}
		return p.parseNot()
	}
	word := "or"
	if op == And {
		word = "and"
	}
	first, err := sub()
	if err != nil {
		return nil, err
	}
	var b *Bool
	for {
		ok, err := p.accept(word)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if b == nil {
			b = &Bool{At: first.Pos(), Op: op, Terms: []Expr{first}}
		}
		x, err := sub()
		if err != nil {
			return nil, err
		}
		b.Terms = append(b.Terms, x)
	}
	if b == nil {
		return first, nil
	}
	return b, nil
}

// not_expr = "not" not_expr | comparison .
func (p *parser) parseNot() (Expr, *Error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if !t.is("not") {
		return p.parseComparison()
	}
	p.next()
	if err := p.enter(t.off); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	return &Not{At: p.pos(t.off), X: x}, nil
}

var compareOps = map[string]CompareOp{"==": EQ, "!=": NE, "<": LT, "<=": LE, ">": GT, ">=": GE}

// comparison = additive [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) additive ] .
func (p *parser) parseComparison() (Expr, *Error) {
	l, err := p.parseArith(Add)
	if err != nil {
		return nil, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.is("=") {
		return nil, p.errAt(t.off, `write "==" (case-sensitive) or ":" (case-insensitive)`, `"=" is not a comparison operator`)
	}
	op, ok := compareOps[t.text]
	if t.kind != tokPunct || !ok {
		return l, nil
	}
	p.next()
	r, err := p.parseArith(Add)
	if err != nil {
		return nil, err
	}
	if n, err := p.peek(); err != nil {
		return nil, err
	} else if _, again := compareOps[n.text]; again && n.kind == tokPunct {
		return nil, p.errAt(n.off, "compare two values at a time: a < b and b < c", "comparisons do not chain")
	}
	return &Compare{At: l.Pos(), Op: op, L: l, R: r}, nil
}

// additive       = multiplicative { ( "+" | "-" ) multiplicative } .
// multiplicative = unary { ( "*" | "/" | "%" ) unary } .
//
// level is Add for additive, Mul for multiplicative.
func (p *parser) parseArith(level ArithOp) (Expr, *Error) {
	sub := func() (Expr, *Error) {
		if level == Add {
			return p.parseArith(Mul)
		}
		return p.parseUnary()
	}
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		var op ArithOp
		switch {
		case level == Add && t.is("+"):
			op = Add
		case level == Add && t.is("-"):
			op = Sub
		case level == Mul && t.is("*"):
			op = Mul
		case level == Mul && t.is("/"):
			op = Div
		case level == Mul && t.is("%"):
			op = Mod
		default:
			return l, nil
		}
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = &Arith{At: l.Pos(), Op: op, L: l, R: r}
	}
}

// unary = ( "-" | "+" ) unary | predicate .
func (p *parser) parseUnary() (Expr, *Error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if !t.is("-") && !t.is("+") {
		return p.parsePredicate()
	}
	p.next()
	if err := p.enter(t.off); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return &Neg{At: p.pos(t.off), Plus: t.text == "+", X: x}, nil
}

var matchOps = map[string]MatchOp{":": Seq, "like": Like, "like~": LikeI, "regex": Regex, "regex~": RegexI}

// predicate = primary [ [ "not" ] ( "in" | "in~" ) "(" expr_list ")"
//
//	| ( ":" | "like" | "like~" | "regex" | "regex~" )
//	  ( constant | "(" constant { "," constant } ")" ) ] .
func (p *parser) parsePredicate() (Expr, *Error) {
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	not := false
	if t.is("not") {
		// `x not in (...)`: "not" here can only start "not in".
		p.next()
		not = true
		if t, err = p.peek(); err != nil {
			return nil, err
		}
		if !t.is("in") && !t.is("in~") {
			return nil, p.unexpected(t, `"in" or "in~" after "not"`)
		}
	}
	if t.is("in") || t.is("in~") {
		p.next()
		if _, err := p.expect("(", `"(" and a list of values`); err != nil {
			return nil, err
		}
		list, err := p.parseExprList()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")", `"," or ")"`); err != nil {
			return nil, err
		}
		return &In{At: x.Pos(), X: x, Not: not, Insensitive: t.text == "in~", List: list}, nil
	}
	op, ok := matchOps[t.text]
	if !ok || t.kind != tokPunct && t.kind != tokIdent && t.kind != tokTildeIdent {
		return x, nil
	}
	p.next()
	m := &Match{At: x.Pos(), X: x, Op: op}
	if ok, err := p.accept("("); err != nil {
		return nil, err
	} else if ok {
		m.List = true
		for {
			c, err := p.parseConstant()
			if err != nil {
				return nil, err
			}
			m.Patterns = append(m.Patterns, c)
			if ok, err := p.accept(","); err != nil {
				return nil, err
			} else if !ok {
				break
			}
		}
		if _, err := p.expect(")", `"," or ")"`); err != nil {
			return nil, err
		}
		return m, nil
	}
	c, err := p.parseConstant()
	if err != nil {
		return nil, err
	}
	m.Patterns = []Expr{c}
	return m, nil
}

// constant = "null" | "true" | "false" | [ "-" ] NUMBER | STRING .
func (p *parser) parseConstant() (Expr, *Error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.is("-") {
		p.next()
		n, err := p.next()
		if err != nil {
			return nil, err
		}
		if n.kind != tokNumber {
			return nil, p.unexpected(n, "a number after \"-\"")
		}
		return &Neg{At: p.pos(t.off), X: &Number{At: p.pos(n.off), Text: n.text}}, nil
	}
	if c, ok, err := p.constant(); err != nil || ok {
		return c, err
	}
	return nil, p.unexpected(t, "a constant (a string, number, true, false or null)")
}

// constant consumes a constant if one is next.
func (p *parser) constant() (Expr, bool, *Error) {
	t, err := p.peek()
	if err != nil {
		return nil, false, err
	}
	at := p.pos(t.off)
	switch {
	case t.kind == tokString:
		p.next()
		return &String{At: at, Value: t.text}, true, nil
	case t.kind == tokSingleString:
		return nil, false, p.singleQuote(t)
	case t.kind == tokRawString:
		return nil, false, p.errAt(t.off, `write """...""" for a string without escapes`, `?"..." strings are not supported`)
	case t.kind == tokNumber:
		p.next()
		return &Number{At: at, Text: t.text}, true, nil
	case t.is("true"), t.is("false"):
		p.next()
		return &Boolean{At: at, Value: t.text == "true"}, true, nil
	case t.is("null"):
		p.next()
		return &Null{At: at}, true, nil
	}
	return nil, false, nil
}

func (p *parser) singleQuote(t token) *Error {
	return p.errAt(t.off, `write "`+t.text+`"`, `use double quotes ["] to define string literals, not single quotes [']`)
}

// primary = constant | call | field | "(" expr ")" .
// call    = ( IDENT | IDENT "~" ) "(" [ expr_list ] ")" .
func (p *parser) parsePrimary() (Expr, *Error) {
	if c, ok, err := p.constant(); err != nil || ok {
		return c, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case t.is("("):
		p.next()
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")", `")"`); err != nil {
			return nil, err
		}
		return e, nil
	case t.kind == tokIdent && !keywords[t.text] || t.kind == tokTildeIdent:
		if t.kind == tokTildeIdent || p.lex.off < len(p.src) && p.src[p.lex.off] == '(' {
			return p.parseCall()
		}
		if n := p.lex; n.skip() == nil && n.off < len(p.src) && p.src[n.off] == '(' {
			return p.parseCall()
		}
		return p.parseField()
	case t.kind == tokQuotedIdent, t.is("?"):
		return p.parseField()
	}
	return nil, p.unexpected(t, "an expression")
}

// call = NAME [ "~" ] "(" [ expr_list ] ")" .
func (p *parser) parseCall() (Expr, *Error) {
	t, _ := p.next()
	c := &Call{At: p.pos(t.off), Name: t.text}
	if t.kind == tokTildeIdent {
		c.Name, c.Insensitive = t.text[:len(t.text)-1], true
	}
	if _, err := p.expect("(", `"(" after the function name`); err != nil {
		return nil, err
	}
	if err := p.enter(t.off); err != nil {
		return nil, err
	}
	defer p.leave()
	if ok, err := p.accept(")"); err != nil {
		return nil, err
	} else if ok {
		return c, nil
	}
	args, err := p.parseExprList()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(")", `"," or ")"`); err != nil {
		return nil, err
	}
	c.Args = args
	return c, nil
}

// field = [ "?" ] name { "." name } .
// name  = IDENT | QUOTED_IDENT .      (after a dot, keywords are names too)
func (p *parser) parseField() (Expr, *Error) {
	t, _ := p.next()
	f := &Field{At: p.pos(t.off)}
	if t.is("?") {
		f.Optional = true
		var err *Error
		if t, err = p.next(); err != nil {
			return nil, err
		}
		if t.kind != tokQuotedIdent && (t.kind != tokIdent || keywords[t.text]) {
			return nil, p.unexpected(t, `a field name after "?"`)
		}
	}
	f.Path = append(f.Path, t.text)
	for {
		// The dot must follow the name directly: `a . b` is no path.
		n, err := p.peek()
		if err != nil {
			return nil, err
		}
		if n.is("[") && n.off == p.prev.end {
			return nil, p.errAt(n.off, "", "array indexes are not supported")
		}
		if !n.is(".") || n.off != p.prev.end {
			return f, nil
		}
		p.next()
		s, err := p.next()
		if err != nil {
			return nil, err
		}
		if s.kind != tokIdent && s.kind != tokQuotedIdent || s.off != n.end {
			return nil, p.unexpected(s, `a field name after "."`)
		}
		f.Path = append(f.Path, s.text)
	}
}
