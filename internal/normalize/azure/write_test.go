package azure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
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
	// Scalars and resource ids' parts copied as plain text (plainScalar,
	// plainKind of the id), and the cases that are not: an escaped or
	// non-ASCII id, addresses written otherwise than the record does.
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","level":-1.5e3,"resourceId":"/tenants/t1/providers/Microsoft.aadiam","properties":{"ipAddress":"203.0.113.7","userId":"u"}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","level":true,"resourceId":"/tenants/t\u00e9/providers/Micro\"soft","properties":{"ipAddress":"::ffff:1.2.3.4","userId":"u"}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","level":false,"resourceId":"/tenants/té/providers/Microsöft","properties":{"ipAddress":"2001:DB8::1","userId":"u"}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","level":"é` + "\xff" + `","properties":{"userId":"u"}}`,
	// A string level with bytes a JSON writer may escape though the record
	// holds them raw (U+2028, U+2029, <, >, &): never copied as plain text.
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","level":"a` + "\u2028" + `<b>&` + "\u2029" + `","properties":{"userId":"u"}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","level":"4","resourceId":"/SUBSCRIPTIONS/s1/resourceGroups/g/providers/P.Q/r/n","properties":{"ip_address":"192.0.2.1","ipAddress":"192.0.2.1 ","userId":"u"}}`,
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
	// Objects read with tables of numbered keys: numbers and literals
	// put as the record writes them, keys repeated, spelt two ways,
	// differing in case, escaped, blanks between tokens, objects large
	// and small.
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","properties":{"isInteractive":true,"flag":false,"n":-0,"e":1.5e+10,"big":1E400,"userId":"a","UserId":"b","status":{"errorCode":1e2},"riskState":"x","riskState":"y","a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"processingTimeInMilliseconds":0.5}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","properties":{"userId":"a","user_id":"b","a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,"a10":10,"a11":11,"a12":12}}`,
	`{ "category" : "SignInLogs" , "time" : "2026-03-14T08:00:00Z", "Time": "x", "durationMs" : 7 , "properties" : { "userId" : "u" , "isInteractive" : true , "status" : { "errorCode" : 50053 , "failureReason" : "f" } } }`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","k\u0041y":1,"properties":{"userId":"u"}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","properties":{"user\u005fid":"u","userId":"v"}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","durationMs":5,"durationMs":6,"a1":true,"a2":false,"a3":-1.5,"a4":0,"a5":1,"a6":2,"a7":3,"a8":4,"a9":5,"tenantId":"t","correlationId":"c","properties":{"result":"success","id":7,"activityDisplayName":"x","b1":1,"b2":2,"b3":3,"b4":4,"b5":5,"b6":6,"b7":7,"b8":8,"b9":9,"b10":true}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,"a10":10,"properties":{"activityDisplayName":"x","activity_display_name":"y"}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,"a10":10,"operationName":"A","operation_name":"B"}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","note":"a\"b","properties":{"città":"x","userId":"u","deviceDetail":{"é":1,"deviceId":"d","k\u0042":3},"k\u0041":2}}`,
	`{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","properties":{"userId":"u","other":{"k\u0042":3,"x":{"\u0043":4}}}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","clé":"v","note":"a\"b","a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,"a10":10,"properties":{"naïve":1,"activityDisplayName":"x","initiatedBy":{"user":{"id":"u","ü":null}},"targetResources":[{"id":"t","é":1,"modifiedProperties":[{"displayName":"d","newValue":"\"n\""}]}]}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","properties":{"naïve":1,"ke\u0079":2}}`,
	`{"category":"AuditLogs","time":"2026-03-14T08:00:00Z","properties":{"targetResources":[{"id":"a","id":"b","type":"t","type":null,"ipAddress":1,"modifiedProperties":[{"newValue":"1","newValue":"2","displayName":"d","oldValue":null}],"modifiedProperties":[{"oldValue":"x"},{"displayName":{"a":1}},null,{"newValue":"3","newValue":"4","oldValue":"5","oldValue":null}]},{"userPrincipalName":"u@x","displayName":"n","ID":"c"}]}}`,
	`{"category":"MicrosoftGraphActivityLogs","time":"2026-03-14T08:00:00Z","durationMs":-3,"properties":{"isOk":true,"_IsBillable":false,"n":1e5,"userId":"u","user_id":"v"}}`,
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
	// AAD Graph: the pipeline's renames, splits and conversions, missing
	// fields, values of the wrong type, escapes, repeated keys and keys
	// the snake case makes one, huge values, invalid UTF-8.
	`{"category":"AzureADGraphActivityLogs","operationName":"AAD Graph Activity","tenantId":"11111111-2222-3333-4444-555555555555","time":"2026-05-07T15:19:40Z","location":"WestUS","properties":{"__UDI_RequiredFields_UniqueId":"x","__UDI_RequiredFields_TenantId":"t","__UDI_RequiredFields_EventTime":"e","__UDI_RequiredFields_RegionScope":"r","appId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","callerIpAddress":"203.0.113.9","durationMs":59,"httpMethod":"PATCH","httpStatusCode":403,"issuedAt":"5/7/2026 1:50:39 PM","requestId":"r-1","requestUri":"https://graph.windows.net/v2/11111111-2222-3333-4444-555555555555/servicePrincipals/abc?api-version=1.6","roles":" Group.Read.All, Directory.Read.All,","wids":"a ,\t, b\u000b, c\u00a0","scopes":"","servicePrincipalId":"","sessionId":"s-1","timeGenerated":"2026-05-07T15:19:33.5368860Z","userAgent":"AADInternals","userId":"u-1","_BilledSize":7,"_IsBillable":"FALSE","clientAuthMethod":"2","location":"ignored","tenantId":"ignored"}}`,
	`{"category":"AzureADGraphActivityLogs","operationName":"","properties":{"timeGenerated":"2026-05-07T15:19:33Z","httpMethod":"GET","requestUri":"/v2/t-1/tenantDetails","httpStatusCode":200,"clientAuthMethod":"","isBillable":"yes","roles":",, ,","scopes":"a  b ","servicePrincipalId":"sp-1","deviceId":{"x":null,"yZ":[1,{"aB":""}]},"sessionId":7,"userId":""}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","durationMs":null,"location":null,"tenantId":null,"properties":{"durationMs":"12","location":"West Europe","tenantId":7,"httpMethod":"DELETE","httpStatusCode":"404","callerIpAddress":"not-an-ip","requestUri":"/x","userId":false,"appId":3,"requestId":"","responseSizeBytes":null,"issuedAt":null}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","durationMs":"x","properties":{"durationMs":5,"httpMethod":"MERGE","httpStatusCode":302,"callerIpAddress":{"a":1},"requestUri":"https://graph.windows.net","servicePrincipalId":true,"clientAuthMethod":" 1 ","isBillable":"True","timeGenerated":null}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"httpMethod":null,"httpStatusCode":1e400,"callerIpAddress":"","requestUri":"/myorganization/$batch","tokenIssuedAt":"2026-05-07T15:00:00Z"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":"text","durationMs":12,"extra":[[null,""],{"aB":null}]}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":[{"timeGenerated":"x"}]}`,
	// ... declined: the pipeline's errors and what the writer leaves to
	// the general path.
	`{"category":"AzureADGraphActivityLogs","properties":{"timeGenerated":"bad"}}`,
	`{"category":"AzureADGraphActivityLogs","properties":{"timeGenerated":7}}`,
	`{"category":"AzureADGraphActivityLogs","time":"bad"}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"issuedAt":"bad"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"issuedAt":5}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"issuedAt":"2026-05-07T15:00:00Z","tokenIssuedAt":"2026-05-07T14:00:00Z"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"requestUri":"not a uri"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"requestUri":""}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"durationMs":1.5}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"clientAuthMethod":"1,2"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"userId":{"a":1}}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","location":["x"]}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","operationName":{"a":1}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"_BilledSize":1,"billed_size":2}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"userId":"a","user_id":"b"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"roles":"a","roles":"b"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"appId":"a","appId":"b","httpMethod":"GET","httpMethod":"POST"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"user\u0049d":"a"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","a.b":1}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"userAgent":"\u2028\ud800 \"q\" \\ é","requestId":"\u0041","roles":"\u00e9, \u2029"}}`,
	"{\"category\":\"AzureADGraphActivityLogs\",\"time\":\"2026-05-07T15:19:33Z\",\"properties\":{\"userAgent\":\"\xff\xfe\"}}",
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"p1":1,"p2":2,"p3":3,"p4":4,"p5":5,"p6":6,"p7":7,"p8":8,"p9":9,"p10":10,"p11":11,"httpMethod":"GET","requestUri":"/v2/t/users","userId":"u","appId":"x","appId":"y","location":"","location":"l"}}`,
	`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"p1":1,"p2":2,"p3":3,"p4":4,"p5":5,"p6":6,"p7":7,"p8":8,"p9":9,"p10":10,"p11":11,"userId":"u","user_id":"v"}}`,
	`{"category":"AzureADGraphActivityLogs","operationName":"AAD Graph Activity","time":"2026-05-07T15:19:33Z","properties":{"p1":1,"p2":2,"p3":3,"p4":4,"p5":5,"p6":6,"p7":7,"p8":8,"p9":9,"p10":10,"p11":11,"httpMethod":"POST","requestUri":"/v2/t/groups/g/$links/members","httpStatusCode":201,"userId":"u","appId":"u","location":"","tenantId":"t","callerIpAddress":"2001:DB8::1","wids":"w1,w2","_IsBillable":"true"}}`,
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
	recs = append(recs, hugeAADGraph())
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
		// After the check's walk (the pipelines'), which notes every
		// end: compact records are then read without looking for blanks.
		d := NewDoc(raw)
		if !d.Check() && len(raw) <= maxEndsRecord {
			t.Errorf("%s: the check refused a valid record", raw)
		}
		if checked, _, ok := d.AppendStream(nil, s, Options{}); !ok || !bytes.Equal(checked, want) {
			t.Errorf("%v: after the check (taken %v):\nrecord: %s\n%s", s, ok, raw, firstDifference(checked, want))
		}
		d.Release()
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

// hugeAADGraph is an AAD Graph record with values of megabytes (beyond
// the 1 MiB records whose value ends are noted, ends.go): a user agent
// full of escapes, a role list, a nested object.
func hugeAADGraph() []byte {
	agent := strings.Repeat(`a\"\u00e9\n `, 80_000)
	roles := strings.Repeat("Role.Read.All , ", 10_000)
	nested := strings.Repeat(`{"aB":[`, 500) + `"x"` + strings.Repeat(`]}`, 500)
	return []byte(`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"httpMethod":"GET","requestUri":"/v2/t/users","userAgent":"` + agent + `","roles":"` + roles + `","deepValue":` + nested + `}}`)
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

