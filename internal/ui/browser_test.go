package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vigil-project/vigil/internal/cli"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/state"
	"github.com/vigil-project/vigil/internal/ui"
)

// seedRule is the built-in rule the bundled sample raises alerts of
// (Azure Command Execution on Virtual Machine, T1059).
const seedRule = "60884af6-f553-4a6c-af13-300047455491"

var now = time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)

// browser is the one headless Chromium of this test binary, shared by the
// tests (each gets its own tab).
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
	dir    string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dir != "" {
		os.RemoveAll(browser.dir)
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// tab returns a new browser tab, skipping the test when Chromium is not
// installed (failing it when VIGIL_REQUIRE_CHROMIUM is set, as in CI).
func tab(t *testing.T) context.Context {
	t.Helper()
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("VIGIL_REQUIRE_CHROMIUM") != "" {
			t.Fatal("chromium is not installed (VIGIL_REQUIRE_CHROMIUM is set): apt-get install chromium")
		}
		t.Skip("chromium is not installed: apt-get install chromium to run the browser tests")
	}
	browser.once.Do(func() {
		browser.dir, browser.err = os.MkdirTemp("", "vigil-chromium-")
		if browser.err != nil {
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(browser.dir),
			chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		browser.ctx = ctx
		browser.cancel = func() {
			chromedp.Cancel(ctx) // closes the browser and waits for it to exit
			cancel()
			cancelAlloc()
		}
		browser.err = chromedp.Run(ctx) // starts the browser
	})
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(1280, 900, 1, false)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// hunt writes a database of the alerts `vigil hunt --db` raises over
// files, with rules (the built-in pack without).
func hunt(t *testing.T, rules string, files ...string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "alerts.db")
	args := []string{"hunt", "--db", db, "--format", "ndjson", "--quiet"}
	if rules != "" {
		args = append(args, "--rules", rules)
	}
	var stderr bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr, Now: func() time.Time { return now }}
	if code := cli.Main(append(args, files...), env); code != 0 {
		t.Fatalf("vigil hunt: exit %d: %s", code, stderr.String())
	}
	return db
}

// server serves the UI over db with the rules at rules (built-in without).
func server(t *testing.T, db, rules string) (*httptest.Server, *state.Triage) {
	t.Helper()
	return serverWith(t, db, rules, nil)
}

