package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// esqlSchema holds the documents ES|QL rules read at their executions.
const esqlSchema = `
CREATE TABLE IF NOT EXISTS esql_docs (
	rule_id TEXT NOT NULL,
	t       TEXT NOT NULL,      -- the document's time for the rule, fixed-width RFC 3339 (sorts as text)
	id      TEXT NOT NULL,      -- the event's id: a document delivered again is held once
	idx     TEXT NOT NULL,      -- the event's index
	data    BLOB NOT NULL,      -- the event's JSON
	PRIMARY KEY (rule_id, id)
);
CREATE INDEX IF NOT EXISTS esql_docs_rule ON esql_docs(rule_id, t);
`

// ESQLDoc is a document an ES|QL rule's executions read: its time for the
// rule, its id, its index and its JSON.
type ESQLDoc struct {
	Time  time.Time
	ID    string
	Index string
	Data  []byte
}

// AddESQLDocs holds documents of an ES|QL rule for its executions; a
// document whose id the rule holds already is kept once.
func (s *Store) AddESQLDocs(ctx context.Context, ruleID string, docs []ESQLDoc) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("hold ES|QL documents in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO esql_docs (rule_id, t, id, idx, data) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("hold ES|QL documents in %s: %w", s.path, err)
	}
	defer stmt.Close()
	for _, d := range docs {
		if _, err := stmt.ExecContext(ctx, ruleID, sortableTime(d.Time), d.ID, d.Index, d.Data); err != nil {
			return fmt.Errorf("hold ES|QL documents in %s: %w", s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("hold ES|QL documents in %s: %w", s.path, err)
	}
	return nil
}

// ESQLDocs forgets the rule's documents before from and calls fn with
// those in [from, to], oldest first, one at a time: the window is never
// held in memory. fn must not use the store; its error stops the read.
func (s *Store) ESQLDocs(ctx context.Context, ruleID string, from, to time.Time, fn func(ESQLDoc) error) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM esql_docs WHERE rule_id = ? AND t < ?`, ruleID, sortableTime(from)); err != nil {
		return fmt.Errorf("prune ES|QL documents in %s: %w", s.path, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t, id, idx, data FROM esql_docs WHERE rule_id = ? AND t >= ? AND t <= ? ORDER BY t, id`,
		ruleID, sortableTime(from), sortableTime(to))
	if err != nil {
		return fmt.Errorf("read ES|QL documents from %s: %w", s.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var d ESQLDoc
		if err := rows.Scan(&t, &d.ID, &d.Index, &d.Data); err != nil {
			return fmt.Errorf("read ES|QL documents from %s: %w", s.path, err)
		}
		d.Time, _ = time.Parse(time.RFC3339Nano, t)
		if err := fn(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read ES|QL documents from %s: %w", s.path, err)
	}
	return nil
}

// OpenScratch opens (creating) a database at path for a process's own
// scratch state, which it removes when done (vigil hunt holds the documents
// of ES|QL rules with a long look-back there): no journal and no sync, as
// nothing in it must survive a crash.
func OpenScratch(ctx context.Context, path string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open scratch database %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema+esqlSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open scratch database %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}
