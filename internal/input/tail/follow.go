package tail

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/source"
)

// follower reads one file (one identity) from its own goroutine.
type follower struct {
	t          *Tail
	id         fileID
	key        string // checkpoint key
	gz         bool
	startAtEnd bool
	sig        signature // as the scan that started it saw the file
	out        chan<- source.Batch

	mu   sync.Mutex
	path string      // the name it is matched under now; set by the scan
	gone atomic.Bool // not matched by the last scan: renamed away or removed

	// Used by the follower's goroutine only.
	f        *os.File
	sp       *splitter
	line     int64 // number of the last complete line consumed
	lastSize int64 // the size at the last growth check
}

func (fw *follower) currentPath() string {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	return fw.path
}

func (fw *follower) setPath(p string) {
	fw.mu.Lock()
	fw.path = p
	fw.mu.Unlock()
}

// batch is a batch in the making, with the position it ends at.
type batch struct {
	recs  []source.Record
	bytes int
	end   int64 // offset after its last line (skipped and blank lines included)
	line  int64 // that line's number
}

// run reads the file until ctx is done, the file is finished (a .gz file at
// its end, a followed file renamed away or removed and idle), or an error.
func (fw *follower) run(ctx context.Context) exit {
	path := fw.currentPath()
	f, err := os.Open(path)
	if err != nil {
		return exit{id: fw.id, err: err, sig: fw.sig}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return exit{id: fw.id, err: err, sig: fw.sig}
	}
	if id, ok := identityOf(fi); !ok || id != fw.id {
		f.Close()
		return exit{id: fw.id, retry: true} // replaced since the scan: the next scan sees the new one
	}
	fw.f = f
	fw.t.open.Add(1)
	defer func() {
		f.Close()
		fw.t.open.Add(-1)
	}()
	if fw.gz {
		return fw.readGzip(ctx, fi)
	}
	return fw.follow(ctx, fi)
}

// follow reads a plain file and keeps reading what is appended.
func (fw *follower) follow(ctx context.Context, fi fs.FileInfo) exit {
	off, head, err := fw.startPosition(ctx, fi)
	if err != nil {
		return exit{id: fw.id, err: err, retry: true}
	}
	if _, err := fw.f.Seek(off, io.SeekStart); err != nil {
		return exit{id: fw.id, err: err, sig: fw.sig}
	}
	fw.sp = newSplitter(fw.f, off, fw.t.opts.MaxLineBytes)
	fw.sp.head, fw.sp.keepHead = head, true
	fw.lastSize = fi.Size()
	poll := fw.t.opts.Poll
	var idle time.Duration
	lastOff := fw.sp.off
	for {
		// Checked before every read, so that content written over a
		// truncated file is not read from the old position.
		st, err := fw.f.Stat()
		if err != nil {
			return exit{id: fw.id, err: err, sig: fw.sig}
		}
		if why := fw.truncated(st); why != "" {
			fw.restart(ctx, why)
			idle, lastOff = 0, 0
		}
		b, _, err := fw.fill(ctx, true)
		if len(b.recs) > 0 && !fw.deliver(ctx, b) {
			return exit{}
		}
		if err != nil {
			return exit{id: fw.id, err: fmt.Errorf("read %s: %w", fw.currentPath(), err), sig: fw.statSig()}
		}
		if len(b.recs) > 0 {
			continue // more may be there already
		}
		if fw.gone.Load() && fw.sp.off == lastOff {
			idle += poll
			if idle >= fw.t.opts.CloseIdle {
				if !fw.flushRest(ctx) {
					return exit{}
				}
				// Read to its end: a restart need not look for it.
				p := fw.position(fw.sp.done, fw.line)
				p.Closed = true
				fw.save(ctx, p)
				return exit{id: fw.id, sig: fw.statSig()}
			}
		} else {
			idle = 0
		}
		lastOff = fw.sp.off
		if !sleep(ctx, poll) {
			return exit{}
		}
	}
}

