package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// TriageFilter selects alerts for the triage UI; zero fields select all.
type TriageFilter struct {
	From, To       time.Time // the event's time: From <= t < To
	RuleID         string
	Severity       string
	Status         string // a workflow status; "" any
	Tag            string // one of the rule's tags, exactly
	Tactic         string // a MITRE ATT&CK tactic name of the rule, exactly
	Text           string // a substring of the alert document, case-insensitive (ASCII)
	BuildingBlocks bool   // include building-block alerts (hidden otherwise, as in Kibana)
}

// sampled reports whether the filter needs the alert documents or the tag
// lists, which the per-hour counts do not keep: counts and plots then come
// from the newest SampleSize matching alerts.
func (f TriageFilter) sampled() bool { return f.Tag != "" || f.Tactic != "" || f.Text != "" }

// SampleSize bounds the alerts counted for counts and plots that the
// per-hour table cannot answer (filters on tags, tactics or text; the top
// users, hosts and addresses).
const SampleSize = 10000

// boundText formats a time bound to compare with stored times as text: to
// the second and without a zone letter, so that "…:05" sorts before both
// "…:05Z" and "…:05.5Z".
func boundText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// where returns the filter's condition on triage_alerts f (joined with
// alerts a when the filter needs the document) and its arguments.
func (f TriageFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(c string, a ...any) { conds = append(conds, c); args = append(args, a...) }
	if f.Status != "" {
		add("f.status = ?", f.Status)
	}
	if !f.BuildingBlocks {
		add("f.bb = 0")
	}
	if f.Severity != "" {
		add("f.severity = ?", f.Severity)
	}
	if f.RuleID != "" {
		add("f.rule_id = ?", f.RuleID)
	}
	if !f.From.IsZero() {
		add("f.t >= ?", boundText(f.From))
	}
	if !f.To.IsZero() {
		add("f.t < ?", boundText(f.To))
	}
	if f.Tag != "" {
		add("instr(f.tags, ?) > 0", "\n"+f.Tag+"\n")
	}
	if f.Tactic != "" {
		add("instr(f.tactics, ?) > 0", "\n"+f.Tactic+"\n")
	}
	if f.Text != "" {
		add("instr(lower(CAST(a.doc AS TEXT)), ?) > 0", strings.ToLower(f.Text))
	}
	if len(conds) == 0 {
		return "1", nil
	}
	return strings.Join(conds, " AND "), args
}

// TriageRow is one alert as the alerts table shows it.
type TriageRow struct {
	ID, RuleID, RuleName, Severity, Status, Reason string
	User, Host, SourceIP, Resource                 string
	Time                                           time.Time
	RiskScore                                      int
}

const rowColumns = `f.id, f.t, f.severity, f.rule_id, f.status, coalesce(f.user, ''), coalesce(f.host, ''),
	coalesce(f.sip, ''), coalesce(f.resource, ''), a.rule_name, a.risk_score,
	coalesce(CASE WHEN json_valid(CAST(a.doc AS TEXT)) THEN json_extract(CAST(a.doc AS TEXT), '$."kibana.alert.reason"') END, '')`

func scanRows(rows *sql.Rows) ([]TriageRow, error) {
	defer rows.Close()
	var out []TriageRow
	for rows.Next() {
		var r TriageRow
		var t string
		var reason any
		if err := rows.Scan(&r.ID, &t, &r.Severity, &r.RuleID, &r.Status, &r.User, &r.Host, &r.SourceIP, &r.Resource,
			&r.RuleName, &r.RiskScore, &reason); err != nil {
			return nil, err
		}
		r.Time = parseTime(t)
		r.Reason = fmt.Sprint(reason)
		out = append(out, r)
	}
	return out, rows.Err()
}

