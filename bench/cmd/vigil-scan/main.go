// Command vigil-scan is the benchmark's baseline, the "plain JSON scan":
// it reads NDJSON files line by line and extracts one field from each line
// with Vigil's own zero-allocation reader (internal/event), on one
// goroutine, and does nothing else: no rules, no normalization, no index
// resolution, no output but its counts. Vigil's steps are measured as
// ratios to it.
//
//	vigil-scan [-field event.action] FILE...
//
// Files may be gzip-compressed (detected by their magic bytes). With
// VIGIL_RUNTIME_STATS set it prints, like vigil, a line
// "vigil-runtime-stats mallocs=N total_alloc_bytes=N num_gc=N" on standard
// error at exit.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/vigil-project/vigil/internal/event"
)

type counts struct {
	lines, values, bad int
	bytes              int64
}

func main() {
	field := flag.String("field", "event.action", "the dotted path to extract from every line")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: vigil-scan [-field PATH] FILE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	plan := event.NewPlan()
	id := plan.Add(*field)
	ev := event.New(nil, plan)
	var c counts
	code := 0
	for _, path := range flag.Args() {
		if err := scanFile(path, ev, id, &c); err != nil {
			fmt.Fprintf(os.Stderr, "vigil-scan: %v\n", err)
			code = 1
		}
	}
	fmt.Printf("vigil-scan: %d lines, %d bytes, %d values of %s, %d bad lines\n", c.lines, c.bytes, c.values, *field, c.bad)
	if os.Getenv("VIGIL_RUNTIME_STATS") != "" {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(os.Stderr, "vigil-runtime-stats mallocs=%d total_alloc_bytes=%d num_gc=%d\n", m.Mallocs, m.TotalAlloc, m.NumGC)
	}
	os.Exit(code)
}

func scanFile(path string, ev *event.Event, id event.FieldID, c *counts) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = bufio.NewReaderSize(zr, 1<<20)
	}
	lr := r.(*bufio.Reader)
	var long []byte // a line longer than the buffer, gathered
	for {
		line, err := lr.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			continue
		}
		if long != nil {
			long = append(long, line...)
			line = long
		}
		if len(bytes.TrimSpace(line)) > 0 {
			c.lines++
			c.bytes += int64(len(line))
			ev.Reset(line)
			c.values += len(ev.Values(id))
			if ev.Err() != nil {
				c.bad++
			}
		}
		long = long[:0:0]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
}
