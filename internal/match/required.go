package match

import "slices"

// required derives the necessary literal conditions of a compiled query:
// positive exact terms (and sets) on exact-typed fields, through ANDs, and
// through ORs whose every branch constrains the same field (the values are
// then united). Anything under a NOT, a range, a wildcard, a field pattern,
// free text or a nested group gives nothing. Two conditions on one field in
// an AND are not intersected, since an array can satisfy both: the first is
// kept.
func required(n node) []Requirement {
	switch t := n.(type) {
	case *termNode:
		if !t.f.typ.IsExact() {
			return nil
		}
		field := t.f.full
		if t.f.info.Parent != "" {
			field = t.f.info.Parent // a multi-field's value is its parent's
		}
		switch m := t.vm.(type) {
		case *exactMatcher:
			return []Requirement{{Field: field, Values: []string{m.want}}}
		case *setMatcher:
			return []Requirement{{Field: field, Values: slices.Clone(m.values)}}
		}
	case *andNode:
		var out []Requirement
		for _, k := range t.kids {
			for _, r := range required(k) {
				if !slices.ContainsFunc(out, func(o Requirement) bool { return o.Field == r.Field }) {
					out = append(out, r)
				}
			}
		}
		return out
	case *orNode:
		if len(t.kids) == 0 {
			return nil
		}
		out := required(t.kids[0])
		for _, k := range t.kids[1:] {
			kr := required(k)
			var keep []Requirement
			for _, r := range out {
				i := slices.IndexFunc(kr, func(o Requirement) bool { return o.Field == r.Field })
				if i < 0 {
					continue
				}
				for _, v := range kr[i].Values {
					if !slices.Contains(r.Values, v) {
						r.Values = append(r.Values, v)
					}
				}
				keep = append(keep, r)
			}
			out = keep
		}
		return out
	}
	return nil
}
