package main

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-project/vigil/bench/gen"
)

// documents writes the events of the NDJSON file path as one top-level JSON
// array and as one {"records":[...]} envelope, in dir (gzip in, gzip out).
func documents(path, dir string) (array, envelope string, err error) {
	gz := strings.HasSuffix(path, ".gz")
	write := func(name string, shape gen.Shape) (string, error) {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		var in io.Reader = f
		if gz {
			zr, err := gzip.NewReader(f)
			if err != nil {
				return "", err
			}
			in = zr
			name += ".gz"
		}
		name = filepath.Join(dir, name)
		out, err := os.Create(name)
		if err != nil {
			return "", err
		}
		var w io.Writer = out
		var zw *gzip.Writer
		if gz {
			zw, _ = gzip.NewWriterLevel(out, gzip.BestSpeed)
			w = zw
		}
		_, err = gen.WriteDocument(w, in, shape)
		if zw != nil && err == nil {
			err = zw.Close()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("writing %s: %w", name, err)
		}
		return name, nil
	}
	if array, err = write("events.json", gen.Array); err != nil {
		return "", "", err
	}
	envelope, err = write("envelope.json", gen.Envelope)
	return array, envelope, err
}

// split cuts the NDJSON file path into n files of about equal size, at line
// boundaries, in dir; gzip in, gzip out.
func split(path, dir string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz := strings.HasSuffix(path, ".gz")
	var in io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		in = zr
	}
	total, err := uncompressedSize(path, gz)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(in, 1<<20)
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".gz"), ".ndjson")
	var names []string
	var written int64
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf("%s.part%d.ndjson", base, i+1))
		if gz {
			name += ".gz"
		}
		names = append(names, name)
		out, err := os.Create(name)
		if err != nil {
			return nil, err
		}
		var w io.Writer = out
		var zw *gzip.Writer
		if gz {
			zw, _ = gzip.NewWriterLevel(out, gzip.BestSpeed)
			w = zw
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		limit := total * int64(i+1) / int64(n)
		mid := false // inside a line longer than the buffer
		for mid || written < limit || i == n-1 {
			line, err := br.ReadSlice('\n')
			bw.Write(line)
			written += int64(len(line))
			if mid = errors.Is(err, bufio.ErrBufferFull); mid {
				continue
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				out.Close()
				return nil, err
			}
		}
		err = bw.Flush()
		if zw != nil && err == nil {
			err = zw.Close()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return names, nil
}

func uncompressedSize(path string, gz bool) (int64, error) {
	if !gz {
		return fileSize(path), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, zr)
}
