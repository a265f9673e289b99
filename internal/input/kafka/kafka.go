package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/vigil-project/vigil/internal/source"
)

// Options configure an Input. Brokers, Topics and Group are required; every
// other field has the default its comment gives.
type Options struct {
	// Name identifies the input in logs and metrics
	// (default "kafka:" and the topics joined by ",").
	Name string
	// Brokers are the seed brokers, host:port.
	Brokers []string
	// Topics are the topics consumed.
	Topics []string
	// Group is the consumer group. Inputs (in one process or in several vigil
	// replicas) sharing a group share the topics' partitions.
	Group string
	// Index is the index name given to every record ("" = none: the engine
	// resolves the index per event).
	Index string
	// ClientID is the client id sent to the brokers (default "vigil").
	ClientID string
	// StartOffset is where a partition with no committed offset in the group
	// starts: "earliest" (default) or "latest".
	StartOffset string

	// TLSConfig, when set, secures the broker connections; it wins over TLS
	// and CAFile.
	TLSConfig *tls.Config
	// TLS secures the broker connections, trusting the system's roots.
	TLS bool
	// CAFile names a PEM file of certificates to trust in addition to the
	// system's roots; it implies TLS.
	CAFile string
	// SASL authenticates the connections when its Mechanism is set.
	SASL SASL

	// MaxBatchRecords caps the records of one batch (default 500).
	MaxBatchRecords int
	// DrainTimeout bounds how long the input waits for its batches in flight
	// to be acknowledged when partitions are revoked or when it stops
	// (default 30s). A batch still unacknowledged then is given up
	// uncommitted, to be read again. Keep it below the group's rebalance
	// timeout (60s), else the member is evicted from the group.
	DrainTimeout time.Duration
	// RetryBackoff is the pause before a batch acknowledged with an error is
	// sent again; it doubles with each failure of the batch up to 30s
	// (default 1s).
	RetryBackoff time.Duration
	// Logger receives the input's and the Kafka client's warnings and
	// errors (default: nothing is logged).
	Logger *slog.Logger

	// kgoOpts are appended to the client's options; tests use them for
	// shorter group timeouts.
	kgoOpts []kgo.Opt
}

// SASL holds SASL credentials.
type SASL struct {
	// Mechanism is "PLAIN" ("" = no SASL).
	Mechanism string
	Username  string
	Password  string
}

// String prints the mechanism and user, never the password.
func (s SASL) String() string {
	if s.Mechanism == "" {
		return "none"
	}
	return s.Mechanism + " user " + s.Username
}

// LogValue hides the password from slog.
func (s SASL) LogValue() slog.Value { return slog.StringValue(s.String()) }

const (
	defaultMaxBatchRecords = 500
	defaultDrainTimeout    = 30 * time.Second
	defaultRetryBackoff    = time.Second
	maxRetryBackoff        = 30 * time.Second
	// commitTimeout bounds one offset commit (retries included).
	commitTimeout = 30 * time.Second
)

// Input is a Kafka consumer-group input; it implements source.Source. Run it
// once at a time; it may be run again after Run returned.
type Input struct {
	opts    Options
	log     *slog.Logger
	kopts   []kgo.Opt
	running atomic.Bool
	stats   counters

	partMu sync.Mutex
	parts  map[topicPartition]PartitionStats
}

