package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// TestProgressOnTerminal runs `vigil hunt` with its stderr on a
// pseudo-terminal and checks the progress bar is drawn there, with the
// bytes of the input, events per second and the true count of alerts so
// far, then erased before the summary; stdout, a pipe, gets only alerts.
func TestProgressOnTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	defer ptmx.Close()
	sample := filepath.Join(repoRoot(t), "testdata", "sample", "azure-activity.json")
	// 3 MB of events no rule matches after the sample: several chunks,
	// so that the bar is drawn before the end.
	big := filepath.Join(t.TempDir(), "big.ndjson")
	var b strings.Builder
	for i := range 15000 {
		fmt.Fprintf(&b, `{"@timestamp":"2026-03-14T10:00:00Z","event":{"action":"noise-%d"},"message":"%s"}`+"\n", i, strings.Repeat("x", 120))
	}
	if err := os.WriteFile(big, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// `vigil` is this test binary (TestMain puts it on PATH).
	cmd := exec.Command("vigil", "hunt", "--format", "ndjson", sample, big)
	cmd.Env = append(os.Environ(), "VIGIL_PROGRESS_AFTER=0s")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = tty
	term := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ptmx) // EIO once the child is gone
		term <- b
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("vigil hunt: %v", err)
	}
	out := string(<-term)
	// The first chunk is the sample's: 70 events, 4 alerts, a small
	// part of the bytes (later chunks may come too fast to be drawn).
	for _, want := range []string{"70 events, ", "events/s", "4 alerts so far", "% |", "\x1b[2K"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal did not get %q:\n%q", want, out)
		}
	}
	// Bytes read of the total: "(116 kB/3.2 MB".
	if !regexp.MustCompile(`\(\d+(\.\d+)? [kM]B/3\.\d MB`).MatchString(out) {
		t.Errorf("the terminal did not get the bytes read of the total:\n%q", out)
	}
	// The bar is erased before the summary, which comes after it.
	bar := strings.Index(out, "so far")
	summary := strings.Index(out, "vigil hunt: read 15070 events")
	if bar < 0 || summary < bar || !strings.Contains(out[bar:summary], "\x1b[2K") {
		t.Errorf("the bar is not erased before the summary:\n%q", out)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 4 || strings.Contains(stdout.String(), "\x1b") {
		t.Errorf("stdout: %d lines (want the 4 alerts), escapes: %v", n, strings.Contains(stdout.String(), "\x1b"))
	}
}

// TestSearchProgressBetweenResults runs `vigil search` with stdout and
// stderr on one pseudo-terminal: the bar is drawn, and every result line
// arrives whole, never cut by it.
func TestSearchProgressBetweenResults(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	defer ptmx.Close()
	big := filepath.Join(t.TempDir(), "big.ndjson")
	var b strings.Builder
	for i := range 15000 {
		fmt.Fprintf(&b, `{"@timestamp":"2026-03-14T10:00:00Z","event":{"action":"noise-%d"},"message":"%s"}`+"\n", i, strings.Repeat("x", 120))
	}
	if err := os.WriteFile(big, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("vigil", "search", "event.action:noise-1*", big)
	cmd.Env = append(os.Environ(), "VIGIL_PROGRESS_AFTER=0s")
	cmd.Stdout, cmd.Stderr = tty, tty
	term := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ptmx)
		term <- b
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("vigil search: %v", err)
	}
	out := string(<-term)
	if !strings.Contains(out, "matches so far") {
		t.Errorf("no progress bar on the terminal:\n%.2000q", out)
	}
	results := 0
	for _, line := range strings.Split(out, "\r\n") {
		if i := strings.Index(line, `{"@timestamp"`); i >= 0 {
			results++
			if rest := line[i:]; !strings.HasSuffix(rest, `"}`) || strings.Contains(rest, "\x1b") || strings.Contains(rest, "%") {
				t.Errorf("a result cut by the bar: %q", line)
				break
			}
		}
	}
	if results != 6111 {
		t.Errorf("%d results on the terminal, want 6111 (noise-1, -1x, -1xx, -1xxx, -1xxxx)", results)
	}
}
