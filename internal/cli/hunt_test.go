package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// sampleRecords returns the raw Azure records of the bundled sample, one
// JSON object each, in file order.
func sampleRecords(t *testing.T) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "sample", "azure-activity.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var env struct{ Records []json.RawMessage }
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, env.Records...)
	}
	if len(recs) < 10 {
		t.Fatalf("sample holds %d records", len(recs))
	}
	return recs
}

// huntOut runs `vigil hunt --format ndjson ARGS...` with a fixed clock and
// returns stdout, failing the test on an exit code other than 0.
func huntOut(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
	if code := Main(append([]string{"hunt", "--format", "ndjson"}, args...), env); code != 0 {
		t.Fatalf("hunt %v: exit %d\n%s", args, code, errb.String())
	}
	return out.Bytes()
}

func alertIDs(t *testing.T, out []byte) []string {
	t.Helper()
	var ids []string
	for line := range bytes.Lines(out) {
		var doc map[string]any
		if err := json.Unmarshal(line, &doc); err != nil {
			t.Fatalf("bad alert line %q: %v", line, err)
		}
		ids = append(ids, doc["kibana.alert.uuid"].(string))
	}
	slices.Sort(ids)
	return ids
}

// TestAlertIDsStableAcrossShapesOrderAndWorkers: the same events give the
// same alert ids whatever the file's shape (envelope, NDJSON, pretty JSON
// array, gzip), the order of the records, and the number of workers; and
// for one input the output is byte-identical whatever the number of
// workers.
func TestAlertIDsStableAcrossShapesOrderAndWorkers(t *testing.T) {
	recs := sampleRecords(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var ndjson, reversed bytes.Buffer
	for _, r := range recs {
		ndjson.Write(r)
		ndjson.WriteByte('\n')
	}
	for _, r := range slices.Backward(recs) {
		reversed.Write(r)
		reversed.WriteByte('\n')
	}
	pretty, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(ndjson.Bytes())
	zw.Close()
	envelope, _ := json.Marshal(map[string]any{"records": recs})

	inputs := map[string]string{
		"envelope": write("envelope.json", envelope),
		"ndjson":   write("records.ndjson", ndjson.Bytes()),
		"reversed": write("reversed.ndjson", reversed.Bytes()),
		"pretty":   write("array.json", pretty),
		"gzip":     write("records.json.gz", gz.Bytes()),
	}
	want := alertIDs(t, huntOut(t, "--jobs", "1", inputs["envelope"]))
	if len(want) < 2 {
		t.Fatalf("the sample raised %d alerts, want several", len(want))
	}
	for name, path := range inputs {
		one := huntOut(t, "--jobs", "1", path)
		if got := alertIDs(t, one); !slices.Equal(got, want) {
			t.Errorf("%s: alert ids %v, want %v", name, got, want)
		}
		for _, jobs := range []int{2, 7} {
			if many := huntOut(t, "--jobs", strconv.Itoa(jobs), path); !bytes.Equal(one, many) {
				t.Errorf("%s: output with %d workers differs from 1 worker", name, jobs)
			}
		}
	}
}

// TestHuntManyFilesInOrder: records spread over many files and chunks come
// out in input order with any number of workers (chunk reordering).
func TestHuntManyFilesInOrder(t *testing.T) {
	recs := sampleRecords(t)
	dir := t.TempDir()
	var paths []string
	for i := range 12 {
		var b bytes.Buffer
		for j := 0; j < 40; j++ {
			// Vary the records so that each file raises distinct alerts.
			r := bytes.Replace(recs[(i*40+j)%len(recs)], []byte(`"time":"`), []byte(`"correlationId":"f`+strconv.Itoa(i)+`-`+strconv.Itoa(j)+`","time":"`), 1)
			b.Write(r)
			b.WriteByte('\n')
		}
		p := filepath.Join(dir, "part"+strconv.Itoa(i)+".json")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	one := huntOut(t, append([]string{"--jobs", "1"}, paths...)...)
	if len(alertIDs(t, one)) == 0 {
		t.Fatal("no alerts")
	}
	for _, jobs := range []string{"2", "4"} {
		if got := huntOut(t, append([]string{"--jobs", jobs}, paths...)...); !bytes.Equal(got, one) {
			t.Errorf("--jobs %s: output differs from --jobs 1", jobs)
		}
	}
}
