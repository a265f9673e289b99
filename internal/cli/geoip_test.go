package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/geoip/geoiptest"
)

// runCommand runs vigil with a fixed clock and returns the exit code,
// stdout and stderr.
func runCommand(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
	code := Main(args, env)
	return code, out.String(), errb.String()
}

// runCommandRecord is a raw Azure activity record (Event Hub shape) of a
// successful Run Command on vm by principal from ip.
func runCommandRecord(at time.Time, vm, principal, ip string) string {
	return fmt.Sprintf(`{"time":%q,"resourceId":"/SUBSCRIPTIONS/3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F/RESOURCEGROUPS/PROD-RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/%s",`+
		`"operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","category":"Administrative","resultType":"Success","callerIpAddress":%q,`+
		`"identity":{"authorization":{"action":"microsoft.compute/virtualmachines/runcommand/action","evidence":{"principalId":%q,"principalType":"User"}}},"location":"westeurope","level":"Information"}`,
		at.Format(time.RFC3339Nano), vm, ip, principal)
}

// corpusRule returns the path of a rule of Elastic's detection-rules
// corpus, skipping the test when the corpus is absent.
func corpusRule(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "..", "shared", "testdata", "detection-rules", "rules", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s absent", p)
	}
	return p
}

// Elastic's "Azure Compute VM Command Executed" (a new_terms rule on
// principal, VM and source.as.number) alerts, with City and ASN databases,
// on the first Run Command of a combination in its history window, over
// two executions' worth of events: a public address in AS 209 (new), the
// same an hour later (not new), an address of AS 1221 (new), an IPv6
// address of AS 6939 (new), a private address (no AS: the query's
// source.as.number:* fails). Without databases, or with a City database
// only (the wrong type for source.as.number), nothing alerts and the
// summary says why.
func TestGeoIPNewTermsRuleOnASN(t *testing.T) {
	rule := corpusRule(t, "integrations/azure/execution_compute_vm_command_executed.toml")
	dir := t.TempDir()
	city, asn := geoiptest.City(t, dir), geoiptest.ASN(t, dir)
	t0 := time.Date(2026, 11, 23, 9, 2, 0, 0, time.UTC)
	recs := []string{
		runCommandRecord(t0, "VM-01", "p1", geoiptest.Hosting),
		runCommandRecord(t0.Add(time.Hour), "VM-01", "p1", geoiptest.Hosting),
		runCommandRecord(t0.Add(time.Hour+time.Minute), "VM-01", "p1", geoiptest.Telstra),
		runCommandRecord(t0.Add(time.Hour+2*time.Minute), "VM-01", "p1", geoiptest.HostingV6),
		runCommandRecord(t0.Add(time.Hour+3*time.Minute), "VM-01", "p1", geoiptest.Private),
	}
	logs := filepath.Join(dir, "activity.json")
	if err := os.WriteFile(logs, []byte(`{"records":[`+strings.Join(recs, ",")+"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, prefilter := range []string{"--prefilter=true", "--prefilter=false"} {
		code, out, errs := runCommand(t, "hunt", "--format", "ndjson", prefilter, "--rules", rule, "--geoip-db", city, "--geoip-db", asn, logs)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errs)
		}
		var asns []float64
		for line := range strings.Lines(out) {
			var doc map[string]any
			if err := json.Unmarshal([]byte(line), &doc); err != nil {
				t.Fatal(err)
			}
			terms := doc["kibana.alert.new_terms"].([]any)
			asns = append(asns, terms[len(terms)-1].(float64))
			if src, _ := doc["source"].(map[string]any); src == nil || src["as"] == nil {
				t.Errorf("alert without source.as: %s", line)
			}
		}
		slices.Sort(asns)
		if want := []float64{209, 1221, 6939}; !slices.Equal(asns, want) {
			t.Errorf("%s: alerts on AS %v, want %v\n%s", prefilter, asns, want, errs)
		}
	}

	code, out, errs := runCommand(t, "hunt", "--format", "ndjson", "--rules", rule, logs)
	if code != 0 || out != "" {
		t.Fatalf("without databases: exit %d, alerts:\n%s", code, out)
	}
	if !strings.Contains(errs, "needs source.as.number, which no event had") || !strings.Contains(errs, "--geoip-db FILE") {
		t.Errorf("without databases, the summary does not name --geoip-db:\n%s", errs)
	}
	code, out, errs = runCommand(t, "hunt", "--format", "ndjson", "--rules", rule, "--geoip-db", city, logs)
	if code != 0 || out != "" {
		t.Fatalf("City database only: exit %d, alerts:\n%s", code, out)
	}
	// Raw records normalized with databases may have had the field: the
	// summary cannot tell it was missing from every one.
	if !strings.Contains(errs, "no event matched the query: Azure Compute VM Command Executed") {
		t.Errorf("City database only: summary:\n%s", errs)
	}
	// Documents already in ECS, enriched, whose addresses the databases
	// hold no AS for.
	ecs := filepath.Join(dir, "ecs.ndjson")
	os.WriteFile(ecs, []byte(`{"@timestamp":"2026-11-23T09:03:00Z","data_stream":{"dataset":"azure.activitylogs","type":"logs","namespace":"default"},"event":{"outcome":"success"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","identity":{"authorization":{"evidence":{"principal_id":"p1"}}}},"resource":{"name":"VM-01"}},"source":{"ip":"`+geoiptest.London+`"}}`+"\n"), 0o644)
	code, out, errs = runCommand(t, "hunt", "--format", "ndjson", "--rules", rule, "--geoip-db", city, "--geoip-db", asn, "--geoip-ecs", ecs)
	if code != 0 || out != "" || !strings.Contains(errs, "needs source.as.number") || !strings.Contains(errs, "GeoIP enrichment is on, but the databases given hold no data of that kind") {
		t.Errorf("ECS documents: exit %d, alerts %q, summary:\n%s", code, out, errs)
	}
}

