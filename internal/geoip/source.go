package geoip

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Source is the databases of a long-running service, read again when one
// of their files changes (size or modification time), as the service's
// indicator files are. The databases are read into memory rather than
// memory-mapped, so that a reload never unmaps a database a lookup still
// reads: the previous set is dropped and collected. A Source is safe for
// concurrent use.
type Source struct {
	paths []string
	cur   atomic.Pointer[Databases]
	mu    sync.Mutex // serializes Reload
	stamp string
}

// NewSource reads the databases at paths.
func NewSource(paths []string) (*Source, error) {
	s := &Source{paths: append([]string(nil), paths...)}
	if _, err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Databases returns the databases in force (nil for a nil Source).
func (s *Source) Databases() *Databases {
	if s == nil {
		return nil
	}
	return s.cur.Load()
}

// Paths returns the files the source reads.
func (s *Source) Paths() []string { return append([]string(nil), s.paths...) }

// Reload reads the files again if any changed since the last read, and
// reports whether it did. When a file cannot be read, or the new set is
// not valid, the databases in force stay and the error is returned.
func (s *Source) Reload() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, p := range s.paths {
		fi, err := os.Stat(p)
		if err != nil {
			return false, fmt.Errorf("geoip: %w", err)
		}
		fmt.Fprintf(&b, "%s\x00%d\x00%s\n", p, fi.Size(), fi.ModTime().Format(time.RFC3339Nano))
	}
	if s.cur.Load() != nil && b.String() == s.stamp {
		return false, nil
	}
	dbs, err := load(s.paths, true)
	if err != nil {
		return false, fmt.Errorf("geoip: %w", err)
	}
	s.cur.Store(dbs)
	s.stamp = b.String()
	return true, nil
}
