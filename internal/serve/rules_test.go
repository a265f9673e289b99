package serve

import (
	"context"
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
	l := &RuleLoader{Paths: []string{dir}, Install: func(rs []*engine.Rule, _ *event.Plan) {
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
	waitGen := func(n int) []*engine.Rule {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			if len(gens) >= n {
				g := gens[n-1]
				mu.Unlock()
				return g
			}
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("generation %d never installed", n)
		return nil
	}
	if g := waitGen(1); len(g) != 1 {
		t.Fatalf("first load: %d rules", len(g))
	}

	// A broken edit: reported, and the previous version stays in force.
	broken := strings.Replace(string(seed), "[rule]", "[rule]\nseverity = ", 1)
	writeLater(t, path, broken)
	g := waitGen(2)
	if len(g) != 1 || g[0].Alert.Name != "Azure Command Execution on Virtual Machine" {
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
	writeLater(t, path, renamed)
	g = waitGen(3)
	if len(g) != 1 || g[0].Alert.Name != "Run Command (tuned)" {
		t.Fatalf("after a good edit: %v", g[0].Alert.Name)
	}
}

// writeLater rewrites a file so that its modification time changes even on
// coarse-grained file systems.
func writeLater(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Duration(time.Now().UnixNano()%1000+1) * time.Second)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
}
