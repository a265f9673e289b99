package ruleset

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/exception"
	"github.com/vigil-project/vigil/internal/rule"
)

// Exceptions are the exception lists and value lists a run was given
// (--exceptions FILE, --value-list ID=FILE).
type Exceptions struct {
	Lists      []*exception.List
	ValueLists map[string]*exception.ValueList
}

// LoadExceptions reads exception files (Vigil's TOML form or Kibana's
// NDJSON export) and the value lists they use, given as "ID=FILE".
func LoadExceptions(files, valueLists []string) (*Exceptions, error) {
	ex := &Exceptions{ValueLists: map[string]*exception.ValueList{}}
	for _, f := range files {
		lists, err := exception.Load(f)
		if err != nil {
			return nil, err
		}
		ex.Lists = append(ex.Lists, lists...)
	}
	types, err := exception.ValueListTypes(ex.Lists)
	if err != nil {
		return nil, err
	}
	for _, spec := range valueLists {
		id, path, ok := strings.Cut(spec, "=")
		if !ok || id == "" || path == "" {
			return nil, fmt.Errorf("value list %q: write ID=FILE, e.g. --value-list trusted-ips=ips.txt", spec)
		}
		typ := types[id]
		if typ == "" {
			typ = "keyword"
		}
		vl, err := exception.LoadValueList(id, typ, path)
		if err != nil {
			return nil, err
		}
		ex.ValueLists[id] = vl
	}
	return ex, nil
}

// Apply attaches to each engine rule the exceptions that apply to it: the
// lists its exceptions_list names and the lists that name the rule. The
// exceptions' fields are registered in plan, so it must run before events
// are created.
func (ex *Exceptions) Apply(set *rule.Set, rules []*engine.Rule, plan *event.Plan, now func() time.Time) error {
	if ex == nil || len(ex.Lists) == 0 {
		return nil
	}
	byID := map[string]*rule.Rule{}
	for _, r := range set.Rules {
		byID[r.RuleID] = r
	}
	for _, er := range rules {
		r := byID[er.ID]
		var listIDs []string
		if r != nil {
			for _, ref := range r.ExceptionsList {
				listIDs = append(listIDs, ref.ListID)
			}
		}
		lists := exception.Select(ex.Lists, er.ID, listIDs)
		if len(lists) == 0 {
			continue
		}
		f, err := exception.Compile(lists, exception.CompileOptions{Plan: plan, Now: now, ValueLists: ex.ValueLists})
		if err != nil {
			return fmt.Errorf("exceptions of rule %q: %w", er.Alert.Name, err)
		}
		er.Exclude = func(ev *event.Event) (bool, string) {
			excluded, item := f.Excludes(ev)
			if !excluded {
				return false, ""
			}
			name := item.Name
			if name == "" {
				name = item.ItemID
			}
			return true, name
		}
	}
	return nil
}
