package state

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// ES|QL documents: held once per id, read back in time order within the
// range (sub-second times included), forgotten before it, kept across a
// reopen.
func TestESQLDocs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	doc := func(id string, d time.Duration) ESQLDoc {
		return ESQLDoc{Time: base.Add(d), ID: id, Index: "logs-x", Data: []byte(`{"id":"` + id + `"}`)}
	}
	if err := s.AddESQLDocs(ctx, "r1", []ESQLDoc{doc("c", 3*time.Minute), doc("a", time.Minute), doc("b", time.Minute+500*time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddESQLDocs(ctx, "r1", []ESQLDoc{doc("a", time.Minute), doc("d", 9*time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddESQLDocs(ctx, "r2", []ESQLDoc{doc("a", time.Minute)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	read := func(rule string, from, to time.Duration) string {
		t.Helper()
		var got []string
		err := s.ESQLDocs(ctx, rule, base.Add(from), base.Add(to), func(d ESQLDoc) error {
			got = append(got, fmt.Sprintf("%s@%s/%s", d.ID, d.Time.Sub(base), d.Index))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(got)
	}
	if got, want := read("r1", 0, 5*time.Minute), "[a@1m0s/logs-x b@1m0.5s/logs-x c@3m0s/logs-x]"; got != want {
		t.Errorf("[09:00, 09:05]: %s, want %s", got, want)
	}
	if got, want := read("r1", 2*time.Minute, 10*time.Minute), "[c@3m0s/logs-x d@9m0s/logs-x]"; got != want {
		t.Errorf("[09:02, 09:10]: %s, want %s", got, want)
	}
	if got, want := read("r1", 0, 10*time.Minute), "[c@3m0s/logs-x d@9m0s/logs-x]"; got != want {
		t.Errorf("after the read from 09:02, [09:00, 09:10]: %s, want %s (older ones forgotten)", got, want)
	}
	if got, want := read("r2", 0, 10*time.Minute), "[a@1m0s/logs-x]"; got != want {
		t.Errorf("another rule: %s, want %s", got, want)
	}
	stop := fmt.Errorf("stop")
	if err := s.ESQLDocs(ctx, "r1", base, base.Add(time.Hour), func(ESQLDoc) error { return stop }); err != stop {
		t.Errorf("fn's error: got %v", err)
	}
}
