package exception

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/rule"
)

// Entry types, as Kibana stores them (the UI operator words in brackets).
const (
	TypeMatch    = "match"     // is, is not
	TypeMatchAny = "match_any" // is one of, is not one of
	TypeWildcard = "wildcard"  // matches, does not match
	TypeExists   = "exists"    // exists, does not exist
	TypeList     = "list"      // is in list, is not in list
	TypeNested   = "nested"    // nested: sub-entries on one object of an array
)

// Entry operators: included is the positive form, excluded its negation.
const (
	Included = "included"
	Excluded = "excluded"
)

// EndpointListID is the list_id of Elastic Defend's global Endpoint exception
// list, which Kibana leaves out of the detection engine's exclusion filter.
const EndpointListID = "endpoint_list"

// List is an exception list: a container of items. A rule uses the lists its
// exceptions_list names by list_id; a list written in Vigil's TOML form may
// also name the rules it applies to in Rules.
type List struct {
	ID            string // Kibana's saved-object id ("" when written by hand)
	ListID        string // the id rules refer to
	Name          string
	Description   string
	Type          string // "detection", "endpoint" or "rule_default"
	NamespaceType string // "single" or "agnostic"
	// Rules are the rule_ids the list applies to without the rule naming it
	// ("*" = every rule). From the TOML form's rules key, and from the rules
	// of a Kibana rule export whose exceptions_list names the list.
	Rules  []string
	Items  []*Item
	Source string // file:line where the list is defined, for messages
}

// Item is one exception: it matches an event when all its entries do (and,
// with OSTypes, the event's host OS is one of them).
type Item struct {
	ItemID      string
	ListID      string
	Name        string
	Description string
	Entries     []Entry
	OSTypes     []string  // "linux", "macos", "windows"
	ExpireTime  time.Time // zero: never expires
	Comments    []string
	Tags        []string
	Source      string // file:line where the item is defined, for messages
}

// Entry is one condition of an item. Value is set for match and wildcard,
// Values for match_any, List for list, Entries for nested (whose sub-entries
// are match, match_any or exists, with fields relative to Field or written
// as full paths). Operator is empty for nested.
type Entry struct {
	Field    string
	Type     string
	Operator string
	Value    string
	Values   []string
	List     *ListRef
	Entries  []Entry
	Source   string // file:line of the entry when known, for messages
}

// ListRef names a value list: its id and its type (keyword, ip, ip_range,
// text, long...).
type ListRef struct {
	ID   string
	Type string
}

// Error is one problem in exception lists or value lists: what is wrong,
// where, and what to do.
type Error struct {
	File  string // file (or stream name)
	Line  int    // 1-based; 0 when unknown
	Col   int    // 1-based; 0 when unknown (printed as 1 after a known line)
	Where string // the list, item and entry concerned, or ""
	Msg   string // what is wrong, lower case
	Hint  string // what to do about it, or ""
}

