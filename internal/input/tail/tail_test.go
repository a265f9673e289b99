package tail

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFollowsAppendedLines(t *testing.T) {
	path := tempFile(t, "a.json", lines(docs("a", 1, 2)...))
	opts, _ := fast(path)
	opts.Index = "logs-azure.activitylogs-default"
	r := start(t, opts)

	got := r.take(t, 2)
	if diff := cmp.Diff(docs("a", 1, 2), data(got)); diff != "" {
		t.Fatalf("first lines (-want +got):\n%s", diff)
	}
	for i, l := range docs("a", 3, 5) {
		appendFile(t, path, l+"\n")
		rec := r.take(t, 1)[0]
		want := fmt.Sprintf("%s line %d", path, i+3)
		if string(rec.Data) != l || rec.Origin != want || rec.Index != opts.Index {
			t.Fatalf("appended line: got %+v, want %s at %q in index %s", rec, l, want, opts.Index)
		}
	}
	if s := r.tail.Stats(); s.Lines != 5 || s.FilesOpen != 1 || s.Bytes != int64(5*len(doc("a-1"))) {
		t.Errorf("stats = %+v, want 5 lines of %d bytes, 1 file open", s, len(doc("a-1")))
	}
}

func TestPartialLineWaitsForItsNewline(t *testing.T) {
	path := tempFile(t, "a.json", doc("one")+"\n"+`{"msg":`)
	opts, _ := fast(path)
	r := start(t, opts)

	if got := data(r.take(t, 1)); got[0] != doc("one") {
		t.Fatalf("got %q", got)
	}
	r.quiet(t) // the partial line is held
	appendFile(t, path, `"two"}`)
	r.quiet(t)
	appendFile(t, path, "\r\n")
	rec := r.take(t, 1)[0]
	if string(rec.Data) != doc("two") || rec.Origin != path+" line 2" {
		t.Fatalf("completed line: got %s at %s", rec.Data, rec.Origin)
	}
}

func TestRenameRotationReadsEveryLineOnceInOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.json")
	opts, logs := fast(filepath.Join(dir, "*.json"))
	old, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	write := func(f *os.File, ls []string) {
		t.Helper()
		if _, err := f.WriteString(lines(ls...)); err != nil {
			t.Fatal(err)
		}
	}
	write(old, docs("old", 1, 5))
	r := start(t, opts)
	got := r.take(t, 5) // the old file is open

	// logrotate renames; the writer goes on writing to its descriptor for
	// a while, then reopens the name, and still flushes a last bit of the
	// old file.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	write(old, docs("old", 6, 10))
	cur, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	write(cur, docs("new", 1, 5))
	write(old, docs("old", 11, 12))
	write(cur, docs("new", 6, 10))

	got = append(got, r.take(t, 17)...)
	waitFor(t, "the rotated file to be closed", func() bool { return r.tail.Stats().FilesOpen == 1 })
	r.quiet(t)

	// The file names cannot tell the two files apart (the old one is read
	// under its first name, the rotated one not being matched): the
	// contents do.
	var oldLines, newLines []string
	for _, rec := range got {
		if strings.Contains(string(rec.Data), "old-") {
			oldLines = append(oldLines, string(rec.Data))
		} else {
			newLines = append(newLines, string(rec.Data))
		}
	}
	if diff := cmp.Diff(docs("old", 1, 12), oldLines); diff != "" {
		t.Errorf("old file's lines (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(docs("new", 1, 10), newLines); diff != "" {
		t.Errorf("new file's lines (-want +got):\n%s", diff)
	}
	if s := r.tail.Stats(); s.Rotations != 1 || s.Truncations != 0 {
		t.Errorf("stats = %+v, want 1 rotation, no truncation", s)
	}
	if !strings.Contains(logs.String(), "renamed away") {
		t.Errorf("the rotation was not logged:\n%s", logs)
	}
}

func TestRenameToAMatchingNameKeepsFollowing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.json")
	appendFile(t, path, lines(docs("a", 1, 2)...))
	opts, _ := fast(filepath.Join(dir, "*"))
	r := start(t, opts)
	r.take(t, 2)

	rotated := filepath.Join(dir, "app.1.json")
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rename to be seen", func() bool { return r.tail.Stats().Rotations == 1 })
	appendFile(t, rotated, lines(doc("a-3")))
	rec := r.take(t, 1)[0]
	if rec.Origin != rotated+" line 3" {
		t.Errorf("origin after the rename = %q, want %q", rec.Origin, rotated+" line 3")
	}
	r.quiet(t) // not read again under its new name
}

