package exception

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadValueList(t *testing.T) {
	vl, err := LoadValueList("vip", "keyword", filepath.Join("testdata", "valuelists", "vip-users.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ceo@corp.example", "cfo@corp.example", "it-director@corp.example"}
	if diff := cmp.Diff(want, vl.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if vl.ID != "vip" || vl.Type != "keyword" || vl.ips != nil {
		t.Errorf("list = %+v", vl)
	}
	jump, err := LoadValueList("jump", "ip_range", filepath.Join("testdata", "valuelists", "jump-hosts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(jump.Values) != 4 || jump.ips == nil {
		t.Errorf("ip_range list: %d values, ips %v", len(jump.Values), jump.ips != nil)
	}
}

func TestLoadValueListErrors(t *testing.T) {
	_, err := LoadValueList("bad", "ip_range", filepath.Join("testdata", "valuelists", "bad-ranges.txt"))
	want := []string{
		`testdata/valuelists/bad-ranges.txt:3:1: range "10.0.0.9-10.0.0.1" ends before it starts (write the lower address first)`,
		`testdata/valuelists/bad-ranges.txt:4:1: "not-an-ip" is not an IP address, a CIDR network or a range (write 10.0.0.1, 10.0.0.0/8 or 10.0.0.1-10.0.0.9)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("error:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	_, err = LoadValueList("bad", "ip", filepath.Join("testdata", "valuelists", "bad-ranges.txt"))
	for _, w := range []string{
		`bad-ranges.txt:2:1: "10.0.0.0/8" is a network, not an address (an ip list holds single addresses; load networks and ranges as an ip_range list)`,
		`bad-ranges.txt:3:1: "10.0.0.9-10.0.0.1" is a range, not an address`,
		`bad-ranges.txt:4:1: "not-an-ip" is not an IP address (write an IPv4 or IPv6 address)`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("ip list error:\n%v\nwant a line with: %s", err, w)
		}
	}
	_, err = LoadValueList("x", "ipp", filepath.Join("testdata", "valuelists", "vip-users.txt"))
	if err == nil || !strings.Contains(err.Error(), `unknown value list type "ipp" (did you mean "ip"?)`) {
		t.Errorf("unknown type: %v", err)
	}
	_, err = LoadValueList("x", "keyword", filepath.Join("testdata", "valuelists", "missing.txt"))
	if err == nil || !strings.Contains(err.Error(), "value list x:") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	_, err = NewValueList("", "keyword", []string{"a"})
	var es Errors
	if !errors.As(err, &es) || !strings.Contains(err.Error(), "value list without an id") {
		t.Errorf("no id: %v", err)
	}
}

func TestIPSet(t *testing.T) {
	vl, err := NewValueList("r", "ip_range", []string{
		"10.0.0.0/8", "10.1.0.0/16", "192.168.1.10-192.168.1.20", "192.168.1.15-192.168.1.30",
		"192.168.2.5 - 192.168.2.5", "172.16.0.1", "fd00::/8", "2001:db8::1-2001:db8::ff",
		"fe80::1%eth0",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"10.255.255.255", true}, {"11.0.0.0", false}, {"9.255.255.255", false},
		{"192.168.1.9", false}, {"192.168.1.10", true}, {"192.168.1.25", true}, {"192.168.1.30", true}, {"192.168.1.31", false},
		{"192.168.2.5", true}, {"192.168.2.4", false}, {"192.168.2.6", false},
		{"172.16.0.1", true}, {"172.16.0.2", false},
		{"fd12::1", true}, {"fe00::1", false},
		{"2001:db8::80", true}, {"2001:db8::100", false},
		{"fe80::1", true},
		{"::ffff:10.1.2.3", true},
		{"::ffff:11.1.2.3", false},
	} {
		a, _ := netip.ParseAddr(tt.addr)
		if got := vl.ips.contains(a.As16()); got != tt.want {
			t.Errorf("contains(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	// IPv4 addresses are in the IPv4-mapped IPv6 network, as in Elasticsearch.
	mapped, _ := NewValueList("m", "ip_range", []string{"::ffff:0:0/96"})
	a := netip.MustParseAddr("8.8.8.8")
	if !mapped.ips.contains(a.As16()) {
		t.Error("8.8.8.8 not in ::ffff:0:0/96")
	}
}

// TestLargeValueLists: lists of many values stay one lookup per event value.
func TestLargeValueLists(t *testing.T) {
	var users, nets []string
	for i := range 200_000 {
		users = append(users, fmt.Sprintf("user-%06d@corp.example", i))
	}
	for i := range 50_000 {
		nets = append(nets, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256), fmt.Sprintf("172.%d.%d.1-172.%d.%d.9", 16+i/256%16, i%256, 16+i/256%16, i%256))
	}
	uvl, err := NewValueList("users", "keyword", users)
	if err != nil {
		t.Fatal(err)
	}
	nvl, err := NewValueList("nets", "ip_range", nets)
	if err != nil {
		t.Fatal(err)
	}
	vls := map[string]*ValueList{"users": uvl, "nets": nvl}
	for _, tt := range []struct {
		e    Entry
		doc  string
		want bool
	}{
		{Entry{Field: "user.name", Type: TypeList, Operator: Included, List: &ListRef{ID: "users", Type: "keyword"}}, `{"user.name":"user-199999@corp.example"}`, true},
		{Entry{Field: "user.name", Type: TypeList, Operator: Included, List: &ListRef{ID: "users", Type: "keyword"}}, `{"user.name":"user-200000@corp.example"}`, false},
		{Entry{Field: "source.ip", Type: TypeList, Operator: Included, List: &ListRef{ID: "nets", Type: "ip_range"}}, `{"source.ip":"10.195.79.200"}`, true},
		{Entry{Field: "source.ip", Type: TypeList, Operator: Included, List: &ListRef{ID: "nets", Type: "ip_range"}}, `{"source.ip":"172.17.4.5"}`, true},
		{Entry{Field: "source.ip", Type: TypeList, Operator: Included, List: &ListRef{ID: "nets", Type: "ip_range"}}, `{"source.ip":"172.17.4.10"}`, false},
		{Entry{Field: "source.ip", Type: TypeList, Operator: Included, List: &ListRef{ID: "nets", Type: "ip_range"}}, `{"source.ip":"11.0.0.1"}`, false},
	} {
		if got := excludesOne(t, tt.e, tt.doc, vls); got != tt.want {
			t.Errorf("%s in %s: %v, want %v", tt.doc, tt.e.List.ID, got, tt.want)
		}
	}
	// A large match_any also stays a set lookup in package match: check the
	// verdict on a list of 20,000 values.
	many := make([]string, 20_000)
	for i := range many {
		many[i] = fmt.Sprintf("op-%d", i)
	}
	e := Entry{Field: "event.action", Type: TypeMatchAny, Operator: Included, Values: many}
	if !excludesOne(t, e, `{"event.action":"op-19999"}`, nil) || excludesOne(t, e, `{"event.action":"op-20000"}`, nil) {
		t.Error("large match_any gives a wrong verdict")
	}
}
