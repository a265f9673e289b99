package threatintel

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
)

// Kibana joins an event with an indicator by a match query on the event's
// field whose text is the indicator's value (or, for a group of one entry,
// a terms query with the same effect). Elasticsearch runs that query as
// the event field's type says: a keyword compares whole values, a text
// field's analyzed tokens meet if any one is shared, an ip compares
// addresses (and takes a CIDR), numbers, booleans and dates compare
// values. Both sides are turned into keys here so that a join is a map
// lookup and a match is a shared key.

// query is an indicator value as a match query on a field of one type.
type query struct {
	keys   []string
	prefix netip.Prefix // an ip field queried with a CIDR
	cidr   bool
}

// newQuery returns the query of indicator value q on a field of type t;
// ok is false when Elasticsearch could not run it (an address that is not
// one, a number that is not one): such a query matches nothing.
func newQuery(t ecs.Type, q string) (query, bool) {
	switch {
	case t.IsText():
		var x query
		match.EachToken(q, func(tok string) bool {
			x.keys = append(x.keys, strings.Clone(tok))
			return true
		})
		return x, len(x.keys) > 0
	case t == ecs.IP:
		if a, err := netip.ParseAddr(q); err == nil {
			return query{keys: []string{a.Unmap().String()}}, true
		}
		if p, err := netip.ParsePrefix(q); err == nil {
			return query{prefix: p.Masked(), cidr: true}, true
		}
		return query{}, false
	case t.IsNumeric():
		f, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
		if err != nil || (t.IsInteger() && f != float64(int64(f))) {
			return query{}, false
		}
		return query{keys: []string{numKey(f)}}, true
	case t == ecs.Boolean:
		if q != "true" && q != "false" {
			return query{}, false
		}
		return query{keys: []string{q}}, true
	case t.IsDate():
		ts, ok := dateOf(q)
		if !ok {
			return query{}, false
		}
		return query{keys: []string{dateKey(ts)}}, true
	}
	// keyword, constant_keyword, wildcard, flattened, and fields the
	// schema does not know (logs-* maps dynamic strings as keyword).
	if t == ecs.Keyword && match.TooLongForKeyword(q) {
		return query{}, false
	}
	return query{keys: []string{q}}, true
}

// eachKey calls fn with the keys an event value of a field of type t is
// indexed under, until fn returns false. addr is set for ip values.
func eachKey(t ecs.Type, v event.Value, fn func(key string) bool) {
	switch {
	case t.IsText():
		if v.Kind == event.KindString {
			match.EachToken(v.Str, fn)
		}
	case t == ecs.IP:
		if a, ok := addrOf(v); ok {
			fn(a.String())
		}
	case t.IsNumeric():
		switch v.Kind {
		case event.KindNumber:
			fn(numKey(v.Num))
		case event.KindString:
			if f, err := strconv.ParseFloat(strings.TrimSpace(v.Str), 64); err == nil {
				fn(numKey(f))
			}
		}
	case t == ecs.Boolean:
		switch {
		case v.Kind == event.KindBool:
			fn(strconv.FormatBool(v.Bool))
		case v.Kind == event.KindString && (v.Str == "true" || v.Str == "false"):
			fn(v.Str)
		}
	case t.IsDate():
		if v.Kind == event.KindString || v.Kind == event.KindNumber {
			if ts, ok := dateOf(v.Str); ok {
				fn(dateKey(ts))
			}
		}
	default:
		s, ok := match.KeywordText(v)
		if !ok || (t == ecs.Keyword && match.TooLongForKeyword(s)) {
			return
		}
		fn(s)
	}
}

func addrOf(v event.Value) (netip.Addr, bool) {
	if v.Kind != event.KindString {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(v.Str)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// matches reports whether any of an event's values of a field of type t
// matches the query.
func (q query) matches(t ecs.Type, vals []event.Value) bool {
	for _, v := range vals {
		if q.cidr {
			if a, ok := addrOf(v); ok && q.prefix.Contains(a) {
				return true
			}
			continue
		}
		hit := false
		eachKey(t, v, func(k string) bool {
			for _, want := range q.keys {
				if k == want {
					hit = true
					return false
				}
			}
			return true
		})
		if hit {
			return true
		}
	}
	return false
}

func numKey(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func dateKey(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

// dateOf reads a date as the default date format of Elasticsearch does:
// strict ISO 8601 or epoch milliseconds.
func dateOf(s string) (time.Time, bool) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
