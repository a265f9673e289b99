package rule

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/BurntSushi/toml"
	tomlv2 "github.com/pelletier/go-toml/v2"

	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/esql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
	"github.com/vigil-project/vigil/internal/querytext"
	"github.com/vigil-project/vigil/internal/sequence"
)

// LoadOptions configure rule compilation.
type LoadOptions struct {
	Schema *ecs.Schema      // nil = ecs.Default()
	Plan   *event.Plan      // where compiled queries register their fields; nil = a new plan
	Now    func() time.Time // clock for `now` in queries
	// RunESQL makes ES|QL rules that compile runnable (vigil hunt, serve,
	// test, rules validate); without it they stay unsupported.
	RunESQL bool
}

// Set is a collection of loaded rules.
type Set struct {
	Rules []*Rule
}

// Runnable returns the rules with status ok.
func (s *Set) Runnable() []*Rule {
	var out []*Rule
	for _, r := range s.Rules {
		if r.Status == StatusOK {
			out = append(out, r)
		}
	}
	return out
}

// ByID returns the rule with the rule_id, or nil.
func (s *Set) ByID(id string) *Rule {
	for _, r := range s.Rules {
		if r.RuleID == id {
			return r
		}
	}
	return nil
}

// LoadPaths loads rule files and directories (recursively, *.toml). The
// error is only for paths that cannot be read; problems in a rule are in
// its Errors and Status.
func LoadPaths(paths []string, opts LoadOptions) (*Set, error) {
	set := &Set{}
	for _, p := range paths {
		data, isDir, err := readPath(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if !isDir {
			// data is readPath's own: the document may share it.
			set.Rules = append(set.Rules, parse(p, decode(data, unsafe.String(unsafe.SliceData(data), len(data))), opts))
			continue
		}
		dir := p
		read := func(name string) ([]byte, error) { return readFile(filepath.Join(dir, name)) }
		if err := loadFS(set, os.DirFS(p), ".", p, read, opts); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// LoadFS loads every *.toml file below root in fsys.
func LoadFS(fsys fs.FS, root string, opts LoadOptions) (*Set, error) {
	set := &Set{}
	read := func(name string) ([]byte, error) { return fs.ReadFile(fsys, name) }
	if err := loadFS(set, fsys, root, "", read, opts); err != nil {
		return nil, err
	}
	return set, nil
}

// loadFS loads the rule files below root in fsys, read with read (which
// returns a buffer of its own, as fs.ReadFile does).
func loadFS(set *Set, fsys fs.FS, root, display string, read func(string) ([]byte, error), opts LoadOptions) error {
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".toml") && !strings.HasSuffix(p, ".test.toml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	sort.Strings(files)
	// Reading and decoding, most of the work, run on every core; checking
	// and compiling (which registers fields in the shared plan) then run
	// in file order.
	decoded := make([]decodedFile, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				data, err := read(files[i])
				if err != nil {
					decoded[i].readErr = err
					continue
				}
				// data is this loop's own and never written: the
				// document's strings may share it.
				decoded[i] = decode(data, unsafe.String(unsafe.SliceData(data), len(data)))
			}
		}()
	}
	wg.Wait()
	for i, p := range files {
		if err := decoded[i].readErr; err != nil {
			return fmt.Errorf("rules: %w", err)
		}
		name := p
		if display != "" {
			name = filepath.Join(display, p)
		}
		set.Rules = append(set.Rules, parse(name, decoded[i], opts))
	}
	return nil
}

// decodedFile is a rule file read and decoded, not yet checked.
type decodedFile struct {
	data    []byte
	doc     map[string]any
	err     error // TOML syntax
	readErr error
}

// decode decodes a rule file with go-toml/v2, six times faster than
// BurntSushi/toml over Elastic's corpus. A file it refuses is decoded
// again with BurntSushi/toml, whose result then stands: its syntax errors
// (message and position) are the ones Vigil reports, and a file only it
// accepts (TOML 1.1) still loads. What v2 decodes differently is made the
// same (normalizeTOML).
//
// Most rule files take quickDecode's path instead: text is data as a
// string, whose strings the document may share.
func decode(data []byte, text string) decodedFile {
	d := decodedFile{data: data}
	if doc, ok := quickDecode(text); ok {
		d.doc = doc
		return d
	}
	if err := tomlv2.Unmarshal(data, &d.doc); err == nil && d.doc != nil {
		normalizeTOML(d.doc)
		return d
	}
	d.doc = nil
	_, d.err = toml.Decode(string(data), &d.doc)
	return d
}

// normalizeTOML turns go-toml/v2's values into BurntSushi/toml's, in
// place: arrays of tables ([[a]], which v2 decodes as []any) become
// []map[string]any, and local dates and times become time.Time (in
// time.Local, as BurntSushi gives them).
func normalizeTOML(m map[string]any) {
	for k, x := range m {
		m[k] = normalizeTOMLValue(x)
	}
}

func normalizeTOMLValue(x any) any {
	switch t := x.(type) {
	case map[string]any:
		normalizeTOML(t)
	case []any:
		tablesOnly := len(t) > 0
		for i, el := range t {
			t[i] = normalizeTOMLValue(el)
			if _, ok := t[i].(map[string]any); !ok {
				tablesOnly = false
			}
		}
		if tablesOnly {
			out := make([]map[string]any, len(t))
			for i, el := range t {
				out[i] = el.(map[string]any)
			}
			return out
		}
	case tomlv2.LocalDate:
		return t.AsTime(time.Local)
	case tomlv2.LocalDateTime:
		return t.AsTime(time.Local)
	case tomlv2.LocalTime:
		return time.Date(0, 1, 1, t.Hour, t.Minute, t.Second, t.Nanosecond, time.Local)
	}
	return x
}

// knownRuleKeys are the [rule] keys Vigil reads or carries (the
// detection-rules schema and the Kibana API fields it accepts).
var knownRuleKeys = strings.Fields(`actions alert_suppression anomaly_threshold author building_block_type concurrent_searches
	data_view_id description enabled eql event_category_override exceptions_list false_positives filters from index
	interval investigation_fields items_per_search language license machine_learning_job_id max_signals meta name
	namespace new_terms note output_index query references related_integrations required_fields response_actions
	revision risk_score risk_score_mapping rule_id rule_name_override saved_id setup severity severity_mapping tags
	threat threat_filters threat_index threat_indicator_path threat_language threat_mapping threat_query threshold
	throttle tiebreaker_field timeline_id timeline_title timestamp_field timestamp_override
	timestamp_override_fallback_disabled to type version new_terms_fields history_window_start`)

var knownMetaKeys = strings.Fields(`bypass_bbr_timing comments creation_date deprecation_date extended integration maturity
	min_stack_comments min_stack_version os_type_list promotion query_schema_validation related_endpoint_rules updated_date`)

var (
	intervalRE = regexp.MustCompile(`^\d+[smhd]$`)
	dateRE     = regexp.MustCompile(`^\d{4}/\d{2}/\d{2}$`)
)

// Parse reads one rule file. It never fails: problems are in the rule's
// Errors, with Status error.
func Parse(file string, data []byte, opts LoadOptions) *Rule {
	return parse(file, decode(data, string(data)), opts)
}

func parse(file string, d decodedFile, opts LoadOptions) *Rule {
	r := &Rule{File: file}
	data, doc := d.data, d.doc
	v := &validator{r: r}
	if err := d.err; err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			v.errAt(pe.Position.Line, pe.Position.Col, "TOML syntax: "+pe.Message, "")
		} else {
			v.errAt(0, 0, "TOML syntax: "+err.Error(), "")
		}
		v.finish()
		return r
	}
	meta, _ := doc["metadata"].(map[string]any)
	ruleTab, ok := doc["rule"].(map[string]any)
	if !ok {
		v.errAt(1, 1, "no [rule] table", "a rule file has a [metadata] and a [rule] table")
		v.finish()
		return r
	}
	v.data = data // positions are indexed on the first problem
	v.onlyKeys(doc, "", []string{"metadata", "rule", "transform"})
	r.Raw = ruleTab
	r.Transform, _ = doc["transform"].(map[string]any)
	v.meta(meta)
	v.rule(ruleTab)
	v.compile(opts) // also with other errors: report every problem at once
	v.finish()
	return r
}

