package input

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-project/vigil/internal/source"
)

// Tail is a live input that follows files matching glob patterns as they
// grow, like `tail -F`: new files are picked up, a renamed (rotated) file
// is read to its end before its successor, a truncated file (copytruncate)
// is read again from its start. Each file's offset is checkpointed after
// the batch that read it is acknowledged, so a restart resumes exactly
// there: nothing is lost, and only an unacknowledged batch is read twice.
//
// Files are polled (no inotify), which works on every file system,
// network mounts included. A line is emitted once its newline is written;
// a partial last line waits. One batch per file is in flight at a time, so
// lines of a file are delivered in order.
type Tail struct {
	opts TailOptions
	lag  atomic.Int64
}

// Lag returns the bytes of the followed files not read yet, as of the last
// poll.
func (t *Tail) Lag() int64 { return t.lag.Load() }

// TailOptions configure a Tail.
type TailOptions struct {
	Name        string   // input name: metrics, logs and checkpoint keys
	Paths       []string // files or glob patterns
	Index       string
	Checkpoints source.Checkpoints // nil: no checkpoints (start per StartAt each time)
	StartAt     string             // "beginning" (default) or "end", for files without a checkpoint
	Poll        time.Duration      // default 250ms
	BatchLines  int                // default 500
	MaxLine     int                // longer lines are skipped and logged (default 16 MiB)
	Logger      *slog.Logger
}

