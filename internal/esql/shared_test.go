package esql

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// overlapping runs the program as the overlapping executions of a rule
// do: run k (started with the clock at base + k minutes) reads docs[k:].
// (A nil clock is left alone.) It does so twice, each run adding every document itself (Add), then
// with the documents' heads evaluated once for all the runs (Shared,
// AddShared), and reports how the results differ ("" when they do not).
func overlapping(p *Program, clock *atomic.Int64, base time.Time, docs [][]byte, runs int) string {
	start := func() []*Run {
		rs := make([]*Run, runs)
		for k := range rs {
			if clock != nil {
				clock.Store(base.Add(time.Duration(k) * time.Minute).UnixNano())
			}
			rs[k] = p.Start()
		}
		return rs
	}
	alone, shared := start(), start()
	for k, r := range alone {
		for i, d := range docs[min(k, len(docs)):] {
			r.Add(Doc{Event: event.New(d, p.Plan()), ID: fmt.Sprint(k + i), Index: "logs-x"})
		}
	}
	sh := p.Share()
	for i, d := range docs {
		sh.Reset(Doc{Event: event.New(d, p.Plan()), ID: fmt.Sprint(i), Index: "logs-x"})
		for k := 0; k <= i && k < runs; k++ {
			shared[k].AddShared(sh)
		}
	}
	var diff strings.Builder
	for k := range runs {
		a, b := alone[k].Finish(), shared[k].Finish()
		if x, y := fmt.Sprint(a.Columns, a.Rows, a.Warnings), fmt.Sprint(b.Columns, b.Rows, b.Warnings); x != y {
			fmt.Fprintf(&diff, "run %d:\n  Add:       %s\n  AddShared: %s\n", k, x, y)
		}
	}
	return diff.String()
}

