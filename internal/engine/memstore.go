package engine

import (
	"context"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/state"
)

// MemoryStore is a Store in memory, for a hunt: alert documents are kept
// as the maps the executors built (suppression updates them in place, so
// a hunt writes each alert once, final). It is not safe for concurrent use.
type MemoryStore struct {
	alerts    map[string]map[string]any
	groups    map[string]state.Suppression
	terms     map[string]map[string]time.Time
	threshold map[string][]ThresholdMatch // per rule, oldest first
	last      map[string]map[string]time.Time
	seq       map[string]map[seqKey]SequenceEvent // per rule, by index and event id
}

// seqKey names a held sequence event: its index and id.
type seqKey struct{ index, id string }

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		alerts:    map[string]map[string]any{},
		groups:    map[string]state.Suppression{},
		terms:     map[string]map[string]time.Time{},
		threshold: map[string][]ThresholdMatch{},
		last:      map[string]map[string]time.Time{},
		seq:       map[string]map[seqKey]SequenceEvent{},
	}
}

// KnownAlerts implements Store.
func (s *MemoryStore) KnownAlerts(_ context.Context, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	for _, id := range ids {
		if _, ok := s.alerts[id]; ok {
			known[id] = true
		}
	}
	return known, nil
}

// AddAlerts implements Store.
func (s *MemoryStore) AddAlerts(_ context.Context, alerts []Alert, _ time.Time) error {
	for _, a := range alerts {
		if _, ok := s.alerts[a.ID]; !ok {
			s.alerts[a.ID] = a.Doc
		}
	}
	return nil
}

// AlertDoc implements Store: the document itself, not a copy.
func (s *MemoryStore) AlertDoc(_ context.Context, id string) (map[string]any, bool, error) {
	doc, ok := s.alerts[id]
	return doc, ok && doc != nil, nil
}

// LoadSuppression implements Store.
func (s *MemoryStore) LoadSuppression(_ context.Context, key string) (state.Suppression, bool, error) {
	g, ok := s.groups[key]
	if !ok {
		g.Key = key
	}
	return g, ok, nil
}

// SaveSuppression implements Store.
func (s *MemoryStore) SaveSuppression(_ context.Context, g state.Suppression, doc map[string]any) error {
	s.groups[g.Key] = g
	if doc != nil {
		if _, ok := s.alerts[g.AlertID]; ok {
			s.alerts[g.AlertID] = doc
		}
	}
	return nil
}

// TermsLastSeen implements Store.
func (s *MemoryStore) TermsLastSeen(_ context.Context, ruleID string, keys []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	seen := s.terms[ruleID]
	for _, k := range keys {
		if t, ok := seen[k]; ok {
			out[k] = t
		}
	}
	return out, nil
}

// SaveTerms implements Store.
func (s *MemoryStore) SaveTerms(_ context.Context, ruleID string, seen map[string]time.Time, prune time.Time) error {
	saveTimes(s.terms, ruleID, seen, prune, true)
	return nil
}

// saveTimes merges times into all[ruleID] (the later one wins with
// later, else the new one) and forgets those before prune.
func saveTimes(all map[string]map[string]time.Time, ruleID string, times map[string]time.Time, prune time.Time, later bool) {
	m := all[ruleID]
	if m == nil {
		m = map[string]time.Time{}
		all[ruleID] = m
	}
	for k, t := range times {
		if old, ok := m[k]; !later || !ok || t.After(old) {
			m[k] = t
		}
	}
	if !prune.IsZero() {
		for k, t := range m {
			if t.Before(prune) {
				delete(m, k)
			}
		}
	}
}

// HoldThreshold implements Store.
func (s *MemoryStore) HoldThreshold(_ context.Context, ruleID string, ms []ThresholdMatch) error {
	held := s.threshold[ruleID]
	sorted := len(held) == 0 || len(ms) == 0 || !ms[0].Time.Before(held[len(held)-1].Time)
	for i := 1; sorted && i < len(ms); i++ {
		sorted = !ms[i].Time.Before(ms[i-1].Time)
	}
	held = append(held, ms...)
	if !sorted {
		sort.SliceStable(held, func(i, j int) bool { return held[i].Time.Before(held[j].Time) })
	}
	s.threshold[ruleID] = held
	return nil
}

// ThresholdMatches implements Store; the slice returned is the store's
// own, valid until the next call.
func (s *MemoryStore) ThresholdMatches(_ context.Context, ruleID string, since time.Time) ([]ThresholdMatch, error) {
	held := s.threshold[ruleID]
	lo := sort.Search(len(held), func(i int) bool { return !held[i].Time.Before(since) })
	if lo > 0 {
		held = held[lo:]
		s.threshold[ruleID] = held
	}
	return held, nil
}

// ThresholdLast implements Store.
func (s *MemoryStore) ThresholdLast(_ context.Context, ruleID string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(s.last[ruleID]))
	for k, t := range s.last[ruleID] {
		out[k] = t
	}
	return out, nil
}

// SaveThresholdLast implements Store.
func (s *MemoryStore) SaveThresholdLast(_ context.Context, ruleID string, last map[string]time.Time, prune time.Time) error {
	saveTimes(s.last, ruleID, last, prune, false)
	return nil
}

// HoldSequence implements Store.
func (s *MemoryStore) HoldSequence(_ context.Context, ruleID string, evs []SequenceEvent, limit int) (int, error) {
	held := s.seq[ruleID]
	if held == nil {
		held = map[seqKey]SequenceEvent{}
		s.seq[ruleID] = held
	}
	dropped := 0
	for _, e := range evs {
		k := seqKey{e.Index, e.EventID}
		if _, ok := held[k]; ok {
			continue
		}
		if limit > 0 && len(held) >= limit {
			dropped++
			continue
		}
		held[k] = e
	}
	return dropped, nil
}

// SequenceEvents implements Store.
func (s *MemoryStore) SequenceEvents(_ context.Context, ruleID string, since time.Time) ([]SequenceEvent, error) {
	held := s.seq[ruleID]
	out := make([]SequenceEvent, 0, len(held))
	for k, e := range held {
		if e.Time.Before(since) {
			delete(held, k)
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		return a.EventID < b.EventID
	})
	return out, nil
}
