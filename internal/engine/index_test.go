package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
)

func TestIndexSelector(t *testing.T) {
	tests := []struct {
		patterns []string
		index    string
		want     bool
	}{
		{[]string{"filebeat-*", "logs-azure*"}, "logs-azure.activitylogs-default", true},
		{[]string{"filebeat-*", "logs-azure*"}, "filebeat-8.11.0", true},
		{[]string{"filebeat-*", "logs-azure*"}, "logs-aws.cloudtrail-default", false},
		{[]string{"logs-*", "-logs-aws*"}, "logs-aws.cloudtrail-default", false},
		{[]string{"logs-*", "-logs-aws*"}, "logs-azure.activitylogs-default", true},
		// An exclusion removes only what earlier patterns included.
		{[]string{"-logs-aws*", "logs-*"}, "logs-aws.cloudtrail-default", true},
		{[]string{"logs-*-default"}, "logs-azure.activitylogs-default", true},
		{[]string{"logs-*-default"}, "logs-azure.activitylogs-prod", false},
		{[]string{"*"}, "anything", true},
		{[]string{"exact"}, "exact", true},
		{[]string{"exact"}, "exactly", false},
		{[]string{"a*b*a"}, "aba", true},
		{[]string{"a*b*a"}, "ab", false},
		{nil, "logs-x", false},
		{DefaultIndexPatterns, "logs-azure.activitylogs-default", true},
		{DefaultIndexPatterns, "logs-elastic-cloud-logs-default", false},
		{DefaultIndexPatterns, "my-index", false},
	}
	for _, tt := range tests {
		if got := NewIndexSelector(tt.patterns).Match(tt.index); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.patterns, tt.index, got, tt.want)
		}
	}
}

// A key index rules values out by length and first byte only when no key
// could equal them.
func TestKeyIndexMaybe(t *testing.T) {
	var k keyIndex
	for _, key := range []string{"cmd.exe", "", "powershell.exe", string(make([]byte, 80))} {
		k.add(key)
	}
	for s, want := range map[string]bool{
		"cmd.exe": true, "cmd.exf": true, "": true, "powershell.exe": true, string(make([]byte, 70)): true,
		"bash": false, "cmd.ex": false, "xmd.exe": false, "Cmd.exe": false,
	} {
		if got := k.maybe(s); got != want {
			t.Errorf("maybe(%q) = %v, want %v", s, got, want)
		}
	}
}

// Events naming ever new indices keep the engine's caches bounded, and
// still meet the rules their index selects.
func TestManyIndicesBounded(t *testing.T) {
	plan := event.NewPlan()
	r := testRule(plan, "r", "event.action", "RUN", []string{"logs-*"})
	e := New(Options{Rules: []*Rule{r}, Plan: plan})
	for i := range maxNames + 10 {
		doc := fmt.Sprintf(`{"data_stream":{"type":"logs","dataset":"d","namespace":"n%d"},"event":{"action":"RUN"}}`, i)
		ev := event.New([]byte(doc), plan)
		idx := e.ResolveIndex(ev)
		if want := fmt.Sprintf("logs-d-n%d", i); idx != want {
			t.Fatalf("index %q, want %q", idx, want)
		}
		if ids := evalIDs(e, doc, idx); len(ids) != 1 {
			t.Fatalf("%s: %v", idx, ids)
		}
	}
	if n, m := len(*e.names.Load()), len(*e.byIndex.Load()); n > maxNames || m > maxNames {
		t.Errorf("%d names and %d candidate sets kept, want at most %d", n, m, maxNames)
	}
}

