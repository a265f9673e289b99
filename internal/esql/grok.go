package esql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// grokPatterns is the part of Elasticsearch's grok pattern library
// (the legacy "grok-patterns" set) that Vigil knows, written for Go's RE2:
// look-behind and atomic groups are dropped where RE2 has none, which
// matches the same texts in practice.
var grokPatterns = map[string]string{
	"USERNAME":           `[a-zA-Z0-9._-]+`,
	"USER":               `%{USERNAME}`,
	"EMAILLOCALPART":     `[a-zA-Z0-9!#$%&'*+\-/=?^_{|}~]{1,64}(?:\.[a-zA-Z0-9!#$%&'*+\-/=?^_{|}~]+)*`,
	"EMAILADDRESS":       `%{EMAILLOCALPART}@%{HOSTNAME}`,
	"INT":                `(?:[+-]?(?:[0-9]+))`,
	"BASE10NUM":          `(?:[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))`,
	"NUMBER":             `(?:%{BASE10NUM})`,
	"BASE16NUM":          `(?:0[xX]?[0-9a-fA-F]+)`,
	"BASE16FLOAT":        `\b[+-]?(?:0x)?(?:(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?)|(?:\.[0-9A-Fa-f]+))\b`,
	"POSINT":             `\b[1-9][0-9]*\b`,
	"NONNEGINT":          `\b[0-9]+\b`,
	"WORD":               `\b\w+\b`,
	"NOTSPACE":           `\S+`,
	"SPACE":              `\s*`,
	"DATA":               `.*?`,
	"GREEDYDATA":         `.*`,
	"QUOTEDSTRING":       `(?:"(?:\\.|[^\\"]+)+"|""|'(?:\\.|[^\\']+)+'|''|` + "`(?:\\\\.|[^\\\\`]+)+`|``)",
	"QS":                 `%{QUOTEDSTRING}`,
	"UUID":               `[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}`,
	"URN":                `urn:[0-9A-Za-z][0-9A-Za-z-]{0,31}:(?:%[0-9a-fA-F]{2}|[0-9A-Za-z()+,.:=@;$_!*'/?#-])+`,
	"MAC":                `(?:%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC})`,
	"CISCOMAC":           `(?:(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})`,
	"WINDOWSMAC":         `(?:(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2})`,
	"COMMONMAC":          `(?:(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2})`,
	"IPV6":               `(?:(?:(?:[0-9A-Fa-f]{1,4}:){7}(?:[0-9A-Fa-f]{1,4}|:))|(?:(?:[0-9A-Fa-f]{1,4}:){6}(?::[0-9A-Fa-f]{1,4}|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|(?:(?:[0-9A-Fa-f]{1,4}:){5}(?:(?:(?::[0-9A-Fa-f]{1,4}){1,2})|:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|(?:(?:[0-9A-Fa-f]{1,4}:){4}(?:(?:(?::[0-9A-Fa-f]{1,4}){1,3})|(?:(?::[0-9A-Fa-f]{1,4})?:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(?:(?:[0-9A-Fa-f]{1,4}:){3}(?:(?:(?::[0-9A-Fa-f]{1,4}){1,4})|(?:(?::[0-9A-Fa-f]{1,4}){0,2}:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(?:(?:[0-9A-Fa-f]{1,4}:){2}(?:(?:(?::[0-9A-Fa-f]{1,4}){1,5})|(?:(?::[0-9A-Fa-f]{1,4}){0,3}:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(?:(?:[0-9A-Fa-f]{1,4}:){1}(?:(?:(?::[0-9A-Fa-f]{1,4}){1,6})|(?:(?::[0-9A-Fa-f]{1,4}){0,4}:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(?::(?:(?:(?::[0-9A-Fa-f]{1,4}){1,7})|(?:(?::[0-9A-Fa-f]{1,4}){0,5}:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:)))(?:%.+)?`,
	"IPV4":               `(?:(?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]))`,
	"IP":                 `(?:%{IPV6}|%{IPV4})`,
	"HOSTNAME":           `\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\.?|\b)`,
	"IPORHOST":           `(?:%{IP}|%{HOSTNAME})`,
	"HOSTPORT":           `%{IPORHOST}:%{POSINT}`,
	"UNIXPATH":           `(?:/[\w_%!$@:.,+~-]*)+`,
	"TTY":                `(?:/dev/(?:pts|tty(?:[pq])?)(?:\w+)?/?(?:[0-9]+))`,
	"WINPATH":            `(?:[A-Za-z]+:|\\)(?:\\[^\\?*]*)+`,
	"PATH":               `(?:%{UNIXPATH}|%{WINPATH})`,
	"URIPROTO":           `[A-Za-z](?:[A-Za-z0-9+\-.]+)+`,
	"URIHOST":            `%{IPORHOST}(?::%{POSINT})?`,
	"URIPATH":            `(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+`,
	"URIQUERY":           `[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*`,
	"URIPARAM":           `\?%{URIQUERY}`,
	"URIPATHPARAM":       `%{URIPATH}(?:\?%{URIQUERY})?`,
	"URI":                `%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATH}(?:\?%{URIQUERY})?)?`,
	"MONTH":              `\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|ä)?r(?:ch|z)?|[Aa]pr(?:il)?|[Mm]a(?:y|i)?|[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo](?:c|k)?t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\b`,
	"MONTHNUM":           `(?:0?[1-9]|1[0-2])`,
	"MONTHNUM2":          `(?:0[1-9]|1[0-2])`,
	"MONTHDAY":           `(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])`,
	"DAY":                `(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)`,
	"YEAR":               `(?:\d\d){1,2}`,
	"HOUR":               `(?:2[0123]|[01]?[0-9])`,
	"MINUTE":             `(?:[0-5][0-9])`,
	"SECOND":             `(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)`,
	"TIME":               `%{HOUR}:%{MINUTE}(?::%{SECOND})`,
	"DATE_US":            `%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}`,
	"DATE_EU":            `%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}`,
	"ISO8601_TIMEZONE":   `(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))`,
	"ISO8601_SECOND":     `%{SECOND}`,
	"TIMESTAMP_ISO8601":  `%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?`,
	"DATE":               `%{DATE_US}|%{DATE_EU}`,
	"DATESTAMP":          `%{DATE}[- ]%{TIME}`,
	"TZ":                 `(?:[APMCE][SD]T|UTC)`,
	"DATESTAMP_RFC822":   `%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}`,
	"DATESTAMP_RFC2822":  `%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}`,
	"DATESTAMP_OTHER":    `%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}`,
	"DATESTAMP_EVENTLOG": `%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}`,
	"SYSLOGTIMESTAMP":    `%{MONTH} +%{MONTHDAY} %{TIME}`,
	"PROG":               `[\x21-\x5a\x5c\x5e-\x7e]+`,
	"SYSLOGPROG":         `%{PROG:program}(?:\[%{POSINT:pid}\])?`,
	"SYSLOGHOST":         `%{IPORHOST}`,
	"SYSLOGFACILITY":     `<%{NONNEGINT:facility}.%{NONNEGINT:priority}>`,
	"HTTPDATE":           `%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}`,
	"QUOTEDSTRING2":      `%{QUOTEDSTRING}`,
	"LOGLEVEL":           `(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo?(?:rmation)?|INFO?(?:RMATION)?|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)`,
}

