package exception

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Vigil's TOML form of exception lists, for analysts writing them by hand,
// with the operator words of Kibana's UI:
//
//	[[list]]
//	list_id = "corp-exceptions"
//	name = "Corporate exceptions"
//	rules = ["60884af6-...", "*"]        # optional: rules it applies to
//
//	[[list.item]]
//	name = "Backup agent"
//	expire_time = 2026-01-01T00:00:00Z    # optional
//	os_types = ["windows"]                # optional
//	comment = "ticket SEC-1234"
//
//	[[list.item.entry]]
//	field = "user.name"
//	operator = "is"
//	value = "svc-backup"
//
// The leaf keys decode into `any`, so that BurntSushi marks them decoded and
// reports only unknown keys as Undecoded, while their types are checked
// here, every problem reported rather than the first.

type tFile struct {
	List []tList `toml:"list"`
}

type tList struct {
	ListID        any     `toml:"list_id"`
	Name          any     `toml:"name"`
	Description   any     `toml:"description"`
	Type          any     `toml:"type"`
	NamespaceType any     `toml:"namespace_type"`
	Rules         any     `toml:"rules"`
	Item          []tItem `toml:"item"`
}

type tItem struct {
	ItemID      any      `toml:"item_id"`
	Name        any      `toml:"name"`
	Description any      `toml:"description"`
	ExpireTime  any      `toml:"expire_time"`
	OSTypes     any      `toml:"os_types"`
	Comment     any      `toml:"comment"`
	Tags        any      `toml:"tags"`
	Entry       []tEntry `toml:"entry"`
}

type tEntry struct {
	Field    any      `toml:"field"`
	Operator any      `toml:"operator"`
	Value    any      `toml:"value"`
	Values   any      `toml:"values"`
	List     any      `toml:"list"`
	ListType any      `toml:"list_type"`
	Entry    []tEntry `toml:"entry"`
}

// tomlKeys are the keys of each table, for unknown-key hints.
var tomlKeys = map[string][]string{
	"":                      {"list"},
	"list":                  {"list_id", "name", "description", "type", "namespace_type", "rules", "item"},
	"list.item":             {"item_id", "name", "description", "expire_time", "os_types", "comment", "tags", "entry"},
	"list.item.entry":       {"field", "operator", "value", "values", "list", "list_type", "entry"},
	"list.item.entry.entry": {"field", "operator", "value", "values", "list", "list_type", "entry"},
}

// operatorWords are the UI's operators, as the TOML form writes them.
var operatorWords = []string{"is", "is not", "is one of", "is not one of", "matches", "does not match",
	"exists", "does not exist", "is in list", "is not in list", "nested"}

var operatorTypes = map[string][2]string{
	"is":             {TypeMatch, Included},
	"is not":         {TypeMatch, Excluded},
	"is one of":      {TypeMatchAny, Included},
	"is not one of":  {TypeMatchAny, Excluded},
	"matches":        {TypeWildcard, Included},
	"does not match": {TypeWildcard, Excluded},
	"exists":         {TypeExists, Included},
	"does not exist": {TypeExists, Excluded},
	"is in list":     {TypeList, Included},
	"is not in list": {TypeList, Excluded},
	"nested":         {TypeNested, ""},
}

// tomlParser collects what ParseTOML finds.
type tomlParser struct {
	file string
	pos  *tomlPos
	errs Errors
}

func (p *tomlParser) errorf(line int, where, hint, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Where: where, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// ParseTOML reads exception lists in Vigil's TOML form (see
// docs/exceptions.md). Every problem is reported, with file:line, the list,
// item and entry concerned, and what to do.
func ParseTOML(file string, data []byte) ([]*List, error) {
	p := &tomlParser{file: file}
	var doc tFile
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		p.decodeError(err)
		return nil, p.errs.sorted()
	}
	p.pos = scanTOML(string(data))
	if len(doc.List) == 0 {
		p.errorf(1, "", "an exceptions file holds [[list]] tables, each with [[list.item]] and [[list.item.entry]] tables (see docs/exceptions.md)",
			"no [[list]] table")
	}
	var lists []*List
	seen := map[string]int{}
	for i := range doc.List {
		l := p.list(&doc.List[i], i)
		if l.ListID != "" {
			if prev, dup := seen[l.ListID]; dup {
				p.errorf(p.pos.table(listPath(i)), fmt.Sprintf("list %q", l.ListID), "give each list its own list_id, or merge them",
					"list_id %q is already used by list %d", l.ListID, prev+1)
			} else {
				seen[l.ListID] = i
			}
		}
		lists = append(lists, l)
	}
	p.unknownKeys(md.Undecoded(), lists)
	if err := p.errs.sorted(); err != nil {
		return nil, err
	}
	return lists, nil
}

