// Package ruletest runs rule tests: a TOML file beside a rule
// (name.test.toml next to name.toml) holds cases, each with sample events
// (inline JSON, TOML tables or files; raw Azure records or ECS) and the
// alerts the rule must raise on them, or none. `vigil test` runs them and
// reports like `go test`.
//
// The format:
//
//	rule = "name.toml"            # optional: the rule file, relative to the test file
//	now = "2026-03-14T10:00:00Z"  # optional: the clock of the run (alert @timestamp)
//
//	[[case]]
//	name = "successful Run Command alerts"
//	events = ['''{"records":[{...raw Azure record...}]}''']   # inline JSON documents
//	files = ["testdata/run_command.json"]                     # files, relative to the test file
//	index = "logs-azure.activitylogs-default"                 # optional: index of every event
//	replay = false                                            # simulate Kibana's schedule
//	alerts = 1                                                # expected number of alerts
//	[[case.event]]                                            # events written as TOML tables
//	"@timestamp" = "2026-03-14T09:00:00Z"
//	event.action = "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"
//	[[case.alert]]                                            # fields the i-th alert must have
//	"user.name" = "mallory"
//	"kibana.alert.severity" = "medium"
package ruletest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/exception"
	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
)

// File is one test file.
type File struct {
	Rule       string   `toml:"rule"`
	Now        string   `toml:"now"`
	Exceptions []string `toml:"exceptions"`  // exception files, relative to the test file
	ValueLists []string `toml:"value_lists"` // "ID=FILE", relative to the test file
	Cases      []Case   `toml:"case"`

	path string
}

