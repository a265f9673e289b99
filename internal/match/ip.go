package match

import (
	"bytes"
	"net/netip"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// Elasticsearch stores every ip as 16 bytes, IPv4 as IPv4-mapped IPv6
// (::ffff:a.b.c.d): 10.0.0.1 and ::ffff:10.0.0.1 are the same address, and
// ranges order IPv4 below most of IPv6.

// parseIP reads an address; IPv4-mapped IPv6 is turned into IPv4 and a zone
// (fe80::1%eth0) is dropped.
func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// eventIP reads an ip field's value; a value that is not an address is
// malformed and not indexed.
func eventIP(v event.Value) (netip.Addr, bool) {
	if v.Kind != event.KindString {
		return netip.Addr{}, false
	}
	return parseIP(v.Str)
}

// ipTerm compiles field:value on an ip field: an address or a CIDR network.
func (c *compiler) ipTerm(path string, l *kql.Literal) (valueMatcher, error) {
	s := l.Text()
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, c.errorf(l.At, "write a network as address/bits, e.g. 10.0.0.0/8 or fd00::/8",
				"%s is an ip field and %q is not a CIDR network", path, s)
		}
		return &cidrMatcher{p: p.Masked()}, nil
	}
	a, ok := parseIP(s)
	if !ok {
		return nil, c.errorf(l.At, "write an IPv4 or IPv6 address, or a CIDR network such as 10.0.0.0/8",
			"%s is an ip field and %q is not an IP address", path, s)
	}
	return ipMatcher{a: a}, nil
}

// ipMatcher is one address.
type ipMatcher struct{ a netip.Addr }

func (m ipMatcher) match(v event.Value) bool {
	a, ok := eventIP(v)
	return ok && a == m.a
}

// cidrMatcher is a network.
type cidrMatcher struct{ p netip.Prefix }

func (m *cidrMatcher) match(v event.Value) bool {
	a, ok := eventIP(v)
	return ok && prefixContains(m.p, a)
}

// prefixContains reports whether p holds a, comparing in 16-byte form when p
// is an IPv6 network (so ::ffff:0:0/96 holds every IPv4 address).
func prefixContains(p netip.Prefix, a netip.Addr) bool {
	if p.Addr().Is4() {
		return a.Is4() && p.Contains(a)
	}
	return p.Contains(netip.AddrFrom16(a.As16()))
}

// compareIP orders addresses as Elasticsearch does: by their 16 bytes.
func compareIP(a, b netip.Addr) int {
	x, y := a.As16(), b.As16()
	return bytes.Compare(x[:], y[:])
}

// ipRange matches addresses between two optional bounds.
type ipRange struct {
	lo, hi               netip.Addr
	hasLo, hasHi         bool
	loExclude, hiExclude bool
}

func (m *ipRange) match(v event.Value) bool {
	a, ok := eventIP(v)
	if !ok {
		return false
	}
	if m.hasLo {
		c := compareIP(a, m.lo)
		if c < 0 || c == 0 && m.loExclude {
			return false
		}
	}
	if m.hasHi {
		c := compareIP(a, m.hi)
		if c > 0 || c == 0 && m.hiExclude {
			return false
		}
	}
	return true
}
