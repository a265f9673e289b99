package kql

import (
	"fmt"
	"strings"
	"unicode"
)

// DefaultMaxDepth is how deeply groups (`( )`, `{ }`) may nest by default.
const DefaultMaxDepth = 100

// ParseOptions tunes ParseWith.
type ParseOptions struct {
	// MaxDepth is how deeply parentheses and nested-query braces may nest;
	// deeper queries are rejected so that no input can exhaust the stack.
	// Zero or less means DefaultMaxDepth (100).
	MaxDepth int
}

// Parse parses a KQL query as Kibana does. An empty or blank query and
// `*:*` give *MatchAll. A syntax error is returned as an *Error.
func Parse(query string) (Node, error) {
	return ParseWith(query, ParseOptions{})
}

// ParseWith is Parse with options.
func ParseWith(query string, opts ParseOptions) (Node, error) {
	maxDepth := opts.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	p := &parser{lex: lexer{src: query}, pos: Pos{Offset: 0, Line: 1, Col: 1}, maxDepth: maxDepth}
	n, err := p.parseQuery()
	if err != nil {
		err.Query = query
		return nil, err
	}
	return n, nil
}

// parser is a recursive-descent parser with one method per production of
// Kibana's grammar (see doc.go). Kibana's PEG grammar backtracks, but every
// backtrack that could succeed is decided by a one-token look-ahead here, so
// the parser never needs to undo a step: once it has consumed a token, a
// failure further on is a syntax error for Kibana too.
type parser struct {
	lex      lexer
	pos      Pos // where the next token starts
	depth    int // open groups
	maxDepth int
	prev     token // the last token consumed, for error messages

	// The last operand peeked at, and where: productions peek in turn at the
	// same position (not_query, sub_query, nested_query), so lex it once.
	peeked   token
	peekedAt int // byte offset + 1; 0 means none
}

// operand peeks at the token where an expression or value may start.
func (p *parser) operand() token {
	if p.peekedAt != p.pos.Offset+1 {
		p.peeked = p.lex.operand(p.pos)
		p.peekedAt = p.pos.Offset + 1
	}
	return p.peeked
}

// operator peeks at the token after a complete expression or value.
func (p *parser) operator() token { return p.lex.operator(p.pos) }

// consume moves past t, which the caller peeked at the current position.
func (p *parser) consume(t token) {
	p.pos = t.next
	p.prev = t
}

// enter opens the group t, refusing to nest deeper than maxDepth.
func (p *parser) enter(t token) *Error {
	if p.depth >= p.maxDepth {
		return &Error{Pos: t.pos, Msg: fmt.Sprintf("query nests more than %d groups deep", p.maxDepth),
			Hint: "flatten the query: `a or (b or c)` is the same as `a or b or c`"}
	}
	p.depth++
	p.consume(t)
	return nil
}

// leave closes the group opened by enter with the closing token t.
func (p *parser) leave(t token) {
	p.depth--
	p.consume(t)
}

// query = { Space } [ or_query ] { Space } EOF .
func (p *parser) parseQuery() (Node, *Error) {
	if t := p.operand(); t.kind == tokEOF {
		return &MatchAll{At: Pos{Offset: 0, Line: 1, Col: 1}}, nil
	}
	n, err := p.parseOrQuery()
	if err != nil {
		return nil, err
	}
	if t := p.operator(); t.kind != tokEOF {
		return nil, p.unexpectedAfter(t, `"and", "or" or the end of the query`)
	}
	return n, nil
}

// or_query = and_query { OR and_query } .
// OR       = Space { Space } ( "or" ) Space { Space } .   (any case)
func (p *parser) parseOrQuery() (Node, *Error) {
	first, err := p.parseAndQuery()
	if err != nil {
		return nil, err
	}
	t := p.operator()
	if t.kind != tokOr {
		return first, nil
	}
	or := &Or{At: first.Pos(), Terms: appendOr(nil, first)}
	for t.kind == tokOr {
		p.consume(t)
		n, err := p.parseAndQuery()
		if err != nil {
			return nil, err
		}
		or.Terms = appendOr(or.Terms, n)
		t = p.operator()
	}
	return or, nil
}

