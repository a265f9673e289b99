package esql

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
)

// Type is an ES|QL data type.
type Type uint8

// ES|QL types. Values of each type are held as Go values: nil for null;
// string for Keyword, Text and Version; int64 for Integer, Long and Date
// (milliseconds since the epoch) and DateNanos (nanoseconds); uint64 for
// UnsignedLong; float64 for Double; bool for Boolean; netip.Addr for IP.
// A multi-value is a []any of two or more non-null values.
const (
	Null Type = iota
	Keyword
	Text
	Integer
	Long
	UnsignedLong
	Double
	Boolean
	Date
	DateNanos
	IP
	Version
	GeoPoint
	TimeDuration
	DatePeriod
	UnsupportedType
	// SourceType is the _source metadata column: the document's JSON text.
	SourceType
)

var typeNames = [...]string{Null: "null", Keyword: "keyword", Text: "text", Integer: "integer", Long: "long",
	UnsignedLong: "unsigned_long", Double: "double", Boolean: "boolean", Date: "date", DateNanos: "date_nanos",
	IP: "ip", Version: "version", GeoPoint: "geo_point", TimeDuration: "time_duration", DatePeriod: "date_period",
	UnsupportedType: "unsupported", SourceType: "_source"}

// String returns the type's name as ES|QL's responses write it.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unsupported"
}

func (t Type) isString() bool  { return t == Keyword || t == Text || t == Version }
func (t Type) isNumeric() bool { return t == Integer || t == Long || t == Double || t == UnsignedLong }
func (t Type) isInt() bool     { return t == Integer || t == Long }
func (t Type) isDate() bool    { return t == Date || t == DateNanos }

// fromECS maps an Elasticsearch field type to the ES|QL type of its column.
func fromECS(t ecs.Type) Type {
	switch t {
	case ecs.Keyword, ecs.ConstantKeyword, ecs.Wildcard, ecs.Unknown:
		return Keyword
	case ecs.Text, ecs.MatchOnlyText:
		return Text
	case ecs.Long:
		return Long
	case ecs.Integer, ecs.Short, ecs.Byte:
		return Integer
	case ecs.UnsignedLong:
		return UnsignedLong
	case ecs.Double, ecs.Float, ecs.HalfFloat, ecs.ScaledFloat:
		return Double
	case ecs.Date:
		return Date
	case ecs.DateNanos:
		return DateNanos
	case ecs.IP:
		return IP
	case ecs.Boolean:
		return Boolean
	case ecs.GeoPoint:
		return GeoPoint
	}
	return UnsupportedType
}

// ColumnInfo names and types one column of a result.
type ColumnInfo struct {
	Name string
	Type Type
}

// toValue converts the values of a source field to a column value of type
// t, as Elasticsearch reads them from doc values: keyword values sorted and
// deduplicated, numbers, dates, IPs and booleans sorted; text as written.
// Values that do not convert are left out (as ignore_malformed would).
func toValue(vs []event.Value, t Type) any {
	if len(vs) == 0 {
		return nil
	}
	if len(vs) == 1 {
		return convertEventValue(vs[0], t)
	}
	out := make([]any, 0, len(vs))
	for _, v := range vs {
		if x := convertEventValue(v, t); x != nil {
			out = append(out, x)
		}
	}
	switch t {
	case Keyword, Version:
		slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		out = slices.CompactFunc(out, func(a, b any) bool { return a.(string) == b.(string) })
	case Integer, Long, Date, DateNanos, Double, IP, Boolean, UnsignedLong:
		slices.SortFunc(out, func(a, b any) int { return compareValues(a, b) })
	}
	return mvOf(out)
}

// mvOf makes a column value from a list: nil when empty, the value itself
// when single.
func mvOf(xs []any) any {
	switch len(xs) {
	case 0:
		return nil
	case 1:
		return xs[0]
	}
	return xs
}

