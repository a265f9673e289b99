package normalize

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/geoip/geoiptest"
	"github.com/vigil-project/vigil/internal/normalize/azure"
)

func benchRecords(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf(`{"time":"2026-03-14T09:%02d:%02d.1234567Z","resourceId":"/SUBSCRIPTIONS/3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F/RESOURCEGROUPS/PROD-APP-RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/WEB-VM-%02d","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","category":"Administrative","resultType":"Success","resultSignature":"Succeeded.","durationMs":0,"callerIpAddress":"203.0.113.45","correlationId":"4c2f9a1e-7b3d-4e5f-a6b7-c8d9e0f1a2b3","identity":{"authorization":{"scope":"/subscriptions/x","action":"Microsoft.Compute/virtualMachines/runCommand/action","evidence":{"role":"Virtual Machine Contributor","principalType":"User","principalId":"a1b2"}},"claims":{"name":"Jane Doe","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":"jane.doe@contoso.example","ipaddr":"203.0.113.45"}},"level":"Information","location":"westeurope","properties":{"eventCategory":"Administrative","statusCode":"OK"}}`, i/60%60, i%60, i%10))
	}
	return out
}

// BenchmarkNormalizeAzure normalizes raw activity records to ECS JSON.
func BenchmarkNormalizeAzure(b *testing.B) {
	recs := benchRecords(100)
	b.SetBytes(int64(len(recs[0])))
	benchNormalize(b, recs)
}

