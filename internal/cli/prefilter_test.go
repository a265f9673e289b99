package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/bench/gen"
	"github.com/vigil-project/vigil/internal/geoip/geoiptest"
)

// huntBoth runs a hunt with and without the raw-record prefilter and
// returns stdout and stderr of each.
func huntBoth(t *testing.T, args ...string) (on, off, onErr, offErr []byte) {
	t.Helper()
	run := func(extra ...string) ([]byte, []byte) {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
		all := append(append([]string{"hunt", "--format", "ndjson"}, extra...), args...)
		if code := Main(all, env); code != 0 {
			t.Fatalf("%v: exit %d\n%s", all, code, errb.String())
		}
		return out.Bytes(), errb.Bytes()
	}
	on, onErr = run()
	off, offErr = run("--prefilter=false")
	return
}

// The prefilter skips normalizing raw records no rule could match: the
// alerts and the summary must be those of normalizing every record, on
// the benchmark's mixed data (raw envelopes with planted matches) with the
// built-in pack and with Elastic's corpus.
func TestPrefilterChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mixed.ndjson")
	st, err := gen.WriteFile(path, gen.Options{Events: 20_000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if st.ByKind["raw azure activity"] == 0 {
		t.Fatal("the data set has no raw records")
	}
	sets := [][]string{nil}
	corpus := filepath.Join(repoRoot(t), "..", "shared", "testdata", "detection-rules", "rules")
	if _, err := os.Stat(corpus); err == nil {
		sets = append(sets, []string{"--rules", corpus})
	} else {
		t.Log("../shared/testdata/detection-rules absent: checking the built-in pack only")
	}
	// With GeoIP databases over the data set's caller ranges, rules on
	// source.as and source.geo can match raw records: the prefilter must
	// let them through.
	city, asn := geoiptest.Documentation(t, t.TempDir())
	var geo []string
	for _, rules := range sets {
		sets = append(sets, append(slices.Clip(rules), "--geoip-db", city, "--geoip-db", asn))
	}
	for _, rules := range sets {
		on, off, onErr, offErr := huntBoth(t, append(rules, "--quiet=false", path)...)
		if slices.Contains(rules, "--geoip-db") {
			geo = append(geo, string(on))
		}
		if len(on) == 0 {
			t.Fatalf("rules %v: no alert at all", rules)
		}
		if !bytes.Equal(on, off) {
			t.Errorf("rules %v: alerts differ with the prefilter (%d bytes) and without (%d bytes)", rules, len(on), len(off))
		}
		// The note on lines not parsed is the only difference allowed.
		onErr = regexp.MustCompile(`(?m)^    \(of the events read, \d+ held none.*\n`).ReplaceAll(onErr, nil)
		if !bytes.Equal(onErr, offErr) {
			t.Errorf("rules %v: summaries differ:\nwith:\n%s\nwithout:\n%s", rules, onErr, offErr)
		}
	}
	// Rules that all have literals let the line filter skip documents
	// already in ECS unparsed: the alerts must be the same, and the
	// summary's count of events read. (Its "no alert" lines speak of the
	// events parsed, so they may differ.)
	if _, err := os.Stat(corpus); err == nil {
		for _, sub := range []string{"windows", "linux", "integrations/azure"} {
			on, off, onErr, offErr := huntBoth(t, "--rules", filepath.Join(corpus, sub), "--quiet=false", path)
			if len(on) == 0 {
				t.Errorf("corpus %s: no alert at all", sub)
			}
			if !bytes.Equal(on, off) {
				t.Errorf("corpus %s: alerts differ with the prefilter (%d bytes) and without (%d bytes)", sub, len(on), len(off))
			}
			first := func(b []byte) string { l, _, _ := strings.Cut(string(b), "\n"); return l }
			if first(onErr) != first(offErr) {
				t.Errorf("corpus %s: summaries differ:\nwith:    %s\nwithout: %s", sub, first(onErr), first(offErr))
			}
		}
	}
	// GeoIP on ECS documents writes fields the text does not hold.
	on, off, _, _ := huntBoth(t, "--rules", filepath.Join(repoRoot(t), "rules"), "--geoip-db", city, "--geoip-db", asn, "--geoip-ecs", path)
	if !bytes.Equal(on, off) {
		t.Errorf("--geoip-ecs: alerts differ with the prefilter (%d bytes) and without (%d bytes)", len(on), len(off))
	}
	enriched := 0
	for _, out := range geo {
		enriched += strings.Count(out, `"number":64500`) + strings.Count(out, `"number":64501`)
	}
	t.Logf("%d alerts with GeoIP databases carry source.as", enriched)
	if enriched == 0 {
		t.Error("no alert with GeoIP databases carries source.as")
	}
}

func TestNamesOperation(t *testing.T) {
	cases := map[string]bool{
		`{"operationName":"x"}`:                 true,
		`{"a":"NN","operationName":1}`:          true,
		`{"operationname":"x"}`:                 false,
		`{"OperationName":"x"}`:                 false,
		`N"operationNam`:                        false,
		`"operationName"`:                       true,
		`{"properties":{"operationName":"x"}}`:  true, // StreamOf then reads the top level
		`{"x":"operationName is not a key...N"`: false,
	}
	var block []byte
	var pieces [][2]int
	for s, want := range cases {
		if got := indexOpName([]byte(s), 0) >= 0; got != want {
			t.Errorf("indexOpName(%s) >= 0 is %v, want %v", s, got, want)
		}
		pieces = append(pieces, [2]int{len(block), len(block) + len(s)})
		block = append(append(block, s...), '\n')
	}
	// The same pieces in one block, asked for in order, then once more
	// from the start (going back).
	var w worker
	w.plain.Reset(block)
	w.ops.reset(block)
	for range 2 {
		for _, p := range pieces {
			piece := block[p[0]:p[1]]
			if got, want := w.namesOperation(piece), cases[string(piece)]; got != want {
				t.Errorf("in a block, namesOperation(%s) = %v, want %v", piece, got, want)
			}
		}
	}
	if !w.namesOperation([]byte(`{"operationName":1}`)) {
		t.Error("namesOperation of a text outside the block is false")
	}
}

// The line filter's plain scan (engine.PlainScan) looks at a whole block
// for the escapes and characters that make a line need its full check:
// lines that spell the seed rule's literal with escapes must still alert,
// beside plain lines, Windows paths and envelopes in the same block, and
// the hunt must say what the hunt without the prefilter says.
func TestPrefilterPlainScanInBlock(t *testing.T) {
	const doc = `{"@timestamp":"2026-03-12T00:02:0%dZ","azure":{"activitylogs":{"operation_name":"%s","result_type":"Success"}},` +
		`"data_stream":{"dataset":"azure.activitylogs","namespace":"default","type":"logs"},` +
		`"event":{"action":"%[2]s","dataset":"azure.activitylogs","outcome":"%s"},"process":{"executable":"C:\\Windows\\System32\\%s"},"user":{"name":"u%[1]d"}}`
	const raw = `{"time":"2026-03-12T00:09:5%dZ","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM-%[1]d",` +
		`"operationName":"%s","category":"Administrative","resultType":"%s","callerIpAddress":"198.51.100.%[1]d","identity":{"claims":{"name":"c:\\users\\%s"}}}`
	const action = "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"
	escaped := strings.ReplaceAll(action, "/", `\/`)
	spelled := strings.Replace(action, "RUN", `\u0052UN`, 1)
	var b strings.Builder
	line := func(format string, args ...any) { b.WriteString(fmt.Sprintf(format, args...) + "\n") }
	for i := range 3 { // one block, its lines in order
		line(doc, 1, action, "success", "cmd.exe")                                                                             // plain, alerts
		line(doc, 2, "MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE", "success", "x")                                                // plain, skipped
		line(doc, 3, escaped, "success", "ps.exe")                                                                             // \/ escapes: alerts
		line(doc, 4, spelled, "success", "sh")                                                                                 // \u escape: alerts
		line(doc, 5, "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACT\u0131ON", "success", "y")                               // ı: parsed, no alert
		line(`{"records":[%s,%s]}`, fmt.Sprintf(raw, 6, action, "Success", "a"), fmt.Sprintf(raw, 7, escaped, "Success", "b")) // both alert
		line(`{"records":[%s,%s]}`, fmt.Sprintf(raw, 8, "MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE", "Success", `c\\u`), fmt.Sprintf(raw, 9, spelled, "Start", "d"))
		line(doc, 6+i, action, "failure", `d\\u0041`) // fails on its outcome
	}
	path := filepath.Join(t.TempDir(), "escapes.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	on, off, onErr, offErr := huntBoth(t, "--rules", filepath.Join(repoRoot(t), "rules", "azure", "execution_vm_run_command.toml"), "--quiet=false", path)
	if !bytes.Equal(on, off) {
		t.Errorf("alerts differ: %d with the prefilter, %d without", bytes.Count(on, []byte("\n")), bytes.Count(off, []byte("\n")))
	}
	// Each spelling alerts once (alerts are de-duplicated by event):
	// the plain, \/ and \u documents, the two raw records.
	if n := bytes.Count(on, []byte("\n")); n != 5 {
		t.Errorf("%d alerts, want 5", n)
	}
	onErr = regexp.MustCompile(`(?m)^    \(of the events read, \d+ held none.*\n`).ReplaceAll(onErr, nil)
	if !bytes.Equal(onErr, offErr) {
		t.Errorf("summaries differ:\nwith:\n%s\nwithout:\n%s", onErr, offErr)
	}
}