// A case-insensitive requirement (EQL's `:`) keys its rule by folded
// values: the event's value is folded before the lookup, and the same
// field's exact requirements stay apart.
func TestEvalFoldedRequirements(t *testing.T) {
	plan := event.NewPlan()
	id := plan.Add("process.name")
	anyCase := func(want string) func(*event.Event) bool {
		return func(ev *event.Event) bool {
			for _, v := range ev.Values(id) {
				if strings.EqualFold(v.String(), want) {
					return true
				}
			}
			return false
		}
	}
	folded := &Rule{ID: "folded", Match: anyCase("cmd.exe"),
		Required: []Requirement{{Field: "process.name", Values: []string{"cmd.exe", "écho.exe"}, Fold: true}}}
	exact := testRule(plan, "exact", "process.name", "CMD.EXE", nil)
	e := New(Options{Rules: []*Rule{folded, exact}, Plan: plan})
	for doc, want := range map[string]string{
		`{"process":{"name":"CMD.EXE"}}`:       "[folded exact]",
		`{"process":{"name":"Cmd.Exe"}}`:       "[folded]",
		`{"process":{"name":"cmd.exe"}}`:       "[folded]",
		`{"process":{"name":"bash"}}`:          "[]",
		`{"process":{"name":["x","CMD.exe"]}}`: "[folded]",
	} {
		if got := fmt.Sprint(evalIDs(e, doc, "")); got != want {
			t.Errorf("%s: rules = %s, want %s", doc, got, want)
		}
	}
	// A non-ASCII value is folded the same way as the rule's values.
	var seen []string
	rule := &Rule{ID: "u", Match: func(*event.Event) bool { return true },
		Required: []Requirement{{Field: "process.name", Values: []string{"écho.exe"}, Fold: true}}}
	e = New(Options{Rules: []*Rule{rule}, Plan: plan})
	e.Eval(event.New([]byte(`{"process":{"name":"ÉCHO.EXE"}}`), plan), "", func(r *Rule) { seen = append(seen, r.ID) })
	if fmt.Sprint(seen) != "[u]" {
		t.Errorf("ÉCHO.EXE: rules = %v, want [u]", seen)
	}
}

// A disjunctive requirement keys its rule under each alternative; an event
// meeting several still evaluates the rule once.
func TestEvalDisjunctiveRequirements(t *testing.T) {
	plan := event.NewPlan()
	calls := 0
	r := &Rule{ID: "or", Match: func(*event.Event) bool { calls++; return true },
		Required: []Requirement{{Any: []Requirement{
			{Field: "process.name", Values: []string{"msdt.exe"}, Fold: true},
			{Field: "process.pe.original_file_name", Values: []string{"msdt.exe"}},
		}}}}
	other := testRule(plan, "other", "process.name", "x", nil)
	e := New(Options{Rules: []*Rule{r, other}, Plan: plan})
	for doc, want := range map[string]string{
		`{"process":{"name":"MSDT.EXE"}}`:                                        "[or]",
		`{"process":{"pe":{"original_file_name":"msdt.exe"}}}`:                   "[or]",
		`{"process":{"name":"msdt.exe","pe":{"original_file_name":"msdt.exe"}}}`: "[or]",
		`{"process":{"name":"x","pe":{"original_file_name":"MSDT.EXE"}}}`:        "[other]",
		`{"process":{"name":"cmd.exe","pe":{"original_file_name":"cmd.exe"}}}`:   "[]",
	} {
		calls = 0
		if got := fmt.Sprint(evalIDs(e, doc, "")); got != want {
			t.Errorf("%s: rules = %s, want %s", doc, got, want)
		}
		if calls > 1 {
			t.Errorf("%s: the rule was evaluated %d times", doc, calls)
		}
	}
}

