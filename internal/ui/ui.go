// Package ui is Vigil's triage web UI: the alerts an engine stored, filtered
// and paged; an alert's page with its rule's investigation guide and its
// event; the workflow status analysts set; the loaded rules; plots. Pages
// are rendered on the server with html/template (every value escaped),
// plots are inline SVG, and the one script (live updates, selection,
// copying) is a file served by the UI itself, so a strict
// Content-Security-Policy holds: nothing inline runs, nothing is fetched
// from elsewhere.
//
// Every address is under Prefix (/ui/), which the Elasticsearch-compatible
// ingest API of `vigil serve` leaves free (see Mount).
package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/state"
)

// Prefix is the path every page of the UI lives under.
const Prefix = "/ui/"

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// ContentSecurityPolicy is sent with every page: scripts, styles and
// images only from the UI itself, no inline script or style, no framing,
// forms posting only back to it.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Options configure a UI.
type Options struct {
	// Triage is the alert store (required).
	Triage *state.Triage
	// Rules returns the loaded rules; nil: no rule is known but those
	// named by alerts.
	Rules func() []*rule.Rule
	// Now is the clock for relative time ranges (default time.Now).
	Now func() time.Time
	// Live makes the alerts page tell when new alerts arrive (serve),
	// checking every PollEvery (default 5s).
	Live      bool
	PollEvery time.Duration
	// User names who sets a status, from the request (e.g. the
	// authenticated user); nil or "": Analyst.
	User func(*http.Request) string
	// Analyst is who sets a status when User names nobody (default
	// "analyst").
	Analyst string
	// Service, when set, reports the state of the service the UI runs in
	// (serve: each sink's health, each input's lag), for the overview.
	Service func() []ServiceRow
	// Logger gets server-side errors (default: discarded).
	Logger *slog.Logger
}

// ServiceRow is one line of the service's state: a sink and whether it
// delivers, an input and how far behind it is.
type ServiceRow struct {
	What, Name, State string // e.g. "sink", "file /var/lib/vigil/alerts.ndjson", "ok"
	Failing           bool
}

// Server serves the UI.
type Server struct {
	opts  Options
	pages map[string]*template.Template
	csrf  string
	mux   *http.ServeMux

	mu       sync.Mutex
	rulesFor []*rule.Rule // the slice byID was built from
	byID     map[string]*rule.Rule
}

// New returns a UI over opts.Triage.
func New(opts Options) (*Server, error) {
	if opts.Triage == nil {
		return nil, fmt.Errorf("ui: no alert store")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = 5 * time.Second
	}
	if opts.Analyst == "" {
		opts.Analyst = "analyst"
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("ui: csrf secret: %w", err)
	}
	s := &Server{opts: opts, csrf: hex.EncodeToString(b[:]), pages: map[string]*template.Template{}}
	for _, p := range []string{"alerts", "alert", "rules", "rule", "overview", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", p, err)
		}
		s.pages[p] = t
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/alerts", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /ui/alerts", s.alerts)
	mux.HandleFunc("GET /ui/alerts/{id}", s.alert)
	mux.HandleFunc("POST /ui/status", s.setStatus)
	mux.HandleFunc("GET /ui/rules", s.rules)
	mux.HandleFunc("GET /ui/rules/{id}", s.rule)
	mux.HandleFunc("GET /ui/overview", s.overview)
	mux.HandleFunc("GET /ui/api/total", s.total)
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "There is no page at this address.")
	})
	s.mux = mux
	return s, nil
}

// ServeHTTP serves the UI's pages, with the security headers on each.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method == http.MethodPost {
		if err := crossOrigin.Check(r); err != nil {
			s.fail(w, r, http.StatusForbidden, "This change came from another site and was refused (cross-site request).")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

var crossOrigin = http.NewCrossOriginProtection()

// Mount serves the UI's paths (Prefix and below) with ui and everything
// else with other (the ingest API). A path under Prefix whose next segment
// starts with "_" (/ui/_bulk, /ui/_doc/1: the APIs of an index named "ui")
// stays with other: no UI address starts so.
func Mount(ui, other http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/" && other == nil {
			http.Redirect(w, r, "/ui/alerts", http.StatusSeeOther)
			return
		}
		if rest, ok := strings.CutPrefix(p, Prefix); ok && !strings.HasPrefix(rest, "_") || other == nil {
			ui.ServeHTTP(w, r)
			return
		}
		other.ServeHTTP(w, r)
	})
}