// Error returns "file:line:col: where: msg (hint)", the form of every
// position Vigil reports.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(":")
		b.WriteString(strconv.Itoa(max(e.Col, 1)))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Where != "" {
		b.WriteString(e.Where)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Errors is every problem found, sorted by file and line. The parsers, the
// value-list loader and Compile return it as their error.
type Errors []*Error

// Error lists the problems, one per line.
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// sorted returns es sorted stably by file and line, or nil when empty.
func (es Errors) sorted() error {
	if len(es) == 0 {
		return nil
	}
	slices.SortStableFunc(es, func(a, b *Error) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return es
}

// splitSource splits "file:line" into its parts (line 0 when absent).
func splitSource(src string) (string, int) {
	if i := strings.LastIndexByte(src, ':'); i >= 0 {
		if n, err := strconv.Atoi(src[i+1:]); err == nil && n > 0 {
			return src[:i], n
		}
	}
	return src, 0
}

// source formats a position as "file:line".
func source(file string, line int) string {
	if line <= 0 {
		return file
	}
	return file + ":" + strconv.Itoa(line)
}

// osTypes are the values of an item's os_types.
var osTypes = []string{"linux", "macos", "windows"}

// entryTypes are the types of an entry, in Kibana's order.
var entryTypes = []string{TypeMatch, TypeMatchAny, TypeWildcard, TypeExists, TypeList, TypeNested}

// valueListTypes are the types Kibana's value lists may have.
var valueListTypes = strings.Fields(`binary boolean byte date date_nanos date_range double double_range float
	float_range geo_point geo_shape half_float integer integer_range ip ip_range keyword long long_range shape short text`)

// problem is an entry's fault, found by checkEntry.
type problem struct {
	path string // "" for the entry itself, else ".2" style sub-entry path
	msg  string
	hint string
}

// checkEntry reports what is wrong with an entry in Kibana's model: the
// checks both parsers and Compile apply. inNested is true for the
// sub-entries of a nested entry, which may only be match, match_any or
// exists.
func checkEntry(e *Entry, inNested bool) []problem {
	var out []problem
	add := func(msg, hint string) { out = append(out, problem{msg: msg, hint: hint}) }
	if strings.TrimSpace(e.Field) == "" {
		add("no field", "name the event field the entry tests, e.g. user.name")
	}
	if !slices.Contains(entryTypes, e.Type) {
		hint := "use one of " + strings.Join(entryTypes, ", ")
		if s := closest(e.Type, entryTypes); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		add(fmt.Sprintf("unknown entry type %q", e.Type), hint)
		return out
	}
	if inNested && e.Type != TypeMatch && e.Type != TypeMatchAny && e.Type != TypeExists {
		add(fmt.Sprintf("a nested entry's sub-entries are match, match_any or exists, not %s", e.Type),
			"Kibana allows only is, is not, is one of, is not one of, exists and does not exist inside nested")
		return out
	}
	if e.Type == TypeNested {
		if e.Operator != "" && e.Operator != Included {
			add(fmt.Sprintf("a nested entry has no operator (found %q)", e.Operator), "negate its sub-entries instead")
		}
	} else if e.Operator != Included && e.Operator != Excluded {
		add(fmt.Sprintf("unknown operator %q", e.Operator), "use included or excluded")
	}
	switch e.Type {
	case TypeMatch, TypeWildcard:
		if e.Value == "" {
			add("no value", "give the value to compare with")
		}
		if len(e.Values) > 0 || e.List != nil || len(e.Entries) > 0 {
			add(e.Type+" takes one value only", "")
		}
	case TypeMatchAny:
		if len(e.Values) == 0 {
			add("no values", "give at least one value")
		}
		for i, v := range e.Values {
			if v == "" {
				add(fmt.Sprintf("value %d is empty", i+1), "remove it")
			}
		}
		if e.Value != "" || e.List != nil || len(e.Entries) > 0 {
			add("match_any takes a list of values only", "")
		}
	case TypeExists:
		if e.Value != "" || len(e.Values) > 0 || e.List != nil || len(e.Entries) > 0 {
			add("exists takes no value", "remove the value")
		}
	case TypeList:
		switch {
		case e.List == nil || e.List.ID == "":
			add("no value list", "name the value list the field's values are looked up in")
		case e.List.Type != "" && !slices.Contains(valueListTypes, e.List.Type):
			hint := "use keyword, ip, ip_range, text, long..."
			if s := closest(e.List.Type, valueListTypes); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			add(fmt.Sprintf("unknown value list type %q", e.List.Type), hint)
		}
		if e.Value != "" || len(e.Values) > 0 || len(e.Entries) > 0 {
			add("a list entry takes a value list only", "")
		}
	case TypeNested:
		if len(e.Entries) == 0 {
			add("a nested entry has no sub-entries", "give the conditions on the nested objects")
		}
		if e.Value != "" || len(e.Values) > 0 || e.List != nil {
			add("a nested entry takes sub-entries only", "")
		}
		for i := range e.Entries {
			for _, p := range checkEntry(&e.Entries[i], true) {
				p.path = "." + strconv.Itoa(i+1) + p.path
				out = append(out, p)
			}
		}
	}
	return out
}

// checkOSType reports what is wrong with an os_types value, or "".
func checkOSType(os string) (msg, hint string) {
	if slices.Contains(osTypes, os) {
		return "", ""
	}
	hint = "use linux, macos or windows"
	if s := closest(strings.ToLower(os), osTypes); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	return fmt.Sprintf("unknown os type %q", os), hint
}

// closest returns the candidate within edit distance 2 of s, or "" (the
// rule loader's did-you-mean).
func closest(s string, candidates []string) string { return rule.Closest(s, candidates) }