// serverWith is server with options changed by set.
func serverWith(t *testing.T, db, rules string, set func(*ui.Options)) (*httptest.Server, *state.Triage) {
	t.Helper()
	var paths []string
	if rules != "" {
		paths = []string{rules}
	}
	rs, err := ruleset.LoadSet(paths, event.NewPlan(), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	tr, err := state.OpenTriage(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	opts := ui.Options{Triage: tr, Rules: func() []*rule.Rule { return rs.Rules }, Now: func() time.Time { return now }, Analyst: "ann"}
	if set != nil {
		set(&opts)
	}
	h, err := ui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui.Mount(h, nil))
	t.Cleanup(func() { srv.Close(); tr.Close() })
	return srv, tr
}

// screenshot saves the tab's view under testdata/screenshots for review.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var png []byte
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Run(sctx, page.BringToFront(), chromedp.Evaluate(`window.scrollTo(0, 0)`, nil), chromedp.CaptureScreenshot(&png)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("testdata", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// submit clicks sel, which submits a form, and waits until the page it
// leads to has loaded.
func submit(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`window.vigilOldPage = true`, nil),
		chromedp.Click(sel, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("submit %s: %v", sel, err)
	}
	for range 200 {
		var done bool
		err := chromedp.Run(ctx, chromedp.Evaluate(`window.vigilOldPage === undefined && document.readyState === "complete"`, &done))
		if err == nil && done {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("submit %s: the next page did not load", sel)
}

const sample = "../../testdata/sample/azure-activity.json"

func TestAlertsPage(t *testing.T) {
	ctx := tab(t)
	srv, _ := server(t, hunt(t, "", sample), "")
	var users, rules string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/alerts"),
		chromedp.WaitVisible("table.alerts", chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("td.user")).map(e => e.textContent).join(",")`, &users),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("table.alerts tbody td:nth-child(4)")).map(e => e.textContent).join(",")`, &rules),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rules, "Azure Command Execution on Virtual Machine") || !strings.Contains(users, "mallory.x") || !strings.Contains(users, "bob.ross") {
		t.Errorf("the list lacks the seed rule's alerts and their users: rules %q, users %q", rules, users)
	}
	screenshot(t, ctx, "alerts")

	// Filter by severity with the form: only high alerts remain.
	var sevs string
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`select[name="severity"]`, "high", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, `form.filters button[type="submit"]`)
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`Array.from(document.querySelectorAll("table.alerts tbody td:nth-child(3)")).map(e => e.textContent).join(",")`, &sevs),
	); err != nil {
		t.Fatal(err)
	}
	if sevs == "" || strings.ReplaceAll(sevs, "high", "") != strings.Repeat(",", strings.Count(sevs, ",")) {
		t.Errorf("filtered by severity high, the table shows %q", sevs)
	}

	// Filter by rule through the address: only the seed rule.
	var names string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/alerts?rule="+seedRule),
		chromedp.WaitVisible("table.alerts", chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("table.alerts tbody td:nth-child(4)")).map(e => e.textContent).join("|")`, &names),
	); err != nil {
		t.Fatal(err)
	}
	if names != "Azure Command Execution on Virtual Machine|Azure Command Execution on Virtual Machine" {
		t.Errorf("filtered by the seed rule, the table shows %q", names)
	}
	screenshot(t, ctx, "alerts-filtered")

	var overview string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/overview"),
		chromedp.WaitVisible("#top-rules svg", chromedp.ByQuery),
		chromedp.Text("main", &overview, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(overview, "mallory.x") {
		t.Errorf("the overview's top users lack mallory.x: %q", overview)
	}
	screenshot(t, ctx, "overview")
}

func TestAlertAndRulePages(t *testing.T) {
	ctx := tab(t)
	db := hunt(t, "", sample)
	srv, tr := server(t, db, "")
	rows, _, err := tr.List(context.Background(), state.TriageFilter{RuleID: seedRule}, "", 10)
	if err != nil || len(rows) == 0 {
		t.Fatalf("no seed alert: %v", err)
	}
	var mitre, guide, href string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/alerts/"+rows[0].ID),
		chromedp.WaitVisible("#guide", chromedp.ByQuery),
		chromedp.Text("#mitre", &mitre, chromedp.ByQuery),
		chromedp.Text("#guide", &guide, chromedp.ByQuery),
		chromedp.AttributeValue(`#mitre a[href*="T1059"]`, "href", &href, nil, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mitre, "T1059") || href != "https://attack.mitre.org/techniques/T1059/" {
		t.Errorf("the alert's page lacks T1059 and its link: %q, %q", mitre, href)
	}
	if !strings.Contains(guide, "Triage and analysis") || !strings.Contains(guide, "How to respond") {
		t.Errorf("the alert's page lacks the investigation guide: %q", guide)
	}
	screenshot(t, ctx, "alert")

	var rulesText, query string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/rules"),
		chromedp.WaitVisible("#rules", chromedp.ByQuery),
		chromedp.Text("#rules", &rulesText, chromedp.ByQuery),
		chromedp.Navigate(srv.URL+"/ui/rules/"+seedRule),
		chromedp.WaitVisible("#query", chromedp.ByQuery),
		chromedp.Text("#query", &query, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rulesText, "Azure Command Execution on Virtual Machine") || !strings.Contains(query, "RUNCOMMAND") {
		t.Errorf("rules page %q, query %q", rulesText, query)
	}
	screenshot(t, ctx, "rule")
}