// and_query = not_query { AND not_query } .
// AND       = Space { Space } ( "and" ) Space { Space } .   (any case)
func (p *parser) parseAndQuery() (Node, *Error) {
	first, err := p.parseNotQuery()
	if err != nil {
		return nil, err
	}
	t := p.operator()
	if t.kind != tokAnd {
		return first, nil
	}
	and := &And{At: first.Pos(), Terms: appendAnd(nil, first)}
	for t.kind == tokAnd {
		p.consume(t)
		n, err := p.parseNotQuery()
		if err != nil {
			return nil, err
		}
		and.Terms = appendAnd(and.Terms, n)
		t = p.operator()
	}
	return and, nil
}

// not_query = NOT sub_query | sub_query .
// NOT       = "not" Space { Space } .   (any case)
func (p *parser) parseNotQuery() (Node, *Error) {
	t := p.operand()
	if t.kind != tokNot {
		return p.parseSubQuery()
	}
	p.consume(t)
	if u := p.operand(); u.kind == tokNot {
		return nil, &Error{Pos: u.pos, Msg: `"not not" is not allowed`,
			Hint: "drop both, or write `not (not x)`"}
	}
	x, err := p.parseSubQuery()
	if err != nil {
		return nil, err
	}
	return &Not{At: t.pos, X: x}, nil
}

// sub_query = "(" { Space } or_query { Space } ")" | nested_query .
func (p *parser) parseSubQuery() (Node, *Error) {
	open := p.operand()
	if open.kind != tokLParen {
		return p.parseNestedQuery()
	}
	if err := p.enter(open); err != nil {
		return nil, err
	}
	n, err := p.parseOrQuery()
	if err != nil {
		return nil, err
	}
	t := p.operator()
	if t.kind != tokRParen {
		return nil, p.unclosed(t, open, ")")
	}
	p.leave(t)
	return n, nil
}

// nested_query = field { Space } ":" { Space } "{" { Space } or_query { Space } "}"
//
//	| expression .
func (p *parser) parseNestedQuery() (Node, *Error) {
	field := p.operand()
	if field.kind != tokQuoted && field.kind != tokUnquoted {
		return nil, p.expectedExpression(field)
	}
	p.consume(field)
	colon, _ := p.lex.punct(p.pos)
	if colon.kind != tokColon {
		return p.parseExpression(field)
	}
	open, _ := p.lex.punct(colon.next)
	if open.kind != tokLBrace {
		return p.parseExpression(field)
	}
	p.consume(colon)
	if err := p.enter(open); err != nil {
		return nil, err
	}
	q, err := p.parseOrQuery()
	if err != nil {
		return nil, err
	}
	t := p.operator()
	if t.kind != tokRBrace {
		return nil, p.unclosed(t, open, "}")
	}
	p.leave(t)
	return &Nested{At: field.pos, Field: field.lit, Query: q}, nil
}

// expression = range_expr | field_value_expr | value_expr .
//
// The field (or, for value_expr, the value) has been consumed.
func (p *parser) parseExpression(field token) (Node, *Error) {
	next, _ := p.lex.punct(p.pos)
	switch next.kind {
	case tokRange:
		return p.parseRangeExpr(field, next)
	case tokColon:
		return p.parseFieldValueExpr(field, next)
	}
	return p.parseValueExpr(field)
}

// range_expr = field { Space } range_op { Space } literal .
// range_op   = "<=" | ">=" | "<" | ">" .
func (p *parser) parseRangeExpr(field, op token) (Node, *Error) {
	p.consume(op)
	v := p.operand()
	if v.kind != tokQuoted && v.kind != tokUnquoted {
		return nil, p.expectedValue(v)
	}
	p.consume(v)
	return &Range{At: field.pos, Field: field.lit, Op: op.op, Value: v.lit}, nil
}

