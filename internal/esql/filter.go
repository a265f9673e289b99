package esql

import (
	"strings"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
)

// Filter returns a KQL matcher that every document the query keeps past
// its leading WHERE commands (those before any command that renames
// columns or makes them from a pattern or an aggregation: EVAL, SORT,
// LIMIT, KEEP, DROP and MV_EXPAND may come between) matches: the conjuncts of those
// conditions that compare a source field of an exact type (keyword and
// its kin) with string literals (==, IN, LIKE without ?), ORs of such,
// and KQL() calls. It is a necessary condition, not the query's: the
// conjuncts it cannot express are left out. Documents that fail it do
// not change the query's result, so a caller may skip them, and its
// Required and Prefilter feed a rule index and a raw line filter. nil
// when the query has no such conjunct.
func (p *Program) Filter() *match.Matcher {
	if _, ok := p.query.Source.(*From); !ok {
		return nil
	}
	var terms []kql.Node
	f := &filterBuilder{p: p, shadowed: map[string]bool{}}
commands:
	for _, cmd := range p.query.Commands {
		switch c := cmd.(type) {
		case *Where:
			terms = f.conjuncts(c.Cond, terms)
		case *Eval:
			for _, col := range c.Fields {
				f.shadowed[col.Name] = true
			}
		case *Sort, *Limit, *Keep, *Drop, *MvExpand:
			// Rows reordered, cut, columns dropped, or a multi-value
			// split into rows (a condition on one of its values holds
			// for the document's field): a source column keeps its name
			// and values.
		default:
			break commands
		}
	}
	if len(terms) == 0 {
		return nil
	}
	var n kql.Node = terms[0]
	if len(terms) > 1 {
		n = &kql.And{Terms: terms}
	}
	m, err := match.Compile(n, match.Options{Schema: p.schema, Now: p.now, Plan: p.plan})
	if err != nil {
		return nil
	}
	return m
}

// filterBuilder translates conditions for Filter.
type filterBuilder struct {
	p        *Program
	shadowed map[string]bool // columns EVAL made: not the source field
}

// conjuncts appends the KQL of e's conjuncts that translate.
func (f *filterBuilder) conjuncts(e Expr, out []kql.Node) []kql.Node {
	if b, ok := e.(*Binary); ok && b.Op == "AND" {
		return f.conjuncts(b.Y, f.conjuncts(b.X, out))
	}
	if n := f.filterTerm(e); n != nil {
		out = append(out, n)
	}
	return out
}

// filterTerm is the KQL of a condition every document it keeps matches,
// or nil.
func (f *filterBuilder) filterTerm(e Expr) kql.Node {
	switch t := e.(type) {
	case *Binary:
		switch t.Op {
		case "OR":
			x, y := f.filterTerm(t.X), f.filterTerm(t.Y)
			if x == nil || y == nil {
				return nil
			}
			return &kql.Or{Terms: []kql.Node{x, y}}
		case "AND":
			terms := f.conjuncts(t, nil)
			switch len(terms) {
			case 0:
				return nil
			case 1:
				return terms[0]
			}
			return &kql.And{Terms: terms}
		case "==":
			col, lit := t.X, t.Y
			if _, ok := col.(*Column); !ok {
				col, lit = lit, col
			}
			field := f.exactField(col)
			s, ok := stringLiteral(lit)
			if field == "" || !ok {
				return nil
			}
			return kqlTerm(field, &kql.Literal{Quoted: true, Parts: []string{s}})
		}
	case *In:
		field := f.exactField(t.X)
		if field == "" || t.Not || len(t.List) == 0 {
			return nil
		}
		var values []kql.ValueNode
		for _, item := range t.List {
			s, ok := stringLiteral(item)
			if !ok {
				return nil
			}
			values = append(values, &kql.Literal{Quoted: true, Parts: []string{s}})
		}
		if len(values) == 1 {
			return &kql.Match{Field: fieldLiteral(field), Value: values[0]}
		}
		return &kql.Match{Field: fieldLiteral(field), Value: &kql.ValueOr{Terms: values}}
	case *Like:
		field := f.exactField(t.X)
		if field == "" || t.Not || t.Regex || len(t.Patterns) == 0 {
			return nil
		}
		var values []kql.ValueNode
		for _, pat := range t.Patterns {
			// ? (one character) and \ escapes have no KQL spelling.
			if strings.ContainsAny(pat, `?\`) {
				return nil
			}
			values = append(values, &kql.Literal{Parts: strings.Split(pat, "*")})
		}
		if len(values) == 1 {
			return &kql.Match{Field: fieldLiteral(field), Value: values[0]}
		}
		return &kql.Match{Field: fieldLiteral(field), Value: &kql.ValueOr{Terms: values}}
	case *Call:
		if t.Name != "KQL" || len(t.Args) != 1 {
			return nil
		}
		s, ok := stringLiteral(t.Args[0])
		if !ok {
			return nil
		}
		n, err := kql.Parse(s)
		if err != nil {
			return nil
		}
		return n
	}
	return nil
}

// exactField is the source field e names when it is of an exact type
// (keyword, constant_keyword, wildcard), else "".
func (f *filterBuilder) exactField(e Expr) string {
	c, ok := e.(*Column)
	if !ok || strings.HasPrefix(c.Name, "_") || f.shadowed[c.Name] {
		return ""
	}
	typ, known := f.p.schema.Known(c.Name)
	if !known || !typ.IsExact() || typ == ecs.Flattened {
		return ""
	}
	return c.Name
}

func stringLiteral(e Expr) (string, bool) {
	l, ok := e.(*Literal)
	if !ok {
		return "", false
	}
	s, ok := l.Value.(string)
	return s, ok
}

func fieldLiteral(name string) *kql.Literal {
	return &kql.Literal{Parts: []string{name}}
}

func kqlTerm(field string, v *kql.Literal) kql.Node {
	return &kql.Match{Field: fieldLiteral(field), Value: v}
}
