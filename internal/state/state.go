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
CREATE TABLE IF NOT EXISTS suppression (
	key        TEXT PRIMARY KEY,  -- instance id, plus the execution for per-execution suppression
	alert_id   TEXT NOT NULL,     -- the alert that counts the group's events
	created_at TEXT NOT NULL,     -- when that alert was created (the window starts there)
	start      TEXT NOT NULL,     -- earliest event time
	end        TEXT NOT NULL,     -- latest event time
	docs_count INTEGER NOT NULL   -- events counted into the alert besides its own
);
CREATE TABLE IF NOT EXISTS new_terms (
	rule_id   TEXT NOT NULL,
	combo     TEXT NOT NULL,      -- the value combination, as JSON
	last_seen TEXT NOT NULL,      -- the latest event time it was seen at
	PRIMARY KEY (rule_id, combo)
);
CREATE INDEX IF NOT EXISTS new_terms_seen ON new_terms(rule_id, last_seen);
CREATE TABLE IF NOT EXISTS threshold_matches (
	rule_id TEXT NOT NULL,
	t       TEXT NOT NULL,      -- the match's time, RFC 3339
	data    BLOB NOT NULL       -- its groups and cardinality values, as JSON
);
CREATE INDEX IF NOT EXISTS threshold_matches_rule ON threshold_matches(rule_id, t);
CREATE TABLE IF NOT EXISTS threshold_last (
	rule_id TEXT NOT NULL,
	grp     TEXT NOT NULL,      -- the group's values, as JSON
	last    TEXT NOT NULL,      -- the newest match counted into an alert
	PRIMARY KEY (rule_id, grp)
);
CREATE TABLE IF NOT EXISTS sequence_events (
	rule_id  TEXT NOT NULL,
	idx      TEXT NOT NULL,     -- the event's index
	event_id TEXT NOT NULL,     -- the event's id: the same event delivered again is held once
	t        TEXT NOT NULL,     -- the rule's timestamp of the event, RFC 3339
	data     BLOB NOT NULL,     -- the event and its place in the sequence's order, as JSON
	PRIMARY KEY (rule_id, idx, event_id)
);
CREATE INDEX IF NOT EXISTS sequence_events_rule ON sequence_events(rule_id, t);
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`

// Open opens (creating if needed) the database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	// WAL lets readers (the web UI, `vigil alerts`) work beside the writer;
	// busy_timeout waits instead of failing on a brief lock. synchronous
	// FULL syncs the WAL at every commit: serve acknowledges its inputs
	// (a file checkpoint, a Kafka offset, a _bulk answer) right after its
	// alerts are committed, so a commit must survive an OS crash or power
	// loss, not only a crash of the process (NORMAL's promise in WAL mode).
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open state database %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serializes writes anyway
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open state database %s: %w (is it a Vigil database? use a new file)", path, err)
	}
	if err := fixTimeText(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open state database %s: rewriting stored times: %w", path, err)
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

// timeText is how a time is stored: sortableTime, or NULL for none.
func timeText(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return sortableTime(t)
}

// timeColumns are the columns holding times that the queries compare or
// sort as text; databases written before times had a fixed width hold
// them as RFC 3339 with trailing zeros trimmed (fixTimeText).
var timeColumns = [][2]string{
	{"alerts", "event_time"}, {"alerts", "created_at"},
	{"suppression", "created_at"}, {"suppression", "start"}, {"suppression", "end"},
	{"new_terms", "last_seen"}, {"threshold_matches", "t"}, {"threshold_last", "last"},
	{"triage_alerts", "t"}, {"alert_workflow", "at"}, {"alert_workflow_log", "at"},
}

// fixTimeText rewrites, once per database, the times an earlier version
// stored with their trailing zeros trimmed ("…:05Z", "…:05.5Z") in
// sortableTime's fixed width: as text, "…:05Z" sorted after "…:05.5Z", so
// pruning by time could delete a threshold match or new term half a second
// newer than its bound, and max() keep the older of two times.
func fixTimeText(ctx context.Context, db *sql.DB) error {
	const done = "time_text_fixed_width"
	var v string
	switch err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, done).Scan(&v); {
	case err == nil:
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, tc := range timeColumns {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, tc[0]).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			continue // the triage tables exist once the UI has opened the database
		}
		c := `"` + tc[1] + `"`
		// "2006-01-02T15:04:05Z" (20 bytes) or with 1 to 8 fraction digits.
		q := `UPDATE ` + tc[0] + ` SET ` + c + ` = CASE
			WHEN length(` + c + `) = 20 THEN substr(` + c + `, 1, 19) || '.000000000Z'
			ELSE substr(` + c + `, 1, 20) || substr(substr(` + c + `, 21, length(` + c + `) - 21) || '000000000', 1, 9) || 'Z' END
			WHERE ` + c + ` LIKE '____-__-__T__:__:__%Z' AND length(` + c + `) BETWEEN 20 AND 29 AND length(` + c + `) != 21`
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s.%s: %w", tc[0], tc[1], err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, '1')`, done); err != nil {
		return err
	}
	return tx.Commit()
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

