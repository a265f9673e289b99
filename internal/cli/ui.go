package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/state"
	"github.com/vigil-project/vigil/internal/ui"
)

const uiSynopsis = `ui --db FILE [--listen ADDR] [--rules PATH]... [--user NAME]

Serves the triage web UI over the alerts a hunt stored (vigil hunt --db FILE)
or serve's store (DATA_DIR/vigil.db): the alerts table with filters and counts,
each alert's page with its rule's investigation guide, workflow status (open,
acknowledged, closed) kept in the same database, the rules and plots. Open
http://ADDR/ui/ in a browser. It listens on loopback by default: it has no
login of its own (vigil serve puts the same pages behind its credentials).

Examples:
  vigil hunt --db alerts.db export.json
  vigil ui --db alerts.db`

func runUI(env *Env, args []string) int {
	fs := newFlagSet(env, "ui", uiSynopsis)
	dbPath := fs.String("db", "", "the alert database `FILE` (written by vigil hunt --db or vigil serve)")
	listen := fs.String("listen", "127.0.0.1:8417", "the address to serve on (loopback by default)")
	var rulePaths stringList
	fs.Var(&rulePaths, "rules", "rule file or directory the rules page shows (repeatable; default: the built-in pack)")
	user := fs.String("user", os.Getenv("USER"), "who sets a status, as the alerts' history records it")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if *dbPath == "" || len(pos) > 0 {
		fmt.Fprintln(env.Stderr, "vigil ui: name the alert database with --db FILE (and nothing else)")
		fs.Usage()
		return exitUsage
	}
	if host, _, err := net.SplitHostPort(*listen); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			fmt.Fprintf(env.Stderr, "vigil ui: warning: %s is reachable from other machines and vigil ui asks no credentials: anyone who reaches it reads the alerts and sets their status (vigil serve serves the same pages behind credentials)\n", *listen)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := uiWith(ctx, env, uiConfig{DB: *dbPath, Listen: *listen, Rules: rulePaths, User: *user}, func(addr string) {
		fmt.Fprintf(env.Stderr, "vigil ui: serving http://%s/ui/\n", addr)
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil ui: %v\n", err)
		return exitFailure
	}
	return exitOK
}

type uiConfig struct {
	DB, Listen, User string
	Rules            []string
}

// uiWith serves the UI until ctx ends; ready gets the address.
func uiWith(ctx context.Context, env *Env, cfg uiConfig, ready func(addr string)) error {
	set, err := ruleset.LoadSet(cfg.Rules, event.NewPlan(), env.Now)
	if err != nil {
		return err
	}
	tr, err := state.OpenTriage(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer tr.Close()
	h, err := ui.New(ui.Options{Triage: tr, Rules: func() []*rule.Rule { return set.Rules }, Now: env.Now, Analyst: cfg.User})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: ui.Mount(h, nil), ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
