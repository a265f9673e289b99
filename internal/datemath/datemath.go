// Package datemath reads dates and date math as Elasticsearch does for date
// fields mapped with its default format, strict_date_optional_time||epoch_millis,
// and for range queries and rule windows:
//
//	2024                          a whole year (missing components round, see below)
//	2024-05-01T10:00:00.123+02:00 ISO 8601 with an optional fraction (up to nanoseconds) and zone
//	1714521600000                 epoch milliseconds
//	now-5m                        date math on the current time
//	now/d                         rounded to the day
//	2024-01-01||+1M/d             date math on a date: anchor, "||", operations
//
// Missing components and rounding follow Elasticsearch's range query: a bound
// that rounds up (gt and lte) takes the last instant of the missing unit or of
// the rounding unit, a bound that rounds down (gte and lt) the first. So
// `@timestamp <= 2024-05-01` includes the whole day, `@timestamp < now/d` stops at
// midnight, and `@timestamp > now/d` starts tomorrow.
//
// Like Elasticsearch, rounding up fills missing date components to their last
// nanosecond, and a rounding operation (/d) to its last millisecond; the
// difference is invisible on date fields, which store milliseconds. Date math
// runs in UTC (Kibana sends time_zone Zulu with date queries); an explicit
// offset in the date itself is honoured. Named zones (Europe/Paris) in dates
// are not supported.
//
// This package never reads the clock: callers pass `now`.
package datemath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is a date-math unit or a date's precision.
type Unit uint8

// Units, largest first. Millisecond and Nanosecond are precisions only (an
// epoch-millis date, a date with a fraction of a second); date math accepts y
// M w d h H m s.
const (
	Year Unit = iota + 1
	Month
	Week
	Day
	Hour
	Minute
	Second
	Millisecond
	Nanosecond
)

var unitNames = [...]string{
	Year: "y", Month: "M", Week: "w", Day: "d", Hour: "h", Minute: "m", Second: "s",
	Millisecond: "ms", Nanosecond: "ns",
}

// String returns the unit as date math writes it (y M w d h m s), or ms/ns.
func (u Unit) String() string {
	if int(u) < len(unitNames) && unitNames[u] != "" {
		return unitNames[u]
	}
	return fmt.Sprintf("Unit(%d)", uint8(u))
}

// mathUnit maps a date-math unit letter to its Unit.
func mathUnit(c byte) (Unit, bool) {
	switch c {
	case 'y':
		return Year, true
	case 'M':
		return Month, true
	case 'w':
		return Week, true
	case 'd':
		return Day, true
	case 'h', 'H':
		return Hour, true
	case 'm':
		return Minute, true
	case 's':
		return Second, true
	}
	return 0, false
}

const unitHelp = "use one of y M w d h H m s"

// Floor returns the first instant of the unit holding t, in t's location
// (weeks start on Monday). Millisecond truncates to the millisecond;
// Nanosecond returns t.
func Floor(t time.Time, u Unit) time.Time {
	loc := t.Location()
	y, m, d := t.Date()
	switch u {
	case Year:
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case Day:
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	case Hour:
		return time.Date(y, m, d, t.Hour(), 0, 0, 0, loc)
	case Minute:
		return time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, loc)
	case Second:
		return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, loc)
	case Millisecond:
		ns := t.Nanosecond()
		return t.Add(-time.Duration(ns % int(time.Millisecond)))
	}
	return t
}

// next returns the first instant of the unit after the one starting at t
// (t is Floor(t, u)).
func next(t time.Time, u Unit) time.Time {
	switch u {
	case Year:
		return t.AddDate(1, 0, 0)
	case Month:
		return t.AddDate(0, 1, 0)
	case Week:
		return t.AddDate(0, 0, 7)
	case Day:
		return t.AddDate(0, 0, 1)
	case Hour:
		return t.Add(time.Hour)
	case Minute:
		return t.Add(time.Minute)
	case Second:
		return t.Add(time.Second)
	case Millisecond:
		return t.Add(time.Millisecond)
	}
	return t
}

// Ceil returns the last nanosecond of the unit holding t: what a date
// missing the components below u means when it rounds up. Nanosecond returns t.
func Ceil(t time.Time, u Unit) time.Time {
	if u == Nanosecond || u == 0 {
		return t
	}
	return next(Floor(t, u), u).Add(-time.Nanosecond)
}

