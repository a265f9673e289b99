package cli

import (
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// gcPercent returns the current GOGC percentage.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestLoadingGC: no collection while rules load; after, a percentage that
// puts the first goal at five times the heap, and 400 again once that
// collection is done; nothing at all when GOGC is set.
func TestLoadingGC(t *testing.T) {
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	runtime.GC() // a collection done: the runtime's goal follows it, no percentage needed
	batchGC()
	limit := debug.SetMemoryLimit(-1)
	loaded := loadingGC()
	if p := gcPercent(); p != -1 {
		t.Fatalf("while loading: GOGC %d, want -1 (off)", p)
	}
	if l := debug.SetMemoryLimit(-1); l != min(limit, loadingLimit) {
		t.Fatalf("while loading: memory limit %d, want %d (a bound while collections are off)", l, min(limit, loadingLimit))
	}
	loaded()
	if l := debug.SetMemoryLimit(-1); l != limit {
		t.Fatalf("after loading: memory limit %d, want %d again", l, limit)
	}
	if p := gcPercent(); p != 400 {
		t.Fatalf("after loading, with a collection before: GOGC %d, want 400", p)
	}
	loaded() // the deferred call: nothing
	if p := gcPercent(); p != 400 {
		t.Fatalf("after a second call: GOGC %d, want 400", p)
	}

	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	loaded = loadingGC()
	if p := gcPercent(); p != 150 {
		t.Fatalf("GOGC set: %d, want 150 (left alone)", p)
	}
	loaded()
	if p := gcPercent(); p != 150 {
		t.Fatalf("GOGC set, after loading: %d, want 150", p)
	}
}

// TestLoadedGCResumes: in a process that has not collected yet, loaded
// sets a larger percentage, and the first collection's end sets 400.
func TestLoadedGCResumes(t *testing.T) {
	if os.Getenv("VIGIL_GC_CHILD") == "" {
		// A fresh process (this one has collected already), started
		// without collections so that none comes before the test.
		cmd := exec.Command(os.Args[0], "-test.run=^TestLoadedGCResumes$", "-test.v")
		cmd.Env = append(os.Environ(), "VIGIL_GC_CHILD=1", "GOGC=off")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestLoadedGCResumes") {
			t.Fatalf("%v\n%s", err, out)
		}
		return
	}
	os.Unsetenv("GOGC")
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if m.NumGC > 0 {
		t.Fatalf("the test process collected %d times before the test", m.NumGC)
	}
	batchGC()
	loaded := loadingGC()
	keep := make([][]byte, 0, 64)
	for range 64 {
		keep = append(keep, make([]byte, 256<<10)) // 16 MiB loaded
	}
	loaded()
	if p := gcPercent(); p <= 400 {
		t.Fatalf("after loading 16 MiB before any collection: GOGC %d, want more than 400", p)
	}
	runtime.GC()
	for deadline := time.Now().Add(5 * time.Second); gcPercent() != 400 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if p := gcPercent(); p != 400 {
		t.Fatalf("after the first collection: GOGC %d, want 400", p)
	}
	runtime.KeepAlive(keep)
}
