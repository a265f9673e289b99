package exception

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
)

// ValueList is a Kibana value list: values an "is in list" entry looks the
// event's field up in. Keyword lists (and every type but ip and ip_range)
// hold exact strings; ip lists hold addresses; ip_range lists hold
// addresses, CIDR networks (10.0.0.0/8) and ranges (10.0.0.1-10.0.0.9).
type ValueList struct {
	ID     string
	Type   string
	Path   string   // the file it was loaded from, or ""
	Values []string // as written, in file order

	ips *ipSet // for ip and ip_range lists
}

// LoadValueList reads a value list file: one value per line; blank lines and
// lines starting with # are ignored, and spaces around a value dropped. typ
// is the list's Kibana type (keyword, ip, ip_range, text, long...). Every bad
// line is reported, as path:line.
func LoadValueList(id, typ, path string) (*ValueList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("value list %s: %w", id, err)
	}
	return parseValueList(id, typ, path, bytes.NewReader(data))
}

// NewValueList builds a value list from values, checked as LoadValueList
// checks the lines of a file.
func NewValueList(id, typ string, values []string) (*ValueList, error) {
	return parseValueList(id, typ, "", strings.NewReader(strings.Join(values, "\n")))
}

func parseValueList(id, typ, path string, r io.Reader) (*ValueList, error) {
	name := path
	if name == "" {
		name = "value list " + id
	}
	var errs Errors
	if id == "" {
		errs = append(errs, &Error{File: name, Msg: "value list without an id", Hint: "give it the id the exception entries use: --value-list ID=FILE"})
	}
	if !slices.Contains(valueListTypes, typ) {
		hint := "use keyword, ip, ip_range, text, long..."
		if s := closest(typ, valueListTypes); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		errs = append(errs, &Error{File: name, Msg: fmt.Sprintf("unknown value list type %q", typ), Hint: hint})
		return nil, errs.sorted()
	}
	vl := &ValueList{ID: id, Type: typ, Path: path}
	if typ == "ip" || typ == "ip_range" {
		vl.ips = newIPSet()
	}
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		raw, err := br.ReadString('\n')
		if raw == "" && err != nil {
			break
		}
		v := strings.TrimSpace(raw)
		if v == "" || strings.HasPrefix(v, "#") {
			continue
		}
		if vl.ips != nil {
			if msg, hint := vl.ips.add(v, typ == "ip_range"); msg != "" {
				errs = append(errs, &Error{File: name, Line: line, Msg: msg, Hint: hint})
				continue
			}
		}
		vl.Values = append(vl.Values, v)
	}
	if vl.ips != nil {
		vl.ips.finish()
	}
	if err := errs.sorted(); err != nil {
		return nil, err
	}
	return vl, nil
}

// An ipSet holds addresses, networks and ranges in Elasticsearch's 16-byte
// form (IPv4 as IPv4-mapped IPv6), so that 10.0.0.1 and ::ffff:10.0.0.1 are
// the same address and ranges order as Elasticsearch orders ips.
type ipSet struct {
	addrs   map[[16]byte]struct{}
	nets    map[int]map[[16]byte]struct{} // by prefix length (0-128), masked
	netBits []int                         // the lengths in nets, longest first
	ranges  []ipInterval                  // sorted by lo, merged
}

type ipInterval struct{ lo, hi [16]byte }

func newIPSet() *ipSet {
	return &ipSet{addrs: map[[16]byte]struct{}{}, nets: map[int]map[[16]byte]struct{}{}}
}

// parseAddr reads an address, dropping a zone.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone(""), true
}

// add adds one value: an address, or with ranges a CIDR network or a range
// a-b. It returns what is wrong with the value, or "".
func (s *ipSet) add(v string, ranges bool) (msg, hint string) {
	const onlyAddresses = "an ip list holds single addresses; load networks and ranges as an ip_range list"
	notIP := func() (string, string) {
		if ranges {
			return fmt.Sprintf("%q is not an IP address, a CIDR network or a range", v), "write 10.0.0.1, 10.0.0.0/8 or 10.0.0.1-10.0.0.9"
		}
		return fmt.Sprintf("%q is not an IP address", v), "write an IPv4 or IPv6 address"
	}
	if a, ok := parseAddr(v); ok {
		s.addrs[a.As16()] = struct{}{}
		return "", ""
	}
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		switch {
		case err != nil && !ranges:
			return notIP()
		case err != nil:
			return fmt.Sprintf("%q is not a CIDR network", v), "write a network as address/bits, e.g. 10.0.0.0/8 or fd00::/8"
		case !ranges:
			return fmt.Sprintf("%q is a network, not an address", v), onlyAddresses
		}
		s.addNet(p)
		return "", ""
	}
	a, b, isRange := strings.Cut(v, "-")
	if !isRange {
		return notIP()
	}
	lo, ok1 := parseAddr(strings.TrimSpace(a))
	hi, ok2 := parseAddr(strings.TrimSpace(b))
	switch {
	case !ok1 && !ok2:
		return notIP()
	case !ok1 || !ok2:
		return fmt.Sprintf("%q is not a range of addresses", v), "write a range as first-last, e.g. 10.0.0.1-10.0.0.9"
	case !ranges:
		return fmt.Sprintf("%q is a range, not an address", v), onlyAddresses
	}
	x, y := lo.As16(), hi.As16()
	if bytes.Compare(x[:], y[:]) > 0 {
		return fmt.Sprintf("range %q ends before it starts", v), "write the lower address first"
	}
	s.ranges = append(s.ranges, ipInterval{lo: x, hi: y})
	return "", ""
}