// List returns up to limit alerts matching f, newest first, after the
// cursor (a page's Next; "" for the first page), and the cursor of the
// following page ("" on the last). Paging is by key, so that a page deep in
// a million alerts costs what the first does.
func (t *Triage) List(ctx context.Context, f TriageFilter, after string, limit int) (rows []TriageRow, next string, err error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	cond, args := f.where()
	if after != "" {
		at, id, ok := strings.Cut(after, ",")
		if !ok || at == "" || id == "" {
			return nil, "", fmt.Errorf("bad page cursor %q: follow the page links rather than writing one", after)
		}
		cond += " AND (f.t, f.id) < (?, ?)"
		args = append(args, at, id)
	}
	q := `SELECT ` + rowColumns + ` FROM triage_alerts f JOIN alerts a ON a.id = f.id
		WHERE ` + cond + ` ORDER BY f.t DESC, f.id DESC LIMIT ?`
	args = append(args, limit+1)
	r, err := t.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list alerts in %s: %w", t.path, err)
	}
	rows, err = scanRows(r)
	if err != nil {
		return nil, "", fmt.Errorf("list alerts in %s: %w", t.path, err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		// The cursor holds the stored text of t, not a reformatted time.
		var ts string
		if err := t.db.QueryRowContext(ctx, `SELECT t FROM triage_alerts WHERE id = ?`, last.ID).Scan(&ts); err != nil {
			return nil, "", fmt.Errorf("list alerts in %s: %w", t.path, err)
		}
		next = ts + "," + last.ID
	}
	return rows, next, nil
}

// Related returns up to limit alerts, newest first, whose field (one of
// "user", "host", "source.ip", "resource", "group") is value, without the
// alert except.
func (t *Triage) Related(ctx context.Context, field, value, except string, limit int) ([]TriageRow, error) {
	col, ok := map[string]string{"user": "user", "host": "host", "source.ip": "sip", "resource": "resource", "group": "grp"}[field]
	if !ok {
		return nil, fmt.Errorf("no related alerts by %q", field)
	}
	r, err := t.db.QueryContext(ctx, `SELECT `+rowColumns+` FROM triage_alerts f JOIN alerts a ON a.id = f.id
		WHERE f.`+col+` = ? AND f.id <> ? ORDER BY f.t DESC LIMIT ?`, value, except, limit)
	if err != nil {
		return nil, fmt.Errorf("find related alerts in %s: %w", t.path, err)
	}
	rows, err := scanRows(r)
	if err != nil {
		return nil, fmt.Errorf("find related alerts in %s: %w", t.path, err)
	}
	return rows, nil
}

// TriageAlert is one alert with its document and workflow.
type TriageAlert struct {
	TriageRow
	Group    string // kibana.alert.group.id, "" if none
	Doc      []byte // the alert document as stored (JSON)
	Workflow *Workflow
}

// Alert returns the alert id.
func (t *Triage) Alert(ctx context.Context, id string) (TriageAlert, bool, error) {
	r, err := t.db.QueryContext(ctx, `SELECT `+rowColumns+` FROM triage_alerts f JOIN alerts a ON a.id = f.id WHERE f.id = ?`, id)
	if err != nil {
		return TriageAlert{}, false, fmt.Errorf("read alert %s from %s: %w", id, t.path, err)
	}
	rows, err := scanRows(r)
	if err != nil || len(rows) == 0 {
		if err != nil {
			err = fmt.Errorf("read alert %s from %s: %w", id, t.path, err)
		}
		return TriageAlert{}, false, err
	}
	out := TriageAlert{TriageRow: rows[0]}
	var grp sql.NullString
	if err := t.db.QueryRowContext(ctx, `SELECT a.doc, f.grp FROM alerts a JOIN triage_alerts f ON f.id = a.id WHERE a.id = ?`, id).
		Scan(&out.Doc, &grp); err != nil {
		return TriageAlert{}, false, fmt.Errorf("read alert %s from %s: %w", id, t.path, err)
	}
	out.Group = grp.String
	var w Workflow
	var at string
	err = t.db.QueryRowContext(ctx, `SELECT status, user, at, reason FROM alert_workflow WHERE alert_id = ?`, id).
		Scan(&w.Status, &w.User, &at, &w.Reason)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return TriageAlert{}, false, fmt.Errorf("read the status of alert %s from %s: %w", id, t.path, err)
	default:
		w.AlertID, w.At = id, parseTime(at)
		out.Workflow = &w
	}
	return out, true, nil
}