type validator struct {
	r    *Rule
	data []byte    // the document, once it decoded
	pos  *posIndex // its positions, indexed on first use
	// windowReason is why Vigil cannot run the rule's from/to, told after
	// any reason of its type.
	windowReason string
}

func (v *validator) errAt(line, col int, msg, hint string) {
	v.r.Errors = append(v.r.Errors, &Error{File: v.r.File, Line: line, Col: col, Msg: msg, Hint: hint})
}

// tablePath splits a table name as messages write it ("rule.threshold",
// "rule.threat_mapping[0].entries[1]") into position-index segments.
func tablePath(table string) []string {
	if table == "" {
		return nil
	}
	var segs []string
	for _, part := range strings.Split(table, ".") {
		var idx []string
		for strings.HasSuffix(part, "]") {
			open := strings.LastIndexByte(part, '[')
			if open <= 0 {
				break
			}
			idx = append([]string{part[open:]}, idx...)
			part = part[:open]
		}
		segs = append(segs, part)
		segs = append(segs, idx...)
	}
	return segs
}

// keyPos finds where key is set inside table ("" for the top level, or a
// name such as "rule.threshold.cardinality[0]"): the key itself, or, when
// the file does not set it, the closest enclosing table. 0, 0 if unknown.
func (v *validator) keyPos(table, key string) (int, int) {
	return v.pathPos(append(tablePath(table), key))
}

