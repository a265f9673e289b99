package exception

import (
	"bufio"
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/vigil-project/vigil/internal/event"
)

// The semantics cases live in testdata/cases/*.txtar. Each archive holds
// pairs of files NAME.toml (exception lists in the TOML form) and
// NAME.events (events with the verdict wanted), run as the subtest
// FILE/NAME, plus optionally:
//
//	now                  the clock, RFC 3339 (default 2025-06-01T00:00:00Z)
//	lists/ID.TYPE        a value list with id ID and type TYPE
//
// An events file has one event per line, prefixed with its verdict:
//
//	excluded {"user.name":"svc"}          some item matches
//	excluded[Item name] {...}             that item is the first to match
//	kept {...}                            no item matches
//
// Blank lines and lines starting with # are comments. Events use the
// built-in ECS schema.

const defaultNow = "2025-06-01T00:00:00Z"

func TestCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "cases", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no case files in testdata/cases")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			runCaseFile(t, file)
		})
	}
}

func runCaseFile(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range ar.Files {
		files[f.Name] = f.Data
	}
	now := mustTime(t, defaultNow)
	if b, ok := files["now"]; ok {
		now = mustTime(t, strings.TrimSpace(string(b)))
	}
	dir := t.TempDir()
	valueLists := map[string]*ValueList{}
	for name, data := range files {
		rest, ok := strings.CutPrefix(name, "lists/")
		if !ok {
			continue
		}
		id, typ, ok := strings.Cut(rest, ".")
		if !ok {
			t.Fatalf("%s: value list file %s: name it lists/ID.TYPE", file, name)
		}
		path := filepath.Join(dir, rest)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		vl, err := LoadValueList(id, typ, path)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		valueLists[id] = vl
	}
	n := 0
	for _, f := range ar.Files {
		name, ok := strings.CutSuffix(f.Name, ".toml")
		if !ok {
			continue
		}
		n++
		events, ok := files[name+".events"]
		if !ok {
			t.Fatalf("%s: %s has no %s.events", file, f.Name, name)
		}
		t.Run(name, func(t *testing.T) {
			lists, err := ParseTOML(f.Name, f.Data)
			if err != nil {
				t.Fatalf("ParseTOML:\n%v", err)
			}
			plan := event.NewPlan()
			filter, err := Compile(lists, CompileOptions{Plan: plan, Now: func() time.Time { return now }, ValueLists: valueLists})
			if err != nil {
				t.Fatalf("Compile:\n%v", err)
			}
			runEvents(t, file+": "+name+".events", string(events), filter, plan)
		})
	}
	if n == 0 {
		t.Fatalf("%s: no .toml files", file)
	}
}

// runEvents checks the verdict on each event line.
func runEvents(t *testing.T, name, events string, f *Filter, plan *event.Plan) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(events))
	checked := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		verdict, doc, ok := strings.Cut(text, " ")
		if !ok {
			t.Fatalf("%s:%d: want `excluded {json}` or `kept {json}`", name, line)
		}
		wantItem := ""
		if strings.HasPrefix(verdict, "excluded[") {
			// The item name may hold spaces: it ends at "] ".
			i := strings.Index(text, "] ")
			if i < 0 {
				t.Fatalf("%s:%d: unclosed excluded[...]", name, line)
			}
			wantItem = text[len("excluded["):i]
			doc = text[i+2:]
			verdict = "excluded"
		}
		if verdict != "excluded" && verdict != "kept" {
			t.Fatalf("%s:%d: verdict %q: want excluded or kept", name, line, verdict)
		}
		ev := event.New([]byte(doc), plan)
		if err := ev.Err(); err != nil {
			t.Fatalf("%s:%d: bad event: %v", name, line, err)
		}
		got, item := f.Excludes(ev)
		switch {
		case got != (verdict == "excluded"):
			what := "kept"
			if got {
				what = "excluded by item " + item.Name
			}
			t.Errorf("%s:%d: %s: %s, want %s", name, line, doc, what, verdict)
		case got && item == nil:
			t.Errorf("%s:%d: excluded without an item", name, line)
		case got && wantItem != "" && item.Name != wantItem:
			t.Errorf("%s:%d: %s: excluded by item %q, want %q", name, line, doc, item.Name, wantItem)
		}
		checked++
	}
	if checked == 0 {
		t.Fatalf("%s: no events", name)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// The error cases live in testdata/errors/*.txtar: the archive's comment
// lists the wanted messages, one per line as `want: text` (each must be a
// line of the error, in order), and its files are one exceptions file
// (exceptions.toml, or export.ndjson for a Kibana export) and optionally
// lists/ID.TYPE value lists. The file is parsed, then compiled; the first
// that fails gives the error.
func TestErrorCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "errors", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no case files in testdata/errors")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, l := range strings.Split(string(ar.Comment), "\n") {
				if w, ok := strings.CutPrefix(l, "want: "); ok {
					want = append(want, w)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s: no `want:` line in the comment", file)
			}
			// Work in a temporary directory, so that value lists are
			// named by their relative paths in messages.
			t.Chdir(t.TempDir())
			valueLists := map[string]*ValueList{}
			var lists []*List
			var perr error // the first error met
			for _, f := range ar.Files {
				path := filepath.FromSlash(f.Name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				if rest, ok := strings.CutPrefix(f.Name, "lists/"); ok {
					id, typ, _ := strings.Cut(rest, ".")
					vl, err := LoadValueList(id, typ, path)
					if err != nil {
						perr = cmp.Or(perr, err)
						continue
					}
					valueLists[id] = vl
					continue
				}
				var err error
				switch filepath.Ext(f.Name) {
				case ".toml":
					lists, err = ParseTOML(f.Name, f.Data)
				case ".ndjson":
					lists, err = ParseKibana(strings.NewReader(string(f.Data)), f.Name)
				default:
					t.Fatalf("%s: unexpected file %s", file, f.Name)
				}
				perr = cmp.Or(perr, err)
			}
			err = perr
			if err == nil {
				_, err = Compile(lists, CompileOptions{Now: func() time.Time { return mustTime(t, defaultNow) }, ValueLists: valueLists})
			}
			if err == nil {
				t.Fatalf("no error; want:\n%s", strings.Join(want, "\n"))
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(want) {
				t.Errorf("got %d errors, want %d", len(got), len(want))
			}
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Errorf("error %d:\n got: %s\nwant: %s", i+1, got[i], want[i])
				}
			}
			if t.Failed() {
				t.Logf("all errors:\n%v", err)
			}
		})
	}
}
