package esql

import "github.com/vigil-project/vigil/internal/querytext"

// Pos is a position in the query text. Offset is a byte offset; Line and Col
// are 1-based, Col counting runes (so the caret lines up under the fault).
type Pos = querytext.Pos

// Error is a syntax or semantic error in a query, with Detail rendering the
// offending line and a caret. Use errors.As to reach it.
type Error = querytext.Error

// Query is a parsed ES|QL query: a source command (FROM or ROW) and the
// processing commands piped after it.
type Query struct {
	Source   Command // *From or *Row
	Commands []Command
	text     string // the query text, for the names of unnamed columns
	spans    map[Expr]string
}

// Command is one command of the pipe.
type Command interface {
	Pos() Pos
	String() string
	command()
}

// Expr is an expression.
type Expr interface {
	Pos() Pos
	String() string
	expr()
}

// From is FROM patterns [METADATA fields].
type From struct {
	At       Pos
	Indices  []string
	Metadata []string
}

// Row is ROW name = expr, ...
type Row struct {
	At     Pos
	Fields []Field
}

// Field is an expression and the column it makes: `name = expr`, or just
// expr, whose column is named by its text as written.
type Field struct {
	Name  string // the column name (the expression's text when not given)
	Named bool   // written as name = expr
	Expr  Expr
}

// Where is WHERE condition.
type Where struct {
	At   Pos
	Cond Expr
}

// Eval is EVAL fields.
type Eval struct {
	At     Pos
	Fields []Field
}

// Stats is [INLINE] STATS aggregates [BY groupings].
type Stats struct {
	At     Pos
	Inline bool
	Aggs   []Agg
	By     []Field
}

// Agg is one aggregate of STATS: [name =] function(...) [WHERE filter].
type Agg struct {
	Field
	Filter Expr // or nil
}

// Keep is KEEP patterns; Drop is DROP patterns.
type Keep struct {
	At       Pos
	Patterns []NamePattern
}

// Drop is DROP patterns.
type Drop struct {
	At       Pos
	Patterns []NamePattern
}

// NamePattern is a column name or a pattern with * wildcards.
type NamePattern struct {
	At   Pos
	Name string
}

// Rename is RENAME old AS new, ... (or new = old).
type Rename struct {
	At    Pos
	Pairs []RenamePair
}

// RenamePair renames Old to New.
type RenamePair struct {
	At       Pos
	Old, New string
}

// Sort is SORT keys.
type Sort struct {
	At   Pos
	Keys []SortKey
}

// SortKey is expr [ASC|DESC] [NULLS FIRST|LAST].
type SortKey struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool // default: nulls last for ASC, first for DESC
	NullsSet   bool // NULLS was written
}

// Limit is LIMIT n.
type Limit struct {
	At Pos
	N  int
}

// MvExpand is MV_EXPAND column.
type MvExpand struct {
	At     Pos
	Column string
}

// Dissect is DISSECT column "pattern" [APPEND_SEPARATOR="sep"].
type Dissect struct {
	At        Pos
	Input     Expr
	Pattern   string
	PatPos    Pos
	Separator string
	HasSep    bool
}

// Grok is GROK column "pattern"[, "pattern"...].
type Grok struct {
	At       Pos
	Input    Expr
	Patterns []string
	PatPos   Pos
}

// Sample is SAMPLE probability: each row is kept with that probability
// (0 < p < 1). Vigil decides by a hash of the row's values, not at random
// (see sampleStage).
type Sample struct {
	At          Pos
	Probability float64
	Text        string // the probability as written
}

// Unsupported is a command Vigil parses but cannot run (COMPLETION, which
// calls a language model): Compile reports it with Reason.
type Unsupported struct {
	At     Pos
	Name   string // the command as written, upper case
	Text   string // the command's text as written
	Reason string
}