// New checks the options and returns an Input. It reads CAFile but does not
// connect: Run does.
func New(opts Options) (*Input, error) {
	if opts.Name == "" {
		opts.Name = "kafka:" + strings.Join(opts.Topics, ",")
	}
	fail := func(format string, args ...any) (*Input, error) {
		return nil, fmt.Errorf("kafka input %s: "+format, append([]any{opts.Name}, args...)...)
	}
	if len(opts.Brokers) == 0 || slices.Contains(opts.Brokers, "") {
		return fail("no brokers (set brokers to host:port; for Event Hubs, <namespace>.servicebus.windows.net:9093)")
	}
	if len(opts.Topics) == 0 || slices.Contains(opts.Topics, "") {
		return fail("no topics to consume (for Event Hubs, the topic is the event hub's name)")
	}
	if opts.Group == "" {
		return fail("no consumer group (the group holds the committed offsets; replicas sharing it share the partitions)")
	}
	if opts.ClientID == "" {
		opts.ClientID = "vigil"
	}
	var start kgo.Offset
	switch strings.ToLower(opts.StartOffset) {
	case "", "earliest":
		start = kgo.NewOffset().AtStart()
	case "latest":
		start = kgo.NewOffset().AtEnd()
	default:
		return fail("start offset %q: want earliest or latest", opts.StartOffset)
	}
	if opts.MaxBatchRecords < 0 || opts.DrainTimeout < 0 || opts.RetryBackoff < 0 {
		return fail("max batch records, drain timeout and retry backoff cannot be negative")
	}
	if opts.MaxBatchRecords == 0 {
		opts.MaxBatchRecords = defaultMaxBatchRecords
	}
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = defaultDrainTimeout
	}
	if opts.RetryBackoff == 0 {
		opts.RetryBackoff = defaultRetryBackoff
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("input", opts.Name)

	kopts := []kgo.Opt{
		kgo.SeedBrokers(opts.Brokers...),
		kgo.ClientID(opts.ClientID),
		kgo.ConsumerGroup(opts.Group),
		kgo.ConsumeTopics(opts.Topics...),
		kgo.ConsumeResetOffset(start),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		// Event Hubs closes idle connections after 240s; a metadata
		// refresh below that keeps them alive (Microsoft's advice),
		// at no cost elsewhere.
		kgo.MetadataMaxAge(3 * time.Minute),
	}
	if opts.Logger != nil {
		kopts = append(kopts, kgo.WithLogger(kgoLogger{log}))
	}
	tlsCfg, err := tlsConfig(opts)
	if err != nil {
		return fail("%w", err)
	}
	if tlsCfg != nil {
		kopts = append(kopts, kgo.DialTLSConfig(tlsCfg))
	}
	switch strings.ToUpper(opts.SASL.Mechanism) {
	case "":
	case "PLAIN":
		if opts.SASL.Username == "" || opts.SASL.Password == "" {
			return fail("SASL PLAIN needs a username and a password (Event Hubs: username $ConnectionString, password the connection string)")
		}
		kopts = append(kopts, kgo.SASL(plain.Auth{User: opts.SASL.Username, Pass: opts.SASL.Password}.AsMechanism()))
	default:
		return fail("SASL mechanism %q is not supported: want PLAIN", opts.SASL.Mechanism)
	}
	kopts = append(kopts, opts.kgoOpts...)
	return &Input{opts: opts, log: log, kopts: kopts, parts: make(map[topicPartition]PartitionStats)}, nil
}

func tlsConfig(opts Options) (*tls.Config, error) {
	if opts.TLSConfig != nil {
		return opts.TLSConfig.Clone(), nil
	}
	if !opts.TLS && opts.CAFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", opts.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Name implements source.Source.
func (in *Input) Name() string { return in.opts.Name }

// Run implements source.Source: it joins the consumer group and sends
// batches to out until ctx is done or a fatal error occurs (credentials,
// permissions or the brokers' certificate refused; other errors are logged
// and retried). Offsets are committed only after a batch's Ack(nil); Ack may
// be called from any goroutine. On return, the batches in flight were
// acknowledged or DrainTimeout passed; acknowledgements that come later are
// ignored (and counted in Stats.LateAcks).
func (in *Input) Run(ctx context.Context, out chan<- source.Batch) error {
	if !in.running.CompareAndSwap(false, true) {
		return fmt.Errorf("kafka input %s: already running", in.opts.Name)
	}
	defer in.running.Store(false)

	l := newLoop(in, out)
	kopts := append(slices.Clip(in.kopts), kgo.OnPartitionsRevoked(l.onRevoked), kgo.OnPartitionsLost(l.onLost))
	kopts = append(kopts, kgo.WithHooks(&connWatch{report: func(err error) {
		l.inbox.push(fatalEvent{explain(err, in.opts)})
	}}))
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return fmt.Errorf("kafka input %s: %w", in.opts.Name, err)
	}
	l.cl = cl
	err = l.run(ctx)
	// The loop has stopped: callbacks that leaving the group triggers
	// return at once.
	cl.CloseAllowingRebalance()
	in.partMu.Lock()
	clear(in.parts)
	in.partMu.Unlock()
	if err != nil {
		return fmt.Errorf("kafka input %s: %w", in.opts.Name, err)
	}
	return nil
}