// HourCount is a number of alerts of one severity in one hour.
type HourCount struct {
	Hour     time.Time
	Severity string
	N        int
}

// NameCount is a number of alerts per value (a rule, a user, a host...).
type NameCount struct {
	Name string
	N    int
}

// Summary is what the counts and plots of the alerts page show.
type Summary struct {
	Severity map[string]int // alerts per severity
	Total    int
	Hours    []HourCount // per hour and severity, oldest first
	Rules    []NameCount // rule ids with most alerts, most first (10 at most; see TopRules)
	// Sampled, when not zero, says the counts are of the alerts matching
	// the filters on tags, tactics and text among the newest Sampled
	// alerts that match the others.
	Sampled int
}

// hourText is the hour of t as triage_counts keeps it.
func hourText(t time.Time) string { return t.UTC().Format("2006-01-02T15") }

// Summarize counts the alerts matching f per severity, hour and rule.
// Without filters on tags, tactics or text, the counts are exact and come
// from the per-hour table (whatever the number of alerts); the partial
// hours at the edges of a time range are counted alert by alert. With
// them, they are of the newest SampleSize alerts matching the other
// filters (Summary.Sampled says so).
func (t *Triage) Summarize(ctx context.Context, f TriageFilter) (Summary, error) {
	s := Summary{Severity: map[string]int{}}
	rules := map[string]int{}
	hours := map[HourCount]int{}
	// each runs q, whose rows are a key and a count, and adds them.
	each := func(q string, args []any, add func(k1, k2 string, n int)) error {
		rows, err := t.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k1, k2 string
			var n int
			if err := rows.Scan(&k1, &k2, &n); err != nil {
				return err
			}
			add(k1, k2, n)
		}
		return rows.Err()
	}
	addSev := func(sev, _ string, n int) { s.Severity[sev] += n; s.Total += n }
	addRule := func(rule, _ string, n int) { rules[rule] += n }
	addHour := func(hour, sev string, n int) {
		h, _ := time.Parse("2006-01-02T15", hour)
		hours[HourCount{Hour: h, Severity: sev}] += n
	}
	// three counts the rows of from (a table or subquery of alerts with
	// the columns of triage_counts, n included) matching cond.
	three := func(from, cond string, args []any) error {
		if err := each(`SELECT severity, '', sum(n) FROM `+from+` WHERE `+cond+` GROUP BY 1`, args, addSev); err != nil {
			return err
		}
		if from != "triage_hours" {
			if err := each(`SELECT rule_id, '', sum(n) FROM `+from+` WHERE `+cond+` GROUP BY 1`, args, addRule); err != nil {
				return err
			}
		}
		return each(`SELECT hour, severity, sum(n) FROM `+from+` WHERE `+cond+` GROUP BY 1, 2`, args, addHour)
	}
	// exact counts alert by alert.
	exact := func(g TriageFilter) error {
		cond, args := g.where()
		return three(`(SELECT substr(f.t, 1, 13) AS hour, f.rule_id, f.severity, 1 AS n FROM triage_alerts f WHERE `+cond+`)`, "1", args)
	}
	var err error
	switch {
	case f.sampled():
		base, extra := f, f
		base.Tag, base.Tactic, base.Text = "", "", ""
		extra = TriageFilter{Tag: f.Tag, Tactic: f.Tactic, Text: f.Text, BuildingBlocks: true}
		bcond, bargs := base.where()
		econd, eargs := extra.where()
		join := ""
		if f.Text != "" {
			join = " JOIN alerts a ON a.id = f.id"
		}
		err = three(`(SELECT substr(f.t, 1, 13) AS hour, f.rule_id, f.severity, 1 AS n FROM (
			SELECT * FROM triage_alerts f WHERE `+bcond+` ORDER BY f.t DESC, f.id DESC LIMIT ?) f`+join+` WHERE `+econd+`)`,
			"1", append(append(bargs, SampleSize), eargs...))
		s.Sampled = SampleSize
	default:
		var conds []string
		var args []any
		if f.Status != "" {
			conds, args = append(conds, "status = ?"), append(args, f.Status)
		}
		if !f.BuildingBlocks {
			conds = append(conds, "bb = 0")
		}
		if f.Severity != "" {
			conds, args = append(conds, "severity = ?"), append(args, f.Severity)
		}
		if f.RuleID != "" {
			conds, args = append(conds, "rule_id = ?"), append(args, f.RuleID)
		}
		lo, hi := f.From, f.To
		if !lo.IsZero() && !lo.Equal(lo.Truncate(time.Hour)) {
			lo = lo.Truncate(time.Hour).Add(time.Hour)
		}
		if !hi.IsZero() {
			hi = hi.Truncate(time.Hour)
		}
		if !lo.IsZero() && !hi.IsZero() && !lo.Before(hi) {
			err = exact(f) // within an hour or two
			break
		}
		if !lo.IsZero() {
			conds, args = append(conds, "hour >= ?"), append(args, hourText(lo))
		}
		if !hi.IsZero() {
			conds, args = append(conds, "hour < ?"), append(args, hourText(hi))
		}
		cond := "1"
		if len(conds) > 0 {
			cond = strings.Join(conds, " AND ")
		}
		table := "triage_hours"
		if f.RuleID != "" {
			table = "triage_counts"
		}
		err = three(table, cond, args)
		if err == nil && !f.From.IsZero() && !lo.Equal(f.From) {
			g := f
			g.To = lo
			err = exact(g)
		}
		if err == nil && !f.To.IsZero() && !hi.Equal(f.To) {
			g := f
			g.From = hi
			err = exact(g)
		}
	}
	if err != nil {
		return Summary{}, fmt.Errorf("count alerts in %s: %w", t.path, err)
	}
	for h, n := range hours {
		if n != 0 {
			h.N = n
			s.Hours = append(s.Hours, h)
		}
	}
	for sev, n := range s.Severity {
		if n == 0 {
			delete(s.Severity, sev)
		}
	}
	sortHours(s.Hours)
	s.Rules = top(rules, 10)
	return s, nil
}

