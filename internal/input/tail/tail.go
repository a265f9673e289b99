package tail

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/source"
)

// Options configure a Tail. Zero values take the defaults named.
type Options struct {
	// Name identifies the input in logs and checkpoint keys. Default:
	// "tail:" and the patterns joined by ",". Changing it orphans the
	// saved positions.
	Name string
	// Paths are file names or filepath.Glob patterns (required).
	Paths []string
	// Index is given to every record (may be "").
	Index string
	// Checkpoints keeps file positions across runs (nil: none are kept).
	Checkpoints source.Checkpoints
	// StartAt is where a file found at startup without a checkpoint is
	// read from: "beginning" (default) or "end".
	StartAt string
	// Poll is the interval of pattern expansion and growth checks
	// (default 250ms).
	Poll time.Duration
	// FlushDelay: a batch smaller than BatchLines is sent once the file is
	// at its end and this delay passed without filling it (default 100ms).
	FlushDelay time.Duration
	// BatchLines is the most lines in a batch (default 500).
	BatchLines int
	// BatchBytes: a batch is sent once its lines hold this many bytes
	// (default 8 MiB; a single longer line still makes a batch).
	BatchBytes int
	// MaxLineBytes: longer lines are skipped and counted (default 16 MiB).
	MaxLineBytes int
	// CloseIdle is how long a renamed-away or deleted file must stay at
	// its end without growing before it is closed (default 5s).
	CloseIdle time.Duration
	// RetryDelay is the first wait before a batch acknowledged with an
	// error is sent again; it doubles up to 30s (default 1s).
	RetryDelay time.Duration
	// Logger receives warnings and errors (nil: nothing is logged).
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultPoll         = 250 * time.Millisecond
	DefaultFlushDelay   = 100 * time.Millisecond
	DefaultBatchLines   = 500
	DefaultBatchBytes   = 8 << 20
	DefaultMaxLineBytes = 16 << 20
	DefaultCloseIdle    = 5 * time.Second
	DefaultRetryDelay   = time.Second
	maxRetryDelay       = 30 * time.Second
	saveTimeout         = 10 * time.Second
)

// Stats are counters of a Tail, safe to read while it runs.
type Stats struct {
	Lines        int64 // lines read into batches (redeliveries not counted)
	Bytes        int64 // bytes of those lines
	FilesOpen    int64 // files open now
	Rotations    int64 // followed files renamed or removed
	Truncations  int64 // files read again from their start (copytruncate, replaced)
	TooLong      int64 // lines skipped for exceeding MaxLineBytes
	Redeliveries int64 // batches sent again after Ack(err)
	Errors       int64 // open, read and checkpoint errors
	// Lost counts files with a checkpoint that were gone at startup
	// (deleted, or moved out of their directory, while Vigil was stopped)
	// before being read to their end; LostBytes is how much of them was
	// known to be unread (at least: they may have grown since).
	Lost      int64
	LostBytes int64
}

// Tail follows files; see the package documentation.
type Tail struct {
	opts    Options
	log     *slog.Logger
	running atomic.Bool

	lines, bytes, open, rotations, truncations, tooLong, redeliveries, errs, lost, lostBytes atomic.Int64
}

var _ source.Source = (*Tail)(nil)

// New checks the options and returns the input.
func New(opts Options) (*Tail, error) {
	if !identitySupported {
		return nil, fmt.Errorf("tail: following files needs device and inode numbers, not available on %s", runtime.GOOS)
	}
	if len(opts.Paths) == 0 {
		return nil, errors.New("tail: no paths to follow")
	}
	for _, p := range opts.Paths {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("tail: pattern %q: %w", p, err)
		}
	}
	switch opts.StartAt {
	case "":
		opts.StartAt = "beginning"
	case "beginning", "end":
	default:
		return nil, fmt.Errorf("tail: start_at %q: use \"beginning\" or \"end\"", opts.StartAt)
	}
	if opts.Poll < 0 || opts.FlushDelay < 0 || opts.CloseIdle < 0 || opts.RetryDelay < 0 ||
		opts.BatchLines < 0 || opts.BatchBytes < 0 || opts.MaxLineBytes < 0 {
		return nil, errors.New("tail: negative interval or size in options")
	}
	if opts.Name == "" {
		opts.Name = "tail:" + strings.Join(opts.Paths, ",")
	}
	setDefault(&opts.Poll, DefaultPoll)
	setDefault(&opts.FlushDelay, DefaultFlushDelay)
	setDefault(&opts.CloseIdle, DefaultCloseIdle)
	setDefault(&opts.RetryDelay, DefaultRetryDelay)
	setDefault(&opts.BatchLines, DefaultBatchLines)
	setDefault(&opts.BatchBytes, DefaultBatchBytes)
	setDefault(&opts.MaxLineBytes, DefaultMaxLineBytes)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Tail{opts: opts, log: log.With("input", opts.Name)}, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Name returns the input's name.
func (t *Tail) Name() string { return t.opts.Name }

// Stats returns the counters.
func (t *Tail) Stats() Stats {
	return Stats{
		Lines:        t.lines.Load(),
		Bytes:        t.bytes.Load(),
		FilesOpen:    t.open.Load(),
		Rotations:    t.rotations.Load(),
		Truncations:  t.truncations.Load(),
		TooLong:      t.tooLong.Load(),
		Redeliveries: t.redeliveries.Load(),
		Errors:       t.errs.Load(),
		Lost:         t.lost.Load(),
		LostBytes:    t.lostBytes.Load(),
	}
}

