package cli

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/httpauth"
)

// serveConfig is vigil.toml, the configuration of `vigil serve` (see
// docs/serve.md for a complete example).
type serveConfig struct {
	DataDir    string `toml:"data_dir"`
	Workers    int    `toml:"workers"`
	Space      string `toml:"space"`
	LateEvents string `toml:"late_events"`
	// SequenceEvents is how many events the state database holds per eql
	// sequence rule (default 100000): those its steps selected within its
	// look-back; past it, new ones are dropped, counted and logged.
	SequenceEvents int      `toml:"sequence_events"`
	Exceptions     []string `toml:"exceptions"`  // exception files (TOML form or Kibana NDJSON export)
	ValueLists     []string `toml:"value_lists"` // "ID=FILE" value lists for "is in list" entries
	Indicators     []string `toml:"indicators"`  // threat intelligence files for threat_match rules
	Mappings       []string `toml:"mappings"`    // Elasticsearch index mappings giving the events' field types
	// GeoIPDatabases are MaxMind-format City/Country/ASN databases for
	// GeoIP and ASN enrichment, read again when they change; GeoIPECS also
	// enriches documents already in ECS where the fields are absent.
	GeoIPDatabases []string      `toml:"geoip_databases"`
	GeoIPECS       bool          `toml:"geoip_ecs"`
	Log            logConfig     `toml:"log"`
	HTTP           httpConfig    `toml:"http"`
	Rules          rulesConfig   `toml:"rules"`
	Inputs         []inputConfig `toml:"inputs"`
	Sinks          []sinkConfig  `toml:"sinks"`
	// DrainTimeout bounds shutdown (default 30s); SinkTimeout a batch's
	// delivery to the sinks, retries included (default 20s).
	DrainTimeout duration `toml:"drain_timeout"`
	SinkTimeout  duration `toml:"sink_timeout"`

	file string
}

type logConfig struct {
	Level  string `toml:"level"`  // debug, info (default), warn, error
	Format string `toml:"format"` // text (default) or json
}

type httpConfig struct {
	Listen  string `toml:"listen"` // e.g. "127.0.0.1:9200"; empty: no HTTP server
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// APIKeys are "id:key" pairs, one per shipper, sent by clients as
	// "Authorization: ApiKey base64(id:key)".
	APIKeys []string `toml:"api_keys"`
	// BearerToken is a shared secret accepted verbatim after "Bearer " or
	// "ApiKey "; in the form "id:key" it is an API key too.
	BearerToken string `toml:"bearer_token"`
	Username    string `toml:"username"`
	Password    string `toml:"password"`
	// AllowUnauthenticated lets a listener reachable from other machines
	// run without credentials; without it, that is refused.
	AllowUnauthenticated bool   `toml:"allow_unauthenticated"`
	MaxBodyBytes         int64  `toml:"max_body_bytes"`
	Ingest               *bool  `toml:"ingest"` // the Elasticsearch-compatible ingest API at / (default true)
	UI                   *bool  `toml:"ui"`     // the triage UI under /ui/ (default true)
	Index                string `toml:"index"`  // index of documents posted without one
	// Bounds of the ingest API (defaults in internal/input/bulk and
	// internal/serve): bodies and requests held at once, past which it
	// answers 429; how long a request waits for the engine; the server's
	// read, write and idle timeouts.
	MaxInFlightBytes    int64    `toml:"max_in_flight_bytes"`
	MaxInFlightRequests int      `toml:"max_in_flight_requests"`
	AckTimeout          duration `toml:"ack_timeout"`
	ReadTimeout         duration `toml:"read_timeout"`
	WriteTimeout        duration `toml:"write_timeout"`
	IdleTimeout         duration `toml:"idle_timeout"`
}

// credentials reports whether any credential is configured.
func (h httpConfig) credentials() bool {
	return len(h.APIKeys) > 0 || h.BearerToken != "" || h.Username != ""
}

// apiKeys parses api_keys; a problem names the entry, never its secret.
func (h httpConfig) apiKeys() ([]httpauth.APIKey, []string) {
	var keys []httpauth.APIKey
	var problems []string
	seen := map[string]bool{}
	for i, s := range h.APIKeys {
		k, err := httpauth.ParseAPIKey(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("http.api_keys[%d]: %v", i, err))
			continue
		}
		if seen[k.ID] {
			problems = append(problems, fmt.Sprintf("http.api_keys[%d]: the id %q is listed twice: give each shipper a key of its own", i, k.ID))
			continue
		}
		seen[k.ID] = true
		keys = append(keys, k)
	}
	return keys, problems
}

type rulesConfig struct {
	Paths  []string `toml:"paths"` // empty: the built-in pack
	Reload duration `toml:"reload"`
}