func TestCopyTruncate(t *testing.T) {
	path := tempFile(t, "a.json", lines(docs("long-line-before-truncation", 1, 3)...))
	opts, logs := fast(path)
	r := start(t, opts)
	r.take(t, 3)

	// copytruncate: copied elsewhere, then truncated; the writer goes on
	// at the start.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, lines(docs("b", 1, 2)...))
	got := r.take(t, 2)
	if diff := cmp.Diff([]string{path + " line 1", path + " line 2"}, origins(got)); diff != "" {
		t.Errorf("origins after truncation (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(docs("b", 1, 2), data(got)); diff != "" {
		t.Errorf("lines after truncation (-want +got):\n%s", diff)
	}
	if s := r.tail.Stats(); s.Truncations != 1 {
		t.Errorf("truncations = %d, want 1", s.Truncations)
	}
	if !strings.Contains(logs.String(), "file truncated") {
		t.Errorf("the truncation was not logged:\n%s", logs)
	}
}

func TestTruncatedAndRewrittenPastThePosition(t *testing.T) {
	path := tempFile(t, "a.json", lines(docs("a", 1, 2)...))
	opts, _ := fast(path)
	r := start(t, opts)
	b := r.next(t)
	if len(b.Records) != 2 {
		t.Fatalf("first batch: %s", dump(b.Records))
	}
	// While the batch is in flight, the file is truncated and rewritten
	// longer than the position reached: only its first bytes tell.
	if err := os.WriteFile(path, []byte(lines(docs("rewritten", 1, 4)...)), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Ack(nil)
	got := r.take(t, 4)
	if diff := cmp.Diff(docs("rewritten", 1, 4), data(got)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if got[0].Origin != path+" line 1" {
		t.Errorf("first origin = %q", got[0].Origin)
	}
	if s := r.tail.Stats(); s.Truncations != 1 {
		t.Errorf("truncations = %d, want 1", s.Truncations)
	}
}

func TestRestartResumesAfterTheLastAcknowledgedBatch(t *testing.T) {
	dir := t.TempDir()
	store := openStore(t, filepath.Join(dir, "state.db"))
	path := filepath.Join(dir, "a.json")
	appendFile(t, path, lines(docs("a", 1, 10)...))
	opts, _ := fast(path)
	opts.Checkpoints = store
	opts.BatchLines = 3

	r := start(t, opts)
	if got := data(r.take(t, 6)); !cmp.Equal(got, docs("a", 1, 6)) {
		t.Fatalf("first run: %q", got)
	}
	unacked := r.next(t)
	if diff := cmp.Diff(docs("a", 7, 9), data(unacked.Records)); diff != "" {
		t.Fatalf("third batch (-want +got):\n%s", diff)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	unacked.Ack(nil) // too late: Run has returned; must not panic or block

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := identityOf(fi)
	v, ok, err := store.LoadCheckpoint(context.Background(), checkpointKey("test", id))
	if err != nil || !ok {
		t.Fatalf("checkpoint: %q %v %v", v, ok, err)
	}
	p, err := decodePosition(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(6 * (len(doc("a-1")) + 1)); p.Offset != want || p.Line != 6 || p.Path != path {
		t.Errorf("checkpoint = %+v, want offset %d, line 6, path %s", p, want, path)
	}

	appendFile(t, path, lines(doc("a-11")))
	r2 := start(t, opts)
	got := r2.take(t, 5)
	if diff := cmp.Diff(docs("a", 7, 11), data(got)); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	if got[0].Origin != path+" line 7" {
		t.Errorf("first origin of the second run = %q, want line 7", got[0].Origin)
	}
	r2.quiet(t)
}

func TestAckErrorRedeliversTheSameLines(t *testing.T) {
	path := tempFile(t, "a.json", lines(docs("a", 1, 3)...))
	opts, logs := fast(path)
	r := start(t, opts)

	first := r.next(t)
	first.Ack(errors.New("sink down"))
	first.Ack(nil) // a second Ack is ignored
	again := r.next(t)
	if diff := cmp.Diff(origins(first.Records), origins(again.Records)); diff != "" {
		t.Fatalf("redelivered batch differs (-first +again):\n%s", diff)
	}
	if diff := cmp.Diff(data(first.Records), data(again.Records)); diff != "" {
		t.Fatalf("redelivered data differs (-first +again):\n%s", diff)
	}
	again.Ack(nil)
	appendFile(t, path, lines(doc("a-4")))
	if rec := r.take(t, 1)[0]; string(rec.Data) != doc("a-4") {
		t.Fatalf("after the redelivery: %s", rec.Data)
	}
	if s := r.tail.Stats(); s.Redeliveries != 1 || s.Lines != 4 {
		t.Errorf("stats = %+v, want 1 redelivery, 4 lines", s)
	}
	if !strings.Contains(logs.String(), "sink down") {
		t.Errorf("the failed ack was not logged:\n%s", logs)
	}
}

func TestNewMatchingFileIsPickedUp(t *testing.T) {
	dir := t.TempDir()
	opts, _ := fast(filepath.Join(dir, "*.json"))
	r := start(t, opts)
	r.quiet(t)

	appendFile(t, filepath.Join(dir, "ignored.txt"), lines(doc("no")))
	path := filepath.Join(dir, "b.json")
	appendFile(t, path, lines(docs("b", 1, 2)...))
	got := r.take(t, 2)
	if diff := cmp.Diff([]string{path + " line 1", path + " line 2"}, origins(got)); diff != "" {
		t.Errorf("origins (-want +got):\n%s", diff)
	}
	r.quiet(t)
}

func TestStartAtEnd(t *testing.T) {
	dir := t.TempDir()
	store := openStore(t, filepath.Join(dir, "state.db"))
	old := filepath.Join(dir, "old.json")
	appendFile(t, old, lines(docs("skipped", 1, 2)...)+`{"msg":`)
	opts, _ := fast(filepath.Join(dir, "*.json"))
	opts.StartAt = "end"
	opts.Checkpoints = store
	r := start(t, opts)
	waitFor(t, "the file to be opened", func() bool { return r.tail.Stats().FilesOpen == 1 })

	// The partial line was not complete at startup: it is read once done.
	appendFile(t, old, `"partial"}`+"\n")
	if rec := r.take(t, 1)[0]; string(rec.Data) != doc("partial") || rec.Origin != old+" line 3" {
		t.Fatalf("got %s at %s", rec.Data, rec.Origin)
	}
	// A file appearing later is new: read from its start.
	fresh := filepath.Join(dir, "new.json")
	appendFile(t, fresh, lines(docs("fresh", 1, 2)...))
	if got := data(r.take(t, 2)); !cmp.Equal(got, docs("fresh", 1, 2)) {
		t.Fatalf("new file: %q", got)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}

	// Written while stopped: read on restart, StartAt notwithstanding.
	appendFile(t, old, lines(doc("while-stopped")))
	r2 := start(t, opts)
	if rec := r2.take(t, 1)[0]; string(rec.Data) != doc("while-stopped") || rec.Origin != old+" line 4" {
		t.Fatalf("after restart: %s at %s", rec.Data, rec.Origin)
	}
	r2.quiet(t)
}

func TestTooLongLineIsSkippedAndCounted(t *testing.T) {
	path := tempFile(t, "a.json", lines(doc("short-1")))
	opts, logs := fast(path)
	opts.MaxLineBytes = 64
	r := start(t, opts)
	r.take(t, 1)

	for range 5 { // written in pieces, each read as it comes
		appendFile(t, path, strings.Repeat("x", 50))
		r.quiet(t)
	}
	appendFile(t, path, "\n"+lines(doc("short-3")))
	rec := r.take(t, 1)[0]
	if string(rec.Data) != doc("short-3") || rec.Origin != path+" line 3" {
		t.Fatalf("after the long line: %s at %s", rec.Data, rec.Origin)
	}
	if s := r.tail.Stats(); s.TooLong != 1 || s.Lines != 2 {
		t.Errorf("stats = %+v, want 1 too long, 2 lines", s)
	}
	if !strings.Contains(logs.String(), path+" line 2") || !strings.Contains(logs.String(), "bytes=250") {
		t.Errorf("the skipped line is not reported with its origin and size:\n%s", logs)
	}
}

func TestGzipFileIsReadOnceToItsEnd(t *testing.T) {
	dir := t.TempDir()
	store := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	gzPath := filepath.Join(dir, "old.json.gz")
	f, err := os.Create(gzPath)
	if err != nil {
		t.Fatal(err)
	}
	// Two gzip members, the last line without its newline.
	for _, part := range []string{lines(docs("z", 1, 2)...), doc("z-3") + "\n\n" + doc("z-4")} {
		zw := gzip.NewWriter(f)
		zw.Write([]byte(part))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	plain := filepath.Join(dir, "cur.json")
	opts, _ := fast(filepath.Join(dir, "*"))
	opts.Checkpoints = store
	opts.BatchLines = 2

	r := start(t, opts)
	got := r.take(t, 4)
	if diff := cmp.Diff(docs("z", 1, 4), data(got)); diff != "" {
		t.Fatalf("gzip lines (-want +got):\n%s", diff)
	}
	if got[3].Origin != gzPath+" line 5" {
		t.Errorf("last origin = %q, want line 5 (line 4 is blank)", got[3].Origin)
	}
	waitFor(t, "the gzip file to be closed", func() bool { return r.tail.Stats().FilesOpen == 0 })
	appendFile(t, plain, lines(doc("barrier-1")))
	if rec := r.take(t, 1)[0]; string(rec.Data) != doc("barrier-1") {
		t.Fatalf("got %s", rec.Data)
	}
	r.quiet(t)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}

	r2 := start(t, opts) // read already: not again
	appendFile(t, plain, lines(doc("barrier-2")))
	if rec := r2.take(t, 1)[0]; string(rec.Data) != doc("barrier-2") {
		t.Fatalf("after restart got %s", rec.Data)
	}
	r2.quiet(t)
}

func TestCorruptGzipIsReportedNotRetried(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json.gz")
	if err := os.WriteFile(bad, []byte("not gzip\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts, logs := fast(bad)
	r := start(t, opts)
	waitFor(t, "the error", func() bool { return r.tail.Stats().Errors == 1 })
	r.quiet(t)
	if s := r.tail.Stats(); s.Errors != 1 || s.FilesOpen != 0 {
		t.Errorf("stats = %+v, want 1 error (reported once), no file open", s)
	}
	if !strings.Contains(logs.String(), "bad.json.gz") {
		t.Errorf("log does not name the file:\n%s", logs)
	}
}

func TestDeletedFileIsReadToItsEndThenClosed(t *testing.T) {
	path := tempFile(t, "a.json", lines(doc("a-1")))
	opts, logs := fast(path)
	r := start(t, opts)
	r.take(t, 1)
	appendFile(t, path, doc("a-2")+"\n"+`{"msg":"unterminated"}`)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	got := r.take(t, 2) // the complete line, then the unterminated one at close
	if diff := cmp.Diff([]string{doc("a-2"), `{"msg":"unterminated"}`}, data(got)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	waitFor(t, "the file to be closed", func() bool { return r.tail.Stats().FilesOpen == 0 })
	if s := r.tail.Stats(); s.Rotations != 1 {
		t.Errorf("rotations = %d, want 1", s.Rotations)
	}
	if !strings.Contains(logs.String(), "unterminated last line") {
		t.Errorf("the unterminated line was not logged:\n%s", logs)
	}
}

func TestReplacedFileIsReadFromItsStartAfterRestart(t *testing.T) {
	dir := t.TempDir()
	store := openStore(t, filepath.Join(dir, "state.db"))
	path := filepath.Join(dir, "a.json")
	appendFile(t, path, lines(docs("a", 1, 2)...))
	opts, logs := fast(path)
	opts.Checkpoints = store
	r := start(t, opts)
	r.take(t, 2)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	// Same inode, other content, longer than the saved offset.
	if err := os.WriteFile(path, []byte(lines(docs("other", 1, 3)...)), 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := start(t, opts)
	if got := data(r2.take(t, 3)); !cmp.Equal(got, docs("other", 1, 3)) {
		t.Fatalf("got %q", got)
	}
	if !strings.Contains(logs.String(), "first bytes differ") {
		t.Errorf("not logged:\n%s", logs)
	}
}

func TestUnreadableCheckpointReadsFromTheStart(t *testing.T) {
	dir := t.TempDir()
	store := openStore(t, filepath.Join(dir, "state.db"))
	path := filepath.Join(dir, "a.json")
	appendFile(t, path, lines(docs("a", 1, 2)...))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := identityOf(fi)
	if err := store.SaveCheckpoint(context.Background(), checkpointKey("test", id), "{garbage"); err != nil {
		t.Fatal(err)
	}
	opts, logs := fast(path)
	opts.Checkpoints = store
	opts.StartAt = "end" // not applied: the file has a (bad) checkpoint
	r := start(t, opts)
	if got := data(r.take(t, 2)); !cmp.Equal(got, docs("a", 1, 2)) {
		t.Fatalf("got %q", got)
	}
	if !strings.Contains(logs.String(), "unreadable checkpoint") || r.tail.Stats().Errors != 1 {
		t.Errorf("bad checkpoint not reported: errors %d\n%s", r.tail.Stats().Errors, logs)
	}
}

func TestFileMatchedTwiceIsReadOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	appendFile(t, path, lines(docs("a", 1, 2)...))
	if err := os.Symlink(path, filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	opts, _ := fast(path, filepath.Join(dir, "*.json"))
	r := start(t, opts)
	r.take(t, 2)
	r.quiet(t)
}

func TestNewChecksOptions(t *testing.T) {
	for _, o := range []Options{
		{},
		{Paths: []string{"/var/log/[a.json"}},
		{Paths: []string{"a"}, StartAt: "middle"},
		{Paths: []string{"a"}, Poll: -1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) = nil error", o)
		}
	}
	tl, err := New(Options{Paths: []string{"/var/log/azure/*.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if tl.Name() != "tail:/var/log/azure/*.json" || tl.opts.Poll != DefaultPoll || tl.opts.BatchLines != DefaultBatchLines ||
		tl.opts.MaxLineBytes != DefaultMaxLineBytes || tl.opts.StartAt != "beginning" {
		t.Errorf("defaults not applied: %+v", tl.opts)
	}
}

func TestRunTwiceAtOnceFails(t *testing.T) {
	opts, _ := fast(filepath.Join(t.TempDir(), "*.json"))
	r := start(t, opts)
	waitFor(t, "Run to start", func() bool { return r.tail.running.Load() })
	if err := r.tail.Run(context.Background(), nil); err == nil {
		t.Fatal("second Run did not fail")
	}
}

func TestBrokenCheckpointStoreHoldsTheFileBack(t *testing.T) {
	dir := t.TempDir()
	store := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	store.Close() // every load fails
	path := filepath.Join(dir, "a.json")
	appendFile(t, path, lines(doc("a-1")))
	opts, logs := fast(path)
	opts.Checkpoints = store
	r := start(t, opts)
	waitFor(t, "a few failed attempts", func() bool { return r.tail.Stats().Errors >= 3 })
	r.quiet(t) // not read from a guessed position
	if n := strings.Count(logs.String(), "load checkpoint"); n != 1 {
		t.Errorf("the error was logged %d times, want once:\n%s", n, logs)
	}
}

func TestManyFilesEveryLineOnce(t *testing.T) {
	dir := t.TempDir()
	const files, per = 20, 50
	for f := range files {
		appendFile(t, filepath.Join(dir, fmt.Sprintf("f%02d.json", f)), lines(docs(fmt.Sprintf("f%02d", f), 1, per/2)...))
	}
	opts, _ := fast(filepath.Join(dir, "*.json"))
	opts.BatchLines = 7
	r := start(t, opts)
	for f := range files {
		appendFile(t, filepath.Join(dir, fmt.Sprintf("f%02d.json", f)), lines(docs(fmt.Sprintf("f%02d", f), per/2+1, per)...))
	}
	got := map[string][]string{}
	for _, rec := range r.take(t, files*per) {
		file, _, _ := strings.Cut(rec.Origin, " line ")
		got[filepath.Base(file)] = append(got[filepath.Base(file)], string(rec.Data))
	}
	r.quiet(t)
	for f := range files {
		name := fmt.Sprintf("f%02d", f)
		if diff := cmp.Diff(docs(name, 1, per), got[name+".json"]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}
