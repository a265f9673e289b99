package input

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/source"
)

func TestLineSourceBatchesAcksAndRedelivers(t *testing.T) {
	pr, pw := io.Pipe()
	s := &LineSource{SourceName: "stdin", R: pr, Index: "logs-x", BatchLines: 3, FlushAfter: 20 * time.Millisecond}
	out := make(chan source.Batch)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), out) }()
	go func() {
		for i := 1; i <= 4; i++ {
			fmt.Fprintf(pw, "{\"n\":%d}\n\n", i)
		}
		pw.Close()
	}()
	var got []string
	failed := false
	for b := range out {
		if !failed { // fail the first batch once: it must come again
			failed = true
			b.Ack(errors.New("sink down"))
			continue
		}
		for _, r := range b.Records {
			if r.Index != "logs-x" {
				t.Errorf("index %q", r.Index)
			}
			got = append(got, fmt.Sprintf("%s=%s", r.Origin, r.Data))
		}
		b.Ack(nil)
		if len(got) == 4 {
			break
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []string{`stdin line 1={"n":1}`, `stdin line 3={"n":2}`, `stdin line 5={"n":3}`, `stdin line 7={"n":4}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestLineSourceGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("{\"a\":1}\n{\"a\":2}"))
	zw.Close()
	s := &LineSource{SourceName: "stdin", R: &buf}
	out := make(chan source.Batch, 4)
	go func() {
		for b := range out {
			b.Ack(nil)
			if len(b.Records) != 2 || string(b.Records[1].Data) != `{"a":2}` {
				t.Errorf("records %v", b.Records)
			}
		}
	}()
	if err := s.Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	close(out)
}
