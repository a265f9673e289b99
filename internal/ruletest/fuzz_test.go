package ruletest

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzRun feeds rule test files to Run beside the built-in pack's Azure
// rules: it never panics, an unusable file is an error naming it, and a
// usable one gives results, each saying why it failed. Run costs a few
// milliseconds (a 1 MiB read buffer per event document), so each input is
// run once.
func FuzzRun(f *testing.F) {
	dir := filepath.Join("..", "..", "rules", "azure")
	rules, err := filepath.Glob(filepath.Join(dir, "*.toml"))
	if err != nil {
		f.Fatal(err)
	}
	fsys := fstest.MapFS{}
	var names []string // rules under test: a test file is named after one
	for _, p := range rules {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		base := filepath.Base(p)
		if strings.HasSuffix(base, ".test.toml") {
			continue
		}
		fsys[base] = &fstest.MapFile{Data: data}
		names = append(names, strings.TrimSuffix(base, ".toml"))
	}
	sort.Strings(names)
	if len(names) == 0 {
		f.Fatal("no rules in " + dir)
	}
	fsys["testdata/events.json"] = &fstest.MapFile{Data: []byte(`{"@timestamp":"2026-03-14T08:40:00Z","event":{"action":"x"}}` + "\n")}
	for i, name := range names {
		if data, err := os.ReadFile(filepath.Join(dir, name+".test.toml")); err == nil {
			// The first case only: small inputs keep the fuzzer's
			// minimization of new finds short.
			s := string(data)
			if first := strings.Index(s, "[[case]]"); first >= 0 {
				if next := strings.Index(s[first+1:], "[[case]]"); next >= 0 {
					s = s[:first+1+next]
				}
			}
			f.Add([]byte(s), uint8(i))
		}
	}
	f.Add([]byte("rule = \"../x.toml\"\nnow = \"bad\"\n[[case]]\n"), uint8(0))
	f.Add([]byte("[[case]]\nfiles = [\"testdata/events.json\", \"missing.json\"]\nalerts = 0\n[[case.alert]]\na = 1\n"), uint8(1))
	f.Add([]byte("exceptions = [\"none.toml\"]\n[[case]]\nevents = ['{\"a\":']\n"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		p := names[int(which)%len(names)] + ".test.toml"
		files := fstest.MapFS{p: &fstest.MapFile{Data: data}}
		for k, v := range fsys {
			files[k] = v
		}
		results, err := Run(files, p)
		if err != nil {
			if !strings.HasPrefix(err.Error(), p) {
				t.Fatalf("error %q does not name the test file", err)
			}
			return
		}
		if len(results) == 0 {
			t.Fatal("no error and no result")
		}
		for _, r := range results {
			if r.File != p || r.Case == "" || r.Pass != (len(r.Failures) == 0) || r.Alerts < 0 {
				t.Errorf("result %+v", r)
			}
		}
	})
}
