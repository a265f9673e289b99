package sink

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readIDs returns the alert ids of an NDJSON file, in order; every line
// must be a JSON object.
func readIDs(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, docID(t, sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestFileRotatesBySizeAndKeepsEveryAlertInOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out", "alerts.ndjson")
	line := int64(len(testAlerts(1, 0)[0].Doc) + 1)
	const perFile = 5
	f, err := NewFile(FileOptions{Path: path, MaxBytes: perFile*line + line/2, MaxFiles: 100})
	if err != nil {
		t.Fatal(err)
	}
	// 4 writers, 10 batches of 3 each: 120 alerts, 24 files of 5.
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for b := range 10 {
				if err := f.Write(context.Background(), testAlerts(3, w*1000+b*3)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	files := []string{path}
	for i := 1; i <= 23; i++ {
		files = append(files, fmt.Sprintf("%s.%d", path, i))
	}
	for _, p := range files {
		if size := fileSize(t, p); size != perFile*line {
			t.Errorf("%s: %d bytes, want %d (5 alerts)", filepath.Base(p), size, perFile*line)
		}
		for _, id := range readIDs(t, p) {
			if prev, dup := seen[id]; dup {
				t.Errorf("%s in %s and %s", id, prev, p)
			}
			seen[id] = p
		}
	}
	if _, err := os.Stat(path + ".24"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an unexpected %s.24: %v", path, err)
	}
	if len(seen) != 120 {
		t.Errorf("%d alerts in the files, want 120", len(seen))
	}
	if got, want := f.Stats(), (Stats{Written: 120}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestFileKeepsMaxFilesNewest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.ndjson")
	line := int64(len(testAlerts(1, 0)[0].Doc) + 1)
	f, err := NewFile(FileOptions{Path: path, MaxBytes: 2 * line, MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// One batch of 20 alerts splits into 10 files of 2; the newest 4 stay.
	if err := f.Write(context.Background(), testAlerts(20, 0)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range []string{path + ".3", path + ".2", path + ".1", path} {
		got = append(got, readIDs(t, p)...)
	}
	want := ids(testAlerts(8, 12))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kept alerts, oldest first (-want +got):\n%s", diff)
	}
	matches, _ := filepath.Glob(path + "*")
	sort.Strings(matches)
	if len(matches) != 4 {
		t.Errorf("files %v, want the current one and 3 rotated", matches)
	}
}

func TestFileDocumentLargerThanMaxBytesGetsItsOwnFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.ndjson")
	f, err := NewFile(FileOptions{Path: path, MaxBytes: 100, MaxFiles: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Write(context.Background(), testAlerts(3, 0)); err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{path + ".2", path + ".1", path} {
		if got := readIDs(t, p); len(got) != 1 || got[0] != fmt.Sprintf("a%04d", i) {
			t.Errorf("%s holds %v", p, got)
		}
	}
}

func TestFileCompactsDocumentsAndRejectsInvalidOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.ndjson")
	f, err := NewFile(FileOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	batch := []Alert{
		{ID: "a", Doc: json.RawMessage("{\n  \"kibana.alert.uuid\": \"a\",\n  \"n\": [1,\n 2]\n}\n")},
		{ID: "b", Doc: json.RawMessage(`{"kibana.alert.uuid": "b", "cut":`)},
		{ID: "c", Doc: nil},
		{ID: "d", Doc: json.RawMessage(`{"kibana.alert.uuid":"d"}`)},
	}
	err = f.Write(context.Background(), batch)
	var pe *PartialError
	if !errors.As(err, &pe) || len(pe.Pending) != 0 || !cmp.Equal(ids(pe.Rejected), []string{"b", "c"}) || !IsPermanent(err) {
		t.Fatalf("err = %v, want b and c rejected", err)
	}
	if !strings.Contains(err.Error(), `alert "b": document is not valid JSON`) || !strings.Contains(err.Error(), `alert "c" has no document`) {
		t.Errorf("err = %v, want the reasons", err)
	}
	b, _ := os.ReadFile(path)
	if want := "{\"kibana.alert.uuid\":\"a\",\"n\":[1,2]}\n{\"kibana.alert.uuid\":\"d\"}\n"; string(b) != want {
		t.Errorf("file = %q, want %q", b, want)
	}
	if got, want := f.Stats(), (Stats{Written: 2, Rejected: 2, Failures: 1}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestFileStartsANewLineAfterACutOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.ndjson")
	if err := os.WriteFile(path, []byte("{\"kibana.alert.uuid\":\"old\"}\n{\"kibana.alert.uu"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := NewFile(FileOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Write(context.Background(), testAlerts(1, 0)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 3 || lines[1] != `{"kibana.alert.uu` || docID(t, []byte(lines[2])) != "a0000" {
		t.Errorf("file lines %q", lines)
	}
}

func TestFileWriteAfterCloseFailsPermanently(t *testing.T) {
	f, err := NewFile(FileOptions{Path: filepath.Join(t.TempDir(), "alerts.ndjson")})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := f.Write(context.Background(), testAlerts(1, 0)); !IsPermanent(err) {
		t.Errorf("err = %v, want permanent", err)
	}
}

func TestFileRotationFailureKeepsAlertsPending(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alerts.ndjson")
	line := int64(len(testAlerts(1, 0)[0].Doc) + 1)
	f, err := NewFile(FileOptions{Path: path, MaxBytes: line, MaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Write(context.Background(), testAlerts(1, 0)); err != nil {
		t.Fatal(err)
	}
	// A directory where the oldest rotated file goes makes rotation fail.
	if err := os.MkdirAll(filepath.Join(path+".2", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	err = f.Write(context.Background(), testAlerts(1, 1))
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a transient rotation failure", err)
	}
	if err := os.RemoveAll(path + ".2"); err != nil {
		t.Fatal(err)
	}
	if err := f.Write(context.Background(), testAlerts(1, 1)); err != nil {
		t.Fatal(err)
	}
	got := append(readIDs(t, path+".1"), readIDs(t, path)...)
	if diff := cmp.Diff([]string{"a0000", "a0001"}, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
}
