package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/serve"
	"github.com/vigil-project/vigil/internal/sink"
	"github.com/vigil-project/vigil/internal/source"
	"github.com/vigil-project/vigil/internal/state"
	"github.com/vigil-project/vigil/internal/threatintel"
)

const serveSynopsis = `serve [--config vigil.toml] [--data-dir DIR] [--rules PATH]... [--listen ADDR]
       [--tail GLOB]... [--stdin] [--index NAME] [--out FILE] [--webhook URL]
       [--exceptions FILE]... [--value-list ID=FILE]... [--indicators FILE]... [--mapping FILE]...
       [--geoip-db FILE]... [--geoip-ecs] [--log-level L]

Runs rules continuously over live events and delivers each alert once. Events
come from files followed as they grow (--tail), standard input (--stdin), the
Elasticsearch-compatible ingest API on --listen (Filebeat, Elastic Agent,
Logstash can ship to it), Kafka and NATS JetStream (in the config file).
Alerts go to the SQLite store in the data directory and to the sinks.
Threshold and eql sequence rules run every interval, as in Kibana, over what
the store holds of their look-back (config key sequence_events bounds the
events held per sequence rule).
Flags override the config file. See docs/serve.md.

Examples:
  vigil serve --data-dir /var/lib/vigil --tail '/var/log/azure/*.json' --out alerts.ndjson
  vigil serve --data-dir ./state --listen 127.0.0.1:9200
  vigil serve --config /etc/vigil/vigil.toml`

