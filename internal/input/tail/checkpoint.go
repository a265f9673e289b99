package tail

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"strings"
)

// fileID is a file's identity: it survives renames and tells a new file
// under an old name apart.
type fileID struct {
	dev, ino uint64
}

func (id fileID) String() string { return fmt.Sprintf("dev=%d|ino=%d", id.dev, id.ino) }

// checkpointKey is where a file's position is saved. The path is not part
// of it, so that a file renamed to another matching name keeps its position.
func checkpointKey(name string, id fileID) string {
	return name + "|" + id.String()
}

// keyID returns the identity in a checkpoint key of the input name.
func keyID(name, key string) (fileID, bool) {
	rest, ok := strings.CutPrefix(key, name+"|")
	if !ok {
		return fileID{}, false
	}
	var id fileID
	if _, err := fmt.Sscanf(rest, "dev=%d|ino=%d", &id.dev, &id.ino); err != nil || id.String() != rest {
		return fileID{}, false
	}
	return id, true
}

// position is a checkpoint's value, as JSON.
type position struct {
	Path   string `json:"path"`   // for humans; the key identifies the file
	Offset int64  `json:"offset"` // after the last acknowledged line (decompressed for .gz)
	Line   int64  `json:"line"`   // number of that line
	// PrefixLen and PrefixHash fingerprint the file's first bytes (at most
	// prefixMax), to recognize a different file that reuses the inode.
	PrefixLen  int    `json:"prefix_len,omitempty"`
	PrefixHash string `json:"prefix_fnv64a,omitempty"`
	// Done: a .gz file read to its end.
	Done bool `json:"done,omitempty"`
	// Size is, with Done, the .gz file's compressed size then; for a plain
	// file, its size when the position was saved, which says how much of it
	// was known to be unread should it vanish.
	Size int64 `json:"size,omitempty"`
	// Closed: a file renamed away or deleted that was read to its end and
	// closed. Startup does not look for it.
	Closed bool `json:"closed,omitempty"`
	// Gone: the file could not be found at a startup and was reported lost.
	// A new file reusing its inode does not resume from this position.
	Gone bool `json:"gone,omitempty"`
}

func (p position) encode() string {
	b, _ := json.Marshal(p) // cannot fail: strings and numbers only
	return string(b)
}

func decodePosition(s string) (position, error) {
	var p position
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return position{}, fmt.Errorf("checkpoint %q: %w", s, err)
	}
	if p.Offset < 0 || p.Line < 0 || p.PrefixLen < 0 || p.PrefixLen > prefixMax {
		return position{}, fmt.Errorf("checkpoint %q: negative or out-of-range field", s)
	}
	return p, nil
}

// prefixMax is how many leading bytes of a file are fingerprinted.
const prefixMax = 256

// headHash returns the FNV-64a hash of b, as hex.
func headHash(b []byte) string {
	h := fnv.New64a()
	h.Write(b)
	return strconv.FormatUint(h.Sum64(), 16)
}

// readHead returns f's first n bytes; ok is false when it is shorter.
func readHead(f *os.File, n int) (head []byte, ok bool, err error) {
	buf := make([]byte, n)
	m, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	return buf[:m], m == n, nil
}
