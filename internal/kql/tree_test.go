package kql

// Tree builders for tests; positions are ignored when comparing.

// lit is an unquoted string literal; several parts make a wildcard:
// lit("a", "") is `a*`.
func lit(parts ...string) *Literal { return &Literal{Kind: String, Parts: parts} }

// qlit is a quoted literal.
func qlit(s string) *Literal { return &Literal{Quoted: true, Kind: String, Parts: []string{s}} }

// boolLit and nullLit are the unquoted words true/false and null.
func boolLit(b bool) *Literal {
	if b {
		return &Literal{Kind: Bool, Parts: []string{"true"}}
	}
	return &Literal{Kind: Bool, Parts: []string{"false"}}
}

func nullLit() *Literal { return &Literal{Kind: Null, Parts: []string{"null"}} }

// star is the unquoted lone wildcard `*`.
func star() *Literal { return lit("", "") }

func match(field *Literal, v ValueNode) *Match { return &Match{Field: field, Value: v} }

// fmatch is field:value with an unquoted field name.
func fmatch(field string, v ValueNode) *Match { return match(lit(field), v) }

// text is free text.
func text(v *Literal) *Match { return &Match{Value: v} }

func or(terms ...Node) *Or   { return &Or{Terms: terms} }
func and(terms ...Node) *And { return &And{Terms: terms} }
func not(x Node) *Not        { return &Not{X: x} }

func vor(terms ...ValueNode) *ValueOr   { return &ValueOr{Terms: terms} }
func vand(terms ...ValueNode) *ValueAnd { return &ValueAnd{Terms: terms} }
func vnot(x ValueNode) *ValueNot        { return &ValueNot{X: x} }

func rng(field string, op RangeOp, v *Literal) *Range {
	return &Range{Field: lit(field), Op: op, Value: v}
}

func nested(field string, q Node) *Nested { return &Nested{Field: lit(field), Query: q} }
