// Package geoiptest builds small MaxMind-format databases for tests, with
// MaxMind's writer, in the shapes of GeoLite2 City, Country and ASN. No
// real database is read or shipped. The addresses Elastic's Azure pipeline
// tests look up (81.2.69.143-144 in London, 2a02:cf40:: in Norway,
// 67.43.156.0/24 in Bhutan, 1.128.0.0/11 in AS1221) get the values their
// expected documents show, so that the documents Vigil makes can be
// compared with Elastic's; the other networks are made up.
package geoiptest

import (
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Addresses the databases hold.
const (
	London     = "81.2.69.144"                            // City: London, England, GB; no ASN
	Norway     = "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6" // City: country-level only (Norway)
	Telstra    = "1.128.3.4"                              // ASN 1221 Telstra Pty Ltd; City: none
	Bhutan     = "67.43.156.42"                           // City: Bhutan (country-level); ASN 35908
	Hosting    = "216.160.83.56"                          // City: Milton, Washington, US; ASN 209
	HostingV6  = "2001:480:10::1"                         // City: US (country-level); ASN 6939 (IPv6)
	Private    = "10.1.2.3"                               // nowhere (reserved networks hold nothing)
	HostingASN = 209
)

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(en), "de": mmdbtype.String(en + " (de)")}}
}

func country(iso, name, continentCode, continent string) mmdbtype.Map {
	return mmdbtype.Map{
		"continent":          mmdbtype.Map{"code": mmdbtype.String(continentCode), "names": names(continent)["names"]},
		"country":            mmdbtype.Map{"iso_code": mmdbtype.String(iso), "names": names(name)["names"]},
		"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String(iso), "names": names(name)["names"]},
	}
}

func with(m mmdbtype.Map, k string, v mmdbtype.DataType) mmdbtype.Map {
	m[mmdbtype.String(k)] = v
	return m
}

func location(lat, lon float64, tz string) mmdbtype.Map {
	return mmdbtype.Map{"latitude": mmdbtype.Float64(lat), "longitude": mmdbtype.Float64(lon),
		"time_zone": mmdbtype.String(tz), "accuracy_radius": mmdbtype.Uint16(100)}
}

func cityRecords() map[string]mmdbtype.Map {
	london := country("GB", "United Kingdom", "EU", "Europe")
	with(london, "city", names("London"))
	with(london, "location", location(51.5142, -0.0931, "Europe/London"))
	with(london, "postal", mmdbtype.Map{"code": mmdbtype.String("EC2V")})
	with(london, "subdivisions", mmdbtype.Slice{with(names("England"), "iso_code", mmdbtype.String("ENG"))})
	norway := country("NO", "Norway", "EU", "Europe")
	with(norway, "location", mmdbtype.Map{"latitude": mmdbtype.Float64(62), "longitude": mmdbtype.Float64(10)})
	bhutan := country("BT", "Bhutan", "AS", "Asia")
	with(bhutan, "location", mmdbtype.Map{"latitude": mmdbtype.Float64(27.5), "longitude": mmdbtype.Float64(90.5)})
	milton := country("US", "United States", "NA", "North America")
	with(milton, "city", names("Milton"))
	with(milton, "location", location(47.2513, -122.3149, "America/Los_Angeles"))
	with(milton, "subdivisions", mmdbtype.Slice{with(names("Washington"), "iso_code", mmdbtype.String("WA"))})
	us := country("US", "United States", "NA", "North America")
	with(us, "location", mmdbtype.Map{"latitude": mmdbtype.Float64(37.751), "longitude": mmdbtype.Float64(-97.822)})
	return map[string]mmdbtype.Map{
		"81.2.69.142/31":   london,
		"81.2.69.144/28":   london,
		"2a02:cf40::/29":   norway,
		"67.43.156.0/24":   bhutan,
		"216.160.83.56/29": milton,
		"2001:480::/32":    us,
	}
}

func asnRecords() map[string]mmdbtype.Map {
	as := func(n uint32, org string) mmdbtype.Map {
		return mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(n), "autonomous_system_organization": mmdbtype.String(org)}
	}
	return map[string]mmdbtype.Map{
		"1.128.0.0/11":     as(1221, "Telstra Pty Ltd"),
		"67.43.156.0/24":   {"autonomous_system_number": mmdbtype.Uint32(35908)}, // no organization, as in MaxMind's test data
		"216.160.83.56/29": as(HostingASN, "Qwest Communications Company, LLC"),
		"2001:480::/32":    as(6939, "Hurricane Electric LLC"),
	}
}

// Write writes a database of type databaseType ("GeoLite2-City", ...)
// holding records (CIDR to record) to path.
func Write(t testing.TB, path, databaseType string, records map[string]mmdbtype.Map) string {
	t.Helper()
	return write(t, path, databaseType, false, records)
}

// City writes a GeoLite2-City database into dir and returns its path.
func City(t testing.TB, dir string) string {
	return Write(t, filepath.Join(dir, "GeoLite2-City.mmdb"), "GeoLite2-City", cityRecords())
}

// Country writes a GeoLite2-Country database (the City records without
// city, subdivisions, location) into dir.
func Country(t testing.TB, dir string) string {
	recs := map[string]mmdbtype.Map{}
	for cidr, r := range cityRecords() {
		c := mmdbtype.Map{}
		for _, k := range []mmdbtype.String{"continent", "country", "registered_country"} {
			c[k] = r[k]
		}
		recs[cidr] = c
	}
	return Write(t, filepath.Join(dir, "GeoLite2-Country.mmdb"), "GeoLite2-Country", recs)
}

// ASN writes a GeoLite2-ASN database into dir.
func ASN(t testing.TB, dir string) string {
	return Write(t, filepath.Join(dir, "GeoLite2-ASN.mmdb"), "GeoLite2-ASN", asnRecords())
}

// Documentation writes a City and an ASN database over the documentation
// ranges the benchmark's data sets take callers from (reserved networks,
// which real databases leave empty): 203.0.113.0/25 is London in AS 64500,
// 198.51.100.0/24 is in AS 64501 with no location, and 192.0.2.0/24 and
// 203.0.113.128/25 are nowhere.
func Documentation(t testing.TB, dir string) (city, asn string) {
	t.Helper()
	london := cityRecords()["81.2.69.142/31"]
	city = write(t, filepath.Join(dir, "doc-City.mmdb"), "GeoLite2-City", true, map[string]mmdbtype.Map{"203.0.113.0/25": london})
	asn = write(t, filepath.Join(dir, "doc-ASN.mmdb"), "GeoLite2-ASN", true, map[string]mmdbtype.Map{
		"203.0.113.0/25":  {"autonomous_system_number": mmdbtype.Uint32(64500), "autonomous_system_organization": mmdbtype.String("Example Hosting")},
		"198.51.100.0/24": {"autonomous_system_number": mmdbtype.Uint32(64501), "autonomous_system_organization": mmdbtype.String("Example Transit")},
	})
	return city, asn
}
