package tail

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"
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

// position is a checkpoint's value, as JSON.
type position struct {
	Path   string `json:"path"`   // for humans; the key identifies the file
	Offset int64  `json:"offset"` // after the last acknowledged line (decompressed for .gz)
	Line   int64  `json:"line"`   // number of that line
	// PrefixLen and PrefixHash fingerprint the file's first bytes (at most
	// prefixMax), to recognize a different file that reuses the inode.
	PrefixLen  int    `json:"prefix_len,omitempty"`
	PrefixHash string `json:"prefix_fnv64a,omitempty"`
	// Done and Size: a .gz file read to its end, and its compressed size then.
	Done bool  `json:"done,omitempty"`
	Size int64 `json:"size,omitempty"`
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
