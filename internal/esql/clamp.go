package esql

// CLAMP(field, min, max), CLAMP_MIN(field, min), CLAMP_MAX(field, max):
// the field's value limited to the bounds. Numbers of different types give
// the wider type (an integer and a double, a double); strings, IPs,
// versions, booleans and dates compare as SORT orders them, a bound having
// the field's type. Like other single-value functions, a null argument gives
// null and a multi-valued one null with a warning. CLAMP applies the upper
// bound, then the lower one: when min > max the result is min.
func init() {
	clamp := func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		n := 2
		if e.Name == "CLAMP" {
			n = 3
		}
		if err := c.arity(e, args, n, n); err != nil {
			return cexpr{}, err
		}
		switch t := args[0].typ; {
		case t == Null:
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "'field' must not be null in %s()", e.Name)
		case t.isNumeric(), t.isString(), t.isDate(), t == Boolean, t == IP:
		default:
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "argument 1 of %s must be a number, string, date, ip, version or boolean, not [%s] of type %s", e.Name, e.Args[0], t)
		}
		t, err := c.commonType(e, args)
		if err != nil {
			return cexpr{}, err
		}
		name := e.Name
		return c.scalar(e, t, args, func(r *Run, self *cexpr, v []any) any {
			x := widen(v[0], t)
			lo, hi := any(nil), any(nil)
			switch name {
			case "CLAMP":
				lo, hi = widen(v[1], t), widen(v[2], t)
			case "CLAMP_MIN":
				lo = widen(v[1], t)
			default:
				hi = widen(v[1], t)
			}
			if hi != nil && compareTyped(x, hi, t) > 0 {
				x = hi
			}
			if lo != nil && compareTyped(x, lo, t) < 0 {
				x = lo
			}
			return x
		}), nil
	}
	for _, n := range []string{"CLAMP", "CLAMP_MIN", "CLAMP_MAX"} {
		mvFunctions[n] = clamp
	}
}
