// Package stdin is a live input (a source.Source) that reads NDJSON from
// standard input, or from any io.Reader: `kubectl logs -f ... | vigil serve`,
// or a test's io.Pipe.
//
// Every line is one record: one JSON document per line, "\n" ending it, a
// "\r" before it dropped, blank lines skipped (still counted in line
// numbers). Origin is "stdin line N" (the input's name, then the line
// number). The last line is delivered at the end of the input even without
// its newline. A line longer than Options.MaxLineBytes (16 MiB by default)
// is skipped, logged and counted in Stats.TooLong. Input starting with the
// gzip magic bytes (1f 8b) is decompressed, concatenated members included.
//
// Lines go out in batches of up to Options.BatchLines, or with whatever
// arrived within Options.FlushDelay of a batch's first line, or at the end
// of the input. One batch is in flight at a time: the next one is sent after
// the previous one was acknowledged, so lines are delivered in input order.
// Ack(err) sends the same batch again after a backoff (Options.RetryDelay,
// doubling up to 30s) until it is acknowledged with nil. Run returns nil
// once the input ended and its last batch was acknowledged, or an error if
// the input could not be read to its end (after delivering what was read
// before the error).
//
// What is not guaranteed: a stream cannot be read twice, so there is no
// checkpoint. Lines of a batch not acknowledged when the context ends, and
// lines read ahead of it (up to one batch more), are lost to Vigil; a
// restart reads whatever the stream holds then. When the context ends while
// a Read is blocked, Run returns at once; the goroutine reading stops when
// that Read returns (close the reader, or the pipe's other end, to end it).
package stdin

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/source"
)

// Options configure a Stdin. Zero values take the defaults named.
type Options struct {
	// Name identifies the input in logs and starts every Origin
	// (default "stdin").
	Name string
	// Reader is read to its end (default os.Stdin).
	Reader io.Reader
	// Index is given to every record (may be "").
	Index string
	// BatchLines is the most lines in a batch (default 500).
	BatchLines int
	// BatchBytes: a batch is sent once its lines hold this many bytes
	// (default 8 MiB; a single longer line still makes a batch).
	BatchBytes int
	// FlushDelay: a batch is sent at most this long after its first line
	// arrived, full or not (default 100ms).
	FlushDelay time.Duration
	// MaxLineBytes: longer lines are skipped and counted (default 16 MiB).
	MaxLineBytes int
	// RetryDelay is the first wait before a batch acknowledged with an
	// error is sent again; it doubles up to 30s (default 1s).
	RetryDelay time.Duration
	// Logger receives warnings (nil: nothing is logged).
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultName         = "stdin"
	DefaultBatchLines   = 500
	DefaultBatchBytes   = 8 << 20
	DefaultFlushDelay   = 100 * time.Millisecond
	DefaultMaxLineBytes = 16 << 20
	DefaultRetryDelay   = time.Second
	maxRetryDelay       = 30 * time.Second
)

// Stats are counters of a Stdin, safe to read while it runs.
type Stats struct {
	Lines        int64 // lines read into batches (redeliveries not counted)
	Bytes        int64 // bytes of those lines
	TooLong      int64 // lines skipped for exceeding MaxLineBytes
	Redeliveries int64 // batches sent again after Ack(err)
	Gzip         bool  // the input was gzip-compressed
}

// Stdin reads one stream; see the package documentation.
type Stdin struct {
	opts    Options
	log     *slog.Logger
	started atomic.Bool

	lines, bytes, tooLong, redeliveries atomic.Int64
	gzip                                atomic.Bool
}

var _ source.Source = (*Stdin)(nil)

