package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pythonWithES finds a python3 that imports Elastic's client: the one on
// PATH, else Debian's (/usr/bin/python3, where python3-elasticsearch
// installs it). The test skips without one, unless VIGIL_REQUIRE_PYES=1.
func pythonWithES(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		tried = append(tried, path)
		if exec.Command(path, "-c", "import elasticsearch").Run() == nil {
			return path
		}
	}
	msg := "no python3 with the elasticsearch module (apt-get install python3-elasticsearch); tried " + strings.Join(tried, ", ")
	if os.Getenv("VIGIL_REQUIRE_PYES") == "1" {
		t.Fatal(msg + ", and VIGIL_REQUIRE_PYES=1")
	}
	t.Skip(msg)
	return ""
}

// TestServePythonClient: Elastic's Python client ships to the ingest API of
// `vigil serve` with api_key=(id, key) against a config holding "id:key";
// the documents alert; a wrong key gets 401, which the client raises as
// AuthenticationException.
func TestServePythonClient(t *testing.T) {
	python := pythonWithES(t)
	cfg, err := loadConfigText(t, `
data_dir = "DIR"
[http]
listen = "127.0.0.1:0"
api_keys = ["shipper-py:py-k3y", "other:0ther"]
[[sinks]]
type = "file"
path = "DIR/alerts.ndjson"
`)
	if err != nil {
		t.Fatal(err)
	}
	addr, log := startServe(t, cfg)

	now := time.Now().UTC().Format(time.RFC3339)
	docs := strings.Join([]string{
		`{"@timestamp":"` + now + `","event":{"dataset":"azure.activitylogs","outcome":"success"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"}},"user":{"name":"mallory"}}`,
		`{"@timestamp":"` + now + `","event":{"dataset":"azure.activitylogs"},"message":"quiet 1"}`,
		`{"@timestamp":"` + now + `","event":{"dataset":"azure.activitylogs"},"message":"quiet 2"}`,
	}, "\n") + "\n"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "pyes", "ship.py"), "http://"+addr, "shipper-py", "py-k3y", "py-k3z")
	cmd.Stdin = strings.NewReader(docs)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ship.py: %v\n%s\nserve's log:\n%s", err, stderr.String(), log)
	}
	var got struct {
		Version  string `json:"version"`
		Indexed  int    `json:"indexed"`
		Errors   []any  `json:"errors"`
		WrongKey string `json:"wrong_key"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("ship.py printed %s: %v\n%s", out, err, stderr.String())
	}
	want := got
	want.Version, want.Indexed, want.Errors = "8.19.0", 3, []any{}
	want.WrongKey = "AuthenticationException 401 security_exception"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ship.py (-want +got):\n%s\nstderr: %s", diff, stderr.String())
	}

	// The events went through the engine: the one that should alert did.
	req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
	req.Header.Set("Authorization", apiKeyHeader("other:0ther"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `vigil_events_total{input="bulk"} 3`) {
		t.Errorf("/metrics: %d\n%s", resp.StatusCode, metrics)
	}
	alerts, _ := os.ReadFile(filepath.Join(cfg.DataDir, "alerts.ndjson"))
	if !bytes.Contains(alerts, []byte(`"kibana.alert.rule.name":"Azure Command Execution on Virtual Machine"`)) {
		t.Errorf("no alert from the shipped documents: %s", alerts)
	}
}
