package match

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// KeyExpr is a compiled EQL value expression read as Elasticsearch reads a
// join key, a timestamp or a tiebreaker of a sequence: the first value of
// the field (or of the expression), typed as the field's mapping types it.
type KeyExpr struct {
	x      expr
	src    string
	fields []string
}

// Field returns the planned field a key reads when it is a plain field
// (then Time and Value read only that field's values, whatever the query
// it belongs to), ok false otherwise.
func (k *KeyExpr) Field() (id event.FieldID, ok bool) {
	if f, isField := k.x.(*fieldExpr); isField {
		return f.id, true
	}
	return 0, false
}

// CompileEQLKey compiles a join key (`sequence by x`, `[...] by y`,
// `sample by z`), a timestamp or a tiebreaker field against the field types
// of opts.Schema. Errors are *CompileError with the expression's position.
func CompileEQLKey(e eql.Expr, opts EQLOptions) (*KeyExpr, error) {
	if e == nil {
		return nil, fmt.Errorf("compile eql key: no expression")
	}
	if opts.Schema == nil {
		opts.Schema = ecs.Default()
	}
	if opts.Plan == nil {
		opts.Plan = event.NewPlan()
	}
	c := &eqlCompiler{schema: opts.Schema, plan: opts.Plan, fields: map[string]bool{}}
	x, err := c.expr(e)
	if err != nil {
		return nil, err
	}
	if x.typ() == tOther {
		return nil, c.errorf(e.Pos(), "join on a keyword, number, ip, date or boolean field", "cannot use [%s] of type [object] as a key", e)
	}
	k := &KeyExpr{x: x, src: e.String()}
	for f := range c.fields {
		k.fields = append(k.fields, f)
	}
	slices.Sort(k.fields)
	return k, nil
}

// String returns the expression as written (canonical EQL).
func (k *KeyExpr) String() string { return k.src }

// Fields returns the fields the expression reads.
func (k *KeyExpr) Fields() []string { return slices.Clone(k.fields) }

// Value returns the key's value in ev as Elasticsearch returns a join key:
// a string (keyword fields, IP addresses in their canonical form), an
// int64 (integer fields, and dates as epoch milliseconds), a float64, a
// bool, or nil when the event has no value (null). A multi-valued field
// gives its first value.
func (k *KeyExpr) Value(ev *event.Event) any {
	var v val
	if f, ok := k.x.(*fieldExpr); ok {
		// A field (most keys): its first value, without the slice
		// an expression's values escape to.
		found := false
		for _, x := range ev.Values(f.id) {
			if v, found = f.conv(x); found {
				break
			}
		}
		if !found {
			return nil
		}
	} else {
		var buf [4]val
		vs := k.x.eval(ev, buf[:0])
		if len(vs) == 0 {
			return nil
		}
		v = vs[0]
	}
	switch k.x.typ() {
	case tDate:
		if t, ok := k.date(ev); ok {
			return t.UnixMilli()
		}
		return nil
	case tIP:
		if a, ok := parseIP(v.text()); ok {
			return a.String()
		}
		return nil
	}
	switch v.k {
	case vStr:
		return v.s
	case vBool:
		return v.b
	case vNum:
		if v.isInt && math.Abs(v.n) < 1<<62 {
			return int64(v.n)
		}
		return v.n
	}
	return nil
}

// Time reads the expression as a timestamp, in nanoseconds since the
// epoch: an ISO 8601 date or epoch milliseconds (a number or a string), as
// Elasticsearch reads a date field. ok is false without a readable value
// or for a date outside 1678 to 2261 (int64 nanoseconds).
func (k *KeyExpr) Time(ev *event.Event) (ns int64, ok bool) {
	if f, isField := k.x.(*fieldExpr); isField {
		// The common text, 2026-03-12T00:01:45.417Z, read without the
		// general parser (whose digits and errors were 2,000 instructions
		// an event): the first value date would read, when it is a string
		// of that shape.
		for _, v := range ev.Values(f.id) {
			if v.Kind == event.KindNumber {
				break
			}
			if v.Kind == event.KindString {
				if ns, ok, done := utcNanos(v.Str); done {
					return ns, ok
				}
				break
			}
		}
	}
	t, ok := k.date(ev)
	if !ok {
		return 0, false
	}
	if y := t.Year(); y < 1678 || y > 2261 {
		return 0, false // outside int64 nanoseconds
	}
	return t.UnixNano(), true
}

