package ui_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigil-project/vigil/internal/state"
	"github.com/vigil-project/vigil/internal/ui"
)

// benchAlerts is how many alerts the benchmark store holds
// (VIGIL_UI_BENCH_ALERTS overrides it).
const benchAlerts = 1_000_000

var bench struct {
	once sync.Once
	dir  string
	h    http.Handler
	err  error
}

// benchStore builds, once per test binary, a store of benchAlerts alerts
// over 30 days (50 rules, four severities, one in twenty a building block,
// a thousand users) with one SQL statement, then opens it for triage (which
// builds the triage tables from them) and returns the UI over it.
func benchStore(b *testing.B) http.Handler {
	b.Helper()
	bench.once.Do(func() {
		n := benchAlerts
		if s := os.Getenv("VIGIL_UI_BENCH_ALERTS"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		bench.dir, bench.err = os.MkdirTemp("", "vigil-ui-bench-")
		if bench.err != nil {
			return
		}
		ctx := context.Background()
		path := filepath.Join(bench.dir, "alerts.db")
		st, err := state.Open(ctx, path)
		if err != nil {
			bench.err = err
			return
		}
		st.Close()
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
		if err != nil {
			bench.err = err
			return
		}
		start := time.Now()
		_, err = db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1),
			g AS (SELECT i, strftime('%Y-%m-%dT%H:%M:%fZ', 1773475200 + i * (2592000.0 / ?), 'unixepoch') AS t,
				CASE WHEN i % 10 = 0 THEN 'critical' WHEN i % 10 < 3 THEN 'high' WHEN i % 10 < 6 THEN 'medium' ELSE 'low' END AS sev
				FROM n)
			INSERT INTO alerts (id, rule_id, rule_name, severity, risk_score, event_time, created_at, doc)
			SELECT printf('%064x', i), 'r' || (i % 50), 'Rule number ' || (i % 50), sev, 47, t, t, CAST(json_object(
				'@timestamp', t,
				'kibana.alert.uuid', printf('%064x', i),
				'kibana.alert.reason', 'event with source 10.0.' || (i % 250) || '.' || (i % 200) || ' by user' || (i % 1000) || ' created ' || sev || ' alert Rule number ' || (i % 50) || '.',
				'kibana.alert.severity', sev,
				'kibana.alert.rule.rule_id', 'r' || (i % 50),
				'kibana.alert.rule.name', 'Rule number ' || (i % 50),
				'kibana.alert.rule.tags', json_array('Domain: Cloud', 'Data Source: Azure', 'Tactic: Execution'),
				'kibana.alert.rule.threat', json_array(json_object('framework', 'MITRE ATT&CK',
					'tactic', json_object('id', 'TA0002', 'name', CASE WHEN i % 3 = 0 THEN 'Execution' ELSE 'Persistence' END))),
				'kibana.alert.building_block_type', CASE WHEN i % 20 = 0 THEN 'default' END,
				'user', json_object('name', 'user' || (i % 1000)),
				'host', json_object('name', 'host' || (i % 300)),
				'source', json_object('ip', '10.0.' || (i % 250) || '.' || (i % 200)),
				'event', json_object('action', 'MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION', 'dataset', 'azure.activitylogs', 'outcome', 'success'),
				'message', 'An identity ran a command on a virtual machine with Run Command and Azure reported it succeeded; the script ran as SYSTEM or root.'
			) AS BLOB) FROM g`, n, n)
		db.Close()
		if err != nil {
			bench.err = err
			return
		}
		inserted := time.Since(start)
		start = time.Now()
		tr, err := state.OpenTriage(ctx, path)
		if err != nil {
			bench.err = err
			return
		}
		fmt.Fprintf(os.Stderr, "bench store: %d alerts inserted in %v, triage tables built in %v\n", n, inserted.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		h, err := ui.New(ui.Options{Triage: tr, Now: func() time.Time { return time.Date(2026, 4, 14, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			bench.err = err
			return
		}
		bench.h = ui.Mount(h, nil)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.h
}

// BenchmarkAlertsPage renders the alerts page (list, counts per severity,
// the plot) over a store of a million alerts, as a browser asks for it, and
// reports ms per page load.
func BenchmarkAlertsPage(b *testing.B) {
	h := benchStore(b)
	for _, tt := range []struct{ name, query string }{
		{"default", ""}, // open alerts, building blocks hidden
		{"any-status", "status=any"},
		{"deep-page", "status=any&after=2026-03-29T08:00:00Z,0"},
		{"severity", "severity=critical"},
		{"rule", "rule=r7"},
		{"rule+severity+7d", "rule=r7&severity=high&from=2026-04-01T00:00&to=2026-04-08T00:00"},
		{"tactic", "tactic=Execution"},
		{"text", "q=user42"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/alerts?"+tt.query, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: %d", tt.query, rec.Code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
		})
	}
}
