package esql

import (
	"errors"
	"strings"
	"time"
)

// javaLayout converts a java.time DateTimeFormatter pattern (the letters
// ES|QL's DATE_FORMAT and DATE_PARSE take) into a Go time layout. Letters
// supported: y/u (year), M (month), d, H, h, m, s, S (fraction), a, E,
// X/Z/x (offset), and quoted literals; others are refused.
func javaLayout(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return "", errors.New("unterminated quote in the date pattern")
			}
			if j == 0 {
				b.WriteByte('\'')
			} else {
				b.WriteString(p[i+1 : i+1+j])
			}
			i += j + 2
			continue
		}
		if !isLetter(c) {
			b.WriteByte(c)
			i++
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		i += n
		var s string
		switch c {
		case 'y', 'u':
			s = "2006"
			if n == 2 {
				s = "06"
			}
		case 'M':
			s = map[int]string{1: "1", 2: "01", 3: "Jan"}[min(n, 4)]
			if n >= 4 {
				s = "January"
			}
		case 'd':
			s = "2"
			if n >= 2 {
				s = "02"
			}
		case 'H':
			s = "15"
		case 'h':
			s = "3"
			if n >= 2 {
				s = "03"
			}
		case 'm':
			s = "4"
			if n >= 2 {
				s = "04"
			}
		case 's':
			s = "5"
			if n >= 2 {
				s = "05"
			}
		case 'S':
			s = strings.Repeat("0", n)
			if b.Len() == 0 || !strings.HasSuffix(b.String(), ".") && !strings.HasSuffix(b.String(), ",") {
				return "", errors.New("a fraction of second (S) must follow '.' or ','")
			}
		case 'a':
			s = "PM"
		case 'E':
			s = "Mon"
			if n >= 4 {
				s = "Monday"
			}
		case 'X':
			s = map[int]string{1: "Z07", 2: "Z0700", 3: "Z07:00"}[min(n, 3)]
		case 'x':
			s = map[int]string{1: "-07", 2: "-0700", 3: "-07:00"}[min(n, 3)]
		case 'Z':
			s = "-0700"
		default:
			return "", errors.New("date pattern letter " + string(c) + " is not supported")
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func init() {
	mvFunctions["DATE_PARSE"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "ss"); err != nil {
			return cexpr{}, err
		}
		if len(args) == 1 {
			return c.call(&Call{At: e.At, Name: "TO_DATETIME", Args: e.Args}, args, nil)
		}
		if !args[0].konst {
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "the DATE_PARSE pattern must be a constant")
		}
		pat, _ := args[0].ev(nil, nil).(string)
		layout, err := javaLayout(pat)
		if err != nil {
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "%v", err)
		}
		return c.scalar(e, Date, args, func(r *Run, self *cexpr, v []any) any {
			t, err := time.Parse(layout, v[1].(string))
			if err != nil {
				r.fail(self, "java.lang.IllegalArgumentException: failed to parse date field ["+v[1].(string)+"] with format ["+pat+"]")
				return nil
			}
			return t.UnixMilli()
		}), nil
	}
}

// formatJavaDate formats a date with a java.time pattern, in UTC.
func formatJavaDate(t time.Time, layout string) string { return t.UTC().Format(layout) }
