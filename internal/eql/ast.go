package eql

// Statement is a whole EQL query: an event query, a sequence or a sample,
// and the pipes after it.
type Statement struct {
	Query Query
	Pipes []*Pipe
}

// Pos returns where the statement starts.
func (s *Statement) Pos() Pos { return s.Query.Pos() }

// Query is the part of a statement before its pipes: one of *EventQuery,
// *Sequence and *Sample.
type Query interface {
	Pos() Pos
	String() string
	query()
}

// EventQuery is `category where condition`; Category is "" for `any`.
type EventQuery struct {
	At       Pos
	Category string
	Where    Expr
}

// Sequence is `sequence [by keys] [with maxspan=N] step step... [until step]`.
type Sequence struct {
	At      Pos
	By      []Expr
	MaxSpan *TimeSpan // nil: none
	Steps   []*Step
	Until   *Step // nil: none
}

// Sample is `sample [by keys] step step...`.
type Sample struct {
	At    Pos
	By    []Expr
	Steps []*Step
}

// Step is one bracketed event query of a sequence or sample:
// `[query] [by keys] [with runs=N]`, or `![query]` for a missing event.
type Step struct {
	At      Pos
	Missing bool
	Query   *EventQuery
	By      []Expr
	Runs    int // 0: not given
}

// TimeSpan is a maxspan: a number and a unit as written (`5m`, `30s`, `1000`).
type TimeSpan struct {
	At    Pos
	Value int64
	Unit  string // "" for milliseconds
}

// Pipe is `| name args...`, e.g. `| head 5`.
type Pipe struct {
	At   Pos
	Name string
	Args []Expr
}

// Expr is an expression: *Bool (and/or), *Not, *Compare, *Arith, *Neg,
// *In, *Match, *Call, *Field and the literals *String, *Number, *Boolean
// and *Null. String prints canonical EQL, so that parsing it yields an
// equal tree.
type Expr interface {
	Pos() Pos
	String() string
	expr()
}

// BoolOp is `and` or `or`.
type BoolOp uint8

// The boolean operators.
const (
	And BoolOp = iota + 1
	Or
)

// Bool holds two or more operands of one boolean operator: a and b and c.
type Bool struct {
	At    Pos
	Op    BoolOp
	Terms []Expr
}

// Not is `not X`.
type Not struct {
	At Pos
	X  Expr
}

// CompareOp is a comparison operator.
type CompareOp uint8

// The comparison operators.
const (
	EQ CompareOp = iota + 1 // ==
	NE                      // !=
	LT                      // <
	LE                      // <=
	GT                      // >
	GE                      // >=
)

// Compare is `L op R` with op one of == != < <= > >=.
type Compare struct {
	At   Pos
	Op   CompareOp
	L, R Expr
}

// ArithOp is an arithmetic operator.
type ArithOp uint8

// The arithmetic operators.
const (
	Add ArithOp = iota + 1 // +
	Sub                    // -
	Mul                    // *
	Div                    // /
	Mod                    // %
)

// Arith is `L op R` with op one of + - * / %.
type Arith struct {
	At   Pos
	Op   ArithOp
	L, R Expr
}

// Neg is unary minus (or plus, Plus set) of X.
type Neg struct {
	At   Pos
	Plus bool
	X    Expr
}

// In is `X [not] in (list)` or `X [not] in~ (list)`.
type In struct {
	At          Pos
	X           Expr
	Not         bool
	Insensitive bool
	List        []Expr
}

// MatchOp is a pattern operator.
type MatchOp uint8

// The pattern operators.
const (
	Seq    MatchOp = iota + 1 // :  case-insensitive equality with wildcards
	Like                      // like
	LikeI                     // like~
	Regex                     // regex
	RegexI                    // regex~
)

// Match is `X op pattern` or `X op (pattern, ...)`; the patterns are string
// constants (Elasticsearch allows no other operand).
type Match struct {
	At       Pos
	X        Expr
	Op       MatchOp
	Patterns []Expr // *String, or other constants Elasticsearch rejects later
	List     bool   // written as a parenthesized list
}

// Call is a function call; Name is as written, without the `~` of a
// case-insensitive variant (Insensitive set).
type Call struct {
	At          Pos
	Name        string
	Insensitive bool
	Args        []Expr
}

// Field is a field reference: `process.name`, `?user.id` (Optional: a field
// the mapping may lack), “ `my field`.x “.
type Field struct {
	At       Pos
	Optional bool
	Path     []string // the dot-separated parts, back quotes removed
}

// String is a string constant, escapes decoded.
type String struct {
	At    Pos
	Value string
}

// Number is a numeric constant as written (`1`, `1.5`, `1e3`).
type Number struct {
	At   Pos
	Text string
}

// Boolean is `true` or `false`.
type Boolean struct {
	At    Pos
	Value bool
}

// Null is `null`.
type Null struct {
	At Pos
}

// Name returns the field's dotted path.
func (f *Field) Name() string {
	n := 0
	for _, p := range f.Path {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range f.Path {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, p...)
	}
	return string(b)
}

// IsInteger reports whether the number is written without a fraction or
// exponent.
func (n *Number) IsInteger() bool {
	for i := 0; i < len(n.Text); i++ {
		if c := n.Text[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (q *EventQuery) Pos() Pos { return q.At }
func (q *Sequence) Pos() Pos   { return q.At }
func (q *Sample) Pos() Pos     { return q.At }
func (s *Step) Pos() Pos       { return s.At }
func (t *TimeSpan) Pos() Pos   { return t.At }
func (p *Pipe) Pos() Pos       { return p.At }
func (e *Bool) Pos() Pos       { return e.At }
func (e *Not) Pos() Pos        { return e.At }
func (e *Compare) Pos() Pos    { return e.At }
func (e *Arith) Pos() Pos      { return e.At }
func (e *Neg) Pos() Pos        { return e.At }
func (e *In) Pos() Pos         { return e.At }
func (e *Match) Pos() Pos      { return e.At }
func (e *Call) Pos() Pos       { return e.At }
func (e *Field) Pos() Pos      { return e.At }
func (e *String) Pos() Pos     { return e.At }
func (e *Number) Pos() Pos     { return e.At }
func (e *Boolean) Pos() Pos    { return e.At }
func (e *Null) Pos() Pos       { return e.At }

func (*EventQuery) query() {}
func (*Sequence) query()   {}
func (*Sample) query()     {}

func (*Bool) expr()    {}
func (*Not) expr()     {}
func (*Compare) expr() {}
func (*Arith) expr()   {}
func (*Neg) expr()     {}
func (*In) expr()      {}
func (*Match) expr()   {}
func (*Call) expr()    {}
func (*Field) expr()   {}
func (*String) expr()  {}
func (*Number) expr()  {}
func (*Boolean) expr() {}
func (*Null) expr()    {}
