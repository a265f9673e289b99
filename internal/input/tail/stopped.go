package tail

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// checkpointLister is a checkpoint store that can list keys by prefix (the
// state store can). Only with one does a start find files rotated while
// Vigil was stopped.
type checkpointLister interface {
	ListCheckpoints(ctx context.Context, prefix string) (map[string]string, error)
}

// resumeUnmatched finishes, at startup, the files that were being read when
// Vigil stopped and that the patterns no longer match (matched holds those
// they do): logrotate renamed "app.json" to "app.json.1" meanwhile, and the
// lines written before the rename would be lost. Each such file is looked
// for by its identity among the files of its directory, whatever their
// names, and read from its checkpoint to its end, then closed, as a file
// renamed away while followed is. A file not found (deleted, or moved to
// another directory) is reported once, with how much of it is known to be
// unread, and counted in Stats.Lost.
func (m *manager) resumeUnmatched(ctx context.Context, wg *sync.WaitGroup, matched map[fileID]match) {
	lister, ok := m.t.opts.Checkpoints.(checkpointLister)
	if !ok {
		return
	}
	name := m.t.opts.Name
	cps, err := lister.ListCheckpoints(ctx, name+"|")
	if err != nil {
		m.t.errs.Add(1)
		m.t.log.Error("files rotated while stopped not looked for: cannot list the checkpoints", "err", err)
		return
	}
	dirs := map[string]map[fileID]string{} // directory -> its files by identity; nil: unreadable
	for _, key := range slices.Sorted(maps.Keys(cps)) {
		id, ok := keyID(name, key)
		if !ok {
			continue
		}
		if _, ok := matched[id]; ok {
			continue // followed as usual
		}
		p, err := decodePosition(cps[key])
		if err != nil || p.Done || p.Closed || p.Gone || p.Path == "" {
			continue // nothing left to read, or nothing known of it
		}
		dir := filepath.Dir(p.Path)
		files, listed := dirs[dir]
		if !listed {
			files = m.identities(dir)
			dirs[dir] = files
		}
		if files == nil {
			continue // not readable now: looked for again at the next start
		}
		if path, ok := files[id]; ok && sameFile(path, p) {
			m.t.rotations.Add(1)
			m.t.log.Info("file renamed while stopped; reading the rest of it", "from", p.Path, "to", path, "offset", p.Offset)
			fw := &follower{t: m.t, id: id, key: key, gz: strings.HasSuffix(p.Path, ".gz"), path: path, out: m.out}
			fw.gone.Store(true) // closed once read to its end and idle
			m.start(ctx, wg, fw)
			continue
		}
		unread := max(p.Size-p.Offset, 0)
		m.t.lost.Add(1)
		m.t.lostBytes.Add(unread)
		m.t.log.Warn("file gone while stopped (deleted, or moved out of its directory) before it was read to its end; "+
			"its unread lines are lost, at least unread_bytes of them", "path", p.Path, "offset", p.Offset, "unread_bytes", unread)
		p.Gone = true
		m.saveCheckpoint(ctx, key, p)
	}
}

// identities returns the regular files in dir by identity, or nil when dir
// cannot be read.
func (m *manager) identities(dir string) map[fileID]string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		m.t.errs.Add(1)
		m.t.log.Error("directory not readable: files rotated in it while stopped not looked for", "dir", dir, "err", err)
		return nil
	}
	files := map[fileID]string{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // gone since the listing
		}
		if id, ok := identityOf(fi); ok {
			files[id] = filepath.Join(dir, e.Name())
		}
	}
	return files
}

// sameFile tells whether the file at path, which has the identity of p's
// file, is that file and not a new one reusing its inode: it is not shorter
// than p's offset and begins with the same bytes. A file that fails is taken
// for lost: reading an unrelated file would be worse.
func sameFile(path string, p position) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !strings.HasSuffix(p.Path, ".gz") && fi.Size() < p.Offset { // a .gz offset is decompressed
		return false
	}
	if p.PrefixLen == 0 {
		return true
	}
	head, full, err := readHead(f, p.PrefixLen)
	return err == nil && full && headHash(head) == p.PrefixHash
}

// saveCheckpoint stores p under key from the manager's goroutine.
func (m *manager) saveCheckpoint(ctx context.Context, key string, p position) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if err := m.t.opts.Checkpoints.SaveCheckpoint(ctx, key, p.encode()); err != nil {
		m.t.errs.Add(1)
		m.t.log.Error("checkpoint not saved", "path", p.Path, "err", err)
	}
}