func (*From) command()        {}
func (*Row) command()         {}
func (*Where) command()       {}
func (*Eval) command()        {}
func (*Stats) command()       {}
func (*Keep) command()        {}
func (*Drop) command()        {}
func (*Rename) command()      {}
func (*Sort) command()        {}
func (*Limit) command()       {}
func (*MvExpand) command()    {}
func (*Dissect) command()     {}
func (*Grok) command()        {}
func (*Sample) command()      {}
func (*Unsupported) command() {}

// Pos returns where the command starts.
func (c *From) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Row) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Where) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Eval) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Stats) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Keep) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Drop) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Rename) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Sort) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Limit) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *MvExpand) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Dissect) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Grok) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Unsupported) Pos() Pos { return c.At }

// Pos returns where the command starts.
func (c *Sample) Pos() Pos { return c.At }

// Literal is a constant: nil (null), bool, int64 (integer or long),
// float64, string, a Duration or a Period.
type Literal struct {
	At    Pos
	Value any
}

// Duration is a time span literal (1 hour, 30 minutes): fixed length.
type Duration struct {
	Millis int64
	Text   string // as written, canonical: "1 hour"
}

// Period is a calendar span literal (1 day, 2 months, 1 year).
type Period struct {
	Months, Days int
	Text         string
}

// ListLit is a multi-value literal [1, 2, 3].
type ListLit struct {
	At    Pos
	Items []Expr
}

// Column is a reference to a column by name.
type Column struct {
	At   Pos
	Name string
}

// Call is a function call; Star is set for COUNT(*).
type Call struct {
	At   Pos
	Name string // upper case
	Args []Expr
	Star bool
}

// Unary is -x or NOT x.
type Unary struct {
	At Pos
	Op string // "-" or "NOT"
	X  Expr
}

// Binary is x op y: arithmetic, comparison, AND, OR.
type Binary struct {
	At   Pos
	Op   string // + - * / % == != < <= > >= AND OR
	X, Y Expr
}

// Like is x [NOT] LIKE|RLIKE pattern (or a list of patterns).
type Like struct {
	At       Pos
	X        Expr
	Not      bool
	Regex    bool // RLIKE
	Patterns []string
}

// In is x [NOT] IN (list).
type In struct {
	At   Pos
	X    Expr
	Not  bool
	List []Expr
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	At  Pos
	X   Expr
	Not bool
}

// Cast is x::type.
type Cast struct {
	At   Pos
	X    Expr
	Type string // lower case, as written
}

// MatchOp is field : "query" (full-text match).
type MatchOp struct {
	At    Pos
	Field Expr
	Query Expr
}

func (*Literal) expr() {}
func (*ListLit) expr() {}
func (*Column) expr()  {}
func (*Call) expr()    {}
func (*Unary) expr()   {}
func (*Binary) expr()  {}
func (*Like) expr()    {}
func (*In) expr()      {}
func (*IsNull) expr()  {}
func (*Cast) expr()    {}
func (*MatchOp) expr() {}

// Pos returns where the expression starts.
func (e *Literal) Pos() Pos { return e.At }

// Pos returns where the expression starts.
func (e *ListLit) Pos() Pos { return e.At }

// Pos returns where the expression starts.
func (e *Column) Pos() Pos { return e.At }

// Pos returns where the expression starts.
func (e *Call) Pos() Pos { return e.At }

// Pos returns where the expression starts.
func (e *Unary) Pos() Pos { return e.At }

// Pos returns where the operator is.
func (e *Binary) Pos() Pos { return e.At }

// Pos returns where the expression starts.
func (e *Like) Pos() Pos { return e.At }

// Pos returns where the expression starts.
func (e *In) Pos() Pos { return e.At }

// Pos returns where the expression starts.
func (e *IsNull) Pos() Pos { return e.At }

// Pos returns where the expression starts.
func (e *Cast) Pos() Pos { return e.At }

// Pos returns where the expression starts.
func (e *MatchOp) Pos() Pos { return e.At }

// MapLit is a map of options, { "name": value, ... }.
type MapLit struct {
	At     Pos
	Keys   []string
	Values []Expr
}

func (*MapLit) expr() {}

// Pos returns where the map starts.
func (e *MapLit) Pos() Pos { return e.At }