// elemPos is keyPos for the i-th element of the array table.key.
func (v *validator) elemPos(table, key string, i int) (int, int) {
	return v.pathPos(append(tablePath(table), key, elemSeg(i)))
}

// tablePos is where table starts: its [header], or the key defining it.
func (v *validator) tablePos(table string) (int, int) {
	return v.pathPos(tablePath(table))
}

func (v *validator) pathPos(path []string) (int, int) {
	if v.pos == nil && v.data != nil {
		v.pos = indexPositions(string(v.data))
	}
	if v.pos == nil {
		return 0, 0
	}
	if p, ok := v.pos.lookup(path); ok {
		return p.line, p.col
	}
	return 0, 0
}

func (v *validator) errKey(table, key, msg, hint string) {
	line, col := v.keyPos(table, key)
	v.errAt(line, col, msg, hint)
}

func (v *validator) errElem(table, key string, i int, msg, hint string) {
	line, col := v.elemPos(table, key, i)
	v.errAt(line, col, msg, hint)
}

// missing reports a required key that table lacks, at the table.
func (v *validator) missing(table, key, hint string) {
	line, col := v.tablePos(table)
	if line == 0 {
		line, col = 1, 1
	}
	v.errAt(line, col, fmt.Sprintf("[%s] lacks the required key %q", table, key), hint)
}

func (v *validator) unknownKey(table, key string, known []string) {
	hint := ""
	if s := Closest(key, known); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	where := "the top level"
	if table != "" {
		where = "[" + table + "]"
	}
	v.errKey(table, key, fmt.Sprintf("unknown key %q in %s", key, where), hint)
}

// knownRuleKeySet is knownRuleKeys as a set: a rule table has dozens of
// keys, each looked up in the long list otherwise.
var knownRuleKeySet = func() map[string]bool {
	set := make(map[string]bool, len(knownRuleKeys))
	for _, k := range knownRuleKeys {
		set[k] = true
	}
	return set
}()

// onlyKeys reports the keys of tab that are not in known, in key order.
func (v *validator) onlyKeys(tab map[string]any, table string, known []string) {
	v.onlyKeysOf(tab, table, known, nil)
}

