//go:build linux || darwin

package rule

import (
	"os"
	"syscall"
)

// readFile reads a rule file with four system calls (open, fstat, read,
// close) where os.ReadFile makes about ten (the runtime's poller and
// descriptor bookkeeping). On any failure it leaves the file to
// os.ReadFile, so errors read as before.
func readFile(path string) ([]byte, error) {
	data, isDir, ok := readRegular(path)
	if !ok || isDir {
		return os.ReadFile(path)
	}
	return data, nil
}

// readPath reads the rule file at path, or tells that it is a directory,
// as os.Stat then os.ReadFile would (their errors, on failure).
func readPath(path string) (data []byte, isDir bool, err error) {
	if data, isDir, ok := readRegular(path); ok {
		return data, isDir, nil
	}
	return readPathOS(path)
}

// readRegular reads the regular file at path or tells that it is a
// directory; ok false for anything else and any failure.
func readRegular(path string) (data []byte, isDir, ok bool) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false, false
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, false, false
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		return nil, true, true
	case syscall.S_IFREG:
	default:
		return nil, false, false
	}
	// One byte more than the size, so that a full read ends at the end
	// of the file without another call; a file that grew takes more.
	buf := make([]byte, 0, int(st.Size)+1)
	for {
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n < 0 {
			return nil, false, false
		}
		if n == 0 {
			return buf, false, true
		}
		buf = buf[:len(buf)+n]
		if len(buf) < cap(buf) {
			return buf, false, true
		}
		buf = append(buf, 0)[:len(buf)]
	}
}