// TestEvalEvaluatesEachRuleOnce: a rule keyed under several values (or
// alternatives) an event carries is evaluated once, whether it matches or
// not, and the matches come in rule order.
func TestEvalEvaluatesEachRuleOnce(t *testing.T) {
	plan := event.NewPlan()
	calls := map[string]int{}
	counted := func(id string, match bool) func(*event.Event) bool {
		return func(*event.Event) bool { calls[id]++; return match }
	}
	args := Requirement{Field: "process.args", Values: []string{"-a", "-b", "-c"}}
	either := Requirement{Any: []Requirement{{Field: "process.name", Values: []string{"x.exe"}}, {Field: "process.args", Values: []string{"-a"}}}}
	rules := []*Rule{
		{ID: "args-miss", Match: counted("args-miss", false), Required: []Requirement{args}},
		{ID: "either-hit", Match: counted("either-hit", true), Required: []Requirement{either}},
		{ID: "args-hit", Match: counted("args-hit", true), Required: []Requirement{args}},
		{ID: "either-miss", Match: counted("either-miss", false), Required: []Requirement{either}},
	}
	e := New(Options{Rules: rules, Plan: plan})
	doc := `{"process":{"name":"x.exe","args":["-a","-b","-c"]}}`
	if got, want := fmt.Sprint(evalIDs(e, doc, "logs-endpoint.events.process-default")), "[either-hit args-hit]"; got != want {
		t.Errorf("rules = %s, want %s", got, want)
	}
	for _, r := range rules {
		if calls[r.ID] != 1 {
			t.Errorf("%s evaluated %d times, want once", r.ID, calls[r.ID])
		}
	}
}

// TestEvalParts: a rule with parts (an eql sequence's steps) is keyed per
// part on the part's own requirements: only the parts whose keys an event
// carries are evaluated, the rule is added once however many match, and
// without the rule index its whole Match decides.
func TestEvalParts(t *testing.T) {
	plan := event.NewPlan()
	calls := map[string]int{}
	part := func(name, field, value string) Part {
		eq := fieldEquals(plan, field, value)
		return Part{
			Match:    func(ev *event.Event) bool { calls[name]++; return eq(ev) },
			Required: []Requirement{{Field: field, Values: []string{value}}},
		}
	}
	for _, noIndex := range []bool{false, true} {
		clear(calls)
		seq := &Rule{ID: "seq", Parts: []Part{part("proc", "process.name", "wmic.exe"), part("lib", "dll.name", "jscript.dll")}}
		seq.Match = func(ev *event.Event) bool { return seq.Parts[0].Match(ev) || seq.Parts[1].Match(ev) }
		seq.Required = []Requirement{{Any: []Requirement{{Field: "process.name", Values: []string{"wmic.exe"}}, {Field: "dll.name", Values: []string{"jscript.dll"}}}}}
		plain := testRule(plan, "plain", "process.name", "wmic.exe", nil)
		e := New(Options{Rules: []*Rule{plain, seq}, Plan: plan, NoRuleIndex: noIndex})
		const index = "logs-endpoint.events.process-default"
		if got := fmt.Sprint(evalIDs(e, `{"host":{"os":{"type":"windows"}},"dll":{"name":"jscript.dll"}}`, index)); got != "[seq]" {
			t.Errorf("noIndex %v: library event: rules %s, want [seq]", noIndex, got)
		}
		if !noIndex && (calls["proc"] != 0 || calls["lib"] != 1) {
			t.Errorf("library event: parts evaluated %v, want lib once", calls)
		}
		if got := fmt.Sprint(evalIDs(e, `{"host":{"os":{"type":"windows"}},"process":{"name":"wmic.exe"},"dll":{"name":"jscript.dll"}}`, index)); got != "[plain seq]" {
			t.Errorf("noIndex %v: both parts: rules %s, want [plain seq]", noIndex, got)
		}
		if got := fmt.Sprint(evalIDs(e, `{"host":{"os":{"type":"windows"}},"process":{"name":"cmd.exe"}}`, index)); got != "[]" {
			t.Errorf("noIndex %v: neither part: rules %s, want none", noIndex, got)
		}
	}
}

