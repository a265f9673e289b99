package azure

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/geoip/geoiptest"
	"github.com/vigil-project/vigil/internal/match"
)

// streamRecords returns raw records of the streams other than activity
// logs: the project's sample and Elastic's pipeline tests when present.
func streamRecords(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	read := func(path string) {
		f, err := os.Open(path)
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 || line[0] != '{' {
				continue
			}
			var env struct{ Records []json.RawMessage }
			if json.Unmarshal(line, &env) == nil && len(env.Records) > 0 {
				for _, r := range env.Records {
					out = append(out, bytes.Clone(r))
				}
				continue
			}
			out = append(out, bytes.ReplaceAll(bytes.Clone(line), []byte("'"), []byte(`"`)))
		}
	}
	samples, _ := filepath.Glob("../../../testdata/sample/*.json")
	for _, s := range samples {
		read(s)
	}
	dir := filepath.Join("..", "..", "..", "..", "shared", "testdata", "azure", "integrations-more")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "_dev", "test", "pipeline", "*.log"))
	for _, f := range files {
		read(f)
	}
	out = append(out,
		[]byte(`{"category":"AzureADGraphActivityLogs","operationName":"AAD Graph Activity","tenantId":"11111111-2222-3333-4444-555555555555","properties":{"appId":"a-1","callerIpAddress":"203.0.113.9","durationMs":"12","httpMethod":"GET","httpStatusCode":200,"requestUri":"https://graph.windows.net/v2/t/users?x=1","roles":"A, B,","timeGenerated":"2026-05-07T15:19:33Z","userAgent":"AADInternals","userId":"u-1","servicePrincipalId":"sp-1","sessionId":"s-1","deviceId":"d-1"}}`),
		[]byte(`{"category":"MicrosoftGraphActivityLogs","operationName":"Microsoft Graph Activity","time":"2026-05-07T15:19:33Z","tenantId":"t-1","location":"West Europe","properties":{"appId":"a-1","ipAddress":"203.0.113.9","durationMs":12,"requestMethod":"GET","responseStatusCode":200,"requestUri":"https://graph.microsoft.com/v1.0/users/x?y=1","roles":"A B","scopes":"S1 S2","userAgent":"python-requests/2.31","userId":"u-1","tokenIssuedAt":"2026-05-07T15:00:00Z","timeGenerated":"2026-05-07T15:19:33Z","_IsBillable":"True"}}`),
		[]byte(`{"category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","time":"2026-05-07T15:19:33Z","resourceId":"/SUBSCRIPTIONS/3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-1","callerIpAddress":"`+geoiptest.Telstra+`","Region":"West Europe","properties":{"log":"{\"verb\":\"create\",\"user\":{\"username\":\"system:serviceaccount:default:x\"},\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\"}}","stream":"stdout"}}`),
		[]byte(`{"category":"SignInLogs","operationName":"Sign-in activity","time":"2026-05-07T15:19:33Z","callerIpAddress":"`+geoiptest.Telstra+`","properties":{"ipAddress":"`+geoiptest.Telstra+`","userPrincipalName":"a@b.c","status":{"errorCode":50126,"failureReason":"Invalid","additionalDetails":"More"},"userAgent":"Mozilla/5.0"}}`),
	)
	return out
}

// TestStreamOriginHoldsOnRecords is TestOriginHoldsOnRecords for the
// other streams: each record is normalized into the stream its category
// routes it to, and StreamOrigin must describe every field of the
// document (no Absent field written, constants constant, copied values
// in the record's text, ASCII case aside), with and without GeoIP
// databases.
func TestStreamOriginHoldsOnRecords(t *testing.T) {
	t.Run("plain", func(t *testing.T) { checkStreamOrigin(t, nil) })
	t.Run("geoip", func(t *testing.T) {
		dir := t.TempDir()
		dbs, err := geoip.Load([]string{geoiptest.City(t, dir), geoiptest.ASN(t, dir)})
		if err != nil {
			t.Fatal(err)
		}
		defer dbs.Close()
		checkStreamOrigin(t, dbs)
	})
}

func checkStreamOrigin(t *testing.T, dbs *geoip.Databases) {
	seen := map[Stream]int{}
	copiedSeen := map[string]int{}
	for _, raw := range streamRecords(t) {
		var rec map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&rec) != nil {
			continue
		}
		st := Route(RecordCategory(rec))
		if st == ActivityLogs || st == NoStream {
			continue
		}
		doc, _, err := Normalize(st, rec, raw, Options{GeoIP: dbs})
		if err != nil {
			t.Errorf("%v: %v", st, err)
			continue
		}
		seen[st]++
		classify := StreamOrigin(st, dbs != nil)
		text := strings.ToLower(string(raw))
		escapes := strings.Contains(text, `\u`) || strings.Contains(text, `\/`)
		leaves("", doc, func(path string, v any) {
			kind, c := classify(path)
			var s string
			switch x := v.(type) {
			case string:
				s = x
			case json.Number:
				s = x.String()
			case bool:
				s = "false"
				if x {
					s = "true"
				}
			default:
				b, _ := json.Marshal(x)
				s = string(b)
			}
			switch kind {
			case match.Absent:
				t.Errorf("%v: %s is written (%q) but StreamOrigin says Absent", st, path, s)
			case match.Constant:
				if s != c {
					t.Errorf("%v: %s = %q, StreamOrigin says constant %q", st, path, s, c)
				}
			case match.Copied:
				if escapes || strings.ContainsAny(s, "\"\\") || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
					return
				}
				copiedSeen[path]++
				if !strings.Contains(text, strings.ToLower(s)) {
					t.Errorf("%v: %s = %q is not in the record's text, yet StreamOrigin says Copied:\n%s", st, path, s, raw)
				}
			}
		})
	}
	for st := SignInLogs; st < NoStream; st++ {
		if seen[st] == 0 {
			t.Errorf("no %v record checked", st)
		}
	}
	for _, f := range []string{"azure.signinlogs.properties.user_principal_name", "azure.auditlogs.operation_name", "user.name",
		"azure.identityprotection.properties.risk_level", "azure.platformlogs.properties.log.user.username", "url.original"} {
		if copiedSeen[f] == 0 {
			t.Errorf("no record checked %s", f)
		}
	}
}

// TestPatternOrigin checks what the origins answer for wildcard field
// names: Copied only where every field the pattern can name is.
func TestPatternOrigin(t *testing.T) {
	for _, tc := range []struct {
		o       match.Origin
		pattern string
		want    match.OriginKind
	}{
		{StreamOrigin(AuditLogs, false), "azure.auditlogs.properties.target_resources.*.modified_properties.*.new_value", match.Copied},
		{StreamOrigin(AuditLogs, false), "azure.*", match.Derived},                                        // azure.subscription_id and the like
		{StreamOrigin(IdentityProtection, false), "azure.identityprotection.properties.*", match.Derived}, // its datetimes are derived
		{StreamOrigin(IdentityProtection, false), "azure.identityprotection.properties.risk_*", match.Derived},
		{StreamOrigin(SignInLogs, false), "user.*", match.Derived},
		{StreamOrigin(SignInLogs, false), "azure.signinlogs.properties.*.display_name", match.Copied},
		{Origin, "azure.activitylogs.properties.*", match.Copied},
		{Origin, "azure.activitylogs.identity.claims_initiated_by_user.*", match.Derived}, // its schema is not copied
		{Origin, "event.*", match.Derived},
		{Origin, "*", match.Derived},
	} {
		if got, _ := tc.o(tc.pattern); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.pattern, got, tc.want)
		}
	}
}
