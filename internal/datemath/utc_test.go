package datemath

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestParseUTCIsTimeParse checks ParseUTC against time.Parse over texts
// near its form: every text of the form with a '.' fraction (or none) is
// valid exactly when time.Parse takes it, with the same fields.
func TestParseUTCIsTimeParse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := "0123456789-T:.,Z z"
	valid := 0
	for range 200000 {
		b := []byte(fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", r.IntN(10000), r.IntN(14), r.IntN(33), r.IntN(26), r.IntN(62), r.IntN(62)))
		if r.IntN(2) == 0 {
			b = append(b, ".,"[r.IntN(2)])
			for range r.IntN(11) {
				b = append(b, byte('0'+r.IntN(10)))
			}
		}
		b = append(b, 'Z')
		if r.IntN(4) == 0 {
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(b)
		u, form, ok := ParseUTC(s)
		if !form {
			if ok {
				t.Fatalf("ParseUTC(%q): valid but not of the form", s)
			}
			continue
		}
		if u.Sep == ',' || len(u.Frac) > 9 {
			continue // time.Parse's RFC 3339 reads neither the same way
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok != (err == nil) {
			t.Fatalf("ParseUTC(%q) valid %v; time.Parse: %v", s, ok, err)
		}
		if !ok {
			continue
		}
		valid++
		got := time.Date(u.Year, time.Month(u.Month), u.Day, u.Hour, u.Minute, u.Second, u.Nanos(), time.UTC)
		if !got.Equal(want) {
			t.Fatalf("ParseUTC(%q) = %v, time.Parse %v", s, got, want)
		}
	}
	if valid < 30000 {
		t.Errorf("only %d valid texts: the test no longer checks the fields", valid)
	}
}
