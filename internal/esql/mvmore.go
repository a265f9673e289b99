package esql

// MV_APPEND and MV_ZIP.
func init() {
	mvFunctions["MV_APPEND"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		t := args[0].typ
		if t == Null {
			t = args[1].typ
		}
		if args[1].typ != Null && args[1].typ != t && !(t.isString() && args[1].typ.isString()) {
			return cexpr{}, c.errorf(e.At, "", "MV_APPEND needs two values of the same type, not %s and %s", args[0].typ, args[1].typ)
		}
		return cexpr{typ: t, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			a, b := values(args[0].ev(r, row)), values(args[1].ev(r, row))
			return mvOf(append(append([]any(nil), a...), b...))
		}}, nil
	}
	mvFunctions["MV_ZIP"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 3); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "sss"); err != nil {
			return cexpr{}, err
		}
		// The values of both, paired in order and joined by the delimiter
		// ("," by default); the longer one's extra values come alone, and a
		// null one gives the other's values.
		return cexpr{typ: Keyword, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
			a, b := values(args[0].ev(r, row)), values(args[1].ev(r, row))
			sep := ","
			if len(args) == 3 {
				s, ok := args[2].ev(r, row).(string)
				if !ok {
					return nil
				}
				sep = s
			}
			var out []any
			for i := range max(len(a), len(b)) {
				switch {
				case i < len(a) && i < len(b):
					out = append(out, a[i].(string)+sep+b[i].(string))
				case i < len(a):
					out = append(out, a[i])
				default:
					out = append(out, b[i])
				}
			}
			return mvOf(out)
		}}, nil
	}
}