// grok is a compiled grok pattern.
type grok struct {
	re      *regexp.Regexp
	outputs []grokOutput
	groups  []int // capture group index -> outputs index (-1: unnamed)
}

type grokOutput struct {
	name string
	typ  Type
}

var grokRef = regexp.MustCompile(`%\{(\w+)(?::([^:}]+))?(?::(\w+))?\}|\(\?P?<([A-Za-z_@][A-Za-z0-9_.@]*)>`)

// compileGrok expands %{SYNTAX:name:type} references into one regular
// expression with a capture group per named reference.
func compileGrok(p string) (*grok, error) {
	g := &grok{}
	index := map[string]int{}
	var expand func(s string, depth int, capture bool) (string, error)
	expand = func(s string, depth int, capture bool) (string, error) {
		if depth > 20 {
			return "", fmt.Errorf("grok patterns nest too deeply")
		}
		var b strings.Builder
		last := 0
		for _, m := range grokRef.FindAllStringSubmatchIndex(s, -1) {
			b.WriteString(s[last:m[0]])
			last = m[1]
			if m[8] >= 0 {
				// (?<name>...): a named group of the pattern's own
				if !capture {
					b.WriteString("(?:")
					continue
				}
				name := s[m[8]:m[9]]
				i, seen := index[name]
				if !seen {
					i = len(g.outputs)
					index[name] = i
					g.outputs = append(g.outputs, grokOutput{name: name, typ: Keyword})
				}
				g.groups = append(g.groups, i)
				b.WriteString("(")
				continue
			}
			syntax := s[m[2]:m[3]]
			def, ok := grokPatterns[syntax]
			if !ok {
				return "", fmt.Errorf("unknown grok pattern %%{%s}", syntax)
			}
			inner, err := expand(def, depth+1, false)
			if err != nil {
				return "", err
			}
			if capture && m[4] >= 0 {
				name := s[m[4]:m[5]]
				t := Keyword
				if m[6] >= 0 {
					switch s[m[6]:m[7]] {
					case "int":
						t = Integer
					case "long":
						t = Long
					case "float", "double":
						t = Double
					case "boolean":
						t = Boolean
					case "string", "keyword":
					default:
						return "", fmt.Errorf("unknown grok type %q: use int, long, float, double or boolean", s[m[6]:m[7]])
					}
				}
				i, seen := index[name]
				if !seen {
					i = len(g.outputs)
					index[name] = i
					g.outputs = append(g.outputs, grokOutput{name: name, typ: t})
				} else if g.outputs[i].typ != t {
					return "", fmt.Errorf("%s is captured with two types", name)
				}
				b.WriteString("(")
				g.groups = append(g.groups, i)
				b.WriteString(inner)
				b.WriteString(")")
				continue
			}
			b.WriteString("(?:")
			b.WriteString(inner)
			b.WriteString(")")
		}
		b.WriteString(s[last:])
		return b.String(), nil
	}
	// Groups written in the pattern itself capture nothing: only named
	// references make columns.
	src, err := expand(nonCapturing(p), 0, true)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	g.re = re
	return g, nil
}

// nonCapturing turns the plain groups "(" of a regular expression into
// non-capturing ones.
func nonCapturing(p string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			i++
			b.WriteByte(p[i])
			continue
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '(' && !inClass && (i+1 >= len(p) || p[i+1] != '?'):
			b.WriteString("(?:")
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// match returns the captured values by name, or nil when s does not match.
func (g *grok) match(s string) map[string]any {
	m := g.re.FindStringSubmatchIndex(s)
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(g.outputs))
	for gi, oi := range g.groups {
		if m[2+2*gi] < 0 {
			continue
		}
		o := g.outputs[oi]
		v := convertGrok(s[m[2+2*gi]:m[3+2*gi]], o.typ)
		if v == nil {
			continue
		}
		if old, ok := out[o.name]; ok {
			out[o.name] = append(values(old), v)
		} else {
			out[o.name] = v
		}
	}
	return out
}

func convertGrok(s string, t Type) any {
	switch t {
	case Integer, Long:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil
		}
		return clampInt(n, t)
	case Double:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil
		}
		return f
	case Boolean:
		return strings.EqualFold(s, "true")
	}
	return s
}
