package esql

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// TestEntraImpossibleTravel runs the corpus's Entra ID impossible travel
// rule over sign-ins from Paris and, 40 minutes later, New York (one user),
// and from Paris only (another): one row, for the first user.
func TestEntraImpossibleTravel(t *testing.T) {
	root := sharedtestdata.Dir(t, "detection-rules")
	data, err := os.ReadFile(filepath.Join(root, "rules/integrations/azure/initial_access_entra_id_signin_impossible_travel.toml"))
	if err != nil {
		t.Skipf("rule not in the corpus: %v", err)
	}
	var doc struct {
		Rule struct{ Query string } `toml:"rule"`
	}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		t.Fatal(err)
	}
	q, err := Parse(doc.Rule.Query)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(q, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(user, at, country, region string, lat, lon float64) string {
		return `{"@timestamp":"` + at + `","data_stream":{"dataset":"azure.signinlogs"},"event":{"outcome":"success"},` +
			`"azure":{"signinlogs":{"category":"SignInLogs","properties":{"user_principal_name":"` + user + `"}}},` +
			`"source":{"ip":"203.0.113.9","geo":{"country_name":"` + country + `","region_name":"` + region + `",` +
			`"location":{"lat":` + formatDouble(lat) + `,"lon":` + formatDouble(lon) + `}}}}`
	}
	docs := []string{
		signIn("alice@example.com", "2024-05-01T10:00:00Z", "France", "Île-de-France", 48.85, 2.35),
		signIn("alice@example.com", "2024-05-01T10:40:00Z", "United States", "New York", 40.71, -74.0),
		signIn("bob@example.com", "2024-05-01T10:00:00Z", "France", "Île-de-France", 48.85, 2.35),
		signIn("bob@example.com", "2024-05-01T10:30:00Z", "France", "Île-de-France", 48.86, 2.34),
	}
	r := p.Start()
	for _, d := range docs {
		r.Add(Doc{Event: event.New([]byte(d), p.Plan())})
	}
	res := r.Finish()
	if len(res.Rows) != 1 {
		t.Fatalf("got %d rows, want 1: %v (warnings %q)", len(res.Rows), res.Rows, res.Warnings)
	}
	row := map[string]any{}
	for i, c := range res.Columns {
		row[c.Name] = res.Rows[0][i]
	}
	if row["azure.signinlogs.properties.user_principal_name"] != "alice@example.com" {
		t.Errorf("user: %v", row["azure.signinlogs.properties.user_principal_name"])
	}
	// Paris - New York is about 5,840 km; in 40 minutes, some 8,760 km/h.
	if d, _ := row["Esql.distance_km"].(float64); d < 5800 || d > 5900 {
		t.Errorf("distance_km = %v, want about 5840", row["Esql.distance_km"])
	}
	if v, _ := row["Esql.travel_kmh"].(float64); v < 8000 {
		t.Errorf("travel_kmh = %v, want above 8000", row["Esql.travel_kmh"])
	}
	if w := row["Esql.window_minutes"]; w != int64(40) {
		t.Errorf("window_minutes = %v, want 40", w)
	}
	if got := strings.Join(stringValues(row["Esql.source_geo_country_name_values"]), ","); got != "France,United States" {
		t.Errorf("countries = %q", got)
	}
}

func stringValues(v any) []string {
	var out []string
	for _, x := range values(v) {
		out = append(out, x.(string))
	}
	return out
}
