package serve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/geoip/geoiptest"
)

const asnRuleFile = `[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"

[rule]
author = ["T"]
description = "A Run Command from AS 209, in London."
from = "now-65m"
interval = "1h"
name = "Run Command from AS 209"
risk_score = 47
rule_id = "serve-geoip-asn"
severity = "medium"
type = "query"
index = ["logs-*"]
query = 'event.action:"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION" and source.as.number:209 and source.geo.country_iso_code:GB'
`

// runCommandFrom is a raw Azure Run Command record from ip at minute.
func runCommandFrom(ip string, minute int) []byte {
	return []byte(`{"time":"2026-03-14T11:` + twoDigits(minute) + `:00Z","resourceId":"/SUBSCRIPTIONS/3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM-01",` +
		`"operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","category":"Administrative","resultType":"Success","callerIpAddress":"` + ip + `"}`)
}

// serve enriches raw records with the databases in force and reads them
// again when a file changes; documents already in ECS are enriched only
// with GeoIPECS.
func TestGeoIPStreamingReload(t *testing.T) {
	dir := t.TempDir()
	rulePath := filepath.Join(dir, "rule.toml")
	if err := os.WriteFile(rulePath, []byte(asnRuleFile), 0o644); err != nil {
		t.Fatal(err)
	}
	city := geoiptest.City(t, dir)
	asnPath := filepath.Join(dir, "asn.mmdb")
	// First, an ASN database that does not know 81.2.69.144.
	geoiptest.Write(t, asnPath, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"1.128.0.0/11": {"autonomous_system_number": mmdbtype.Uint32(1221)},
	})
	src, err := geoip.NewSource([]string{city, asnPath})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	rec := &recorder{}
	now := fixedNow
	d := NewDetector(DetectorOptions{Store: st, Sink: rec, Now: func() time.Time { return now }, GeoIP: src, GeoIPECS: true})
	loader := &RuleLoader{Paths: []string{rulePath}, Now: func() time.Time { return now }, Install: d.SetRules, GeoIP: src}
	if err := loader.Load(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommandFrom(geoiptest.London, 1)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 0 {
		t.Fatalf("%d alerts before the ASN database knows the address", len(rec.alerts))
	}

	geoiptest.Write(t, asnPath, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"81.2.69.0/24": {"autonomous_system_number": mmdbtype.Uint32(209), "autonomous_system_organization": mmdbtype.String("Example")},
	})
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(asnPath, later, later); err != nil {
		t.Fatal(err)
	}
	loader.reloadGeoIP()
	ecs := []byte(`{"@timestamp":"2026-03-14T11:03:00Z","data_stream":{"type":"logs","dataset":"x","namespace":"default"},"event":{"action":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"},"source":{"ip":"` + geoiptest.London + `"}}`)
	ecsKept := []byte(`{"@timestamp":"2026-03-14T11:04:00Z","data_stream":{"type":"logs","dataset":"x","namespace":"default"},"event":{"action":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"},"source":{"ip":"` + geoiptest.London + `","as":{"number":1}}}`)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommandFrom(geoiptest.London, 2), runCommandFrom(geoiptest.Private, 2), ecs, ecsKept}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 2 {
		t.Fatalf("%d alerts after the reload, want 2 (the raw record and the ECS document from London)", len(rec.alerts))
	}
	for _, a := range rec.alerts {
		if !strings.Contains(string(a.Doc), `"as":{"number":209,"organization":{"name":"Example"}}`) {
			t.Errorf("alert without source.as: %s", a.Doc)
		}
	}

	// A database that cannot be read keeps the ones in force.
	if err := os.WriteFile(asnPath, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Reload(); err == nil || !src.Databases().HasAS() {
		t.Errorf("a broken file: error %v, ASN database in force %v", err, src.Databases().HasAS())
	}
}
