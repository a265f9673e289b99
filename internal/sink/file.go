package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// FileOptions configure a File sink.
type FileOptions struct {
	Path string
	// MaxBytes is the size a file may reach before the next alert goes to
	// a new one (default 100 MiB). A single document larger than that
	// gets a file of its own.
	MaxBytes int64
	// MaxFiles is how many rotated files are kept (default 10): Path.1 is
	// the newest, Path.<MaxFiles> the oldest; older ones are deleted.
	MaxFiles int
}

// File appends alerts as NDJSON (one compacted document per line) to a
// file, synced to disk before Write returns, and rotates it by size:
// Path -> Path.1 -> Path.2 ... Concurrent Writes are serialized; each
// alert lands in exactly one file, whole.
type File struct {
	path     string
	maxBytes int64
	maxFiles int
	counters

	mu     sync.Mutex
	f      *os.File // nil after Close, or when reopening failed
	size   int64
	closed bool
}

// NewFile opens (creating it and its directory) the file.
func NewFile(opts FileOptions) (*File, error) {
	if opts.Path == "" {
		return nil, errors.New("alert file: no path")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 100 << 20
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = 10
	}
	s := &File{path: opts.Path, maxBytes: opts.MaxBytes, maxFiles: opts.MaxFiles}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
		return nil, fmt.Errorf("alert file: %w", err)
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

// open opens the file for appending. A file whose last line was cut short
// (a crash, a full disk) gets a newline first, so that the next document
// starts on a line of its own.
func (s *File) open() error {
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("alert file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("alert file: %w", err)
	}
	size := st.Size()
	if size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			f.Close()
			return fmt.Errorf("alert file: %w", err)
		}
		if last[0] != '\n' {
			n, err := f.Write([]byte{'\n'})
			size += int64(n)
			if err != nil {
				f.Close()
				return fmt.Errorf("alert file: repair the last line of %s: %w", s.path, err)
			}
		}
	}
	s.f, s.size = f, size
	return nil
}

// Name implements Sink.
func (s *File) Name() string { return "file " + s.path }

// Write implements Sink. A document that is not a JSON object is rejected
// (a PartialError or PermanentError names it); the others are written.
func (s *File) Write(_ context.Context, alerts []Alert) error {
	out := newOutcome(len(alerts))
	lines := make([][]byte, 0, len(alerts))
	kept := make([]Alert, 0, len(alerts))
	for _, a := range alerts {
		var b bytes.Buffer
		if err := appendDoc(&b, a); err != nil {
			out.reject(a, err)
			continue
		}
		b.WriteByte('\n')
		lines = append(lines, b.Bytes())
		kept = append(kept, a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.write(kept, lines, out)
	err := out.err()
	s.count(len(alerts), err)
	return err
}

// write appends lines (the documents of alerts) in chunks that fit the
// current file, rotating between them, and records in out the alerts it
// could not write.
func (s *File) write(alerts []Alert, lines [][]byte, out *outcome) {
	if s.closed {
		for _, a := range alerts {
			out.reject(a, Permanent(fmt.Errorf("alert file %s is closed", s.path)))
		}
		return
	}
	if s.f == nil && len(lines) > 0 {
		if err := s.open(); err != nil {
			out.retryAll(alerts, err)
			return
		}
	}
	for i := 0; i < len(lines); {
		if s.size > 0 && s.size+int64(len(lines[i])) > s.maxBytes {
			if err := s.rotate(); err != nil {
				out.retryAll(alerts[i:], err)
				return
			}
		}
		var chunk []byte
		j := i
		for j < len(lines) && (j == i || s.size+int64(len(chunk)+len(lines[j])) <= s.maxBytes) {
			chunk = append(chunk, lines[j]...)
			j++
		}
		if err := s.append(chunk); err != nil {
			out.retryAll(alerts[i:], err)
			return
		}
		i = j
	}
}

// append writes chunk and syncs it. On failure the file is cut back to
// its previous size, so that no partial line stays behind.
func (s *File) append(chunk []byte) error {
	n, err := s.f.Write(chunk)
	if err == nil {
		if err = s.f.Sync(); err != nil {
			err = fmt.Errorf("alert file: sync %s: %w", s.path, err)
		}
	} else {
		err = fmt.Errorf("alert file: write %s: %w", s.path, err)
	}
	if err == nil {
		s.size += int64(n)
		return nil
	}
	if n > 0 {
		if terr := s.f.Truncate(s.size); terr != nil {
			// The file holds a partial line; reopening starts a new one.
			s.f.Close()
			s.f = nil
		}
	}
	return err
}

// rotate renames Path.i to Path.i+1 (dropping the oldest), Path to
// Path.1, and opens a new Path.
func (s *File) rotate() error {
	if err := s.f.Close(); err != nil {
		s.f = nil
		return fmt.Errorf("alert file: close %s: %w", s.path, err)
	}
	s.f = nil
	err := os.Remove(s.rotated(s.maxFiles))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s.reopenAfter(fmt.Errorf("alert file: rotate %s: %w", s.path, err))
	}
	for i := s.maxFiles - 1; i >= 1; i-- {
		err := os.Rename(s.rotated(i), s.rotated(i+1))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return s.reopenAfter(fmt.Errorf("alert file: rotate %s: %w", s.path, err))
		}
	}
	if err := os.Rename(s.path, s.rotated(1)); err != nil {
		return s.reopenAfter(fmt.Errorf("alert file: rotate %s: %w", s.path, err))
	}
	syncDir(filepath.Dir(s.path))
	return s.open()
}

// reopenAfter reopens the current file after a failed rotation, so that
// the next Write tries again, and returns err.
func (s *File) reopenAfter(err error) error {
	if oerr := s.open(); oerr != nil {
		return errors.Join(err, oerr)
	}
	return err
}

func (s *File) rotated(i int) string { return s.path + "." + strconv.Itoa(i) }

// syncDir makes renames in dir durable (best effort: some file systems
// cannot sync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Close implements Sink. Writes after Close fail permanently.
func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return fmt.Errorf("alert file: close %s: %w", s.path, err)
	}
	return nil
}