func TestStatusSurvivesRestart(t *testing.T) {
	ctx := tab(t)
	db := hunt(t, "", sample)
	srv, tr := server(t, db, "")
	rows, _, err := tr.List(context.Background(), state.TriageFilter{RuleID: seedRule}, "", 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("seed alerts: %v, %v", rows, err)
	}
	// One alert closed from its page.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/alerts/"+rows[0].ID),
		chromedp.WaitVisible("#set-status", chromedp.ByQuery),
		chromedp.SetValue("#new-status", "closed", chromedp.ByQuery),
		chromedp.SetValue(`form.setstatus select[name="reason"]`, "false_positive", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "#set-status")
	// The other acknowledged as a selection from the list.
	var selected string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/alerts?rule="+seedRule),
		chromedp.WaitVisible("#select-all", chromedp.ByQuery),
		chromedp.Click("#select-all", chromedp.ByQuery),
		chromedp.Text("#selected-count", &selected, chromedp.ByQuery),
		chromedp.SetValue(`#selection select[name="status"]`, "acknowledged", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "#apply")
	if selected != "1" { // the closed one is no longer open
		t.Errorf("selected %q alerts, want 1", selected)
	}
	srv.Close()
	tr.Close()

	srv, _ = server(t, db, "") // a restart: the database opened again
	var st0, st1, who string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/alerts/"+rows[0].ID),
		chromedp.WaitVisible("#status", chromedp.ByQuery),
		chromedp.Text("#status", &st0, chromedp.ByQuery),
		chromedp.Text("dl.facts", &who, chromedp.ByQuery),
		chromedp.Navigate(srv.URL+"/ui/alerts/"+rows[1].ID),
		chromedp.WaitVisible("#status", chromedp.ByQuery),
		chromedp.Text("#status", &st1, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if st0 != "closed" || st1 != "acknowledged" || !strings.Contains(who, "by ann") || !strings.Contains(who, "false_positive") {
		t.Errorf("after a restart: %q, %q (%q); want closed by ann (false_positive) and acknowledged", st0, st1, who)
	}
	screenshot(t, ctx, "alert-closed")
}

// Injections planted in events and in a rule (its name, tags and
// investigation guide): every page shows them as text, none runs.
func TestInjectionsDoNotRun(t *testing.T) {
	ctx := tab(t)
	dir := t.TempDir()
	payloads := []string{
		`<script>window.pwned=1</script>`,
		`"><img src=x onerror="window.pwned=2">`,
		`'><svg onload=window.pwned=3>`,
		`[click](javascript:window.pwned=4)`,
		`</textarea></pre><script>window.pwned=5</script>`,
		`{{.}}<iframe src="javascript:window.pwned=6"></iframe>`,
	}
	var events strings.Builder
	for i, p := range payloads {
		fmt.Fprintf(&events, `{"@timestamp":"2026-03-14T08:%02d:00Z","event":{"dataset":"test.pwn","action":%q},"user":{"name":%q},"host":{"name":%q},"source":{"ip":"192.0.2.%d"},"message":%q}`+"\n",
			i, p, p, p, i+1, p)
	}
	evFile := filepath.Join(dir, "events.ndjson")
	os.WriteFile(evFile, []byte(events.String()), 0o644)
	ruleFile := filepath.Join(dir, "rules", "pwn.toml")
	os.MkdirAll(filepath.Dir(ruleFile), 0o755)
	note := "## Guide\n\n<script>window.pwned=7</script>\n\n<img src=x onerror=\"window.pwned=8\">\n\n" +
		"[a link](javascript:window.pwned=9) and ![img](javascript:window.pwned=10)\n\n" +
		"<a href=\"javascript:window.pwned=11\">raw</a>\n\n[data](data:text/html,<script>window.pwned=12</script>)\n"
	os.WriteFile(ruleFile, []byte(`[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"

[rule]
author = ["T"]
description = "<script>window.pwned=13</script>"
name = "<img src=x onerror=window.pwned=14>"
risk_score = 73
rule_id = "pwn-rule"
severity = "high"
type = "query"
index = ["logs-*"]
language = "kuery"
tags = ["<script>window.pwned=15</script>"]
query = "event.dataset:test.pwn"
note = '''`+note+`'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[rule.threat.tactic]
id = "TA0002"
name = "<script>window.pwned=16</script>"
reference = "javascript:window.pwned=17"
[[rule.threat.technique]]
id = "javascript:window.pwned=18"
name = "x"
reference = "javascript:window.pwned=19"
`), 0o644)
	db := hunt(t, filepath.Dir(ruleFile), "--index", "logs-test", evFile)
	srv, tr := server(t, db, filepath.Dir(ruleFile))
	rows, _, err := tr.List(context.Background(), state.TriageFilter{}, "", 50)
	if err != nil || len(rows) != len(payloads) {
		t.Fatalf("alerts of the planted events: %d, %v", len(rows), err)
	}
	pages := []string{"/ui/alerts", "/ui/alerts?q=" + "%3Cscript%3E", "/ui/overview", "/ui/rules", "/ui/rules/pwn-rule"}
	for _, r := range rows {
		pages = append(pages, "/ui/alerts/"+r.ID)
	}
	for _, p := range pages {
		var pwned string
		var dangerous int
		if err := chromedp.Run(ctx,
			chromedp.Navigate(srv.URL+p),
			chromedp.WaitReady("body"),
			chromedp.Sleep(50*time.Millisecond), // let any onload/onerror fire
			chromedp.Evaluate(`typeof window.pwned`, &pwned),
			chromedp.Evaluate(`document.querySelectorAll('a[href^="javascript"], a[href^="data"], iframe, main script, img[onerror], svg[onload], [src^="javascript"]').length`, &dangerous),
		); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if pwned != "undefined" || dangerous != 0 {
			t.Errorf("%s: window.pwned is %s, %d dangerous elements in the page", p, pwned, dangerous)
		}
	}
	// The payloads are shown as text.
	var reason, guide string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/alerts/"+rows[0].ID),
		chromedp.WaitVisible("#fields", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "injection")
	if err := chromedp.Run(ctx,
		chromedp.Text("#fields", &reason, chromedp.ByQuery),
		chromedp.Text("#guide", &guide, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reason, "window.pwned=") || !strings.Contains(guide, "a link") {
		t.Errorf("the payloads are not shown as text: fields %q, guide %q", reason, guide)
	}

	// The policy that would stop what escaping missed.
	resp, err := srv.Client().Get(srv.URL + "/ui/alerts")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

// In serve, the alerts page tells when alerts arrive after it was shown.
func TestLiveUpdates(t *testing.T) {
	ctx := tab(t)
	db := hunt(t, "", sample)
	srv, _ := serverWith(t, db, "", func(o *ui.Options) { o.Live, o.PollEvery = true, 100*time.Millisecond })
	var hidden bool
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/ui/alerts"),
		chromedp.WaitReady("#live", chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(`document.getElementById("live").hidden`, &hidden),
	); err != nil {
		t.Fatal(err)
	}
	if !hidden {
		t.Fatal("the page says new alerts arrived before any did")
	}
	// An alert written by another writer (serve's detector) reaches the
	// triage tables by trigger, and the page learns of it.
	st, err := state.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"kibana.alert.uuid":"live-1","kibana.alert.reason":"a new one","user":{"name":"eve"}}`
	if _, err := st.AddAlerts(context.Background(), []state.Alert{{ID: "live-1", RuleID: seedRule, RuleName: "Azure Command Execution on Virtual Machine",
		Severity: "high", RiskScore: 73, EventTime: now, CreatedAt: now, Doc: []byte(doc)}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	var text string
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible("#live", chromedp.ByQuery),
		chromedp.Text("#live-text", &text, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if text != "1 new alert." {
		t.Errorf("live banner %q", text)
	}
}