// Stats are an input's counters since it was created.
type Stats struct {
	Records     int64 // records read (non-empty messages), each counted once however often delivered
	Bytes       int64 // bytes of those records
	Empty       int64 // messages with an empty value, skipped (and committed)
	Batches     int64 // batches sent, redeliveries included
	Acked       int64 // batches acknowledged with nil
	Failed      int64 // batches acknowledged with an error
	Redelivered int64 // batches sent again after an error
	Abandoned   int64 // batches given up unacknowledged at a revoke or stop (read again later)
	LateAcks    int64 // acknowledgements of batches already given up, ignored
	Commits     int64 // successful offset commits
	// CommitErrors counts failed offset commits; they are retried, and
	// records are at worst read again.
	CommitErrors int64
	FetchErrors  int64 // errors the client reported while fetching
	Revoked      int64 // partitions handed over in rebalances
	Lost         int64 // partitions lost (member evicted), uncommitted state dropped

	// Partitions holds the partitions assigned now, sorted.
	Partitions []PartitionStats
	// Lag is the sum of the partitions' lag.
	Lag int64
}

// PartitionStats describe one assigned partition.
type PartitionStats struct {
	Topic     string
	Partition int32
	// Committed is the next offset the group will read from after a
	// restart (the committed offset, or where this member started).
	Committed int64
	// HighWatermark is the partition's end offset at the last fetch.
	HighWatermark int64
	// Lag is HighWatermark - Committed: records not yet acknowledged.
	Lag int64
}

type counters struct {
	records, bytes, empty, batches, acked, failed, redelivered, abandoned, lateAcks atomic.Int64
	commits, commitErrors, fetchErrors, revoked, lost                               atomic.Int64
}

// Stats returns the counters and the assigned partitions' lag.
func (in *Input) Stats() Stats {
	c := &in.stats
	s := Stats{
		Records: c.records.Load(), Bytes: c.bytes.Load(), Empty: c.empty.Load(),
		Batches: c.batches.Load(), Acked: c.acked.Load(), Failed: c.failed.Load(),
		Redelivered: c.redelivered.Load(), Abandoned: c.abandoned.Load(), LateAcks: c.lateAcks.Load(),
		Commits: c.commits.Load(), CommitErrors: c.commitErrors.Load(), FetchErrors: c.fetchErrors.Load(),
		Revoked: c.revoked.Load(), Lost: c.lost.Load(),
	}
	in.partMu.Lock()
	for _, p := range in.parts {
		s.Partitions = append(s.Partitions, p)
	}
	in.partMu.Unlock()
	slices.SortFunc(s.Partitions, func(a, b PartitionStats) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
	for _, p := range s.Partitions {
		s.Lag += p.Lag
	}
	return s
}

// setPartition records a partition's committed offset and high watermark
// for Stats.
func (in *Input) setPartition(tp topicPartition, committed, hwm int64) {
	lag := max(hwm-committed, 0)
	in.partMu.Lock()
	in.parts[tp] = PartitionStats{Topic: tp.topic, Partition: tp.partition, Committed: committed, HighWatermark: hwm, Lag: lag}
	in.partMu.Unlock()
}

func (in *Input) dropPartition(tp topicPartition) {
	in.partMu.Lock()
	delete(in.parts, tp)
	in.partMu.Unlock()
}

// kgoLogger passes the Kafka client's messages to slog: its errors and
// warnings as such, its (chatty) info messages at debug level.
type kgoLogger struct{ l *slog.Logger }

func (k kgoLogger) Level() kgo.LogLevel {
	ctx := context.Background()
	switch {
	case k.l.Enabled(ctx, slog.LevelDebug):
		return kgo.LogLevelInfo
	case k.l.Enabled(ctx, slog.LevelWarn):
		return kgo.LogLevelWarn
	case k.l.Enabled(ctx, slog.LevelError):
		return kgo.LogLevelError
	}
	return kgo.LogLevelNone
}

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lvl := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		lvl = slog.LevelError
	case kgo.LogLevelWarn:
		lvl = slog.LevelWarn
	}
	k.l.Log(context.Background(), lvl, "kafka client: "+msg, keyvals...)
}

// fatal reports whether a client error cannot heal by itself: refused
// credentials or permissions, or an untrusted certificate.
func fatal(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	return isAuthError(err) || errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr)
}
