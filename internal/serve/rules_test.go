package serve

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
)

func TestRuleLoaderKeepsPreviousVersionOfBrokenRule(t *testing.T) {
	seed, err := os.ReadFile("../../rules/azure/execution_vm_run_command.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "seed.toml")
	if err := os.WriteFile(path, seed, 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var gens [][]*engine.Rule
	var logs syncBuffer
	l := &RuleLoader{Paths: []string{dir}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Install: func(rs []*engine.Rule, _ *event.Plan) {
			mu.Lock()
			gens = append(gens, rs)
			mu.Unlock()
		}}
	if err := l.Load(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Watch(ctx, 10*time.Millisecond)
	// waitGen waits for a generation after the first n that satisfies ok
	// and returns it. A poll can see an edit more than once (it is not
	// atomic for every editor), so the test asks for a state, not for a
	// number of loads.
	waitGen := func(n int, what string, ok func([]*engine.Rule) bool) []*engine.Rule {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			for _, g := range gens[min(n, len(gens)):] {
				if ok(g) {
					mu.Unlock()
					return g
				}
			}
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("no generation %s; %d generations after %d", what, len(gens)-n, n)
		return nil
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(gens)
	}
	named := func(name string) func([]*engine.Rule) bool {
		return func(g []*engine.Rule) bool { return len(g) == 1 && g[0].Alert.Name == name }
	}
	const seedName = "Azure Command Execution on Virtual Machine"
	if g := waitGen(0, "at the first load", func([]*engine.Rule) bool { return true }); !named(seedName)(g) {
		t.Fatalf("first load: %d rules", len(g))
	}

	// A broken edit: reported, and the previous version stays in force.
	n := count()
	broken := strings.Replace(string(seed), "[rule]", "[rule]\nseverity = ", 1)
	replaceFile(t, path, broken)
	g := waitGen(n, "after the broken edit", func([]*engine.Rule) bool {
		return strings.Contains(logs.String(), "keeping the previous version of the rule")
	})
	if !named(seedName)(g) {
		t.Fatalf("after a broken edit: %d rules %v", len(g), g)
	}
	if st := l.Status(); st.Runnable != 1 {
		t.Fatalf("status %+v", st)
	}

	// A good edit replaces it.
	renamed := strings.Replace(string(seed), `name = "Azure Command Execution on Virtual Machine"`, `name = "Run Command (tuned)"`, 1)
	if renamed == string(seed) {
		t.Fatal("fixture: rule name line not found")
	}
	n = count()
	replaceFile(t, path, renamed)
	waitGen(n, "with the good edit", named("Run Command (tuned)"))
}

// replaceFile replaces a file at once, as editors that save through a
// temporary file do: a poll sees the old or the new content, never a part.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// An edit that keeps the file's size and modification time (a same-length
// change within the file system's timestamp granularity, or a tool that
// restores the time) is still seen.
func TestRuleLoaderSeesAnEditOfTheSameSizeAndTime(t *testing.T) {
	seed, err := os.ReadFile("../../rules/azure/execution_vm_run_command.toml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seed.toml")
	if err := os.WriteFile(path, seed, 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	gens := make(chan string, 10)
	l := &RuleLoader{Paths: []string{path}, Install: func(rs []*engine.Rule, _ *event.Plan) {
		gens <- rs[0].Alert.Name
	}}
	if err := l.Load(); err != nil {
		t.Fatal(err)
	}
	if name := <-gens; name != "Azure Command Execution on Virtual Machine" {
		t.Fatalf("first load: %q", name)
	}
	edited := strings.Replace(string(seed), `name = "Azure Command Execution on Virtual Machine"`,
		`name = "Azure Command Execution on Virtual MACHINE"`, 1)
	if edited == string(seed) {
		t.Fatal("fixture: rule name line not found")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Watch(ctx, 10*time.Millisecond)
	select {
	case name := <-gens:
		if name != "Azure Command Execution on Virtual MACHINE" {
			t.Errorf("after the edit: %q", name)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the edit was not loaded")
	}
}
