package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// freePort returns a loopback port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startNATS runs the real nats-server, with JetStream, on port until the
// test ends, and returns its URL. Without the binary the test is skipped
// (failed when VIGIL_REQUIRE_NATS is set, as in CI).
func startNATS(t *testing.T, port int) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("VIGIL_REQUIRE_NATS") != "" {
			t.Fatal("nats-server not found (apt-get install nats-server)")
		}
		t.Skip("nats-server not found: apt-get install nats-server to run the NATS sink tests")
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-sd", t.TempDir())
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := nats.Connect(url)
		if err == nil {
			nc.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not start: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newNATSSink(t *testing.T, opts NATSOptions) *NATS {
	t.Helper()
	s, err := NewNATS(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNATSPublishesEachAlertOnTheSubject(t *testing.T) {
	url := startNATS(t, freePort(t))
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msgs := make(chan *nats.Msg, 100)
	if _, err := nc.ChanSubscribe("vigil.alerts", msgs); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	s := newNATSSink(t, NATSOptions{URL: url, Subject: "vigil.alerts"})
	batch := testAlerts(5, 0)
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range batch {
		select {
		case m := <-msgs:
			id := docID(t, m.Data)
			if m.Header.Get(jetstream.MsgIDHeader) != id || m.Header.Get("Vigil-Rule-Id") != "r1" || m.Header.Get("Vigil-Severity") != "high" {
				t.Errorf("message %s: headers %v", id, m.Header)
			}
			got = append(got, id)
		case <-time.After(10 * time.Second):
			t.Fatalf("received %d of %d messages", len(got), len(batch))
		}
	}
	if diff := cmp.Diff(ids(batch), got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.Written != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestNATSJetStreamAcksAndDropsRedeliveredAlerts(t *testing.T) {
	url := startNATS(t, freePort(t))
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ALERTS", Subjects: []string{"alerts.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	s := newNATSSink(t, NATSOptions{URL: url, Subject: "alerts.vigil", JetStream: true})
	batch := testAlerts(4, 0)
	for range 2 { // the second time is a re-delivery
		if err := s.Write(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 4 {
		t.Errorf("stream holds %d messages, want 4 (duplicates dropped)", info.State.Msgs)
	}
	var got []string
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != "alerts.vigil" {
			t.Errorf("message %d on %s", seq, m.Subject)
		}
		got = append(got, docID(t, m.Data))
	}
	if diff := cmp.Diff(ids(batch), got); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.Written != 8 || st.Failures != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestNATSJetStreamWithoutStreamIsTransient(t *testing.T) {
	url := startNATS(t, freePort(t))
	s := newNATSSink(t, NATSOptions{URL: url, Subject: "nowhere", JetStream: true, Timeout: time.Second})
	err := s.Write(context.Background(), testAlerts(2, 0))
	if err == nil || IsPermanent(err) || !errors.Is(err, jetstream.ErrNoStreamResponse) || !strings.Contains(err.Error(), "create a stream") {
		t.Fatalf("err = %v, want a transient no-stream error with advice", err)
	}
}

func TestNATSServerDownIsTransientAndRecovers(t *testing.T) {
	port := freePort(t)
	// NewNATS does not need the server; Writes fail until it is there.
	s := newNATSSink(t, NATSOptions{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), Subject: "vigil.alerts", Timeout: 200 * time.Millisecond})
	batch := testAlerts(2, 0)
	err := s.Write(context.Background(), batch)
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("err = %v, want transient", err)
	}
	url := startNATS(t, port)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msgs := make(chan *nats.Msg, 10)
	if _, err := nc.ChanSubscribe("vigil.alerts", msgs); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := Retry(s, RetryOptions{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond}).Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for i := range batch {
		select {
		case m := <-msgs:
			if id := docID(t, m.Data); id != batch[i].ID {
				t.Errorf("message %d is %s, want %s", i, id, batch[i].ID)
			}
		case <-ctx.Done():
			t.Fatalf("received %d of %d messages", i, len(batch))
		}
	}
}

func TestNATSRejectsMessagesOverMaxPayload(t *testing.T) {
	url := startNATS(t, freePort(t))
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var mu sync.Mutex
	var got []string
	sub, err := nc.Subscribe("vigil.alerts", func(m *nats.Msg) {
		mu.Lock()
		got = append(got, docID(t, m.Data))
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	nc.Flush()
	s := newNATSSink(t, NATSOptions{URL: url, Subject: "vigil.alerts"})
	eventually(t, "the sink's connection", s.nc.IsConnected)
	batch := testAlerts(3, 0)
	batch[1].Doc = []byte(`{"kibana.alert.uuid":"a0001","pad":"` + strings.Repeat("x", int(s.nc.MaxPayload())) + `"}`)
	err = s.Write(context.Background(), batch)
	var pe *PartialError
	if !errors.As(err, &pe) || !cmp.Equal(ids(pe.Rejected), []string{"a0001"}) || !strings.Contains(err.Error(), "max_payload") {
		t.Fatalf("err = %v, want a0001 rejected", err)
	}
	eventually(t, "two messages", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 2
	})
	mu.Lock()
	defer mu.Unlock()
	if !cmp.Equal(got, []string{"a0000", "a0002"}) {
		t.Errorf("received %v", got)
	}
}

func TestNATSNameHidesPasswords(t *testing.T) {
	got := redactURLs("nats://vigil:s3cret@a.example:4222, nats://b.example:4222")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "vigil:xxxxx@a.example") || !strings.Contains(got, "b.example:4222") {
		t.Errorf("redactURLs = %q", got)
	}
}

func TestNATSOptions(t *testing.T) {
	for _, opts := range []NATSOptions{{}, {URL: "nats://127.0.0.1:4222"}, {Subject: "x"}} {
		if _, err := NewNATS(opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
}
