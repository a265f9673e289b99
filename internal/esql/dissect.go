package esql

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// dissector is a compiled dissect pattern: a leading delimiter, then keys
// each followed by the delimiter that ends its value.
type dissector struct {
	prefix string
	keys   []dissectKey
	sep    string // APPEND_SEPARATOR
}

type dissectKey struct {
	name      string
	skip      bool // %{} or %{?name}
	appendTo  bool // %{+name}
	order     int  // %{+name/2}
	padRight  bool // %{name->}
	delimiter string
}

// parseDissect compiles a dissect pattern (Elasticsearch's dissect
// processor syntax: %{key}, %{+key}, %{+key/n}, %{?key}, %{}, %{key->}).
func parseDissect(p string) (*dissector, error) {
	d := &dissector{}
	i := strings.Index(p, "%{")
	if i < 0 {
		return nil, errors.New("the pattern has no %{key}")
	}
	d.prefix = p[:i]
	for i >= 0 {
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unterminated %%{ at byte %d", i)
		}
		spec := p[i+2 : i+j]
		rest := p[i+j+1:]
		next := strings.Index(rest, "%{")
		delim := rest
		if next >= 0 {
			delim = rest[:next]
		}
		k := dissectKey{delimiter: delim}
		if strings.HasSuffix(spec, "->") {
			k.padRight = true
			spec = strings.TrimSuffix(spec, "->")
		}
		switch {
		case spec == "":
			k.skip = true
		case strings.HasPrefix(spec, "?"):
			k.skip, k.name = true, spec[1:]
		case strings.HasPrefix(spec, "+"):
			k.appendTo = true
			spec = spec[1:]
			if n, o, ok := strings.Cut(spec, "/"); ok {
				v, err := strconv.Atoi(o)
				if err != nil {
					return nil, fmt.Errorf("invalid append order in %%{+%s}", spec)
				}
				spec, k.order = n, v
			}
			k.name = spec
		case strings.HasPrefix(spec, "*"), strings.HasPrefix(spec, "&"):
			return nil, errors.New("reference keys (%{*key}, %{&key}) are not supported in dissect patterns")
		default:
			k.name = spec
		}
		if delim == "" && next >= 0 {
			return nil, fmt.Errorf("keys %%{%s} and the next one have no delimiter between them", spec)
		}
		d.keys = append(d.keys, k)
		if next < 0 {
			break
		}
		i = i + j + 1 + next
	}
	return d, nil
}

// outputs returns the columns the pattern makes, in pattern order.
func (d *dissector) outputs() []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range d.keys {
		if k.skip || k.name == "" || seen[k.name] {
			continue
		}
		seen[k.name] = true
		out = append(out, k.name)
	}
	return out
}

// parse matches s and returns the values of outputs(), or nil.
func (d *dissector) parse(s string) []string {
	if !strings.HasPrefix(s, d.prefix) {
		return nil
	}
	pos := len(d.prefix)
	type part struct {
		order int
		idx   int
		val   string
	}
	vals := map[string][]part{}
	for i, k := range d.keys {
		var v string
		last := i == len(d.keys)-1
		if k.delimiter == "" {
			if !last {
				return nil
			}
			v, pos = s[pos:], len(s)
		} else {
			j := strings.Index(s[pos:], k.delimiter)
			if j < 0 {
				return nil
			}
			v = s[pos : pos+j]
			pos += j + len(k.delimiter)
			if k.padRight {
				for strings.HasPrefix(s[pos:], k.delimiter) {
					pos += len(k.delimiter)
				}
			}
			if last && pos != len(s) {
				// the trailing delimiter must end the text
				if !strings.HasSuffix(s, k.delimiter) {
					return nil
				}
				v = s[pos-j-len(k.delimiter) : len(s)-len(k.delimiter)]
				pos = len(s)
			}
		}
		if k.skip {
			continue
		}
		vals[k.name] = append(vals[k.name], part{order: k.order, idx: i, val: v})
	}
	out := d.outputs()
	res := make([]string, len(out))
	for i, name := range out {
		ps := vals[name]
		sort.SliceStable(ps, func(a, b int) bool { return ps[a].order < ps[b].order })
		strs := make([]string, len(ps))
		for j, p := range ps {
			strs[j] = p.val
		}
		res[i] = strings.Join(strs, d.sep)
	}
	return res
}
