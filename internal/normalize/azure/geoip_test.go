package azure_test

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/geoip/geoiptest"
	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/normalize/azure"
)

// geoField reports whether a field is one the integration's geoip
// processors write (geo.name comes from location, but the geo processor
// replaces the whole geo object when the address is found).
func geoField(path string) bool {
	for _, p := range []string{"geo.", "source.geo.", "source.as.", "client.geo.", "client.as."} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// TestPipelineOracleGeoIP runs Elastic's pipeline tests with City and ASN
// databases holding, for the addresses those tests use, the values of the
// databases Elastic ran them with, and compares the GeoIP fields both ways:
// every one Elastic wrote, with its value and shape, and none it did not
// (geo.name is gone where the address was found; a record whose caller is
// not an IP address, or has no record in the databases, gets nothing).
func TestPipelineOracleGeoIP(t *testing.T) {
	root := filepath.Join(azure.SharedDir(t), "integrations")
	dir := t.TempDir()
	dbs, err := geoip.Load([]string{geoiptest.City(t, dir), geoiptest.ASN(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer dbs.Close()
	var expected []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, "-expected.json") && !strings.Contains(p, "variants") {
			expected = append(expected, p)
		}
		return nil
	})
	sort.Strings(expected)
	compared, enriched := 0, 0
	for _, exp := range expected {
		rel, _ := filepath.Rel(root, exp)
		want := expectedDocs(t, exp)
		lines := inputLines(t, root, exp)
		for i, line := range lines {
			wantFlat, gotFlat := map[string]string{}, map[string]string{}
			azure.Flatten("", want[i], wantFlat)
			out, _, err := normalize.Normalize(line, normalize.AzureActivity, normalize.Options{GeoIP: dbs})
			if err != nil {
				t.Fatalf("%s document %d: %v", rel, i+1, err)
			}
			azure.Flatten("", decodeJSON(t, out), gotFlat)
			keys := map[string]bool{}
			for k := range wantFlat {
				keys[k] = geoField(k) || k == "geo.name"
			}
			for k := range gotFlat {
				keys[k] = keys[k] || geoField(k) || k == "geo.name"
			}
			hit := false
			for k, geo := range keys {
				if !geo {
					continue
				}
				compared++
				hit = hit || strings.HasPrefix(k, "source.")
				if gotFlat[k] != wantFlat[k] && !sameNumber(gotFlat[k], wantFlat[k]) {
					t.Errorf("%s document %d: %s: got %s, want %s", rel, i+1, k, orNone(gotFlat[k]), orNone(wantFlat[k]))
				}
			}
			if hit {
				enriched++
			}
		}
	}
	if enriched < 5 {
		t.Errorf("only %d documents enriched", enriched)
	}
	t.Logf("%d GeoIP fields compared over %d enriched documents", compared, enriched)
}

// sameNumber: Elastic's documents print a Java double (62.0), Vigil's the
// shortest form (62); the geo_point indexed is the same.
func sameNumber(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}
