package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Triage is the triage UI's view of a state database: the alerts a hunt or
// serve stored, an index of the fields an analyst filters and sorts on, and
// the workflow status analysts set. It uses its own connections to the
// database file (WAL lets them read beside the Store that writes alerts) and
// leaves the alerts table as the engine wrote it.
//
// OpenTriage adds, once per database, the tables below, and triggers on
// alerts that keep them current whoever inserts alerts afterwards (a later
// `vigil hunt --db`, or serve's detector). It fills them from the alerts
// already stored at that first open. All of it is derived from the alerts
// and the workflow table, so a copy of the database keeps it.
//
// A Triage is safe for concurrent use.
type Triage struct {
	db   *sql.DB
	path string
}

// triageVersion names the derived tables' layout; a new layout rebuilds them.
const triageVersion = "3"

// triageTables hold the durable workflow tables and the derived ones.
// triage_alerts has one row per alert with the fields the list shows and
// filters on; t is the event's time (else the alert's), RFC 3339, which
// sorts as text. tags and tactics hold the values each between newlines
// ("\nA\nB\n"), so that a filter looks for "\nA\n". triage_counts counts
// alerts per hour, rule, severity, building-block flag and status, for the
// counts and plots over any number of alerts (triage_hours the same summed
// over the rules, for the counts of all rules); triage_rules keeps each rule's
// alert counts and latest alert.
const triageTables = `
CREATE TABLE IF NOT EXISTS alert_workflow (
	alert_id TEXT PRIMARY KEY,  -- kibana.alert.uuid
	status   TEXT NOT NULL,     -- open, acknowledged or closed
	user     TEXT NOT NULL,     -- who set it
	at       TEXT NOT NULL,     -- when, RFC 3339
	reason   TEXT NOT NULL      -- why it was closed, "" otherwise
);
CREATE TABLE IF NOT EXISTS alert_workflow_log (
	alert_id TEXT NOT NULL,
	status   TEXT NOT NULL,
	user     TEXT NOT NULL,
	at       TEXT NOT NULL,
	reason   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_workflow_log_alert ON alert_workflow_log(alert_id, at);
CREATE TABLE IF NOT EXISTS triage_alerts (
	id       TEXT PRIMARY KEY,
	t        TEXT NOT NULL,
	severity TEXT NOT NULL,
	rule_id  TEXT NOT NULL,
	bb       INTEGER NOT NULL,  -- 1: a building-block alert
	status   TEXT NOT NULL,
	user     TEXT,
	host     TEXT,
	sip      TEXT,
	resource TEXT,
	grp      TEXT,              -- kibana.alert.group.id (sequences)
	tags     TEXT NOT NULL,
	tactics  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS triage_counts (
	hour     TEXT NOT NULL,     -- the first 13 characters of t: 2026-03-14T08
	rule_id  TEXT NOT NULL,
	severity TEXT NOT NULL,
	bb       INTEGER NOT NULL,
	status   TEXT NOT NULL,
	n        INTEGER NOT NULL,
	PRIMARY KEY (rule_id, hour, severity, bb, status)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS triage_hours (
	hour     TEXT NOT NULL,     -- triage_counts summed over the rules
	severity TEXT NOT NULL,
	bb       INTEGER NOT NULL,
	status   TEXT NOT NULL,
	n        INTEGER NOT NULL,
	PRIMARY KEY (hour, severity, bb, status)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS triage_rules (
	rule_id   TEXT PRIMARY KEY,
	rule_name TEXT NOT NULL,
	n         INTEGER NOT NULL,  -- alerts
	open      INTEGER NOT NULL,  -- open alerts
	last      TEXT NOT NULL      -- the latest t
) WITHOUT ROWID;
`

