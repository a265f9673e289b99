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

// rawRecords returns raw activity records: the project's sample, REST
// records written here, and Elastic's pipeline tests when present.
func rawRecords(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	addLine := func(line []byte) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] != '{' {
			return
		}
		var env struct{ Records []json.RawMessage }
		if json.Unmarshal(line, &env) == nil && len(env.Records) > 0 {
			for _, r := range env.Records {
				out = append(out, r)
			}
			return
		}
		out = append(out, bytes.Clone(line))
	}
	readLines := func(path string) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			addLine(sc.Bytes())
		}
	}
	readLines("../../../testdata/sample/azure-activity.json")
	addLine([]byte(`{"operationName":{"value":"Microsoft.Compute/virtualMachines/runCommand/action","localizedValue":"Run Command"},"resourceId":"/subscriptions/3f2b8c1d-5e6a-4b7c-8d9e-0a1b2c3d4e5f/resourceGroups/rg-Prod/providers/Microsoft.Compute/virtualMachines/vm-01","eventTimestamp":"2026-03-14T08:00:00Z","status":{"value":"Succeeded"},"subStatus":{"value":"OK"},"category":{"value":"Administrative"},"level":"Informational","correlationId":"c-1","caller":"bob@contoso.com","claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":"bob@contoso.com","name":"Bob Ross","appid":"a.b"},"httpRequest":{"clientIpAddress":"203.0.113.7"},"properties":{"statusCode":"OK","responseBody":"{\"x\":\"y\"}"}}`))
	for _, sub := range []string{"integrations", "filebeat"} {
		dir := filepath.Join("..", "..", "..", "..", "shared", "testdata", "azure", sub)
		files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, f := range files {
			readLines(f)
		}
	}
	return out
}

// leaves calls fn with every leaf of x and its dotted path.
func leaves(prefix string, x any, fn func(path string, v any)) {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			leaves(p, v, fn)
		}
	case []any:
		for _, v := range t {
			leaves(prefix, v, fn)
		}
	default:
		fn(prefix, x)
	}
}

// TestOriginHoldsOnRecords checks Origin against what Activity does with
// real records: no field outside the written prefixes, constants constant,
// and every copied value present in the record's text (ASCII case aside),
// which is what a prefilter on raw records relies on. With GeoIP databases
// loaded, the same holds of EnrichedOrigin.
func TestOriginHoldsOnRecords(t *testing.T) {
	t.Run("plain", func(t *testing.T) { checkOrigin(t, nil, Origin) })
	t.Run("geoip", func(t *testing.T) {
		dir := t.TempDir()
		dbs, err := geoip.Load([]string{geoiptest.City(t, dir), geoiptest.ASN(t, dir)})
		if err != nil {
			t.Fatal(err)
		}
		defer dbs.Close()
		checkOrigin(t, dbs, OriginFor(true))
	})
}

func checkOrigin(t *testing.T, dbs *geoip.Databases, classify match.Origin) {
	recs := rawRecords(t)
	if len(recs) < 50 {
		t.Fatalf("only %d records", len(recs))
	}
	recs = append(recs, []byte(`{"time":"2026-03-14T08:00:00Z","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","resourceId":"/SUBSCRIPTIONS/3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM-01","callerIpAddress":"`+geoiptest.Telstra+`","location":"westeurope"}`))
	copiedSeen := map[string]int{}
	enrichedSeen := 0
	impliedSeen := 0
	for _, raw := range recs {
		var rec map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&rec) != nil || !HasRecordField(rec) {
			continue
		}
		doc, _, err := Activity(rec, raw, Options{GeoIP: dbs})
		if err != nil {
			continue
		}
		text := strings.ToLower(string(raw))
		escapes := strings.Contains(text, `\u`) || strings.Contains(text, `\/`)
		leaves("", doc, func(path string, v any) {
			kind, c := classify(path)
			if strings.HasPrefix(path, "source.geo.") || strings.HasPrefix(path, "source.as.") {
				enrichedSeen++
			}
			var s string
			switch x := v.(type) {
			case string:
				s = x
			case json.Number:
				s = x.String()
			case bool:
				s = "true"
				if !x {
					s = "false"
				}
			default:
				b, _ := json.Marshal(x)
				s = string(b)
			}
			switch kind {
			case match.Absent:
				t.Errorf("%s is written (%q) but Origin says Absent", path, s)
			case match.Constant:
				if s != c {
					t.Errorf("%s = %q, Origin says constant %q", path, s, c)
				}
			case match.Implied:
				lit, ok := match.Implications(c)[s]
				if !ok {
					t.Errorf("%s = %q, not one of the values Origin says it takes (%s)", path, s, c)
				} else if !escapes && !strings.Contains(text, strings.ToLower(lit)) {
					t.Errorf("%s = %q, yet the record lacks %q, which Origin says it implies:\n%s", path, s, lit, raw)
				}
				impliedSeen++
			case match.Copied:
				if escapes || strings.ContainsAny(s, "\"\\") || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
					return
				}
				copiedSeen[path]++
				if !strings.Contains(text, strings.ToLower(s)) {
					t.Errorf("%s = %q is not in the record's text, yet Origin says Copied:\n%s", path, s, raw)
				}
			}
		})
	}
	if (dbs != nil) != (enrichedSeen > 0) {
		t.Errorf("%d source.geo and source.as fields written", enrichedSeen)
	}
	if impliedSeen == 0 {
		t.Error("no record checked an Implied field")
	}
	for _, f := range []string{"azure.activitylogs.operation_name", "event.action", "azure.resource.id", "user.name", "azure.resource.provider"} {
		if copiedSeen[f] == 0 {
			t.Errorf("no record checked %s", f)
		}
	}
}