// loadExceptions reads exception files and value lists from fsys.
func loadExceptions(fsys fs.FS, dir string, files, valueLists []string) (*ruleset.Exceptions, error) {
	ex := &ruleset.Exceptions{ValueLists: map[string]*exception.ValueList{}}
	for _, name := range files {
		full := path.Join(dir, name)
		data, err := fs.ReadFile(fsys, full)
		if err != nil {
			return nil, err
		}
		var lists []*exception.List
		if strings.HasSuffix(name, ".toml") {
			lists, err = exception.ParseTOML(full, data)
		} else {
			lists, err = exception.ParseKibana(bytes.NewReader(data), full)
		}
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
		id, name, ok := strings.Cut(spec, "=")
		if !ok {
			return nil, fmt.Errorf("value list %q: write ID=FILE", spec)
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		typ := types[id]
		if typ == "" {
			typ = "keyword"
		}
		vl, err := exception.NewValueList(id, typ, strings.Split(string(data), "\n"))
		if err != nil {
			return nil, err
		}
		ex.ValueLists[id] = vl
	}
	return ex, nil
}

// Case is one test case.
type Case struct {
	Name   string           `toml:"name"`
	Events []string         `toml:"events"`
	Tables []map[string]any `toml:"event"`
	Files  []string         `toml:"files"`
	Index  string           `toml:"index"`
	Replay bool             `toml:"replay"`
	Alerts *int             `toml:"alerts"`
	Expect []map[string]any `toml:"alert"`
}

// Result is the outcome of one case.
type Result struct {
	File, Case string
	Pass       bool
	Failures   []string // what differed, one line each
	Alerts     int
	Elapsed    time.Duration
}

// Find lists the test files (*.test.toml) under roots in fsys, sorted.
func Find(fsys fs.FS, roots ...string) ([]string, error) {
	var out []string
	for _, root := range roots {
		st, err := fs.Stat(fsys, root)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, root)
			continue
		}
		err = fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".test.toml") {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// Run runs the cases of the test file p in fsys. The error is for a test
// file or rule that cannot be used at all; failing cases are Results.
func Run(fsys fs.FS, p string) ([]Result, error) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	f := &File{path: p}
	md, err := toml.Decode(string(data), f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d:%d: %s", p, pe.Position.Line, pe.Position.Col, pe.Message)
		}
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		var keys []string
		var first toml.Key
		for _, k := range und {
			if len(k) >= 2 && k[0] == "case" && (k[1] == "event" || k[1] == "alert") {
				continue // free-form event and alert tables
			}
			if first == nil {
				first = k
			}
			keys = append(keys, k.String())
		}
		if len(keys) > 0 {
			noun := "unknown key"
			if len(keys) > 1 {
				noun = "unknown keys"
			}
			return nil, fmt.Errorf("%s: %s %s: a test file has rule, now, exceptions, value_lists and [[case]] tables with name, events, event, files, index, replay, alerts and alert",
				keyAt(p, data, first[len(first)-1]), noun, strings.Join(keys, ", "))
		}
	}
	if len(f.Cases) == 0 {
		return nil, fmt.Errorf("%s:1:1: no [[case]]: add at least one case with events and the alerts expected", p)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if f.Now != "" {
		if now, err = time.Parse(time.RFC3339Nano, f.Now); err != nil {
			return nil, fmt.Errorf("%s: now = %q is not an RFC 3339 time", keyAt(p, data, "now"), f.Now)
		}
	}
	rulePath := f.Rule
	if rulePath == "" {
		rulePath = strings.TrimSuffix(path.Base(p), ".test.toml") + ".toml"
	}
	rulePath = path.Join(path.Dir(p), rulePath)
	ruleData, err := fs.ReadFile(fsys, rulePath)
	if err != nil {
		return nil, fmt.Errorf("%s: the rule under test: %w (set rule = \"file.toml\" in the test file)", p, err)
	}
	plan := event.NewPlan()
	clock := func() time.Time { return now }
	r := rule.Parse(rulePath, ruleData, rule.LoadOptions{Plan: plan, Now: clock, RunESQL: true})
	switch r.Status {
	case rule.StatusError:
		var lines []string
		for _, e := range r.Errors {
			lines = append(lines, e.Error())
		}
		return nil, fmt.Errorf("%s: the rule has errors:\n\t%s", p, strings.Join(lines, "\n\t"))
	case rule.StatusUnsupported:
		return nil, fmt.Errorf("%s: the rule cannot run in Vigil: %s", p, r.Reason)
	}
	er := ruleset.EngineRule(r)
	if len(f.Exceptions) > 0 {
		ex, err := loadExceptions(fsys, path.Dir(p), f.Exceptions, f.ValueLists)
		if err == nil {
			err = ex.Apply(&rule.Set{Rules: []*rule.Rule{r}}, []*engine.Rule{er}, plan, clock)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: exceptions: %w", p, err)
		}
	}
	eng := engine.New(engine.Options{Rules: []*engine.Rule{er}, Plan: plan})
	var results []Result
	for i, c := range f.Cases {
		start := time.Now()
		res := Result{File: p, Case: c.Name}
		if res.Case == "" {
			res.Case = fmt.Sprintf("case %d", i+1)
		}
		res.Failures = runCase(fsys, p, c, eng, clock, &res)
		res.Pass = len(res.Failures) == 0
		res.Elapsed = time.Since(start)
		results = append(results, res)
	}
	return results, nil
}