func (s *ipSet) addNet(p netip.Prefix) {
	p = p.Masked()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	set := s.nets[bits]
	if set == nil {
		set = map[[16]byte]struct{}{}
		s.nets[bits] = set
	}
	set[p.Addr().As16()] = struct{}{}
}

// finish sorts and merges the ranges and orders the network lengths.
func (s *ipSet) finish() {
	s.netBits = s.netBits[:0]
	for bits := range s.nets {
		s.netBits = append(s.netBits, bits)
	}
	slices.SortFunc(s.netBits, func(a, b int) int { return cmp.Compare(b, a) })
	slices.SortFunc(s.ranges, func(a, b ipInterval) int { return bytes.Compare(a.lo[:], b.lo[:]) })
	var merged []ipInterval
	for _, r := range s.ranges {
		if n := len(merged); n > 0 && bytes.Compare(r.lo[:], merged[n-1].hi[:]) <= 0 {
			if bytes.Compare(r.hi[:], merged[n-1].hi[:]) > 0 {
				merged[n-1].hi = r.hi
			}
			continue
		}
		merged = append(merged, r)
	}
	s.ranges = merged
}

// contains reports whether the address a (16-byte form) is in the set.
func (s *ipSet) contains(a [16]byte) bool {
	if _, ok := s.addrs[a]; ok {
		return true
	}
	for _, bits := range s.netBits {
		if _, ok := s.nets[bits][mask16(a, bits)]; ok {
			return true
		}
	}
	// The last range starting at or below a is the only one that can hold it.
	i, _ := slices.BinarySearchFunc(s.ranges, a, func(r ipInterval, t [16]byte) int {
		return bytes.Compare(r.lo[:], t[:])
	})
	if i < len(s.ranges) && s.ranges[i].lo == a {
		return true
	}
	if i > 0 && bytes.Compare(a[:], s.ranges[i-1].hi[:]) <= 0 {
		return true
	}
	return false
}

// mask16 keeps the first bits bits of a.
func mask16(a [16]byte, bits int) [16]byte {
	for i := range a {
		switch {
		case bits >= 8:
			bits -= 8
		case bits > 0:
			a[i] &= ^byte(0xFF >> bits)
			bits = 0
		default:
			a[i] = 0
		}
	}
	return a
}

// eventAddr reads an event value as an address: only strings that are
// addresses (an ip field indexes nothing else).
func eventAddr(v event.Value) ([16]byte, bool) {
	if v.Kind != event.KindString {
		return [16]byte{}, false
	}
	a, ok := parseAddr(v.Str)
	if !ok {
		return [16]byte{}, false
	}
	return a.As16(), true
}

// eventNumber reads a numeric field's value: a JSON number, or a string
// holding one (Elasticsearch coerces it at index time).
func eventNumber(v event.Value) (float64, bool) {
	switch v.Kind {
	case event.KindNumber:
		return v.Num, true
	case event.KindString:
		n, err := strconv.ParseFloat(v.Str, 64)
		return n, err == nil
	}
	return 0, false
}

// listCond is an "is in list" / "is not in list" entry: Elasticsearch's terms
// query over the list's values (for ip_range lists, with ranges), the values
// read as the field's type reads them. Lists are evaluated here rather than
// as KQL so that any size stays one lookup per event value (date fields
// excepted: see compileList).
type listCond struct {
	id     event.FieldID
	strs   map[string]struct{}  // exact values (keyword-like fields, booleans)
	nums   map[float64]struct{} // numeric fields
	ips    *ipSet               // addresses, networks, ranges
	text   bool                 // the field is analyzed text: terms match tokens
	limit  bool                 // keyword: values over ignore_above are not indexed
	negate bool
}

func (c *listCond) eval(ev *event.Event) bool { return c.any(ev) != c.negate }

func (c *listCond) any(ev *event.Event) bool {
	for _, v := range ev.Values(c.id) {
		if c.ips != nil {
			if a, ok := eventAddr(v); ok && c.ips.contains(a) {
				return true
			}
			continue
		}
		if c.nums != nil {
			if n, ok := eventNumber(v); ok {
				if _, in := c.nums[n]; in {
					return true
				}
			}
			continue
		}
		s, ok := match.KeywordText(v)
		if !ok {
			continue
		}
		if c.text {
			found := false
			match.EachToken(s, func(tok string) bool {
				_, found = c.strs[tok]
				return !found
			})
			if found {
				return true
			}
			continue
		}
		if c.limit && match.TooLongForKeyword(s) {
			continue
		}
		if _, ok := c.strs[s]; ok {
			return true
		}
	}
	return false
}