// New checks the options and returns the input.
func New(opts Options) (*Stdin, error) {
	if opts.BatchLines < 0 || opts.BatchBytes < 0 || opts.FlushDelay < 0 || opts.MaxLineBytes < 0 || opts.RetryDelay < 0 {
		return nil, errors.New("stdin: negative interval or size in options")
	}
	setDefault(&opts.Name, DefaultName)
	setDefault(&opts.BatchLines, DefaultBatchLines)
	setDefault(&opts.BatchBytes, DefaultBatchBytes)
	setDefault(&opts.FlushDelay, DefaultFlushDelay)
	setDefault(&opts.MaxLineBytes, DefaultMaxLineBytes)
	setDefault(&opts.RetryDelay, DefaultRetryDelay)
	if opts.Reader == nil {
		opts.Reader = os.Stdin
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Stdin{opts: opts, log: log.With("input", opts.Name)}, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Name returns the input's name.
func (s *Stdin) Name() string { return s.opts.Name }

// Stats returns the counters.
func (s *Stdin) Stats() Stats {
	return Stats{
		Lines:        s.lines.Load(),
		Bytes:        s.bytes.Load(),
		TooLong:      s.tooLong.Load(),
		Redeliveries: s.redeliveries.Load(),
		Gzip:         s.gzip.Load(),
	}
}

// Run reads the stream to its end, sending batches to out; see the package
// documentation. It can be called once: the stream is consumed.
func (s *Stdin) Run(ctx context.Context, out chan<- source.Batch) error {
	if !s.started.CompareAndSwap(false, true) {
		return fmt.Errorf("%s: already read: a stream can be read once", s.opts.Name)
	}
	stop := make(chan struct{})
	defer close(stop)
	recs := make(chan source.Record, s.opts.BatchLines)
	var readErr error
	go func() {
		defer close(recs)
		readErr = s.read(recs, stop)
	}()

	o := &s.opts
	timer := time.NewTimer(o.FlushDelay)
	defer timer.Stop()
	for {
		var b []source.Record
		size := 0
		select {
		case r, ok := <-recs:
			if !ok {
				return s.end(readErr)
			}
			b, size = append(b, r), len(r.Data)
		case <-ctx.Done():
			return nil
		}
		timer.Reset(o.FlushDelay)
		eof := false
	collect:
		for len(b) < o.BatchLines && size < o.BatchBytes {
			select {
			case r, ok := <-recs:
				if !ok {
					eof = true
					break collect
				}
				b, size = append(b, r), size+len(r.Data)
			case <-timer.C:
				break collect
			case <-ctx.Done():
				return nil
			}
		}
		if !s.deliver(ctx, out, b) {
			return nil
		}
		if eof {
			return s.end(readErr)
		}
	}
}

// end is Run's result once the records channel is closed (which makes
// readErr visible).
func (s *Stdin) end(readErr error) error {
	if readErr != nil {
		return fmt.Errorf("%s: %w (the lines before it were delivered)", s.opts.Name, readErr)
	}
	return nil
}

// read splits the stream into records until its end, an error, or stop.
func (s *Stdin) read(recs chan<- source.Record, stop <-chan struct{}) error {
	o := &s.opts
	br := bufio.NewReaderSize(o.Reader, 64<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		s.gzip.Store(true)
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip input: %w", err)
		}
		defer zr.Close()
		r = bufio.NewReaderSize(zr, 64<<10)
	}
	lr := r.(*bufio.Reader)

	var (
		line    int64
		pending []byte // a line whose newline is not read yet
		skipped int64  // > 0: inside a too-long line, bytes dropped so far
	)
	emit := func(data []byte) bool {
		data = bytes.TrimSuffix(data, []byte{'\r'})
		if len(bytes.TrimSpace(data)) == 0 {
			return true
		}
		rec := source.Record{Data: bytes.Clone(data), Index: o.Index, Origin: fmt.Sprintf("%s line %d", o.Name, line)}
		s.lines.Add(1)
		s.bytes.Add(int64(len(rec.Data)))
		select {
		case recs <- rec:
			return true
		case <-stop:
			return false
		}
	}
	reportLong := func() {
		s.tooLong.Add(1)
		s.log.Warn("line longer than the limit skipped", "origin", fmt.Sprintf("%s line %d", o.Name, line),
			"bytes", skipped, "max_line_bytes", o.MaxLineBytes)
		skipped = 0
	}
	for {
		frag, err := lr.ReadSlice('\n')
		complete := err == nil
		if complete {
			frag = frag[:len(frag)-1]
		}
		switch {
		case skipped > 0:
			skipped += int64(len(frag))
		case len(pending)+len(frag) > o.MaxLineBytes:
			skipped = int64(len(pending) + len(frag))
			pending = nil
		default:
			pending = append(pending, frag...)
		}
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			if len(pending) > 0 || skipped > 0 {
				return fmt.Errorf("after line %d (the unfinished line %d dropped): %w", line, line+1, err)
			}
			return fmt.Errorf("after line %d: %w", line, err)
		}
		if complete || (err == io.EOF && (len(pending) > 0 || skipped > 0)) {
			line++
			if skipped > 0 {
				reportLong()
			} else if !emit(pending) {
				return nil
			}
			pending = pending[:0]
			if cap(pending) > 1<<20 {
				pending = nil
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// deliver sends b and waits for its acknowledgement, sending it again after
// a backoff while it is acknowledged with an error. It returns false when
// ctx ended first.
func (s *Stdin) deliver(ctx context.Context, out chan<- source.Batch, b []source.Record) bool {
	return source.Deliver(ctx, out, b, s.opts.RetryDelay, maxRetryDelay, func(err error, wait time.Duration) {
		s.redeliveries.Add(1)
		s.log.Warn("batch not acknowledged; sending it again", "first", b[0].Origin, "lines", len(b),
			"retry_in", wait, "err", err)
	})
}