// TestSnakeKeysMeetingDeterministic: keys that become one in snake case
// (left by the byte-level writers to the general path) give one document
// whatever the decoded map's order: the key that sorts last wins.
func TestSnakeKeysMeetingDeterministic(t *testing.T) {
	for _, c := range []struct {
		s    Stream
		raw  string
		want []string
	}{
		{AADGraphActivityLogs, `{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","category":null,"Category":"AuditLogs","properties":{"userId":"u","user_id":"v","aB":{"cD":1,"c_d":2}}}`,
			[]string{`"a_b":{"c_d":2}`, `"client":{"user":{"id":"v"}}`, `"aadgraphactivitylogs":{"properties"`}},
		{GraphActivityLogs, `{"category":"MicrosoftGraphActivityLogs","time":"2026-05-07T15:19:33Z","xY":1,"x_y":2,"x_Y":3}`, []string{`"x_y":2`}},
	} {
		var first []byte
		for i := 0; i < 30; i++ {
			got, ok := slowStream(t, c.s, []byte(c.raw))
			if !ok {
				t.Fatalf("%s: refused", c.raw)
			}
			if first == nil {
				first = got
			} else if !bytes.Equal(got, first) {
				t.Fatalf("%s: two documents:\n%s\n%s", c.raw, first, got)
			}
		}
		for _, w := range c.want {
			if !bytes.Contains(first, []byte(w)) {
				t.Errorf("%s: no %s in\n%s", c.raw, w, first)
			}
		}
	}
}

