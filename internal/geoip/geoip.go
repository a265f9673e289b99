// Package geoip reads the MaxMind-format databases a user provides
// (GeoLite2 / GeoIP2 City, Country and ASN, or DB-IP's lite editions in
// MaxMind format) and gives, for an IP address, the fields Elasticsearch's
// geoip ingest processor writes, with its names and shapes:
//
//   - from a City database, the processor's default properties: city_name,
//     country_iso_code, country_name, continent_name, region_iso_code
//     (country and most specific subdivision, "GB-ENG"), region_name and
//     location {lat, lon};
//   - from a Country database (used for geo only when no City database is
//     given), its defaults: continent_name, country_name, country_iso_code;
//   - from an ASN database, asn and organization_name, which Elastic's
//     pipelines rename to as.number and as.organization.name: AS gives the
//     ECS names.
//
// A database's kind comes from its metadata's database_type (its suffix
// -City, -Country or -ASN, optionally followed by -Lite), never from the
// file name. A value the database does not hold is left out, and an
// address it has no record for (a private one) gives nothing at all: the
// processor then writes nothing.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Kind is what a database holds.
type Kind int

// Kinds of databases.
const (
	City Kind = iota + 1
	Country
	ASN
)

func (k Kind) String() string {
	switch k {
	case City:
		return "City"
	case Country:
		return "Country"
	case ASN:
		return "ASN"
	}
	return "unknown"
}

// KindOf tells a database's kind from its metadata database_type:
// "GeoLite2-City", "GeoIP2-City", "DBIP-City-Lite" are City, and so on.
func KindOf(databaseType string) (Kind, bool) {
	t := strings.TrimSuffix(databaseType, "-Lite")
	switch {
	case strings.HasSuffix(t, "-City"):
		return City, true
	case strings.HasSuffix(t, "-Country"):
		return Country, true
	case strings.HasSuffix(t, "-ASN"):
		return ASN, true
	}
	return 0, false
}

// DB is one open database.
type DB struct {
	Path string
	Type string // the metadata's database_type
	Kind Kind
	r    *maxminddb.Reader
}

// Open opens a database (memory-mapped) and tells its kind from its
// metadata.
func Open(path string) (*DB, error) { return open(path, false) }

// open opens a database, memory-mapped or read into memory (inMemory: it
// then needs no Close, and may be dropped while lookups still run).
func open(path string, inMemory bool) (*DB, error) {
	var r *maxminddb.Reader
	var err error
	if inMemory {
		var data []byte
		if data, err = os.ReadFile(path); err == nil {
			r, err = maxminddb.OpenBytes(data)
		}
	} else {
		r, err = maxminddb.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable MaxMind-format database: %w", path, err)
	}
	typ := r.Metadata.DatabaseType
	kind, ok := KindOf(typ)
	if !ok {
		r.Close()
		return nil, fmt.Errorf("%s: database type %q is not a City, Country or ASN database (GeoLite2-City, GeoLite2-Country, GeoLite2-ASN, or DB-IP's lite editions)", path, typ)
	}
	return &DB{Path: path, Type: typ, Kind: kind, r: r}, nil
}

// Close releases the database.
func (db *DB) Close() error { return db.r.Close() }

// Databases are the databases of one configuration: at most one for geo
// fields (a City database, else a Country one) and one for AS fields.
// Lookups are safe for concurrent use.
type Databases struct {
	geo *DB
	asn *DB
	all []*DB
}

// Load opens the databases at paths. Two databases that would fill the
// same fields (two City, two ASN, two Country) are an error, as is a file
// of another type; a Country database is set aside when a City one is
// given (the City one holds the same fields and more).
func Load(paths []string) (*Databases, error) { return load(paths, false) }

func load(paths []string, inMemory bool) (*Databases, error) {
	d := &Databases{}
	byKind := map[Kind]*DB{}
	for _, p := range paths {
		db, err := open(p, inMemory)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.all = append(d.all, db)
		if prev := byKind[db.Kind]; prev != nil {
			d.Close()
			return nil, fmt.Errorf("%s and %s are both %s databases: give one of each kind (City or Country, and ASN)", prev.Path, p, db.Kind)
		}
		byKind[db.Kind] = db
	}
	d.geo = byKind[City]
	if d.geo == nil {
		d.geo = byKind[Country]
	}
	d.asn = byKind[ASN]
	return d, nil
}

// Close closes every database.
func (d *Databases) Close() error {
	if d == nil {
		return nil
	}
	var errs []error
	for _, db := range d.all {
		errs = append(errs, db.Close())
	}
	d.all, d.geo, d.asn = nil, nil, nil
	return errors.Join(errs...)
}

// List returns the databases loaded, in the order given.
func (d *Databases) List() []*DB {
	if d == nil {
		return nil
	}
	return d.all
}

