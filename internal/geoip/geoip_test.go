package geoip_test

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/geoip/geoiptest"
)

func load(t *testing.T, paths ...string) *geoip.Databases {
	t.Helper()
	dbs, err := geoip.Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dbs.Close() })
	return dbs
}

func TestLookups(t *testing.T) {
	dir := t.TempDir()
	dbs := load(t, geoiptest.City(t, dir), geoiptest.ASN(t, dir))
	london := map[string]any{
		"city_name": "London", "continent_name": "Europe", "country_iso_code": "GB", "country_name": "United Kingdom",
		"location": map[string]any{"lat": 51.5142, "lon": -0.0931}, "region_iso_code": "GB-ENG", "region_name": "England",
	}
	for _, tc := range []struct {
		ip      string
		geo, as map[string]any
	}{
		{ip: geoiptest.London, geo: london},
		{ip: "::ffff:" + geoiptest.London, geo: london}, // IPv4-mapped
		{ip: geoiptest.Norway, geo: map[string]any{ // IPv6, a country-level record
			"continent_name": "Europe", "country_iso_code": "NO", "country_name": "Norway",
			"location": map[string]any{"lat": 62.0, "lon": 10.0}}},
		{ip: geoiptest.Telstra, as: map[string]any{"number": int64(1221), "organization": map[string]any{"name": "Telstra Pty Ltd"}}},
		{ip: geoiptest.Bhutan, geo: map[string]any{
			"continent_name": "Asia", "country_iso_code": "BT", "country_name": "Bhutan",
			"location": map[string]any{"lat": 27.5, "lon": 90.5}},
			as: map[string]any{"number": int64(35908)}},
		{ip: geoiptest.HostingV6, geo: map[string]any{
			"continent_name": "North America", "country_iso_code": "US", "country_name": "United States",
			"location": map[string]any{"lat": 37.751, "lon": -97.822}},
			as: map[string]any{"number": int64(6939), "organization": map[string]any{"name": "Hurricane Electric LLC"}}},
		{ip: geoiptest.Private},
		{ip: "127.0.0.1"},
		{ip: "fd00::1"},
	} {
		ip := netip.MustParseAddr(tc.ip)
		g, gok, err := dbs.Geo(ip)
		if err != nil {
			t.Fatal(err)
		}
		a, aok, err := dbs.AS(ip)
		if err != nil {
			t.Fatal(err)
		}
		if gok != (tc.geo != nil) || aok != (tc.as != nil) {
			t.Errorf("%s: geo found %v, as found %v", tc.ip, gok, aok)
		}
		if diff := cmp.Diff(tc.geo, g.Object()); diff != "" {
			t.Errorf("%s: geo (-want +got):\n%s", tc.ip, diff)
		}
		if diff := cmp.Diff(tc.as, a.Object()); diff != "" {
			t.Errorf("%s: as (-want +got):\n%s", tc.ip, diff)
		}
	}
}

// A Country database gives the processor's Country defaults; a database
// of one kind fills nothing of the other.
func TestKindsFillTheirFieldsOnly(t *testing.T) {
	dir := t.TempDir()
	ip := netip.MustParseAddr(geoiptest.London)
	country := load(t, geoiptest.Country(t, dir))
	g, ok, _ := country.Geo(ip)
	want := map[string]any{"continent_name": "Europe", "country_iso_code": "GB", "country_name": "United Kingdom"}
	if diff := cmp.Diff(want, g.Object()); !ok || diff != "" {
		t.Errorf("country database (-want +got):\n%s", diff)
	}
	if _, ok, _ := country.AS(netip.MustParseAddr(geoiptest.Telstra)); ok || country.HasAS() {
		t.Error("a Country database gave AS fields")
	}
	asn := load(t, geoiptest.ASN(t, dir))
	if _, ok, _ := asn.Geo(netip.MustParseAddr(geoiptest.Hosting)); ok || asn.HasGeo() {
		t.Error("an ASN database gave geo fields")
	}
	// City wins over Country, whatever the order.
	both := load(t, geoiptest.Country(t, t.TempDir()), geoiptest.City(t, dir))
	if g, _, _ := both.Geo(ip); g.CityName != "London" {
		t.Errorf("with City and Country: %+v", g)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	anon := geoiptest.Write(t, filepath.Join(dir, "anon.mmdb"), "GeoIP2-Anonymous-IP",
		map[string]mmdbtype.Map{"1.2.3.0/24": {"is_anonymous": mmdbtype.Bool(true)}})
	city := geoiptest.City(t, dir)
	other := geoiptest.City(t, t.TempDir())
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{[]string{anon}, `database type "GeoIP2-Anonymous-IP" is not a City, Country or ASN database`},
		{[]string{city, other}, "are both City databases"},
		{[]string{filepath.Join(dir, "missing.mmdb")}, "not a readable MaxMind-format database"},
		{[]string{"geoip_test.go"}, "not a readable MaxMind-format database"},
	} {
		_, err := geoip.Load(tc.paths)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.paths, err, tc.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	for typ, want := range map[string]geoip.Kind{
		"GeoLite2-City": geoip.City, "GeoIP2-City": geoip.City, "DBIP-City-Lite": geoip.City,
		"GeoLite2-Country": geoip.Country, "DBIP-Country-Lite": geoip.Country,
		"GeoLite2-ASN": geoip.ASN, "DBIP-ASN-Lite": geoip.ASN,
		"GeoIP2-ISP": 0, "GeoIP2-Anonymous-IP": 0, "": 0, "City": 0,
	} {
		if got, _ := geoip.KindOf(typ); got != want {
			t.Errorf("%q: %v, want %v", typ, got, want)
		}
	}
}

// BenchmarkLookup measures what one event's enrichment costs: a City and
// an ASN lookup of a public address.
func BenchmarkLookup(b *testing.B) {
	dir := b.TempDir()
	dbs, err := geoip.Load([]string{geoiptest.City(b, dir), geoiptest.ASN(b, dir)})
	if err != nil {
		b.Fatal(err)
	}
	defer dbs.Close()
	ip := netip.MustParseAddr(geoiptest.Hosting)
	b.ReportAllocs()
	for b.Loop() {
		g, _, _ := dbs.Geo(ip)
		a, _, _ := dbs.AS(ip)
		_ = g.Object()
		_ = a.Object()
	}
}
