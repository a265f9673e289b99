package datemath

import (
	"strings"
	"testing"
	"time"
)

const iso = "2006-01-02T15:04:05.000000000Z07:00"

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 instant
		prec Unit
	}{
		{"2024", "2024-01-01T00:00:00Z", Year},
		{"2024-05", "2024-05-01T00:00:00Z", Month},
		{"2024-05-01", "2024-05-01T00:00:00Z", Day},
		{"2024-05-01T", "2024-05-01T00:00:00Z", Day},
		{"2024-05-01T10", "2024-05-01T10:00:00Z", Hour},
		{"2024-05-01T10:30", "2024-05-01T10:30:00Z", Minute},
		{"2024-05-01T10:30:15", "2024-05-01T10:30:15Z", Second},
		{"2024-05-01T10:30:15.5", "2024-05-01T10:30:15.5Z", Nanosecond},
		{"2024-05-01T10:30:15,123", "2024-05-01T10:30:15.123Z", Nanosecond},
		{"2024-05-01T10:30:15.123456789Z", "2024-05-01T10:30:15.123456789Z", Nanosecond},
		{"2024-05-01T10:30:15Z", "2024-05-01T10:30:15Z", Second},
		{"2024-05-01T10:30:15+02:00", "2024-05-01T08:30:15Z", Second},
		{"2024-05-01T10:30:15-0130", "2024-05-01T12:00:15Z", Second},
		{"2024-05-01T10+05", "2024-05-01T05:00:00Z", Hour},
		{"2024-02-29", "2024-02-29T00:00:00Z", Day},
		{"1714521600000", "2024-05-01T00:00:00Z", Millisecond},
		{"1714521600000.5", "2024-05-01T00:00:00.0005Z", Millisecond},
		{"-1000", "1969-12-31T23:59:59Z", Millisecond},
		{"12345", "1970-01-01T00:00:12.345Z", Millisecond},
		{"0", "1970-01-01T00:00:00Z", Millisecond},
		{"24", "1970-01-01T00:00:00.024Z", Millisecond}, // not a year: strict years have 4 digits
	}
	for _, tt := range tests {
		got, prec, err := ParseDate(tt.in)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(utc(tt.want)) || prec != tt.prec {
			t.Errorf("ParseDate(%q) = %s, %v; want %s, %v", tt.in, got.UTC().Format(iso), prec, tt.want, tt.prec)
		}
	}
}

func TestParseDateErrors(t *testing.T) {
	for _, in := range []string{
		"", "2024-5-01", "2024-13-01", "2023-02-29", "2024-05-01T24", "2024-05-01T10:60",
		"2024-05-01T10:00:60", "2024-05-01 10:00", "2024-05-01T10:00:00.", "2024-05-01Z",
		"2024-05-01T10:00:00z", "2024-05-01T10:00:00+19:00", "2024-05-01T10:00:00.1234567890",
		"now", "abc", "1.", "--1", "2024-05-01T10:00:00 ", " 2024", "2024-05-01T10:00:00+02:00x",
	} {
		if got, _, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) = %v; want an error", in, got)
		} else if !strings.Contains(err.Error(), "ISO 8601") {
			t.Errorf("ParseDate(%q) error %q does not say what to write", in, err)
		}
	}
}

