package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vigil-project/vigil/internal/source"
)

// LineSource is a live input over a stream of NDJSON lines (standard input,
// a pipe): lines are sent in batches as they arrive and the source ends at
// the end of the stream, once its last batch is acknowledged. gzip is
// detected by its magic bytes.
type LineSource struct {
	SourceName string
	R          io.Reader
	Index      string        // index of the events ("" resolves per event)
	BatchLines int           // default 500
	FlushAfter time.Duration // a partial batch waits at most this long (default 200ms)
}

// Name implements source.Source.
func (s *LineSource) Name() string { return s.SourceName }

// Run implements source.Source. A batch acknowledged with an error is sent
// again after a pause, so no line is lost while the stream stays open.
func (s *LineSource) Run(ctx context.Context, out chan<- source.Batch) error {
	batchLines := s.BatchLines
	if batchLines <= 0 {
		batchLines = 500
	}
	flush := s.FlushAfter
	if flush <= 0 {
		flush = 200 * time.Millisecond
	}
	br := bufio.NewReaderSize(s.R, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: bad gzip data: %w", s.SourceName, err)
		}
		br = bufio.NewReaderSize(zr, 1<<20)
	}
	type line struct {
		data []byte
		n    int
	}
	lines := make(chan line, batchLines)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		n := 0
		for {
			b, err := br.ReadBytes('\n')
			if len(b) > 0 {
				n++
				if t := bytes.TrimSpace(b); len(t) > 0 {
					select {
					case lines <- line{data: t, n: n}:
					case <-ctx.Done():
						return
					}
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr <- err
				}
				return
			}
		}
	}()
	var pending []source.Record
	send := func() error {
		for {
			done := make(chan error, 1)
			b := source.Batch{Records: pending, Ack: func(err error) { done <- err }}
			select {
			case out <- b:
			case <-ctx.Done():
				return nil
			}
			select {
			case err := <-done:
				if err == nil {
					pending = nil
					return nil
				}
			case <-ctx.Done():
				return nil
			}
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return nil
			}
		}
	}
	timer := time.NewTimer(flush)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				if len(pending) > 0 {
					if err := send(); err != nil {
						return err
					}
				}
				select {
				case err := <-readErr:
					return fmt.Errorf("%s: %w", s.SourceName, err)
				default:
					return nil
				}
			}
			pending = append(pending, source.Record{Data: l.data, Index: s.Index, Origin: fmt.Sprintf("%s line %d", s.SourceName, l.n)})
			if len(pending) >= batchLines {
				if err := send(); err != nil {
					return err
				}
			}
			if len(pending) == 1 {
				timer.Reset(flush)
			}
		case <-timer.C:
			if len(pending) > 0 {
				if err := send(); err != nil {
					return err
				}
			}
		case <-ctx.Done():
			return nil
		}
	}
}
