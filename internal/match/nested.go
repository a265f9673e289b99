package match

import (
	"encoding/json"

	"github.com/vigil-project/vigil/internal/event"
)

// nestedNode is `field:{ query }`: the query, its field names relative to
// field, must hold within one object of field (Elasticsearch's nested
// query). Each object is evaluated as an event of its own, read with the
// group's own plan.
type nestedNode struct {
	path  string // as read from the enclosing event (relative to its scope)
	full  string
	inner node
	plan  *event.Plan
	text  string
}

func (n *nestedNode) eval(ev *event.Event) bool {
	found := false
	n.elements(ev, func(el *event.Event) bool {
		found = n.inner.eval(el)
		return !found
	})
	return found
}

func (n *nestedNode) clause() string { return n.text }

// elements calls fn with each object at the nested path (through arrays,
// dotted keys and nested objects alike) until fn returns false.
func (n *nestedNode) elements(ev *event.Event, fn func(*event.Event) bool) {
	doc, err := ev.Map()
	if err != nil {
		return
	}
	var objs []map[string]any
	collectObjects(doc, n.path, &objs)
	for _, o := range objs {
		b, err := json.Marshal(o)
		if err != nil {
			continue
		}
		if !fn(event.New(b, n.plan)) {
			return
		}
	}
}

// collectObjects appends the objects found at a dotted path of x, trying
// every split of the path into keys (dotted keys and nested objects are the
// same path) and flattening arrays.
func collectObjects(x any, path string, out *[]map[string]any) {
	switch t := x.(type) {
	case []any:
		for _, el := range t {
			collectObjects(el, path, out)
		}
	case map[string]any:
		if path == "" {
			*out = append(*out, t)
			return
		}
		if v, ok := t[path]; ok {
			collectObjects(v, "", out)
		}
		for i := 0; i < len(path); i++ {
			if path[i] == '.' {
				if v, ok := t[path[:i]]; ok {
					collectObjects(v, path[i+1:], out)
				}
			}
		}
	}
}