func runServe(env *Env, args []string) int {
	fs := newFlagSet(env, "serve", serveSynopsis)
	configPath := fs.String("config", "", "the configuration file (vigil.toml)")
	dataDir := fs.String("data-dir", "", "directory of Vigil's state (alerts, dedup, checkpoints)")
	var rulePaths, tails stringList
	var exceptionFiles, valueLists, indicatorFiles stringList
	fs.Var(&rulePaths, "rules", "rule file or directory (repeatable; default: the built-in pack)")
	fs.Var(&tails, "tail", "follow files matching GLOB (repeatable)")
	fs.Var(&exceptionFiles, "exceptions", "exception lists: Vigil's TOML form or a Kibana NDJSON export (repeatable)")
	fs.Var(&valueLists, "value-list", "a value list for 'is in list' exceptions, as ID=FILE (repeatable)")
	fs.Var(&indicatorFiles, "indicators", "threat intelligence documents for threat_match rules, read again when they change (repeatable)")
	var geo geoipFlags
	addGeoIPFlags(fs, &geo)
	var mappings stringList
	fs.Var(&mappings, "mapping", "an Elasticsearch index mapping `FILE` giving the types of the events' fields over the built-in ones (repeatable; config key mappings)")
	stdin := fs.Bool("stdin", false, "read events from standard input")
	listen := fs.String("listen", "", "serve /healthz, /metrics and the Elasticsearch-compatible ingest API on ADDR")
	index := fs.String("index", "", "index name of events from --tail and --stdin (default: resolved per event)")
	out := fs.String("out", "", "append alerts as NDJSON to FILE")
	webhook := fs.String("webhook", "", "POST alerts as JSON to URL")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (default info)")
	paths, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(paths) > 0 {
		fmt.Fprintf(env.Stderr, "vigil serve: unexpected argument %q: inputs are given with --tail, --stdin, --listen or the config file\n", paths[0])
		return exitUsage
	}
	cfg := &serveConfig{file: "flags"}
	if *configPath != "" {
		var err error
		if cfg, err = loadServeConfig(*configPath); err != nil && *dataDir == "" {
			fmt.Fprintf(env.Stderr, "vigil serve: %v\n", err)
			return exitUsage
		} else if err != nil && !strings.Contains(err.Error(), "data_dir is not set") {
			fmt.Fprintf(env.Stderr, "vigil serve: %v\n", err)
			return exitUsage
		}
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if len(rulePaths) > 0 {
		cfg.Rules.Paths = rulePaths
	}
	cfg.Exceptions = append(cfg.Exceptions, exceptionFiles...)
	cfg.ValueLists = append(cfg.ValueLists, valueLists...)
	cfg.Indicators = append(cfg.Indicators, indicatorFiles...)
	cfg.GeoIPDatabases = append(cfg.GeoIPDatabases, geo.dbs...)
	cfg.GeoIPECS = cfg.GeoIPECS || *geo.ecs
	cfg.Mappings = append(cfg.Mappings, mappings...)
	if *listen != "" {
		cfg.HTTP.Listen = *listen
	}
	if *logLevel != "" {
		cfg.Log.Level = *logLevel
	}
	if len(tails) > 0 {
		cfg.Inputs = append(cfg.Inputs, inputConfig{Type: "tail", Name: "tail", Paths: tails, Index: *index})
	}
	if *stdin {
		cfg.Inputs = append(cfg.Inputs, inputConfig{Type: "stdin", Name: "stdin", Index: *index})
	}
	if *out != "" {
		cfg.Sinks = append(cfg.Sinks, sinkConfig{Type: "file", Name: "out", Path: *out})
	}
	if *webhook != "" {
		cfg.Sinks = append(cfg.Sinks, sinkConfig{Type: "webhook", Name: "webhook", URL: *webhook})
	}
	if cfg.DataDir == "" {
		fmt.Fprintln(env.Stderr, "vigil serve: no data directory: pass --data-dir DIR or set data_dir in the config file")
		return exitUsage
	}
	if len(cfg.Inputs) == 0 && cfg.HTTP.Listen == "" {
		fmt.Fprintln(env.Stderr, "vigil serve: no input: pass --tail GLOB, --stdin or --listen ADDR, or add [[inputs]] to the config file")
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveWith(ctx, env, cfg, nil); err != nil {
		fmt.Fprintf(env.Stderr, "vigil serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// serveWith runs the service described by cfg until ctx ends. ready, if
// set, receives the HTTP address once everything runs (tests use it).
func serveWith(ctx context.Context, env *Env, cfg *serveConfig, ready func(addr string)) error {
	log := newLogger(env, cfg.Log)
	auth, err := listenerAuth(ctx, cfg.HTTP, log)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	store, err := state.Open(ctx, filepath.Join(cfg.DataDir, "vigil.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	metrics := serve.NewMetrics()

	var sinks []sink.Sink
	for i, sc := range cfg.Sinks {
		s, err := buildSink(sc, log)
		if err != nil {
			closeAll(sinks)
			return fmt.Errorf("sinks[%d] (%s): %w", i, sc.Type, err)
		}
		sinks = append(sinks, s)
	}
	var out sink.Sink
	var health []serve.SinkHealth
	if len(sinks) > 0 {
		out, health = newDelivery(sinks, log, metrics)
	}
	late := serve.LateEvents(cfg.LateEvents)
	var geoSrc *geoip.Source
	if len(cfg.GeoIPDatabases) > 0 {
		if geoSrc, err = geoip.NewSource(cfg.GeoIPDatabases); err != nil {
			closeAll(sinks)
			return err
		}
		for _, db := range geoSrc.Databases().List() {
			log.Info("geoip database loaded", "path", db.Path, "type", db.Type)
		}
	} else if cfg.GeoIPECS {
		closeAll(sinks)
		return fmt.Errorf("geoip_ecs needs databases: list them in geoip_databases (or --geoip-db FILE)")
	}
	det := serve.NewDetector(serve.DetectorOptions{Store: store, Sink: out, Now: env.Now, Space: cfg.Space, Late: late, Logger: log, Metrics: metrics,
		SinkTimeout: cfg.SinkTimeout.Duration, GeoIP: geoSrc, GeoIPECS: cfg.GeoIPECS, SequenceEvents: cfg.SequenceEvents})
	schema, err := loadMappings(cfg.Mappings)
	if err != nil {
		closeAll(sinks)
		return err
	}
	loader := &serve.RuleLoader{Paths: cfg.Rules.Paths, Now: env.Now, Logger: log, Metrics: metrics, Install: det.SetRules, GeoIP: geoSrc, Schema: schema}
	if len(cfg.Exceptions) > 0 || len(cfg.ValueLists) > 0 {
		ex, err := ruleset.LoadExceptions(cfg.Exceptions, cfg.ValueLists)
		if err != nil {
			closeAll(sinks)
			return err
		}
		loader.Exceptions = ex
	}
	if len(cfg.Indicators) > 0 {
		src, err := threatintel.NewSource(cfg.Indicators)
		if err != nil {
			closeAll(sinks)
			return err
		}
		set := src.Set()
		log.Info("indicators loaded", "indicators", len(set.Items), "unreadable", set.Bad)
		for _, p := range set.Problems {
			log.Warn("indicators: record skipped", "error", p.Error())
		}
		loader.Indicators = src
	}
	if err := loader.Load(); err != nil {
		closeAll(sinks)
		return err
	}
	metrics.GaugeFunc("vigil_rules", "Rules loaded, by status: runnable, unsupported (a type or feature Vigil lacks) or error (see the log).", []string{"status"},
		func() map[string]float64 {
			st := loader.Status()
			return map[string]float64{"runnable": float64(st.Runnable), "unsupported": float64(st.Unsupported), "error": float64(st.Errors)}
		})
	reload := cfg.Rules.Reload.Duration
	if reload == 0 {
		reload = 10 * time.Second
	}

	var inputs []source.Source
	for i, ic := range cfg.Inputs {
		in, err := buildInput(ic, env, store, log)
		if err != nil {
			closeAll(sinks)
			return fmt.Errorf("inputs[%d] (%s): %w", i, ic.Type, err)
		}
		inputs = append(inputs, in)
	}
	lagging := map[string]interface{ Lag() int64 }{}
	for _, in := range inputs {
		if l, ok := in.(interface{ Lag() int64 }); ok {
			lagging[in.Name()] = l
		}
	}
	metrics.GaugeFunc("vigil_input_lag", "What each input has yet to read: records (kafka), messages (nats) or bytes (tail).", []string{"input"},
		func() map[string]float64 {
			out := map[string]float64{}
			for name, l := range lagging {
				out[serve.Labels(name)] = float64(l.Lag())
			}
			return out
		})
	opts := serve.Options{
		Store: store, Detector: det, Loader: loader, ReloadEvery: reload, Inputs: inputs, Sink: out,
		Workers: cfg.Workers, Metrics: metrics, Logger: log, Sinks: health, Auth: auth,
		ReadTimeout: cfg.HTTP.ReadTimeout.Duration, WriteTimeout: cfg.HTTP.WriteTimeout.Duration, IdleTimeout: cfg.HTTP.IdleTimeout.Duration,
		DrainTimeout: cfg.DrainTimeout.Duration,
	}
	if cfg.HTTP.Listen != "" {
		ln, err := net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			closeAll(sinks)
			return fmt.Errorf("listen: %w", err)
		}
		opts.Listener, opts.TLSCert, opts.TLSKey = ln, cfg.HTTP.TLSCert, cfg.HTTP.TLSKey
		if cfg.HTTP.Ingest == nil || *cfg.HTTP.Ingest {
			in, handler := buildIngest(cfg.HTTP, log, metrics)
			if in != nil {
				opts.Inputs = append(opts.Inputs, in)
				opts.Ingest = handler
			}
		}
		if cfg.HTTP.UI == nil || *cfg.HTTP.UI {
			h, closeUI, err := serveUI(ctx, env, cfg, filepath.Join(cfg.DataDir, "vigil.db"), loader, opts.Ingest,
				serviceRows(health, lagging), log)
			if err != nil {
				closeAll(sinks)
				return err
			}
			defer closeUI()
			opts.Ingest = h
		}
		if ready != nil {
			addr := ln.Addr().String()
			opts.Ready = func() { ready(addr) }
		}
	} else if ready != nil {
		opts.Ready = func() { ready("") }
	}
	log.Info("vigil serve starting", "data_dir", cfg.DataDir, "inputs", len(opts.Inputs), "sinks", len(sinks))
	return serve.Run(ctx, opts)
}

func newLogger(env *Env, lc logConfig) *slog.Logger {
	level := slog.LevelInfo
	switch lc.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	o := &slog.HandlerOptions{Level: level}
	if lc.Format == "json" {
		return slog.New(slog.NewJSONHandler(env.Stderr, o))
	}
	return slog.New(slog.NewTextHandler(env.Stderr, o))
}

func closeAll(sinks []sink.Sink) {
	for _, s := range sinks {
		s.Close()
	}
}
