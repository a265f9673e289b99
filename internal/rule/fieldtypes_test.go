package rule

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// TestCorpusFieldTypes checks the field types over Elastic's corpus: every
// field a KQL rule reads whose type Vigil does not know is one the
// field-types table could not resolve either (unresolved.txt) or a
// wildcard-like name.
func TestCorpusFieldTypes(t *testing.T) {
	root := sharedtestdata.Dir(t, "detection-rules")
	unresolved := map[string]bool{}
	f, err := os.Open(filepath.Join(sharedtestdata.Dir(t, "field-types"), "unresolved.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			unresolved[strings.Split(line, "\t")[0]] = true
		}
	}
	set, err := LoadPaths([]string{filepath.Join(root, "rules"), filepath.Join(root, "rules_building_block")},
		LoadOptions{Plan: event.NewPlan(), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]int{}
	rules, varying := 0, 0
	for _, r := range set.Rules {
		if len(r.Untyped) > 0 {
			rules++
		}
		if r.TypesVaryByIndex() {
			varying++
		}
		for _, u := range r.Untyped {
			fields[u]++
		}
	}
	var names []string
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !unresolved[n] {
			t.Errorf("%s (%d rules): type unknown, but the field-types table does not list it as unresolved", n, fields[n])
		}
	}
	t.Logf("%d fields of unknown type in %d rules: %v; %d rules evaluate per index", len(names), rules, names, varying)
}

// TestMatchIndex evaluates a rule reading two indices that map a field
// differently with each index's own type: auditd.data.* is keyword in
// Auditbeat (ignore_above 1024) and flattened in auditd_manager (none).
func TestMatchIndex(t *testing.T) {
	src := `[metadata]
creation_date = "2024/01/01"
updated_date = "2024/01/01"
[rule]
author = ["a"]
license = "Elastic License v2"
rule_id = "r1"
name = "n"
description = "d"
type = "query"
language = "kuery"
risk_score = 21
severity = "low"
index = ["auditbeat-*", "logs-auditd_manager.auditd-*"]
query = 'auditd.data.a0:*'
`
	plan := event.NewPlan()
	r := Parse("r.toml", []byte(src), LoadOptions{Plan: plan, Now: fixedNow})
	if r.Status != StatusOK {
		t.Fatalf("status %s: %v %s", r.Status, r.Errors, r.Reason)
	}
	if !r.TypesVaryByIndex() {
		t.Fatal("TypesVaryByIndex = false")
	}
	long := event.New([]byte(`{"auditd":{"data":{"a0":"`+strings.Repeat("x", 1100)+`"}}}`), plan)
	if r.MatchIndex(long, "auditbeat-8.12.0-2026.03.14") {
		t.Error("auditbeat: a keyword value over ignore_above is not indexed, yet it matched")
	}
	if !r.MatchIndex(long, ".ds-logs-auditd_manager.auditd-default-2026.03.14-000001") {
		t.Error("auditd_manager: a flattened leaf has no ignore_above, yet it did not match")
	}
	if r.Match(long) {
		t.Error("Match (the first pattern's types: keyword) matched")
	}
}