// triageIndexes are created after the first fill (faster than row by row).
const triageIndexes = `
CREATE INDEX IF NOT EXISTS triage_by_time     ON triage_alerts(t, id);
CREATE INDEX IF NOT EXISTS triage_by_status   ON triage_alerts(status, bb, t, id);
CREATE INDEX IF NOT EXISTS triage_by_severity ON triage_alerts(severity, status, bb, t, id);
CREATE INDEX IF NOT EXISTS triage_by_rule     ON triage_alerts(rule_id, status, bb, t, id);
CREATE INDEX IF NOT EXISTS triage_by_user     ON triage_alerts(user, t) WHERE user IS NOT NULL;
CREATE INDEX IF NOT EXISTS triage_by_host     ON triage_alerts(host, t) WHERE host IS NOT NULL;
CREATE INDEX IF NOT EXISTS triage_by_sip      ON triage_alerts(sip, t) WHERE sip IS NOT NULL;
CREATE INDEX IF NOT EXISTS triage_by_resource ON triage_alerts(resource, t) WHERE resource IS NOT NULL;
CREATE INDEX IF NOT EXISTS triage_by_group    ON triage_alerts(grp, t) WHERE grp IS NOT NULL;
`

// triageFillCounts computes the counts of the first fill at once.
const triageFillCounts = `
INSERT INTO triage_counts (hour, rule_id, severity, bb, status, n)
	SELECT substr(t, 1, 13), rule_id, severity, bb, status, count(*) FROM triage_alerts GROUP BY 1, 2, 3, 4, 5;
INSERT INTO triage_hours (hour, severity, bb, status, n)
	SELECT hour, severity, bb, status, sum(n) FROM triage_counts GROUP BY 1, 2, 3, 4;
INSERT INTO triage_rules (rule_id, rule_name, n, open, last)
	SELECT g.rule_id, (SELECT rule_name FROM alerts WHERE rule_id = g.rule_id ORDER BY event_time DESC LIMIT 1), g.n, g.open, g.last
	FROM (SELECT rule_id, count(*) AS n, sum(status = 'open') AS open, max(t) AS last FROM triage_alerts GROUP BY rule_id) g;
`

// triageTriggers keep the derived tables current once filled.
var triageTriggers = `
CREATE TRIGGER IF NOT EXISTS triage_alert_added AFTER INSERT ON alerts BEGIN
	INSERT OR IGNORE INTO triage_alerts ` + fmt.Sprintf(triageSelect, "WHERE id = new.id") + `;
END;
CREATE TRIGGER IF NOT EXISTS triage_counted AFTER INSERT ON triage_alerts BEGIN
	INSERT INTO triage_counts (hour, rule_id, severity, bb, status, n)
		VALUES (substr(new.t, 1, 13), new.rule_id, new.severity, new.bb, new.status, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
	INSERT INTO triage_hours (hour, severity, bb, status, n)
		VALUES (substr(new.t, 1, 13), new.severity, new.bb, new.status, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
	INSERT INTO triage_rules (rule_id, rule_name, n, open, last)
		VALUES (new.rule_id, (SELECT rule_name FROM alerts WHERE id = new.id), 1, new.status = 'open', new.t)
		ON CONFLICT DO UPDATE SET n = n + 1, open = open + excluded.open, last = max(last, excluded.last),
			rule_name = excluded.rule_name;
END;
CREATE TRIGGER IF NOT EXISTS triage_status_changed AFTER UPDATE OF status ON triage_alerts
WHEN old.status <> new.status BEGIN
	UPDATE triage_counts SET n = n - 1 WHERE hour = substr(old.t, 1, 13) AND rule_id = old.rule_id
		AND severity = old.severity AND bb = old.bb AND status = old.status;
	INSERT INTO triage_counts (hour, rule_id, severity, bb, status, n)
		VALUES (substr(new.t, 1, 13), new.rule_id, new.severity, new.bb, new.status, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
	UPDATE triage_hours SET n = n - 1 WHERE hour = substr(old.t, 1, 13)
		AND severity = old.severity AND bb = old.bb AND status = old.status;
	INSERT INTO triage_hours (hour, severity, bb, status, n)
		VALUES (substr(new.t, 1, 13), new.severity, new.bb, new.status, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
	UPDATE triage_rules SET open = open + (new.status = 'open') - (old.status = 'open') WHERE rule_id = new.rule_id;
END;
`

