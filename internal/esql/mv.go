package esql

import (
	"slices"
	"strings"
)

// mvFunctions are the multi-value functions: they take a whole
// (multi-)value.
var mvFunctions = map[string]func(c *compiler, e *Call, args []cexpr) (cexpr, error){
	"MV_FIRST": mvPick(func(xs []any, t Type) any { return xs[0] }),
	"MV_LAST":  mvPick(func(xs []any, t Type) any { return xs[len(xs)-1] }),
	"MV_MIN": mvPick(func(xs []any, t Type) any {
		return slices.MinFunc(xs, func(a, b any) int { return compareTyped(a, b, t) })
	}),
	"MV_MAX": mvPick(func(xs []any, t Type) any {
		return slices.MaxFunc(xs, func(a, b any) int { return compareTyped(a, b, t) })
	}),
	"MV_DEDUPE": mvPick(func(xs []any, t Type) any {
		var out []any
		for _, x := range xs {
			if !slices.ContainsFunc(out, func(y any) bool { return compareTyped(x, y, t) == 0 && sameKind(x, y) }) {
				out = append(out, x)
			}
		}
		return mvOf(out)
	}),
	"MV_SORT": func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 2); err != nil {
			return cexpr{}, err
		}
		t := args[0].typ
		return cexpr{typ: t, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			v := args[0].ev(r, row)
			xs, ok := v.([]any)
			if !ok {
				return v
			}
			desc := false
			if len(args) == 2 {
				o, _ := args[1].ev(r, row).(string)
				desc = strings.EqualFold(o, "desc")
			}
			out := slices.Clone(xs)
			slices.SortStableFunc(out, func(a, b any) int {
				if desc {
					return compareTyped(b, a, t)
				}
				return compareTyped(a, b, t)
			})
			return out
		}}, nil
	},
	"MV_COUNT": func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		return cexpr{typ: Integer, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			v := args[0].ev(r, row)
			if v == nil {
				return nil
			}
			return int64(len(values(v)))
		}}, nil
	},
	"MV_CONCAT": func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "ss"); err != nil {
			return cexpr{}, err
		}
		return cexpr{typ: Keyword, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			v, sep := args[0].ev(r, row), args[1].ev(r, row)
			s, ok := sep.(string)
			if v == nil || !ok {
				return nil
			}
			var parts []string
			for _, x := range values(v) {
				parts = append(parts, x.(string))
			}
			return strings.Join(parts, s)
		}}, nil
	},
	"MV_SLICE": func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 3); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, ".ii"); err != nil {
			return cexpr{}, err
		}
		return cexpr{typ: args[0].typ, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			xs := values(args[0].ev(r, row))
			if xs == nil {
				return nil
			}
			start, ok := args[1].ev(r, row).(int64)
			if !ok {
				return nil
			}
			end := start
			if len(args) == 3 {
				if end, ok = args[2].ev(r, row).(int64); !ok {
					return nil
				}
			}
			n := int64(len(xs))
			if start < 0 {
				start += n
			}
			if end < 0 {
				end += n
			}
			start = max(start, 0)
			if start >= n || end < start {
				return nil
			}
			end = min(end, n-1)
			return mvOf(slices.Clone(xs[start : end+1]))
		}}, nil
	},
	"MV_AVG": func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		f, err := mvNumeric(func(xs []any, t Type) any {
			s := 0.0
			for _, x := range xs {
				s += toFloat(x)
			}
			return s / float64(len(xs))
		})(c, e, args)
		f.typ = Double
		return f, err
	},
	"MV_CONTAINS": func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		t := args[0].typ
		return cexpr{typ: Boolean, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			sup, sub := values(args[0].ev(r, row)), values(args[1].ev(r, row))
			if sub == nil {
				return true
			}
			if sup == nil {
				return false
			}
			for _, x := range sub {
				if !slices.ContainsFunc(sup, func(y any) bool { return compareTyped(x, y, t) == 0 }) {
					return false
				}
			}
			return true
		}}, nil
	},
	"MV_INTERSECTION": func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		t := args[0].typ
		return cexpr{typ: t, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			a, b := values(args[0].ev(r, row)), values(args[1].ev(r, row))
			var out []any
			for _, x := range a {
				if slices.ContainsFunc(b, func(y any) bool { return compareTyped(x, y, t) == 0 }) &&
					!slices.ContainsFunc(out, func(y any) bool { return compareTyped(x, y, t) == 0 }) {
					out = append(out, x)
				}
			}
			return mvOf(out)
		}}, nil
	},
}

func sameKind(a, b any) bool {
	switch a.(type) {
	case string:
		_, ok := b.(string)
		return ok
	}
	return true
}

// mvPick makes a one-argument multi-value function.
func mvPick(f func(xs []any, t Type) any) func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
	return func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		t := args[0].typ
		return cexpr{typ: t, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			v := args[0].ev(r, row)
			if v == nil {
				return nil
			}
			return f(values(v), t)
		}}, nil
	}
}

func mvNumeric(f func(xs []any, t Type) any) func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
	return func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needNumber(e, 0, args); err != nil {
			return cexpr{}, err
		}
		return mvPick(f)(c, e, args)
	}
}
