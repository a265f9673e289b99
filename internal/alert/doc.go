// Package alert builds the alert documents Kibana's detection engine writes
// (the kibana.alert.* schema: ids, reason, rule fields, original event and
// ancestors) and holds the sinks that deliver them.
package alert

import "fmt"

func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return t
	}
	return fmt.Sprint(v)
}

// Lookup reads path from a decoded document as Kibana's lodash get does:
// the whole path as one literal key if the document has it, else the path
// split at dots through nested objects. Arrays are not searched into.
func Lookup(doc map[string]any, path string) (any, bool) {
	if v, ok := doc[path]; ok {
		return v, v != nil
	}
	var cur any = doc
	start := 0
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '.' {
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[path[start:i]]
		if !ok {
			return nil, false
		}
		start = i + 1
	}
	return cur, cur != nil
}