// TestEvalPresenceKeys: a rule whose only requirements say that a field
// has a value (a numeric comparison, a regular expression) is evaluated
// only on the events that have one; a rule with values is keyed on them
// even when it also needs a value of another field; a disjunction mixing
// values and presence is keyed on both; the verdicts are those of
// evaluating every rule, and a crowded presence key is split by the
// rules' other requirements.
func TestEvalPresenceKeys(t *testing.T) {
	plan := event.NewPlan()
	calls := map[string]int{}
	has := func(field string) func(*event.Event) bool {
		id := plan.Add(field)
		return func(ev *event.Event) bool { return ev.Has(id) }
	}
	rule := func(id string, match func(*event.Event) bool, reqs ...Requirement) *Rule {
		return &Rule{ID: id, Match: func(ev *event.Event) bool { calls[id]++; return match(ev) }, Required: reqs}
	}
	and := func(a, b func(*event.Event) bool) func(*event.Event) bool {
		return func(ev *event.Event) bool { return a(ev) && b(ev) }
	}
	or := func(a, b func(*event.Event) bool) func(*event.Event) bool {
		return func(ev *event.Event) bool { return a(ev) || b(ev) }
	}
	rules := []*Rule{
		rule("ml", has("ml.prediction"), Requirement{Field: "ml.prediction", Exists: true}),
		rule("ua", has("user_agent.original"), Requirement{Field: "user_agent.original", Exists: true}),
		rule("name-and-ml", and(fieldEquals(plan, "process.name", "x"), has("ml.prediction")),
			Requirement{Field: "ml.prediction", Exists: true}, Requirement{Field: "process.name", Values: []string{"x"}}),
		rule("name-or-ua", or(fieldEquals(plan, "process.name", "y"), has("user_agent.original")),
			Requirement{Any: []Requirement{{Field: "process.name", Values: []string{"y"}}, {Field: "user_agent.original", Exists: true}}}),
	}
	for i := range 5 { // a crowded presence key, split by dataset
		ds := fmt.Sprintf("d%d", i)
		rules = append(rules, rule("crowd-"+ds, and(has("ml.score"), fieldEquals(plan, "event.dataset", ds)),
			Requirement{Field: "ml.score", Exists: true}, Requirement{Field: "event.dataset", Values: []string{ds}}))
	}
	e := New(Options{Rules: rules, Plan: plan})
	c := e.candidatesFor("")
	if len(c.always) != 0 {
		t.Errorf("%d rules evaluated on every event, want none", len(c.always))
	}
	for doc, evaluated := range map[string]string{
		`{"process":{"name":"z"}}`:                            "[]",
		`{"ml":{"prediction":1}}`:                             "[ml]",
		`{"ml":{"prediction":0},"process":{"name":"x"}}`:      "[ml name-and-ml]",
		`{"user_agent":{"original":"curl"}}`:                  "[name-or-ua ua]",
		`{"process":{"name":"y"}}`:                            "[name-or-ua]",
		`{"ml":{"score":3},"event":{"dataset":"d2"}}`:         "[crowd-d2]",
		`{"ml":{"score":3},"event":{"dataset":"other"}}`:      "[]",
		`{"ml.prediction":null,"user_agent":{"original":[]}}`: "[]",
	} {
		checkEvaluated(t, e, rules, calls, doc, evaluated)
	}
}