// inputConfig is one [[inputs]] table; which keys apply depends on type.
type inputConfig struct {
	Type  string `toml:"type"` // tail, stdin, kafka, nats
	Name  string `toml:"name"`
	Index string `toml:"index"`

	// tail
	Paths   []string `toml:"paths"`
	StartAt string   `toml:"start_at"`
	Poll    duration `toml:"poll"`

	// kafka
	Brokers       []string `toml:"brokers"`
	Topics        []string `toml:"topics"`
	Group         string   `toml:"group"`
	StartOffset   string   `toml:"start_offset"`
	TLS           bool     `toml:"tls"`
	CAFile        string   `toml:"ca_file"`
	SASLMechanism string   `toml:"sasl_mechanism"`
	Username      string   `toml:"username"`
	Password      string   `toml:"password"`

	// nats
	URL           string   `toml:"url"`
	Stream        string   `toml:"stream"`
	Subjects      []string `toml:"subjects"`
	Durable       string   `toml:"durable"`
	FilterSubject string   `toml:"filter_subject"`
	CredsFile     string   `toml:"creds_file"`
	Token         string   `toml:"token"`
	CreateStream  bool     `toml:"create_stream"`
}

// sinkConfig is one [[sinks]] table.
type sinkConfig struct {
	Type string `toml:"type"` // file, webhook, elasticsearch, kafka, nats
	Name string `toml:"name"`

	Path     string `toml:"path"`      // file
	MaxBytes int64  `toml:"max_bytes"` // file rotation size
	MaxFiles int    `toml:"max_files"` // rotated files kept

	URL     string            `toml:"url"` // webhook, elasticsearch, nats
	Headers map[string]string `toml:"headers"`
	Timeout duration          `toml:"timeout"`

	Index    string `toml:"index"` // elasticsearch alerts index
	Username string `toml:"username"`
	Password string `toml:"password"`
	APIKey   string `toml:"api_key"`
	CAFile   string `toml:"ca_file"`

	Brokers []string `toml:"brokers"` // kafka
	Topic   string   `toml:"topic"`

	Subject   string `toml:"subject"` // nats
	JetStream bool   `toml:"jetstream"`
}

// duration is a TOML string such as "5s" or "2m".
type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration: write e.g. \"10s\" or \"5m\"", b)
	}
	d.Duration = v
	return nil
}

// keys each input and sink type accepts besides type, name (and index).
var (
	inputKeys = map[string][]string{
		"tail":  {"paths", "start_at", "poll"},
		"stdin": {},
		"kafka": {"brokers", "topics", "group", "start_offset", "tls", "ca_file", "sasl_mechanism", "username", "password"},
		"nats":  {"url", "stream", "subjects", "durable", "filter_subject", "creds_file", "token", "username", "password", "create_stream"},
	}
	sinkKeys = map[string][]string{
		"file":          {"path", "max_bytes", "max_files"},
		"webhook":       {"url", "headers", "timeout"},
		"elasticsearch": {"url", "index", "username", "password", "api_key", "ca_file", "timeout"},
		"kafka":         {"brokers", "topic"},
		"nats":          {"url", "subject", "jetstream"},
	}
)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// loadServeConfig reads and checks a configuration file. ${NAME} in it is
// replaced by the environment variable NAME (for secrets), which must be
// set. Every problem is reported, each with the file and, where known, the
// line.
func loadServeConfig(path string) (*serveConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseServeConfig(path, data)
}

// parseServeConfig is loadServeConfig of data, read from path.
func parseServeConfig(path string, data []byte) (*serveConfig, error) {
	var problems []string
	text := envRef.ReplaceAllStringFunc(string(data), func(ref string) string {
		name := envRef.FindStringSubmatch(ref)[1]
		v, ok := os.LookupEnv(name)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: ${%s} is not set in the environment", path, name))
		}
		return v
	})
	cfg := &serveConfig{file: path}
	md, err := toml.Decode(text, cfg)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d:%d: %s", path, pe.Position.Line, pe.Position.Col, pe.Message)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	lines := strings.Split(string(data), "\n")
	for _, k := range md.Undecoded() {
		problems = append(problems, fmt.Sprintf("%s: unknown key %s%s", where(path, lines, k), k, hintKey(k)))
	}
	var raw map[string]any
	toml.Decode(text, &raw)
	problems = append(problems, cfg.check(raw)...)
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return cfg, nil
}

// where renders path:line for a key, found by searching its last part.
func where(path string, lines []string, k toml.Key) string {
	last := k[len(k)-1]
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, last+" ") || strings.HasPrefix(t, last+"=") {
			return fmt.Sprintf("%s:%d", path, i+1)
		}
	}
	return path
}

var topKeys = []string{"data_dir", "workers", "space", "late_events", "sequence_events", "exceptions", "value_lists", "indicators", "mappings", "geoip_databases", "geoip_ecs", "log", "http", "rules", "inputs", "sinks", "drain_timeout", "sink_timeout"}

