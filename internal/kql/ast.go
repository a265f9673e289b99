package kql

import "strings"

// Node is a query expression: one of *Or, *And, *Not, *Nested, *Range,
// *Match and *MatchAll. String prints canonical KQL, so that
// Parse(n.String()) yields an equal tree.
type Node interface {
	Pos() Pos
	String() string
	node()
}

// ValueNode is an expression inside a field's value list, `f:( ... )`: one of
// *ValueOr, *ValueAnd, *ValueNot and *Literal.
type ValueNode interface {
	Pos() Pos
	String() string
	valueNode()
}

// MatchAll matches every document: the empty query and `*:*`.
type MatchAll struct {
	At Pos
}

// Or holds two or more alternatives: a or b or c.
type Or struct {
	At    Pos
	Terms []Node
}

// And holds two or more conjuncts: a and b and c.
type And struct {
	At    Pos
	Terms []Node
}

// Not negates X: not a.
type Not struct {
	At Pos
	X  Node
}

// Nested is `field:{ query }`: Query holds for one element of the nested
// field. Field names inside Query are relative to Field.
type Nested struct {
	At    Pos
	Field *Literal
	Query Node
}

// RangeOp is one of <, <=, >, >=.
type RangeOp uint8

// The range operators.
const (
	LT RangeOp = iota + 1
	LTE
	GT
	GTE
)

// String returns the operator as written in KQL.
func (op RangeOp) String() string {
	switch op {
	case LT:
		return "<"
	case LTE:
		return "<="
	case GT:
		return ">"
	case GTE:
		return ">="
	}
	return "?"
}

// Range is `field op value`, e.g. `http.response.status_code >= 400`.
type Range struct {
	At    Pos
	Field *Literal
	Op    RangeOp
	Value *Literal
}

// Match is `field:values`. Field is nil for free text (a bare value such as
// `hello` or `"failed login"`). A lone unquoted `*` as Value means "exists".
//
// Kibana compiles each value of a list separately against the field, so
// `f:(a or not b)` means `f:a or not f:b`. Two corner cases follow Kibana:
// an unquoted `null` field is free text too (see IsFreeText), and a lone `*`
// value on the lone `*` field matches every document. Parse turns `*:*`
// and `*:(*)` into *MatchAll, but inside a longer list, as in
// `*:(* or x)`, that star stays a *Literal.
type Match struct {
	At    Pos
	Field *Literal
	Value ValueNode
}

// ValueOr is `(a or b)` inside a value list.
type ValueOr struct {
	At    Pos
	Terms []ValueNode
}

// ValueAnd is `(a and b)` inside a value list.
type ValueAnd struct {
	At    Pos
	Terms []ValueNode
}

// ValueNot is `(not a)` inside a value list.
type ValueNot struct {
	At Pos
	X  ValueNode
}

// LiteralKind tells what an unquoted literal stands for.
type LiteralKind uint8

// Literal kinds. Only the exact lower-case unquoted words true, false and null
// are Bool or Null; `"true"` and `TRUE` are strings.
const (
	String LiteralKind = iota
	Bool
	Null
)

// Literal is a field name or a value, quoted or not, with escapes decoded.
//
// Parts holds the text split at unescaped wildcards: a literal without a
// wildcard has one part; `a*b\*c` has the parts "a" and "b*c" (the escaped
// star is part of the text). A quoted literal never has a wildcard.
type Literal struct {
	At     Pos
	Quoted bool
	Kind   LiteralKind
	Parts  []string
}

// IsWildcard reports whether the literal holds an unescaped `*`.
func (l *Literal) IsWildcard() bool { return len(l.Parts) > 1 }

// IsStar reports whether the literal is exactly one unquoted `*`: as a value
// it means "the field exists", as a field name "any field".
func (l *Literal) IsStar() bool {
	return len(l.Parts) == 2 && l.Parts[0] == "" && l.Parts[1] == ""
}

// Text is the literal's decoded text; for a wildcard, its parts joined by `*`.
// Use Parts to tell wildcard stars from escaped ones.
func (l *Literal) Text() string { return strings.Join(l.Parts, "*") }

// BoolValue is the value of a Bool literal.
func (l *Literal) BoolValue() bool { return l.Kind == Bool && l.Parts[0] == "true" }

// Pos returns where the MatchAll starts.
func (n *MatchAll) Pos() Pos { return n.At }

// Pos returns where the Or starts.
func (n *Or) Pos() Pos { return n.At }

// Pos returns where the And starts.
func (n *And) Pos() Pos { return n.At }

// Pos returns where the Not starts.
func (n *Not) Pos() Pos { return n.At }

// Pos returns where the Nested starts.
func (n *Nested) Pos() Pos { return n.At }

// Pos returns where the Range starts.
func (n *Range) Pos() Pos { return n.At }

// Pos returns where the Match starts.
func (n *Match) Pos() Pos { return n.At }

// Pos returns where the ValueOr starts.
func (n *ValueOr) Pos() Pos { return n.At }

// Pos returns where the ValueAnd starts.
func (n *ValueAnd) Pos() Pos { return n.At }

// Pos returns where the ValueNot starts.
func (n *ValueNot) Pos() Pos { return n.At }

// Pos returns where the Literal starts.
func (n *Literal) Pos() Pos { return n.At }

func (*MatchAll) node() {}
func (*Or) node()       {}
func (*And) node()      {}
func (*Not) node()      {}
func (*Nested) node()   {}
func (*Range) node()    {}
func (*Match) node()    {}

func (*ValueOr) valueNode()  {}
func (*ValueAnd) valueNode() {}
func (*ValueNot) valueNode() {}
func (*Literal) valueNode()  {}

// IsFreeText reports whether m searches all fields: it has no field, or its
// field is the unquoted word null, which Kibana also treats as "no field"
// (`null:x` searches every field for x).
func (m *Match) IsFreeText() bool {
	return m.Field == nil || m.Field.Kind == Null && !m.Field.Quoted
}
