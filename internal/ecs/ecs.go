// Package ecs knows the Elasticsearch type of every ECS field and of the
// integration fields Vigil supports (Azure first). The table is generated from
// the ECS flat schema and the integrations' field files by `go generate`
// (see gen.go) and committed as fields_gen.go.
package ecs

//go:generate go run ./internal/gen/cmd

import "strings"

// Type is an Elasticsearch field type.
type Type uint8

// Field types. Unknown is returned only by Known; Schema.Type maps unknown
// fields to Keyword, as logs-* index templates do for strings.
const (
	Unknown Type = iota
	Keyword
	ConstantKeyword
	Wildcard
	Text
	MatchOnlyText
	Long
	Integer
	Short
	Byte
	UnsignedLong
	Double
	Float
	HalfFloat
	ScaledFloat
	Date
	DateNanos
	IP
	Boolean
	Flattened
	Object
	Nested
	GeoPoint
	Binary
)

var typeNames = [...]string{
	Unknown: "unknown", Keyword: "keyword", ConstantKeyword: "constant_keyword", Wildcard: "wildcard",
	Text: "text", MatchOnlyText: "match_only_text", Long: "long", Integer: "integer", Short: "short",
	Byte: "byte", UnsignedLong: "unsigned_long", Double: "double", Float: "float", HalfFloat: "half_float",
	ScaledFloat: "scaled_float", Date: "date", DateNanos: "date_nanos", IP: "ip", Boolean: "boolean",
	Flattened: "flattened", Object: "object", Nested: "nested", GeoPoint: "geo_point", Binary: "binary",
}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType maps an Elasticsearch type name to a Type (Unknown if unknown).
func ParseType(name string) Type {
	for i, n := range typeNames {
		if n == name {
			return Type(i)
		}
	}
	return Unknown
}

// IsExact reports whether the type indexes whole values as single terms:
// keyword, constant_keyword, wildcard and flattened leaves.
func (t Type) IsExact() bool {
	return t == Keyword || t == ConstantKeyword || t == Wildcard || t == Flattened
}

// IsText reports whether the type is analyzed text.
func (t Type) IsText() bool { return t == Text || t == MatchOnlyText }

// IsNumeric reports whether the type is a number.
func (t Type) IsNumeric() bool { return t >= Long && t <= ScaledFloat }

// IsInteger reports whether the type is an integer number.
func (t Type) IsInteger() bool { return t >= Long && t <= UnsignedLong }

// IsDate reports whether the type is a date.
func (t Type) IsDate() bool { return t == Date || t == DateNanos }

// Schema maps field paths to types. It layers, most specific first: the
// index mappings the user gave (WithMapping), the ECS and Azure table
// (generatedFields, or NewSchema's), and the integrations' fields, whose
// types may differ per index (ForIndices picks them for a rule's index
// patterns).
type Schema struct {
	fields   map[string]Type
	defs     map[string][]IndexedField // integration fields by path; nil for NewSchema
	mapping  map[string]Field          // from WithMapping; takes precedence
	patterns []string                  // the view's index patterns; nil: every index
}

// NewSchema returns a schema over the given table (tests use it for custom
// mappings).
func NewSchema(fields map[string]Type) *Schema { return &Schema{fields: fields} }

// Default is the built-in schema: ECS plus the integrations' fields, for
// every index (see ForIndices).
func Default() *Schema { return defaultSchema }

var defaultSchema = &Schema{fields: generatedFields, defs: integrationDefs()}

// Known returns the type of path. A path below a flattened field is
// Flattened. Unknown paths give Unknown, false.
func (s *Schema) Known(path string) (Type, bool) {
	f, ok := s.Field(path)
	return f.Type, ok
}

// Field returns what the schema knows of path: its type, analyzer or
// normalizer, and the parent of a multi-field. A path below a flattened
// field is Flattened. Unknown paths give the zero Field, false.
func (s *Schema) Field(path string) (Field, bool) {
	if f, ok := s.exact(path); ok {
		return f, true
	}
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		if f, ok := s.exact(path[:i]); ok && f.Type == Flattened {
			return Field{Type: Flattened}, true
		}
	}
	return Field{}, false
}

// exact looks path up in the layers, without the flattened rule.
func (s *Schema) exact(path string) (Field, bool) {
	if f, ok := s.mapping[path]; ok {
		return f, true
	}
	if t, ok := s.fields[path]; ok {
		f := Field{Type: t}
		if i := strings.LastIndexByte(path, '.'); i > 0 && t != Object && t != Nested {
			// A leaf below a leaf is a multi-field (ECS's user.name.text):
			// it indexes its parent's value.
			if pt, ok := s.fields[path[:i]]; ok && pt != Object && pt != Nested && pt != Flattened {
				f.Parent = path[:i]
			}
		}
		return f, true
	}
	if d, ok := s.pick(path); ok {
		return d.Field, true
	}
	return Field{}, false
}

// Type returns the type of path; unknown fields are Keyword.
func (s *Schema) Type(path string) Type {
	if t, ok := s.Known(path); ok {
		return t
	}
	return Keyword
}

// IsNested reports whether path is mapped as nested.
func (s *Schema) IsNested(path string) bool {
	f, ok := s.exact(path)
	return ok && f.Type == Nested
}
