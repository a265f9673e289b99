//go:build unix

package tail

import (
	"io/fs"
	"syscall"
)

const identitySupported = true

// identityOf returns the device and inode of a file.
func identityOf(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true // the field types differ per GOOS
}
