package normalize

import (
	"encoding/json"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// FuzzNormalize: any input is either normalized to a JSON object, passed
// through, or refused with an error; never a panic.
func FuzzNormalize(f *testing.F) {
	f.Add([]byte(`{"time":"2026-03-14T09:22:41.9876543Z","resourceId":"/SUBSCRIPTIONS/6F1D3B0A-2C4E-4B7A-9D1E-3A5B7C9D1E2F/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","resultType":"Success","durationMs":"12","callerIpAddress":"203.0.113.45","identity":{"claims":{"name":"J","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":"j@x.example"},"authorization":{"evidence":{"principalId":"p"}}},"properties":{"responseBody":"{\"a\":1}","statusMessage":"m"}}`))
	f.Add([]byte(`{"operationName":{"value":"Microsoft.Compute/virtualMachines/runCommand/action"},"status":{"value":"Succeeded"},"eventTimestamp":"1/9/2007 9:41:00 AM","resourceId":"/subscriptions/x"}`))
	f.Add([]byte(`{"@timestamp":"2026-01-01T00:00:00Z","event":{"action":"x"}}`))
	f.Add([]byte(`{"operationName":5,"time":[],"identity":"x","properties":"{"}`))
	f.Add([]byte(`{"category":"SignInLogs","operationName":"Sign-in activity","time":"1/9/2007 9:41:00 AM","Level":4,"properties":{"createdDateTime":"x","ipAddress":"203.0.113.9","status":{"errorCode":50126,"failureReason":"r"},"authenticationProcessingDetails":[{"key":"k","value":"v"}],"location":{"geoCoordinates":{"latitude":1}}}}`))
	f.Add([]byte(`{"category":"AuditLogs","operationName":"Add member to role","time":"2026-01-01T00:00:00Z","durationMs":"0","properties":{"result":"Success","initiatedBy":{"user":{"id":"u","displayName":null}},"targetResources":[{"id":"t","modifiedProperties":[{"displayName":"d","newValue":null}]},5]}}`))
	f.Add([]byte(`{"Category":"UserRiskEvents","operationName":"User Risk Detection","time":"8/22/2022 6:41:02 PM","properties":{"ipAddress":"x","additionalInfo":"[1","activityDateTime":"2022-09-09T8:48:50.361Z"}}`))
	f.Add([]byte(`{"category":"MicrosoftGraphActivityLogs","operationName":"Microsoft Graph Activity","time":"2026-01-01T00:00:00Z","properties":{"requestUri":"%zz","roles":"a b","_IsBillable":"True","tokenIssuedAt":"bad"}}`))
	f.Add([]byte(`{"category":"AzureADGraphActivityLogs","operationName":"AAD Graph Activity","time":"2026-01-01T00:00:00Z","properties":{"timeGenerated":"bad","httpMethod":"GET","httpStatusCode":"200","requestUri":"/v2/t/$batch","roles":" ,a,"}}`))
	f.Add([]byte(`{"category":"AzureADGraphActivityLogs","operationName":"AAD Graph Activity","time":"2026-01-01T00:00:00Z","tenantId":"t","properties":{"timeGenerated":"2026-01-01T00:00:00Z","httpMethod":"PATCH","httpStatusCode":204,"requestUri":"https://graph.windows.net/v2/t/servicePrincipals/x?a=1","roles":"a , b","scopes":"s t","issuedAt":"1/1/2026 1:00:00 AM","clientAuthMethod":"1","_IsBillable":"TRUE","userId":"u","appId":"a"}}`))
	f.Add([]byte(`{"category":"kube-audit","operationName":"x","time":"2026-01-01T00:00:00Z","properties":{"log":"{\"verb\":\"get\"}"},"EventProperties":"{}"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		scanErr := event.New(raw, nil).Err()
		valid := scanErr == nil
		// A Record checks the record as the scanner does, with its error.
		var r Record
		defer r.Release()
		if err := r.Read(raw); (err == nil) != valid || err != nil && err.Error() != scanErr.Error() {
			t.Fatalf("Record.Read: %v, scanner: %v", err, scanErr)
		}
		for _, src := range []Source{Auto, AzureActivity, Azure, AzureSignIn, AzureAudit, AzureIdentityProtection, AzureGraph, AzureAADGraph, AzurePlatform} {
			out, _, err := Normalize(raw, src, Options{})
			if valid {
				// A record the caller checked (the pipelines') is
				// walked once, by the writer's own walk: the same
				// document.
				for _, strict := range []bool{false, true} {
					want, _, wantErr := Normalize(raw, src, Options{Strict: strict})
					got, _, gotErr := Normalize(raw, src, Options{Strict: strict, Valid: true})
					if (gotErr != nil) != (wantErr != nil) || string(got) != string(want) {
						t.Fatalf("%v (strict %v): checked record normalized otherwise:\nvalid: %s %v\nelse:  %s %v", src, strict, got, gotErr, want, wantErr)
					}
					if err := r.Read(raw); err != nil {
						t.Fatal(err)
					}
					got, _, gotErr = r.Append(nil, src, Options{Strict: strict})
					if (gotErr != nil) != (wantErr != nil) || string(got) != string(want) {
						t.Fatalf("%v (strict %v): Record normalized otherwise:\nRecord: %s %v\nelse:   %s %v", src, strict, got, gotErr, want, wantErr)
					}
					// And hunt reads a document the writer put field
					// by field through its layout: the same values.
					checkRecordLayout(t, &r, raw, src, Options{Strict: strict})
				}
			}
			if err != nil {
				continue
			}
			if Detect(raw) == AzureActivity || src != Auto {
				var m map[string]any
				if json.Unmarshal(out, &m) != nil {
					t.Fatalf("normalized output is not a JSON object: %s", out)
				}
			}
		}
	})
}
