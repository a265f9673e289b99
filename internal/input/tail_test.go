package input

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/source"
	"github.com/vigil-project/vigil/internal/state"
)

// tailer runs a Tail and collects the records it sends, acking each batch
// with ack (nil: success).
type tailer struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan error
	recs   chan source.Record
	once   sync.Once
}

func startTail(t *testing.T, opts TailOptions, ack func(source.Batch) error) *tailer {
	t.Helper()
	opts.Poll = 5 * time.Millisecond
	tl, err := NewTail(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr := &tailer{t: t, cancel: cancel, done: make(chan error, 1), recs: make(chan source.Record, 10000)}
	out := make(chan source.Batch)
	go func() { tr.done <- tl.Run(ctx, out) }()
	go func() {
		for {
			select {
			case b := <-out:
				err := error(nil)
				if ack != nil {
					err = ack(b)
				}
				if err == nil {
					for _, r := range b.Records {
						tr.recs <- r
					}
				}
				b.Ack(err)
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(tr.stop)
	return tr
}

func (tr *tailer) stop() {
	tr.once.Do(func() {
		tr.cancel()
		select {
		case <-tr.done:
		case <-time.After(5 * time.Second):
			tr.t.Error("tail did not stop")
		}
	})
}

// want waits for n records and returns their data.
func (tr *tailer) want(n int) []string {
	tr.t.Helper()
	var got []string
	deadline := time.After(5 * time.Second)
	for len(got) < n {
		select {
		case r := <-tr.recs:
			got = append(got, string(r.Data))
		case <-deadline:
			tr.t.Fatalf("got %d records %v, want %d", len(got), got, n)
		}
	}
	return got
}

// none checks that no record arrives for a while.
func (tr *tailer) none() {
	tr.t.Helper()
	select {
	case r := <-tr.recs:
		tr.t.Fatalf("unexpected record %s (%s)", r.Data, r.Origin)
	case <-time.After(100 * time.Millisecond):
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func lines(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "{\"n\":%d}\n", i)
	}
	return b.String()
}

func expect(from, to int) string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("{\"n\":%d}", i))
	}
	return strings.Join(out, " ")
}

func TestTailFollowsPartialLinesNewFilesAndRotation(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	appendTo(t, a, lines(1, 3))
	tr := startTail(t, TailOptions{Paths: []string{filepath.Join(dir, "*.json")}, Index: "logs-x"}, nil)
	if got := strings.Join(tr.want(3), " "); got != expect(1, 3) {
		t.Fatalf("got %s", got)
	}
	appendTo(t, a, `{"n":4`)
	tr.none() // a partial line waits
	appendTo(t, a, "}\n"+lines(5, 5))
	if got := strings.Join(tr.want(2), " "); got != expect(4, 5) {
		t.Fatalf("got %s", got)
	}
	// A new matching file.
	b := filepath.Join(dir, "b.json")
	appendTo(t, b, lines(100, 101))
	if got := strings.Join(tr.want(2), " "); got != expect(100, 101) {
		t.Fatalf("got %s", got)
	}
	// Rename rotation: the writer adds to the old file, then the new one.
	if err := os.Rename(a, a+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, a+".1", lines(6, 7))
	appendTo(t, a, lines(8, 9))
	got := tr.want(4)
	if strings.Join(got, " ") != expect(6, 9) && !(contains(got, expect(6, 7)) && contains(got, expect(8, 9))) {
		t.Fatalf("after rotation got %v", got)
	}
	tr.none()
}

func contains(got []string, want string) bool {
	j := strings.Join(got, " ")
	return strings.Contains(j, strings.Split(want, " ")[0]) && strings.Contains(j, strings.Split(want, " ")[1])
}

func TestTailCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	appendTo(t, a, lines(1, 5))
	tr := startTail(t, TailOptions{Paths: []string{a}}, nil)
	tr.want(5)
	if err := os.Truncate(a, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, a, lines(6, 6))
	if got := strings.Join(tr.want(1), " "); got != expect(6, 6) {
		t.Fatalf("after truncation got %s", got)
	}
}

func TestTailCheckpointsResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	st, err := state.Open(context.Background(), filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := filepath.Join(dir, "a.json")
	appendTo(t, a, lines(1, 4))
	opts := TailOptions{Name: "azure", Paths: []string{a}, Checkpoints: st, BatchLines: 2}
	tr := startTail(t, opts, nil)
	tr.want(4)
	tr.stop()

	appendTo(t, a, lines(5, 6))
	// The second run fails its first batch once: it must come again.
	failed := false
	tr = startTail(t, opts, func(b source.Batch) error {
		if !failed {
			failed = true
			return errors.New("sink down")
		}
		return nil
	})
	if got := strings.Join(tr.want(2), " "); got != expect(5, 6) {
		t.Fatalf("after restart got %s, want only the new lines", got)
	}
	tr.none()
	tr.stop()

	// A third run with nothing new reads nothing.
	tr = startTail(t, opts, nil)
	tr.none()
}

func TestTailSkipsTooLongLines(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	appendTo(t, a, lines(1, 1)+`{"big":"`+strings.Repeat("x", 200<<10)+"\"}\n"+lines(2, 2))
	tr := startTail(t, TailOptions{Paths: []string{a}, MaxLine: 100 << 10}, nil)
	if got := strings.Join(tr.want(2), " "); got != expect(1, 2) {
		t.Fatalf("got %s", got)
	}
}

func TestTailStartAtEnd(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	appendTo(t, a, lines(1, 3))
	tr := startTail(t, TailOptions{Paths: []string{a}, StartAt: "end"}, nil)
	tr.none()
	appendTo(t, a, lines(4, 4))
	if got := strings.Join(tr.want(1), " "); got != expect(4, 4) {
		t.Fatalf("got %s", got)
	}
	if _, err := NewTail(TailOptions{Paths: []string{a}, StartAt: "middle"}); err == nil {
		t.Error("start_at middle accepted")
	}
}
