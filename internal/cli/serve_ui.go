package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/serve"
	"github.com/vigil-project/vigil/internal/state"
	"github.com/vigil-project/vigil/internal/ui"
)

// serveUI mounts the triage UI beside the ingest API on serve's listener
// (behind the same TLS and credentials): the UI answers under /ui/, the
// ingest API everywhere else. The returned close releases the UI's
// connections to the store.
func serveUI(ctx context.Context, env *Env, cfg *serveConfig, dbPath string, loader *serve.RuleLoader, ingest http.Handler,
	service func() []ui.ServiceRow, log *slog.Logger) (http.Handler, func(), error) {
	tr, err := state.OpenTriage(ctx, dbPath)
	if err != nil {
		return nil, nil, err
	}
	rules := &uiRules{paths: cfg.Rules.Paths, now: env.Now, loader: loader, log: log}
	h, err := ui.New(ui.Options{Triage: tr, Rules: rules.get, Now: env.Now, Live: true, Service: service, Logger: log,
		User: func(r *http.Request) string {
			// Past the listener's authentication: the Basic user is who
			// it claims to be.
			u, _, _ := r.BasicAuth()
			return u
		}})
	if err != nil {
		tr.Close()
		return nil, nil, err
	}
	log.Info("triage UI served", "path", ui.Prefix)
	return ui.Mount(h, ingest), func() { tr.Close() }, nil
}

// uiRules are the rules the UI shows: the rule files serve loaded, with
// their status, loaded again (for the UI only) when serve reloads them.
type uiRules struct {
	paths  []string
	now    func() time.Time
	loader *serve.RuleLoader
	log    *slog.Logger

	mu     sync.Mutex
	loaded time.Time
	rules  []*rule.Rule
}

func (u *uiRules) get() []*rule.Rule {
	at := u.loader.Status().LoadedAt
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.rules != nil && at.Equal(u.loaded) {
		return u.rules
	}
	set, err := ruleset.LoadSet(u.paths, event.NewPlan(), u.now)
	if err != nil {
		u.log.Warn("triage UI: rules not loaded", "error", err)
		return u.rules
	}
	u.rules, u.loaded = set.Rules, at
	return u.rules
}

// serviceRows reports the sinks' health and the inputs' lag for the UI.
func serviceRows(sinks []serve.SinkHealth, lagging map[string]interface{ Lag() int64 }) func() []ui.ServiceRow {
	return func() []ui.ServiceRow {
		var out []ui.ServiceRow
		for _, s := range sinks {
			h := s.Health()
			row := ui.ServiceRow{What: "sink", Name: s.Name(), State: "ok"}
			if h.Failing {
				row.Failing = true
				row.State = "failing since " + h.Since.UTC().Format(time.RFC3339) + ": " + h.LastError
			}
			out = append(out, row)
		}
		names := make([]string, 0, len(lagging))
		for name := range lagging {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			out = append(out, ui.ServiceRow{What: "input", Name: name, State: fmt.Sprintf("lag %d", lagging[name].Lag())})
		}
		return out
	}
}