func (fw *follower) statSig() signature {
	if st, err := fw.f.Stat(); err == nil {
		return sigOf(st)
	}
	return fw.sig
}

// startPosition positions a plain file: at its checkpoint, else at its start
// or (StartAt "end" at startup) after its last complete line. It returns the
// offset and the file's first bytes up to it (at most prefixMax).
func (fw *follower) startPosition(ctx context.Context, fi fs.FileInfo) (int64, []byte, error) {
	p, ok, err := fw.load(ctx)
	if err != nil {
		return 0, nil, err
	}
	path := fw.currentPath()
	if ok {
		if p.Offset > fi.Size() {
			fw.t.truncations.Add(1)
			fw.t.log.Warn("file is shorter than its checkpoint (truncated while not followed?); reading it from its start",
				"path", path, "size", fi.Size(), "checkpoint", p.Offset)
			return 0, nil, nil
		}
		head, full, err := readHead(fw.f, p.PrefixLen)
		if err != nil {
			return 0, nil, fmt.Errorf("read %s: %w", path, err)
		}
		if p.PrefixLen > 0 && (!full || headHash(head) != p.PrefixHash) {
			fw.t.truncations.Add(1)
			fw.t.log.Warn("file's first bytes differ from its checkpoint (rewritten, or a new file reusing the inode); reading it from its start",
				"path", path)
			return 0, nil, nil
		}
		fw.line = p.Line
		return p.Offset, head, nil
	}
	if !fw.startAtEnd {
		return 0, nil, nil
	}
	off, lines, err := lastLineEnd(fw.f, fi.Size())
	if err != nil {
		return 0, nil, fmt.Errorf("read %s: %w", path, err)
	}
	head, _, err := readHead(fw.f, int(min(off, prefixMax)))
	if err != nil {
		return 0, nil, fmt.Errorf("read %s: %w", path, err)
	}
	fw.line = lines
	// Saved now: a restart before the first batch must not skip what
	// was appended in between.
	fw.save(ctx, position{Path: path, Offset: off, Line: lines, PrefixLen: len(head), PrefixHash: headHash(head)})
	return off, head, nil
}

// lastLineEnd returns the offset after the last "\n" in f's first size
// bytes and how many "\n" there are.
func lastLineEnd(f *os.File, size int64) (off, lines int64, err error) {
	buf := make([]byte, 1<<20)
	for pos := int64(0); pos < size; {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-pos)], pos)
		chunk := buf[:n]
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			off = pos + int64(i) + 1
			lines += int64(bytes.Count(chunk, []byte{'\n'}))
		}
		pos += int64(n)
		if err == io.EOF {
			break // shrank meanwhile; the growth check handles it
		}
		if err != nil {
			return 0, 0, err
		}
	}
	return off, lines, nil
}

// load returns the file's checkpoint. An unreadable value is logged and
// read as the file's start (ok is true: StartAt does not apply).
func (fw *follower) load(ctx context.Context) (position, bool, error) {
	cp := fw.t.opts.Checkpoints
	if cp == nil {
		return position{}, false, nil
	}
	v, ok, err := cp.LoadCheckpoint(ctx, fw.key)
	if err != nil {
		return position{}, false, fmt.Errorf("load checkpoint of %s: %w", fw.currentPath(), err)
	}
	if !ok {
		return position{}, false, nil
	}
	p, err := decodePosition(v)
	if err != nil {
		fw.t.errs.Add(1)
		fw.t.log.Warn("unreadable checkpoint; reading the file from its start", "path", fw.currentPath(), "key", fw.key, "err", err)
		return position{}, true, nil
	}
	if p.Gone {
		return position{}, false, nil // a new file reusing the inode of one reported lost
	}
	return p, true, nil
}