func convertEventValue(v event.Value, t Type) any {
	switch v.Kind {
	case event.KindNull, event.KindObject:
		return nil
	}
	switch t {
	case Keyword, Text, Version:
		return v.String()
	case Integer, Long:
		switch v.Kind {
		case event.KindNumber:
			if v.Num != math.Trunc(v.Num) || math.Abs(v.Num) > 9.2e18 {
				if n, err := strconv.ParseInt(v.Str, 10, 64); err == nil {
					return clampInt(n, t)
				}
				return clampInt(int64(v.Num), t) // Elasticsearch truncates decimals
			}
			if n, err := strconv.ParseInt(v.Str, 10, 64); err == nil {
				return clampInt(n, t)
			}
			return clampInt(int64(v.Num), t)
		case event.KindString:
			if n, err := strconv.ParseInt(strings.TrimSpace(v.Str), 10, 64); err == nil {
				return clampInt(n, t)
			}
			if f, err := strconv.ParseFloat(strings.TrimSpace(v.Str), 64); err == nil && !math.IsInf(f, 0) {
				return clampInt(int64(f), t)
			}
		case event.KindBool:
			return nil
		}
	case UnsignedLong:
		if n, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
			return n
		}
	case Double:
		switch v.Kind {
		case event.KindNumber:
			return v.Num
		case event.KindString:
			if f, err := strconv.ParseFloat(strings.TrimSpace(v.Str), 64); err == nil {
				return f
			}
		}
	case Boolean:
		switch v.Kind {
		case event.KindBool:
			return v.Bool
		case event.KindString:
			switch v.Str {
			case "true":
				return true
			case "false", "":
				return false
			}
		}
	case Date, DateNanos:
		var ns int64
		switch v.Kind {
		case event.KindNumber:
			ns = int64(v.Num * 1e6)
		case event.KindString:
			tm, _, err := datemath.ParseDate(v.Str)
			if err != nil {
				return nil
			}
			ns = tm.UnixNano()
			if t == Date {
				return tm.UnixMilli()
			}
		default:
			return nil
		}
		if t == Date {
			return ns / 1e6
		}
		return ns
	case IP:
		if a, err := netip.ParseAddr(v.String()); err == nil {
			return a.Unmap()
		}
	}
	return nil
}

func clampInt(n int64, t Type) any {
	if t == Integer && (n > math.MaxInt32 || n < math.MinInt32) {
		return nil
	}
	return n
}

// compareValues orders two single values of the same type.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp.Compare(x, y)
		case float64:
			return cmp.Compare(float64(x), y)
		case uint64:
			if x < 0 {
				return -1
			}
			return cmp.Compare(uint64(x), y)
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmp.Compare(x, y)
		case int64:
			return cmp.Compare(x, float64(y))
		case uint64:
			return cmp.Compare(x, float64(y))
		}
	case uint64:
		switch y := b.(type) {
		case uint64:
			return cmp.Compare(x, y)
		case int64:
			return -compareValues(y, x)
		case float64:
			return cmp.Compare(float64(x), y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	case netip.Addr:
		if y, ok := b.(netip.Addr); ok {
			return compareIP(x, y)
		}
	}
	return 0
}

// compareIP orders IPs as Elasticsearch does: by their 16-byte form
// (IPv4 mapped into IPv6).
func compareIP(a, b netip.Addr) int {
	x, y := a.As16(), b.As16()
	return slices.Compare(x[:], y[:])
}

// compareVersion orders semantic versions (1.2.10 after 1.2.9).
func compareVersion(a, b string) int {
	as, bs := strings.FieldsFunc(a, isVersionSep), strings.FieldsFunc(b, isVersionSep)
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, ex := strconv.ParseUint(as[i], 10, 64)
		y, ey := strconv.ParseUint(bs[i], 10, 64)
		var c int
		if ex == nil && ey == nil {
			c = cmp.Compare(x, y)
		} else {
			c = strings.Compare(as[i], bs[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}

func isVersionSep(r rune) bool { return r == '.' || r == '-' || r == '+' }

// formatDate renders epoch milliseconds as ES|QL's JSON does.
func formatDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// formatDateNanos renders epoch nanoseconds as ES|QL's JSON does.
func formatDateNanos(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// formatDouble renders a double as Java's Double.toString does.
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-3 || abs >= 1e7) {
		s := strconv.FormatFloat(f, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		neg := strings.HasPrefix(exp, "-")
		exp = strings.TrimLeft(exp, "+-0")
		if neg {
			exp = "-" + exp
		}
		return mant + "E" + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// valueString renders a single value of type t as text (TO_STRING).
func valueString(v any, t Type) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		switch t {
		case Date:
			return formatDate(x)
		case DateNanos:
			return formatDateNanos(x)
		}
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return formatDouble(x)
	case bool:
		return strconv.FormatBool(x)
	case netip.Addr:
		return x.String()
	case geoPoint:
		return x.wkt()
	}
	return fmt.Sprint(v)
}

// JSONValue converts a column value of type t to what ES|QL's JSON response
// holds: dates as ISO-8601 strings, IPs as text, multi-values as arrays.
func JSONValue(v any, t Type) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSONValue(e, t)
		}
		return out
	case int64:
		if t.isDate() {
			return valueString(x, t)
		}
		return x
	case netip.Addr:
		return x.String()
	case float64:
		// as ES|QL's JSON writes doubles: 2.0, 3.133013149047619E8
		return json.RawMessage(formatDouble(x))
	case string:
		if t == SourceType {
			return json.RawMessage(x)
		}
	case geoPoint:
		return x.wkt()
	}
	return v
}

// values returns the single values of a column value.
func values(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}
