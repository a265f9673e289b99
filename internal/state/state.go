// Package state is Vigil's embedded store: a SQLite database file holding
// alerts (keyed by their deterministic id, which makes re-runs idempotent)
// and, as the engine grows, dedup ids, suppression groups and input
// checkpoints.
//
// The store is safe for concurrent use. It uses the pure-Go SQLite driver
// modernc.org/sqlite, so the binary needs no cgo.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is an open state database.
type Store struct {
	db   *sql.DB
	path string
}

const schema = `
CREATE TABLE IF NOT EXISTS alerts (
	id          TEXT PRIMARY KEY,   -- kibana.alert.uuid
	rule_id     TEXT NOT NULL,      -- the rule's rule_id
	rule_name   TEXT NOT NULL,
	severity    TEXT NOT NULL,
	risk_score  INTEGER NOT NULL,
	event_time  TEXT,               -- kibana.alert.original_time, RFC 3339
	created_at  TEXT NOT NULL,      -- the alert's @timestamp, RFC 3339
	doc         BLOB NOT NULL       -- the alert document as JSON
);
CREATE INDEX IF NOT EXISTS alerts_rule ON alerts(rule_id, event_time);
CREATE TABLE IF NOT EXISTS checkpoints (
	key        TEXT PRIMARY KEY,  -- the input's name and what it tracks (e.g. a file's identity)
	value      TEXT NOT NULL,     -- the input's own encoding of its position
	updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`

// Open opens (creating if needed) the database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	// WAL lets readers (the web UI, `vigil alerts`) work beside the writer;
	// busy_timeout waits instead of failing on a brief lock.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open state database %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serializes writes anyway
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open state database %s: %w (is it a Vigil database? use a new file)", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Alert is one stored alert.
type Alert struct {
	ID        string
	RuleID    string
	RuleName  string
	Severity  string
	RiskScore int
	EventTime time.Time // zero if the event had no @timestamp
	CreatedAt time.Time
	Doc       []byte // the alert document (JSON)
}

// AddAlerts stores alerts in one transaction, skipping those whose id is
// already stored, and reports which were new (by index into alerts).
func (s *Store) AddAlerts(ctx context.Context, alerts []Alert) (added []bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store alerts in %s: %w", s.path, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO alerts
		(id, rule_id, rule_name, severity, risk_score, event_time, created_at, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("store alerts in %s: %w", s.path, err)
	}
	defer stmt.Close()
	added = make([]bool, len(alerts))
	for i, a := range alerts {
		res, err := stmt.ExecContext(ctx, a.ID, a.RuleID, a.RuleName, a.Severity, a.RiskScore,
			timeText(a.EventTime), timeText(a.CreatedAt), a.Doc)
		if err != nil {
			return nil, fmt.Errorf("store alert %s in %s: %w", a.ID, s.path, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("store alert %s in %s: %w", a.ID, s.path, err)
		}
		added[i] = n == 1
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store alerts in %s: %w", s.path, err)
	}
	return added, nil
}

// HasAlert reports whether an alert with id is stored.
func (s *Store) HasAlert(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM alerts WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up alert %s in %s: %w", id, s.path, err)
	}
	return true, nil
}

// AlertFilter selects alerts; zero fields select everything.
type AlertFilter struct {
	RuleID string
	Limit  int // 0 = no limit
}

// Alerts returns stored alerts, oldest event first.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	q := `SELECT id, rule_id, rule_name, severity, risk_score, event_time, created_at, doc FROM alerts`
	var args []any
	if f.RuleID != "" {
		q += ` WHERE rule_id = ?`
		args = append(args, f.RuleID)
	}
	q += ` ORDER BY event_time, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts from %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var et, ct sql.NullString
		if err := rows.Scan(&a.ID, &a.RuleID, &a.RuleName, &a.Severity, &a.RiskScore, &et, &ct, &a.Doc); err != nil {
			return nil, fmt.Errorf("read alerts from %s: %w", s.path, err)
		}
		a.EventTime = parseTime(et.String)
		a.CreatedAt = parseTime(ct.String)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read alerts from %s: %w", s.path, err)
	}
	return out, nil
}

// CountAlerts returns the number of stored alerts.
func (s *Store) CountAlerts(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM alerts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count alerts in %s: %w", s.path, err)
	}
	return n, nil
}

func timeText(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// LoadCheckpoint returns the position an input saved under key.
func (s *Store) LoadCheckpoint(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM checkpoints WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read checkpoint %q from %s: %w", key, s.path, err)
	}
	return v, true, nil
}

// SaveCheckpoint stores an input's position under key, replacing the
// previous one.
func (s *Store) SaveCheckpoint(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO checkpoints (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("save checkpoint %q in %s: %w", key, s.path, err)
	}
	return nil
}

// KnownAlerts returns which of ids are stored already.
func (s *Store) KnownAlerts(ctx context.Context, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		q := `SELECT id FROM alerts WHERE id IN (?` + strings.Repeat(",?", end-start-1) + `)`
		args := make([]any, 0, end-start)
		for _, id := range ids[start:end] {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("look up alerts in %s: %w", s.path, err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up alerts in %s: %w", s.path, err)
			}
			known[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("look up alerts in %s: %w", s.path, err)
		}
	}
	return known, nil
}