// benchNormalize normalizes the records in turn, auto-detected.
func benchNormalize(b *testing.B, recs [][]byte) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := Normalize(recs[i%len(recs)], Auto, Options{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkNormalizeBaselineUnmarshal is the floor: a plain decode of the
// same records into a map.
func BenchmarkNormalizeBaselineUnmarshal(b *testing.B) {
	recs := benchRecords(100)
	b.SetBytes(int64(len(recs[0])))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(recs[i%len(recs)], &m); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkNormalizeAzureGeoIP is BenchmarkNormalizeAzure with City and
// ASN databases that hold the records' address (203.0.113.45): the
// difference is what enrichment costs per event.
func BenchmarkNormalizeAzureGeoIP(b *testing.B) {
	city, asn := geoiptest.Documentation(b, b.TempDir())
	dbs, err := geoip.Load([]string{city, asn})
	if err != nil {
		b.Fatal(err)
	}
	defer dbs.Close()
	recs := benchRecords(100)
	b.SetBytes(int64(len(recs[0])))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := Normalize(recs[i%len(recs)], Auto, Options{GeoIP: dbs}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkEnrichECS enriches an ECS document's source (geo and as
// added) and finds nothing to do for its absent destination and client.
func BenchmarkEnrichECS(b *testing.B) {
	city, asn := geoiptest.Documentation(b, b.TempDir())
	dbs, err := geoip.Load([]string{city, asn})
	if err != nil {
		b.Fatal(err)
	}
	defer dbs.Close()
	doc := []byte(`{"@timestamp":"2026-03-14T09:00:00Z","event":{"action":"x","dataset":"y"},"source":{"ip":"203.0.113.45","port":443},"user":{"name":"jane"}}`)
	ev := event.New(nil, nil)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		ev.Reset(doc)
		if out, _ := EnrichECS(doc, ev, dbs); len(out) == len(doc) {
			b.Fatal("nothing added")
		}
	}
}

// BenchmarkNormalizeBaselineScan is the plain scan bench/run compares
// with: the same records read with internal/event, one field (event.action)
// extracted. BenchmarkNormalizeAzure's MB/s over this one's is the ratio
// the target (0.3) is about.
func BenchmarkNormalizeBaselineScan(b *testing.B) {
	recs := benchRecords(100)
	b.SetBytes(int64(len(recs[0])))
	benchScan(b, recs)
}

// benchScan scans records as bench/run's baseline does: read, one field
// (event.action) extracted.
func benchScan(b *testing.B, recs [][]byte) {
	plan := event.NewPlan()
	id := plan.Add("event.action")
	ev := event.New(nil, plan)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev.Reset(recs[i%len(recs)])
		if ev.Err() != nil || ev.Has(id) {
			b.Fatal("scan")
		}
		i++
	}
}

// BenchmarkNormalizeAzureMapPath is the general path on the same records
// (decode to maps, azure.Activity, encode), which the byte-level path
// replaces for most activity records.
func BenchmarkNormalizeAzureMapPath(b *testing.B) {
	recs := benchRecords(100)
	b.SetBytes(int64(len(recs[0])))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		raw := recs[i%len(recs)]
		rec, err := event.New(raw, nil).Map()
		if err != nil {
			b.Fatal(err)
		}
		doc, _, err := azure.Activity(rec, raw, azure.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := event.AppendJSON(make([]byte, 0, len(raw)*2), doc); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// aadGraphBenchRecords are AAD Graph activity records of the Event Hub
// shape Microsoft documents (written here; the sample has none), varied
// in their ids, methods, paths and statuses.
func aadGraphBenchRecords(n int) [][]byte {
	methods := []string{"GET", "GET", "GET", "POST", "PATCH", "DELETE"}
	colls := []string{"users", "servicePrincipals", "tenantDetails", "applications", "groups", "$batch"}
	statuses := []int{200, 200, 204, 403, 404, 500}
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf(`{"time":"2026-05-07T15:%02d:%02d.5368860Z","resourceId":"/TENANTS/11111111-2222-3333-4444-555555555555/PROVIDERS/MICROSOFT.AADIAM","operationName":"Microsoft Azure AD Graph Activity","category":"AzureADGraphActivityLogs","tenantId":"11111111-2222-3333-4444-555555555555","location":"West Europe","properties":{"__UDI_RequiredFields_TenantId":"11111111-2222-3333-4444-555555555555","__UDI_RequiredFields_UniqueId":"u-%04d","timeGenerated":"2026-05-07T15:%02d:%02d.5368860Z","requestId":"4c2f9a1e-7b3d-4e5f-a6b7-c8d9e0f1%04d","operationId":"op-%04d","clientRequestId":"","apiVersion":"1.6","requestUri":"https://graph.windows.net/v2/11111111-2222-3333-4444-555555555555/%s/%04d?api-version=1.6","httpMethod":"%s","httpStatusCode":%d,"responseSizeBytes":%d,"durationMs":%d,"callerIpAddress":"203.0.113.%d","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AADInternals","appId":"1b730954-1685-4b74-9bfd-dac224a7b894","servicePrincipalId":"","userId":"a1b2c3d4-0000-4000-8000-00000000%04d","sessionId":"s-%04d","deviceId":"","roles":"","wids":"b79fbf4d-3ef9-4689-8143-76b194e85509, 62e90394-69f5-4237-9190-012177145e10","scopes":"Directory.Read.All User.Read","signInActivityId":"sia-%04d","tokenIssuedAt":"2026-05-07T14:%02d:00Z","clientAuthMethod":"0","_BilledSize":1450,"_IsBillable":"False","userTenantId":"11111111-2222-3333-4444-555555555555"}}`,
			i/60%60, i%60, i, i/60%60, i%60, i, i, colls[i%len(colls)], i, methods[i%len(methods)], statuses[i%len(statuses)], 100+i, i%90, i%250, i, i, i, i%60))
	}
	return out
}

// streamBenchRecords groups benchmark records by stream: the activity records
// above, the sample's sign-in and audit records, and AAD Graph records.
func streamBenchRecords(b *testing.B) map[string][][]byte {
	out := map[string][][]byte{"activity": benchRecords(100), "aadgraph": aadGraphBenchRecords(100)}
	for _, raw := range sampleRecords(b) {
		switch StreamOf(raw) {
		case azure.SignInLogs:
			out["signin"] = append(out["signin"], raw)
		case azure.AuditLogs:
			out["audit"] = append(out["audit"], raw)
		}
	}
	return out
}

// BenchmarkNormalizeStreams compares, per stream, the plain scan of a
// record (scan: what bench/run's baseline does), Normalize (normalize: a
// document allocated per record) and Append into a reused buffer
// (append): scan's ns/op over the others' is the ratio the target
// (0.3) is about.
func BenchmarkNormalizeStreams(b *testing.B) {
	for _, name := range []string{"activity", "signin", "audit", "aadgraph"} {
		recs := streamBenchRecords(b)[name]
		b.Run(name+"/scan", func(b *testing.B) { benchScan(b, recs) })
		b.Run(name+"/normalize", func(b *testing.B) { benchNormalize(b, recs) })
		b.Run(name+"/append", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			i := 0
			for b.Loop() {
				var err error
				if buf, _, err = Append(buf[:0], recs[i%len(recs)], Auto, Options{Valid: true}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
