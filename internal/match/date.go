package match

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/kql"
)

// unit is a date precision or a date-math unit.
type unit byte

// dateLayouts are strict_date_optional_time's forms, with the unit of the
// last component present (what a missing-component rounding rounds to).
var dateLayouts = []struct {
	layout string
	prec   unit
}{
	{"2006", 'y'}, {"2006-01", 'M'}, {"2006-01-02", 'd'}, {"2006-01-02T15", 'h'},
	{"2006-01-02T15:04", 'm'}, {"2006-01-02T15:04:05", 's'}, {"2006-01-02T15:04:05.999999999", 'S'},
}

// parseDate reads an ISO 8601 date (any precision, optional fraction and
// zone; no zone is UTC) or epoch milliseconds.
func parseDate(s string) (time.Time, unit, error) {
	s = strings.TrimSpace(s)
	if s != "" && strings.Trim(s, "0123456789") == "" && len(s) > 4 {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return time.UnixMilli(ms).UTC(), 'S', nil
		}
	}
	body, zone := s, time.UTC
	if strings.HasSuffix(body, "Z") || strings.HasSuffix(body, "z") {
		body = body[:len(body)-1]
	} else if i := strings.LastIndexAny(body, "+-"); i > 10 && strings.Contains(body, "T") {
		off := strings.ReplaceAll(body[i+1:], ":", "")
		if len(off) == 4 || len(off) == 2 {
			h, _ := strconv.Atoi(off[:2])
			m := 0
			if len(off) == 4 {
				m, _ = strconv.Atoi(off[2:])
			}
			secs := h*3600 + m*60
			if body[i] == '-' {
				secs = -secs
			}
			zone = time.FixedZone("", secs)
			body = body[:i]
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l.layout, body, zone); err == nil {
			return t.UTC(), l.prec, nil
		}
	}
	return time.Time{}, 0, fmt.Errorf("%q is not a date: write ISO 8601 (2024-05-01, 2024-05-01T10:00:00Z) or epoch milliseconds", s)
}

// roundDown/roundUp give the first and last instant of the unit holding t
// (ES rounds up to the last millisecond).
func roundDown(t time.Time, u unit) time.Time {
	switch u {
	case 'y':
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	case 'M':
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	case 'w':
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case 'd':
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case 'h', 'H':
		return t.Truncate(time.Hour)
	case 'm':
		return t.Truncate(time.Minute)
	case 's':
		return t.Truncate(time.Second)
	}
	return t
}

func roundUp(t time.Time, u unit) time.Time {
	d := roundDown(t, u)
	var next time.Time
	switch u {
	case 'y':
		next = d.AddDate(1, 0, 0)
	case 'M':
		next = d.AddDate(0, 1, 0)
	case 'w':
		next = d.AddDate(0, 0, 7)
	case 'd':
		next = d.AddDate(0, 0, 1)
	case 'h', 'H':
		next = d.Add(time.Hour)
	case 'm':
		next = d.Add(time.Minute)
	case 's':
		next = d.Add(time.Second)
	default:
		return t
	}
	return next.Add(-time.Millisecond)
}

// dateExpr is a parsed date-math value: an anchor (now or a date) and
// operations (+1d, -5m, /d).
type dateExpr struct {
	now  bool
	t    time.Time
	prec unit
	ops  []dateOp
}

type dateOp struct {
	round bool
	n     int
	u     unit
}

func parseDateMath(s string) (dateExpr, error) {
	s = strings.TrimSpace(s)
	var e dateExpr
	rest := ""
	switch {
	case strings.HasPrefix(s, "now"):
		e.now = true
		rest = s[3:]
	default:
		anchor := s
		if i := strings.Index(s, "||"); i >= 0 {
			anchor, rest = s[:i], s[i+2:]
		}
		t, p, err := parseDate(anchor)
		if err != nil {
			return e, err
		}
		e.t, e.prec = t, p
	}
	for rest != "" {
		op := dateOp{}
		switch rest[0] {
		case '/':
			op.round = true
			rest = rest[1:]
		case '+', '-':
			sign := 1
			if rest[0] == '-' {
				sign = -1
			}
			rest = rest[1:]
			i := 0
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			n := 1
			if i > 0 {
				n, _ = strconv.Atoi(rest[:i])
			}
			op.n = sign * n
			rest = rest[i:]
		default:
			return e, fmt.Errorf("date math %q: unexpected %q; write e.g. now-5m, now/d or 2024-01-01||+1M", s, rest[:1])
		}
		if rest == "" || !strings.ContainsRune("yMwdhHms", rune(rest[0])) {
			return e, fmt.Errorf("date math %q: missing or unknown unit; use one of y M w d h H m s", s)
		}
		op.u = unit(rest[0])
		rest = rest[1:]
		e.ops = append(e.ops, op)
	}
	return e, nil
}

// resolve evaluates the expression; up selects rounding up (gt, lte) for
// rounding operations and for missing date components.
func (e dateExpr) resolve(now time.Time, up bool) time.Time {
	t := e.t
	if e.now {
		t = now.UTC()
	} else if e.prec != 'S' && len(e.ops) == 0 {
		if up {
			return roundUp(t, e.prec)
		}
		return roundDown(t, e.prec)
	}
	for _, op := range e.ops {
		if op.round {
			if up {
				t = roundUp(t, op.u)
			} else {
				t = roundDown(t, op.u)
			}
			continue
		}
		switch op.u {
		case 'y':
			t = t.AddDate(op.n, 0, 0)
		case 'M':
			t = t.AddDate(0, op.n, 0)
		case 'w':
			t = t.AddDate(0, 0, 7*op.n)
		case 'd':
			t = t.AddDate(0, 0, op.n)
		case 'h', 'H':
			t = t.Add(time.Duration(op.n) * time.Hour)
		case 'm':
			t = t.Add(time.Duration(op.n) * time.Minute)
		case 's':
			t = t.Add(time.Duration(op.n) * time.Second)
		}
	}
	return t
}

// dateBound compiles a date literal to a function giving its bound at
// evaluation time (date math with now is resolved per evaluation).
func (c *compiler) dateBound(l *kql.Literal, path string, up bool) (func() time.Time, error) {
	e, err := parseDateMath(l.Text())
	if err != nil {
		return nil, c.errorf(l.At, "", "%s is a date field: %v", path, err)
	}
	if !e.now {
		t := e.resolve(time.Time{}, up)
		return func() time.Time { return t }, nil
	}
	if c.opts.Now == nil {
		return nil, c.errorf(l.At, "", "the query uses now, but no clock was given to the compiler")
	}
	now := c.opts.Now
	return func() time.Time { return e.resolve(now(), up) }, nil
}
