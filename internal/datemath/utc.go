package datemath

// UTC is a date and time ParseUTC read, its fields as written.
type UTC struct {
	Year, Month, Day, Hour, Minute, Second int
	// Frac is the fraction's digits (none: ""), Sep the byte before
	// them ('.' or ','; 0 without a fraction).
	Frac string
	Sep  byte
}

// ParseUTC reads s when it is a UTC date and time as most logs write
// them: yyyy-MM-ddTHH:mm:ss, then a '.' or ',' and one or more digits or
// nothing, then Z. form is false for any other text; valid is false for
// one of that form with a field out of the ranges time.Parse checks
// (months, the month's days with leap years, hours, minutes, seconds to
// 59). It is the fast path several readers share: each decides what its
// own general parser makes of the rest (a comma, a long fraction, a year
// out of its range).
func ParseUTC(s string) (t UTC, form, valid bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[len(s)-1] != 'Z' ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return UTC{}, false, false
	}
	if frac := s[19 : len(s)-1]; frac != "" {
		if frac[0] != '.' && frac[0] != ',' || len(frac) < 2 {
			return UTC{}, false, false
		}
		for i := 1; i < len(frac); i++ {
			if frac[i] < '0' || frac[i] > '9' {
				return UTC{}, false, false
			}
		}
		t.Sep, t.Frac = frac[0], frac[1:]
	}
	two := func(i int) int {
		a, b := s[i]-'0', s[i+1]-'0'
		if a > 9 || b > 9 {
			return -1
		}
		return int(a)*10 + int(b)
	}
	hi, lo := two(0), two(2)
	t.Month, t.Day, t.Hour, t.Minute, t.Second = two(5), two(8), two(11), two(14), two(17)
	if hi < 0 || lo < 0 || t.Month < 0 || t.Day < 0 || t.Hour < 0 || t.Minute < 0 || t.Second < 0 {
		return UTC{}, false, false
	}
	t.Year = hi*100 + lo
	valid = t.Month >= 1 && t.Month <= 12 && t.Day >= 1 && t.Day <= DaysInMonth(t.Year, t.Month) &&
		t.Hour <= 23 && t.Minute <= 59 && t.Second <= 59
	return t, true, valid
}

// Nanos is the fraction as nanoseconds: its first nine digits.
func (t UTC) Nanos() int {
	n, scale := 0, 100_000_000
	for i := 0; i < len(t.Frac) && i < 9; i++ {
		n += int(t.Frac[i]-'0') * scale
		scale /= 10
	}
	return n
}

// DaysInMonth is the number of days of month (1 to 12) in year, of the
// proleptic Gregorian calendar.
func DaysInMonth(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