// A rule on source.geo fields alerts on documents normalized with a City
// database; documents already in ECS are enriched only with --geoip-ecs,
// and what they hold is kept.
func TestGeoIPCountryRuleAndECSDocuments(t *testing.T) {
	dir := t.TempDir()
	city, asn := geoiptest.City(t, dir), geoiptest.ASN(t, dir)
	rule := filepath.Join(dir, "geo.toml")
	os.WriteFile(rule, []byte(`[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"

[rule]
author = ["Test"]
description = "Activity from the UK."
name = "From the UK"
risk_score = 21
rule_id = "00000000-0000-4000-8000-000000000181"
severity = "low"
type = "query"
index = ["logs-*"]
query = 'source.geo.country_iso_code:GB and source.geo.city_name:London and source.geo.location:*'
`), 0o644)
	t0 := time.Date(2026, 11, 23, 9, 2, 0, 0, time.UTC)
	logs := filepath.Join(dir, "mixed.ndjson")
	os.WriteFile(logs, []byte(strings.Join([]string{
		runCommandRecord(t0, "VM-01", "p1", geoiptest.London),
		runCommandRecord(t0, "VM-02", "p1", geoiptest.Norway),
		`{"@timestamp":"2026-11-23T09:03:00Z","event":{"dataset":"x"},"data_stream":{"dataset":"x","type":"logs","namespace":"default"},"source":{"ip":"` + geoiptest.London + `"}}`,
		`{"@timestamp":"2026-11-23T09:04:00Z","event":{"dataset":"x"},"data_stream":{"dataset":"x","type":"logs","namespace":"default"},"source":{"ip":"` + geoiptest.London + `","geo":{"country_iso_code":"FR"}}}`,
	}, "\n")+"\n"), 0o644)
	count := func(args ...string) int {
		t.Helper()
		code, out, errs := runCommand(t, append([]string{"hunt", "--format", "ndjson", "--rules", rule}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errs)
		}
		return strings.Count(out, "\n")
	}
	if n := count(logs); n != 0 {
		t.Errorf("without databases: %d alerts", n)
	}
	if n := count("--geoip-db", city, "--geoip-db", asn, logs); n != 1 {
		t.Errorf("with databases: %d alerts, want 1 (the raw record)", n)
	}
	if n := count("--geoip-db", city, "--geoip-ecs", logs); n != 2 {
		t.Errorf("with --geoip-ecs: %d alerts, want 2 (the raw record, the ECS document without source.geo)", n)
	}
	if code, _, errs := runCommand(t, "hunt", "--geoip-ecs", logs); code != exitUsage || !strings.Contains(errs, "--geoip-ecs needs databases") {
		t.Errorf("--geoip-ecs alone: exit %d\n%s", code, errs)
	}
	if code, _, errs := runCommand(t, "hunt", "--geoip-db", rule, logs); code != exitUsage || !strings.Contains(errs, "not a readable MaxMind-format database") {
		t.Errorf("--geoip-db of a rule file: exit %d\n%s", code, errs)
	}
	// vigil normalize writes the fields.
	code, out, errs := runCommand(t, "normalize", "--geoip-db", city, "--geoip-db", asn, logs)
	if code != 0 {
		t.Fatalf("normalize: exit %d\n%s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], `"source":{"geo":{"city_name":"London"`) ||
		!strings.Contains(lines[1], `"country_name":"Norway"`) || strings.Contains(lines[2], `"geo"`) {
		t.Errorf("normalize:\n%s", out)
	}
}