func TestResolve(t *testing.T) {
	now := utc("2024-05-15T13:45:30.123456789Z") // a Wednesday
	tests := []struct {
		expr     string
		down, up string // Resolve(now, false), Resolve(now, true)
	}{
		{"now", "2024-05-15T13:45:30.123Z", "2024-05-15T13:45:30.123Z"},
		{"now-5m", "2024-05-15T13:40:30.123Z", "2024-05-15T13:40:30.123Z"},
		{"now-25m", "2024-05-15T13:20:30.123Z", "2024-05-15T13:20:30.123Z"},
		{"now+1h", "2024-05-15T14:45:30.123Z", "2024-05-15T14:45:30.123Z"},
		{"now+h", "2024-05-15T14:45:30.123Z", "2024-05-15T14:45:30.123Z"},
		{"now-1H", "2024-05-15T12:45:30.123Z", "2024-05-15T12:45:30.123Z"},
		{"now-30s", "2024-05-15T13:45:00.123Z", "2024-05-15T13:45:00.123Z"},
		{"now/d", "2024-05-15T00:00:00Z", "2024-05-15T23:59:59.999Z"},
		{"now/M", "2024-05-01T00:00:00Z", "2024-05-31T23:59:59.999Z"},
		{"now/y", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999Z"},
		{"now/w", "2024-05-13T00:00:00Z", "2024-05-19T23:59:59.999Z"},
		{"now/h", "2024-05-15T13:00:00Z", "2024-05-15T13:59:59.999Z"},
		{"now/m", "2024-05-15T13:45:00Z", "2024-05-15T13:45:59.999Z"},
		{"now/s", "2024-05-15T13:45:30Z", "2024-05-15T13:45:30.999Z"},
		{"now-1d/d", "2024-05-14T00:00:00Z", "2024-05-14T23:59:59.999Z"},
		{"now/d+1d", "2024-05-16T00:00:00Z", "2024-05-16T23:59:59.999Z"},
		{"now-2w", "2024-05-01T13:45:30.123Z", "2024-05-01T13:45:30.123Z"},
		{"now+1y-2M", "2025-03-15T13:45:30.123Z", "2025-03-15T13:45:30.123Z"},
		// Plain dates: missing components round.
		{"2024-05-01", "2024-05-01T00:00:00Z", "2024-05-01T23:59:59.999999999Z"},
		{"2024", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999999999Z"},
		{"2024-02", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59.999999999Z"},
		{"2024-05-01T10", "2024-05-01T10:00:00Z", "2024-05-01T10:59:59.999999999Z"},
		{"2024-05-01T10:30", "2024-05-01T10:30:00Z", "2024-05-01T10:30:59.999999999Z"},
		{"2024-05-01T10:30:15", "2024-05-01T10:30:15Z", "2024-05-01T10:30:15.999999999Z"},
		{"2024-05-01T10:30:15.5", "2024-05-01T10:30:15.5Z", "2024-05-01T10:30:15.5Z"},
		{"2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.999999999Z"},
		{"2024-05-01T10:30+05:30", "2024-05-01T05:00:00Z", "2024-05-01T05:00:59.999999999Z"},
		{"1714521600000", "2024-05-01T00:00:00Z", "2024-05-01T00:00:00.000999999Z"},
		// Date anchors with ||: the anchor itself never rounds up.
		{"2024-01-01||", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"},
		{"2024-01-01||+1M/d", "2024-02-01T00:00:00Z", "2024-02-01T23:59:59.999Z"},
		{"2024-01-31||+1M", "2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2023-01-31||+1M", "2023-02-28T00:00:00Z", "2023-02-28T00:00:00Z"},
		{"2024-02-29||+1y", "2025-02-28T00:00:00Z", "2025-02-28T00:00:00Z"},
		{"2024-03-31||-1M", "2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2024-01-15||-13M", "2022-12-15T00:00:00Z", "2022-12-15T00:00:00Z"},
		{"2024-05-01T10:00:00+02:00||/d", "2024-05-01T00:00:00Z", "2024-05-01T23:59:59.999Z"},
		{"2024-05-01T01:00:00+02:00||/d", "2024-04-30T00:00:00Z", "2024-04-30T23:59:59.999Z"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		if got := e.Resolve(now, false); !got.Equal(utc(tt.down)) {
			t.Errorf("Parse(%q).Resolve(now, false) = %s; want %s", tt.expr, got.Format(iso), tt.down)
		}
		if got := e.Resolve(now, true); !got.Equal(utc(tt.up)) {
			t.Errorf("Parse(%q).Resolve(now, true) = %s; want %s", tt.expr, got.Format(iso), tt.up)
		}
		if got := e.Resolve(now, true); got.Location() != time.UTC {
			t.Errorf("Parse(%q).Resolve: location %v; want UTC", tt.expr, got.Location())
		}
		if e.IsNowRelative() != strings.HasPrefix(tt.expr, "now") {
			t.Errorf("Parse(%q).IsNowRelative() = %v", tt.expr, e.IsNowRelative())
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"now", "now"},
		{"now-5m", "now-5m"},
		{"now+d", "now+1d"},
		{"now-1d/d", "now-1d/d"},
		{"now/w", "now/w"},
		{"now-1H", "now-1h"},
		{"2024-01-01||+1M/d", "2024-01-01||+1M/d"},
		{"2024-01-01||", "2024-01-01||"},
		{"2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"},
		{"1714521600000", "1714521600000"},
	}
	now := utc("2024-05-15T13:45:30Z")
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q; want %q", tt.in, got, tt.want)
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Errorf("Parse(%q): %v", e.String(), err)
			continue
		}
		for _, up := range []bool{false, true} {
			if !again.Resolve(now, up).Equal(e.Resolve(now, up)) {
				t.Errorf("%q and its canonical form %q resolve differently", tt.in, e.String())
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"now-5x", `date math "now-5x": unknown unit "x"; use one of y M w d h H m s`},
		{"now-5", `date math "now-5": missing unit at the end; use one of y M w d h H m s`},
		{"now-", `date math "now-": missing unit at the end`},
		{"now/2d", `rounding takes a unit without a number`},
		{"now*2", `unexpected "*"`},
		{"nowish", `unexpected "i"`},
		{"now-99999999999d", `too large`},
		{"now-5µ", `unknown unit "µ"`},
		{"2024-01-01+1d", `date "2024-01-01+1d"`},
		{"||+1d", `missing date`},
		{"", `missing date`},
		{"yesterday", `date "yesterday"`},
		{"2024-01-01||+1d/q", `unknown unit "q"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v; want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestParseInterval(t *testing.T) {
	good := map[string]time.Duration{
		"5m": 5 * time.Minute, "1h": time.Hour, "30s": 30 * time.Second, "1d": 24 * time.Hour, "90m": 90 * time.Minute,
	}
	for in, want := range good {
		if got, err := ParseInterval(in); err != nil || got != want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "5", "5M", "5w", "-5m", "+5m", "5 m", "0m", "1.5h", "99999999999999999999d", "999999999999d"} {
		if got, err := ParseInterval(in); err == nil {
			t.Errorf("ParseInterval(%q) = %v; want an error", in, got)
		}
	}
}

func TestFloorCeil(t *testing.T) {
	tm := utc("2024-12-31T23:59:59.123456789Z") // a Tuesday
	tests := []struct {
		u           Unit
		floor, ceil string
	}{
		{Year, "2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999999999Z"},
		{Month, "2024-12-01T00:00:00Z", "2024-12-31T23:59:59.999999999Z"},
		{Week, "2024-12-30T00:00:00Z", "2025-01-05T23:59:59.999999999Z"},
		{Day, "2024-12-31T00:00:00Z", "2024-12-31T23:59:59.999999999Z"},
		{Hour, "2024-12-31T23:00:00Z", "2024-12-31T23:59:59.999999999Z"},
		{Minute, "2024-12-31T23:59:00Z", "2024-12-31T23:59:59.999999999Z"},
		{Second, "2024-12-31T23:59:59Z", "2024-12-31T23:59:59.999999999Z"},
		{Millisecond, "2024-12-31T23:59:59.123Z", "2024-12-31T23:59:59.123999999Z"},
		{Nanosecond, "2024-12-31T23:59:59.123456789Z", "2024-12-31T23:59:59.123456789Z"},
	}
	for _, tt := range tests {
		if got := Floor(tm, tt.u); !got.Equal(utc(tt.floor)) {
			t.Errorf("Floor(%v) = %s; want %s", tt.u, got.Format(iso), tt.floor)
		}
		if got := Ceil(tm, tt.u); !got.Equal(utc(tt.ceil)) {
			t.Errorf("Ceil(%v) = %s; want %s", tt.u, got.Format(iso), tt.ceil)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"now-5m/d", "2024-01-01||+1M/d", "2024-05-01T10:00:00.5+02:00", "1714521600000", "now+99y", "2024-05-01T10-0130||-3w/w"} {
		f.Add(s)
	}
	now := utc("2024-05-15T13:45:30Z")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q fails: %v", s, e.String(), err)
		}
		for _, up := range []bool{false, true} {
			if a, b := e.Resolve(now, up), again.Resolve(now, up); !a.Equal(b) {
				t.Fatalf("%q resolves to %v, its canonical form %q to %v", s, a, e.String(), b)
			}
		}
		if e.Resolve(now, false).After(e.Resolve(now, true)) {
			t.Fatalf("%q: rounding down gives a later time than rounding up", s)
		}
	})
}

func BenchmarkParseDate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseDate("2024-05-01T10:30:15.123456Z"); err != nil {
			b.Fatal(err)
		}
	}
}