// TopRules returns the rules with most alerts matching f, most first.
func (t *Triage) TopRules(ctx context.Context, f TriageFilter, n int) ([]NameCount, error) {
	if f.sampled() || f.RuleID != "" || (!f.From.IsZero() && !f.From.Equal(f.From.Truncate(time.Hour))) ||
		(!f.To.IsZero() && !f.To.Equal(f.To.Truncate(time.Hour))) {
		s, err := t.Summarize(ctx, f)
		return s.Rules, err
	}
	var conds []string
	var args []any
	if f.Status != "" {
		conds, args = append(conds, "status = ?"), append(args, f.Status)
	}
	if !f.BuildingBlocks {
		conds = append(conds, "bb = 0")
	}
	if f.Severity != "" {
		conds, args = append(conds, "severity = ?"), append(args, f.Severity)
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "hour >= ?"), append(args, hourText(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "hour < ?"), append(args, hourText(f.To))
	}
	cond := "1"
	if len(conds) > 0 {
		cond = strings.Join(conds, " AND ")
	}
	rows, err := t.db.QueryContext(ctx, `SELECT rule_id, sum(n) FROM triage_counts WHERE `+cond+`
		GROUP BY 1 HAVING sum(n) > 0 ORDER BY 2 DESC, 1 LIMIT ?`, append(args, n)...)
	if err != nil {
		return nil, fmt.Errorf("count alerts per rule in %s: %w", t.path, err)
	}
	defer rows.Close()
	var out []NameCount
	for rows.Next() {
		var c NameCount
		if err := rows.Scan(&c.Name, &c.N); err != nil {
			return nil, fmt.Errorf("count alerts per rule in %s: %w", t.path, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Top returns the values of field ("user", "host", "source.ip" or
// "resource") most frequent among the newest SampleSize alerts matching f
// (the filters on tags, tactics and text applied to the newest SampleSize
// alerts matching the others).
func (t *Triage) Top(ctx context.Context, f TriageFilter, field string, n int) ([]NameCount, error) {
	col, ok := map[string]string{"user": "user", "host": "host", "source.ip": "sip", "resource": "resource"}[field]
	if !ok {
		return nil, fmt.Errorf("no top values of %q", field)
	}
	base := f
	base.Tag, base.Tactic, base.Text = "", "", ""
	extra := TriageFilter{Tag: f.Tag, Tactic: f.Tactic, Text: f.Text, BuildingBlocks: true}
	bcond, bargs := base.where()
	econd, eargs := extra.where()
	join := ""
	if f.Text != "" {
		join = " JOIN alerts a ON a.id = f.id"
	}
	rows, err := t.db.QueryContext(ctx, `SELECT f.`+col+`, count(*) FROM (
		SELECT * FROM triage_alerts f WHERE `+bcond+` ORDER BY f.t DESC, f.id DESC LIMIT ?) f`+join+`
		WHERE `+econd+` AND f.`+col+` IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?`,
		append(append(bargs, SampleSize), append(eargs, n)...)...)
	if err != nil {
		return nil, fmt.Errorf("count alerts per %s in %s: %w", field, t.path, err)
	}
	defer rows.Close()
	var out []NameCount
	for rows.Next() {
		var c NameCount
		if err := rows.Scan(&c.Name, &c.N); err != nil {
			return nil, fmt.Errorf("count alerts per %s in %s: %w", field, t.path, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RuleStat is what the store knows of a rule's alerts.
type RuleStat struct {
	RuleID, Name string
	Alerts, Open int
	Last         time.Time
}

// RuleStats returns the alert counts of every rule that has alerts.
func (t *Triage) RuleStats(ctx context.Context) (map[string]RuleStat, error) {
	out := map[string]RuleStat{}
	rows, err := t.db.QueryContext(ctx, `SELECT rule_id, rule_name, n, open, last FROM triage_rules`)
	if err != nil {
		return nil, fmt.Errorf("count alerts per rule in %s: %w", t.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s RuleStat
		var last string
		if err := rows.Scan(&s.RuleID, &s.Name, &s.Alerts, &s.Open, &last); err != nil {
			return nil, fmt.Errorf("count alerts per rule in %s: %w", t.path, err)
		}
		s.Last = parseTime(last)
		out[s.RuleID] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count alerts per rule in %s: %w", t.path, err)
	}
	return out, nil
}

// Total returns the number of stored alerts; cheap enough to poll.
func (t *Triage) Total(ctx context.Context) (int, error) {
	var n sql.NullInt64
	if err := t.db.QueryRowContext(ctx, `SELECT sum(n) FROM triage_rules`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count alerts in %s: %w", t.path, err)
	}
	return int(n.Int64), nil
}

func sortHours(h []HourCount) {
	slices.SortFunc(h, func(a, b HourCount) int {
		if c := a.Hour.Compare(b.Hour); c != 0 {
			return c
		}
		return strings.Compare(a.Severity, b.Severity)
	})
}

func top(m map[string]int, n int) []NameCount {
	out := make([]NameCount, 0, len(m))
	for k, v := range m {
		if v > 0 {
			out = append(out, NameCount{k, v})
		}
	}
	slices.SortFunc(out, func(a, b NameCount) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
