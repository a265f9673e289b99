package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Shape is how WriteDocument lays out the events of an NDJSON data set.
type Shape int

const (
	// Array is one top-level JSON array, an element per line.
	Array Shape = iota
	// Envelope is one {"records":[...]} object (an Event Hub export of the
	// whole data set), an element per line.
	Envelope
)

// WriteDocument copies the NDJSON data set read from r to w as one JSON
// document of the given shape, with the same events in the same order: the
// records of an envelope line become elements of their own. It returns the
// number of elements written.
func WriteDocument(w io.Writer, r io.Reader, shape Shape) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	br := bufio.NewReaderSize(r, 1<<20)
	open, closing := "[\n", "\n]\n"
	if shape == Envelope {
		open, closing = "{\"records\":[\n", "\n]}\n"
	}
	bw.WriteString(open)
	n := 0
	put := func(el []byte) {
		if n > 0 {
			bw.WriteString(",\n")
		}
		bw.Write(el)
		n++
	}
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		line = append(line, part...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return n, err
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			if bytes.HasPrefix(t, []byte(`{"records":[`)) {
				var env struct{ Records []json.RawMessage }
				if err := json.Unmarshal(t, &env); err != nil {
					return n, fmt.Errorf("element %d: %w", n, err)
				}
				for _, rec := range env.Records {
					put(rec)
				}
			} else {
				put(t)
			}
		}
		line = line[:0]
		if err != nil {
			break
		}
	}
	bw.WriteString(closing)
	return n, bw.Flush()
}