var tomlErrRE = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// decodeError reports an error of the TOML decoder: a syntax error, or a
// table where a value is expected (and the reverse).
func (p *tomlParser) decodeError(err error) {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		p.errorf(pe.Position.Line, "", "", "TOML syntax: %s", pe.Message)
		p.errs[len(p.errs)-1].Col = pe.Position.Col
		return
	}
	msg := err.Error()
	if m := tomlErrRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		detail := m[3]
		if strings.Contains(detail, "type mismatch") || strings.Contains(detail, "incompatible types") {
			detail = "expected an array of tables: write [[" + m[2] + "]] tables (or an array of inline tables), not [" + m[2] + "] or a value"
		}
		p.errorf(line, m[2], "see docs/exceptions.md for the layout of the file", "%s", detail)
		return
	}
	p.errorf(0, "", "", "%s", strings.TrimPrefix(msg, "toml: "))
}

// unknownKeys reports keys the form does not have, with a did-you-mean.
// Keys below an unknown key or below a value are not repeated.
func (p *tomlParser) unknownKeys(keys []toml.Key, lists []*List) {
	count := map[string]int{}
	for _, k := range keys {
		if len(k) == 0 {
			continue
		}
		parent := strings.Join(k[:len(k)-1], ".")
		known, ok := tomlKeys[parent]
		if !ok {
			continue
		}
		plain := strings.Join(k, ".")
		n := count[plain]
		count[plain]++
		line, where := 0, ""
		if kp, found := p.pos.nth(plain, n); found {
			line = kp.line
			where = describePath(kp.indexed, lists)
		}
		name := k[len(k)-1]
		hint := "the keys here are " + strings.Join(known, ", ")
		if s := closest(name, known); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		p.errorf(line, where, hint, "unknown key %q", name)
	}
}

var indexRE = regexp.MustCompile(`^list\[(\d+)\](?:\.item\[(\d+)\])?((?:\.entry\[\d+\])*)`)
var entryIndexRE = regexp.MustCompile(`\[(\d+)\]`)

// describePath names the table of a key's indexed path the way other
// messages do: list[0].item[1].entry[0].x is list "id" item 2 ("name")
// entry 1, and nested sub-entries are entry 1.2.
func describePath(indexed string, lists []*List) string {
	m := indexRE.FindStringSubmatch(indexed)
	if m == nil {
		return ""
	}
	i, _ := strconv.Atoi(m[1])
	where := fmt.Sprintf("list %d", i+1)
	var l *List
	if i < len(lists) {
		l = lists[i]
		if l.ListID != "" {
			where = fmt.Sprintf("list %q", l.ListID)
		}
	}
	if m[2] == "" {
		return where
	}
	j, _ := strconv.Atoi(m[2])
	where += fmt.Sprintf(" item %d", j+1)
	if l != nil && j < len(l.Items) && l.Items[j].Name != "" {
		where += fmt.Sprintf(" (%q)", l.Items[j].Name)
	}
	for k, e := range entryIndexRE.FindAllStringSubmatch(m[3], -1) {
		n, _ := strconv.Atoi(e[1])
		if k == 0 {
			where += fmt.Sprintf(" entry %d", n+1)
		} else {
			where += fmt.Sprintf(".%d", n+1)
		}
	}
	return where
}

func listPath(i int) string           { return "list[" + strconv.Itoa(i) + "]" }
func itemPath(l string, j int) string { return l + ".item[" + strconv.Itoa(j) + "]" }
func entryPath(it string, k int) string {
	return it + ".entry[" + strconv.Itoa(k) + "]"
}

// tomlType names the TOML type of a decoded value.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

// str reads a string key; nil gives "".
func (p *tomlParser) str(v any, line int, where, key string) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	}
	p.errorf(line, where, fmt.Sprintf(`write %s = "..."`, key), "%s must be a string, not %s", key, tomlType(v))
	return ""
}

