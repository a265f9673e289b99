package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/state"
)

// TestServeStdinEndToEnd: `vigil serve --stdin` over the sample export
// stores the alerts a hunt reports, and ends at the end of its input.
func TestServeStdinEndToEnd(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "sample", "azure-activity.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var stderr bytes.Buffer
	// The sample's events are from 2026-03-14; the rules look back from
	// event.ingested, which serve sets on arrival, so they alert.
	env := &Env{Stdin: bytes.NewReader(sample), Stdout: &bytes.Buffer{}, Stderr: &stderr, Now: time.Now}
	out := filepath.Join(dir, "alerts.ndjson")
	if code := Main([]string{"serve", "--data-dir", dir, "--stdin", "--out", out}, env); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if b, err := os.ReadFile(out); err != nil || bytes.Count(b, []byte("\n")) != 4 {
		t.Fatalf("--out file: %v, %d lines, want 4", err, bytes.Count(b, []byte("\n")))
	}
	st, err := state.Open(context.Background(), filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.CountAlerts(context.Background())
	if err != nil || n != 4 {
		t.Fatalf("%d alerts stored (%v), want the sample's 4\n%s", n, err, stderr.String())
	}
	// Again with an exception removing bob's Run Command: nothing new, and
	// the exception file is read by serve too.
	exc := filepath.Join(dir, "exc.toml")
	os.WriteFile(exc, []byte("[[list]]\nlist_id = \"x\"\nrules = [\"*\"]\n[[list.item]]\nname = \"bob\"\n[[list.item.entry]]\nfield = \"user.name\"\noperator = \"is\"\nvalue = \"bob.ross\"\n"), 0o644)
	env.Stdin = bytes.NewReader(sample)
	if code := Main([]string{"serve", "--data-dir", t.TempDir(), "--stdin", "--exceptions", exc, "--out", out + ".2"}, env); code != 0 {
		t.Fatalf("with exceptions: exit %d\n%s", code, stderr.String())
	}
	if b, _ := os.ReadFile(out + ".2"); bytes.Count(b, []byte("\n")) != 3 || bytes.Contains(b, []byte("bob.ross")) {
		t.Fatalf("with an exception on bob: %d alerts\n%s", bytes.Count(b, []byte("\n")), b)
	}
	// Again: nothing new (dedup against the store).
	env.Stdin = bytes.NewReader(sample)
	if code := Main([]string{"serve", "--data-dir", dir, "--stdin"}, env); code != 0 {
		t.Fatalf("second run: exit %d", code)
	}
	if n2, _ := st.CountAlerts(context.Background()); n2 != 4 {
		t.Fatalf("second run: %d alerts, want 4", n2)
	}
}

// TestServeTailFollowsAFile: `vigil serve --tail` alerts on lines appended
// to a file while it runs, and resumes from its checkpoint after a restart.
func TestServeTailFollowsAFile(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "sample", "azure-activity.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(bytes.TrimSpace(sample), []byte("\n"))
	dir := t.TempDir()
	logs := filepath.Join(dir, "azure.json")
	if err := os.WriteFile(logs, lines[0], 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "alerts.ndjson")
	cfg := &serveConfig{DataDir: dir, Inputs: []inputConfig{{Type: "tail", Name: "azure", Paths: []string{filepath.Join(dir, "*.json")}}},
		Sinks: []sinkConfig{{Type: "file", Path: out}}, HTTP: httpConfig{Listen: "127.0.0.1:0"}}
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Now: time.Now}
	run := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		ready := make(chan struct{})
		go func() { errc <- serveWith(ctx, env, cfg, func(string) { close(ready) }) }()
		<-ready
		return func() {
			cancel()
			if err := <-errc; err != nil {
				t.Error(err)
			}
		}
	}
	countAlerts := func(want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, _ := os.ReadFile(out)
			n := bytes.Count(b, []byte("\n"))
			if n == want {
				return
			}
			if n > want || time.Now().After(deadline) {
				t.Fatalf("%d alerts in %s, want %d\n%s", n, out, want, env.Stderr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	stop := run()
	f, err := os.OpenFile(logs, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines[1:] {
		f.Write(l)
	}
	f.Write([]byte("\n"))
	f.Close()
	countAlerts(4)
	stop()
	// A restart reads nothing again.
	stop = run()
	time.Sleep(300 * time.Millisecond)
	countAlerts(4)
	stop()
}

// TestServeBulkIngest: events posted to the _bulk API of `vigil serve`
// alert, the response waits for the alerts to be stored, and the API
// requires the configured token.
func TestServeBulkIngest(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "alerts.ndjson")
	cfg := &serveConfig{DataDir: dir, Sinks: []sinkConfig{{Type: "file", Path: out}},
		HTTP: httpConfig{Listen: "127.0.0.1:0", BearerToken: "t0ken"}}
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	addrc := make(chan string, 1)
	go func() { errc <- serveWith(ctx, env, cfg, func(a string) { addrc <- a }) }()
	addr := <-addrc
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}()
	now := time.Now().UTC().Format(time.RFC3339)
	doc := `{"@timestamp":"` + now + `","event":{"dataset":"azure.activitylogs","outcome":"success"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"}},"user":{"name":"mallory"}}`
	body := `{"create":{"_index":"logs-azure.activitylogs-default"}}` + "\n" + doc + "\n" + `{"create":{}}` + "\n" + "oops\n"
	for _, token := range []string{"", "wrong"} {
		req, _ := http.NewRequest("POST", "http://"+addr+"/_bulk", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("token %q: %d, want 401", token, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/_bulk", strings.NewReader(body))
	req.Header.Set("Authorization", "ApiKey t0ken")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"errors":true`) || !strings.Contains(string(b), `"status":201`) {
		t.Fatalf("bulk: %d %s", resp.StatusCode, b)
	}
	// Metrics: the ingest input, the rules, the file sink.
	mreq, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
	mreq.Header.Set("Authorization", "Bearer t0ken")
	mresp, err := http.DefaultClient.Do(mreq)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{`vigil_events_total{input="bulk"} 1`, `vigil_rules{status="runnable"} 8`, `vigil_sink_alerts_written_total{sink="file `} {
		if !strings.Contains(string(mb), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, mb)
		}
	}
	// The response came after the alert was stored and written.
	if data, _ := os.ReadFile(out); !bytes.Contains(data, []byte(`"kibana.alert.rule.name":"Azure Command Execution on Virtual Machine"`)) {
		t.Fatalf("no alert in %s when the bulk response came: %s", out, data)
	}
}

// TestServeMappingsKey: the config key mappings (and --mapping) names index
// mappings; a malformed one stops serve with its position.
func TestServeMappingsKey(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "sample", "azure-activity.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"properties": {"app": {"properties": {"bytes": {"type": "long"}}}}}`), 0o644)
	os.WriteFile(bad, []byte("{\"properties\": {\n\"a\": {\"type\": 1}}}"), 0o644)
	for _, tt := range []struct {
		mapping string
		code    int
		stderr  string
	}{
		{good, 0, ""},
		{bad, 1, "bad.json:2:15: a: \"type\" must be a string"},
	} {
		cfg := filepath.Join(dir, "vigil.toml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir = %q\nmappings = [%q]\n", t.TempDir(), tt.mapping)), 0o644)
		var stderr bytes.Buffer
		env := &Env{Stdin: bytes.NewReader(sample), Stdout: &bytes.Buffer{}, Stderr: &stderr, Now: time.Now}
		out := filepath.Join(t.TempDir(), "alerts.ndjson")
		code := Main([]string{"serve", "--config", cfg, "--stdin", "--out", out}, env)
		if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("mappings = [%s]: exit %d, want %d; stderr %s, want %q", filepath.Base(tt.mapping), code, tt.code, stderr.String(), tt.stderr)
		}
		if code == 0 {
			if b, _ := os.ReadFile(out); bytes.Count(b, []byte("\n")) != 4 {
				t.Errorf("with a mapping: %d alerts, want the sample's 4", bytes.Count(b, []byte("\n")))
			}
		}
	}
}
