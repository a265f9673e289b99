package exception

import (
	"strings"
)

// Entries of type match, match_any, exists and nested are written as KQL and
// compiled by package match, whose quoted values have exactly the semantics
// of the match_phrase queries Kibana builds for exception entries:
//
//	match      f:"v"                   match_phrase {f: v}
//	match_any  f:("a" or "b")          bool.should of match_phrase
//	exists     f:*                     exists {f}
//	nested     p:{ a:"x" and b:* }     nested {path: p, query: ...}
//	excluded   not <the above>         bool.must_not
//
// so that every field type (keyword, text, numbers, ip, dates, booleans) is
// judged the way Elasticsearch judges it, and "is not" is true for events
// without the field.

// kqlQuote writes s as a quoted KQL literal. Inside quotes only `\` and `"`
// need an escape (`\t`, `\n`, `\r` and `\u` would otherwise be decoded, so
// every backslash is escaped); any other character stands for itself. Each
// invalid UTF-8 byte becomes U+FFFD, as the KQL lexer and the JSON decoder
// read it.
func kqlQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// kqlField writes a field name: as it is when it is plain (letters, digits,
// and `_ . @ -`), quoted otherwise, so that spaces, KQL's special characters
// (`\ ( ) : < > " * { }`), `*` above all, and the words KQL reads as
// keywords or literals (or, and, not, true, false, null) stay literal. A
// quoted field name is never a pattern.
func kqlField(name string) string {
	if name == "" {
		return `""`
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		plain := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == '@' || c == '-'
		if !plain {
			return kqlQuote(name)
		}
	}
	switch strings.ToLower(name) {
	case "or", "and", "not", "true", "false", "null":
		return kqlQuote(name)
	}
	return name
}

// entryKQL writes a match, match_any, exists or nested entry as KQL; ok is
// false for the types KQL cannot express (wildcard, list). The entry must
// have passed checkEntry.
func entryKQL(e *Entry) (q string, ok bool) {
	var pos string
	switch e.Type {
	case TypeMatch:
		pos = kqlField(e.Field) + ":" + kqlQuote(e.Value)
	case TypeMatchAny:
		vals := make([]string, len(e.Values))
		for i, v := range e.Values {
			vals[i] = kqlQuote(v)
		}
		pos = kqlField(e.Field) + ":(" + strings.Join(vals, " or ") + ")"
	case TypeExists:
		pos = kqlField(e.Field) + ":*"
	case TypeNested:
		subs := make([]string, len(e.Entries))
		for i := range e.Entries {
			sub := e.Entries[i]
			sub.Field = relativeField(e.Field, sub.Field)
			s, ok := entryKQL(&sub)
			if !ok {
				return "", false
			}
			subs[i] = s
		}
		return kqlField(e.Field) + ":{ " + strings.Join(subs, " and ") + " }", true
	default:
		return "", false
	}
	if e.Operator == Excluded {
		return "not " + pos, true
	}
	return pos, true
}

// relativeField returns a nested sub-entry's field relative to the nested
// path: Kibana's UI stores relative names, some versions and hand-written
// exports full paths.
func relativeField(path, field string) string {
	if rest, ok := strings.CutPrefix(field, path+"."); ok && rest != "" {
		return rest
	}
	return field
}

// osKQL writes the condition os_types adds to an item: for one of the OS
// names, host.os.type or host.os.name.caseless is that name.
func osKQL(oses []string) string {
	var terms []string
	for _, os := range oses {
		v := kqlQuote(os)
		terms = append(terms, "host.os.type:"+v, "host.os.name.caseless:"+v)
	}
	return "(" + strings.Join(terms, " or ") + ")"
}
