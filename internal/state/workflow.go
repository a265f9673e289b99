package state

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// WorkflowStatuses are the values of kibana.alert.workflow_status an
// analyst sets; an alert nobody touched is open.
var WorkflowStatuses = []string{"open", "acknowledged", "closed"}

// CloseReasons are the reasons Kibana offers when an alert is closed.
var CloseReasons = []string{"false_positive", "true_positive", "benign_positive", "duplicate", "other"}

// MaxStatusChange is how many alerts one SetStatus call changes at most.
const MaxStatusChange = 10000

// Workflow is an alert's status as an analyst set it.
type Workflow struct {
	AlertID string
	Status  string
	User    string    // who set it
	At      time.Time // when
	Reason  string    // why it was closed ("" otherwise)
}

// SetStatus sets the workflow status of the alerts ids, as user at at, in
// one transaction, and returns how many alerts it found (ids of alerts not
// stored are skipped). reason is kept only for closed. The previous status
// stays in the alert's history.
func (t *Triage) SetStatus(ctx context.Context, ids []string, status, user, reason string, at time.Time) (n int, err error) {
	if !slices.Contains(WorkflowStatuses, status) {
		return 0, fmt.Errorf("unknown status %q: use one of %s", status, strings.Join(WorkflowStatuses, ", "))
	}
	if status != "closed" {
		reason = ""
	} else if reason != "" && !slices.Contains(CloseReasons, reason) {
		return 0, fmt.Errorf("unknown reason %q for closing: use one of %s", reason, strings.Join(CloseReasons, ", "))
	}
	if len(ids) > MaxStatusChange {
		return 0, fmt.Errorf("%d alerts at once: set the status of %d at most per request", len(ids), MaxStatusChange)
	}
	if user == "" {
		user = "unknown"
	}
	when := sortableTime(at)
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("set alert status in %s: %w", t.path, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, `UPDATE triage_alerts SET status = ? WHERE id = ?`, status, id)
		if err != nil {
			return 0, fmt.Errorf("set the status of alert %s in %s: %w", id, t.path, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		n++
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_workflow (alert_id, status, user, at, reason) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(alert_id) DO UPDATE SET status = excluded.status, user = excluded.user, at = excluded.at, reason = excluded.reason`,
			id, status, user, when, reason); err != nil {
			return 0, fmt.Errorf("set the status of alert %s in %s: %w", id, t.path, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_workflow_log (alert_id, status, user, at, reason) VALUES (?, ?, ?, ?, ?)`,
			id, status, user, when, reason); err != nil {
			return 0, fmt.Errorf("set the status of alert %s in %s: %w", id, t.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("set alert status in %s: %w", t.path, err)
	}
	return n, nil
}

// History returns the statuses set on an alert, oldest first.
func (t *Triage) History(ctx context.Context, id string) ([]Workflow, error) {
	rows, err := t.db.QueryContext(ctx, `SELECT status, user, at, reason FROM alert_workflow_log WHERE alert_id = ? ORDER BY at, rowid`, id)
	if err != nil {
		return nil, fmt.Errorf("read the history of alert %s from %s: %w", id, t.path, err)
	}
	defer rows.Close()
	var out []Workflow
	for rows.Next() {
		w := Workflow{AlertID: id}
		var at string
		if err := rows.Scan(&w.Status, &w.User, &at, &w.Reason); err != nil {
			return nil, fmt.Errorf("read the history of alert %s from %s: %w", id, t.path, err)
		}
		w.At = parseTime(at)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the history of alert %s from %s: %w", id, t.path, err)
	}
	return out, nil
}