// scalar reads a value to compare with: a string, or a number or boolean
// written without quotes (Kibana keeps values as strings).
func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return "", false
		}
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

// strs reads an array of strings (scalars with numbers allowed).
func (p *tomlParser) strs(v any, line int, where, key string, numbers bool) []string {
	if v == nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		p.errorf(line, where, fmt.Sprintf(`write %s = ["...", "..."]`, key), "%s must be an array, not %s", key, tomlType(v))
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, x := range arr {
		s, ok := x.(string)
		if !ok && numbers {
			s, ok = scalar(x)
		}
		if !ok {
			p.errorf(line, where, "quote it", "%s[%d] must be a string, not %s", key, i, tomlType(x))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *tomlParser) list(t *tList, i int) *List {
	path := listPath(i)
	line := p.pos.table(path)
	where := fmt.Sprintf("list %d", i+1)
	l := &List{Source: source(p.file, line)}
	l.ListID = p.str(t.ListID, p.pos.key(path, "list_id"), where, "list_id")
	switch {
	case t.ListID == nil:
		p.errorf(line, where, `add list_id = "..."; rules name the lists they use by list_id`, "the list has no list_id")
	case isString(t.ListID) && strings.TrimSpace(l.ListID) == "":
		p.errorf(p.pos.key(path, "list_id"), where, "give the list an id", "list_id is empty")
	}
	if l.ListID != "" {
		where = fmt.Sprintf("list %q", l.ListID)
	}
	l.Name = p.str(t.Name, p.pos.key(path, "name"), where, "name")
	if l.Name == "" {
		l.Name = l.ListID
	}
	l.Description = p.str(t.Description, p.pos.key(path, "description"), where, "description")
	l.Type = p.str(t.Type, p.pos.key(path, "type"), where, "type")
	switch l.Type {
	case "":
		l.Type = "detection"
	case "detection", "endpoint", "rule_default":
	default:
		p.errorf(p.pos.key(path, "type"), where, "use detection (the default), rule_default or endpoint", "unknown list type %q", l.Type)
	}
	l.NamespaceType = p.str(t.NamespaceType, p.pos.key(path, "namespace_type"), where, "namespace_type")
	switch l.NamespaceType {
	case "":
		l.NamespaceType = "single"
	case "single", "agnostic":
	default:
		p.errorf(p.pos.key(path, "namespace_type"), where, "use single (the default) or agnostic", "unknown namespace_type %q", l.NamespaceType)
	}
	l.Rules = p.strs(t.Rules, p.pos.key(path, "rules"), where, "rules", false)
	for _, r := range l.Rules {
		if strings.TrimSpace(r) == "" {
			p.errorf(p.pos.key(path, "rules"), where, `name rules by rule_id, or "*" for every rule`, "rules holds an empty rule id")
		}
	}
	if len(t.Item) == 0 {
		p.errorf(line, where, "add [[list.item]] tables, each with [[list.item.entry]] tables", "the list has no items")
	}
	ids := map[string]int{}
	for j := range t.Item {
		it := p.item(l, &t.Item[j], path, j, where)
		if prev, dup := ids[it.ItemID]; dup {
			p.errorf(p.pos.table(itemPath(path, j)), where, "give each item its own item_id",
				"item %d has the item_id %q of item %d", j+1, it.ItemID, prev+1)
		} else {
			ids[it.ItemID] = j
		}
		l.Items = append(l.Items, it)
	}
	return l
}

func (p *tomlParser) item(l *List, t *tItem, listPath string, j int, listWhere string) *Item {
	path := itemPath(listPath, j)
	line := p.pos.table(path)
	where := fmt.Sprintf("%s item %d", listWhere, j+1)
	it := &Item{ListID: l.ListID, Source: source(p.file, line)}
	it.Name = p.str(t.Name, p.pos.key(path, "name"), where, "name")
	if it.Name == "" {
		p.errorf(line, where, `add name = "..."; it is what an excluded event is reported with`, "the item has no name")
	} else {
		where += fmt.Sprintf(" (%q)", it.Name)
	}
	it.ItemID = p.str(t.ItemID, p.pos.key(path, "item_id"), where, "item_id")
	if it.ItemID == "" {
		it.ItemID = l.ListID + "-" + strconv.Itoa(j+1)
	}
	it.Description = p.str(t.Description, p.pos.key(path, "description"), where, "description")
	switch v := t.ExpireTime.(type) {
	case nil:
	case string:
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			p.errorf(p.pos.key(path, "expire_time"), where, "write an RFC 3339 date with its offset, e.g. 2026-01-31T00:00:00Z",
				"expire_time %q is not an RFC 3339 date", v)
		}
		it.ExpireTime = tm
	case time.Time:
		if strings.HasSuffix(v.Location().String(), "-local") {
			p.errorf(p.pos.key(path, "expire_time"), where, "add Z or an offset such as +02:00",
				"expire_time %s has no time zone", v.Format("2006-01-02T15:04:05"))
		}
		it.ExpireTime = v
	default:
		p.errorf(p.pos.key(path, "expire_time"), where, "write expire_time = 2026-01-31T00:00:00Z",
			"expire_time must be a date, not %s", tomlType(v))
	}
	it.OSTypes = p.strs(t.OSTypes, p.pos.key(path, "os_types"), where, "os_types", false)
	for _, os := range it.OSTypes {
		if msg, hint := checkOSType(os); msg != "" {
			p.errorf(p.pos.key(path, "os_types"), where, hint, "%s", msg)
		}
	}
	switch v := t.Comment.(type) {
	case nil:
	case string:
		it.Comments = []string{v}
	case []any:
		it.Comments = p.strs(v, p.pos.key(path, "comment"), where, "comment", false)
	default:
		p.errorf(p.pos.key(path, "comment"), where, `write comment = "..."`, "comment must be a string, not %s", tomlType(v))
	}
	it.Tags = p.strs(t.Tags, p.pos.key(path, "tags"), where, "tags", false)
	if len(t.Entry) == 0 {
		p.errorf(line, where, "add [[list.item.entry]] tables: field, operator and value", "the item has no entries")
	}
	for k := range t.Entry {
		e := p.entry(&t.Entry[k], entryPath(path, k), fmt.Sprintf("%s entry %d", where, k+1), false)
		it.Entries = append(it.Entries, e)
	}
	return it
}

// entry converts an entry table; nested is true for a nested entry's
// sub-entries.
func (p *tomlParser) entry(t *tEntry, path, where string, nested bool) Entry {
	line := p.pos.table(path)
	e := Entry{Source: source(p.file, line)}
	keyLine := func(k string) int { return p.pos.key(path, k) }
	e.Field = p.str(t.Field, keyLine("field"), where, "field")
	switch {
	case t.Field == nil:
		p.errorf(line, where, `add field = "..." naming the event field, e.g. user.name`, "the entry has no field")
	case isString(t.Field) && strings.TrimSpace(e.Field) == "":
		p.errorf(keyLine("field"), where, "name the event field, e.g. user.name", "field is empty")
	}
	words := operatorWords
	if nested {
		words = []string{"is", "is not", "is one of", "is not one of", "exists", "does not exist"}
	}
	opText := p.str(t.Operator, keyLine("operator"), where, "operator")
	op := strings.Join(strings.Fields(strings.ToLower(opText)), " ")
	ot, known := operatorTypes[op]
	switch {
	case t.Operator == nil:
		p.errorf(line, where, "use one of: "+quoteAll(words), "the entry has no operator")
		return e
	case !isString(t.Operator):
		return e // reported by str
	case op == "":
		p.errorf(keyLine("operator"), where, "use one of: "+quoteAll(words), "operator is empty")
		return e
	case !known:
		hint := "use one of: " + quoteAll(words)
		if s := closest(op, operatorWords); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		p.errorf(keyLine("operator"), where, hint, "unknown operator %q", opText)
		return e
	case nested && !slices.Contains(words, op):
		p.errorf(keyLine("operator"), where, "inside nested, use one of: "+quoteAll(words),
			"operator %q cannot be used inside a nested entry (Kibana allows only is, is one of, exists and their negations)", opText)
		return e
	}
	e.Type, e.Operator = ot[0], ot[1]
	// unexpected reports a key the operator does not take.
	unexpected := func(key string, v any, hint string) {
		if v != nil {
			p.errorf(keyLine(key), where, hint, "operator %q takes no %s", op, key)
		}
	}
	switch e.Type {
	case TypeMatch, TypeWildcard:
		switch v := t.Value.(type) {
		case nil:
			hint := `add value = "..."`
			if t.Values != nil {
				hint = fmt.Sprintf(`to compare with several values use operator = "is one of" with values = [...]; "%s" takes value = "..."`, op)
			}
			p.errorf(line, where, hint, "operator %q needs a value", op)
		default:
			s, ok := scalar(v)
			switch {
			case !ok:
				hint := `write value = "..."`
				if _, isArr := v.([]any); isArr && e.Type == TypeMatch {
					hint = fmt.Sprintf(`for several values use operator = "%s one of" and values = [...]`, op)
				}
				p.errorf(keyLine("value"), where, hint, "value must be a string, not %s", tomlType(v))
			case s == "":
				p.errorf(keyLine("value"), where, "give the value to compare with; for a missing field use \"does not exist\"", "value is empty")
			}
			e.Value = s
		}
		if t.Values != nil && t.Value != nil {
			unexpected("values", t.Values, "remove it")
		}
		unexpected("list", t.List, "remove it, or use \"is in list\"")
		unexpected("list_type", t.ListType, "remove it")
	case TypeMatchAny:
		switch {
		case t.Values == nil && t.Value != nil:
			p.errorf(keyLine("value"), where, `write values = ["...", "..."]`, "operator %q takes values (an array), not value", op)
		case t.Values == nil:
			p.errorf(line, where, `add values = ["...", "..."]`, "operator %q needs values", op)
		default:
			e.Values = p.strs(t.Values, keyLine("values"), where, "values", true)
			if _, isArr := t.Values.([]any); isArr && len(e.Values) == 0 {
				p.errorf(keyLine("values"), where, "give at least one value", "values is empty")
			}
			for i, v := range e.Values {
				if v == "" {
					p.errorf(keyLine("values"), where, "remove it", "values[%d] is empty", i)
				}
			}
			unexpected("value", t.Value, "put every value in values")
		}
		unexpected("list", t.List, "remove it, or use \"is in list\"")
		unexpected("list_type", t.ListType, "remove it")
	case TypeExists:
		unexpected("value", t.Value, "remove it: exists tests whether the field has any value")
		unexpected("values", t.Values, "remove it")
		unexpected("list", t.List, "remove it")
		unexpected("list_type", t.ListType, "remove it")
	case TypeList:
		id := p.str(t.List, keyLine("list"), where, "list")
		if t.List == nil {
			p.errorf(line, where, `add list = "<value list id>" (and list_type = "keyword", "ip" or "ip_range"); load the list with --value-list ID=FILE`,
				"operator %q needs a value list", op)
		} else if isString(t.List) && strings.TrimSpace(id) == "" {
			p.errorf(keyLine("list"), where, "name the value list", "list is empty")
		}
		typ := p.str(t.ListType, keyLine("list_type"), where, "list_type")
		if typ == "" {
			typ = "keyword"
		} else if !slices.Contains(valueListTypes, typ) {
			hint := "use keyword, ip, ip_range, text, long..."
			if s := closest(typ, valueListTypes); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			p.errorf(keyLine("list_type"), where, hint, "unknown list_type %q", typ)
		}
		e.List = &ListRef{ID: id, Type: typ}
		unexpected("value", t.Value, "remove it: the values are in the value list")
		unexpected("values", t.Values, "remove it: the values are in the value list")
	case TypeNested:
		if len(t.Entry) == 0 {
			p.errorf(line, where, `add entry = [ {field = "...", operator = "is", value = "..."}, ... ] with fields relative to `+strconv.Quote(e.Field),
				"a nested entry needs sub-entries")
		}
		unexpected("value", t.Value, "put the conditions in entry = [...]")
		unexpected("values", t.Values, "put the conditions in entry = [...]")
		unexpected("list", t.List, "remove it")
		unexpected("list_type", t.ListType, "remove it")
		for m := range t.Entry {
			sub := p.entry(&t.Entry[m], entryPath(path, m), fmt.Sprintf("%s.%d", where, m+1), true)
			e.Entries = append(e.Entries, sub)
		}
		return e
	}
	if len(t.Entry) > 0 {
		p.errorf(keyLine("entry"), where, `sub-entries belong to operator = "nested"`, "operator %q takes no sub-entries", op)
	}
	return e
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

func quoteAll(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	return strings.Join(q, ", ")
}
