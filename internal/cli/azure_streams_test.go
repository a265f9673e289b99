package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// streamOracle writes two files from Elastic's pipeline tests of the
// sign-in, audit, identity-protection, Graph and platform-log streams
// (integrations-more) and of the activity-log stream (integrations, main
// line): the raw records, mixed in one file as one
// diagnostic-settings export would hold them, and the expected documents
// of the same records as Elastic indexes them (the pipeline tests'
// output, with the fields the agent and the data stream add:
// data_stream.*, event.dataset, event.module; GeoIP fields, which need
// databases, taken out). Only records a hunt takes for raw Azure (a
// top-level operationName) are kept.
func streamOracle(t *testing.T) (raw, expected string, n int) {
	t.Helper()
	root := sharedtestdata.Dir(t, "azure/integrations-more")
	files, _ := filepath.Glob(filepath.Join(root, "*", "_dev", "test", "pipeline", "*-expected.json"))
	// The activity-log pipeline tests (their main line, not the
	// variants of other commits), for a mix of every category.
	activity, _ := filepath.Glob(filepath.Join(root, "..", "integrations", "*-expected.json"))
	files = append(files, activity...)
	sort.Strings(files)
	var rawBuf, expBuf bytes.Buffer
	seen := map[string]bool{} // a record in two tests is one event
	for _, exp := range files {
		b, err := os.ReadFile(exp)
		if err != nil {
			t.Fatal(err)
		}
		var want struct{ Expected []map[string]any }
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			t.Fatal(err)
		}
		in, err := os.ReadFile(strings.TrimSuffix(exp, "-expected.json"))
		if err != nil {
			t.Fatal(err)
		}
		var lines [][]byte
		sc := bufio.NewScanner(bytes.NewReader(in))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
				lines = append(lines, bytes.Clone(l))
			}
		}
		if len(lines) != len(want.Expected) {
			t.Fatalf("%s: %d records for %d documents", exp, len(lines), len(want.Expected))
		}
		for i, line := range lines {
			if strings.Contains(exp, "platformlogs") {
				line = bytes.ReplaceAll(line, []byte("'"), []byte(`"`)) // the test's sanitize option
			}
			if normalize.Detect(line) != normalize.AzureActivity {
				continue
			}
			// A record in two tests (or two records that differ only in
			// what the pipeline drops) is one event: hunt de-duplicates it.
			norm, _, err := normalize.Normalize(line, normalize.Azure, normalize.Options{})
			if err != nil {
				t.Fatalf("%s record %d: %v", exp, i+1, err)
			}
			var nd map[string]any
			if err := json.Unmarshal(norm, &nd); err != nil {
				t.Fatal(err)
			}
			delete(nd["event"].(map[string]any), "original")
			key, _ := json.Marshal(nd)
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
			st := normalize.StreamOf(line)
			doc := want.Expected[i]
			for _, k := range []string{"geo"} {
				delete(doc, k)
			}
			for _, k := range []string{"source", "client"} {
				if m, ok := doc[k].(map[string]any); ok {
					delete(m, "geo")
					delete(m, "as")
				}
			}
			ds := map[string]any{"type": "logs", "dataset": st.Dataset(), "namespace": "default"}
			doc["data_stream"] = ds
			ev, _ := doc["event"].(map[string]any)
			if ev == nil {
				ev = map[string]any{}
				doc["event"] = ev
			}
			ev["dataset"], ev["module"] = st.Dataset(), "azure"
			ev["original"] = string(line)
			out, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			expBuf.Write(append(out, '\n'))
			rawBuf.Write(append(line, '\n'))
			n++
		}
	}
	dir := t.TempDir()
	raw, expected = filepath.Join(dir, "raw.ndjson"), filepath.Join(dir, "expected.ndjson")
	if err := os.WriteFile(raw, rawBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(expected, expBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return raw, expected, n
}

// alertsByRule reads hunt's NDJSON alerts: per rule, the sorted
// event.original of each alert's source event (its time when it has
// none, as an aggregating ES|QL rule's alerts).
func alertsByRule(t *testing.T, out []byte) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var a map[string]any
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatalf("alert: %v", err)
		}
		id, _ := a["kibana.alert.rule.rule_id"].(string)
		if id == "" {
			if k, ok := a["kibana"].(map[string]any); ok {
				id, _ = k["alert"].(map[string]any)["rule"].(map[string]any)["rule_id"].(string)
			}
		}
		key := ""
		if ev, ok := a["event"].(map[string]any); ok {
			key, _ = ev["original"].(string)
		}
		if key == "" {
			b, _ := json.Marshal(a["@timestamp"])
			key = "time " + string(b)
		}
		got[id] = append(got[id], key)
	}
	for _, v := range got {
		sort.Strings(v)
	}
	return got
}

