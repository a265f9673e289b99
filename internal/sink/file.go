package sink

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// File appends alerts as NDJSON to a file, synced to disk before Write
// returns, and rotates it by size: name -> name.1 -> name.2 ..., keeping
// MaxFiles old files.
type File struct {
	path     string
	maxBytes int64
	maxFiles int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// FileOptions configure a File sink.
type FileOptions struct {
	Path     string
	MaxBytes int64 // rotate beyond this size (default 100 MiB)
	MaxFiles int   // rotated files kept (default 10)
}

// NewFile opens (creating) the file.
func NewFile(opts FileOptions) (*File, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 100 << 20
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = 10
	}
	s := &File{path: opts.Path, maxBytes: opts.MaxBytes, maxFiles: opts.MaxFiles}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *File) open() error {
	if dir := filepath.Dir(s.path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("alert file: %w", err)
		}
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("alert file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("alert file: %w", err)
	}
	s.f, s.size = f, st.Size()
	return nil
}

// Name implements Sink.
func (s *File) Name() string { return "file " + s.path }

// Write implements Sink.
func (s *File) Write(_ context.Context, alerts []Alert) error {
	var buf []byte
	for _, a := range alerts {
		buf = append(buf, a.Doc...)
		buf = append(buf, '\n')
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return Permanent(fmt.Errorf("alert file %s is closed", s.path))
	}
	if s.size > 0 && s.size+int64(len(buf)) > s.maxBytes {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	n, err := s.f.Write(buf)
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", s.path, err)
	}
	return nil
}

func (s *File) rotate() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	s.f = nil
	os.Remove(fmt.Sprintf("%s.%d", s.path, s.maxFiles))
	for i := s.maxFiles - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", s.path, i), fmt.Sprintf("%s.%d", s.path, i+1))
	}
	if err := os.Rename(s.path, s.path+".1"); err != nil {
		return fmt.Errorf("rotate %s: %w", s.path, err)
	}
	return s.open()
}

// Close implements Sink.
func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
