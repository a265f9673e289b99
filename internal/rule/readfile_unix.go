//go:build linux || darwin

package rule

import (
	"os"
	"syscall"
)

// readFile reads a rule file with four system calls (open, fstat, read,
// close) where os.ReadFile makes about ten (the runtime's poller and
// descriptor bookkeeping): a tenth of loading Elastic's 1,600 files. On
// any failure it leaves the file to os.ReadFile, so errors read as before.
func readFile(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return os.ReadFile(path)
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return os.ReadFile(path)
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
			return os.ReadFile(path)
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if len(buf) < cap(buf) {
			return buf, nil
		}
		buf = append(buf, 0)[:len(buf)]
	}
}
