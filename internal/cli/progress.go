package cli

import (
	"fmt"
	"io"
	"time"
)

// progress draws a one-line status on a terminal's stderr during long
// runs: throughput and alerts so far. It stays silent for the first two
// seconds and when stderr is not a terminal.
type progress struct {
	w       io.Writer
	on      bool
	start   time.Time
	last    time.Time
	bytes   int64
	drawn   bool
	nowFunc func() time.Time
}

func newProgress(env *Env, enabled bool) *progress {
	return &progress{w: env.Stderr, on: enabled && env.StderrIsTerminal, start: time.Now(), nowFunc: time.Now}
}

func (p *progress) update(bytes int64, events, alerts int) {
	if !p.on {
		return
	}
	p.bytes += bytes
	now := p.nowFunc()
	if now.Sub(p.start) < 2*time.Second || now.Sub(p.last) < time.Second {
		return
	}
	p.last = now
	secs := now.Sub(p.start).Seconds()
	fmt.Fprintf(p.w, "\r\033[K%s read, %.1f MB/s, %s/s, %d alerts so far",
		plural(events, "event"), float64(p.bytes)/1e6/secs, fmtRate(float64(events)/secs), alerts)
	p.drawn = true
}

// clear erases the line before other output.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
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
