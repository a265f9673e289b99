package ecs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// MappingError is a problem in an index mapping file, at line:col (1-based;
// 0 when unknown).
type MappingError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *MappingError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ParseMapping reads an Elasticsearch index mapping: the body `PUT index`
// takes (`{"properties": ...}`, or `{"mappings": {"properties": ...}}`
// with settings beside it), or the answer of `GET index/_mapping`
// (`{"<index>": {"mappings": {"properties": ...}}}`, whose indices are
// merged, the first defining a field winning). It returns the fields by
// dotted path: objects' sub-fields, multi-fields (`fields`, with Parent
// set), analyzers and normalizers. A text field whose analyzer the
// mapping's settings define as the PowerShell pattern analyzer (type
// pattern, pattern `[\W&&[^-]]+`) gets PowerShellAnalyzer. file names the
// mapping in errors, which carry the line and column of the fault.
func ParseMapping(file string, data []byte) (map[string]Field, error) {
	p := &mappingParser{file: file, data: data, out: map[string]Field{}}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	if root.obj == nil {
		return nil, p.errAt(root, "a mapping is a JSON object: {\"properties\": {...}}")
	}
	var roots []*jsonNode // objects holding "properties"
	switch {
	case root.get("properties") != nil:
		roots = append(roots, root)
	case root.get("mappings") != nil:
		roots = append(roots, root.get("mappings"))
		p.settings(root.get("settings"))
	default:
		for _, k := range root.keys {
			idx := root.obj[k]
			m := idx.get("mappings")
			if m == nil {
				return nil, p.errAt(idx, fmt.Sprintf("%q has no \"mappings\": want {\"properties\": ...}, {\"mappings\": ...} or GET _mapping's {\"<index>\": {\"mappings\": ...}}", k))
			}
			p.settings(idx.get("settings"))
			roots = append(roots, m)
		}
	}
	if len(roots) == 0 {
		return nil, p.errAt(root, "no \"properties\" found: want {\"properties\": ...}, {\"mappings\": ...} or GET _mapping's {\"<index>\": {\"mappings\": ...}}")
	}
	for _, r := range roots {
		if r.obj == nil {
			return nil, p.errAt(r, "\"mappings\" must be an object")
		}
		props := r.get("properties")
		if props == nil {
			continue // an index without fields
		}
		if err := p.properties("", props); err != nil {
			return nil, err
		}
	}
	return p.out, nil
}

type mappingParser struct {
	file       string
	data       []byte
	out        map[string]Field
	powershell map[string]bool // analyzer names the settings define as the PowerShell pattern analyzer
	lowercase  map[string]bool // normalizer names the settings define with the lowercase filter
}

// jsonNode is a JSON value with the offset it starts at.
type jsonNode struct {
	off  int64
	val  any // string, json.Number, bool, nil for objects, arrays and null
	obj  map[string]*jsonNode
	keys []string // obj's keys in order
	arr  []*jsonNode
}

func (n *jsonNode) get(k string) *jsonNode {
	if n == nil || n.obj == nil {
		return nil
	}
	return n.obj[k]
}

func (n *jsonNode) str() (string, bool) {
	if n == nil {
		return "", false
	}
	s, ok := n.val.(string)
	return s, ok
}

func (p *mappingParser) parse() (*jsonNode, error) {
	dec := json.NewDecoder(bytes.NewReader(p.data))
	dec.UseNumber()
	n, err := p.value(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, p.errOff(dec.InputOffset(), "unexpected data after the mapping's closing brace")
	}
	return n, nil
}

func (p *mappingParser) value(dec *json.Decoder) (*jsonNode, error) {
	off := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return nil, p.jsonErr(dec, err)
	}
	n := &jsonNode{off: p.skipSpace(off)}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.obj = map[string]*jsonNode{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, p.jsonErr(dec, err)
				}
				k, _ := kt.(string)
				v, err := p.value(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := n.obj[k]; !dup {
					n.keys = append(n.keys, k)
				}
				n.obj[k] = v
			}
		case '[':
			for dec.More() {
				v, err := p.value(dec)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, p.jsonErr(dec, err)
		}
	default:
		n.val = t
	}
	return n, nil
}

// skipSpace moves off past whitespace and a separating ':' or ',' to where
// the value starts.
func (p *mappingParser) skipSpace(off int64) int64 {
	for off < int64(len(p.data)) && strings.IndexByte(" \t\r\n:,", p.data[off]) >= 0 {
		off++
	}
	return off
}

func (p *mappingParser) jsonErr(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return p.errOff(se.Offset, "invalid JSON: "+se.Error())
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errOff(int64(len(p.data)), "unexpected end of the file: the JSON is incomplete")
	}
	return p.errOff(dec.InputOffset(), "invalid JSON: "+err.Error())
}