func runCase(fsys fs.FS, p string, c Case, eng *engine.Engine, now func() time.Time, res *Result) []string {
	var fails []string
	var docs [][]byte
	for _, e := range c.Events {
		docs = append(docs, []byte(e))
	}
	for _, t := range c.Tables {
		b, err := json.Marshal(t)
		if err != nil {
			return []string{fmt.Sprintf("event table: %v", err)}
		}
		docs = append(docs, b)
	}
	for _, name := range c.Files {
		b, err := fs.ReadFile(fsys, path.Join(path.Dir(p), name))
		if err != nil {
			return []string{fmt.Sprintf("events file: %v", err)}
		}
		docs = append(docs, b)
	}
	if len(docs) == 0 {
		return []string{"the case has no events: add events, [[case.event]] tables or files"}
	}
	var got []engine.Alert
	h := engine.NewHunt(engine.HuntOptions{Engine: eng, Index: c.Index, Replay: c.Replay, Now: now,
		Emit: func(a engine.Alert) error { got = append(got, a); return nil }})
	ev := event.New(nil, eng.Plan())
	for i, d := range docs {
		rd := input.NewReader(bytes.NewReader(d), fmt.Sprintf("event %d", i+1))
		for {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fails = append(fails, fmt.Sprintf("bad event: %v", err))
				var de *input.DecodeError
				if errors.As(err, &de) {
					continue
				}
				break
			}
			norm, _, err := normalize.Normalize(rec.Data, normalize.Auto, normalize.Options{})
			if err != nil {
				fails = append(fails, fmt.Sprintf("%s: %v", rec.Location(), err))
				continue
			}
			ev.Reset(norm)
			if err := h.Event(ev); err != nil {
				fails = append(fails, fmt.Sprintf("%s: %v", rec.Location(), err))
			}
		}
	}
	if _, err := h.Finish(); err != nil {
		fails = append(fails, err.Error())
	}
	res.Alerts = len(got)
	want := len(c.Expect)
	if c.Alerts != nil {
		want = *c.Alerts
	}
	if c.Alerts == nil && len(c.Expect) == 0 {
		fails = append(fails, "the case expects nothing: set alerts = N (0 for none) or add [[case.alert]] tables")
	}
	if len(got) != want {
		fails = append(fails, fmt.Sprintf("alerts: got %d, want %d", len(got), want))
		for _, a := range got {
			fails = append(fails, "  got: "+summary(a))
		}
	}
	for i, exp := range c.Expect {
		if i >= len(got) {
			break
		}
		keys := make([]string, 0, len(exp))
		for k := range exp {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			have, ok := alert.Lookup(got[i].Doc, k)
			if !ok {
				fails = append(fails, fmt.Sprintf("alert %d: %s: missing, want %s", i+1, k, show(exp[k])))
				continue
			}
			if !same(have, exp[k]) {
				fails = append(fails, fmt.Sprintf("alert %d: %s: got %s, want %s", i+1, k, show(have), show(exp[k])))
			}
		}
	}
	return fails
}

func summary(a engine.Alert) string {
	r, _ := a.Doc["kibana.alert.reason"].(string)
	return r
}

// same compares an alert value with an expected TOML value: numbers by
// value, arrays element-wise, and a scalar expectation against an array
// when the array holds exactly that one value.
func same(have, want any) bool {
	hj, _ := json.Marshal(normalizeValue(have))
	wj, _ := json.Marshal(normalizeValue(want))
	if bytes.Equal(hj, wj) {
		return true
	}
	if arr, ok := have.([]any); ok && len(arr) == 1 {
		return same(arr[0], want)
	}
	return false
}

func normalizeValue(v any) any {
	switch t := v.(type) {
	case int64:
		return float64(t)
	case int:
		return float64(t)
	case json.Number:
		f, _ := t.Float64()
		return f
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalizeValue(x)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = x
		}
		return out
	case time.Time:
		return t.UTC().Format(time.RFC3339Nano)
	}
	return v
}

func show(v any) string {
	b, err := json.Marshal(normalizeValue(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// keyAt renders the place of the first line of data that sets key (key =
// ..., or a [key] / [[key]] table), as file:line:col; file:1:1 if none
// does.
func keyAt(p string, data []byte, key string) string {
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimLeft(line, " \t")
		col := len(line) - len(t) + 1
		name := strings.Trim(t, "[]")
		if j := strings.IndexByte(t, '='); j > 0 && !strings.HasPrefix(t, "[") {
			name = strings.TrimSpace(t[:j])
		} else if !strings.HasPrefix(t, "[") {
			continue
		}
		if name == key || strings.HasSuffix(name, "."+key) || strings.Trim(name, `"`) == key {
			return fmt.Sprintf("%s:%d:%d", p, i+1, col)
		}
	}
	return p + ":1:1"
}
