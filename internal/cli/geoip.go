package cli

import (
	"flag"
	"fmt"

	"github.com/vigil-project/vigil/internal/geoip"
)

// geoipFlags are the GeoIP flags of normalize and hunt.
type geoipFlags struct {
	dbs stringList
	ecs *bool
}

func addGeoIPFlags(fs *flag.FlagSet, g *geoipFlags) {
	fs.Var(&g.dbs, "geoip-db", "a GeoLite2/GeoIP2 or DB-IP City, Country or ASN database (.mmdb) for GeoIP and ASN enrichment as Elastic's ingest pipelines do it (repeatable, one per database; see docs/azure.md)")
	g.ecs = fs.Bool("geoip-ecs", false, "with --geoip-db: also enrich documents already in ECS, where source/destination/client .geo and .as are absent")
}

// load opens the databases named (nil when none). --geoip-ecs without a
// database is a usage error.
func (g *geoipFlags) load() (*geoip.Databases, error) {
	if len(g.dbs) == 0 {
		if *g.ecs {
			return nil, fmt.Errorf("--geoip-ecs needs databases: name them with --geoip-db FILE")
		}
		return nil, nil
	}
	dbs, err := geoip.Load(g.dbs)
	if err != nil {
		return nil, fmt.Errorf("--geoip-db: %w", err)
	}
	return dbs, nil
}
