package rule

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReadPathIsOS: readPath reads, tells directories and fails as
// os.Stat then os.ReadFile do, with the same errors.
func TestReadPathIsOS(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.toml")
	if err := os.WriteFile(file, []byte("[rule]\nname = 'x'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.toml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, make([]byte, 1<<20+3), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.toml")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, empty, big, link, dir, filepath.Join(dir, "missing.toml"), filepath.Join(file, "below")} {
		data, isDir, err := readPath(p)
		wantData, wantDir, wantErr := readPathOS(p)
		if fmtErr(err) != fmtErr(wantErr) || isDir != wantDir || !bytes.Equal(data, wantData) {
			t.Errorf("%s: readPath = %d bytes, dir %v, error %v; os: %d bytes, dir %v, error %v",
				p, len(data), isDir, err, len(wantData), wantDir, wantErr)
		}
		if isDir || err != nil {
			continue
		}
		got, err := readFile(p)
		if err != nil || !bytes.Equal(got, wantData) {
			t.Errorf("%s: readFile = %d bytes, %v; want %d bytes", p, len(got), err, len(wantData))
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
