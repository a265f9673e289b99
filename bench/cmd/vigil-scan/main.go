// Command vigil-scan is the benchmark's baseline, the "plain JSON scan":
// it reads NDJSON files line by line and extracts one field from each line
// with Vigil's own zero-allocation reader (internal/event), on one
// goroutine, and does nothing else: no rules, no normalization, no index
// resolution, no output but its counts. Vigil's steps are measured as
// ratios to it.
//
//	vigil-scan [-field event.action] [-parser vigil|fastjson] FILE...
//
// -parser fastjson parses each line with github.com/valyala/fastjson (a
// full parse into its tree, the parser reused) and looks the field up
// there: the "fastjson parse of each line" some of the project's targets
// are stated against.
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
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigil-project/vigil/internal/event"
)

type counts struct {
	lines, values, bad int
	bytes              int64
}

func main() {
	field := flag.String("field", "event.action", "the dotted path to extract from every line")
	parser := flag.String("parser", "vigil", "vigil (internal/event, only the field) or fastjson (a full parse of each line)")
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
	var look func(line []byte) (values int, bad bool)
	switch *parser {
	case "vigil":
		look = func(line []byte) (int, bool) {
			ev.Reset(line)
			return len(ev.Values(id)), ev.Err() != nil
		}
	case "fastjson":
		var p fastjson.Parser
		keys := strings.Split(*field, ".")
		look = func(line []byte) (int, bool) {
			v, err := p.ParseBytes(line)
			if err != nil {
				return 0, true
			}
			if v.Get(keys...) != nil {
				return 1, false
			}
			return 0, false
		}
	default:
		fmt.Fprintf(os.Stderr, "vigil-scan: -parser %q: use vigil or fastjson\n", *parser)
		os.Exit(2)
	}
	code := 0
	for _, path := range flag.Args() {
		if err := scanFile(path, look, &c); err != nil {
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

func scanFile(path string, look func([]byte) (int, bool), c *counts) error {
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
			n, bad := look(line)
			c.values += n
			if bad {
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
