package match

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
)

// parseDateNanos is what KeyExpr.Time made of a text before utcNanos:
// the general parser, then nanoseconds within the years int64 holds.
func parseDateNanos(s string) (int64, bool) {
	t, _, err := datemath.ParseDate(s)
	if err != nil {
		return 0, false
	}
	if y := t.Year(); y < 1678 || y > 2261 {
		return 0, false
	}
	return t.UnixNano(), true
}

// utcNanosCases are texts of utcNanos's shape and near it: each field at
// and past its bounds, leap days, fractions of every length, other
// separators and zones.
func utcNanosCases() []string {
	out := []string{
		"2026-03-12T00:01:45.417Z", "2026-03-12T00:01:45Z", "2026-03-12T00:01:45,5Z", "2026-03-12T00:01:45.Z",
		"2026-03-12T00:01:45.123456789Z", "2026-03-12T00:01:45.1234567890Z", "2026-03-12T00:01:45.12a4Z",
		"2026-03-12T00:01:45.417+00:00", "2026-03-12T00:01:45.417", "2026-03-12 00:01:45.417Z", "2026-03-12T00:01Z",
		"2026-03-12T00:01:45.417ZZ", "2026-03-12T00:01:45:417Z", "2026-3-12T00:01:45.417Z", "+026-03-12T00:01:45Z",
		"-026-03-12T00:01:45Z", "2026-03-12T00:01:4 Z", "２026-03-12T00:01:45Z", "2026-03-12T00:01:45\u00a0Z",
		"1677-12-31T23:59:59.999Z", "1678-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999999999Z",
		"2261-12-31T23:59:59.999999999Z", "2262-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"0400-02-29T00:00:00Z", "1700-02-29T00:00:00Z", "1600-02-29T00:00:00Z", "2000-02-29T12:00:00Z",
		"2100-02-29T12:00:00Z", "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z",
	}
	for _, f := range []string{"", ".1", ".12", ".123", ".1234", ".12345", ".123456", ".1234567", ".12345678", ".123456789", ".0123456789"} {
		out = append(out, "2026-03-12T00:01:45"+f+"Z")
	}
	for m := 0; m <= 13; m++ {
		for _, d := range []int{0, 1, 28, 29, 30, 31, 32} {
			for _, y := range []int{1678, 1900, 1999, 2000, 2001, 2024, 2100, 2261} {
				out = append(out, fmt.Sprintf("%04d-%02d-%02dT12:00:00Z", y, m, d))
			}
		}
	}
	for _, hms := range []string{"00:00:00", "23:59:59", "24:00:00", "23:60:00", "23:59:60", "99:99:99", "0a:00:00"} {
		out = append(out, "2026-03-12T"+hms+".5Z")
	}
	return out
}

// TestUTCNanos checks utcNanos against the general parser on texts of its
// shape and near it, and that it reads the common texts itself.
func TestUTCNanos(t *testing.T) {
	for _, s := range utcNanosCases() {
		ns, ok, done := utcNanos(s)
		if !done {
			continue
		}
		wantNs, wantOK := parseDateNanos(s)
		if ns != wantNs || ok != wantOK {
			t.Errorf("utcNanos(%q) = %d, %v; the general parser: %d, %v", s, ns, ok, wantNs, wantOK)
		}
	}
	for _, s := range []string{"2026-03-12T00:01:45.417Z", "2026-03-12T00:01:45Z", "1970-01-01T00:00:00.000000001Z"} {
		if _, ok, done := utcNanos(s); !done || !ok {
			t.Errorf("utcNanos(%q): done %v, ok %v, want both", s, done, ok)
		}
	}
}

// TestKeyTimeFastPath reads timestamps through KeyExpr.Time: the text
// utcNanos reads, the first value of a field only, numbers and other
// texts through the general parser.
func TestKeyTimeFastPath(t *testing.T) {
	schema := ecs.NewSchema(map[string]ecs.Type{"ts": ecs.Date})
	plan := event.NewPlan()
	k, err := CompileEQLKey(&eql.Field{Path: []string{"ts"}}, EQLOptions{Options: Options{Schema: schema, Plan: plan}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ts   string
		want string // nanoseconds, or "" for none
	}{
		{`"2026-03-12T00:01:45.417Z"`, "1773273705417000000"},
		{`["2026-03-12T00:01:45.417Z", "2027-01-01T00:00:00Z"]`, "1773273705417000000"},
		{`[true, "2026-03-12T00:01:45Z"]`, "1773273705000000000"},
		{`[1000, "2026-03-12T00:01:45Z"]`, "1000000000"},
		{`["1000000", "2026-03-12T00:01:45Z"]`, "1000000000000"},
		{`["2026-02-30T00:01:45Z", "2026-03-12T00:01:45Z"]`, ""},
		{`"2026-03-12T01:01:45.417+01:00"`, "1773273705417000000"},
		{`"2262-03-12T00:01:45Z"`, ""},
		{`null`, ""},
	} {
		ev := event.New([]byte(`{"ts":`+tt.ts+`}`), plan)
		ns, ok := k.Time(ev)
		got := ""
		if ok {
			got = strconv.FormatInt(ns, 10)
		}
		if got != tt.want {
			t.Errorf("Time of ts %s = %q, want %q", tt.ts, got, tt.want)
		}
	}
}

// FuzzUTCNanos compares utcNanos with the general parser on any text it
// reads.
func FuzzUTCNanos(f *testing.F) {
	for _, s := range utcNanosCases() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, ok, done := utcNanos(s)
		if !done {
			return
		}
		if wantNs, wantOK := parseDateNanos(s); ns != wantNs || ok != wantOK {
			t.Errorf("utcNanos(%q) = %d, %v; the general parser: %d, %v", s, ns, ok, wantNs, wantOK)
		}
	})
}