// signature tells whether a file changed between two looks at it.
type signature struct {
	size  int64
	mtime time.Time
}

func sigOf(fi fs.FileInfo) signature { return signature{fi.Size(), fi.ModTime()} }

// exit is what a follower reports when it stops before the context ends.
type exit struct {
	id    fileID
	err   error     // nil: read to its end and closed
	retry bool      // try again at the next scan, whatever the file does
	sig   signature // else: start again only once the file changed
}

// Run follows the files until ctx is done, then returns nil once every
// file's goroutine stopped. A batch not acknowledged by then is read again
// on the next start. Run may not be called twice at the same time.
func (t *Tail) Run(ctx context.Context, out chan<- source.Batch) error {
	if !t.running.CompareAndSwap(false, true) {
		return fmt.Errorf("%s: already running", t.opts.Name)
	}
	defer t.running.Store(false)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	m := &manager{
		t:       t,
		out:     out,
		active:  map[fileID]*follower{},
		parked:  map[fileID]signature{},
		gzSeen:  map[fileID]signature{},
		lastErr: map[fileID]string{},
		initial: map[fileID]bool{},
		exits:   make(chan exit),
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	matched := m.scan(ctx, &wg, true)
	m.resumeUnmatched(ctx, &wg, matched)
	tick := time.NewTicker(t.opts.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			m.scan(ctx, &wg, false)
		case e := <-m.exits:
			m.exited(e)
		}
	}
}

// manager expands the patterns and starts and stops followers. Only Run's
// goroutine uses it.
type manager struct {
	t       *Tail
	out     chan<- source.Batch
	active  map[fileID]*follower
	parked  map[fileID]signature // stopped followers, until the file changes
	gzSeen  map[fileID]signature // .gz files waiting to be stable
	lastErr map[fileID]string    // last error logged per file, to log each once
	initial map[fileID]bool      // files of the first scan, which StartAt applies to
	exits   chan exit
}

type match struct {
	path string
	sig  signature
}

// scan expands the patterns, tells followers whether their file is still
// matched (and under which name), and starts followers for new files. It
// returns the files matched.
func (m *manager) scan(ctx context.Context, wg *sync.WaitGroup, first bool) map[fileID]match {
	seen := map[fileID]match{}
	var order []fileID
	for _, pat := range m.t.opts.Paths {
		paths, _ := filepath.Glob(pat) // the only error, a bad pattern, was ruled out by New
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue // gone since the listing, or a directory, FIFO...
			}
			id, ok := identityOf(fi)
			if !ok {
				continue
			}
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = match{p, sigOf(fi)}
			order = append(order, id)
			if first {
				m.initial[id] = true
			}
		}
	}

	for id, fw := range m.active {
		mt, ok := seen[id]
		switch {
		case !ok:
			if !fw.gone.Swap(true) {
				m.t.rotations.Add(1)
				m.t.log.Info("file renamed away or removed; reading it to its end", "path", fw.currentPath())
			}
		case fw.gone.Swap(false):
			fw.setPath(mt.path)
			m.t.log.Info("file matched again", "path", mt.path)
		default:
			if old := fw.currentPath(); old != mt.path {
				fw.setPath(mt.path)
				m.t.rotations.Add(1)
				m.t.log.Info("file renamed; following it", "from", old, "to", mt.path)
			}
		}
	}

	gzNow := map[fileID]signature{}
	for _, id := range order {
		mt := seen[id]
		if _, ok := m.active[id]; ok {
			continue
		}
		if sig, ok := m.parked[id]; ok {
			if sig == mt.sig {
				continue
			}
			delete(m.parked, id)
		}
		gz := strings.HasSuffix(mt.path, ".gz")
		if gz {
			gzNow[id] = mt.sig
			if prev, ok := m.gzSeen[id]; !ok || prev != mt.sig {
				continue // still being written, maybe: wait for a stable look
			}
		}
		m.start(ctx, wg, &follower{t: m.t, id: id, key: checkpointKey(m.t.opts.Name, id), gz: gz, path: mt.path,
			sig: mt.sig, startAtEnd: m.initial[id] && m.t.opts.StartAt == "end", out: m.out})
	}
	m.gzSeen = gzNow
	// Forget what is known of files no longer matched; a file matched
	// again is resumed from its checkpoint.
	forgetUnseen(m.lastErr, seen)
	forgetUnseen(m.parked, seen)
	forgetUnseen(m.initial, seen)
	return seen
}

// start runs fw in its own goroutine.
func (m *manager) start(ctx context.Context, wg *sync.WaitGroup, fw *follower) {
	m.active[fw.id] = fw
	wg.Add(1)
	go func() {
		defer wg.Done()
		e := fw.run(ctx)
		if ctx.Err() != nil {
			return
		}
		select {
		case m.exits <- e:
		case <-ctx.Done():
		}
	}()
}

// exited records a follower that stopped.
func (m *manager) exited(e exit) {
	fw := m.active[e.id]
	delete(m.active, e.id)
	if !e.retry {
		m.parked[e.id] = e.sig
	}
	if e.err == nil {
		delete(m.lastErr, e.id)
		return
	}
	m.t.errs.Add(1)
	if msg := e.err.Error(); m.lastErr[e.id] != msg {
		m.lastErr[e.id] = msg
		path := ""
		if fw != nil {
			path = fw.currentPath()
		}
		m.t.log.Error("file not read", "path", path, "err", e.err)
	}
}

func forgetUnseen[V any](known map[fileID]V, seen map[fileID]match) {
	for id := range known {
		if _, ok := seen[id]; !ok {
			delete(known, id)
		}
	}
}