// compileClocked compiles query with a clock the caller sets.
func compileClocked(t *testing.T, query string, schema *ecs.Schema) (*Program, *atomic.Int64) {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64
	p, err := Compile(q, Options{Schema: schema, Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	if err != nil {
		t.Fatal(err)
	}
	return p, &clock
}

// TestSharedIsAdd: runs fed the head's rows by a Shared give what they
// give adding the documents themselves, whatever the head holds (KEEP,
// EVAL, DISSECT, GROK), what follows it (STATS, SORT, MV_EXPAND, LIMIT,
// INLINE STATS, nothing), and when the head warns or reads the clock.
func TestSharedIsAdd(t *testing.T) {
	schema := ecs.NewSchema(map[string]ecs.Type{"@timestamp": ecs.Date, "n": ecs.Long, "i": ecs.Integer,
		"d": ecs.Double, "s": ecs.Keyword, "t": ecs.Text, "ip": ecs.IP, "b": ecs.Boolean, "msg": ecs.Keyword})
	docs := [][]byte{
		[]byte(`{"@timestamp":"2024-05-01T11:58:00Z","n":1,"s":"a","msg":"x 1","ip":"10.0.0.1","d":1.5}`),
		[]byte(`{"@timestamp":"2024-05-01T11:59:00Z","n":0,"s":["b","a"],"msg":"y 2","ip":["10.0.0.2","10.0.0.1"]}`),
		[]byte(`{"@timestamp":"2024-05-01T12:00:30Z","n":[2,3],"s":"c","msg":"x 3","b":true}`),
		[]byte(`{"@timestamp":"2024-05-01T12:01:30Z","s":"a","msg":"z","n":5}`),
		[]byte(`{"@timestamp":"2024-05-01T12:01:00Z","s":"A","msg":"w 5","n":0}`),
		[]byte(`{"@timestamp":"2024-05-01T12:02:30Z","n":4,"s":"b","msg":"x 4","t":"some text"}`),
		[]byte(`{"n":7}`),
	}
	for _, query := range []string{
		`FROM logs-* | WHERE s == "a" | STATS c = COUNT(*), v = VALUES(msg) BY n`,
		`FROM logs-* METADATA _id | WHERE n > 0 | EVAL m = n * 2 | KEEP _id, m, s | SORT m DESC`,
		`FROM logs-* | EVAL q = 10 / n | WHERE q > 1 | STATS c = COUNT(*), v = VALUES(q)`, // / by zero in the head
		`FROM logs-* | WHERE @timestamp > NOW() - 1 minute | STATS c = COUNT(*) BY s`,     // the clock: not in the head
		`FROM logs-* | WHERE n >= 1 | EVAL late = @timestamp > NOW() | STATS c = COUNT(*) BY late`,
		`FROM logs-* | WHERE KQL("s:a or s:c") | STATS c = COUNT(*), d = COUNT_DISTINCT(ip)`,
		// Deferred WHEREs (they read the clock) that warn on a multi-value,
		// before and after commands of the head that drop or warn.
		`FROM logs-* | WHERE n + TO_LONG(NOW()) > 0 | WHERE s == "zzz" | STATS c = COUNT(*)`,
		`FROM logs-* | WHERE n + TO_LONG(NOW()) > 0 | EVAL q = 10 / n | KEEP q, s, @timestamp | WHERE @timestamp < NOW() OR s == "c" | STATS c = COUNT(*) BY q`,
		`FROM logs-* METADATA _id | WHERE s == "a" | WHERE @timestamp > NOW() - 2 minutes | EVAL x = n + 1 | WHERE x > 1 | SORT _id`,
		// A deferred WHERE's parts that read no clock, evaluated once
		// (memos), failing or not, under AND, OR and NOT.
		`FROM logs-* | WHERE @timestamp > NOW() - 3 minutes AND TO_LOWER(s) == "a" AND n + 1 > 1 | STATS c = COUNT(*), v = VALUES(msg)`,
		`FROM logs-* | WHERE (s == "b" OR @timestamp < NOW()) AND 10 / n > 1 AND NOT (msg LIKE "z*") | STATS c = COUNT(*) BY s`,
		`FROM logs-* | WHERE n IS NOT NULL | WHERE ip IS NOT NULL OR (@timestamp >= NOW() - 1 minute AND CONCAT(s, "x") == "cx") | KEEP n, s | SORT n`,
		`FROM logs-* | KEEP s, n, msg | EVAL k = CONCAT(s, "-", TO_STRING(n)) | DISSECT msg "%{w} %{num}" | STATS v = VALUES(k), w = VALUES(w) BY num`,
		`FROM logs-* | GROK msg "%{WORD:w} %{NUMBER:x:int}" | WHERE x IS NOT NULL | MV_EXPAND s | STATS c = COUNT(*) BY s, w`,
		`FROM logs-* | WHERE n IS NOT NULL | LIMIT 3`,
		`FROM logs-* | WHERE n IS NOT NULL | INLINE STATS c = COUNT(*) BY s | KEEP n, s, c`,
		`FROM logs-* | RENAME s AS user | DROP msg | WHERE user IN ("a", "b") | STATS c = COUNT(*), m = MAX(n) BY user | SORT user`,
		`FROM logs-* | SORT n | EVAL z = n + 1 | LIMIT 4`,
		`FROM logs-* | EVAL v = MV_AVG(n) | WHERE v > 0 | STATS s = SUM(v), a = AVG(d), mi = MIN(ip), t = TOP(n, 2, "desc")`,
	} {
		p, clock := compileClocked(t, query, schema)
		if diff := overlapping(p, clock, testNow, docs, 3); diff != "" {
			t.Errorf("%s\n%s", query, diff)
		}
	}
}

// TestSharedHead: which commands the head takes.
func TestSharedHead(t *testing.T) {
	for _, c := range []struct {
		query string
		head  int
	}{
		{`FROM logs-* | WHERE s == "a" | EVAL x = 1 | KEEP x, s | STATS c = COUNT(*) BY x`, 3},
		{`FROM logs-* | WHERE @timestamp > NOW() - 1 hour | EVAL x = 1 | STATS c = COUNT(*)`, 2},
		{`FROM logs-* | WHERE s == "a" | WHERE KQL("s:a") | STATS c = COUNT(*)`, 2},
		{`FROM logs-* | WHERE s == "a" | EVAL x = NOW() | STATS c = COUNT(*)`, 1},
		{`FROM logs-* | EVAL x = KQL("s:a") | STATS c = COUNT(*)`, 0},
		{`FROM logs-* | WHERE s == "a" | LIMIT 3 | EVAL x = 1`, 1},
		{`FROM logs-* | WHERE s == "a" | SORT s | EVAL x = 1`, 1},
		{`ROW a = 1 | EVAL b = a`, 0},
	} {
		p, _ := compileClocked(t, c.query, nil)
		if p.head != c.head {
			t.Errorf("%s: head %d stages, want %d", c.query, p.head, c.head)
		}
	}
}

// TestSharedCorpus runs every ES|QL rule of Elastic's corpus as
// overlapping executions over documents holding the fields it reads
// (single, multi-valued and absent): Shared gives Add's results.
func TestSharedCorpus(t *testing.T) {
	root := sharedtestdata.Dir(t, "detection-rules")
	n := 0
	for _, r := range readCorpus(t, root) {
		q, err := Parse(r.query)
		if err != nil {
			continue
		}
		var clock atomic.Int64
		p, err := Compile(q, Options{Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
		if err != nil {
			continue
		}
		n++
		var docs [][]byte
		for variant := range 3 {
			docs = append(docs, sampleDocs(p, variant)...)
		}
		if diff := overlapping(p, &clock, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), docs, 4); diff != "" {
			t.Errorf("%s:\n%s", r.path, diff)
		}
	}
	if n < 200 {
		t.Errorf("%d corpus rules ran, want at least 200", n)
	}
}

// TestPerRunConstants: an expression of NOW() alone is evaluated once per
// run, each run with its own clock; one that reads a column, per row.
func TestPerRunConstants(t *testing.T) {
	p, clock := compileClocked(t, `FROM logs-* | EVAL t = NOW() - 1 minute, u = DATE_DIFF("second", @timestamp, NOW()) | KEEP t, u`, nil)
	if p.runConsts != 1 {
		t.Fatalf("%d expressions evaluated once per run, want 1 (NOW() - 1 minute)", p.runConsts)
	}
	var runs []*Run
	for k := range 2 {
		clock.Store(testNow.Add(time.Duration(k) * time.Hour).UnixNano())
		runs = append(runs, p.Start())
	}
	for _, ts := range []string{"11:00:00", "11:30:00"} {
		for _, r := range runs {
			r.Add(Doc{Event: event.New([]byte(`{"@timestamp":"2024-05-01T`+ts+`Z"}`), p.Plan())})
		}
	}
	for k, r := range runs {
		now := testNow.Add(time.Duration(k) * time.Hour)
		want := fmt.Sprint([][]any{
			{now.Add(-time.Minute).UnixMilli(), int64(now.Sub(testNow.Add(-time.Hour)) / time.Second)},
			{now.Add(-time.Minute).UnixMilli(), int64(now.Sub(testNow.Add(-30*time.Minute)) / time.Second)},
		})
		if got := fmt.Sprint(r.Finish().Rows); got != want {
			t.Errorf("run %d: rows %s, want %s", k, got, want)
		}
	}
}
