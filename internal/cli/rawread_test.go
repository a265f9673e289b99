package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/bench/gen"
	"github.com/vigil-project/vigil/internal/geoip/geoiptest"
)

// rawReadLines are lines around the hunt's raw path (readRaw): raw
// records of each stream, malformed ones (each fault the scanner reports),
// records whose operationName the walk cannot tell or is not at the top,
// envelopes holding good and bad records, and ECS documents.
func rawReadLines() []string {
	const act = `"time":"2026-03-14T09:23:42.1234567Z","resourceId":"/SUBSCRIPTIONS/6F1D3B0A-2C4E-4B7A-9D1E-3A5B7C9D1E2F/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM1","category":"Administrative","resultType":"Success","resultSignature":"Succeeded.","callerIpAddress":"203.0.113.45","correlationId":"c1"`
	const run = `"operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"`
	const signin = `"time":"2026-03-14T09:23:42Z","category":"SignInLogs","operationName":"Sign-in activity","resultType":"50126","properties":{"userPrincipalName":"a@b.example","ipAddress":"203.0.113.9","status":{"errorCode":50126,"failureReason":"Invalid"},"appDisplayName":"Azure Portal"}`
	const audit = `"time":"2026-03-14T09:23:42Z","category":"AuditLogs","operationName":"Add member to role","properties":{"result":"success","initiatedBy":{"user":{"userPrincipalName":"a@b.example"}},"targetResources":[{"id":"t","modifiedProperties":[{"displayName":"Role.DisplayName","newValue":"\"Global Administrator\""}]}]}`
	lines := []string{
		`{` + act + `,` + run + `}`,
		`{` + signin + `}`,
		`{` + audit + `}`,
		` { ` + act + ` , ` + run + ` } `,
		// Stamped with @timestamp first: scanned, then normalized.
		`{"@timestamp":"2026-03-14T09:23:42Z",` + act + `,` + run + `}`,
		// The walk cannot tell: escaped keys, an object, a list, repeats.
		`{` + act + `,"operation\u004eame":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","x":"operationName"}`,
		`{` + act + `,"operationName":{"value":"Microsoft.Compute/virtualMachines/runCommand/action"}}`,
		`{` + act + `,"operationName":{"value":null}}`,
		`{` + act + `,"operationName":[]}`,
		`{` + act + `,"operationName":["MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"]}`,
		`{` + act + `,"operationName":null,` + run + `}`,
		`{` + act + `,` + run + `,"operationName":null}`,
		// Not raw: null, or not at the top.
		`{` + act + `,"operationName":null}`,
		`{` + act + `,"properties":{` + run + `}}`,
		`{"event":{"action":"x"},"note":"operationName"}`,
		// Malformed: each fault at its place.
		`{` + act + `,` + run,
		`{` + act + `,` + run + `,}`,
		`{` + act + `,` + run + `}}`,
		`{` + act + `,` + run + `} x`,
		`{` + act + `,` + run + `,"durationMs":01}`,
		`{` + act + `,` + run + `,"durationMs":-}`,
		`{` + act + `,` + run + `,"x":tru}`,
		`{` + act + `,` + run + `,"x":"a\qb"}`,
		`{` + act + `,` + run + `,"x":"\u12g4"}`,
		"{" + act + "," + run + ",\"x\":\"a\tb\"}",
		`{` + act + `,` + run + `,"x" "y"}`,
		`{` + act + `,` + run + `,"x":[1,]}`,
		`{` + act + `,` + run + `,"x":[1}`,
		`{"properties":{` + run + `},`,
		// Envelopes: good and bad records side by side.
		`{"records":[{` + act + `,` + run + `},{` + signin + `},{` + audit + `}]}`,
		`{"records":[{` + act + `,` + run + `},{` + act + `,` + run + `,"x":tru},{` + signin + `}]}`,
		`{"records":[{` + act + `,"operationName":null},{` + act + `,` + run + `,"x":[1,]}]}`,
		// ECS documents.
		`{"@timestamp":"2026-03-14T09:23:42Z","event":{"action":"x","dataset":"azure.activitylogs"}}`,
		`{"@timestamp":"2026-03-14T09:23:42Z","event":{"action":"x"},`,
	}
	// A record over the walk's 1 MiB: left to the scanner, then the writer.
	lines = append(lines, `{`+act+`,`+run+`,"properties":{"big":"`+strings.Repeat("x", 1<<20)+`"}}`)
	return lines
}

// withScanEveryRecord runs fn with every record scanned first, as before
// readRaw.
func withScanEveryRecord(fn func()) {
	scanEveryRecord = true
	defer func() { scanEveryRecord = false }()
	fn()
}

// TestReadRawIsScan: a hunt and a normalize that read raw records once
// (readRaw, normalize.Record) say what they said when every record was
// scanned first: the same alerts and documents, the same messages for
// malformed records (file:line:col, offsets), the same counts.
func TestReadRawIsScan(t *testing.T) {
	dir := t.TempDir()
	lines := filepath.Join(dir, "lines.ndjson")
	if err := os.WriteFile(lines, []byte(strings.Join(rawReadLines(), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mixed := filepath.Join(dir, "mixed.ndjson")
	if _, err := gen.WriteFile(mixed, gen.Options{Events: 3000, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	signin := filepath.Join(dir, "signin.ndjson")
	if _, err := gen.WriteFile(signin, gen.Options{Events: 500, Seed: 3, Raw: true, RawStream: "signin"}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
		code := Main(args, env)
		return out.String(), errb.String(), code
	}
	azureRules := filepath.Join(repoRoot(t), "..", "shared", "testdata", "detection-rules", "rules", "integrations", "azure")
	sets := [][]string{
		{"hunt", "--format", "ndjson", "--progress=false"},
		{"hunt", "--format", "ndjson", "--progress=false", "--prefilter=false"},
		{"hunt", "--format", "ndjson", "--progress=false", "--rules", filepath.Join(repoRoot(t), "rules")},
		{"normalize"},
		{"normalize", "--source", "azure"},
	}
	// With GeoIP databases raw records take the writers' general path.
	city, asn := geoiptest.Documentation(t, dir)
	sets = append(sets,
		[]string{"hunt", "--format", "ndjson", "--progress=false", "--geoip-db", city, "--geoip-db", asn, "--geoip-ecs"},
		[]string{"normalize", "--geoip-db", city, "--geoip-db", asn})
	if _, err := os.Stat(azureRules); err == nil {
		sets = append(sets, []string{"hunt", "--format", "ndjson", "--progress=false", "--rules", azureRules})
	} else {
		t.Log("../shared/testdata/detection-rules absent: Elastic's Azure rules left out")
	}
	malformed := 0
	for _, args := range sets {
		for _, in := range []string{lines, mixed, signin} {
			all := append(append([]string(nil), args...), in)
			out, errs, code := run(all...)
			var wantOut, wantErrs string
			var wantCode int
			withScanEveryRecord(func() { wantOut, wantErrs, wantCode = run(all...) })
			if out != wantOut || errs != wantErrs || code != wantCode {
				t.Errorf("%v: read once and scanned first differ:\nexit %d, %d bytes out, stderr:\n%s\nscanned first: exit %d, %d bytes out, stderr:\n%s",
					all[:len(all)-1], code, len(out), errs, wantCode, len(wantOut), wantErrs)
			}
			if in == lines {
				malformed += strings.Count(errs, "malformed JSON")
			}
		}
	}
	if malformed == 0 {
		t.Error("no malformed record was reported")
	}
}
