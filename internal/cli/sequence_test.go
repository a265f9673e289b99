package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

const curlHTTPSRule = `[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"

[rule]
author = ["Test"]
description = "curl started, then an HTTPS connection from the same host within a minute."
name = "Curl then HTTPS"
risk_score = 47
rule_id = "00000000-0000-4000-8000-000000000051"
severity = "medium"
type = "eql"
language = "eql"
query = '''
sequence by host.id with maxspan=1m
  [process where event.type == "start" and process.name == "curl"]
  [network where destination.port == 443]
'''
`

// sequenceEvents returns events for curlHTTPSRule: per host, a curl
// start and a connection 10 s later (a sequence), on every host, plus
// a second curl start per host 2 minutes later with a connection 2
// minutes after it (past the maxspan: no sequence).
func sequenceEvents(hosts int) [][]byte {
	var out [][]byte
	for h := range hosts {
		host := fmt.Sprintf(`"host":{"id":"h%d","name":"web-%d"}`, h, h)
		out = append(out,
			fmt.Appendf(nil, `{"@timestamp":"2026-03-14T09:00:%02dZ","event":{"category":"process","type":"start"},"process":{"name":"curl","pid":%d},%s}`, h%60, h, host),
			fmt.Appendf(nil, `{"@timestamp":"2026-03-14T09:01:%02dZ","event":{"category":"network"},"destination":{"port":443},"process":{"pid":%d},%s}`, h%60, h, host),
			fmt.Appendf(nil, `{"@timestamp":"2026-03-14T10:00:%02dZ","event":{"category":"process","type":"start"},"process":{"name":"curl","pid":%d},%s}`, h%60, h+1000, host),
			fmt.Appendf(nil, `{"@timestamp":"2026-03-14T10:02:%02dZ","event":{"category":"network"},"destination":{"port":443},"process":{"pid":%d},%s}`, h%60, h+1000, host),
		)
	}
	return out
}

// TestSequenceAlertsIndependentOfOrderAndWorkers: an eql sequence rule
// gives the same alerts, byte for byte, whatever the order of the input's
// lines and the number of workers; each sequence is a shell and its
// building blocks, linked by group id.
func TestSequenceAlertsIndependentOfOrderAndWorkers(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	if err := os.Mkdir(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rules, "curl.toml"), []byte(curlHTTPSRule), 0o644); err != nil {
		t.Fatal(err)
	}
	const hosts = 40
	evs := sequenceEvents(hosts)
	write := func(name string, lines [][]byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, append(bytes.Join(lines, []byte("\n")), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inOrder := write("in-order.ndjson", evs)
	reversed := write("reversed.ndjson", reversedLines(evs))
	// Interleaved: every third line first, then the others.
	var mixed [][]byte
	for i := 0; i < len(evs); i += 3 {
		mixed = append(mixed, evs[i])
	}
	for i := range evs {
		if i%3 != 0 {
			mixed = append(mixed, evs[i])
		}
	}
	shuffled := write("shuffled.ndjson", mixed)
	// Every event twice (the same file read again): the same alerts.
	twice := write("twice.ndjson", append(slices.Clone(evs), reversedLines(evs)...))

	want := huntOut(t, "--rules", rules, "--jobs", "1", inOrder)
	checkSequenceAlerts(t, want, hosts)
	for _, in := range []string{inOrder, reversed, shuffled, twice} {
		for _, jobs := range []int{1, 2} {
			got := huntOut(t, "--rules", rules, "--jobs", strconv.Itoa(jobs), in)
			if !bytes.Equal(got, want) {
				t.Errorf("%s with %d workers: the alerts differ from the input in order with 1 worker", filepath.Base(in), jobs)
			}
		}
	}
}

// checkSequenceAlerts checks that out holds one sequence per host, each a
// shell and two building blocks (group index 0 and 1) sharing its group
// id, whose ids the shell's ancestors list.
func checkSequenceAlerts(t *testing.T, out []byte, hosts int) {
	t.Helper()
	type group struct {
		shell  map[string]any
		blocks map[float64]map[string]any
	}
	groups := map[string]*group{}
	for line := range bytes.Lines(out) {
		var doc map[string]any
		if err := json.Unmarshal(line, &doc); err != nil {
			t.Fatal(err)
		}
		gid, _ := doc["kibana.alert.group.id"].(string)
		if gid == "" {
			t.Fatalf("alert without kibana.alert.group.id: %s", line)
		}
		g := groups[gid]
		if g == nil {
			g = &group{blocks: map[float64]map[string]any{}}
			groups[gid] = g
		}
		if doc["kibana.alert.building_block_type"] == "default" {
			g.blocks[doc["kibana.alert.group.index"].(float64)] = doc
			continue
		}
		if doc["kibana.alert.uuid"] != gid {
			t.Errorf("shell %v: its id is not its group id %s", doc["kibana.alert.uuid"], gid)
		}
		g.shell = doc
	}
	if len(groups) != hosts {
		t.Fatalf("%d sequences, want %d (one per host)", len(groups), hosts)
	}
	for gid, g := range groups {
		if g.shell == nil || len(g.blocks) != 2 || g.blocks[0] == nil || g.blocks[1] == nil {
			t.Fatalf("group %s: shell %v, %d building blocks", gid, g.shell != nil, len(g.blocks))
		}
		anc := g.shell["kibana.alert.ancestors"].([]any)
		if len(anc) != 4 {
			t.Fatalf("group %s: %d shell ancestors, want 4", gid, len(anc))
		}
		for i := range 2 {
			block := g.blocks[float64(i)]
			if got := anc[2*i+1].(map[string]any)["id"]; got != block["kibana.alert.uuid"] {
				t.Errorf("group %s: shell ancestor %d is %v, want building block %v", gid, 2*i+1, got, block["kibana.alert.uuid"])
			}
			if got, want := anc[2*i].(map[string]any), block["kibana.alert.ancestors"].([]any)[0].(map[string]any); got["id"] != want["id"] {
				t.Errorf("group %s: shell ancestor %d is event %v, want %v", gid, 2*i, got["id"], want["id"])
			}
		}
		if h0, h1 := g.blocks[0]["host"], g.shell["host"]; fmt.Sprint(h0) != fmt.Sprint(h1) {
			t.Errorf("group %s: the shell's host %v is not its events' %v", gid, h1, h0)
		}
	}
}

func reversedLines(ls [][]byte) [][]byte {
	out := slices.Clone(ls)
	slices.Reverse(out)
	return out
}
