package esql

import (
	"strconv"
	"strings"
)

// TO_TIMEDURATION("3 hours") and TO_DATEPERIOD("1 month") (and the casts
// ::time_duration, ::date_period): a constant string written as a time span
// literal is, becomes that span. As in Elasticsearch the argument must be a
// constant, and the unit must be of the span's kind (milliseconds to hours
// for a time duration, days to years for a date period).
func init() {
	conv := func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		want := TimeDuration
		if e.Name == "TO_DATEPERIOD" {
			want = DatePeriod
		}
		if args[0].typ == want {
			return args[0], nil
		}
		if !args[0].typ.isString() || !args[0].konst && !foldable(e.Args[0]) {
			return cexpr{}, c.errorf(e.Args[0].Pos(), `write `+e.Name+`("1 hour")`, "argument of %s must be a constant string or a %s, not [%s] of type %s", e.Name, want, e.Args[0], args[0].typ)
		}
		v0, err := c.constArg(e, 0, args)
		if err != nil {
			return cexpr{}, err
		}
		s, _ := v0.(string)
		v, ok := parseSpan(s, want)
		if !ok {
			units := "milliseconds, seconds, minutes, hours"
			if want == DatePeriod {
				units = "days, weeks, months, quarters, years"
			}
			return cexpr{}, c.errorf(e.Args[0].Pos(), "the units of a "+want.String()+" are "+units, "cannot convert %q to %s", s, want)
		}
		return constExpr(v, want, e), nil
	}
	mvFunctions["TO_TIMEDURATION"] = conv
	mvFunctions["TO_DATEPERIOD"] = conv
}

// parseSpan reads "N unit" (a whole number, spaces, a unit of time span
// literals): milliseconds for a time duration, a Period for a date period.
func parseSpan(s string, want Type) (any, bool) {
	s = strings.TrimSpace(s)
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 32)
	if err != nil {
		return nil, false
	}
	unit, ok := timeUnits[strings.ToLower(strings.TrimSpace(s[i:]))]
	if !ok {
		return nil, false
	}
	if want == TimeDuration {
		if unit.millis == 0 {
			return nil, false
		}
		return n * unit.millis, true
	}
	if unit.millis > 0 {
		return nil, false
	}
	return Period{Months: int(n) * unit.months, Days: int(n) * unit.days, Text: strconv.FormatInt(n, 10) + " " + unit.canon}, true
}