// onlyKeysOf is onlyKeys with known also as a set (nil: none).
func (v *validator) onlyKeysOf(tab map[string]any, table string, known []string, set map[string]bool) {
	for k := range tab {
		if set != nil && set[k] || set == nil && contains(known, k) {
			continue
		}
		for _, k := range sortedKeys(tab) {
			if !contains(known, k) {
				v.unknownKey(table, k, known)
			}
		}
		return
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// typeName names a decoded TOML value's type for messages.
func typeName(x any) string {
	switch x.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case []map[string]any:
		return "an array of tables"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date"
	}
	return fmt.Sprintf("%T", x)
}

func (v *validator) str(tab map[string]any, table, key string, required bool) string {
	x, ok := tab[key]
	if !ok {
		if required {
			v.missing(table, key, "")
		}
		return ""
	}
	s, ok := x.(string)
	if !ok {
		hint := ""
		switch x.(type) {
		case int64, float64, bool:
			hint = fmt.Sprintf(`put it in quotes: %s = "%v"`, key, x)
		}
		v.errKey(table, key, fmt.Sprintf("%s.%s must be a string, not %s", table, key, typeName(x)), hint)
	}
	return s
}

// nonEmptyStr is str for a value that must not be empty either.
func (v *validator) nonEmptyStr(tab map[string]any, table, key string, required bool) string {
	s := v.str(tab, table, key, required)
	if _, ok := tab[key].(string); ok && strings.TrimSpace(s) == "" {
		v.errKey(table, key, fmt.Sprintf("%s.%s is empty", table, key), "write a value or remove the key")
	}
	return s
}

func (v *validator) strs(tab map[string]any, table, key string) []string {
	x, ok := tab[key]
	if !ok {
		return nil
	}
	switch t := x.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for i, el := range t {
			s, ok := el.(string)
			if !ok {
				v.errElem(table, key, i, fmt.Sprintf("%s.%s must be a list of strings, element %d is %s", table, key, i+1, typeName(el)), "")
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	v.errKey(table, key, fmt.Sprintf("%s.%s must be a list of strings, not %s", table, key, typeName(x)), "")
	return nil
}

// fieldList reads a list of field names: strings, none empty. single
// also accepts one string (a list of one; "" for none), as Kibana does
// for threshold.field and machine_learning_job_id. ok is false when the
// value has the wrong type.
func (v *validator) fieldList(tab map[string]any, table, key string, single bool) (out []string, ok bool) {
	x, present := tab[key]
	if !present {
		return nil, true
	}
	if s, isStr := x.(string); isStr && single {
		if strings.TrimSpace(s) == "" {
			return nil, true
		}
		return []string{s}, true
	}
	arr, isArr := x.([]any)
	if !isArr {
		want := "a list of strings"
		if single {
			want = "a string or a list of strings"
		}
		hint := ""
		if s, isStr := x.(string); isStr {
			hint = fmt.Sprintf("write a list: %s = [%q]", key, s)
		}
		v.errKey(table, key, fmt.Sprintf("%s.%s must be %s, not %s", table, key, want, typeName(x)), hint)
		return nil, false
	}
	out = make([]string, 0, len(arr))
	for i, el := range arr {
		s, isStr := el.(string)
		switch {
		case !isStr:
			v.errElem(table, key, i, fmt.Sprintf("%s.%s must be a list of strings, element %d is %s", table, key, i+1, typeName(el)), "")
			return nil, false
		case strings.TrimSpace(s) == "":
			v.errElem(table, key, i, fmt.Sprintf("%s.%s has an empty name at element %d", table, key, i+1), "remove it or write a field name")
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func (v *validator) integer(tab map[string]any, table, key string, required bool) (int, bool) {
	x, ok := tab[key]
	if !ok {
		if required {
			v.missing(table, key, "")
		}
		return 0, false
	}
	n, ok := x.(int64)
	if !ok {
		v.errKey(table, key, fmt.Sprintf("%s.%s must be an integer, not %s", table, key, typeName(x)), "")
		return 0, false
	}
	if int64(int(n)) != n {
		v.errKey(table, key, fmt.Sprintf("%s.%s = %d is too large", table, key, n), "")
		return 0, false
	}
	return int(n), true
}

// atLeast reads an optional integer that must be at least lo.
func (v *validator) atLeast(tab map[string]any, table, key string, required bool, lo int) (int, bool) {
	n, ok := v.integer(tab, table, key, required)
	if ok && n < lo {
		v.errKey(table, key, fmt.Sprintf("%s.%s = %d must be at least %d", table, key, n, lo), "")
		return 0, false
	}
	return n, ok
}

func (v *validator) boolean(tab map[string]any, table, key string) (bool, bool) {
	x, ok := tab[key]
	if !ok {
		return false, false
	}
	b, ok := x.(bool)
	if !ok {
		v.errKey(table, key, fmt.Sprintf("%s.%s must be true or false, not %s", table, key, typeName(x)), "")
	}
	return b, ok
}

// subTable reads tab[key] as a table; ok is false when it is absent or
// not a table (reported).
func (v *validator) subTable(tab map[string]any, table, key string) (map[string]any, bool) {
	x, present := tab[key]
	if !present {
		return nil, false
	}
	m, ok := x.(map[string]any)
	if !ok {
		v.errKey(table, key, fmt.Sprintf("%s.%s must be a table, not %s", table, key, typeName(x)),
			fmt.Sprintf("write it as [%s.%s] with its keys below", table, key))
	}
	return m, ok
}

// tableList reads tab[key] as an array of tables ([[table.key]] or an
// array of inline tables); ok is false when it is absent or malformed
// (reported).
func (v *validator) tableList(tab map[string]any, table, key string) ([]map[string]any, bool) {
	x, present := tab[key]
	if !present {
		return nil, false
	}
	switch t := x.(type) {
	case []map[string]any:
		return t, true
	case []any:
		out := make([]map[string]any, 0, len(t))
		for i, el := range t {
			m, ok := el.(map[string]any)
			if !ok {
				v.errElem(table, key, i, fmt.Sprintf("%s.%s[%d] must be a table, not %s", table, key, i, typeName(el)),
					fmt.Sprintf("write each element as [[%s.%s]] with its keys below", table, key))
				return nil, false
			}
			out = append(out, m)
		}
		return out, true
	}
	v.errKey(table, key, fmt.Sprintf("%s.%s must be an array of tables, not %s", table, key, typeName(x)),
		fmt.Sprintf("write each element as [[%s.%s]] with its keys below", table, key))
	return nil, false
}

// enum reads a string key that must be one of allowed.
func (v *validator) enum(tab map[string]any, table, key string, required bool, allowed ...string) string {
	s := v.str(tab, table, key, required)
	if _, ok := tab[key].(string); ok {
		v.oneOfAll(table, key, s, allowed...)
	}
	return s
}

// oneOf checks a value that may be empty (not set).
func (v *validator) oneOf(table, key, val string, allowed ...string) {
	if val == "" {
		return
	}
	v.oneOfAll(table, key, val, allowed...)
}

func (v *validator) oneOfAll(table, key, val string, allowed ...string) {
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	hint := "use one of " + strings.Join(allowed, ", ")
	if len(allowed) == 1 {
		hint = fmt.Sprintf("the only valid value is %q", allowed[0])
	}
	if s := Closest(val, allowed); s != "" && len(val) > 2 { // any short word is close to another
		hint = fmt.Sprintf("did you mean %q? (%s)", s, hint)
	}
	v.errKey(table, key, fmt.Sprintf("%s.%s = %q is not a valid value", table, key, val), hint)
}

func (v *validator) meta(m map[string]any) {
	r := v.r
	if m == nil {
		v.errAt(1, 1, "no [metadata] table", "add [metadata] with creation_date and updated_date (YYYY/MM/DD)")
		return
	}
	v.onlyKeys(m, "metadata", knownMetaKeys)
	r.Metadata.CreationDate = v.str(m, "metadata", "creation_date", true)
	r.Metadata.UpdatedDate = v.str(m, "metadata", "updated_date", true)
	for _, k := range []string{"creation_date", "updated_date"} {
		if s, ok := m[k].(string); ok && !dateRE.MatchString(s) {
			v.errKey("metadata", k, fmt.Sprintf("metadata.%s = %q is not a date", k, s), "write it as YYYY/MM/DD")
		}
	}
	r.Metadata.Maturity = v.str(m, "metadata", "maturity", false)
	v.oneOf("metadata", "maturity", r.Metadata.Maturity, "development", "experimental", "beta", "production", "deprecated")
	r.Metadata.Integration = v.strs(m, "metadata", "integration")
	r.Metadata.MinStackVersion = v.str(m, "metadata", "min_stack_version", false)
	r.Metadata.MinStackComments = v.str(m, "metadata", "min_stack_comments", false)
	r.Metadata.DeprecationDate = v.str(m, "metadata", "deprecation_date", false)
	r.Metadata.OSTypeList = v.strs(m, "metadata", "os_type_list")
}

func (v *validator) rule(t map[string]any) {
	r := v.r
	v.onlyKeysOf(t, "rule", knownRuleKeys, knownRuleKeySet)
	r.Author = v.strs(t, "rule", "author")
	if _, ok := t["author"]; !ok {
		v.missing("rule", "author", "")
	}
	r.Description = v.str(t, "rule", "description", true)
	r.Name = v.str(t, "rule", "name", true)
	r.RuleID = v.str(t, "rule", "rule_id", true)
	r.Type = v.str(t, "rule", "type", true)
	v.oneOf("rule", "type", r.Type, ruleTypes...)
	r.Severity = v.str(t, "rule", "severity", true)
	v.oneOf("rule", "severity", r.Severity, "low", "medium", "high", "critical")
	if n, ok := v.integer(t, "rule", "risk_score", true); ok {
		r.RiskScore = n
		if n < 0 || n > 100 {
			v.errKey("rule", "risk_score", fmt.Sprintf("rule.risk_score = %d is out of range", n), "use 0 to 100 (0-21 low, 22-47 medium, 48-73 high, 74-100 critical)")
		}
	}
	r.Language = v.str(t, "rule", "language", false)
	if r.Language == "" {
		switch r.Type {
		case "query", "threshold", "new_terms", "threat_match", "saved_query":
			r.Language = "kuery"
		}
	}
	v.oneOf("rule", "language", r.Language, "kuery", "lucene", "eql", "esql")
	r.Query = v.str(t, "rule", "query", false)
	r.Index = v.strs(t, "rule", "index")
	r.DataViewID = v.str(t, "rule", "data_view_id", false)
	v.window(t)
	r.MaxSignals = 100
	if n, ok := v.integer(t, "rule", "max_signals", false); ok {
		if n < 1 {
			v.errKey("rule", "max_signals", fmt.Sprintf("rule.max_signals = %d must be at least 1", n), "")
		} else {
			r.MaxSignals = n
		}
	}
	r.TimestampOverride = v.str(t, "rule", "timestamp_override", false)
	if b, ok := t["timestamp_override_fallback_disabled"].(bool); ok {
		r.TimestampOverrideFallbackDisabled = b
	}
	r.Enabled = true
	if b, ok := t["enabled"].(bool); ok {
		r.Enabled = b
	}
	r.Tags = v.strs(t, "rule", "tags")
	r.References = v.strs(t, "rule", "references")
	r.FalsePositives = v.strs(t, "rule", "false_positives")
	r.License = v.str(t, "rule", "license", false)
	r.Note = v.str(t, "rule", "note", false)
	r.Setup = v.str(t, "rule", "setup", false)
	r.BuildingBlockType = v.str(t, "rule", "building_block_type", false)
	v.oneOf("rule", "building_block_type", r.BuildingBlockType, "default")
	r.RuleNameOverride = v.str(t, "rule", "rule_name_override", false)
	if n, ok := v.integer(t, "rule", "version", false); ok {
		r.Version = n
	}
	if r.Version == 0 {
		r.Version = 1
	}
	v.threat(t)
	v.typed(t)
}

// refInstant is the fixed "now" against which from and to are resolved to
// compute a rule's look-back: chosen so that now-1M is 30 days and now-1y
// 365 days before it, and at noon so that now/d is half a day back.
var refInstant = time.Date(2001, 5, 1, 12, 0, 0, 0, time.UTC)

// window reads from, to and interval. Kibana accepts any date math in from
// and to; Vigil runs rules relative to their execution, so both must be
// relative to now, and the look-back is to - from. Rounding (now/d) makes
// a window whose length changes with the execution time: Kibana runs it,
// Vigil reports the rule unsupported.
func (v *validator) window(t map[string]any) {
	r := v.r
	r.From = v.str(t, "rule", "from", false)
	if r.From == "" {
		r.From = "now-6m"
	}
	r.To = v.str(t, "rule", "to", false)
	if r.To == "" {
		r.To = "now"
	}
	from, okFrom := v.relTime("from", r.From)
	to, okTo := v.relTime("to", r.To)
	if okFrom && okTo {
		r.Lookback = to.Resolve(refInstant, false).Sub(from.Resolve(refInstant, false))
		if r.Lookback <= 0 {
			v.errKey("rule", "from", fmt.Sprintf("rule.from %q is not before rule.to %q", r.From, r.To), "")
		}
		if rounds(from) || rounds(to) {
			v.windowReason = fmt.Sprintf("from %q / to %q round the time (/unit), so the window's length changes with the execution time; Vigil needs now-<n><unit>", r.From, r.To)
		}
	}
	r.Interval = 5 * time.Minute
	if s := v.str(t, "rule", "interval", false); s != "" {
		if !intervalRE.MatchString(s) {
			v.errKey("rule", "interval", fmt.Sprintf("rule.interval = %q is not an interval", s), "write a number and a unit s, m, h or d, e.g. \"5m\"")
		} else if d, err := datemath.ParseInterval(s); err != nil {
			_, why, _ := strings.Cut(err.Error(), ": ")
			v.errKey("rule", "interval", fmt.Sprintf("rule.interval = %q is not an interval", s), why)
		} else {
			r.Interval = d
		}
	}
}

// rounds reports whether a date-math expression rounds (now/d).
func rounds(e datemath.Expr) bool { return strings.Contains(e.String(), "/") }

// relTime checks a from/to value: date math relative to now.
func (v *validator) relTime(key, s string) (datemath.Expr, bool) {
	e, err := datemath.Parse(s)
	if err != nil {
		v.errKey("rule", key, fmt.Sprintf("rule.%s = %q is not date math relative to now", key, s), dateMathHint(s, err, "now-9m"))
		return e, false
	}
	if !e.IsNowRelative() {
		v.errKey("rule", key, fmt.Sprintf("rule.%s = %q is not date math relative to now", key, s),
			`Vigil runs rules relative to their execution time: write e.g. "now-9m" (units s m h d w M y)`)
		return e, false
	}
	return e, true
}

// dateMathHint turns a datemath error about s into a hint: what to write
// instead, after the problem datemath found.
func dateMathHint(s string, err error, example string) string {
	if !strings.HasPrefix(s, "now") {
		return fmt.Sprintf("write date math relative to now, e.g. %q (units s m h d w M y)", example)
	}
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, `": `); ok {
		return rest
	}
	return msg
}

func (v *validator) threat(t map[string]any) {
	for i, m := range tables(t["threat"]) {
		table := fmt.Sprintf("rule.threat[%d]", i)
		th := Threat{Framework: asString(m["framework"])}
		v.oneOf(table, "framework", th.Framework, "MITRE ATT&CK", "MITRE ATLAS")
		if tac, ok := m["tactic"].(map[string]any); ok {
			th.Tactic = ref(tac)
		}
		for _, tm := range tables(m["technique"]) {
			tech := Technique{ThreatRef: ref(tm)}
			for _, sm := range tables(tm["subtechnique"]) {
				tech.Subtechnique = append(tech.Subtechnique, ref(sm))
			}
			th.Technique = append(th.Technique, tech)
		}
		v.r.Threat = append(v.r.Threat, th)
	}
}

func tables(x any) []map[string]any {
	switch t := x.(type) {
	case []map[string]any:
		return t
	case []any:
		var out []map[string]any
		for _, el := range t {
			if m, ok := el.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func ref(m map[string]any) ThreatRef {
	return ThreatRef{ID: asString(m["id"]), Name: asString(m["name"]), Reference: asString(m["reference"])}
}

func asString(x any) string { s, _ := x.(string); return s }

// compile decides the rule's status and compiles what it can run.
func (v *validator) compile(opts LoadOptions) {
	r := v.r
	switch {
	case r.Type == "esql":
		v.compileESQL(opts)
		return
	case r.Type == "machine_learning":
		v.unsupported("machine_learning rules need Elastic's anomaly detection jobs, which Vigil does not run")
	case r.Type == "saved_query":
		v.unsupported("rule type saved_query needs a Kibana saved query")
	case r.Type == "threat_match" && r.ThreatLanguage == "lucene":
		v.unsupported("threat_language lucene is not supported yet")
	case r.Type == "threshold":
		if _, reason := r.ThresholdConfig(); reason != "" {
			v.unsupported(reason)
		}
	case r.Type == "new_terms":
		if _, reason := r.NewTermsConfig(); reason != "" {
			v.unsupported(reason)
		}
	case r.Language == "lucene":
		v.unsupported("query language lucene is not supported yet")
	}
	if v.windowReason != "" {
		v.unsupported(v.windowReason)
	}
	// Compile the query even of unsupported rule types, so that a
	// broken query is reported as an error.
	if r.Query == "" && r.Type == "query" && r.Raw["filters"] == nil {
		v.errKey("rule", "type", "a query rule needs a query", `add query = '''...'''`)
		return
	}
	if r.Type == "eql" {
		v.compileEQL(opts)
		return
	}
	if r.Language != "kuery" || strings.TrimSpace(r.Query) == "" {
		if r.Language == "kuery" && r.Type == "query" {
			v.compileFilters()
		}
		if r.Type == "threat_match" {
			v.compileThreat(opts)
		}
		return
	}
	node, err := kql.Parse(r.Query)
	if err != nil {
		v.queryError(err)
		return
	}
	schema := opts.Schema
	if schema == nil {
		schema = ecs.Default()
	}
	view := schema.ForIndices(r.Index)
	mopts := match.Options{Schema: view, Plan: opts.Plan, Now: opts.Now}
	m, err := match.Compile(node, mopts)
	if err != nil {
		v.queryError(err)
		return
	}
	r.matcher = m
	r.byIndex = compileByIndex(node, schema, view, m, mopts)
	v.typeWarnings(view, m)
	if r.Type == "query" || r.Type == "new_terms" || r.Type == "threshold" || r.Type == "threat_match" {
		v.compileFilters()
	}
	if r.Type == "threat_match" {
		v.compileThreat(opts)
	}
}

// compileEQL parses an eql rule's query and compiles it: a single-event
// query for the query executor, a sequence or a sample for the sequence
// executor; pipes make a single-event rule unsupported, naming the
// construct.
func (v *validator) compileEQL(opts LoadOptions) {
	r := v.r
	if r.Language != "eql" {
		v.errKey("rule", "language", fmt.Sprintf("an eql rule's language must be \"eql\", not %q", r.Language), `set language = "eql"`)
		return
	}
	if strings.TrimSpace(r.Query) == "" {
		v.errKey("rule", "type", "an eql rule needs a query", `add query = '''process where ...'''`)
		return
	}
	s, err := eql.Parse(r.Query)
	if err != nil {
		v.queryError(err)
		return
	}
	schema := opts.Schema
	if schema == nil {
		schema = ecs.Default()
	}
	switch s.Query.(type) {
	case *eql.Sequence, *eql.Sample:
		v.compileSequence(s, schema, opts)
		return
	}
	if c := match.Construct(s); c != "" {
		v.unsupported("eql " + c + " is not supported yet")
		return
	}
	// The types of the rule's index patterns, as for KQL. (Patterns that
	// disagree on a field's type are not yet evaluated per index for EQL:
	// the first pattern's type is used.)
	view := schema.ForIndices(r.Index)
	mopts := match.EQLOptions{Options: match.Options{Schema: view, Plan: opts.Plan, Now: opts.Now}, CategoryField: r.EventCategoryOverride}
	m, err := match.CompileEQL(s, mopts)
	if err != nil {
		v.queryError(err)
		return
	}
	r.matcher = m
	v.typeWarnings(view, m)
	v.compileFilters()
}

// compileSequence compiles an eql sequence or sample rule for the
// engine's sequence executor (internal/sequence, with the rule's
// timestamp_field, tiebreaker_field and event_category_override). A query
// the matcher cannot run makes the rule unsupported with its reason.
func (v *validator) compileSequence(s *eql.Statement, schema *ecs.Schema, opts LoadOptions) {
	r := v.r
	q, err := sequence.Compile(s, sequence.Options{Schema: schema.ForIndices(r.Index), Plan: opts.Plan,
		CategoryField: r.EventCategoryOverride, TimestampField: r.TimestampField, TiebreakerField: r.TiebreakerField})
	if err != nil {
		kind := "eql sequence"
		if _, ok := s.Query.(*eql.Sample); ok {
			kind = "eql sample"
		}
		var ce *match.CompileError
		if errors.As(err, &ce) {
			v.unsupported(fmt.Sprintf("%s %d:%d: %s", kind, ce.Pos.Line, ce.Pos.Col, ce.Msg))
		} else {
			v.unsupported(kind + ": " + err.Error())
		}
		return
	}
	r.sequence = q
	v.compileFilters()
}

func (v *validator) unsupported(reason string) {
	if v.r.Reason == "" {
		v.r.Reason = reason
	}
}

func (v *validator) compileFilters() {
	fs, reason := compileFilters(v.r.Raw["filters"])
	if reason != "" {
		v.unsupported(reason)
		return
	}
	v.r.filters = fs
}

// queryError reports a query error at its position in the rule file.
func (v *validator) queryError(err error) { v.keyQueryError("query", err) }

// compileESQL parses and compiles an ES|QL rule's query: a syntax error is
// a load error; a query Vigil cannot run (COMPLETION, or a construct its
// ES|QL lacks) makes the rule unsupported with that reason. Rules that
// compile are runnable when opts.RunESQL is set, else unsupported.
func (v *validator) compileESQL(opts LoadOptions) {
	q, err := esql.Parse(v.r.Query)
	if err != nil {
		v.queryError(err)
		return
	}
	for _, c := range q.Commands {
		if u, ok := c.(*esql.Unsupported); ok {
			v.unsupported(fmt.Sprintf("ES|QL %s is not supported: %s", u.Name, u.Reason))
			return
		}
	}
	var schema *ecs.Schema
	if opts.Schema != nil {
		if from, ok := q.Source.(*esql.From); ok {
			schema = opts.Schema.ForIndices(from.Indices)
		}
	}
	clock := &ESQLClock{}
	p, err := esql.Compile(q, esql.Options{Schema: schema, Now: clock.Now, Plan: opts.Plan, Limit: v.r.MaxSignals})
	if err != nil {
		var qe *esql.Error
		if errors.As(err, &qe) {
			v.unsupported(fmt.Sprintf("ES|QL query %d:%d: %s", qe.Pos.Line, qe.Pos.Col, qe.Msg))
		} else {
			v.unsupported("ES|QL query: " + err.Error())
		}
		return
	}
	if !opts.RunESQL {
		v.unsupported("ES|QL rules are not executed by this command")
		return
	}
	v.r.esql = &ESQL{Program: p, Clock: clock, Query: v.r.Query, Filter: p.Filter()}
}

// keyQueryError reports an error of the KQL query under key at its
// position in the rule file.
func (v *validator) keyQueryError(key string, err error) {
	line, col := v.keyPos("rule", key)
	qLine, qCol := 1, 1
	msg, hint, detail := err.Error(), "", ""
	var ke *kql.Error
	var ee *eql.Error
	var ce *match.CompileError
	switch {
	case errors.As(err, &ke):
		qLine, qCol, msg, hint, detail = ke.Pos.Line, ke.Pos.Col, ke.Msg, ke.Hint, ke.Detail()
	case errors.As(err, &ee):
		qLine, qCol, msg, hint, detail = ee.Pos.Line, ee.Pos.Col, ee.Msg, ee.Hint, ee.Detail()
	case errors.As(err, &ce):
		qLine, qCol, msg, hint = ce.Pos.Line, ce.Pos.Col, ce.Msg, ce.Hint
	}
	if line > 0 {
		// The value starts after `query = ` and its opening delimiter; a
		// multi-line string's first newline is not part of the value.
		l := strings.Split(string(v.data), "\n")[line-1]
		keyAt := 0 // the key's byte offset: col counts characters
		for n := 1; n < col && keyAt < len(l); n++ {
			_, size := utf8.DecodeRuneInString(l[keyAt:])
			keyAt += size
		}
		eq := strings.Index(l[keyAt:], "=")
		if eq >= 0 {
			eq += keyAt
		}
		rest := strings.TrimLeft(l[eq+1:], " \t")
		start := eq + 1 + (len(l[eq+1:]) - len(rest))
		delim := 1
		if strings.HasPrefix(rest, `'''`) || strings.HasPrefix(rest, `"""`) {
			delim = 3
		}
		if delim == 3 && strings.TrimSpace(rest[3:]) == "" {
			line, col = line+qLine, qCol
		} else if qLine == 1 {
			col = start + delim + qCol
		} else {
			line, col = line+qLine-1, qCol
		}
	}
	v.r.Errors = append(v.r.Errors, &Error{File: v.r.File, Line: line, Col: col, Msg: key + ": " + msg, Hint: hint, Detail: detail})
}

func (v *validator) finish() {
	r := v.r
	sort.SliceStable(r.Errors, func(i, j int) bool {
		a, b := r.Errors[i], r.Errors[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	switch {
	case len(r.Errors) > 0:
		r.Status = StatusError
		r.Reason = fmt.Sprintf("%d error(s)", len(r.Errors))
		r.matcher = nil
	case r.Reason != "":
		r.Status = StatusUnsupported
	default:
		r.Status = StatusOK
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Closest returns the candidate within edit distance 2 of s, if any: the
// "did you mean" of error messages.
func Closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := querytext.EditDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// readPathOS is readPath with os.Stat and os.ReadFile.
func readPathOS(path string) (data []byte, isDir bool, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if st.IsDir() {
		return nil, true, nil
	}
	data, err = os.ReadFile(path)
	return data, false, err
}
