package tail

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stoppedMidFile runs a tail with checkpoints over dir/in.json holding
// old-1..old-20, acknowledges old-1..old-10, leaves old-11..old-15 in flight
// and stops. It returns the options for the next run.
func stoppedMidFile(t *testing.T, dir string) (Options, *logBuffer) {
	t.Helper()
	store := openStore(t, filepath.Join(dir, "state.db"))
	path := filepath.Join(dir, "in.json")
	appendFile(t, path, lines(docs("old", 1, 20)...))
	opts, logs := fast(path)
	opts.Checkpoints = store
	opts.BatchLines = 5
	r := start(t, opts)
	if got := data(r.take(t, 10)); !cmp.Equal(got, docs("old", 1, 10)) {
		t.Fatalf("first run: %q", got)
	}
	if b := r.next(t); !cmp.Equal(data(b.Records), docs("old", 11, 15)) {
		t.Fatalf("unacknowledged batch: %q", data(b.Records))
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	return opts, logs
}

// sorted returns the records' data, sorted.
func sorted(recs []string) []string {
	out := append([]string(nil), recs...)
	sort.Strings(out)
	return out
}

func TestRotationWhileStoppedReadsTheRotatedFilesRest(t *testing.T) {
	dir := t.TempDir()
	opts, logs := stoppedMidFile(t, dir)
	path := filepath.Join(dir, "in.json")
	// While Vigil is down the writer appends, then logrotate renames the
	// file to a name the pattern does not match and the writer starts a
	// new one.
	appendFile(t, path, lines(docs("old", 21, 25)...))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, lines(docs("new", 1, 10)...))

	r := start(t, opts)
	got := data(r.take(t, 25))
	r.quiet(t)
	want := append(docs("old", 11, 25), docs("new", 1, 10)...)
	if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
		t.Errorf("second run: every unacknowledged line once (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "in.json.1") {
		t.Errorf("the rotated file was not logged:\n%s", logs)
	}
	waitFor(t, "the rotated file to be closed", func() bool { return r.tail.Stats().FilesOpen == 1 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}

	// A third run finds nothing more to read in either file.
	appendFile(t, path, lines(doc("new-11")))
	r3 := start(t, opts)
	if got := data(r3.take(t, 1)); !cmp.Equal(got, []string{doc("new-11")}) {
		t.Errorf("third run: %q", got)
	}
	r3.quiet(t)
}

func TestFileGoneWhileStoppedIsReported(t *testing.T) {
	dir := t.TempDir()
	opts, logs := stoppedMidFile(t, dir)
	path := filepath.Join(dir, "in.json")
	// Rotated twice while Vigil is down: the file is renamed, a new one
	// created (before the removal, so that it cannot reuse the inode) and
	// the renamed one deleted.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, lines(docs("new", 1, 3)...))
	if err := os.Remove(path + ".1"); err != nil {
		t.Fatal(err)
	}

	r := start(t, opts)
	if got := data(r.take(t, 3)); !cmp.Equal(got, docs("new", 1, 3)) {
		t.Errorf("second run: %q", got)
	}
	unread := 10 * (len(doc("old-11")) + 1) // old-11..old-20
	var warned []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "gone") {
			warned = append(warned, l)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "path="+path) ||
		!strings.Contains(warned[0], "unread_bytes="+strconv.Itoa(unread)) {
		t.Errorf("want one warning naming %s and %d unread bytes, got:\n%s", path, unread, logs)
	}
	if s := r.tail.Stats(); s.Lost != 1 || s.LostBytes != int64(unread) {
		t.Errorf("stats = %+v, want 1 lost file of %d bytes", s, unread)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}

	// Reported once, not at every start.
	r2 := start(t, opts)
	r2.quiet(t)
	if n := strings.Count(logs.String(), "gone"); n != 1 {
		t.Errorf("%d reports of the gone file after another start:\n%s", n, logs)
	}
	if s := r2.tail.Stats(); s.Lost != 0 {
		t.Errorf("stats of the third run = %+v, want nothing lost", s)
	}
}

func TestCopyTruncateWhileStopped(t *testing.T) {
	dir := t.TempDir()
	opts, logs := stoppedMidFile(t, dir)
	path := filepath.Join(dir, "in.json")
	// logrotate's copytruncate: the copy is a new file the pattern does not
	// match; the followed file is emptied and written again.
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".1", content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, lines(docs("new", 1, 3)...))

	r := start(t, opts)
	if got := data(r.take(t, 3)); !cmp.Equal(got, docs("new", 1, 3)) {
		t.Errorf("second run: %q", got)
	}
	r.quiet(t)
	if !strings.Contains(logs.String(), "shorter than its checkpoint") {
		t.Errorf("the truncation was not logged:\n%s", logs)
	}
}