// field_value_expr = field { Space } ":" { Space } value_list .
func (p *parser) parseFieldValueExpr(field, colon token) (Node, *Error) {
	p.consume(colon)
	v, err := p.parseValueList()
	if err != nil {
		return nil, err
	}
	if lit, ok := v.(*Literal); ok && field.lit.IsStar() && lit.IsStar() && !lit.Quoted && !field.lit.Quoted {
		return &MatchAll{At: field.pos}, nil
	}
	return &Match{At: field.pos, Field: field.lit, Value: v}, nil
}

// value_expr = value .   (free text: a value without a field)
func (p *parser) parseValueExpr(value token) (Node, *Error) {
	return &Match{At: value.pos, Value: value.lit}, nil
}

// value_list = "(" { Space } or_values { Space } ")" | value .
// value      = quoted | unquoted .
func (p *parser) parseValueList() (ValueNode, *Error) {
	t := p.operand()
	switch t.kind {
	case tokQuoted, tokUnquoted:
		p.consume(t)
		return t.lit, nil
	case tokLParen:
	default:
		return nil, p.expectedValue(t)
	}
	if err := p.enter(t); err != nil {
		return nil, err
	}
	v, err := p.parseOrValues()
	if err != nil {
		return nil, err
	}
	c := p.operator()
	if c.kind != tokRParen {
		return nil, p.unclosed(c, t, ")")
	}
	p.leave(c)
	return v, nil
}

// or_values = and_values { OR and_values } .
func (p *parser) parseOrValues() (ValueNode, *Error) {
	first, err := p.parseAndValues()
	if err != nil {
		return nil, err
	}
	t := p.operator()
	if t.kind != tokOr {
		return first, nil
	}
	or := &ValueOr{At: first.Pos(), Terms: appendValueOr(nil, first)}
	for t.kind == tokOr {
		p.consume(t)
		v, err := p.parseAndValues()
		if err != nil {
			return nil, err
		}
		or.Terms = appendValueOr(or.Terms, v)
		t = p.operator()
	}
	return or, nil
}

// and_values = not_values { AND not_values } .
func (p *parser) parseAndValues() (ValueNode, *Error) {
	first, err := p.parseNotValues()
	if err != nil {
		return nil, err
	}
	t := p.operator()
	if t.kind != tokAnd {
		return first, nil
	}
	and := &ValueAnd{At: first.Pos(), Terms: appendValueAnd(nil, first)}
	for t.kind == tokAnd {
		p.consume(t)
		v, err := p.parseNotValues()
		if err != nil {
			return nil, err
		}
		and.Terms = appendValueAnd(and.Terms, v)
		t = p.operator()
	}
	return and, nil
}

// not_values = NOT value_list | value_list .
func (p *parser) parseNotValues() (ValueNode, *Error) {
	t := p.operand()
	if t.kind != tokNot {
		return p.parseValueList()
	}
	p.consume(t)
	if u := p.operand(); u.kind == tokNot {
		return nil, &Error{Pos: u.pos, Msg: `"not not" is not allowed`,
			Hint: "drop both, or write `not (not x)`"}
	}
	x, err := p.parseValueList()
	if err != nil {
		return nil, err
	}
	return &ValueNot{At: t.pos, X: x}, nil
}

// Flattening: `(a or b) or c` is one *Or with three terms, as `a or b or c`.

func appendOr(terms []Node, n Node) []Node {
	if or, ok := n.(*Or); ok {
		return append(terms, or.Terms...)
	}
	return append(terms, n)
}

func appendAnd(terms []Node, n Node) []Node {
	if and, ok := n.(*And); ok {
		return append(terms, and.Terms...)
	}
	return append(terms, n)
}

func appendValueOr(terms []ValueNode, v ValueNode) []ValueNode {
	if or, ok := v.(*ValueOr); ok {
		return append(terms, or.Terms...)
	}
	return append(terms, v)
}

