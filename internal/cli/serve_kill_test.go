package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/state"
)

// killSeqRule is curlHTTPSRule run every second over the last hour.
var killSeqRule = strings.Replace(curlHTTPSRule, `language = "eql"`, "language = \"eql\"\ninterval = \"1s\"\nfrom = \"now-1h\"", 1)

// vigilProcess is `vigil serve` running as its own process: the test
// binary under the name vigil (TestMain's testscript.Main puts it on
// $PATH), which runs Main as the real binary does.
type vigilProcess struct {
	cmd  *exec.Cmd
	addr string
	log  *lockedBuffer
	done chan struct{}
}

// startVigil starts `vigil serve args...` and waits until it serves
// /healthz.
func startVigil(t *testing.T, args ...string) *vigilProcess {
	t.Helper()
	bin, err := exec.LookPath("vigil")
	if err != nil {
		t.Fatalf("no vigil command on $PATH (TestMain sets it up): %v", err)
	}
	p := &vigilProcess{cmd: exec.Command(bin, append([]string{"serve"}, args...)...), log: &lockedBuffer{}, done: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	listen := regexp.MustCompile(`msg=listening addr=(\S+)`) // serve's log line once it accepts connections
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			p.log.Write([]byte(line + "\n"))
			if m := listen.FindStringSubmatch(line); m != nil && !sent {
				addrc <- m[1]
				sent = true
			}
		}
		p.cmd.Wait()
	}()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	select {
	case p.addr = <-addrc:
	case <-p.done:
		t.Fatalf("vigil serve exited:\n%s", p.log)
	case <-time.After(30 * time.Second):
		t.Fatalf("vigil serve did not start within 30s:\n%s", p.log)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("vigil serve: /healthz not ok within 30s (%v):\n%s", err, p.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill9 kills the process with SIGKILL and waits for it to end.
func (p *vigilProcess) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process with SIGTERM, as an operator would.
func (p *vigilProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("vigil serve did not stop within 30s of SIGTERM:\n%s", p.log)
	}
}

// seqBulks returns _bulk bodies of killSeqRule's events: per host, a curl
// start and an HTTPS connection 5 s later (one sequence per host), the
// events shuffled (a connection often arrives before its process start)
// and sent four to a request. Half the hosts' events carry an _id, the
// others are identified by their content.
func seqBulks(hosts int, base time.Time, rng *rand.Rand) []string {
	type doc struct{ id, body string }
	var docs []doc
	for h := range hosts {
		host := fmt.Sprintf(`"host":{"id":"h%d"}`, h)
		at := base.Add(time.Duration(h) * time.Second)
		start := fmt.Sprintf(`{"@timestamp":%q,"event":{"category":"process","type":"start"},"process":{"name":"curl","pid":%d},%s}`, at.Format(time.RFC3339Nano), h, host)
		conn := fmt.Sprintf(`{"@timestamp":%q,"event":{"category":"network"},"destination":{"port":443},%s}`, at.Add(5*time.Second).Format(time.RFC3339Nano), host)
		id1, id2 := "", ""
		if h%2 == 0 {
			id1, id2 = fmt.Sprintf("s%d", h), fmt.Sprintf("c%d", h)
		}
		docs = append(docs, doc{id1, start}, doc{id2, conn})
	}
	rng.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
	var bodies []string
	var b strings.Builder
	for i, d := range docs {
		if d.id != "" {
			fmt.Fprintf(&b, `{"create":{"_index":"logs-endpoint.events-default","_id":%q}}`+"\n", d.id)
		} else {
			b.WriteString(`{"create":{"_index":"logs-endpoint.events-default"}}` + "\n")
		}
		b.WriteString(d.body + "\n")
		if i%4 == 3 || i == len(docs)-1 {
			bodies = append(bodies, b.String())
			b.Reset()
		}
	}
	return bodies
}

// postBulk sends a _bulk body; true when every item was accepted.
func postBulk(addr, body string) bool {
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Post("http://"+addr+"/_bulk", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var r struct{ Errors bool }
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK && json.Unmarshal(data, &r) == nil && !r.Errors
}

// TestServeSequenceKill9: `vigil serve` running an eql sequence rule is
// killed with SIGKILL at a random moment while events arrive (and its
// executions run, every second), three times; each time restarted, it is
// sent again what it had not acknowledged, as a shipper does. Every sequence is then alerted
// exactly once in the state database: one shell and two building blocks
// per host, none missing, none twice (not under new ids either), and the
// sink got every stored alert (a kill between the sink's write and the
// store's commit may make it get one twice, under the same id).
func TestServeSequenceKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts vigil serve processes")
	}
	const hosts = 24
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	os.Mkdir(rules, 0o755)
	if err := os.WriteFile(filepath.Join(rules, "seq.toml"), []byte(killSeqRule), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "alerts.ndjson")
	data := filepath.Join(dir, "data")
	args := []string{"--data-dir", data, "--rules", rules, "--listen", "127.0.0.1:0", "--out", out}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 19))
	base := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	bodies := seqBulks(hosts, base, rng)
	acked := make([]bool, len(bodies))

	// Three times: start, send what was not acknowledged (a request
	// every 80ms), kill -9 at a random moment (while requests are in
	// flight, or later, while executions write alerts).
	for round := range 3 {
		p := startVigil(t, args...)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, body := range bodies {
				if acked[i] {
					continue
				}
				if !postBulk(p.addr, body) {
					return // killed
				}
				acked[i] = true
				time.Sleep(80 * time.Millisecond)
			}
		}()
		killAfter := time.Duration(rng.IntN(1500)) * time.Millisecond
		time.Sleep(killAfter)
		p.kill9()
		wg.Wait()
		sent := 0
		for _, a := range acked {
			if a {
				sent++
			}
		}
		t.Logf("round %d: killed after %v, %d of %d requests acknowledged", round+1, killAfter, sent, len(bodies))
	}

	p := startVigil(t, args...)
	for i, body := range bodies {
		if !acked[i] && !postBulk(p.addr, body) {
			t.Fatalf("request %d refused after the restart:\n%s", i, p.log)
		}
	}
	// Wait for every sequence's alerts in the sink, then for two more
	// executions, which must add nothing.
	want := 3 * hosts
	deadline := time.Now().Add(30 * time.Second)
	for len(sinkIDs(t, out)) < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2100 * time.Millisecond)
	p.stop(t)

	st, err := state.Open(context.Background(), filepath.Join(data, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored, err := st.Alerts(context.Background(), state.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	shells := map[string]int{}      // host -> shells
	blocks := map[string][]string{} // group id -> its blocks' positions
	ids := map[string]bool{}
	for _, a := range stored {
		ids[a.ID] = true
		var doc map[string]any
		if err := json.Unmarshal(a.Doc, &doc); err != nil {
			t.Fatal(err)
		}
		group, _ := doc["kibana.alert.group.id"].(string)
		if doc["kibana.alert.building_block_type"] == nil {
			host, _ := doc["host"].(map[string]any)
			shells[fmt.Sprint(host["id"])]++
			continue
		}
		blocks[group] = append(blocks[group], fmt.Sprint(doc["kibana.alert.group.index"]))
	}
	if len(stored) != want || len(shells) != hosts {
		t.Errorf("%d alerts stored for %d hosts, want %d (a shell and two building blocks per host)", len(stored), len(shells), want)
	}
	for h, n := range shells {
		if n != 1 {
			t.Errorf("host %s: %d sequence alerts, want 1", h, n)
		}
	}
	for g, pos := range blocks {
		if len(pos) != 2 || !ids[g] {
			t.Errorf("group %s: building blocks %v, shell stored %v; want 2 and true", g, pos, ids[g])
		}
	}
	got := sinkIDs(t, out)
	for id := range ids {
		if got[id] == 0 {
			t.Errorf("alert %s stored but never delivered to the sink", id)
		}
	}
	for id := range got {
		if !ids[id] {
			t.Errorf("alert %s delivered to the sink but not stored", id)
		}
	}
	if t.Failed() {
		t.Logf("vigil serve's log after the restart:\n%s", p.log)
	}
}

// sinkIDs counts the alert ids of an NDJSON alert file.
func sinkIDs(t *testing.T, path string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var doc struct {
			ID string `json:"kibana.alert.uuid"`
		}
		if json.Unmarshal(line, &doc) == nil && doc.ID != "" {
			out[doc.ID]++
		}
	}
	return out
}