// ParseDate reads a date as strict_date_optional_time||epoch_millis: an ISO
// 8601 date with optional time, fraction (1 to 9 digits, after '.' or ',')
// and zone (Z, ±hh, ±hh:mm, ±hhmm; only after the 'T'), or epoch
// milliseconds (digits, optionally negative or with a fraction). A date
// without a zone is UTC; one with an offset is returned in that offset.
//
// precision is the smallest unit present (Year for "2024", Day for
// "2024-05-01", Nanosecond when a fraction is present, Millisecond for epoch
// millis): rounding up fills the components below it (see Ceil).
func ParseDate(s string) (t time.Time, precision Unit, err error) {
	t, precision, isoErr := parseISO(s)
	if isoErr == nil {
		return t, precision, nil
	}
	if t, ok := parseEpochMillis(s); ok {
		return t, Millisecond, nil
	}
	return time.Time{}, 0, fmt.Errorf("date %q: %v; write ISO 8601 (2024-05-01, 2024-05-01T10:00:00Z, 2024-05-01T10:00:00.123+02:00) or epoch milliseconds", s, isoErr)
}

// parseEpochMillis reads -?digits(.digits)? as milliseconds since the epoch.
func parseEpochMillis(s string) (time.Time, bool) {
	body := strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(body, ".")
	if intPart == "" || !allDigits(intPart) || hasFrac && (frac == "" || !allDigits(frac)) {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || ms > 1<<53 {
		return time.Time{}, false
	}
	var ns int64
	if hasFrac {
		f := (frac + "000000")[:6]
		ns, _ = strconv.ParseInt(f, 10, 64)
	}
	if s[0] == '-' {
		ms, ns = -ms, -ns
	}
	return time.Unix(0, 0).UTC().Add(time.Duration(ms)*time.Millisecond + time.Duration(ns)), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isoScanner reads a strict_date_optional_time text left to right.
type isoScanner struct {
	s string
	i int
}

func (p *isoScanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// digits reads exactly n digits.
func (p *isoScanner) digits(n int, what string) (int, error) {
	if p.i+n > len(p.s) || !allDigits(p.s[p.i:p.i+n]) {
		return 0, fmt.Errorf("expected %d-digit %s at offset %d", n, what, p.i)
	}
	v, _ := strconv.Atoi(p.s[p.i : p.i+n])
	p.i += n
	return v, nil
}

func parseISO(s string) (time.Time, Unit, error) {
	p := &isoScanner{s: s}
	year, err := p.digits(4, "year")
	if err != nil {
		return time.Time{}, 0, err
	}
	month, day, hour, minute, sec, nsec := 1, 1, 0, 0, 0, 0
	prec := Year
	loc := time.UTC
	if p.peek() == '-' {
		p.i++
		if month, err = p.digits(2, "month"); err != nil {
			return time.Time{}, 0, err
		}
		prec = Month
		if p.peek() == '-' {
			p.i++
			if day, err = p.digits(2, "day"); err != nil {
				return time.Time{}, 0, err
			}
			prec = Day
		}
	}
	if p.peek() == 'T' && prec == Day {
		p.i++
		if c := p.peek(); c >= '0' && c <= '9' {
			if hour, err = p.digits(2, "hour"); err != nil {
				return time.Time{}, 0, err
			}
			prec = Hour
			if p.peek() == ':' {
				p.i++
				if minute, err = p.digits(2, "minute"); err != nil {
					return time.Time{}, 0, err
				}
				prec = Minute
				if p.peek() == ':' {
					p.i++
					if sec, err = p.digits(2, "second"); err != nil {
						return time.Time{}, 0, err
					}
					prec = Second
					if c := p.peek(); c == '.' || c == ',' {
						p.i++
						start := p.i
						for p.i < len(s) && p.i-start < 9 && s[p.i] >= '0' && s[p.i] <= '9' {
							p.i++
						}
						if p.i == start {
							return time.Time{}, 0, fmt.Errorf("expected a fraction of a second at offset %d", start)
						}
						nsec, _ = strconv.Atoi((s[start:p.i] + "00000000")[:9])
						prec = Nanosecond
					}
				}
			}
		}
		if loc, err = p.zone(); err != nil {
			return time.Time{}, 0, err
		}
	}
	if p.i != len(s) {
		return time.Time{}, 0, fmt.Errorf("unexpected %q at offset %d", s[p.i:], p.i)
	}
	switch {
	case month < 1 || month > 12:
		return time.Time{}, 0, fmt.Errorf("month %02d out of range", month)
	case day < 1 || day > daysIn(year, time.Month(month)):
		return time.Time{}, 0, fmt.Errorf("day %02d out of range for %04d-%02d", day, year, month)
	case hour > 23:
		return time.Time{}, 0, fmt.Errorf("hour %02d out of range", hour)
	case minute > 59:
		return time.Time{}, 0, fmt.Errorf("minute %02d out of range", minute)
	case sec > 59:
		return time.Time{}, 0, fmt.Errorf("second %02d out of range", sec)
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), prec, nil
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// zone reads an optional Z, ±hh, ±hh:mm, ±hh:mm:ss or ±hhmm.
func (p *isoScanner) zone() (*time.Location, error) {
	c := p.peek()
	if c == 'Z' {
		p.i++
		return time.UTC, nil
	}
	if c != '+' && c != '-' {
		return time.UTC, nil
	}
	p.i++
	h, err := p.digits(2, "zone hour")
	if err != nil {
		return nil, err
	}
	m, sec := 0, 0
	switch {
	case p.peek() == ':':
		p.i++
		if m, err = p.digits(2, "zone minute"); err != nil {
			return nil, err
		}
		if p.peek() == ':' {
			p.i++
			if sec, err = p.digits(2, "zone second"); err != nil {
				return nil, err
			}
		}
	case p.i+2 <= len(p.s) && allDigits(p.s[p.i:p.i+2]):
		m, _ = p.digits(2, "zone minute") // ±hhmm
	}
	if h > 18 || m > 59 || sec > 59 || h == 18 && m+sec > 0 {
		return nil, errors.New("zone offset out of range (at most ±18:00)")
	}
	off := h*3600 + m*60 + sec
	if c == '-' {
		off = -off
	}
	if off == 0 {
		return time.UTC, nil
	}
	return time.FixedZone("", off), nil
}

// op is one date-math operation: add n units, or round to the unit.
type op struct {
	round bool
	n     int // signed; 0 for rounding
	unit  Unit
}

// Expr is a parsed date-math expression: an anchor (now, or a date) and
// operations applied to it in order. The zero Expr is not valid; use Parse.
type Expr struct {
	now    bool
	anchor time.Time
	prec   Unit
	text   string // the anchor as written
	math   bool   // the date anchor is followed by "||"
	ops    []op
}

// Parse reads date math: "now" followed by operations, a date followed by
// "||" and operations, or a plain date (see ParseDate). Operations are +N<unit>,
// -N<unit> (N defaults to 1) and /<unit>, with units y M w d h H m s.
func Parse(s string) (Expr, error) {
	var e Expr
	var math string
	switch {
	case strings.HasPrefix(s, "now"):
		e.now, e.text, math = true, "now", s[3:]
	default:
		anchor, rest, found := strings.Cut(s, "||")
		if anchor == "" {
			return Expr{}, fmt.Errorf("date math %q: missing date; write now, a date such as 2024-05-01, or a date followed by || and operations", s)
		}
		t, prec, err := ParseDate(anchor)
		if err != nil {
			return Expr{}, err
		}
		e.anchor, e.prec, e.text, e.math = t, prec, anchor, found
		math = rest
	}
	for i := 0; i < len(math); {
		c := math[i]
		i++
		var o op
		sign := 1
		switch c {
		case '/':
			o.round = true
		case '+':
		case '-':
			sign = -1
		default:
			return Expr{}, fmt.Errorf("date math %q: unexpected %q; operations are +N<unit>, -N<unit> or /<unit>, e.g. now-5m or now/d", s, string(c))
		}
		start := i
		for i < len(math) && math[i] >= '0' && math[i] <= '9' {
			i++
		}
		n := 1
		if i > start {
			if o.round {
				return Expr{}, fmt.Errorf("date math %q: rounding takes a unit without a number; write e.g. /d", s)
			}
			v, err := strconv.ParseInt(math[start:i], 10, 32)
			if err != nil {
				return Expr{}, fmt.Errorf("date math %q: number %s is too large", s, math[start:i])
			}
			n = int(v)
		}
		if i >= len(math) {
			return Expr{}, fmt.Errorf("date math %q: missing unit at the end; %s", s, unitHelp)
		}
		u, ok := mathUnit(math[i])
		if !ok {
			return Expr{}, fmt.Errorf("date math %q: unknown unit %q; %s", s, unitText(math[i:]), unitHelp)
		}
		i++
		if !o.round {
			o.n = sign * n
		}
		o.unit = u
		e.ops = append(e.ops, o)
	}
	return e, nil
}

// unitText returns the unit character at the start of s (a whole rune).
func unitText(s string) string {
	for _, r := range s {
		return string(r)
	}
	return s
}

// IsNowRelative reports whether the expression depends on the current time.
func (e Expr) IsNowRelative() bool { return e.now }

// String returns the expression in canonical form (operations with explicit
// numbers: now+d is now+1d). Parse(e.String()) gives the same expression.
func (e Expr) String() string {
	var b strings.Builder
	b.WriteString(e.text)
	if e.math {
		b.WriteString("||")
	}
	for _, o := range e.ops {
		switch {
		case o.round:
			b.WriteByte('/')
		case o.n < 0:
			fmt.Fprintf(&b, "-%d", -o.n)
		default:
			fmt.Fprintf(&b, "+%d", o.n)
		}
		b.WriteString(o.unit.String())
	}
	return b.String()
}

// Resolve evaluates the expression at now, as a bound of a range: roundUp
// is true for gt and lte (and for the upper end of a date equality), false
// for gte and lt. Rounding up applies to rounding operations (/d: the last
// millisecond of the day) and to the missing components of a plain date
// (2024-05-01: the last instant of the day). As in Elasticsearch, a date
// anchor followed by "||" is read without rounding up; now has millisecond
// precision. The result is in UTC.
func (e Expr) Resolve(now time.Time, roundUp bool) time.Time {
	var t time.Time
	switch {
	case e.now:
		t = Floor(now.UTC(), Millisecond)
	case !e.math:
		if roundUp {
			return Ceil(e.anchor, e.prec).UTC()
		}
		return e.anchor.UTC()
	default:
		t = e.anchor.UTC()
	}
	for _, o := range e.ops {
		if o.round {
			t = Floor(t, o.unit)
			if roundUp {
				t = next(t, o.unit).Add(-time.Millisecond)
			}
			continue
		}
		t = add(t, o.n, o.unit)
	}
	return t
}

// add adds n units as java.time does: months and years keep the day of the
// month, clamped to the month's last day (Jan 31 + 1M = Feb 28 or 29).
func add(t time.Time, n int, u Unit) time.Time {
	switch u {
	case Year:
		return addMonths(t, 12*n)
	case Month:
		return addMonths(t, n)
	case Week:
		return t.AddDate(0, 0, 7*n)
	case Day:
		return t.AddDate(0, 0, n)
	case Hour:
		return addSeconds(t, int64(n)*3600)
	case Minute:
		return addSeconds(t, int64(n)*60)
	case Second:
		return addSeconds(t, int64(n))
	}
	return t
}

func addSeconds(t time.Time, s int64) time.Time {
	return time.Unix(t.Unix()+s, int64(t.Nanosecond())).In(t.Location())
}

func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	total := int(m) - 1 + n
	y += total / 12
	mm := total % 12
	if mm < 0 {
		mm += 12
		y--
	}
	month := time.Month(mm + 1)
	if dim := daysIn(y, month); d > dim {
		d = dim
	}
	return time.Date(y, month, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// ParseInterval reads a rule interval: a positive number and one of the units
// s, m, h, d ("30s", "5m", "1h", "1d").
func ParseInterval(s string) (time.Duration, error) {
	if len(s) < 2 || !allDigits(s[:len(s)-1]) {
		return 0, fmt.Errorf("interval %q: write a number and a unit s, m, h or d, e.g. \"5m\"", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	default:
		return 0, fmt.Errorf("interval %q: unknown unit %q; use s, m, h or d, e.g. \"5m\"", s, unitText(s[len(s)-1:]))
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n > int64(1<<62)/int64(unit) {
		return 0, fmt.Errorf("interval %q: too long", s)
	}
	if n == 0 {
		return 0, fmt.Errorf("interval %q: must be longer than zero", s)
	}
	return time.Duration(n) * unit, nil
}