// triageSelect derives triage_alerts rows from alerts (%s: a WHERE
// clause) and their workflow rows. Documents hold ECS fields nested or
// dotted, and the kibana.alert.* fields dotted. doc is a BLOB of JSON text:
// it is parsed once, into JSONB, in a subquery that its LIMIT keeps from
// being flattened into the outer join (which would parse it once per
// field). A document that is not JSON reads as {}: the trigger must never
// fail the engine's insert.
const triageSelect = `SELECT a.id, a.t, a.severity, a.rule_id,
		json_extract(a.j, '$."kibana.alert.building_block_type"') IS NOT NULL,
		coalesce(w.status, 'open'),
		coalesce(json_extract(a.j, '$.user.name'), json_extract(a.j, '$."user.name"')),
		coalesce(json_extract(a.j, '$.host.name'), json_extract(a.j, '$."host.name"')),
		coalesce(json_extract(a.j, '$.source.ip'), json_extract(a.j, '$."source.ip"')),
		coalesce(json_extract(a.j, '$.azure.resource.name'), json_extract(a.j, '$.cloud.instance.name'),
			json_extract(a.j, '$.orchestrator.resource.name'), json_extract(a.j, '$.cloud.resource_id')),
		json_extract(a.j, '$."kibana.alert.group.id"'),
		char(10) || coalesce((SELECT group_concat(value, char(10)) FROM json_each(a.j, '$."kibana.alert.rule.tags"')
			WHERE type = 'text'), '') || char(10),
		char(10) || coalesce((SELECT group_concat(json_extract(value, '$.tactic.name'), char(10))
			FROM json_each(a.j, '$."kibana.alert.rule.threat"') WHERE type = 'object'), '') || char(10)
	FROM (SELECT id, coalesce(event_time, created_at) AS t, severity, rule_id,
			CASE WHEN json_valid(CAST(doc AS TEXT)) THEN jsonb(CAST(doc AS TEXT)) ELSE jsonb('{}') END AS j
		FROM alerts %s LIMIT -1) a
	LEFT JOIN alert_workflow w ON w.alert_id = a.id`

// OpenTriage opens the database at path, which a Store (`vigil hunt --db`,
// `vigil serve`) wrote, for the triage UI. The first open of a database
// builds the triage tables from its alerts (minutes per million alerts).
func OpenTriage(ctx context.Context, path string) (*Triage, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open alert database: %w (write one with vigil hunt --db FILE, or point at serve's data directory's vigil.db)", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open alert database %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	t := &Triage{db: db, path: path}
	if err := t.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return t, nil
}

// Close closes the triage connections.
func (t *Triage) Close() error { return t.db.Close() }

func (t *Triage) prepare(ctx context.Context) (err error) {
	var n int
	if err := t.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('alerts', 'meta')`).Scan(&n); err != nil {
		return fmt.Errorf("open alert database %s: %w (is it a Vigil database?)", t.path, err)
	}
	if n != 2 {
		return fmt.Errorf("open alert database %s: it holds no Vigil alerts table (write one with vigil hunt --db FILE)", t.path)
	}
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("prepare %s for triage: %w", t.path, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var version string
	err = tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'triage_version'`).Scan(&version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("prepare %s for triage: %w", t.path, err)
	}
	if version == triageVersion {
		return tx.Commit()
	}
	// A new or older layout: drop what is derived and build it again; the
	// workflow tables stay.
	for _, q := range []string{
		`DROP TRIGGER IF EXISTS triage_alert_added`, `DROP TRIGGER IF EXISTS triage_counted`,
		`DROP TRIGGER IF EXISTS triage_status_changed`, `DROP TABLE IF EXISTS triage_alerts`,
		`DROP TABLE IF EXISTS triage_counts`, `DROP TABLE IF EXISTS triage_hours`, `DROP TABLE IF EXISTS triage_rules`,
		triageTables,
		`INSERT OR IGNORE INTO triage_alerts ` + fmt.Sprintf(triageSelect, ""),
		triageIndexes,
		triageFillCounts,
		triageTriggers,
		`INSERT INTO meta (key, value) VALUES ('triage_version', '` + triageVersion + `')
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
	} {
		if _, err = tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("prepare %s for triage: %w", t.path, err)
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("prepare %s for triage: %w", t.path, err)
	}
	return nil
}
