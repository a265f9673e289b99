package alert

import (
	"strings"
)

// Reason builds kibana.alert.reason the way Kibana's detection engine does
// for every rule type: the event category, then the "fields of interest"
// (process, parent process, file, source, destination), the user and host,
// then the severity and rule name:
//
//	[<event.category> ]event[ with][ process P,][ parent process Q,][ file F,]
//	[ source S][:<port>,][ destination D][:<port>,][ by U][ on H] created <severity> alert <name>.
//
// get reads a field of the event's source as Kibana's lodash get does: a
// literal dotted key or nested objects. A field counts only when it is a
// non-empty string or a non-empty array (joined with ", ") other than ["-"];
// Kibana drops scalar numbers (a numeric source.port does not print) and we
// do the same.
func Reason(get func(path string) (any, bool), severity, ruleName string) string {
	val := func(path string) string {
		v, ok := get(path)
		if !ok {
			return ""
		}
		switch t := v.(type) {
		case string:
			return t
		case []any:
			if len(t) == 0 || (len(t) == 1 && t[0] == "-") {
				return ""
			}
			parts := make([]string, len(t))
			for i, el := range t {
				parts[i] = scalarText(el)
			}
			return strings.Join(parts, ", ")
		}
		return ""
	}
	var b strings.Builder
	if c := val("event.category"); c != "" {
		b.WriteString(c)
		b.WriteByte(' ')
	}
	b.WriteString("event")
	process, parent, file := val("process.name"), val("process.parent.name"), val("file.name")
	src, srcPort := val("source.ip"), val("source.port")
	dst, dstPort := val("destination.ip"), val("destination.port")
	if process != "" || parent != "" || file != "" || src != "" || srcPort != "" || dst != "" || dstPort != "" {
		b.WriteString(" with")
	}
	if process != "" {
		b.WriteString(" process " + process + ",")
	}
	if parent != "" {
		b.WriteString(" parent process " + parent + ",")
	}
	if file != "" {
		b.WriteString(" file " + file + ",")
	}
	if src != "" {
		b.WriteString(" source " + src)
	}
	if srcPort != "" {
		b.WriteString(":" + srcPort + ",")
	}
	if dst != "" {
		b.WriteString(" destination " + dst)
	}
	if dstPort != "" {
		b.WriteString(":" + dstPort + ",")
	}
	if u := val("user.name"); u != "" {
		b.WriteString(" by " + u)
	}
	if h := val("host.name"); h != "" {
		b.WriteString(" on " + h)
	}
	b.WriteString(" created " + severity + " alert " + ruleName + ".")
	return b.String()
}
