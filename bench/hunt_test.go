package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/vigil-project/vigil/bench/gen"
	"github.com/vigil-project/vigil/internal/cli"
)

const seedRule = "../rules/azure/execution_vm_run_command.toml"

// corpusDir is Elastic's detection-rules checkout the tests read, if any.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("VIGIL_DETECTION_RULES")
	if dir == "" {
		dir = "/work/shared/testdata/detection-rules/rules"
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		tb.Skipf("Elastic's detection rules not found at %s: set VIGIL_DETECTION_RULES to a clone's rules directory", dir)
	}
	return dir
}

// writeEvents generates a data set into a temporary directory.
func writeEvents(tb testing.TB, o gen.Options) (string, gen.Stats) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "events.ndjson")
	st, err := gen.WriteFile(path, o)
	if err != nil {
		tb.Fatal(err)
	}
	return path, st
}

// hunt runs `vigil hunt` in-process and returns the alert documents.
func hunt(tb testing.TB, args ...string) []map[string]any {
	tb.Helper()
	var out, errs bytes.Buffer
	env := &cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs,
		Now: func() time.Time { return time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC) },
	}
	code := cli.Main(append([]string{"hunt", "--format", "ndjson"}, args...), env)
	if code != 0 {
		tb.Fatalf("vigil hunt %q: exit %d\n%s", args, code, errs.String())
	}
	var alerts []map[string]any
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var a map[string]any
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			tb.Fatalf("alert is not JSON: %v\n%s", err, sc.Bytes())
		}
		alerts = append(alerts, a)
	}
	return alerts
}

// byRuleID counts alerts by kibana.alert.rule.rule_id.
func byRuleID(alerts []map[string]any) map[string]int {
	n := map[string]int{}
	for _, a := range alerts {
		id, _ := a["kibana.alert.rule.rule_id"].(string)
		n[id]++
	}
	return n
}

func ruleID(tb testing.TB, path string) string {
	tb.Helper()
	var r struct {
		Rule struct {
			RuleID string `toml:"rule_id"`
		}
	}
	if _, err := toml.DecodeFile(path, &r); err != nil {
		tb.Fatal(err)
	}
	return r.Rule.RuleID
}

// The seed rule alerts on exactly the successful Run Commands planted:
// some events, not most.
func TestSeedRuleMatchesPlanted(t *testing.T) {
	path, st := writeEvents(t, gen.Options{Seed: 1, Events: 2000})
	alerts := hunt(t, "--rules", seedRule, path)
	planted := st.Planted["rules/azure/execution_vm_run_command.toml"]
	if len(alerts) == 0 || len(alerts) > st.Events/10 {
		t.Fatalf("seed rule: %d alerts over %d events, want some but not most", len(alerts), st.Events)
	}
	if len(alerts) != planted {
		t.Errorf("seed rule: %d alerts, %d successful Run Commands planted", len(alerts), planted)
	}
	for _, a := range alerts {
		if a["kibana.alert.original_event.action"] != "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION" {
			t.Fatalf("alert on another action: %v", a["kibana.alert.original_event.action"])
		}
	}
}

// Every rule the generator plants events for alerts once per planted event:
// the built-in pack's always, the corpus's when Elastic's rules are here.
func TestPlantedRulesAlert(t *testing.T) {
	path, st := writeEvents(t, gen.Options{Seed: 2, Events: 2000})
	want := map[string]int{}
	for file, n := range st.Planted {
		if rest, ok := strings.CutPrefix(file, "rules/azure/"); ok {
			want[ruleID(t, filepath.Join("../rules/azure", rest))] = n
		}
	}
	got := byRuleID(hunt(t, path))
	for id, n := range want {
		if got[id] != n {
			t.Errorf("built-in rule %s: %d alerts, %d planted", id, got[id], n)
		}
	}

	dir := corpusDir(t)
	if testing.Short() {
		t.Skip("the corpus half needs 30,000 events; skipped with -short")
	}
	path, st = writeEvents(t, gen.Options{Seed: 2, Events: 30_000})
	args := []string{}
	want = map[string]int{}
	for file, n := range st.Planted {
		if rest, ok := strings.CutPrefix(file, "detection-rules/rules/"); ok {
			full := filepath.Join(dir, rest)
			args = append(args, "--rules", full)
			want[ruleID(t, full)] = n
		}
	}
	if len(want) < 10 {
		t.Fatalf("only %d corpus rules planted in 30,000 events", len(want))
	}
	got = byRuleID(hunt(t, append(args, path)...))
	for id, n := range want {
		if got[id] != n {
			t.Errorf("corpus rule %s: %d alerts, %d planted", id, got[id], n)
		}
	}
}

// BenchmarkHunt runs `vigil hunt` in-process over a generated file, for
// CPU profiles of what bench/run measures. VIGIL_BENCH_EVENTS sets the
// size (default 20,000). "ecs" variants drop the raw Azure envelopes,
// to tell normalization apart from the rest.
func BenchmarkHunt(b *testing.B) {
	n := 20_000
	if s := os.Getenv("VIGIL_BENCH_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	path, st := writeEvents(b, gen.Options{Seed: 1, Events: n})
	ecsPath, ecsBytes, ecsEvents := ecsOnly(b, path)
	variants := []struct {
		name   string
		rules  []string
		input  string
		bytes  int64
		events int
	}{
		{"seed", []string{"--rules", seedRule}, path, st.Bytes, st.Events},
		{"seed-ecs", []string{"--rules", seedRule}, ecsPath, ecsBytes, ecsEvents},
		{"pack", nil, path, st.Bytes, st.Events},
		{"pack-ecs", nil, ecsPath, ecsBytes, ecsEvents},
		{"corpus", []string{"--rules", ""}, path, st.Bytes, st.Events},
		{"corpus-ecs", []string{"--rules", ""}, ecsPath, ecsBytes, ecsEvents},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			rules := v.rules
			if len(rules) == 2 && rules[1] == "" {
				rules = []string{"--rules", corpusDir(b)}
			}
			env := &cli.Env{
				Stdin: strings.NewReader(""), Stdout: new(bytes.Buffer), Stderr: new(bytes.Buffer),
				Now: func() time.Time { return time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC) },
			}
			args := append(append([]string{"hunt", "--format", "ndjson", "--out", os.DevNull, "--quiet"}, rules...), v.input)
			b.SetBytes(v.bytes)
			b.ReportAllocs()
			for b.Loop() {
				if code := cli.Main(args, env); code != 0 {
					b.Fatalf("exit %d: %s", code, env.Stderr)
				}
			}
			b.ReportMetric(float64(v.events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// ecsOnly writes the lines of path that are not raw Azure envelopes.
func ecsOnly(tb testing.TB, path string) (string, int64, int) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	n := 0
	for line := range bytes.Lines(data) {
		if !bytes.HasPrefix(line, []byte(`{"records":`)) {
			out.Write(line)
			n++
		}
	}
	p := filepath.Join(tb.TempDir(), "ecs.ndjson")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p, int64(out.Len()), n
}
