// Command vigil-serve-load measures `vigil serve`'s memory under concurrent
// large _bulk requests of matching events, as shippers send them on a busy
// day: it builds vigil, starts `vigil serve` with the ingest API on
// loopback, sends -bodies requests of -mb megabytes each at once (streamed,
// generated as they are sent, every event one the built-in seed rule
// alerts on), retries each 429 with backoff as Filebeat and Logstash do,
// and reports the server's peak resident memory, the 429s, and the events
// per second. Run from the repository root:
//
//	go run ./bench/cmd/vigil-serve-load                     # 6 bodies of 100 MB
//	go run ./bench/cmd/vigil-serve-load -bodies 6 -mb 20    # smaller
//	GOMAXPROCS=1 go run ./bench/cmd/vigil-serve-load        # serve on one core
//
// The target (docs/performance.md) is a peak under 1 GB for 6 bodies of
// 100 MB, with 429s answering what does not fit instead of memory growth.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	bodies := flag.Int("bodies", 6, "concurrent _bulk requests")
	mb := flag.Int("mb", 100, "size of each request body in MB")
	keep := flag.String("dir", "", "keep the binary, config and data here (default: a temporary directory, removed)")
	flag.Parse()
	if err := run(*bodies, *mb, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-serve-load:", err)
		os.Exit(1)
	}
}

func run(bodies, mb int, keep string) error {
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "vigil-serve-load")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	bin := filepath.Join(dir, "vigil")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/vigil").CombinedOutput(); err != nil {
		return fmt.Errorf("go build (run from the repository root): %v\n%s", err, out)
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	cfg := filepath.Join(dir, "vigil.toml")
	conf := fmt.Sprintf("data_dir = %q\n[log]\nlevel = \"warn\"\n[http]\nlisten = %q\n[[sinks]]\ntype = \"file\"\npath = %q\n",
		filepath.Join(dir, "state"), addr, filepath.Join(dir, "alerts.ndjson"))
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return err
	}
	serve := exec.Command(bin, "serve", "--config", cfg)
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		return err
	}
	defer serve.Process.Kill()
	if err := waitHealthy("http://" + addr + "/healthz"); err != nil {
		return err
	}

	size := int64(mb) * 1000 * 1000 // MB: a 100 MB body fits the default max_body_bytes (100 MiB)
	var busy, sent, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	events := make([]int, bodies)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := ship(addr, i, size, &busy, &sent)
			events[i] = n
			if err != nil {
				failed.Add(1)
				fmt.Fprintf(os.Stderr, "body %d: %v\n", i, err)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	hwm := procStatus(serve.Process.Pid, "VmHWM")
	serve.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		return errors.New("serve did not stop within a minute of SIGTERM")
	}

	total := 0
	for _, n := range events {
		total += n
	}
	fmt.Printf("vigil serve under %d concurrent _bulk bodies of %d MB (%d matching events in all), GOMAXPROCS=%s:\n",
		bodies, mb, total, or(os.Getenv("GOMAXPROCS"), "all cores"))
	fmt.Printf("  peak RSS (VmHWM)      %7.0f MB\n", float64(hwm)/(1<<20))
	fmt.Printf("  requests sent         %7d (%d answered 429 and sent again)\n", sent.Load(), busy.Load())
	fmt.Printf("  wall time             %7.1f s\n", wall.Seconds())
	fmt.Printf("  events/s              %7.0f\n", float64(total)/wall.Seconds())
	if failed.Load() > 0 {
		return fmt.Errorf("%d bodies were never accepted", failed.Load())
	}
	return nil
}

// ship sends body number i until it is accepted, as a shipper does:
// 429 and 503 are retried with backoff from 100 ms to 2 s. It returns the
// body's event count.
func ship(addr string, i int, size int64, busy, sent *atomic.Int64) (int, error) {
	backoff := 100 * time.Millisecond
	client := &http.Client{Timeout: 10 * time.Minute}
	for attempt := 0; attempt < 1000; attempt++ {
		body := newBody(i, size)
		sent.Add(1)
		resp, err := client.Post("http://"+addr+"/_bulk", "application/x-ndjson", body)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			return body.events, nil
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			busy.Add(1)
			time.Sleep(backoff)
			backoff = min(2*backoff, 2*time.Second)
		default:
			return 0, fmt.Errorf("answered %d", resp.StatusCode)
		}
	}
	return 0, errors.New("not accepted after 1000 attempts")
}

// body generates a _bulk body of about size bytes as it is read: each
// event a successful VM Run Command by its own user, now.
type body struct {
	i, events int
	left      int64
	buf       bytes.Buffer
	now       string
}

func newBody(i int, size int64) *body {
	return &body{i: i, left: size, now: time.Now().UTC().Format(time.RFC3339)}
}

func (b *body) Read(p []byte) (int, error) {
	for b.buf.Len() < len(p) && b.left > 0 {
		n := b.buf.Len()
		fmt.Fprintf(&b.buf, `{"create":{"_index":"logs-azure.activitylogs-default"}}`+"\n"+
			`{"@timestamp":%q,"event":{"dataset":"azure.activitylogs","outcome":"success","id":"%d-%d"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","identity":{"claims_initiated_by_user":{"name":"user-%d"}}},"resource":{"group":"RG-%d","name":"vm-%d"}},"cloud":{"provider":"azure"},"user":{"name":"user-%d-%d"},"source":{"ip":"10.1.%d.%d"},"message":"%s"}`+"\n",
			b.now, b.i, b.events, b.events, b.events%97, b.events%1009, b.i, b.events, b.events%250, b.events%251, strings.Repeat("x", 180))
		b.events++
		b.left -= int64(b.buf.Len() - n)
	}
	if b.buf.Len() == 0 {
		return 0, io.EOF
	}
	return b.buf.Read(p)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHealthy(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("vigil serve did not answer /healthz within a minute")
}

// procStatus reads a "kB" field of /proc/PID/status, in bytes (0 when it
// cannot: not Linux).
func procStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && k == field {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
