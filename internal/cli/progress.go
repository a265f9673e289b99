package cli

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// active tells a progress bar that may be drawn: output to the same
// terminal must be written between clear and update.
func (p *progress) active() bool { return p.on }

// defaultProgressAfter is how long a run goes before its progress bar
// shows: short runs print none. VIGIL_PROGRESS_AFTER (a Go duration)
// changes it.
const defaultProgressAfter = 2 * time.Second

// progress draws a progress bar on stderr during long runs when stderr is
// a terminal (never on a pipe or a file): the input bytes read of their
// total, the percentage and the time left, events per second and the
// alerts so far. It is driven from the pipeline's caller goroutine only.
type progress struct {
	w     io.Writer
	on    bool
	after time.Duration
	now   func() time.Time
	start time.Time
	total int64 // input bytes, -1 when unknown (stdin)
	bytes int64
	bar   *progressbar.ProgressBar
	noun  string    // what is counted so far: "alert" (hunt), "match" (search)
	shown bool      // the bar is on the screen
	drawn time.Time // when it was last drawn
}

// newProgress returns the run's progress, silent unless enabled and
// stderr is a terminal. paths are the run's inputs: their sizes make the
// total (a gzip file counts its uncompressed size, as its trailer gives).
func newProgress(env *Env, enabled bool, paths []string) *progress {
	p := &progress{w: env.Stderr, on: enabled && env.StderrIsTerminal, now: env.Now, after: defaultProgressAfter, noun: "alert"}
	if !p.on {
		return p
	}
	if d, err := time.ParseDuration(os.Getenv("VIGIL_PROGRESS_AFTER")); err == nil && d >= 0 {
		p.after = d
	}
	p.start = p.now()
	p.total = inputSize(paths)
	return p
}

// inputSize adds up the bytes of the inputs: files, the files below
// directories, a gzip file's uncompressed size; -1 if one is stdin or
// cannot be measured.
func inputSize(paths []string) int64 {
	var total int64
	for _, path := range paths {
		if path == "-" {
			return -1
		}
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			n, err := fileSize(p)
			total += n
			return err
		})
		if err != nil {
			return -1
		}
	}
	return total
}

// fileSize is a file's size, or for a gzip file the size of its data (the
// trailer's ISIZE, the size modulo 4 GiB of the last member: at least the
// compressed size is taken).
func fileSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	if !strings.HasSuffix(path, ".gz") || size < 18 {
		return size, nil
	}
	if _, err := gzip.NewReader(f); err != nil {
		return size, nil // not gzip after all: read as it is
	}
	var trailer [4]byte
	if _, err := f.ReadAt(trailer[:], size-4); err != nil {
		return size, nil
	}
	return max(size, int64(binary.LittleEndian.Uint32(trailer[:]))), nil
}

// update adds a chunk of input: its bytes and the run's events and
// alerts (matches) so far.
func (p *progress) update(bytes int64, events, alerts int) {
	if !p.on {
		return
	}
	p.bytes += bytes
	now := p.now()
	elapsed := now.Sub(p.start)
	if elapsed < p.after || p.shown && now.Sub(p.drawn) < 150*time.Millisecond {
		return
	}
	p.drawn = now
	if p.bar == nil {
		p.bar = p.newBar()
	}
	if p.total >= 0 && p.bytes > p.total {
		// Inputs that grew, or a multi-member gzip: the total was short.
		p.total = p.bytes
		p.bar.ChangeMax64(p.total)
	}
	rate := "-"
	if secs := elapsed.Seconds(); secs > 0 {
		rate = fmtRate(float64(events) / secs)
	}
	p.bar.Describe(fmt.Sprintf("%s, %s/s, %s so far", plural(events, "event"), rate, plural(alerts, p.noun)))
	p.bar.Set64(p.bytes)
	p.shown = true
}

func (p *progress) newBar() *progressbar.ProgressBar {
	return progressbar.NewOptions64(p.total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(), // bytes read of the total
		progressbar.OptionSetWidth(20),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetSpinnerChangeInterval(0), // no goroutine of its own
		progressbar.OptionUseANSICodes(true),
	)
}

// clear erases the bar before other output; the next update draws it
// again.
func (p *progress) clear() {
	if p.bar != nil && p.shown {
		p.bar.Clear()
		p.shown = false
	}
}

func fmtRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM events", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk events", r/1e3)
	}
	return fmt.Sprintf("%.0f events", r)
}