func hintKey(k toml.Key) string {
	var known []string
	switch {
	case len(k) == 1:
		known = topKeys
	case k[0] == "inputs":
		known = []string{"type", "name", "index"}
		for _, ks := range inputKeys {
			known = append(known, ks...)
		}
	case k[0] == "sinks":
		known = []string{"type", "name"}
		for _, ks := range sinkKeys {
			known = append(known, ks...)
		}
	case k[0] == "http":
		known = []string{"listen", "tls_cert", "tls_key", "api_keys", "bearer_token", "username", "password", "allow_unauthenticated", "max_body_bytes", "ingest", "ui", "index",
			"max_in_flight_bytes", "max_in_flight_requests", "ack_timeout", "read_timeout", "write_timeout", "idle_timeout"}
	case k[0] == "rules":
		known = []string{"paths", "reload"}
	case k[0] == "log":
		known = []string{"level", "format"}
	}
	if s := suggest(k[len(k)-1], known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

func (c *serveConfig) check(raw map[string]any) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, c.file+": "+fmt.Sprintf(format, args...)) }
	if c.DataDir == "" {
		bad(`data_dir is not set: name the directory for Vigil's state, e.g. data_dir = "/var/lib/vigil"`)
	}
	switch c.LateEvents {
	case "", "drop", "alert":
	default:
		bad(`late_events = %q: use "drop" (as Kibana: no alert for events older than a rule's look-back) or "alert"`, c.LateEvents)
	}
	if c.SequenceEvents < 0 {
		bad(`sequence_events = %d: the events held per eql sequence rule must be at least 1 (default %d)`, c.SequenceEvents, engine.DefaultSequenceEvents)
	}
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		bad(`log.level = %q: use debug, info, warn or error`, c.Log.Level)
	}
	switch c.Log.Format {
	case "", "text", "json":
	default:
		bad(`log.format = %q: use text or json`, c.Log.Format)
	}
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		bad("http: tls_cert and tls_key go together")
	}
	if c.HTTP.Username != "" && c.HTTP.Password == "" {
		bad("http: username without password")
	}
	_, keyProblems := c.HTTP.apiKeys()
	for _, kp := range keyProblems {
		bad("%s", kp)
	}
	if c.HTTP.AllowUnauthenticated && c.HTTP.credentials() {
		bad("http: allow_unauthenticated = true and credentials (api_keys, bearer_token or username) are both set: remove allow_unauthenticated, the credentials are required")
	}
	checkTyped := func(kind string, i int, typ string, allowed map[string][]string, common []string) {
		keys, ok := allowed[typ]
		if !ok {
			names := make([]string, 0, len(allowed))
			for n := range allowed {
				names = append(names, n)
			}
			sort.Strings(names)
			hint := ""
			if s := suggest(typ, names); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			bad("%s[%d]: type %q is not one of %s%s", kind, i, typ, strings.Join(names, ", "), hint)
			return
		}
		tables, _ := raw[kind].([]map[string]any)
		if i >= len(tables) {
			return
		}
		var set []string
		for k := range tables[i] {
			set = append(set, k)
		}
		sort.Strings(set)
		for _, k := range set {
			if !slices.Contains(keys, k) && !slices.Contains(common, k) {
				bad("%s[%d] (%s): %q does not apply to a %s %s; it takes %s", kind, i, typ, k, typ, strings.TrimSuffix(kind, "s"), strings.Join(append(common, keys...), ", "))
			}
		}
	}
	for i, in := range c.Inputs {
		checkTyped("inputs", i, in.Type, inputKeys, []string{"type", "name", "index"})
		switch in.Type {
		case "tail":
			if len(in.Paths) == 0 {
				bad("inputs[%d] (tail): paths is empty: list files or globs to follow", i)
			}
		case "kafka":
			if len(in.Brokers) == 0 || len(in.Topics) == 0 || in.Group == "" {
				bad("inputs[%d] (kafka): brokers, topics and group are required", i)
			}
		case "nats":
			if in.URL == "" || in.Stream == "" || in.Durable == "" {
				bad("inputs[%d] (nats): url, stream and durable are required", i)
			}
		}
	}
	for i, s := range c.Sinks {
		checkTyped("sinks", i, s.Type, sinkKeys, []string{"type", "name"})
		switch s.Type {
		case "file":
			if s.Path == "" {
				bad("sinks[%d] (file): path is required", i)
			}
		case "webhook", "elasticsearch":
			if s.URL == "" {
				bad("sinks[%d] (%s): url is required", i, s.Type)
			}
		case "kafka":
			if len(s.Brokers) == 0 || s.Topic == "" {
				bad("sinks[%d] (kafka): brokers and topic are required", i)
			}
		case "nats":
			if s.URL == "" || s.Subject == "" {
				bad("sinks[%d] (nats): url and subject are required", i)
			}
		}
	}
	return p
}