// ListCheckpoints returns the checkpoints whose key starts with prefix, by
// key: an input finds there the positions of what it no longer sees (the
// tail input, files rotated while Vigil was stopped).
func (s *Store) ListCheckpoints(ctx context.Context, prefix string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM checkpoints WHERE substr(CAST(key AS BLOB), 1, ?) = CAST(? AS BLOB)`,
		len(prefix), prefix) // bytes: substr of TEXT counts characters
	if err != nil {
		return nil, fmt.Errorf("list checkpoints %q in %s: %w", prefix, s.path, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("list checkpoints %q in %s: %w", prefix, s.path, err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list checkpoints %q in %s: %w", prefix, s.path, err)
	}
	return out, nil
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

// Suppression is the state of one alert-suppression group.
type Suppression struct {
	Key        string
	AlertID    string
	CreatedAt  time.Time
	Start, End time.Time
	DocsCount  int
}

// LoadSuppression returns the group stored under key.
func (s *Store) LoadSuppression(ctx context.Context, key string) (Suppression, bool, error) {
	g := Suppression{Key: key}
	var created, start, end string
	err := s.db.QueryRowContext(ctx, `SELECT alert_id, created_at, start, end, docs_count FROM suppression WHERE key = ?`, key).
		Scan(&g.AlertID, &created, &start, &end, &g.DocsCount)
	if errors.Is(err, sql.ErrNoRows) {
		return g, false, nil
	}
	if err != nil {
		return g, false, fmt.Errorf("read suppression state from %s: %w", s.path, err)
	}
	g.CreatedAt, g.Start, g.End = parseTime(created), parseTime(start), parseTime(end)
	return g, true, nil
}

// SaveSuppression stores a group and, when doc is not nil, replaces the
// document of its alert (its kibana.alert.suppression.* fields changed),
// in one transaction.
func (s *Store) SaveSuppression(ctx context.Context, g Suppression, doc []byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save suppression state in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO suppression (key, alert_id, created_at, start, end, docs_count) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET alert_id = excluded.alert_id, created_at = excluded.created_at, start = excluded.start,
		end = excluded.end, docs_count = excluded.docs_count`,
		g.Key, g.AlertID, timeText(g.CreatedAt), timeText(g.Start), timeText(g.End), g.DocsCount); err != nil {
		return fmt.Errorf("save suppression state in %s: %w", s.path, err)
	}
	if doc != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET doc = ? WHERE id = ?`, doc, g.AlertID); err != nil {
			return fmt.Errorf("update alert %s in %s: %w", g.AlertID, s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save suppression state in %s: %w", s.path, err)
	}
	return nil
}

// AlertDoc returns the stored document of an alert.
func (s *Store) AlertDoc(ctx context.Context, id string) ([]byte, bool, error) {
	var doc []byte
	err := s.db.QueryRowContext(ctx, `SELECT doc FROM alerts WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read alert %s from %s: %w", id, s.path, err)
	}
	return doc, true, nil
}

