package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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
	// Again: nothing new (dedup against the store).
	env.Stdin = bytes.NewReader(sample)
	if code := Main([]string{"serve", "--data-dir", dir, "--stdin"}, env); code != 0 {
		t.Fatalf("second run: exit %d", code)
	}
	if n2, _ := st.CountAlerts(context.Background()); n2 != 4 {
		t.Fatalf("second run: %d alerts, want 4", n2)
	}
}