func (p *mappingParser) errOff(off int64, msg string) error {
	if off > int64(len(p.data)) {
		off = int64(len(p.data))
	}
	line, col := 1, 1
	for _, r := range string(p.data[:off]) {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &MappingError{File: p.file, Line: line, Col: col, Msg: msg}
}

func (p *mappingParser) errAt(n *jsonNode, msg string) error { return p.errOff(n.off, msg) }

// settings notes the analyzers the index settings define as the PowerShell
// pattern analyzer.
func (p *mappingParser) settings(s *jsonNode) {
	an := s.get("analysis")
	if an == nil {
		an = s.get("index").get("analysis")
	}
	if norms := an.get("normalizer"); norms != nil {
		for _, name := range norms.keys {
			for _, f := range norms.obj[name].get("filter").arr {
				if s, _ := f.str(); s == "lowercase" {
					if p.lowercase == nil {
						p.lowercase = map[string]bool{}
					}
					p.lowercase[name] = true
				}
			}
		}
	}
	defs := an.get("analyzer")
	if defs == nil {
		return
	}
	for _, name := range defs.keys {
		d := defs.obj[name]
		typ, _ := d.get("type").str()
		pat, _ := d.get("pattern").str()
		if typ == "pattern" && pat == `[\W&&[^-]]+` {
			if p.powershell == nil {
				p.powershell = map[string]bool{}
			}
			p.powershell[name] = true
		}
	}
}

// esOnlyTypes are Elasticsearch field types Vigil reads as another type
// (search_as_you_type as text...) or skips ("": no query of a detection
// rule applies to them).
var esOnlyTypes = map[string]Type{
	"search_as_you_type": Text, "annotated_text": Text, "version": Keyword, "counted_keyword": Keyword,
	"token_count": Integer, "alias": Unknown, "geo_shape": Unknown, "shape": Unknown, "point": Unknown,
	"histogram": Unknown, "dense_vector": Unknown, "sparse_vector": Unknown, "rank_feature": Unknown,
	"rank_features": Unknown, "completion": Unknown, "percolator": Unknown, "join": Unknown,
	"integer_range": Unknown, "long_range": Unknown, "float_range": Unknown, "double_range": Unknown,
	"date_range": Unknown, "ip_range": Unknown, "aggregate_metric_double": Unknown, "semantic_text": Unknown,
	"exponential_histogram": Unknown, "passthrough": Object,
}

// properties reads a "properties" object under prefix.
func (p *mappingParser) properties(prefix string, props *jsonNode) error {
	if props.obj == nil {
		return p.errAt(props, "\"properties\" must be an object of field definitions")
	}
	for _, name := range props.keys {
		def := props.obj[name]
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if def.obj == nil {
			return p.errAt(def, fmt.Sprintf("%s: a field definition must be an object, e.g. {\"type\": \"keyword\"}", path))
		}
		if err := p.field(path, def, ""); err != nil {
			return err
		}
	}
	return nil
}

// field reads one field definition; parent is set for multi-fields.
func (p *mappingParser) field(path string, def *jsonNode, parent string) error {
	typeName := "object"
	if t := def.get("type"); t != nil {
		s, ok := t.str()
		if !ok {
			return p.errAt(t, fmt.Sprintf("%s: \"type\" must be a string", path))
		}
		typeName = s
	} else if def.get("properties") == nil && parent == "" {
		// {"dynamic": ...} or an empty object: an object field.
		typeName = "object"
	}
	typ := ParseType(typeName)
	if typ == Unknown {
		t, ok := esOnlyTypes[typeName]
		if !ok {
			return p.errAt(def.get("type"), fmt.Sprintf("%s: %q is not an Elasticsearch field type (keyword, text, long, ip, date, boolean, flattened, object, nested...)", path, typeName))
		}
		typ = t
	}
	if typ != Unknown {
		f := Field{Type: typ, Parent: parent}
		if a, ok := def.get("analyzer").str(); ok && typ.IsText() {
			f.Analyzer = CanonicalAnalyzer(a)
			if p.powershell[a] {
				f.Analyzer = PowerShellAnalyzer
			}
		}
		if sa, ok := def.get("search_analyzer").str(); ok && typ.IsText() && f.Analyzer == "" {
			f.Analyzer = CanonicalAnalyzer(sa)
		}
		if nm, ok := def.get("normalizer").str(); ok && typ == Keyword {
			f.Normalizer = nm
			if p.lowercase[nm] {
				f.Normalizer = "lowercase"
			}
		}
		if _, seen := p.out[path]; !seen {
			p.out[path] = f
		}
	}
	if props := def.get("properties"); props != nil {
		if err := p.properties(path, props); err != nil {
			return err
		}
	}
	if mf := def.get("fields"); mf != nil {
		if mf.obj == nil {
			return p.errAt(mf, fmt.Sprintf("%s: \"fields\" (multi-fields) must be an object", path))
		}
		for _, name := range mf.keys {
			sub := mf.obj[name]
			if sub.obj == nil {
				return p.errAt(sub, fmt.Sprintf("%s.%s: a multi-field definition must be an object", path, name))
			}
			if err := p.field(path+"."+name, sub, path); err != nil {
				return err
			}
		}
	}
	return nil
}

// MappingFields returns the paths of fields, sorted (for messages and
// tests).
func MappingFields(fields map[string]Field) []string {
	out := make([]string, 0, len(fields))
	for k := range fields {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