// TestEvalPrefixKeys: a rule whose wildcard patterns all have a literal
// head is keyed on the heads (folded for a case-insensitive pattern): it
// is evaluated only for a value starting with one of them, whatever
// their lengths; the verdicts are those of evaluating every rule.
func TestEvalPrefixKeys(t *testing.T) {
	plan := event.NewPlan()
	calls := map[string]int{}
	exe := plan.Add("process.executable")
	starts := func(fold bool, heads ...string) func(*event.Event) bool {
		return func(ev *event.Event) bool {
			for _, v := range ev.Values(exe) {
				s := v.String()
				if fold {
					s = strings.ToLower(s)
				}
				for _, h := range heads {
					if strings.HasPrefix(s, h) {
						return true
					}
				}
			}
			return false
		}
	}
	rule := func(id string, match func(*event.Event) bool, reqs ...Requirement) *Rule {
		return &Rule{ID: id, Match: func(ev *event.Event) bool { calls[id]++; return match(ev) }, Required: reqs}
	}
	rules := []*Rule{
		rule("users", starts(true, `c:\users\`), Requirement{Field: "process.executable", Values: []string{`c:\users\`}, Fold: true, Prefix: true}),
		rule("tmp-or-c", starts(true, `/tmp/`, `c:\`), Requirement{Field: "process.executable", Values: []string{`/tmp/`, `c:\`}, Fold: true, Prefix: true}),
		rule("Opt", starts(false, "/Opt/"), Requirement{Field: "process.executable", Values: []string{"/Opt/"}, Prefix: true}),
		rule("long", starts(true, strings.Repeat("a", 130)), Requirement{Field: "process.executable", Values: []string{strings.Repeat("a", 130)}, Fold: true, Prefix: true}),
		rule("accent", starts(true, "é:"), Requirement{Field: "process.executable", Values: []string{"é:"}, Fold: true, Prefix: true}),
	}
	e := New(Options{Rules: rules, Plan: plan})
	if c := e.candidatesFor(""); len(c.always) != 0 || len(c.prefixes) != 2 {
		t.Fatalf("%d rules always evaluated, %d prefix keys; want 0 and 2", len(c.always), len(c.prefixes))
	}
	for doc, evaluated := range map[string]string{
		`{"process":{"executable":"C:\\Users\\x\\a.exe"}}`:   "[tmp-or-c users]",
		`{"process":{"executable":"C:\\Windows\\a.exe"}}`:    "[tmp-or-c]",
		`{"process":{"executable":["/usr/bin/x","/tmp/y"]}}`: "[tmp-or-c]",
		`{"process":{"executable":"/opt/x"}}`:                "[]",
		`{"process":{"executable":"/Opt/x"}}`:                "[Opt]",
		`{"process":{"executable":"c:"}}`:                    "[]",
		// Folded heads: ASCII lowered in place, others folded whole.
		`{"process":{"executable":"C:\\USERS\\Ä\\a.exe"}}`:                    "[tmp-or-c users]",
		`{"process":{"executable":"É:\\x"}}`:                                  "[accent]",
		`{"process":{"executable":"` + strings.Repeat("A", 131) + `"}}`:       "[long]",
		`{"process":{"executable":"` + strings.Repeat("A", 129) + "É" + `"}}`: "[]",
		`{"process":{"name":"c:\\users\\x"}}`:                                 "[]",
	} {
		checkEvaluated(t, e, rules, calls, doc, evaluated)
	}
}

// A prefix's leading '?'s are any characters (match.PrefixHolds): the
// index looks up the heads past them, and evaluates a rule on exactly the
// values that hold its prefix.
func TestEvalSkippedPrefixKeys(t *testing.T) {
	plan := event.NewPlan()
	exe := plan.Add("process.executable")
	calls := map[string]int{}
	rule := func(id string, req Requirement) *Rule {
		holds := func(ev *event.Event) bool {
			for _, v := range ev.Values(exe) {
				s := v.String()
				if req.Fold {
					s = match.FoldCase(s)
				}
				if slices.ContainsFunc(req.Values, func(p string) bool { return match.PrefixHolds(s, p) }) {
					return true
				}
			}
			return false
		}
		return &Rule{ID: id, Match: func(ev *event.Event) bool { calls[id]++; return holds(ev) }, Required: []Requirement{req}}
	}
	rules := []*Rule{
		rule("users", Requirement{Field: "process.executable", Values: []string{`?:\users\`, `c:\temp\`}, Fold: true, Prefix: true}),
		rule("two", Requirement{Field: "process.executable", Values: []string{"??x/"}, Prefix: true}),
		rule("long", Requirement{Field: "process.executable", Values: []string{"?" + strings.Repeat("a", 130)}, Fold: true, Prefix: true}),
	}
	e := New(Options{Rules: rules, Plan: plan})
	for doc, evaluated := range map[string]string{
		`{"process":{"executable":"C:\\Users\\x\\a.exe"}}`:                     "[users]",
		`{"process":{"executable":"D:\\USERS\\x"}}`:                            "[users]",
		`{"process":{"executable":"É:\\Users\\x"}}`:                            "[users]",
		`{"process":{"executable":"ÉÉ:\\Users\\x"}}`:                           "[]",
		`{"process":{"executable":"c:\\temp\\x"}}`:                             "[users]",
		`{"process":{"executable":"CC:\\Users\\x"}}`:                           "[]",
		`{"process":{"executable":"C"}}`:                                       "[]",
		`{"process":{"executable":""}}`:                                        "[]",
		`{"process":{"executable":["/bin/x", "ab x/y"]}}`:                      "[]",
		`{"process":{"executable":["/bin/x", "abx/y"]}}`:                       "[two]",
		`{"process":{"executable":"éáx/y"}}`:                                   "[two]",
		`{"process":{"executable":"éáX/y"}}`:                                   "[]",
		`{"process":{"executable":"Z` + strings.Repeat("A", 131) + `"}}`:       "[long]",
		`{"process":{"executable":"É` + strings.Repeat("A", 131) + `"}}`:       "[long]",
		`{"process":{"executable":"Z` + strings.Repeat("A", 129) + "É" + `"}}`: "[]",
	} {
		checkEvaluated(t, e, rules, calls, doc, evaluated)
	}
}

// A prefix of '?'s alone keys its rule on values of that many characters
// or more.
func TestEvalEmptyPrefixKeys(t *testing.T) {
	plan := event.NewPlan()
	e := New(Options{Plan: plan, Rules: []*Rule{
		{ID: "one", Match: func(*event.Event) bool { return true }, Required: []Requirement{{Field: "a", Values: []string{"?"}, Prefix: true}}},
		{ID: "x", Match: func(*event.Event) bool { return true }, Required: []Requirement{{Field: "a", Values: []string{"?x"}, Prefix: true}}},
	}})
	for doc, want := range map[string]string{
		`{"a":""}`:   "[]",
		`{"a":"b"}`:  "[one]",
		`{"a":"bx"}`: "[one x]",
		`{"b":"bx"}`: "[]",
	} {
		if got := evalIDs(e, doc, ""); fmt.Sprint(got) != want {
			t.Errorf("%s: %v, want %s", doc, got, want)
		}
	}
}

// checkEvaluated checks that the engine's verdicts on doc are those of
// evaluating every rule, and that it evaluated the rules named in
// evaluated (as fmt prints a sorted list): calls counts the rules' Match
// calls.
func checkEvaluated(t *testing.T, e *Engine, rules []*Rule, calls map[string]int, doc, evaluated string) {
	t.Helper()
	var want []string
	ev := event.New([]byte(doc), e.Plan())
	for _, r := range rules {
		if r.Match(ev) {
			want = append(want, r.ID)
		}
	}
	clear(calls)
	if got := evalIDs(e, doc, ""); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: %v, want %v", doc, got, want)
	}
	var ids []string
	for id := range calls {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if fmt.Sprint(ids) != evaluated {
		t.Errorf("%s: evaluated %v, want %s", doc, ids, evaluated)
	}
}

// TestEvalKeysBeyondCommonFields checks that a rule whose only values are
// on fields most events carry (event.category, host.os.type) is keyed on
// its other conditions when they say more (a process name, a head of four
// bytes or more), and that a bucket under such a value is split however
// few its rules: neither is evaluated on every Windows process event.
func TestEvalKeysBeyondCommonFields(t *testing.T) {
	plan := event.NewPlan()
	calls := map[string]int{}
	has := func(field string, values ...string) func(*event.Event) bool {
		id := plan.Add(field)
		return func(ev *event.Event) bool {
			for _, v := range ev.Values(id) {
				for _, w := range values {
					if strings.HasPrefix(strings.ToLower(v.String()), w) {
						return true
					}
				}
			}
			return false
		}
	}
	all := func(fs ...func(*event.Event) bool) func(*event.Event) bool {
		return func(ev *event.Event) bool {
			for _, f := range fs {
				if !f(ev) {
					return false
				}
			}
			return true
		}
	}
	process := Requirement{Field: "event.category", Values: []string{"process"}}
	windows := Requirement{Field: "host.os.type", Values: []string{"windows"}}
	start := Requirement{Field: "event.type", Values: []string{"start"}}
	rule := func(id string, match func(*event.Event) bool, reqs ...Requirement) *Rule {
		return &Rule{ID: id, Match: func(ev *event.Event) bool { calls[id]++; return match(ev) }, Required: reqs}
	}
	common := all(has("event.category", "process"), has("host.os.type", "windows"))
	rules := []*Rule{
		// process.name or a long head of process.executable.
		rule("helpdesk", all(common, func(ev *event.Event) bool {
			return has("process.name", "cmd.exe")(ev) || has("process.executable", `c:\program files\helpdesk\`)(ev)
		}), process, windows, Requirement{Any: []Requirement{
			{Field: "process.name", Values: []string{"cmd.exe"}},
			{Field: "process.executable", Values: []string{`c:\program files\helpdesk\`}, Fold: true, Prefix: true}}}),
		// "c:\" says no more than host.os.type: split by event.type.
		rule("drive", all(common, has("event.type", "start"), has("process.executable", `c:\`)), process, windows, start,
			Requirement{Field: "process.executable", Values: []string{`c:\`}, Fold: true, Prefix: true}),
		// Nothing but common fields.
		rule("starts", all(common, has("event.type", "start")), process, windows, start),
	}
	for i := range 20 { // more distinct names than categories: process.name would be the first key
		name := fmt.Sprintf("p%d.exe", i)
		rules = append(rules, rule(name, has("process.name", name), Requirement{Field: "process.name", Values: []string{name}}))
	}
	e := New(Options{Rules: rules, Plan: plan})
	for doc, evaluated := range map[string]string{
		`{"event":{"category":"process","type":"end"},"host":{"os":{"type":"windows"}},"process":{"name":"a.exe","executable":"C:\\a.exe"}}`:                       "[]",
		`{"event":{"category":"process","type":"start"},"host":{"os":{"type":"windows"}},"process":{"name":"a.exe","executable":"C:\\a.exe"}}`:                     "[drive starts]",
		`{"event":{"category":"process","type":"start"},"host":{"os":{"type":"windows"}},"process":{"name":"cmd.exe","executable":"C:\\cmd.exe"}}`:                 "[drive helpdesk starts]",
		`{"event":{"category":"process","type":"end"},"host":{"os":{"type":"windows"}},"process":{"executable":"C:\\Program Files\\HelpDesk\\java.exe"}}`:          "[helpdesk]",
		`{"event":{"category":"process","type":"start"},"host":{"os":{"type":"linux"}},"process":{"name":"p3.exe","executable":"C:\\Program Files\\HelpDesk\\x"}}`: "[helpdesk p3.exe]",
	} {
		checkEvaluated(t, e, rules, calls, doc, evaluated)
	}
}

// TestLookupFolded compares a folded key index's lookups with folding each
// value whole (match.FoldCase), over ASCII, non-ASCII and long values.
func TestLookupFolded(t *testing.T) {
	keys := []string{"windows", "k", "straße", "i̇x", "ǆa", strings.Repeat("a", 130), "cmd.exe"}
	k := keyIndex{fold: true, rules: map[string]*bucket{}}
	for _, key := range keys {
		k.rules[key] = &bucket{}
		k.add(key)
	}
	for _, v := range []string{"", "Windows", "WINDOWS", "windows ", "Windows\u00e9", "K", "\u212a", "x", "STRASSE", "Straße",
		"İX", "İx", "ǅA", "ǄA", strings.Repeat("A", 130), strings.Repeat("A", 129), "CMD.EXE", "cmd.ex", "Cmd.exe"} {
		_, want := k.rules[match.FoldCase(v)]
		if got := k.lookupFolded(v) != nil; got != want {
			t.Errorf("lookupFolded(%q) found %v, want %v", v, got, want)
		}
	}
}

// TestEvalPartVerdicts checks what the walk tells of a rule's parts: a
// part it never reached is ruled out, a part it evaluated has its
// verdict, and a part it met after the rule matched (not evaluated) is
// unknown, so that a sequence's facts evaluate that step.
func TestEvalPartVerdicts(t *testing.T) {
	plan := event.NewPlan()
	part := func(field, value string) Part {
		return Part{Match: fieldEquals(plan, field, value), Required: []Requirement{{Field: field, Values: []string{value}}}}
	}
	seq := &Rule{ID: "seq", Parts: []Part{
		part("process.name", "wmic.exe"), part("dll.name", "jscript.dll"), part("file.name", "a.txt"), part("user.name", "bob"),
	}}
	seq.Match = func(ev *event.Event) bool {
		return slices.ContainsFunc(seq.Parts, func(p Part) bool { return p.Match(ev) })
	}
	e := New(Options{Rules: []*Rule{seq}, Plan: plan})
	const index = "logs-endpoint.events.process-default"
	verdicts := func(doc string) string {
		var out []string
		e.eval(event.New([]byte(doc), plan), index, func(r *Rule, at reached) {
			for i := range r.Parts {
				switch holds, known := at.verdict(i); {
				case !known:
					out = append(out, "?")
				case holds:
					out = append(out, "yes")
				default:
					out = append(out, "no")
				}
			}
		})
		return strings.Join(out, " ")
	}
	// process.name false, dll.name true, file.name unreached, user.name
	// reached after the rule matched or before it (the walk's order):
	// unknown, or evaluated false.
	got := verdicts(`{"process":{"name":"cmd.exe"},"dll":{"name":"jscript.dll"},"user":{"name":"eve"}}`)
	if got != "no yes no no" && got != "no yes no ?" {
		t.Errorf("verdicts %q, want process.name no, dll.name yes, file.name no (unreached), user.name no or unknown", got)
	}
	// Both dll.name and user.name hold: one is evaluated first and
	// matches, the other is unknown (never evaluated).
	got = verdicts(`{"dll":{"name":"jscript.dll"},"user":{"name":"bob"}}`)
	if got != "no yes no ?" && got != "no ? no yes" {
		t.Errorf("verdicts %q, want one of dll.name and user.name yes and the other unknown", got)
	}
}

// TestEvalFieldsBeyondPresentBits keys rules on fields whose ids are past
// the walk's bits of present fields (a plan of more than 4,096 paths):
// those are read, not taken for missing.
func TestEvalFieldsBeyondPresentBits(t *testing.T) {
	plan := event.NewPlan()
	for i := range 5000 {
		plan.Add(fmt.Sprintf("filler.f%d", i))
	}
	near := testRule(plan, "near", "filler.f10", "x", nil)
	far := testRule(plan, "far", "late.field", "x", nil)
	prefix := testRule(plan, "prefix", "late.path", "", nil)
	prefix.Match = func(ev *event.Event) bool { return len(ev.Get("late.path")) > 0 }
	prefix.Required = []Requirement{{Field: "late.path", Values: []string{`c:\temp\`}, Fold: true, Prefix: true}}
	has := testRule(plan, "has", "late.any", "", nil)
	has.Match = func(ev *event.Event) bool { return len(ev.Get("late.any")) > 0 }
	has.Required = []Requirement{{Field: "late.any", Exists: true}}
	e := New(Options{Rules: []*Rule{near, far, prefix, has}, Plan: plan})
	if id, _ := plan.Lookup("late.field"); id < 4096 {
		t.Fatalf("late.field has id %d: within the bits", id)
	}
	doc := `{"filler":{"f10":"x"},"late":{"field":"x","path":"C:\\Temp\\a.exe","any":1}}`
	if got := fmt.Sprint(evalIDs(e, doc, "logs-x")); got != "[near far prefix has]" {
		t.Errorf("rules %s, want [near far prefix has]", got)
	}
	if got := fmt.Sprint(evalIDs(e, `{"filler":{"f11":"x"},"late":{"other":"x"}}`, "logs-x")); got != "[]" {
		t.Errorf("rules %s, want none", got)
	}
}