// HasGeo reports whether geo fields can be filled (a City or Country
// database is loaded).
func (d *Databases) HasGeo() bool { return d != nil && d.geo != nil }

// HasAS reports whether AS fields can be filled (an ASN database).
func (d *Databases) HasAS() bool { return d != nil && d.asn != nil }

// Geo is what the geoip processor writes under its target field from a
// City or Country database. Empty strings are values the database does
// not hold, and are not written.
type Geo struct {
	CityName       string
	CountryISOCode string
	CountryName    string
	ContinentName  string
	RegionISOCode  string
	RegionName     string
	HasLocation    bool
	Lat, Lon       float64
}

// Empty reports whether the lookup gave nothing to write.
func (g *Geo) Empty() bool {
	return *g == Geo{}
}

// Object returns the ECS object of the fields (nil when empty), as the
// processor writes it under <target>.geo.
func (g *Geo) Object() map[string]any {
	if g.Empty() {
		return nil
	}
	m := make(map[string]any, 7)
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put("city_name", g.CityName)
	put("country_iso_code", g.CountryISOCode)
	put("country_name", g.CountryName)
	put("continent_name", g.ContinentName)
	put("region_iso_code", g.RegionISOCode)
	put("region_name", g.RegionName)
	if g.HasLocation {
		m["location"] = map[string]any{"lat": g.Lat, "lon": g.Lon}
	}
	return m
}

// AS is what the ASN processor of Elastic's pipelines leaves, after their
// renames (asn to as.number, organization_name to as.organization.name).
type AS struct {
	Number           int64
	HasNumber        bool
	OrganizationName string
}

// Empty reports whether the lookup gave nothing to write.
func (a *AS) Empty() bool { return !a.HasNumber && a.OrganizationName == "" }

// Object returns the ECS object ({number, organization: {name}}) of the
// fields, nil when empty.
func (a *AS) Object() map[string]any {
	if a.Empty() {
		return nil
	}
	m := make(map[string]any, 2)
	if a.HasNumber {
		m["number"] = a.Number
	}
	if a.OrganizationName != "" {
		m["organization"] = map[string]any{"name": a.OrganizationName}
	}
	return m
}

// names is a record's localized names: the processor reads English.
type names struct {
	En string `maxminddb:"en"`
}

// cityRecord is the part of a City (or Country) record the processor
// reads.
type cityRecord struct {
	City struct {
		Names names `maxminddb:"names"`
	} `maxminddb:"city"`
	Continent struct {
		Names names `maxminddb:"names"`
	} `maxminddb:"continent"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"country"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
	Subdivisions []struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
}

type asnRecord struct {
	Number       *uint32 `maxminddb:"autonomous_system_number"`
	Organization string  `maxminddb:"autonomous_system_organization"`
}

// Geo looks ip up in the City (or Country) database. ok is false when no
// such database is loaded, the address has no record, or the record holds
// none of the fields.
func (d *Databases) Geo(ip netip.Addr) (g Geo, ok bool, err error) {
	if d == nil || d.geo == nil || !ip.IsValid() {
		return g, false, nil
	}
	res := d.geo.r.Lookup(ip.Unmap())
	if !res.Found() {
		return g, false, res.Err()
	}
	var rec cityRecord
	if err := res.Decode(&rec); err != nil {
		return g, false, fmt.Errorf("%s: %s: %w", d.geo.Path, ip, err)
	}
	g.CountryISOCode = rec.Country.ISOCode
	g.CountryName = rec.Country.Names.En
	g.ContinentName = rec.Continent.Names.En
	if d.geo.Kind == City {
		g.CityName = rec.City.Names.En
		if n := len(rec.Subdivisions); n > 0 {
			sub := rec.Subdivisions[n-1] // the most specific
			g.RegionName = sub.Names.En
			if sub.ISOCode != "" && rec.Country.ISOCode != "" {
				g.RegionISOCode = rec.Country.ISOCode + "-" + sub.ISOCode
			}
		}
		if rec.Location.Latitude != nil && rec.Location.Longitude != nil {
			g.HasLocation, g.Lat, g.Lon = true, *rec.Location.Latitude, *rec.Location.Longitude
		}
	}
	return g, !g.Empty(), nil
}

// AS looks ip up in the ASN database; ok as for Geo.
func (d *Databases) AS(ip netip.Addr) (a AS, ok bool, err error) {
	if d == nil || d.asn == nil || !ip.IsValid() {
		return a, false, nil
	}
	res := d.asn.r.Lookup(ip.Unmap())
	if !res.Found() {
		return a, false, res.Err()
	}
	var rec asnRecord
	if err := res.Decode(&rec); err != nil {
		return a, false, fmt.Errorf("%s: %s: %w", d.asn.Path, ip, err)
	}
	if rec.Number != nil {
		a.Number, a.HasNumber = int64(*rec.Number), true
	}
	a.OrganizationName = rec.Organization
	return a, !a.Empty(), nil
}