func appendValueAnd(terms []ValueNode, v ValueNode) []ValueNode {
	if and, ok := v.(*ValueAnd); ok {
		return append(terms, and.Terms...)
	}
	return append(terms, v)
}

// Errors. Each names the token found and, where a common mistake explains
// it, says how to write the query instead.

// describe names a token for an error message.
func (p *parser) describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "the end of the query"
	case tokQuoted:
		return "value " + quoteExcerpt(t.lit.Text())
	case tokUnquoted:
		return "value " + quoteExcerpt(p.lex.src[t.pos.Offset:t.next.Offset])
	case tokNot:
		return quoteExcerpt(p.lex.src[t.pos.Offset : t.pos.Offset+3])
	case tokOr, tokAnd:
		return quoteExcerpt(strings.TrimRight(p.lex.src[t.pos.Offset:t.next.Offset], " \t\r\n\u00a0"))
	}
	return quoteExcerpt(p.lex.src[t.pos.Offset:t.next.Offset])
}

// after names what was consumed last, for "missing ... after ...".
func (p *parser) after() string {
	if p.prev.kind == tokEOF { // nothing consumed yet
		return "the start of the query"
	}
	return p.describe(p.prev)
}

// quoteExcerpt quotes source text for a message, shortened if long, with
// control characters escaped and invalid UTF-8 shown as U+FFFD.
func quoteExcerpt(s string) string {
	return `"` + excerpt(strings.TrimSpace(s)) + `"`
}

