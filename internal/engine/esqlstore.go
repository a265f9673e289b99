package engine

import (
	"context"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/state"
)

// ESQLDoc is a document an ES|QL rule's executions read, held between
// them: its time for the rule, its id (_id, or a hash of the document),
// its index and its JSON.
type ESQLDoc = state.ESQLDoc

// ESQLHolder holds the documents of ES|QL rules for their executions:
// serve hands each batch's documents to HoldESQL, and every interval an
// execution reads the documents of its range with ESQLDocs. Memory stays
// bounded by one document at a time in SQLStore, which streams them from
// the database.
type ESQLHolder interface {
	// HoldESQL holds documents of an ES|QL rule; a document whose id the
	// rule holds already is kept once (an input delivering it again).
	HoldESQL(ctx context.Context, ruleID string, docs []ESQLDoc) error
	// ESQLDocs forgets the rule's documents before from and calls fn
	// with those in [from, to], oldest first. fn must not use the Store.
	ESQLDocs(ctx context.Context, ruleID string, from, to time.Time, fn func(ESQLDoc) error) error
}

// HoldESQL implements ESQLHolder.
func (s SQLStore) HoldESQL(ctx context.Context, ruleID string, docs []ESQLDoc) error {
	return s.Store.AddESQLDocs(ctx, ruleID, docs)
}

// ESQLDocs implements ESQLHolder.
func (s SQLStore) ESQLDocs(ctx context.Context, ruleID string, from, to time.Time, fn func(ESQLDoc) error) error {
	return s.Store.ESQLDocs(ctx, ruleID, from, to, fn)
}

// memESQL is what a MemoryStore holds of an ES|QL rule.
type memESQL struct {
	docs []ESQLDoc // oldest first
	ids  map[string]bool
}

// HoldESQL implements ESQLHolder.
func (s *MemoryStore) HoldESQL(_ context.Context, ruleID string, docs []ESQLDoc) error {
	if s.esql == nil {
		s.esql = map[string]*memESQL{}
	}
	m := s.esql[ruleID]
	if m == nil {
		m = &memESQL{ids: map[string]bool{}}
		s.esql[ruleID] = m
	}
	for _, d := range docs {
		if m.ids[d.ID] {
			continue
		}
		m.ids[d.ID] = true
		m.docs = append(m.docs, d)
	}
	sort.SliceStable(m.docs, func(i, j int) bool { return m.docs[i].Time.Before(m.docs[j].Time) })
	return nil
}

// ESQLDocs implements ESQLHolder.
func (s *MemoryStore) ESQLDocs(_ context.Context, ruleID string, from, to time.Time, fn func(ESQLDoc) error) error {
	m := s.esql[ruleID]
	if m == nil {
		return nil
	}
	lo := sort.Search(len(m.docs), func(i int) bool { return !m.docs[i].Time.Before(from) })
	for _, d := range m.docs[:lo] {
		delete(m.ids, d.ID)
	}
	m.docs = m.docs[lo:]
	for _, d := range m.docs {
		if d.Time.After(to) {
			break
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}
