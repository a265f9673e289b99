package match

import "slices"

// required derives the necessary literal conditions of a compiled query:
// positive exact terms (and sets) on exact-typed fields, and for the other
// terms (numbers, ranges, wildcards, text) and `field:*` that the field has
// a value (Requirement.Exists), through ANDs, and
// through ORs whose every branch constrains the same field (the values are
// then united), else through ORs whose every branch has a condition (one of
// them holds: Requirement.Any). Anything under a NOT, a range, a wildcard, a field pattern,
// free text or a nested group gives nothing. Two conditions on one field in
// an AND are not intersected, since an array can satisfy both: the first is
// kept.
func required(n node) []Requirement {
	switch t := n.(type) {
	case *termNode:
		field := t.f.full
		if t.f.info.Parent != "" {
			field = t.f.info.Parent // a multi-field's value is its parent's
		}
		if t.f.typ.IsExact() {
			switch m := t.vm.(type) {
			case *exactMatcher:
				return []Requirement{{Field: field, Values: []string{m.want}}}
			case *setMatcher:
				return []Requirement{{Field: field, Values: slices.Clone(m.values)}}
			case *globMatcher:
				if head := m.g.parts[0]; head != "" {
					// abc*: a value starting with abc.
					return []Requirement{{Field: field, Values: []string{head}, Prefix: true}}
				}
			}
		}
		// A term is true for a value of the field: it needs one.
		return []Requirement{{Field: field, Exists: true}}
	case *existsNode:
		field := t.f.full
		if t.f.info.Parent != "" {
			field = t.f.info.Parent
		}
		return []Requirement{{Field: field, Exists: true}}
	case *andNode:
		var out []Requirement
		for _, k := range t.kids {
			for _, r := range required(k) {
				i := slices.IndexFunc(out, func(o Requirement) bool { return len(o.Any) == 0 && o.Field == r.Field })
				switch {
				case len(r.Any) > 0 || i < 0:
					out = append(out, r)
				case strength(r) > strength(out[i]):
					out[i] = r // values say more than prefixes, prefixes than a value
				}
			}
		}
		return out
	case *orNode:
		if len(t.kids) == 0 {
			return nil
		}
		out := required(t.kids[0])
		each := [][]Requirement{out}
		for _, k := range t.kids[1:] {
			kr := required(k)
			each = append(each, kr)
			var keep []Requirement
			for _, r := range out {
				if len(r.Any) > 0 {
					continue
				}
				i := slices.IndexFunc(kr, func(o Requirement) bool { return len(o.Any) == 0 && o.Field == r.Field })
				if i < 0 {
					continue
				}
				if r.Exists || kr[i].Exists {
					// One operand needs only a value of the field.
					keep = append(keep, Requirement{Field: r.Field, Exists: true})
					continue
				}
				// A value is a prefix of itself: with one prefix
				// operand, all are prefixes.
				r.Prefix = r.Prefix || kr[i].Prefix
				r.Values = slices.Clone(r.Values)
				for _, v := range kr[i].Values {
					if !slices.Contains(r.Values, v) {
						r.Values = append(r.Values, v)
					}
				}
				keep = append(keep, r)
			}
			out = keep
		}
		if weak(out) {
			// No value the operands share but on fields most events
			// carry (at most that a field has one): one of the
			// operands' own conditions holds, which may say more.
			alt, ok := anyOf(each)
			if ok && (len(out) == 0 || !weak([]Requirement{alt})) {
				return append(out, alt)
			}
		}
		return out
	}
	return nil
}

// anyOf builds the requirement of an OR none of whose fields every
// operand constrains, from its operands' requirements: one per operand
// (the most selective: see selective), any of which holds; false when
// an operand has none. `(a:1 and b:2) or (c:3 and d:4)` then keys the
// rule index on a or c, where it was evaluated on every event.
func anyOf(each [][]Requirement) (Requirement, bool) {
	var out Requirement
	for _, rs := range each {
		best := -1
		for i, r := range rs {
			if best < 0 || selective(r) > selective(rs[best]) {
				best = i
			}
		}
		if best < 0 {
			return Requirement{}, false
		}
		if b := rs[best]; len(b.Any) > 0 {
			out.Any = append(out.Any, b.Any...)
		} else {
			out.Any = append(out.Any, b)
		}
	}
	return out, len(out.Any) > 1
}

// selective ranks a requirement for anyOf: fields whose few values most
// events carry (event.category, event.outcome, ...) last, then the fewer
// values the better; a disjunction is as selective as its least
// selective alternative.
func selective(r Requirement) int {
	if r.Exists {
		return 0 // a value, any: the least selective
	}
	if r.Prefix {
		return 500 - min(len(r.Values), 499)
	}
	if len(r.Any) > 0 {
		least := -1
		for _, a := range r.Any {
			if s := selective(a); least < 0 || s < least {
				least = s
			}
		}
		return least
	}
	if CommonField(r.Field) {
		if r.Field == "event.action" {
			return 2 // more values than a category, most of them common ("start", "exec")
		}
		return 1
	}
	return 1000 - min(len(r.Values), 998)
}

// CommonField reports whether most events carry one of a few values of
// the field (event.category, event.outcome, host.os.type, ...; the
// process events' event.action, "start" or "exec"): a condition on it
// says little of an event.
func CommonField(f string) bool {
	switch f {
	case "event.category", "event.type", "event.kind", "event.outcome", "event.dataset", "event.module", "event.action",
		"data_stream.dataset", "data_stream.type", "host.os.type", "host.os.family", "host.os.platform":
		return true
	}
	return false
}

// weak reports whether rs say little of an event: at most that fields
// have values, or values of fields most events carry. An OR's
// disjunction of its operands' own conditions is then kept too
// (`event.category == "file" and file.path : "/etc/hosts" or
// event.category == "process" and process.name == "vim"` is keyed on
// the path or the name, not on the category).
func weak(rs []Requirement) bool {
	return !slices.ContainsFunc(rs, func(r Requirement) bool { return selective(r) > 2 })
}

// strength ranks the kinds of a requirement on one field: values, then
// prefixes, then that it has a value.
func strength(r Requirement) int {
	switch {
	case r.Exists:
		return 0
	case r.Prefix:
		return 1
	}
	return 2
}