// fill reads up to a batch of lines. When follow is set and the file is at
// its end with a non-empty batch, it waits FlushDelay once for more. eof
// reports that the data available now was read to its end.
func (fw *follower) fill(ctx context.Context, follow bool) (b batch, eof bool, err error) {
	o := &fw.t.opts
	path := fw.currentPath()
	waited := false
	for len(b.recs) < o.BatchLines && b.bytes < o.BatchBytes {
		line, n, tooLong, rerr := fw.sp.next()
		if rerr == io.EOF {
			if follow && len(b.recs) > 0 && !waited {
				waited = true
				if sleep(ctx, o.FlushDelay) {
					continue
				}
			}
			eof = true
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
		fw.line++
		fw.take(&b, path, line, n, tooLong)
	}
	b.end, b.line = fw.sp.done, fw.line
	return b, eof, err
}

// take adds the line just consumed to b, unless it is blank or too long.
func (fw *follower) take(b *batch, path string, line []byte, n int64, tooLong bool) {
	if tooLong {
		fw.t.tooLong.Add(1)
		fw.t.log.Warn("line longer than the limit skipped", "origin", fmt.Sprintf("%s line %d", path, fw.line),
			"bytes", n, "max_line_bytes", fw.t.opts.MaxLineBytes)
		return
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	b.recs = append(b.recs, source.Record{
		Data:   bytes.Clone(line),
		Index:  fw.t.opts.Index,
		Origin: fmt.Sprintf("%s line %d", path, fw.line),
	})
	b.bytes += len(line)
	fw.t.lines.Add(1)
	fw.t.bytes.Add(int64(len(line)))
}

// flushRest delivers an unterminated last line of a file that is finished.
// It returns false when ctx ended first.
func (fw *follower) flushRest(ctx context.Context) bool {
	if !fw.sp.partial() {
		return true
	}
	line, n, tooLong := fw.sp.rest()
	fw.line++
	path := fw.currentPath()
	var b batch
	fw.take(&b, path, line, n, tooLong)
	if len(b.recs) == 0 {
		return true
	}
	fw.t.log.Warn("file finished with an unterminated last line; delivered as it is", "origin", b.recs[0].Origin)
	b.end, b.line = fw.sp.done, fw.line
	return fw.deliver(ctx, b)
}

// truncated tells why the file must be read again from its start, or "".
func (fw *follower) truncated(st fs.FileInfo) string {
	size := st.Size()
	if size < fw.sp.off {
		return fmt.Sprintf("size %d below the read position %d", size, fw.sp.off)
	}
	grew := size != fw.lastSize
	fw.lastSize = size
	if !grew {
		return ""
	}
	if head := fw.sp.head; len(head) > 0 {
		cur, _, err := readHead(fw.f, len(head))
		if err == nil && !bytes.Equal(cur, head) {
			return "its first bytes changed"
		}
	}
	return ""
}

// restart reads the file again from its start. Nothing is in flight then.
func (fw *follower) restart(ctx context.Context, why string) {
	path := fw.currentPath()
	fw.t.truncations.Add(1)
	fw.t.log.Warn("file truncated; reading it again from its start", "path", path, "why", why)
	if _, err := fw.f.Seek(0, io.SeekStart); err != nil {
		fw.t.errs.Add(1)
		fw.t.log.Error("seek after truncation", "path", path, "err", err)
	}
	fw.sp.reset(fw.f, 0)
	fw.line = 0
	fw.lastSize = 0
	// The old position is meaningless now; a restart must not skip the
	// new content up to it.
	fw.save(ctx, position{Path: path})
}

// deliver sends b and waits for its acknowledgement, sending it again after
// a backoff while it is acknowledged with an error. On success it saves the
// position. It returns false when ctx ended first.
func (fw *follower) deliver(ctx context.Context, b batch) bool {
	acked := source.Deliver(ctx, fw.out, b.recs, fw.t.opts.RetryDelay, maxRetryDelay, func(err error, wait time.Duration) {
		fw.t.redeliveries.Add(1)
		fw.t.log.Warn("batch not acknowledged; sending it again", "first", b.recs[0].Origin,
			"lines", len(b.recs), "retry_in", wait, "err", err)
	})
	if !acked {
		return false
	}
	fw.commit(ctx, b)
	return ctx.Err() == nil
}

// commit saves the position after an acknowledged batch.
func (fw *follower) commit(ctx context.Context, b batch) {
	fw.save(ctx, fw.position(b.end, b.line))
}

// position is the checkpoint of the file read up to end, line.
func (fw *follower) position(end, line int64) position {
	p := position{Path: fw.currentPath(), Offset: end, Line: line}
	if !fw.gz {
		head := fw.sp.head[:min(int64(len(fw.sp.head)), end)]
		p.PrefixLen, p.PrefixHash = len(head), headHash(head)
		p.Size = max(fw.lastSize, end)
	}
	return p
}

// save stores p, even while ctx is being cancelled: an acknowledged batch
// should not be read again after the shutdown.
func (fw *follower) save(ctx context.Context, p position) {
	cp := fw.t.opts.Checkpoints
	if cp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if err := cp.SaveCheckpoint(ctx, fw.key, p.encode()); err != nil {
		fw.t.errs.Add(1)
		fw.t.log.Error("checkpoint not saved; lines up to it will be read again after a restart",
			"path", p.Path, "offset", p.Offset, "err", err)
	}
}

// readGzip reads a .gz file once, to its end.
func (fw *follower) readGzip(ctx context.Context, fi fs.FileInfo) exit {
	sig := sigOf(fi)
	path := fw.currentPath()
	p, ok, err := fw.load(ctx)
	if err != nil {
		return exit{id: fw.id, err: err, retry: true}
	}
	switch {
	case ok && p.Done && p.Size == fi.Size():
		return exit{id: fw.id, sig: sig} // read by an earlier run
	case ok && p.Done:
		fw.t.log.Warn("compressed file changed since it was read; reading it again", "path", path)
		p = position{}
	case !ok && fw.startAtEnd:
		fw.save(ctx, position{Path: path, Done: true, Size: fi.Size()})
		return exit{id: fw.id, sig: sig}
	}
	zr, err := gzip.NewReader(fw.f)
	if err != nil {
		return exit{id: fw.id, err: fmt.Errorf("read %s: %w", path, err), sig: sig}
	}
	defer zr.Close()
	if p.Offset > 0 {
		if _, err := io.CopyN(io.Discard, zr, p.Offset); err != nil {
			if !errors.Is(err, io.EOF) {
				return exit{id: fw.id, err: fmt.Errorf("read %s: %w", path, err), sig: sig}
			}
			fw.t.truncations.Add(1)
			fw.t.log.Warn("compressed file shorter than its checkpoint; reading it from its start", "path", path)
			if _, err := fw.f.Seek(0, io.SeekStart); err != nil {
				return exit{id: fw.id, err: err, sig: sig}
			}
			if err := zr.Reset(fw.f); err != nil {
				return exit{id: fw.id, err: fmt.Errorf("read %s: %w", path, err), sig: sig}
			}
			p = position{}
		}
	}
	fw.line = p.Line
	fw.sp = newSplitter(zr, p.Offset, fw.t.opts.MaxLineBytes)
	for {
		b, eof, err := fw.fill(ctx, false)
		if len(b.recs) > 0 && !fw.deliver(ctx, b) {
			return exit{}
		}
		if err != nil {
			return exit{id: fw.id, err: fmt.Errorf("read %s after line %d: %w (the lines before were delivered)", path, fw.line, err), sig: sig}
		}
		if eof {
			break
		}
	}
	if !fw.flushRest(ctx) {
		return exit{}
	}
	fw.save(ctx, position{Path: path, Offset: fw.sp.done, Line: fw.line, Done: true, Size: fi.Size()})
	return exit{id: fw.id, sig: sig}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