// TestPlanOverReusedRecord writes records of one shape from one buffer
// that each record overwrites, as a pipeline's block is: keys of the
// record that name fields alias the buffer, and a plan must not take a
// later record's keys for those it was made with (two keys of one length
// and last byte hash alike).
func TestPlanOverReusedRecord(t *testing.T) {
	f := &fastDoc{}
	buf := make([]byte, 0, 512)
	for _, key := range []string{"customA", "customB", "cuxtomB", "cuxtomB", "customB", "zzzzzzB"} {
		rec := `{"time":"2026-03-12T00:01:56Z","category":"AuditLogs","operationName":"Add user","properties":{"` + key + `":"v","activityDisplayName":"Add user"}}`
		buf = append(buf[:0], rec...)
		if !writtenAsGeneral(t, f, AuditLogs, buf) {
			t.Fatalf("%s: not taken", key)
		}
	}
}

// writtenAsGeneral writes raw with f's writer for stream st (its plans
// kept from the records before) and, when the writer takes it, checks
// the document is the general path's; it reports whether it took it.
func writtenAsGeneral(t *testing.T, f *fastDoc, st Stream, raw []byte) bool {
	t.Helper()
	f.reset(raw)
	got, _, ok := f.appendStream(nil, st, Options{})
	f.reset(nil)
	if !ok {
		return false
	}
	want, valid := slowStream(t, st, raw)
	if !valid {
		t.Fatalf("%s: the general path failed", raw)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %s", raw, firstDifference(got, want))
	}
	return true
}

