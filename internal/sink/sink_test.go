package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// testAlerts returns n alerts numbered from; each document is about 150
// bytes once compacted.
func testAlerts(n, from int) []Alert {
	out := make([]Alert, 0, n)
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("a%04d", i)
		out = append(out, Alert{ID: id, RuleID: "r1", RuleName: "Rule one", Severity: "high", RiskScore: 73,
			EventTime: time.Date(2026, 3, 14, 9, 0, i%60, 0, time.UTC), CreatedAt: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC),
			Doc: json.RawMessage(fmt.Sprintf(`{"kibana.alert.uuid":%q,"kibana.alert.rule.rule_id":"r1","kibana.alert.severity":"high","pad":"%060d"}`, id, i))})
	}
	return out
}

func ids(alerts []Alert) []string {
	out := make([]string, len(alerts))
	for i, a := range alerts {
		out[i] = a.ID
	}
	return out
}

// docID returns the kibana.alert.uuid of a document.
func docID(t *testing.T, doc []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("document %q: %v", doc, err)
	}
	id, _ := m["kibana.alert.uuid"].(string)
	return id
}

func noSleep(context.Context, time.Duration) error { return nil }

// sleeps records the pauses Retry asks for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// scripted is a sink whose Writes answer from a script, then succeed. It
// records what each call received.
type scripted struct {
	name   string
	mu     sync.Mutex
	script []func(alerts []Alert) error
	calls  [][]Alert
}

func (s *scripted) Name() string { return s.name }
func (s *scripted) Close() error { return nil }
func (s *scripted) Write(_ context.Context, alerts []Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, alerts)
	if len(s.script) == 0 {
		return nil
	}
	f := s.script[0]
	s.script = s.script[1:]
	return f(alerts)
}

func (s *scripted) received() [][]Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]Alert(nil), s.calls...)
}

func fail(err error) func([]Alert) error { return func([]Alert) error { return err } }

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
