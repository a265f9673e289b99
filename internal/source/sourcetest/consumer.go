// Package sourcetest runs a source.Source in tests, with a consumer that
// stands for the engine: it receives the batches, acknowledges each and
// records what it did.
package sourcetest

import (
	"context"
	"sync"
	"testing"

	"github.com/vigil-project/vigil/internal/source"
)

// Consumer acknowledges each batch with what Decide returns (nil when
// Decide is nil), after recording it. Batches Skip reports are
// acknowledged with nil and not recorded.
type Consumer struct {
	Decide func(b source.Batch) error
	Skip   func(b source.Batch) bool

	mu      sync.Mutex
	batches int             // batches received
	failed  int             // batches acknowledged with an error
	acked   []source.Record // records of batches acknowledged with nil
}

// Snapshot returns the batches received, those acknowledged with an error,
// and the records of those acknowledged with nil.
func (c *Consumer) Snapshot() (batches, failed int, acked []source.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.batches, c.failed, append([]source.Record(nil), c.acked...)
}

// Run starts src.Run with c as its consumer; both stop when the test ends,
// and the test fails if Run returned an error. It does not wait for Run to
// be ready: each source has its own way to tell.
func Run(t testing.TB, src source.Source, c *Consumer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan source.Batch)
	runErr := make(chan error, 1)
	go func() { runErr <- src.Run(ctx, out) }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case b := <-out:
				if c.Skip != nil && c.Skip(b) {
					b.Ack(nil)
					continue
				}
				var err error
				if c.Decide != nil {
					err = c.Decide(b)
				}
				c.mu.Lock()
				c.batches++
				if err != nil {
					c.failed++
				} else {
					c.acked = append(c.acked, b.Records...)
				}
				c.mu.Unlock()
				b.Ack(err)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}