// excerpt makes source text safe to show in a one-line message.
func excerpt(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s { // invalid bytes come out as U+FFFD
		if n == 40 {
			b.WriteString("...")
			break
		}
		n++
		switch {
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// expectedExpression reports t where an expression should start.
func (p *parser) expectedExpression(t token) *Error {
	e := &Error{Pos: t.pos}
	switch t.kind {
	case tokError:
		return t.err
	case tokEOF:
		e.Msg = "missing expression after " + p.after()
		switch p.prev.kind {
		case tokOr, tokAnd, tokNot:
			e.Hint = "add an expression after it, or remove it"
		}
	case tokColon, tokRange:
		e.Msg = "missing field name before " + p.describe(t)
	case tokLBrace:
		e.Msg = "unexpected " + p.describe(t)
		e.Hint = "a nested query needs a field: `field:{ a:1 and b:2 }`"
	case tokRParen:
		e.Msg = "unexpected " + p.describe(t) + "; expected an expression"
		if p.prev.kind == tokLParen {
			e.Hint = "parentheses cannot be empty"
		}
	default:
		e.Msg = "unexpected " + p.describe(t) + "; expected an expression"
	}
	return e
}

// expectedValue reports t where a value should be, after ':' or a range
// operator.
func (p *parser) expectedValue(t token) *Error {
	e := &Error{Pos: t.pos}
	switch t.kind {
	case tokError:
		return t.err
	case tokEOF:
		e.Msg = "missing value after " + p.after()
		if p.prev.kind == tokColon {
			e.Hint = "to match documents that have the field, write `field:*`"
		}
	case tokNot:
		e.Msg = `"not" cannot start a value`
		e.Hint = "write `not field:x` or `field:(not x)`"
	case tokRange:
		e.Msg = "unexpected " + p.describe(t) + " after \":\""
		e.Hint = "to compare, write `field >= 5`, not `field:>=5`"
	case tokColon:
		e.Msg = `unexpected ":"; expected a value`
		e.Hint = `quote values that contain ':' (` + "`f:\"a:b\"`" + `) or escape it as ` + "`\\:`"
	case tokLParen:
		e.Msg = "a range compares with one value, not a list"
		e.Hint = "write `a >= 1 and a <= 5` to test several bounds"
	default:
		e.Msg = "unexpected " + p.describe(t) + "; expected a value"
	}
	return e
}

// unclosed reports t where the group opened by open should be closed.
func (p *parser) unclosed(t, open token, closer string) *Error {
	if t.kind == tokEOF {
		return &Error{Pos: t.pos,
			Msg:  fmt.Sprintf("missing %q to close %q at %d:%d", closer, p.lex.src[open.pos.Offset:open.pos.Offset+1], open.pos.Line, open.pos.Col),
			Hint: "add the closing " + "`" + closer + "`"}
	}
	return p.unexpectedAfter(t, `"and", "or" or "`+closer+`"`)
}

// unexpectedAfter reports t after a complete expression, where expected
// lists what could have come.
func (p *parser) unexpectedAfter(t token, expected string) *Error {
	if t.kind == tokError {
		return t.err
	}
	e := &Error{Pos: t.pos, Msg: "unexpected " + p.describe(t) + "; expected " + expected}
	adjacent := t.pos.Offset == p.pos.Offset // nothing between the last token and t
	prevWord := ""
	if p.prev.kind == tokUnquoted {
		prevWord = lastWord(p.lex.src[p.prev.pos.Offset:p.prev.next.Offset])
	}
	switch t.kind {
	case tokColon:
		switch {
		case p.prev.kind == tokRParen || p.prev.kind == tokRBrace:
			e.Hint = "a field name cannot be a group"
		case p.prev.kind == tokUnquoted && strings.ContainsAny(strings.TrimSpace(p.prev.lit.Text()), " \t\r\n\u00a0"):
			e.Hint = "an unquoted value runs over spaces, so " + quoteExcerpt(p.prev.lit.Text()) +
				" is one value: join expressions with `and` or `or`, or quote values that contain ':'"
		default:
			e.Hint = "quote values that contain ':' (`f:\"C:\\Windows\"`) or escape it as `\\:`"
		}
	case tokNot:
		if adjacent && p.prev.kind == tokUnquoted && !p.lex.spaceBefore(t.pos.Offset) {
			e.Msg = `unexpected "not" inside a value`
			e.Hint = "an unquoted value ends before `not` followed by a space, even mid-word; quote the value: `f:\"cannot do\"`"
		} else {
			e.Hint = "join expressions with `and` or `or`: `a and not b`"
		}
	case tokLParen:
		switch {
		case adjacent && prevWord == "not":
			e.Hint = "`not` needs a space after it: write `not (a:b)`"
		case adjacent && (prevWord == "and" || prevWord == "or"):
			e.Hint = "`" + prevWord + "` needs a space on both sides: write `a:b " + prevWord + " (c:d)`"
		default:
			e.Hint = "join expressions with `and` or `or`; escape a literal parenthesis as `\\(` or quote the value"
		}
	case tokQuoted, tokUnquoted:
		word := lastWord(p.lex.src[t.pos.Offset:t.next.Offset])
		switch {
		case t.kind == tokUnquoted && t.next.Offset == len(p.lex.src) && (word == "and" || word == "or") && strings.EqualFold(t.lit.Text(), word):
			e.Msg = "missing expression after " + quoteExcerpt(word)
			e.Hint = "add an expression after it, or remove it"
		case word == "and" || word == "or" || word == "not":
			e.Hint = "keywords need whitespace on both sides: `(a) and (b)`"
		case p.prev.kind == tokQuoted || p.prev.kind == tokUnquoted:
			e.Hint = "to match several values, use a list: `field:(\"x\" or \"y\")`"
		default:
			e.Hint = "join expressions with `and` or `or`"
		}
	case tokRange:
		e.Hint = "ranges compare a field: `field >= 5`; escape a literal `<` or `>` in a value as `\\<` `\\>` or quote the value"
	case tokLBrace:
		e.Hint = "a nested query is `field:{ query }`; escape a literal brace as `\\{` or quote the value"
	case tokRParen:
		e.Msg = `unexpected ")" without a matching "("`
	case tokRBrace:
		e.Msg = `unexpected "}" without a matching "{"`
	}
	return e
}

// lastWord returns the last space-separated word of s, lower-cased.
func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(f[len(f)-1])
}