// date reads the first value as a date: a JSON number is epoch
// milliseconds, a string ISO 8601 or epoch milliseconds.
func (k *KeyExpr) date(ev *event.Event) (time.Time, bool) {
	if f, ok := k.x.(*fieldExpr); ok {
		for _, v := range ev.Values(f.id) {
			switch v.Kind {
			case event.KindNumber:
				if math.Abs(v.Num) > 1<<53 {
					return time.Time{}, false
				}
				ms := math.Floor(v.Num)
				return time.UnixMilli(int64(ms)).Add(time.Duration((v.Num - ms) * 1e6)).UTC(), true
			case event.KindString:
				t, _, err := datemath.ParseDate(v.Str)
				return t, err == nil
			}
		}
		return time.Time{}, false
	}
	var buf [4]val
	vs := k.x.eval(ev, buf[:0])
	if len(vs) == 0 {
		return time.Time{}, false
	}
	if vs[0].k == vNum {
		return time.UnixMilli(int64(vs[0].n)).UTC(), true
	}
	t, _, err := datemath.ParseDate(vs[0].text())
	return t, err == nil
}

// CompareKeys orders two key values as Elasticsearch sorts them: null
// last, numbers numerically, strings by bytes, false before true; values
// of different kinds by kind (bool, number, string).
func CompareKeys(a, b any) int {
	ka, kb := keyKind(a), keyKind(b)
	if ka != kb {
		return ka - kb
	}
	switch x := a.(type) {
	case string:
		y := b.(string)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case int64, float64:
		fx, fy := keyNum(a), keyNum(b)
		switch {
		case fx < fy:
			return -1
		case fx > fy:
			return 1
		}
		// Equal as doubles: compare exactly when both are integers.
		ix, okx := a.(int64)
		iy, oky := b.(int64)
		if okx && oky {
			switch {
			case ix < iy:
				return -1
			case ix > iy:
				return 1
			}
		}
		return 0
	}
	return 0
}

func keyKind(v any) int {
	switch v.(type) {
	case bool:
		return 0
	case int64, float64:
		return 1
	case string:
		return 2
	case nil:
		return 4
	}
	return 3
}

func keyNum(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// utcNanos reads s as Time does (datemath.ParseDate, then nanoseconds
// since the epoch, false outside the years 1678 to 2261) when s is a UTC
// date and time to the second, with or without a fraction of one to nine
// digits: yyyy-MM-ddTHH:mm:ss[.f]Z. done is false for any other text,
// which the general parser reads.
func utcNanos(s string) (ns int64, ok, done bool) {
	t, form, valid := datemath.ParseUTC(s)
	if !form || len(t.Frac) > 9 {
		return 0, false, false
	}
	// Out of range: the general parser's error (ParseDate then tries
	// epoch milliseconds, which a text with '-' and 'T' is not).
	if !valid || t.Year < 1678 || t.Year > 2261 {
		return 0, false, true
	}
	secs := daysSinceEpoch(t.Year, t.Month, t.Day)*86400 + int64(t.Hour*3600+t.Minute*60+t.Second)
	return secs*1e9 + int64(t.Nanos()), true, true
}

// daysSinceEpoch counts the days from 1970-01-01 to a date of the
// proleptic Gregorian calendar (negative before). Years are counted from
// March, so that a leap day ends its year: each 400-year era then has
// the same 146,097 days, and a day's place in its year follows from its
// month by the same sum for every year.
func daysSinceEpoch(year, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 && year%400 != 0 {
		era-- // floor division
	}
	yoe := year - era*400 // year of the era, 0 to 399
	m := month + 9        // months since March, 0 to 11
	if month > 2 {
		m = month - 3
	}
	doy := (153*m+2)/5 + day - 1           // day of the year since March 1st
	doe := yoe*365 + yoe/4 - yoe/100 + doy // day of the era
	return int64(era)*146097 + int64(doe) - 719468
}
