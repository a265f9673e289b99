package gen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func generate(t *testing.T, o Options) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Write(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

func TestDeterministic(t *testing.T) {
	a, sa := generate(t, Options{Seed: 7, Events: 2000})
	b, sb := generate(t, Options{Seed: 7, Events: 2000})
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with seed 7 differ")
	}
	if sa.Bytes != sb.Bytes || sa.Events != sb.Events || sa.Lines != sb.Lines {
		t.Fatalf("stats differ: %+v vs %+v", sa, sb)
	}
	c, _ := generate(t, Options{Seed: 8, Events: 2000})
	if bytes.Equal(a, c) {
		t.Fatal("seeds 7 and 8 give the same data")
	}
	// A prefix of a larger set is not required, but the count must be exact.
	_, s3 := generate(t, Options{Seed: 7, Events: 2003})
	if s3.Events != 2003 {
		t.Fatalf("asked for 2003 events, got %d", s3.Events)
	}
}

// lines decodes every line and counts events: an envelope's records, or 1.
func lines(t *testing.T, data []byte) (docs []map[string]any, events int) {
	t.Helper()
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		if recs, ok := m["records"].([]any); ok {
			if len(m) != 1 || len(recs) == 0 {
				t.Fatalf("line %d: an envelope holds only a non-empty records array: %s", i+1, line)
			}
			events += len(recs)
		} else {
			events++
		}
		docs = append(docs, m)
	}
	return docs, events
}

func TestValidJSONLines(t *testing.T) {
	data, st := generate(t, Options{Seed: 1, Events: 2000})
	docs, events := lines(t, data)
	if events != 2000 || st.Events != 2000 || len(docs) != st.Lines || int64(len(data)) != st.Bytes {
		t.Fatalf("events %d (stats %d), lines %d (stats %d), bytes %d (stats %d)", events, st.Events, len(docs), st.Lines, len(data), st.Bytes)
	}
	if avg := float64(st.Bytes) / float64(st.Events); avg < 600 || avg > 720 {
		t.Errorf("average event size %.0f bytes, want about 600-700", avg)
	}
	for _, kind := range []string{"azure.activitylogs", "azure.signinlogs", "azure.auditlogs", "endpoint.events.process", rawKind} {
		if st.ByKind[kind] < 2000/50 {
			t.Errorf("only %d events of kind %s in 2000", st.ByKind[kind], kind)
		}
	}
	// ECS documents carry their data stream and both timestamps.
	for _, m := range docs {
		if _, raw := m["records"]; raw {
			continue
		}
		ds, _ := m["data_stream"].(map[string]any)
		ev, _ := m["event"].(map[string]any)
		if ds["dataset"] == nil || ds["type"] != "logs" || m["@timestamp"] == nil || ev["ingested"] == nil || ev["dataset"] != ds["dataset"] {
			t.Fatalf("ECS document without data_stream, @timestamp or event.ingested: %v", m)
		}
	}
	planted := 0
	for _, n := range st.Planted {
		planted += n
	}
	if planted == 0 || planted > 2000/20 {
		t.Errorf("%d of 2000 events planted to match rules, want about 1%%", planted)
	}
}

func TestRawDataSet(t *testing.T) {
	data, st := generate(t, Options{Seed: 3, Events: 1000, Raw: true})
	docs, events := lines(t, data)
	if events != 1000 || st.ByKind[rawKind] != 1000 {
		t.Fatalf("raw data set: %d events, by kind %v", events, st.ByKind)
	}
	for _, m := range docs {
		for _, r := range m["records"].([]any) {
			rec := r.(map[string]any)
			op, _ := rec["operationName"].(string)
			if op == "" || op != strings.ToUpper(op) || rec["time"] == nil || rec["resultType"] == nil {
				t.Fatalf("raw record without an upper-case operationName, time or resultType: %v", rec)
			}
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"plain", `C:\Windows\"x"`, "tab\tnl\nnul\x00", "héllo", "bad\xffbyte"} {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if got != want {
			t.Errorf("%q round-trips to %q", s, got)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		st, err := Write(&buf, Options{Events: 10_000})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(st.Bytes)
	}
}
