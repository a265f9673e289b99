package normalize_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/geoip/geoiptest"
	"github.com/vigil-project/vigil/internal/normalize"
)

func TestEnrichECS(t *testing.T) {
	dir := t.TempDir()
	dbs, err := geoip.Load([]string{geoiptest.City(t, dir), geoiptest.ASN(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer dbs.Close()
	hosting := `{"city_name":"Milton","continent_name":"North America","country_iso_code":"US","country_name":"United States","location":{"lat":47.2513,"lon":-122.3149},"region_iso_code":"US-WA","region_name":"Washington"}`
	hostingAS := `{"number":209,"organization":{"name":"Qwest Communications Company, LLC"}}`
	for _, tc := range []struct{ name, in, want string }{
		{"nested source", `{"@timestamp":"2026-01-01T00:00:00Z","source":{"ip":"` + geoiptest.Hosting + `"}}`,
			`{"@timestamp":"2026-01-01T00:00:00Z","source":{"geo":` + hosting + `,"as":` + hostingAS + `,"ip":"` + geoiptest.Hosting + `"}}`},
		{"dotted ip, no source object", `{"source.ip":"` + geoiptest.Telstra + `"}`,
			`{"source":{"as":{"number":1221,"organization":{"name":"Telstra Pty Ltd"}}},"source.ip":"` + geoiptest.Telstra + `"}`},
		{"geo present: kept, as added", `{"source":{"ip":"` + geoiptest.Hosting + `","geo":{"country_name":"Elsewhere"}}}`,
			`{"source":{"as":` + hostingAS + `,"ip":"` + geoiptest.Hosting + `","geo":{"country_name":"Elsewhere"}}}`},
		{"dotted as present", `{"source":{"ip":"` + geoiptest.Hosting + `"},"source.as.number":1}`,
			`{"source":{"geo":` + hosting + `,"ip":"` + geoiptest.Hosting + `"},"source.as.number":1}`},
		{"private: nothing", `{"source":{"ip":"` + geoiptest.Private + `"},"destination":{"ip":"fd00::1"}}`,
			`{"source":{"ip":"` + geoiptest.Private + `"},"destination":{"ip":"fd00::1"}}`},
		{"destination and client, IPv6", `{"destination":{"ip":"` + geoiptest.HostingV6 + `"},"client":{"ip":["not an ip","` + geoiptest.Bhutan + `"]}}`,
			`{"destination":{"geo":{"continent_name":"North America","country_iso_code":"US","country_name":"United States","location":{"lat":37.751,"lon":-97.822}},"as":{"number":6939,"organization":{"name":"Hurricane Electric LLC"}},"ip":"` + geoiptest.HostingV6 + `"},` +
				`"client":{"geo":{"continent_name":"Asia","country_iso_code":"BT","country_name":"Bhutan","location":{"lat":27.5,"lon":90.5}},"as":{"number":35908},"ip":["not an ip","` + geoiptest.Bhutan + `"]}}`},
		{"source not an object", `{"source":"x","source.ip":"` + geoiptest.Telstra + `"}`,
			`{"source.as":{"number":1221,"organization":{"name":"Telstra Pty Ltd"}},"source":"x","source.ip":"` + geoiptest.Telstra + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, warns := normalize.EnrichECS([]byte(tc.in), event.New([]byte(tc.in), nil), dbs)
			if len(warns) > 0 {
				t.Errorf("warnings: %v", warns)
			}
			if !json.Valid(out) {
				t.Fatalf("invalid JSON: %s", out)
			}
			if diff := cmp.Diff(tc.want, string(out)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// Through Normalize, only when asked.
			same, _, _ := normalize.Normalize([]byte(tc.in), normalize.Auto, normalize.Options{GeoIP: dbs})
			if string(same) != tc.in {
				t.Errorf("enriched without GeoIPECS: %s", same)
			}
			got, _, _ := normalize.Normalize([]byte(tc.in), normalize.Auto, normalize.Options{GeoIP: dbs, GeoIPECS: true})
			if string(got) != tc.want {
				t.Errorf("Normalize with GeoIPECS: %s", got)
			}
		})
	}
}
