package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-project/vigil/internal/state"
)

// filterForm is the alerts page's filter as the form holds it.
type filterForm struct {
	Range, From, To, Rule, Severity, Status, Tag, Tactic, Text string
	BuildingBlocks                                             bool
}

// ranges are the quick time ranges, relative to now.
var ranges = []struct{ Value, Label string }{
	{"", "all time"}, {"1h", "last hour"}, {"24h", "last 24 hours"}, {"7d", "last 7 days"}, {"30d", "last 30 days"},
}

var rangeDur = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

const formTime = "2006-01-02T15:04"

// parseFilter reads the filter from the query string; problems are
// reported, the rest of the filter applies.
func (s *Server) parseFilter(q url.Values) (filterForm, state.TriageFilter, []string) {
	ff := filterForm{Range: q.Get("range"), From: q.Get("from"), To: q.Get("to"), Rule: q.Get("rule"),
		Severity: q.Get("severity"), Status: q.Get("status"), Tag: q.Get("tag"), Tactic: q.Get("tactic"),
		Text: q.Get("q"), BuildingBlocks: q.Get("bb") == "1"}
	if !q.Has("status") {
		ff.Status = "open" // as Kibana: the open alerts first
	}
	if ff.Status == "any" {
		ff.Status = ""
	}
	var problems []string
	f := state.TriageFilter{RuleID: ff.Rule, Severity: ff.Severity, Status: ff.Status, Tag: ff.Tag, Tactic: ff.Tactic,
		Text: ff.Text, BuildingBlocks: ff.BuildingBlocks}
	if d, ok := rangeDur[ff.Range]; ok {
		f.From = s.opts.Now().Add(-d)
	} else if ff.Range != "" {
		problems = append(problems, "unknown time range "+strconv.Quote(ff.Range)+": pick one of the list")
		ff.Range = ""
	}
	for _, p := range []struct {
		text string
		to   *time.Time
		name string
	}{{ff.From, &f.From, "from"}, {ff.To, &f.To, "to"}} {
		if p.text == "" {
			continue
		}
		t, err := time.Parse(formTime, p.text)
		if err != nil {
			problems = append(problems, "the "+p.name+" time "+strconv.Quote(p.text)+" is not of the form 2026-03-14T08:30 (UTC)")
			continue
		}
		*p.to = t
	}
	if ff.Status != "" && !slices.Contains(state.WorkflowStatuses, ff.Status) {
		problems = append(problems, "unknown status "+strconv.Quote(ff.Status))
	}
	return ff, f, problems
}

// query returns the filter as a query string, with the page cursor after.
func (ff filterForm) query(after string) string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("range", ff.Range)
	set("from", ff.From)
	set("to", ff.To)
	set("rule", ff.Rule)
	set("severity", ff.Severity)
	if ff.Status == "" {
		v.Set("status", "any")
	} else {
		v.Set("status", ff.Status)
	}
	set("tag", ff.Tag)
	set("tactic", ff.Tactic)
	set("q", ff.Text)
	if ff.BuildingBlocks {
		v.Set("bb", "1")
	}
	set("after", after)
	return v.Encode()
}

type sevCount struct {
	Severity, Color, URL string
	N                    int
	Active               bool
}

type alertsPage struct {
	Title      string
	Nav        string
	Form       filterForm
	Problems   []string
	Rows       []state.TriageRow
	Next, Self string
	First      bool
	Counts     []sevCount
	Total      int
	Sampled    int
	Histogram  *barChart
	Rules      []state.RuleStat
	Severities []string
	Statuses   []string
	Reasons    []string
	Tactics    []string
	Ranges     []struct{ Value, Label string }
	CSRF       string
	Live       bool
	PollMS     int64
	Stored     int
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ff, f, problems := s.parseFilter(r.URL.Query())
	after := r.URL.Query().Get("after")
	rows, next, err := s.opts.Triage.List(ctx, f, after, 50)
	if err != nil {
		problems = append(problems, err.Error())
		rows, next, err = s.opts.Triage.List(ctx, f, "", 50)
		if err != nil {
			s.internal(w, r, err)
			return
		}
	}
	sum, err := s.opts.Triage.Summarize(ctx, f)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	stats, err := s.opts.Triage.RuleStats(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	stored := 0
	for _, st := range stats {
		stored += st.Alerts
	}
	p := alertsPage{Title: "Alerts", Nav: "alerts", Form: ff, Problems: problems, Rows: rows, First: after == "",
		Total: sum.Total, Sampled: sum.Sampled, Severities: severities, Statuses: state.WorkflowStatuses,
		Reasons: state.CloseReasons, Tactics: tactics, Ranges: ranges, CSRF: s.csrf, Live: s.opts.Live, PollMS: s.opts.PollEvery.Milliseconds(), Stored: stored}
	p.Self = "/ui/alerts?" + ff.query(after)
	if next != "" {
		p.Next = "/ui/alerts?" + ff.query(next)
	}
	for _, sev := range severities {
		g := ff
		g.Severity = sev
		if ff.Severity == sev {
			g.Severity = ""
		}
		p.Counts = append(p.Counts, sevCount{Severity: sev, Color: severityColor[sev], N: sum.Severity[sev],
			URL: "/ui/alerts?" + g.query(""), Active: ff.Severity == sev})
	}
	p.Histogram = timeChart(sum.Hours, 900, 140)
	for _, st := range stats {
		p.Rules = append(p.Rules, st)
	}
	slices.SortFunc(p.Rules, func(a, b state.RuleStat) int {
		if a.Name != b.Name {
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		if a.RuleID < b.RuleID {
			return -1
		}
		return 1
	})
	s.render(w, r, "alerts", p)
}

type overviewPage struct {
	Title, Nav string
	Form       filterForm
	Problems   []string
	Total      int
	Sampled    int
	Histogram  *barChart
	TopRules   *barChart
	Tops       []topChart
	Service    []ServiceRow
	InService  bool
}

type topChart struct {
	Title string
	Chart *barChart
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ff, f, problems := s.parseFilter(r.URL.Query())
	sum, err := s.opts.Triage.Summarize(ctx, f)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	stats, err := s.opts.Triage.RuleStats(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	p := overviewPage{Title: "Overview", Nav: "overview", Form: ff, Problems: problems, Total: sum.Total, Sampled: sum.Sampled,
		Histogram: timeChart(sum.Hours, 900, 200)}
	topRules, err := s.opts.Triage.TopRules(ctx, f, 10)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var rules []namedBar
	for _, rc := range topRules {
		name := rc.Name
		if st, ok := stats[rc.Name]; ok && st.Name != "" {
			name = st.Name
		}
		g := ff
		g.Rule = rc.Name
		rules = append(rules, namedBar{Label: name, N: rc.N, URL: "/ui/alerts?" + g.query("")})
	}
	p.TopRules = hbarChart(rules, 900)
	for _, t := range []struct{ field, title, param string }{
		{"user", "Top users", "user.name"}, {"host", "Top hosts", "host.name"},
		{"source.ip", "Top source addresses", "source.ip"}, {"resource", "Top resources", ""},
	} {
		top, err := s.opts.Triage.Top(ctx, f, t.field, 10)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		var bars []namedBar
		for _, c := range top {
			g := ff
			g.Text = c.Name
			bars = append(bars, namedBar{Label: c.Name, N: c.N, URL: "/ui/alerts?" + g.query("")})
		}
		p.Tops = append(p.Tops, topChart{Title: t.title, Chart: hbarChart(bars, 440)})
	}
	if s.opts.Service != nil {
		p.InService, p.Service = true, s.opts.Service()
	}
	s.render(w, r, "overview", p)
}
