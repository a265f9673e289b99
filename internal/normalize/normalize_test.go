package normalize

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want Source
	}{
		{`{"@timestamp":"2026-01-01T00:00:00Z","event":{"action":"x"}}`, ECS},
		{`{"event.dataset":"azure.activitylogs"}`, ECS},
		{`{"time":"t","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE","resourceId":"/x"}`, AzureActivity},
		// A raw record a shipper stamped with @timestamp is still raw.
		{`{"@timestamp":"2026-01-01T00:00:00Z","operationName":"X","time":"t"}`, AzureActivity},
		// Keys inside nested values and strings do not count.
		{`{"a":{"operationName":"X"},"b":"\"operationName\":1","c":["@timestamp"]}`, Unknown},
		{`{"s":"a\\","event":{}}`, ECS}, // an escaped backslash ends the string
		{`{"s":"a\"operationName\":"}`, Unknown},
		{`{"unterminated`, Unknown},
		{`{}`, Unknown},
	} {
		if got := Detect([]byte(c.doc)); got != c.want {
			t.Errorf("Detect(%s) = %v, want %v", c.doc, got, c.want)
		}
	}
}

// TestAppendIsNormalize: Append writes after what dst holds exactly what
// Normalize returns, for every source and kind of record (raw Azure of
// each stream, ECS, unknown, broken, routed nowhere), and leaves dst as
// it was on error.
func TestAppendIsNormalize(t *testing.T) {
	recs := appendCases(t)
	prefix := []byte("held|")
	for _, raw := range recs {
		for _, src := range []Source{Auto, Azure, AzureActivity, AzureSignIn, AzureAudit, AzureAADGraph, AzurePlatform, ECS} {
			for _, strict := range []bool{false, true} {
				opts := Options{Strict: strict}
				want, wantWarn, wantErr := Normalize(raw, src, opts)
				valids := []bool{false}
				if event.New(raw, nil).Err() == nil {
					valids = append(valids, true) // as the pipelines call it
				}
				for _, valid := range valids {
					opts.Valid = valid
					got, warn, err := Append(append([]byte(nil), prefix...), raw, src, opts)
					if (err != nil) != (wantErr != nil) || len(warn) != len(wantWarn) {
						t.Errorf("%s as %v (strict %v, valid %v): Append: %v %q, Normalize: %v %q", raw, src, strict, valid, err, warn, wantErr, wantWarn)
						continue
					}
					w := want
					if err != nil {
						w = nil
					}
					if string(got) != string(prefix)+string(w) {
						t.Errorf("%s as %v (strict %v, valid %v):\nAppend:    %s\nNormalize: %s%s", raw, src, strict, valid, got, prefix, w)
					}
				}
			}
		}
	}
}

// appendCases are records of every source and kind (raw Azure of each
// stream, ECS, unknown, broken, routed nowhere), the sample's and the
// benchmarks' records among them.
func appendCases(t testing.TB) [][]byte {
	recs := [][]byte{
		[]byte(`{"@timestamp":"2026-01-01T00:00:00Z","event":{"action":"x"}}`),
		[]byte(`{"a":1}`),
		[]byte(`{"operationName":"X","time":"2026-01-01T00:00:00Z","category":"AzureFirewallNetworkRule"}`),
		[]byte(`{"operationName":"X","time":"bad","category":"SignInLogs"}`),
		[]byte(`{"operationName":"X",`),
		[]byte(`{"category":"AuditLogs","operationName":"Add user","time":"2026-01-01T00:00:00Z","properties":{"result":"success","targetResources":[{"id":"u"}]}}`),
		[]byte(`{"category":"kube-audit","operationName":"X","time":"2026-01-01T00:00:00Z","properties":{"log":"{\"verb\":\"get\"}"}}`),
		// Blanks, escaped keys, repeated and null categories: the walk of
		// a checked record's keys (Options.Valid, azure.Doc) must read
		// what eachTopKey does.
		[]byte(" {\n \"category\" : \"SignInLogs\" ,\t\"operationName\":\"Sign-in activity\", \"time\" :\"2026-01-01T00:00:00Z\",\"properties\": { \"userId\" : \"u\" , \"a\":[ 1 , {\"b\" : \"c\\\"\"} ] } } "),
		[]byte(`{"operationName":"X","time":"2026-01-01T00:00:00Z","category":"AuditLogs","category":"SignInLogs","properties":{"ipAddress":"192.0.2.1"}}`),
		[]byte(`{"operationName":"X","time":"2026-01-01T00:00:00Z","category":null,"Category":"AuditLogs","properties":{"result":"failure"}}`),
		[]byte(`{"operation\u004eame":"X","time":"2026-01-01T00:00:00Z","category":"SignInLogs"}`),
		[]byte(`{"operationName":"X","resourceId":"/subscriptions/s/resourceGroups/r","c\u0061tegory":"AuditLogs","category":"Administrative","x":{"category":"SignInLogs"}}`),
		[]byte(`{"operationName":"X","time":"2026-01-01T00:00:00Z","category":"SignIn\u004cogs"}`),
		// AAD Graph: taken by its byte-level writer, declined (a time in
		// no format, a repeated key, an escaped key), routed by category.
		[]byte(`{"category":"AzureADGraphActivityLogs","operationName":"AAD Graph Activity","time":"2026-01-01T00:00:00Z","properties":{"timeGenerated":"bad","httpMethod":"GET"}}`),
		[]byte(`{"category":"AzureADGraphActivityLogs","operationName":"AAD Graph Activity","time":"2026-01-01T00:00:00Z","properties":{"httpMethod":"GET","httpMethod":"PUT","requestUri":"/v2/t/users"}}`),
		[]byte(`{"category":"AzureADGraphActivityLogs","operationName":"AAD Graph Activity","time":"2026-01-01T00:00:00Z","properties":{"http\u004dethod":"GET"}}`),
		[]byte(` { "category" : "AzureADGraphActivityLogs" , "operationName" : "AAD Graph Activity" , "time" : "2026-01-01T00:00:00Z" , "properties" : { "httpMethod" : "DELETE" , "requestUri" : "/v2/t/applications/a" , "roles" : "a , b" } } `),
	}
	recs = append(recs, benchRecords(3)...)
	recs = append(recs, aadGraphBenchRecords(6)...)
	recs = append(recs, sampleRecords(t)...)
	return recs
}

// sampleRecords returns the records of the bundled sample
// (testdata/sample: Event Hub envelopes of activity, sign-in and audit
// records).
func sampleRecords(t testing.TB) [][]byte {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/sample/*.json")
	var out [][]byte
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			var env struct{ Records []json.RawMessage }
			if json.Unmarshal(line, &env) != nil {
				continue
			}
			for _, r := range env.Records {
				out = append(out, []byte(r))
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no records in testdata/sample")
	}
	return out
}
