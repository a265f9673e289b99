package azure

// appendZulu appends, as appendTimestamp(dst, parseTime(s)) would, the
// @timestamp of s when s is a UTC time as Azure writes it:
// "2006-01-02T15:04:05Z" with or without a fraction of any length. False
// (dst unchanged) for any other text, which parseTime then judges: the
// digits are checked against the same ranges as time.Parse's (months,
// the month's days with leap years, hours, minutes, seconds 0 to 59), so
// that a text this takes is one time.Parse takes as the same instant.
// Without time.Time the common case costs a few dozen instructions, not
// the parse, the calendar's arithmetic and the formatting.
func appendZulu(dst []byte, s string) ([]byte, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[len(s)-1] != 'Z' ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return dst, false
	}
	frac := s[19 : len(s)-1]
	if len(frac) > 0 {
		if len(frac) < 2 || frac[0] != '.' {
			return dst, false
		}
		frac = frac[1:]
		for i := 0; i < len(frac); i++ {
			if frac[i] < '0' || frac[i] > '9' {
				return dst, false
			}
		}
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > monthDays(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return dst, false
	}
	// The milliseconds: the fraction's first three digits, zeros after
	// a shorter one (a truncation, as Nanosecond()/1e6).
	ms := [3]byte{'0', '0', '0'}
	copy(ms[:], frac)
	dst = append(dst, '"')
	dst = append(dst, s[:19]...)
	return append(dst, '.', ms[0], ms[1], ms[2], 'Z', '"'), true
}

// digits is the value of s, ASCII digits only.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, true
}

// monthDays is the number of days of month (1 to 12) in year, of the
// proleptic Gregorian calendar time uses.
func monthDays(month, year int) int {
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
