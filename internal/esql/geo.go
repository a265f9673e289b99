package esql

import (
	"math"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
)

// geoPoint is a geo_point value.
type geoPoint struct{ lon, lat float64 }

// earthRadius is the mean Earth radius (meters) Elasticsearch's spherical
// distance uses.
const earthRadius = 6371008.7714

// wkt renders the point as ES|QL does: POINT (lon lat).
func (g geoPoint) wkt() string {
	return "POINT (" + formatDouble(g.lon) + " " + formatDouble(g.lat) + ")"
}

// parseGeoPoint reads a point written as WKT (POINT (lon lat)), "lat,lon"
// or a geohash-free "lat, lon" string.
func parseGeoPoint(s string) (geoPoint, bool) {
	s = strings.TrimSpace(s)
	if u := strings.ToUpper(s); strings.HasPrefix(u, "POINT") {
		in := strings.TrimSpace(s[5:])
		if !strings.HasPrefix(in, "(") || !strings.HasSuffix(in, ")") {
			return geoPoint{}, false
		}
		f := strings.Fields(in[1 : len(in)-1])
		if len(f) != 2 {
			return geoPoint{}, false
		}
		x, err1 := strconv.ParseFloat(f[0], 64)
		y, err2 := strconv.ParseFloat(f[1], 64)
		return geoPoint{lon: x, lat: y}, err1 == nil && err2 == nil
	}
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return geoPoint{}, false
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	return geoPoint{lon: lon, lat: lat}, err1 == nil && err2 == nil
}

// readGeoPoint reads a geo_point field of a document: {"lat":..,"lon":..},
// [lon, lat], "lat,lon" or WKT.
func readGeoPoint(ev *event.Event, path string) any {
	lat, lon := ev.Get(path+".lat"), ev.Get(path+".lon")
	if len(lat) == 1 && len(lon) == 1 && lat[0].Kind == event.KindNumber && lon[0].Kind == event.KindNumber {
		return geoPoint{lon: lon[0].Num, lat: lat[0].Num}
	}
	vs := ev.Get(path)
	if len(vs) == 2 && vs[0].Kind == event.KindNumber && vs[1].Kind == event.KindNumber {
		return geoPoint{lon: vs[0].Num, lat: vs[1].Num}
	}
	var out []any
	for _, v := range vs {
		if v.Kind == event.KindString {
			if g, ok := parseGeoPoint(v.Str); ok {
				out = append(out, g)
			}
		}
	}
	return mvOf(out)
}

// haversine is the spherical distance in meters.
func haversine(a, b geoPoint) float64 {
	rad := math.Pi / 180
	dlat := (b.lat - a.lat) * rad
	dlon := (b.lon - a.lon) * rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(a.lat*rad)*math.Cos(b.lat*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

func init() {
	mvFunctions["ST_X"] = geoAccessor(func(g geoPoint) float64 { return g.lon })
	mvFunctions["ST_Y"] = geoAccessor(func(g geoPoint) float64 { return g.lat })
	mvFunctions["TO_GEOPOINT"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		return c.convert(e, args[0], GeoPoint, func(v any) (any, string) {
			switch x := v.(type) {
			case geoPoint:
				return x, ""
			case string:
				if g, ok := parseGeoPoint(x); ok {
					return g, ""
				}
				return nil, "java.lang.IllegalArgumentException: Failed to parse WKT: " + x
			}
			return nil, "unsupported"
		}), nil
	}
	mvFunctions["ST_DISTANCE"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		for i := range args {
			if args[i].typ != GeoPoint && args[i].typ != Null {
				return cexpr{}, c.errorf(e.Args[i].Pos(), "", "ST_DISTANCE needs geo_point arguments, not [%s] of type %s", e.Args[i], args[i].typ)
			}
		}
		return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any {
			return haversine(v[0].(geoPoint), v[1].(geoPoint))
		}), nil
	}
}

func geoAccessor(f func(geoPoint) float64) func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
	return func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if args[0].typ != GeoPoint && args[0].typ != Null {
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "%s needs a geo_point, not [%s] of type %s", e.Name, e.Args[0], args[0].typ)
		}
		return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any { return f(v[0].(geoPoint)) }), nil
	}
}