// NewTail checks the options and returns the input.
func NewTail(opts TailOptions) (*Tail, error) {
	if len(opts.Paths) == 0 {
		return nil, errors.New("tail: no paths")
	}
	for _, p := range opts.Paths {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("tail: bad pattern %q: %w", p, err)
		}
	}
	switch opts.StartAt {
	case "":
		opts.StartAt = "beginning"
	case "beginning", "end":
	default:
		return nil, fmt.Errorf("tail: start_at %q: use beginning or end", opts.StartAt)
	}
	if opts.Name == "" {
		opts.Name = "tail"
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.BatchLines <= 0 {
		opts.BatchLines = 500
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = 16 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Tail{opts: opts}, nil
}

// Name implements source.Source.
func (t *Tail) Name() string { return t.opts.Name }

// follower reads one file.
type follower struct {
	path     string
	f        *os.File
	id       fileID
	offset   int64 // checkpointed position: the end of the last acknowledged line
	pos      int64 // bytes read from the file
	line     int
	br       *bufio.Reader
	part     []byte // an incomplete last line
	skipping bool   // inside a line longer than MaxLine
	gone     bool   // renamed or deleted: read to its end, then drop
}

type fileID struct{ dev, ino uint64 }

func (id fileID) String() string { return fmt.Sprintf("%d:%d", id.dev, id.ino) }

func statID(fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileID{}
}

// Run implements source.Source.
func (t *Tail) Run(ctx context.Context, out chan<- source.Batch) error {
	files := map[fileID]*follower{}
	tick := time.NewTicker(t.opts.Poll)
	defer tick.Stop()
	defer func() {
		for _, fl := range files {
			fl.f.Close()
		}
	}()
	for {
		t.discover(ctx, files)
		ids := make([]fileID, 0, len(files))
		for id := range files {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return files[ids[i]].path < files[ids[j]].path })
		var lag int64
		for _, fl := range files {
			if fi, err := fl.f.Stat(); err == nil && fi.Size() > fl.offset {
				lag += fi.Size() - fl.offset
			}
		}
		t.lag.Store(lag)
		progress := false
		for _, id := range ids {
			fl := files[id]
			n, err := t.drain(ctx, fl, out)
			if err != nil {
				return err
			}
			if n > 0 {
				progress = true
			}
			if fl.gone && n == 0 {
				t.opts.Logger.Info("tail: finished a rotated or deleted file", "input", t.opts.Name, "path", fl.path, "lines", fl.line)
				fl.f.Close()
				delete(files, id)
			}
		}
		if progress {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// discover opens new matching files and notices rotations and truncations.
func (t *Tail) discover(ctx context.Context, files map[fileID]*follower) {
	present := map[fileID]bool{}
	for _, pat := range t.opts.Paths {
		matches, _ := filepath.Glob(pat)
		for _, p := range matches {
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() || strings.HasSuffix(p, ".gz") {
				continue
			}
			id := statID(fi)
			present[id] = true
			if fl, ok := files[id]; ok {
				if fl.path != p {
					fl.path = p // renamed but still matching
				}
				if fi.Size() < fl.pos {
					t.opts.Logger.Warn("tail: file truncated; reading it again from the start", "input", t.opts.Name, "path", p)
					fl.f.Seek(0, io.SeekStart)
					fl.offset, fl.pos, fl.line, fl.part, fl.skipping = 0, 0, 0, nil, false
					fl.br.Reset(fl.f)
				}
				continue
			}
			fl, err := t.open(ctx, p, id, fi)
			if err != nil {
				t.opts.Logger.Error("tail: cannot open", "input", t.opts.Name, "path", p, "error", err)
				continue
			}
			files[id] = fl
		}
	}
	for id, fl := range files {
		if !present[id] && !fl.gone {
			fl.gone = true
		}
	}
}

func (t *Tail) open(ctx context.Context, p string, id fileID, fi os.FileInfo) (*follower, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	fl := &follower{path: p, f: f, id: id}
	start := int64(0)
	if t.opts.StartAt == "end" {
		start = fi.Size()
	}
	if t.opts.Checkpoints != nil {
		v, ok, err := t.opts.Checkpoints.LoadCheckpoint(ctx, t.key(id))
		if err != nil {
			f.Close()
			return nil, err
		}
		if ok {
			off, line := parseCheckpoint(v)
			if off <= fi.Size() {
				start, fl.line = off, line
			}
		}
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	fl.offset, fl.pos = start, start
	fl.br = bufio.NewReaderSize(f, 64<<10)
	t.opts.Logger.Info("tail: following", "input", t.opts.Name, "path", p, "offset", start)
	return fl, nil
}

func (t *Tail) key(id fileID) string { return "tail:" + t.opts.Name + ":" + id.String() }

func parseCheckpoint(v string) (off int64, line int) {
	a, b, _ := strings.Cut(v, ",")
	off, _ = strconv.ParseInt(a, 10, 64)
	line, _ = strconv.Atoi(b)
	return off, line
}

// drain sends the complete lines available in fl, batch by batch, each
// acknowledged before the next, and returns how many it sent.
func (t *Tail) drain(ctx context.Context, fl *follower, out chan<- source.Batch) (int, error) {
	sent := 0
	for {
		var recs []source.Record
		line := fl.line
		for len(recs) < t.opts.BatchLines {
			b, err := fl.br.ReadSlice('\n')
			fl.pos += int64(len(b))
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				if !fl.skipping {
					fl.part = append(fl.part, b...) // no newline yet: wait for it
				}
				break
			}
			if fl.skipping || len(fl.part)+len(b) > t.opts.MaxLine {
				if !fl.skipping {
					fl.skipping, fl.part = true, nil
				}
				if err == nil { // the long line ended
					fl.skipping = false
					line++
					t.opts.Logger.Error("tail: line too long, skipped", "input", t.opts.Name, "path", fl.path, "line", line, "max_bytes", t.opts.MaxLine)
				}
				continue
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				fl.part = append(fl.part, b...)
				continue
			}
			line++
			data := append(fl.part, b...)
			fl.part = nil
			if d := trimLine(data); len(d) > 0 {
				recs = append(recs, source.Record{Data: d, Index: t.opts.Index, Origin: fmt.Sprintf("%s line %d", fl.path, line)})
			}
		}
		// Checkpoint up to the last complete line; a partial line stays
		// buffered (and is read again after a restart).
		complete := fl.pos - int64(len(fl.part))
		if len(recs) == 0 {
			if complete > fl.offset && !fl.skipping { // blank or skipped lines only
				fl.offset, fl.line = complete, line
				t.save(ctx, fl)
			}
			return sent, nil
		}
		for {
			done := make(chan error, 1)
			// The checkpoint is saved by the acknowledgement itself, so that
			// a batch acknowledged while the input shuts down is not read
			// again after a restart.
			ckOff, ckLine, skipping, id, path := complete, line, fl.skipping, fl.id, fl.path
			ack := func(err error) {
				if err == nil && !skipping {
					t.saveAt(context.WithoutCancel(ctx), id, path, ckOff, ckLine)
				}
				done <- err
			}
			select {
			case out <- source.Batch{Records: recs, Ack: ack}:
			case <-ctx.Done():
				return sent, nil
			}
			var err error
			select {
			case err = <-done:
			case <-ctx.Done():
				return sent, nil
			}
			if err == nil {
				break
			}
			t.opts.Logger.Warn("tail: batch not acknowledged; sending it again", "input", t.opts.Name, "path", fl.path, "error", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return sent, nil
			}
		}
		sent += len(recs)
		fl.line = line
		if !fl.skipping {
			fl.offset = complete
		}
	}
}

func (t *Tail) save(ctx context.Context, fl *follower) {
	t.saveAt(ctx, fl.id, fl.path, fl.offset, fl.line)
}

func (t *Tail) saveAt(ctx context.Context, id fileID, path string, offset int64, line int) {
	if t.opts.Checkpoints == nil {
		return
	}
	if err := t.opts.Checkpoints.SaveCheckpoint(ctx, t.key(id), fmt.Sprintf("%d,%d", offset, line)); err != nil {
		t.opts.Logger.Error("tail: checkpoint not saved; a restart may read lines again", "input", t.opts.Name, "path", path, "error", err)
	}
}

func trimLine(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
