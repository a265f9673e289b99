package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tomlBlock is a ```toml block of a Markdown file; tableStart a table
// header line in it.
var (
	tomlBlock  = regexp.MustCompile("(?s)```toml\n(.*?)```")
	tableStart = regexp.MustCompile(`(?m)^\[+[^\]\n]*\]+\n`)
)

// FuzzServeConfig checks that no file makes the loader of vigil.toml panic:
// it gives a configuration or an error, and a configuration it accepts has
// its checks passed (a data directory, API keys that parse). Seeds: the
// examples of docs/serve.md and the configurations of the tests.
func FuzzServeConfig(f *testing.F) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "serve.md"))
	if err != nil {
		f.Fatal(err)
	}
	// One seed per table of each example, each with the top-level keys:
	// small seeds keep the fuzzer's minimization of new inputs short.
	for _, m := range tomlBlock.FindAllSubmatch(doc, -1) {
		parts := tableStart.Split(string(m[1]), -1)
		headers := tableStart.FindAllString(string(m[1]), -1)
		top := parts[0]
		f.Add([]byte(top))
		for i, body := range parts[1:] {
			f.Add([]byte(top + headers[i] + body))
		}
	}
	for _, seed := range []string{
		"data_dir = \"/tmp/v\"\n[log]\nlevel = \"debug\"\n[http]\nlisten = \"127.0.0.1:0\"\napi_keys = [\"filebeat-1:fb-s3cret\", \"logstash-1:ls-s3cret\"]\n",
		"data_dir = \"/tmp/v\"\n[http]\nlisten = \"127.0.0.1:0\"\napi_keys = [\"shipper-py:py-k3y\"]\n[[sinks]]\ntype = \"file\"\npath = \"/tmp/v/alerts.ndjson\"\n",
		"data_dir = \"/tmp/v\"\n[http]\nlisten = \"0.0.0.0:9200\"\nallow_unauthenticated = true\n",
		"data_dir = \"/tmp/v\"\n[http]\napi_keys = [\"nocolon\", \"a:b\", \"a:c\", \":x\"]\nallow_unauthenticated = true\napi_key = 1\n",
		"data_dir = \"${HOME}\"\n[http]\nbearer_token = \"${VIGIL_FUZZ_UNSET}\"\n",
		"[[inputs]]\ntype = \"kafak\"\n[[inputs]]\ntype = \"tail\"\nfrob = 1\n[[sinks]]\ntype = \"nats\"\n[rules]\nreload = \"often\"\n",
		"inputs = 3\nsinks = [1, \"x\"]\nhttp = \"x\"\n",
		"[http.x.y]\nz = 1\n[[inputs]]\n[inputs.q]\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseServeConfig("vigil.toml", data)
		if err != nil {
			if cfg != nil {
				t.Errorf("both a configuration and an error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "vigil.toml") {
				t.Errorf("error without the file name: %v", err)
			}
			return
		}
		if cfg.DataDir == "" {
			t.Error("accepted without data_dir")
		}
		if _, problems := cfg.HTTP.apiKeys(); len(problems) > 0 {
			t.Errorf("accepted with bad api_keys: %v", problems)
		}
	})
}