// TermsLastSeen returns when each of combos was last seen by a new terms
// rule (absent: never, or pruned).
func (s *Store) TermsLastSeen(ctx context.Context, ruleID string, combos []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	const chunk = 500 // SQLite's parameter limit is far above
	for len(combos) > 0 {
		part := combos[:min(chunk, len(combos))]
		combos = combos[len(part):]
		args := make([]any, 0, len(part)+1)
		args = append(args, ruleID)
		for _, c := range part {
			args = append(args, c)
		}
		q := `SELECT combo, last_seen FROM new_terms WHERE rule_id = ? AND combo IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("read new terms state from %s: %w", s.path, err)
		}
		for rows.Next() {
			var c, t string
			if err := rows.Scan(&c, &t); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read new terms state from %s: %w", s.path, err)
			}
			out[c] = parseTime(t)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read new terms state from %s: %w", s.path, err)
		}
	}
	return out, nil
}

// SaveTerms records when combos were last seen by a rule, and forgets
// those last seen before prune (outside any history window).
func (s *Store) SaveTerms(ctx context.Context, ruleID string, seen map[string]time.Time, prune time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save new terms state in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	for c, t := range seen {
		if _, err := tx.ExecContext(ctx, `INSERT INTO new_terms (rule_id, combo, last_seen) VALUES (?, ?, ?)
			ON CONFLICT(rule_id, combo) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`, ruleID, c, timeText(t)); err != nil {
			return fmt.Errorf("save new terms state in %s: %w", s.path, err)
		}
	}
	if !prune.IsZero() {
		if _, err := tx.ExecContext(ctx, `DELETE FROM new_terms WHERE rule_id = ? AND last_seen < ?`, ruleID, timeText(prune)); err != nil {
			return fmt.Errorf("prune new terms state in %s: %w", s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save new terms state in %s: %w", s.path, err)
	}
	return nil
}

// ThresholdRow is a threshold rule's match held until its next execution.
type ThresholdRow struct {
	Time time.Time
	Data []byte
}

// AddThresholdMatches holds matches of a threshold rule.
func (s *Store) AddThresholdMatches(ctx context.Context, ruleID string, rows []ThresholdRow) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("hold threshold matches in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO threshold_matches (rule_id, t, data) VALUES (?, ?, ?)`, ruleID, timeText(r.Time), r.Data); err != nil {
			return fmt.Errorf("hold threshold matches in %s: %w", s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("hold threshold matches in %s: %w", s.path, err)
	}
	return nil
}

// ThresholdMatches returns a rule's held matches at or after since, oldest
// first, and forgets older ones.
func (s *Store) ThresholdMatches(ctx context.Context, ruleID string, since time.Time) ([]ThresholdRow, error) {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM threshold_matches WHERE rule_id = ? AND t < ?`, ruleID, timeText(since)); err != nil {
		return nil, fmt.Errorf("prune threshold matches in %s: %w", s.path, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t, data FROM threshold_matches WHERE rule_id = ? ORDER BY t`, ruleID)
	if err != nil {
		return nil, fmt.Errorf("read threshold matches from %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []ThresholdRow
	for rows.Next() {
		var t string
		var r ThresholdRow
		if err := rows.Scan(&t, &r.Data); err != nil {
			return nil, fmt.Errorf("read threshold matches from %s: %w", s.path, err)
		}
		r.Time = parseTime(t)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ThresholdLast returns, per group, the newest match a rule already counted
// into an alert.
func (s *Store) ThresholdLast(ctx context.Context, ruleID string) (map[string]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT grp, last FROM threshold_last WHERE rule_id = ?`, ruleID)
	if err != nil {
		return nil, fmt.Errorf("read threshold state from %s: %w", s.path, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var g, t string
		if err := rows.Scan(&g, &t); err != nil {
			return nil, fmt.Errorf("read threshold state from %s: %w", s.path, err)
		}
		out[g] = parseTime(t)
	}
	return out, rows.Err()
}

// SaveThresholdLast stores the groups' newest alerted matches, forgetting
// groups whose last alert is older than prune.
func (s *Store) SaveThresholdLast(ctx context.Context, ruleID string, last map[string]time.Time, prune time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save threshold state in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	for g, t := range last {
		if _, err := tx.ExecContext(ctx, `INSERT INTO threshold_last (rule_id, grp, last) VALUES (?, ?, ?)
			ON CONFLICT(rule_id, grp) DO UPDATE SET last = excluded.last`, ruleID, g, timeText(t)); err != nil {
			return fmt.Errorf("save threshold state in %s: %w", s.path, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM threshold_last WHERE rule_id = ? AND last < ?`, ruleID, timeText(prune)); err != nil {
		return fmt.Errorf("save threshold state in %s: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save threshold state in %s: %w", s.path, err)
	}
	return nil
}

// SequenceRow is an event an eql sequence rule's steps selected, held for
// the rule's executions: its index and id (the same event delivered again
// is held once), its time for the rule, and what the executor needs of it.
type SequenceRow struct {
	Index, EventID string
	Time           time.Time
	Data           []byte
}

// AddSequenceEvents holds events of an eql sequence rule, at most limit
// for the rule (0: no limit). An event held already (same index and id) is
// not held again and does not count; the events that would pass the limit
// are not held: dropped is how many.
func (s *Store) AddSequenceEvents(ctx context.Context, ruleID string, rows []SequenceRow, limit int) (dropped int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("hold sequence events in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	held := 0
	if limit > 0 {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sequence_events WHERE rule_id = ?`, ruleID).Scan(&held); err != nil {
			return 0, fmt.Errorf("hold sequence events in %s: %w", s.path, err)
		}
	}
	for _, r := range rows {
		if limit > 0 && held >= limit {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM sequence_events WHERE rule_id = ? AND idx = ? AND event_id = ?`, ruleID, r.Index, r.EventID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				dropped++
				continue
			}
			if err != nil {
				return 0, fmt.Errorf("hold sequence events in %s: %w", s.path, err)
			}
			continue // held already
		}
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO sequence_events (rule_id, idx, event_id, t, data) VALUES (?, ?, ?, ?, ?)`,
			ruleID, r.Index, r.EventID, sortableTime(r.Time), r.Data)
		if err != nil {
			return 0, fmt.Errorf("hold sequence events in %s: %w", s.path, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			held++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("hold sequence events in %s: %w", s.path, err)
	}
	return dropped, nil
}

// SequenceEvents returns the events held for an eql sequence rule whose
// time is at or after since, oldest first, and forgets older ones.
func (s *Store) SequenceEvents(ctx context.Context, ruleID string, since time.Time) ([]SequenceRow, error) {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sequence_events WHERE rule_id = ? AND t < ?`, ruleID, sortableTime(since)); err != nil {
		return nil, fmt.Errorf("expire sequence events in %s: %w", s.path, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT idx, event_id, t, data FROM sequence_events WHERE rule_id = ? ORDER BY t, idx, event_id`, ruleID)
	if err != nil {
		return nil, fmt.Errorf("read sequence events from %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []SequenceRow
	for rows.Next() {
		var t string
		var r SequenceRow
		if err := rows.Scan(&r.Index, &r.EventID, &t, &r.Data); err != nil {
			return nil, fmt.Errorf("read sequence events from %s: %w", s.path, err)
		}
		r.Time = parseTime(t)
		out = append(out, r)
	}
	return out, rows.Err()
}

// sortableTime is t in UTC with nine fraction digits: text that sorts as
// the times do (RFC 3339 with its trailing zeros trimmed does not:
// "…00Z" sorts after "…00.5Z").
func sortableTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
}

// KeepSequenceRules forgets the events held for eql sequence rules other
// than keep (rules removed from the rule set, whose executions no longer
// run to expire them).
func (s *Store) KeepSequenceRules(ctx context.Context, keep []string) error {
	q := `DELETE FROM sequence_events`
	args := make([]any, len(keep))
	if len(keep) > 0 {
		q += ` WHERE rule_id NOT IN (?` + strings.Repeat(`, ?`, len(keep)-1) + `)`
		for i, k := range keep {
			args[i] = k
		}
	}
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("forget the sequence events of removed rules in %s: %w", s.path, err)
	}
	return nil
}
