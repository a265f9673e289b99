package cli

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/bench/gen"
)

// hunt runs `vigil hunt --format ndjson ARGS...` with a fixed clock and
// stdin, returning stdout, stderr and the exit code.
func hunt(stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	env := &Env{Stdin: stdin, Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
	code = Main(append([]string{"hunt", "--format", "ndjson", "--quiet=false"}, args...), env)
	return out.String(), errb.String(), code
}

// shapes writes the benchmark's mixed data set (raw envelopes with
// planted matches among ECS documents) as NDJSON, as one JSON array and as
// one {"records":[...]} envelope of the same events.
func shapes(t *testing.T, events int) (ndjson, array, envelope string) {
	t.Helper()
	dir := t.TempDir()
	ndjson = filepath.Join(dir, "events.ndjson")
	if _, err := gen.WriteFile(ndjson, gen.Options{Events: events, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	write := func(name string, shape gen.Shape) string {
		in, err := os.Open(ndjson)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		var b bytes.Buffer
		if _, err := gen.WriteDocument(&b, in, shape); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return ndjson, write("events.json", gen.Array), write("envelope.json", gen.Envelope)
}

// The same events as NDJSON, as a top-level array and as one envelope give
// byte-identical alerts and summaries, with one worker or two.
func TestHuntDocumentsMatchNDJSON(t *testing.T) {
	nd, arr, env := shapes(t, 5000)
	want, wantErr, code := hunt(nil, nd)
	if code != 0 || want == "" {
		t.Fatalf("NDJSON hunt: exit %d, %d bytes of alerts\n%s", code, len(want), wantErr)
	}
	for _, in := range []string{arr, env} {
		for _, jobs := range []string{"1", "2"} {
			got, gotErr, code := hunt(nil, "--jobs", jobs, in)
			if code != 0 || got != want || gotErr != wantErr {
				t.Errorf("%s, --jobs %s: exit %d, alerts equal: %v, summary:\n%s\nwant:\n%s", filepath.Base(in), jobs, code, got == want, gotErr, wantErr)
			}
		}
	}
}

// A broken record in the middle of NDJSON or of an array costs that
// record only, reported with its file, line and column.
func TestHuntLosesOnlyTheBrokenRecord(t *testing.T) {
	nd, arr, _ := shapes(t, 2000)
	read := regexp.MustCompile(`read (\d+) events`)
	_, sumErr, _ := hunt(nil, nd)
	total := read.FindStringSubmatch(sumErr)
	if total == nil {
		t.Fatalf("no summary:\n%s", sumErr)
	}
	// Line 1000 of each file is cut in the middle: the NDJSON line loses
	// its end, the array element too (its next line starts the next one).
	breakLine := func(path string) string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		lines[999] = lines[999][:len(lines[999])/2]
		p := path + ".broken"
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		path  string
		where string
	}{
		{breakLine(nd), `events\.ndjson\.broken:1000:\d+: malformed JSON`},
		{breakLine(arr), `events\.json\.broken:1000:\d+: record 998: malformed JSON`},
	} {
		_, stderr, code := hunt(nil, tt.path)
		if code != 1 || !regexp.MustCompile(tt.where).MatchString(stderr) || !strings.Contains(stderr, "1 bad record skipped") {
			t.Errorf("%s: exit %d:\n%s", filepath.Base(tt.path), code, stderr)
		}
		m := read.FindStringSubmatch(stderr)
		if m == nil || m[1] == total[1] {
			t.Errorf("%s: %v events read, the whole file has %s", filepath.Base(tt.path), m, total[1])
		}
		// The NDJSON line may be an envelope of up to four records; the
		// array loses exactly one.
		var got, all int
		for _, c := range []struct {
			s string
			n *int
		}{{m[1], &got}, {total[1], &all}} {
			for _, d := range c.s {
				*c.n = *c.n*10 + int(d-'0')
			}
		}
		if lost := all - got; lost < 1 || lost > 4 || (strings.HasSuffix(tt.path, ".json.broken") && lost != 1) {
			t.Errorf("%s: %d events lost", filepath.Base(tt.path), lost)
		}
	}
}

// A gzip file cut short: the records before the cut are hunted, the cut is
// reported as a truncated gzip, not as malformed JSON.
func TestHuntTruncatedGzip(t *testing.T) {
	nd, arr, _ := shapes(t, 2000)
	for _, path := range []string{nd, arr} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		gz := path + ".gz"
		if err := os.WriteFile(gz, z.Bytes()[:z.Len()/2], 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := hunt(nil, gz)
		if code != 1 || !regexp.MustCompile(regexp.QuoteMeta(filepath.Base(gz))+`:\d+:\d+: truncated gzip: the compressed data ends after \d+ bytes`).MatchString(stderr) ||
			strings.Contains(stderr, "malformed") || !regexp.MustCompile(`read [1-9]\d+ events`).MatchString(stderr) {
			t.Errorf("%s: exit %d:\n%s", filepath.Base(gz), code, stderr)
		}
	}
}

// arrayStream is a top-level JSON array of n generated events, read on the
// fly; it samples the live heap as it goes.
type arrayStream struct {
	left     int
	buf      []byte
	peak     uint64
	sample   []metrics.Sample
	started  bool
	sinceObs int
}

func (s *arrayStream) Read(p []byte) (int, error) {
	if len(s.buf) == 0 {
		switch {
		case !s.started:
			s.started = true
			s.buf = append(s.buf, "[\n"...)
		case s.left == 0:
			return 0, io.EOF
		case s.left == 1:
			s.buf = append(s.buf, `{"@timestamp":"2026-03-14T09:23:42Z","event":{"action":"last"}}`+"\n]\n"...)
			s.left--
		default:
			for range 1000 {
				s.buf = append(s.buf, `{"@timestamp":"2026-03-14T09:23:42Z","event":{"dataset":"azure.activitylogs","action":"MICROSOFT.COMPUTE/VIRTUALMACHINES/READ"},"message":"`...)
				s.buf = append(s.buf, strings.Repeat("m", 400)...)
				s.buf = append(s.buf, "\"},\n"...)
			}
			s.left -= 1000
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	if s.sinceObs += n; s.sinceObs > 4<<20 {
		s.sinceObs = 0
		metrics.Read(s.sample)
		s.peak = max(s.peak, s.sample[0].Value.Uint64())
	}
	return n, nil
}

// A large array on stdin is hunted in flat memory: the live heap stays far
// below the input's size (it used to hold the whole input, several times).
func TestHuntArrayOnStdinIsBounded(t *testing.T) {
	const events = 200_001 // about 100 MB
	s := &arrayStream{left: events, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	// The live heap is the process's: what earlier tests left (until a
	// collection) is not this hunt's.
	runtime.GC()
	metrics.Read(s.sample)
	base := s.sample[0].Value.Uint64()
	_, stderr, code := hunt(s, "-")
	if code != 0 || !strings.Contains(stderr, "read 200001 events") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	grown := s.peak - min(base, s.peak)
	if grown > 48<<20 {
		t.Errorf("live heap grew by %d MiB over a 100 MB array (from %d MiB)", grown>>20, base>>20)
	}
	t.Logf("live heap grew by %d MiB at most (from %d MiB)", grown>>20, base>>20)
}
