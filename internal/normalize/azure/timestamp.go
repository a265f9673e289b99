package azure

import "github.com/vigil-project/vigil/internal/datemath"

// appendZulu appends, as appendTimestamp(dst, parseTime(s)) would, the
// @timestamp of s when s is a UTC time as Azure writes it:
// "2006-01-02T15:04:05Z" with or without a fraction of any length. False
// (dst unchanged) for any other text, which parseTime then judges: the
// digits are checked against the same ranges as time.Parse's (months,
// the month's days with leap years, hours, minutes, seconds 0 to 59), so
// that a text this takes is one time.Parse takes as the same instant.
// Without time.Time the common case costs a few dozen instructions, not
// the parse, the calendar's arithmetic and the formatting. The form and
// ranges are datemath.ParseUTC's, which the rules' time readers share.
func appendZulu(dst []byte, s string) ([]byte, bool) {
	t, form, valid := datemath.ParseUTC(s)
	if !form || !valid || t.Sep == ',' {
		return dst, false
	}
	// The milliseconds: the fraction's first three digits, zeros after
	// a shorter one (a truncation, as Nanosecond()/1e6).
	ms := [3]byte{'0', '0', '0'}
	copy(ms[:], t.Frac)
	dst = append(dst, '"')
	dst = append(dst, s[:19]...)
	return append(dst, '.', ms[0], ms[1], ms[2], 'Z', '"'), true
}