// render writes page with data, or an error page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, data any) {
	var b strings.Builder
	if err := s.pages[page].Execute(&b, data); err != nil {
		s.opts.Logger.Error("ui: render", "page", page, "error", err)
		s.fail(w, r, http.StatusInternalServerError, "This page could not be rendered; the server's log says why.")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, b.String())
}

type errorPage struct {
	Title, Nav, Message string
	Code                int
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	var b strings.Builder
	if err := s.pages["error"].Execute(&b, errorPage{Title: http.StatusText(code), Message: msg, Code: code}); err != nil {
		http.Error(w, msg, code)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprint(w, b.String())
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return
	}
	s.opts.Logger.Error("ui: request failed", "path", r.URL.Path, "error", err)
	s.fail(w, r, http.StatusInternalServerError, "The alert store could not answer: "+err.Error())
}

// ruleByID returns the loaded rule with id, nil when there is none.
func (s *Server) ruleByID(id string) *rule.Rule {
	return s.ruleIndex()[id]
}

func (s *Server) loadedRules() []*rule.Rule {
	if s.opts.Rules == nil {
		return nil
	}
	return s.opts.Rules()
}

func (s *Server) ruleIndex() map[string]*rule.Rule {
	rules := s.loadedRules()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil || len(rules) != len(s.rulesFor) || (len(rules) > 0 && rules[0] != s.rulesFor[0]) {
		s.byID = make(map[string]*rule.Rule, len(rules))
		for _, r := range rules {
			if r.RuleID != "" {
				s.byID[r.RuleID] = r
			}
		}
		s.rulesFor = rules
	}
	return s.byID
}

// setStatus sets the workflow status of the alerts in the form.
func (s *Server) setStatus(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(s.csrf)) != 1 {
		s.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this page (its CSRF token does not match): reload the page and try again.")
		return
	}
	ids := r.PostForm["id"]
	if len(ids) == 0 {
		s.fail(w, r, http.StatusBadRequest, "No alert was selected: tick the alerts to change first.")
		return
	}
	status := r.PostForm.Get("status")
	who := ""
	if s.opts.User != nil {
		who = s.opts.User(r)
	}
	if who == "" {
		who = s.opts.Analyst
	}
	if _, err := s.opts.Triage.SetStatus(r.Context(), ids, status, who, r.PostForm.Get("reason"), s.opts.Now()); err != nil {
		s.fail(w, r, http.StatusBadRequest, "The status was not changed: "+err.Error())
		return
	}
	back := r.PostForm.Get("back")
	if !strings.HasPrefix(back, Prefix) || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/ui/alerts"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// total answers the number of stored alerts, for live updates.
func (s *Server) total(w http.ResponseWriter, r *http.Request) {
	n, err := s.opts.Triage.Total(r.Context())
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]int{"total": n})
}

// severities in the order they are shown.
var severities = []string{"critical", "high", "medium", "low"}

// severityColor is each severity's color in the plots and badges.
var severityColor = map[string]string{"critical": "#b3261e", "high": "#e8590c", "medium": "#d4a017", "low": "#4c8bf5"}

// tactics are MITRE ATT&CK's enterprise tactics, for the tactic filter.
var tactics = []string{"Reconnaissance", "Resource Development", "Initial Access", "Execution", "Persistence",
	"Privilege Escalation", "Defense Evasion", "Credential Access", "Discovery", "Lateral Movement", "Collection",
	"Command and Control", "Exfiltration", "Impact"}

// alertURL is the address of an alert's page.
func alertURL(id string) string { return "/ui/alerts/" + url.PathEscape(id) }

// ruleURL is the address of a rule's page.
func ruleURL(id string) string { return "/ui/rules/" + url.PathEscape(id) }

var funcs = template.FuncMap{
	"alertURL": alertURL,
	"ruleURL":  ruleURL,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"sevColor": func(s string) string {
		if c, ok := severityColor[s]; ok {
			return c
		}
		return "#888888"
	},
	"contains":  slices.Contains[[]string, string],
	"firstPage": func(ff filterForm) string { return ff.query("") },
}