// TestPlanTellsKeyKinds writes, with one writer (its plans kept), records
// of one shape but for a key and its value: keys that are one segment of
// a path, or hold a dot, or are empty (left to the general path by the
// plan, once for a shape), values copied from the record, built, or
// dropped. Each document is the general path's, or the writer declines
// where the general path does not take the record as the writer would.
func TestPlanTellsKeyKinds(t *testing.T) {
	f := &fastDoc{}
	var keys = []string{"custom", "a.b", "", "custom", "x.y", "a.b", "cust.m", "custom"}
	var values = []string{`"v"`, `""`, `null`, `{"x":"y"}`, `"v"`, `12`, `"caf\u00e9"`}
	for st, category := range map[Stream]string{AuditLogs: "AuditLogs", SignInLogs: "SignInLogs"} { // SignInLogs drops empty values
		for _, key := range keys {
			for _, value := range values {
				rec := `{"time":"2026-03-12T00:01:56Z","category":"` + category + `","operationName":"Add user","properties":{"` + key + `":` + value + `,"activityDisplayName":"Add user"}}`
				dotted := key == "" || strings.Contains(key, ".")
				if taken := writtenAsGeneral(t, f, st, []byte(rec)); taken == dotted {
					t.Fatalf("%s: taken %v", rec, taken)
				}
			}
		}
	}
}

// TestPlanHoldsLiterals writes, with one writer, documents of one shape
// whose constant values (putLit, held in the plan's text) differ, or are
// equal but not the same strings: each document has its own values.
func TestPlanHoldsLiterals(t *testing.T) {
	f := &fastDoc{}
	for _, c := range []struct{ lit, want string }{
		{`"x"`, `{"a":{"b":"x","c":"v"},"d":"y"}`},
		{`"y"`, `{"a":{"b":"y","c":"v"},"d":"y"}`},
		{string([]byte(`"y"`)), `{"a":{"b":"y","c":"v"},"d":"y"}`},
		{`"x"`, `{"a":{"b":"x","c":"v"},"d":"y"}`},
		{`"zz"`, `{"a":{"b":"zz","c":"v"},"d":"y"}`},
	} {
		f.reset([]byte(`{}`))
		f.putLit("a.b", c.lit)
		f.putString("a.c", "v")
		f.putLit("d", `"y"`)
		got, ok := f.emit(nil)
		f.reset(nil)
		if !ok || string(got) != c.want {
			t.Fatalf("literal %s: %s (%v), want %s", c.lit, got, ok, c.want)
		}
	}
}

// TestRenameSetIsRenamed: a rename set renames what renamed does, for
// the writers' renames and keys of every length around the lengths'
// mask's bound.
func TestRenameSetIsRenamed(t *testing.T) {
	long := strings.Repeat("k", 70)
	lists := [][][2]string{signInRenames, auditTopRenames, auditPropRenames, identityRenames, identityTopRenames, platformRenames,
		{{long, "short"}, {long[:63], "b"}, {"", "empty"}},
		// One hash for all (same length and end bytes), a key renamed
		// twice (the first rename is renamed's).
		{{"aXa", "1"}, {"aYa", "2"}, {"aZa", "3"}, {"aXa", "4"}, {"a_a", "5"}, {"aaa", "6"}, {"aba", "7"}, {"aca", "8"}}}
	for _, pairs := range lists {
		set := newRenameSet(pairs)
		keys := []string{"", "x", long, long[:62], long[:63], long[:64], long + "k"}
		for _, p := range pairs {
			keys = append(keys, p[0], p[1], p[0]+"x", strings.ToUpper(p[0]))
		}
		for n := range 80 {
			keys = append(keys, long[:min(n, len(long))])
		}
		for _, k := range keys {
			if got, want := set.of(k), renamed(pairs, k); got != want {
				t.Errorf("%v: of(%q) = %q, want %q", pairs, k, got, want)
			}
		}
	}
}
