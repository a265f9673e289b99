package azure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// slowStream is the general path for stream s: decode, map, encode;
// false when the record is not valid JSON or the pipeline refuses it.
func slowStream(t testing.TB, s Stream, raw []byte) ([]byte, bool) {
	rec, err := event.New(raw, nil).Map()
	if err != nil {
		return nil, false
	}
	doc, _, err := Normalize(s, rec, raw, Options{})
	if err != nil {
		return nil, false
	}
	out, err := event.AppendJSON(nil, doc)
	if err != nil {
		t.Fatal(err)
	}
	return out, true
}

// streamCases are records that exercise the byte-level writers' corners
// (renames meeting their new names, empty values, odd types, escapes).
var streamCases = []string{
	`{"category":"SignInLogs","time":null,"createdDateTime":"2026-03-14T08:00:00Z","properties":{"ipAddress":"","ip_address":"2001:db8::1","status":{"errorCode":0,"failureReason":"","additionalDetails":"x"},"location":{"city":"","state":null,"geoCoordinates":{"latitude":1.5}},"userId":null,"userPrincipalName":"no-at","userDisplayName":"","authenticationProcessingDetails":[{"key":"a","value":""},{"key":"b","value":{"c":null}},7,{"key":"a","value":"z"}],"emptyList":[null,""],"nested":[[null],{"aB":""}],"deviceDetail":{"deviceId":""}}}`,
	`{"category":"NonInteractiveUserSignInLogs","time":"2026-03-14T08:00:00Z","tenantId":"t","durationMs":"12","level":4,"Level":"x","operationName":"Sign-in activity","properties":{"createdDateTime":"2026-03-14T09:00:00Z","status":{"errorCode":-5},"userPrincipalName":"a@b.c","id":7,"appId":"app","servicePrincipalName":"","aBC":{"dE":1}}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","properties":{"createdDateTime":"2026-03-14T09:00:00Z","createdAt":"x"}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","a_b":1,"aB":2}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","x":1,"x":{"y":2}}`,
	`{"category":"SignInLogs","time":"bad"}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","durationMs":1.5,"properties":"text"}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","resourceId":"/tenants/0d6f1a2b-1111-4c3d-9e8f-000000000101/providers/Microsoft.aadiam","properties":{"userPrincipalName":{"a":1}}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","resourceId":"/tenants/0d6f1a2b-1111-4c3d-9e8f-000000000101/providers/Microsoft.aadiam","tenantId":null}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","resourceId":"/SUBSCRIPTIONS/3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.AADIAM/X/Y","properties":{"a.b":1}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","properties":{"k\u0041":"v","\u2028":"\u2029"}}`,
	`{"category":"Other"}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","Level":4,"level":"x","callerIpAddress":7,"properties":{"result":"Failure","userAgent":null,"initiatedBy":{"user":{"id":"u","x":null,"l":[null,{"y":null}]},"app":null},"targetResources":[{"id":"a","modifiedProperties":[1,{"displayName":"d","newValue":null}]},7,{},{},{},{},{},{},{},{},{"type":"t"}]}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","callerIpAddress":"","properties":{}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","operationName":"A","operation_name":"B"}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","properties":{"targetResources":"x","result":"odd"}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","properties":{"initiatedBy":{"a":1},"initiated_by":2}}`,
	`{"category":"UserRiskEvents","time":"2026-03-14T08:00:00Z","callerIpAddress":"","tenantId":"t","Level":4,"identity":"x","properties":{"ipAddress":"not-ip","userId":"","userPrincipalName":"a@b","activityDateTime":"2026-03-14T8:00:00.000Z","detectedDateTime":"bad","lastUpdatedDateTime":7,"additionalInfo":"[{\"Key\":\"k\",\"Value\":1.50}]","homeTenantId":null}}`,
	`{"category":"RiskyUsers","time":"2026-03-14T08:00:00Z","callerIpAddress":5,"properties":{"additionalInfo":"[1,","resourceTenantId":"r"}}`,
	`{"category":"RiskyUsers","time":"2026-03-14T08:00:00Z","properties":{"resourceTenantId":"r","riskState":"x","risk_state":"y"}}`,
	`{"category":"RiskyUsers","time":"2026-03-14T08:00:00Z","operationName":{"a":1},"properties":{}}`,
	`{"category":"RiskyUsers","time":"2026-03-14T08:00:00Z","operation_name":"x","properties":{"user_id":"u","user_principal_name":"a@b","user_display_name":"A"}}`,
	`{"category":"kube-audit","time":"2026-03-14T08:00:00Z","operation_name":"","result_type":"Success"}`,
	`{"category":"kube-audit","time":"2026-03-14T08:00:00Z","Region":" West Europe ","EventName":{"x":1},"EventTimeString":"2026-03-14T09:00:00Z","resultType":"x","Status":"Succeeded","level":null,"durationMs":"12","callerIpAddress":"","properties":{"log":"\"quoted\"","statusCode":200}}`,
	`{"category":"FunctionAppLogs","time":"2026-03-14T08:00:00Z","Region":"Global","operationName":"op","callerIpAddress":7,"durationMs":5,"properties":{"log":"1 2","result":"unknown"}}`,
	`{"category":"FunctionAppLogs","time":"2026-03-14T08:00:00Z","Region":3,"properties":{"log":"plain text","policies":[],"eventCategory":null}}`,
	`{"category":"FunctionAppLogs","time":"2026-03-14T08:00:00Z","properties":{"log":"null"},"":"","x":1}`,
	`{"category":"FunctionAppLogs","time":"2026-03-14T08:00:00Z","EventProperties":"{\"a\":1}","event_category":"x"}`,
	`{"category":"MicrosoftGraphActivityLogs","time":"2026-03-14T08:00:00Z","tenantId":"","resourceId":"/tenants/0d6f1a2b-1111-4c3d-9e8f-000000000101/providers/Microsoft.aadiam","callerIpAddress":null,"location":null,"properties":{"ipAddress":"bad","location":"West Europe","roles":"A  B ","scopes":" ","durationMs":"7","_IsBillable":"TRUE","clientAuthMethod":"2","timeGenerated":"x","requestUri":"https://u:p@graph.microsoft.com:443/v1.0/me/x.json?a=1#f","userId":"","tenantId":7}}`,
	`{"category":"MicrosoftGraphActivityLogs","time":"2026-03-14T08:00:00Z","callerIpAddress":"","durationMs":1.5}`,
	`{"category":"MicrosoftGraphActivityLogs","time":"2026-03-14T08:00:00Z","properties":{"tokenIssuedAt":"bad"}}`,
	`{"category":"MicrosoftGraphActivityLogs","time":"2026-03-14T08:00:00Z","properties":{"requestUri":"not a uri","_BilledSize":1,"billed_size":2}}`,
	// Objects large enough for find's index (find.go): repeated keys, keys
	// the snake case makes one, a key looked up that is absent.
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,"a10":10,"tenantId":"t","tenantId":"u","properties":{"p1":1,"p2":2,"p3":3,"p4":4,"p5":5,"p6":6,"p7":7,"p8":8,"p9":9,"appId":"x","appId":"y","userPrincipalName":"a@b","status":{"errorCode":50126,"failureReason":"r"},"ipAddress":"192.0.2.1","location":{"city":"c"}}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","properties":{"p1":1,"p2":2,"p3":3,"p4":4,"p5":5,"p6":6,"p7":7,"p8":8,"p9":9,"p10":10,"p11":11,"userId":"u","user_id":"v"}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","properties":{"p1":1,"p2":2,"p3":3,"p4":4,"p5":5,"p6":6,"p7":7,"p8":8,"p9":9,"p10":10,"p11":11,"p12":12,"ipAddress":"","ip_address":"2001:db8::1"}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,"a10":10,"operationName":"A","operationName":"B","properties":{"p1":1,"p2":2,"p3":3,"p4":4,"p5":5,"p6":6,"p7":7,"p8":8,"p9":9,"p10":10,"p11":11,"result":"success","result":"failure"}}`,
}

// TestAppendStreamIsNormalize: each byte-level writer writes, byte for
// byte, what the general path does, on every record of the sample and of
// Elastic's pipeline tests and on corner cases; when it declines, the
// general path takes the record.
func TestAppendStreamIsNormalize(t *testing.T) {
	recs := streamRecords(t)
	for _, c := range streamCases {
		recs = append(recs, []byte(c))
	}
	taken := map[Stream]int{}
	seen := map[Stream]int{}
	for _, raw := range recs {
		if event.New(raw, nil).Err() != nil {
			continue
		}
		rec, _ := event.New(raw, nil).Map()
		s := Route(RecordCategory(rec))
		if s == ActivityLogs || s == NoStream {
			continue
		}
		want, valid := slowStream(t, s, raw)
		got, _, ok := AppendStream(nil, raw, s, Options{})
		if !valid {
			if ok {
				t.Errorf("%s: the byte-level path wrote a record the general path refuses:\n%s", raw, got)
			}
			continue
		}
		seen[s]++
		if !ok {
			continue
		}
		taken[s]++
		if !bytes.Equal(got, want) {
			t.Errorf("%v: byte-level path differs:\nrecord: %s\n%s", s, raw, firstDifference(got, want))
		}
		if !json.Valid(got) {
			t.Errorf("%s: not valid JSON: %s", raw, got)
		}
	}
	for s, n := range seen {
		t.Logf("%v: byte-level path took %d of %d records", s, taken[s], n)
	}
}

// FuzzAppendStream: on any valid record, the byte-level writer of the
// stream it routes to declines or writes exactly what the general path
// does.
func FuzzAppendStream(f *testing.F) {
	for _, c := range streamCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if event.New(raw, nil).Err() != nil {
			return
		}
		rec, err := event.New(raw, nil).Map()
		if err != nil {
			return
		}
		for s := SignInLogs; s < NoStream; s++ {
			want, valid := slowStream(t, s, raw)
			got, _, ok := AppendStream(nil, raw, s, Options{})
			if ok && (!valid || !bytes.Equal(got, want)) {
				t.Fatalf("%v differs:\nrecord: %s\ngot:  %s\nwant: %s", s, raw, got, want)
			}
		}
		_ = rec
	})
}

// firstDifference shows where two documents part.
func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("got:  ...%s\nwant: ...%s", got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
}
