package exception

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kibana exports exception lists as NDJSON (Security > Rules > Shared
// exception lists > Export, and the rules export, which adds the rules and
// the lists they use): one JSON object per line.
//
//   - a line with "entries" is an item;
//   - a line with export counts (exported_exception_list_count,
//     exported_exception_list_item_count, exported_rules_count...) is the
//     summary that ends the export;
//   - a line with "rule_id" is a rule (rules export): its exceptions_list
//     names the lists it uses;
//   - any other line with "list_id" and "type" is a list container;
//   - other lines (action connectors of a rules export) are skipped.

// kItem is an exception item as Kibana exports it (fields Vigil ignores,
// such as created_at, _version or tie_breaker_id, are not listed).
type kItem struct {
	Comments []struct {
		Comment string `json:"comment"`
	} `json:"comments"`
	Description   string   `json:"description"`
	Entries       []kEntry `json:"entries"`
	ExpireTime    string   `json:"expire_time"`
	ID            string   `json:"id"`
	ItemID        string   `json:"item_id"`
	ListID        string   `json:"list_id"`
	Name          string   `json:"name"`
	NamespaceType string   `json:"namespace_type"`
	OSTypes       []string `json:"os_types"`
	Tags          []string `json:"tags"`
	Type          string   `json:"type"`
}

type kEntry struct {
	Field    string          `json:"field"`
	Operator string          `json:"operator"`
	Type     string          `json:"type"`
	Value    json.RawMessage `json:"value"`
	List     *struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"list"`
	Entries []kEntry `json:"entries"`
}

type kList struct {
	Description   string   `json:"description"`
	ID            string   `json:"id"`
	ListID        string   `json:"list_id"`
	Name          string   `json:"name"`
	NamespaceType string   `json:"namespace_type"`
	Type          string   `json:"type"`
	OSTypes       []string `json:"os_types"`
}

type kRule struct {
	RuleID         string `json:"rule_id"`
	ExceptionsList []struct {
		ListID        string `json:"list_id"`
		NamespaceType string `json:"namespace_type"`
	} `json:"exceptions_list"`
}

// summaryKeys mark the export summary line.
var summaryKeys = []string{"exported_exception_list_count", "exported_exception_list_item_count",
	"exported_count", "exported_rules_count", "missing_exception_lists_count"}

// listKey identifies a list across namespaces.
type listKey struct{ listID, namespace string }

func namespaceOf(ns string) string {
	if ns == "" {
		return "single"
	}
	return ns
}

// ParseKibana reads a Kibana exception list export (or a rules export) in
// NDJSON. name names the stream in messages (name:line). Every problem is
// reported: lines that are not JSON objects, fields of the wrong type,
// invalid entries, items whose list is not in the export, duplicate lists
// and items, and counts that disagree with the export's summary.
func ParseKibana(r io.Reader, name string) ([]*List, error) {
	var (
		errs     Errors
		lists    []*List
		byKey    = map[listKey]*List{}
		items    []*Item
		itemNS   []string
		itemLine []int
		rules    []kRule
		nRules   int
		nItems   int // item lines, read or not, for the summary's counts
		nLists   int
		summary  map[string]json.RawMessage
		sumLine  int
	)
	errAt := func(line int, where, msg, hint string) {
		errs = append(errs, &Error{File: name, Line: line, Where: where, Msg: msg, Hint: hint})
	}
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		raw, rerr := br.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return nil, fmt.Errorf("%s: reading line %d: %w", name, line, rerr)
		}
		if len(raw) == 0 && rerr != nil {
			break
		}
		text := bytes.TrimSpace(raw)
		if len(text) > 0 {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(text, &obj); err != nil || obj == nil {
				errAt(line, "", "not a JSON object: "+jsonProblem(err, text), "each line of a Kibana export is one JSON object; export the list again")
			} else {
				switch {
				case has(obj, "entries"):
					nItems++
					it, ns, ierrs := kibanaItem(text, obj, name, line)
					errs = append(errs, ierrs...)
					if it != nil {
						items, itemNS, itemLine = append(items, it), append(itemNS, ns), append(itemLine, line)
					}
				case hasAny(obj, summaryKeys):
					if summary != nil {
						errAt(line, "", fmt.Sprintf("a second export summary (the first is on line %d)", sumLine), "keep one export per file")
						break
					}
					summary, sumLine = obj, line
				case has(obj, "rule_id"):
					nRules++
					var kr kRule
					if err := json.Unmarshal(text, &kr); err != nil {
						errAt(line, "rule", "the rule's exceptions_list: "+jsonProblem(err, text), "")
						break
					}
					rules = append(rules, kr)
				case has(obj, "list_id") && has(obj, "type"):
					nLists++
					var kl kList
					if err := json.Unmarshal(text, &kl); err != nil {
						errAt(line, "list", jsonProblem(err, text), "")
						break
					}
					if kl.ListID == "" {
						errAt(line, "list", "no list_id", "")
						break
					}
					k := listKey{kl.ListID, namespaceOf(kl.NamespaceType)}
					if prev := byKey[k]; prev != nil {
						errAt(line, fmt.Sprintf("list %q", kl.ListID), "the list is in the export twice (also at "+prev.Source+")", "export it once")
						break
					}
					l := &List{ID: kl.ID, ListID: kl.ListID, Name: kl.Name, Description: kl.Description, Type: kl.Type,
						NamespaceType: k.namespace, Source: source(name, line)}
					byKey[k] = l
					lists = append(lists, l)
				}
			}
		}
		if rerr != nil {
			break
		}
	}

	// Items join their list by list_id and namespace.
	seen := map[listKey]map[string]int{}
	for i, it := range items {
		k := listKey{it.ListID, itemNS[i]}
		l := byKey[k]
		where := fmt.Sprintf("item %q", it.ItemID)
		if l == nil {
			errAt(itemLine[i], where, fmt.Sprintf("the item belongs to list %q (namespace %s), which is not in the export", it.ListID, k.namespace),
				"export the whole list, or the rule with its exceptions")
			continue
		}
		if seen[k] == nil {
			seen[k] = map[string]int{}
		}
		if it.ItemID != "" {
			if prev, dup := seen[k][it.ItemID]; dup {
				errAt(itemLine[i], where, fmt.Sprintf("the item is in the export twice (also on line %d)", prev), "keep one copy")
				continue
			}
			seen[k][it.ItemID] = itemLine[i]
		}
		l.Items = append(l.Items, it)
	}
	for _, kr := range rules {
		for _, ref := range kr.ExceptionsList {
			if l := byKey[listKey{ref.ListID, namespaceOf(ref.NamespaceType)}]; l != nil && kr.RuleID != "" && !slices.Contains(l.Rules, kr.RuleID) {
				l.Rules = append(l.Rules, kr.RuleID)
			}
		}
	}
	if summary != nil {
		check := func(key, what string, read int) {
			raw, ok := summary[key]
			if !ok {
				return
			}
			n, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
			if err != nil {
				errAt(sumLine, "export summary", fmt.Sprintf("%s is %s, not a count", key, raw), "")
				return
			}
			if n != read {
				errAt(sumLine, "export summary", fmt.Sprintf("the summary says %d %s but %d were read", n, what, read),
					"the export is truncated or was edited: export it again")
			}
		}
		check("exported_exception_list_count", "exception lists", nLists)
		check("exported_exception_list_item_count", "exception list items", nItems)
		check("exported_rules_count", "rules", nRules)
	}
	if err := errs.sorted(); err != nil {
		return nil, err
	}
	return lists, nil
}

// kibanaItem decodes and checks an item line. It returns the item (nil if
// it has problems), its namespace, and the problems.
func kibanaItem(text []byte, obj map[string]json.RawMessage, name string, line int) (*Item, string, Errors) {
	var errs Errors
	errAt := func(where, msg, hint string) {
		errs = append(errs, &Error{File: name, Line: line, Where: where, Msg: msg, Hint: hint})
	}
	var ki kItem
	if err := json.Unmarshal(text, &ki); err != nil {
		where := "item"
		var id string
		if json.Unmarshal(obj["item_id"], &id) == nil && id != "" {
			where = fmt.Sprintf("item %q", id)
		}
		errAt(where, jsonProblem(err, text), "")
		return nil, "", errs
	}
	where := fmt.Sprintf("item %q", ki.ItemID)
	src := source(name, line)
	it := &Item{ItemID: ki.ItemID, ListID: ki.ListID, Name: ki.Name, Description: ki.Description,
		OSTypes: ki.OSTypes, Tags: ki.Tags, Source: src}
	for _, c := range ki.Comments {
		it.Comments = append(it.Comments, c.Comment)
	}
	if ki.ItemID == "" {
		errAt("item", "no item_id", "")
	}
	if ki.ListID == "" {
		errAt(where, "no list_id", "an item names the list it belongs to")
	}
	if ki.Type != "" && ki.Type != "simple" {
		errAt(where, fmt.Sprintf("item type %q", ki.Type), "Kibana's exception items are of type simple")
	}
	if ki.ExpireTime != "" {
		t, err := time.Parse(time.RFC3339Nano, ki.ExpireTime)
		if err != nil {
			errAt(where, fmt.Sprintf("expire_time %q is not an RFC 3339 date", ki.ExpireTime), "write it as 2025-12-31T23:59:59Z")
		}
		it.ExpireTime = t
	}
	for _, os := range ki.OSTypes {
		if msg, hint := checkOSType(os); msg != "" {
			errAt(where, msg, hint)
		}
	}
	if len(ki.Entries) == 0 {
		errAt(where, "the item has no entries", "an item needs at least one condition")
	}
	for i, ke := range ki.Entries {
		e, probs := kibanaEntry(ke, src)
		it.Entries = append(it.Entries, e)
		if len(probs) == 0 {
			probs = checkEntry(&e, false)
		}
		for _, p := range probs {
			errAt(fmt.Sprintf("%s entry %d%s", where, i+1, p.path), p.msg, p.hint)
		}
	}
	if len(errs) > 0 {
		return nil, "", errs
	}
	return it, namespaceOf(ki.NamespaceType), nil
}

// kibanaEntry converts an exported entry; problems are value shapes that do
// not fit the entry's type.
func kibanaEntry(ke kEntry, src string) (Entry, []problem) {
	e := Entry{Field: ke.Field, Type: ke.Type, Operator: ke.Operator, Source: src}
	var probs []problem
	if ke.List != nil {
		e.List = &ListRef{ID: ke.List.ID, Type: ke.List.Type}
	}
	if v := bytes.TrimSpace(ke.Value); len(v) > 0 && !bytes.Equal(v, []byte("null")) {
		switch ke.Type {
		case TypeMatchAny:
			if err := json.Unmarshal(v, &e.Values); err != nil {
				probs = append(probs, problem{msg: "the value of a match_any entry must be an array of strings, not " + rawExcerpt(v)})
			}
		default:
			if err := json.Unmarshal(v, &e.Value); err != nil {
				probs = append(probs, problem{msg: fmt.Sprintf("the value of a %s entry must be a string, not %s", ke.Type, rawExcerpt(v))})
			}
		}
	}
	for i, ks := range ke.Entries {
		sub, sp := kibanaEntry(ks, src)
		for _, p := range sp {
			p.path = "." + strconv.Itoa(i+1) + p.path
			probs = append(probs, p)
		}
		e.Entries = append(e.Entries, sub)
	}
	return e, probs
}

func has(obj map[string]json.RawMessage, key string) bool {
	_, ok := obj[key]
	return ok
}

func hasAny(obj map[string]json.RawMessage, keys []string) bool {
	for _, k := range keys {
		if has(obj, k) {
			return true
		}
	}
	return false
}

// jsonProblem describes a JSON decoding error in user terms.
func jsonProblem(err error, text []byte) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return "null"
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v (line starts %s)", se.Offset, se, excerpt(string(text)))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return fmt.Sprintf("a JSON %s, not an object", te.Value)
		}
		return fmt.Sprintf("%s is a JSON %s, but must be %s", field, te.Value, goTypeName(te.Type.String()))
	}
	return err.Error()
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "map[") || strings.Contains(t, "struct") || strings.HasPrefix(t, "exception."):
		return "an object"
	}
	return t
}

// rawExcerpt shows a JSON value as written, shortened.
func rawExcerpt(v []byte) string {
	const max = 60
	if r := []rune(string(v)); len(r) > max {
		return string(r[:max]) + "..."
	}
	return string(v)
}

// excerpt shortens s for a message.
func excerpt(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		return strconv.Quote(string(r[:max]) + "...")
	}
	return strconv.Quote(s)
}
