package sink

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Multi writes each batch to several sinks at once and succeeds only when
// all of them accepted it. It remembers, per failed batch, which alerts
// each sink has not accepted yet, so that when the same batch is written
// again (the caller's retry, or a redelivery) a sink that accepted it is
// not asked again, and one that accepted part of it gets only the rest.
// Wrap each sink with Retry to retry it on its own.
type Multi struct {
	sinks []Sink
	counters

	mu    sync.Mutex
	open  map[[sha256.Size]byte]openBatch
	order []openKey // keys of open, oldest first (some may be stale)
	seq   uint64
}

type openBatch struct {
	need [][]Alert // per sink, the alerts it has not accepted; empty = done
	seq  uint64
}

type openKey struct {
	key [sha256.Size]byte
	seq uint64
}

// maxOpenBatches bounds the failed batches Multi remembers; forgetting
// one only means its sinks get all of it again.
const maxOpenBatches = 1024

// NewMulti returns a sink writing to all of sinks.
func NewMulti(sinks ...Sink) *Multi {
	return &Multi{sinks: sinks, open: map[[sha256.Size]byte]openBatch{}}
}

// Name implements Sink.
func (m *Multi) Name() string {
	names := make([]string, len(m.sinks))
	for i, s := range m.sinks {
		names[i] = s.Name()
	}
	return strings.Join(names, ", ")
}

// Write implements Sink. The sinks are written concurrently. The error
// names each sink that failed; IsPermanent reports true only when no sink
// failed transiently. Stats count alerts of batches that every sink
// accepted, failed Writes, and Writes of a batch seen failing before
// (Retries).
func (m *Multi) Write(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 || len(m.sinks) == 0 {
		return nil
	}
	key := batchKey(alerts)
	m.mu.Lock()
	b, again := m.open[key]
	delete(m.open, key)
	m.mu.Unlock()
	if again {
		m.retries.Add(1)
	} else {
		b.need = make([][]Alert, len(m.sinks))
		for i := range b.need {
			b.need[i] = alerts
		}
	}

	errs := make([]error, len(m.sinks))
	var wg sync.WaitGroup
	for i, s := range m.sinks {
		if len(b.need[i]) == 0 {
			continue
		}
		wg.Go(func() { errs[i] = s.Write(ctx, b.need[i]) })
	}
	wg.Wait()

	type failure struct {
		name                 string
		transient, permanent error
	}
	var failures []failure
	anyTransient := false
	for i, err := range errs {
		if err == nil {
			b.need[i] = nil
			continue
		}
		f := failure{name: m.sinks[i].Name()}
		var pe *PartialError
		switch {
		case asPartial(err, &pe):
			b.need[i] = append(append([]Alert(nil), pe.Pending...), pe.Rejected...)
			if len(pe.Pending) > 0 {
				f.transient = pe.Err
			}
			f.permanent = pe.Reason
		case IsPermanent(err):
			f.permanent = err
		default:
			f.transient = err
		}
		anyTransient = anyTransient || f.transient != nil
		failures = append(failures, f)
	}
	if len(failures) == 0 {
		m.written.Add(int64(len(alerts)))
		return nil
	}
	m.failures.Add(1)
	m.remember(key, b)

	var parts []error
	for _, f := range failures {
		if f.transient != nil {
			parts = append(parts, fmt.Errorf("%s: %w", f.name, f.transient))
		}
		if f.permanent != nil {
			if anyTransient {
				// Text only: the batch as a whole may still go through.
				parts = append(parts, fmt.Errorf("%s: %v", f.name, f.permanent))
			} else {
				parts = append(parts, fmt.Errorf("%s: %w", f.name, f.permanent))
			}
		}
	}
	return errors.Join(parts...)
}

// remember keeps b as the state of the failed batch key, forgetting the
// oldest batches beyond maxOpenBatches.
func (m *Multi) remember(key [sha256.Size]byte, b openBatch) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	b.seq = m.seq
	m.open[key] = b
	m.order = append(m.order, openKey{key, b.seq})
	for len(m.open) > maxOpenBatches {
		k := m.order[0]
		m.order = m.order[1:]
		if cur, ok := m.open[k.key]; ok && cur.seq == k.seq {
			delete(m.open, k.key)
		}
	}
	if len(m.order) > 2*maxOpenBatches { // drop the keys of batches written again since
		live := m.order[:0]
		for _, k := range m.order {
			if cur, ok := m.open[k.key]; ok && cur.seq == k.seq {
				live = append(live, k)
			}
		}
		m.order = live
	}
}

// batchKey identifies a batch by its alerts' ids and documents.
func batchKey(alerts []Alert) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, a := range alerts {
		for _, part := range [][]byte{[]byte(a.ID), a.Doc} {
			l := len(part)
			for i := range n {
				n[i] = byte(l >> (8 * i))
			}
			h.Write(n[:])
			h.Write(part)
		}
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key
}

// Close implements Sink: it closes every sink.
func (m *Multi) Close() error {
	var errs []error
	for _, s := range m.sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
		}
	}
	return errors.Join(errs...)
}