func huntOnce(t *testing.T, args ...string) ([]byte, []byte) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
	all := append([]string{"hunt", "--format", "ndjson"}, args...)
	if code := Main(all, env); code != 0 && code != 1 {
		t.Fatalf("%v: exit %d\n%s", all, code, errb.String())
	}
	return out.Bytes(), errb.Bytes()
}

// TestHuntRawStreamsAsElastic hunts with Elastic's Azure rules over the
// raw records of the sign-in, audit, identity-protection, Graph and
// platform-log pipeline tests, mixed in one file (each routed by its
// category), and over the documents Elastic's pipelines made of the same
// records: every rule must alert on the same records in both.
func TestHuntRawStreamsAsElastic(t *testing.T) {
	rules := filepath.Join(sharedtestdata.Dir(t, "detection-rules"), "rules", "integrations", "azure")
	raw, expected, n := streamOracle(t)
	if n < 12 {
		t.Fatalf("only %d raw records", n)
	}
	rawOut, rawErr := huntOnce(t, "--rules", rules, raw)
	expOut, expErr := huntOnce(t, "--rules", rules, expected)
	got, want := alertsByRule(t, rawOut), alertsByRule(t, expOut)
	ids := map[string]bool{}
	for id := range got {
		ids[id] = true
	}
	for id := range want {
		ids[id] = true
	}
	for id := range ids {
		if !slices.Equal(got[id], want[id]) {
			t.Errorf("rule %s: %d alerts on the raw records, %d on Elastic's documents:\nraw: %q\nElastic: %q", id, len(got[id]), len(want[id]), got[id], want[id])
		}
	}
	total := 0
	for _, v := range want {
		total += len(v)
	}
	t.Logf("%d records; %d rules alert on Elastic's documents (%d alerts)", n, len(want), total)
	if t.Failed() {
		t.Logf("raw hunt:\n%s\nexpected hunt:\n%s", rawErr, expErr)
	}
}

// TestPrefilterChangesNothingAzureStreams: with raw records of every
// category (the pipeline tests' records of all streams, mixed), the
// prefilter, now one per stream, must not change the alerts of Elastic's
// Azure rules, nor the built-in pack's.
func TestPrefilterChangesNothingAzureStreams(t *testing.T) {
	raw, _, _ := streamOracle(t)
	sets := [][]string{nil}
	if corpus, ok := sharedtestdata.Find("detection-rules/rules/integrations/azure"); ok {
		sets = append(sets, []string{"--rules", corpus})
	}
	sample := filepath.Join(repoRoot(t), "testdata", "sample")
	files, _ := filepath.Glob(filepath.Join(sample, "*.json"))
	for _, rules := range sets {
		on, off, onErr, offErr := huntBoth(t, append(append(rules, "--quiet=false", raw), files...)...)
		if !bytes.Equal(on, off) {
			t.Errorf("rules %v: alerts differ with the prefilter (%d bytes) and without (%d bytes)", rules, len(on), len(off))
		}
		if !bytes.Equal(onErr, offErr) {
			t.Errorf("rules %v: summaries differ:\nwith:\n%s\nwithout:\n%s", rules, onErr, offErr)
		}
		if len(on) == 0 {
			t.Errorf("rules %v: no alert at all", rules)
		}
	}
}
