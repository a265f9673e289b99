package kql

// Inspect traverses the query tree rooted at n depth first, calling f for
// each query node: n itself, then the terms of *Or and *And, the operand of
// *Not and the query of *Nested. When f returns false, the children of that
// node are skipped. Values of a *Match are not visited; use InspectValues on
// Match.Value for them.
func Inspect(n Node, f func(Node) bool) {
	if n == nil || !f(n) {
		return
	}
	switch n := n.(type) {
	case *Or:
		for _, t := range n.Terms {
			Inspect(t, f)
		}
	case *And:
		for _, t := range n.Terms {
			Inspect(t, f)
		}
	case *Not:
		Inspect(n.X, f)
	case *Nested:
		Inspect(n.Query, f)
	}
}

// InspectValues traverses a value-list expression depth first, calling f for
// v and then its terms or operand; when f returns false, the children of that
// value are skipped.
func InspectValues(v ValueNode, f func(ValueNode) bool) {
	if v == nil || !f(v) {
		return
	}
	switch v := v.(type) {
	case *ValueOr:
		for _, t := range v.Terms {
			InspectValues(t, f)
		}
	case *ValueAnd:
		for _, t := range v.Terms {
			InspectValues(t, f)
		}
	case *ValueNot:
		InspectValues(v.X, f)
	}
}
