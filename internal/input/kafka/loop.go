package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vigil-project/vigil/internal/source"
)

// How the input works: three goroutines around one event loop.
//
//   - The poller polls the client and hands each poll's fetches to the loop,
//     waiting until the loop has queued them before it lets a rebalance run
//     (kgo.BlockRebalanceOnPoll), so a rebalance always sees every record
//     polled so far.
//   - The loop owns all state. It splits a partition's records into chunks
//     (one batch each), sends at most one batch per partition at a time,
//     pauses fetching of a partition while it has chunks queued, resends a
//     failed batch after a backoff, and asks for commits as batches are
//     acknowledged.
//   - The committer runs one commit at a time, so the loop never blocks on
//     the network except to commit before handing partitions over.
//
// Acknowledgements, commit results, retry timers and rebalance callbacks
// reach the loop through its inbox, which never blocks the sender.

type topicPartition struct {
	topic     string
	partition int32
}

func (tp topicPartition) String() string { return fmt.Sprintf("%s/%d", tp.topic, tp.partition) }

type chunkState uint8

const (
	queued  chunkState = iota // behind the partition's batch in flight
	ready                     // first of its partition, waiting to be sent
	sent                      // in flight, waiting for its acknowledgement
	backoff                   // failed, waiting to be sent again
	done                      // acknowledged, or given up
)

// chunk is a run of one partition's messages, sent as one batch.
type chunk struct {
	part       *partition
	records    []source.Record
	first, end int64 // offsets [first, end), empty messages included
	epoch      int32 // leader epoch of the last message
	empty      int   // messages skipped for an empty value
	attempt    int   // failed deliveries so far
	state      chunkState
	batch      source.Batch
	timer      *time.Timer // backoff
}

func (c *chunk) offsets() string { return fmt.Sprintf("%d-%d", c.first, c.end-1) }

// partition is an assigned partition that records were read from.
type partition struct {
	tp        topicPartition
	queue     []*chunk        // in offset order; only the first is ever sent
	acked     kgo.EpochOffset // end of the last acknowledged chunk; Offset -1 = none
	committed int64           // offset known committed, or where this member started
	hwm       int64
	paused    bool
	revoking  bool
}

type (
	fetchEvent struct {
		fetches kgo.Fetches
		done    chan struct{}
	}
	ackEvent struct {
		c       *chunk
		attempt int
		err     error
	}
	retryEvent struct {
		c       *chunk
		attempt int
	}
	handOverEvent struct {
		parts map[string][]int32
		lost  bool
		done  chan struct{}
	}
	commitReq struct {
		recs  []*kgo.Record
		reply chan commitResult // nil: answer through the inbox
	}
	commitResult struct {
		recs []*kgo.Record
		err  error
	}
	commitKick struct{}
	fatalEvent struct{ err error }
)

// inbox is an unbounded queue whose push never blocks.
type inbox struct {
	mu    sync.Mutex
	items []any
	wake  chan struct{}
}

func (b *inbox) push(ev any) {
	b.mu.Lock()
	b.items = append(b.items, ev)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *inbox) take() []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}

type revocation struct {
	ev      handOverEvent
	parts   []*partition
	waiting map[topicPartition]bool // partitions with a batch in flight
	timer   *time.Timer
}

type loop struct {
	in  *Input
	cl  *kgo.Client
	out chan<- source.Batch
	log *slog.Logger

	inbox inbox
	done  chan struct{} // closed once the loop takes no more events

	parts    map[topicPartition]*partition
	ready    []*chunk // chunks waiting to be sent, in the order they became ready
	inflight int

	commits     chan commitReq
	committing  bool // an asynchronous commit is under way
	commitHold  bool // a commit failed: wait for the retry kick
	commitFails int

	revoke   *revocation
	stopping bool
	fatalErr error
}

func newLoop(in *Input, out chan<- source.Batch) *loop {
	return &loop{
		in:      in,
		out:     out,
		log:     in.log,
		inbox:   inbox{wake: make(chan struct{}, 1)},
		done:    make(chan struct{}),
		parts:   make(map[topicPartition]*partition),
		commits: make(chan commitReq, 1),
	}
}

func (l *loop) run(ctx context.Context) error {
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	pollerDone := make(chan struct{})
	go l.poll(pollCtx, pollerDone)
	committerDone := make(chan struct{})
	go l.committer(context.WithoutCancel(ctx), committerDone)

	ctxDone := ctx.Done()
	var drain *time.Timer
	var drainC <-chan time.Time
	stop := func() {
		l.stopping = true
		stopPoll()
		for _, p := range l.parts {
			for _, c := range append([]*chunk(nil), p.queue...) {
				if c.state != sent {
					l.abandon(c)
				}
			}
		}
		l.ready = nil
		drain = time.NewTimer(l.in.opts.DrainTimeout)
		drainC = drain.C
	}
loop:
	for {
		if l.fatalErr != nil && !l.stopping {
			stop()
		}
		if l.stopping && l.inflight == 0 {
			break
		}
		var outC chan<- source.Batch
		var next *chunk
		if !l.stopping {
			if next = l.nextReady(); next != nil {
				outC = l.out
			}
		}
		var revokeC <-chan time.Time
		if l.revoke != nil {
			revokeC = l.revoke.timer.C
		}
		var b source.Batch
		if next != nil {
			b = next.batch
		}
		select {
		case <-ctxDone:
			ctxDone = nil
			stop()
		case <-drainC:
			l.log.Warn("stopping with batches unacknowledged; they will be read again", "batches", l.inflight, "waited", l.in.opts.DrainTimeout)
			break loop
		case <-l.inbox.wake:
			for _, ev := range l.inbox.take() {
				l.handle(ev)
			}
		case outC <- b:
			l.ready = l.ready[1:]
			next.state = sent
			l.inflight++
			l.in.stats.batches.Add(1)
			if next.attempt > 0 {
				l.in.stats.redelivered.Add(1)
			}
		case <-revokeC:
			l.finishRevoke(true)
		}
		l.maybeCommit()
	}
	if drain != nil {
		drain.Stop()
	}
	if l.revoke != nil {
		l.finishRevoke(true)
	}
	for _, p := range l.parts {
		for _, c := range append([]*chunk(nil), p.queue...) {
			l.abandon(c)
		}
	}
	if recs := l.toCommit(nil); len(recs) > 0 {
		l.applyCommit(l.syncCommit(recs))
	}
	close(l.done)
	stopPoll()
	<-pollerDone
	close(l.commits)
	<-committerDone
	return l.fatalErr
}

func (l *loop) handle(ev any) {
	switch ev := ev.(type) {
	case fetchEvent:
		l.onFetch(ev.fetches)
		close(ev.done)
	case ackEvent:
		l.onAck(ev)
	case retryEvent:
		if ev.c.state == backoff && ev.c.attempt == ev.attempt {
			l.makeReady(ev.c)
		}
	case handOverEvent:
		l.onHandOver(ev)
	case commitResult:
		l.committing = false
		l.applyCommit(ev)
	case commitKick:
		l.commitHold = false
	case fatalEvent:
		if l.fatalErr == nil {
			l.fatalErr = ev.err
		}
	}
}

// poll runs the client's polls; see the comment at the top of the file.
func (l *loop) poll(ctx context.Context, pollerDone chan<- struct{}) {
	defer close(pollerDone)
	wait := time.Duration(0)
	for {
		fs := l.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			l.cl.AllowRebalance()
			return
		}
		handled := make(chan struct{})
		l.inbox.push(fetchEvent{fetches: fs, done: handled})
		select {
		case <-handled:
		case <-l.done:
		}
		l.cl.AllowRebalance()
		// A poll with errors only: pause before polling again, so a
		// persistent error cannot spin.
		if fs.NumRecords() > 0 || len(fs.Errors()) == 0 {
			wait = 0
			continue
		}
		wait = min(max(2*wait, 50*time.Millisecond), 5*time.Second)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (l *loop) onFetch(fs kgo.Fetches) {
	fs.EachError(func(topic string, partition int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
			return
		}
		l.in.stats.fetchErrors.Add(1)
		if fatal(err) {
			if l.fatalErr == nil {
				l.fatalErr = explain(err, l.in.opts)
			}
			return
		}
		where := "client"
		if topic != "" {
			where = topicPartition{topic, partition}.String()
		}
		l.log.Warn("kafka fetch error", "where", where, "error", err)
	})
	if l.stopping {
		// Not queued, not committed: read again after a restart.
		return
	}
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		if len(fp.Records) == 0 {
			return
		}
		tp := topicPartition{fp.Topic, fp.Partition}
		p := l.parts[tp]
		if p == nil {
			p = &partition{tp: tp, acked: kgo.EpochOffset{Epoch: -1, Offset: -1}, committed: fp.Records[0].Offset}
			l.parts[tp] = p
		}
		if p.revoking {
			// Rebalances wait for polls to be handled, so this does not
			// happen; were it to, the next owner reads the records.
			return
		}
		p.hwm = max(p.hwm, fp.HighWatermark)
		l.enqueue(p, fp.Records)
		l.in.setPartition(tp, p.committed, p.hwm)
	})
}

// enqueue splits a partition's polled records into chunks.
func (l *loop) enqueue(p *partition, recs []*kgo.Record) {
	idle := len(p.queue) == 0
	limit := l.in.opts.MaxBatchRecords
	var c *chunk
	var added []*chunk
	for _, r := range recs {
		if c == nil || len(c.records) == limit {
			c = &chunk{part: p, first: r.Offset}
			added = append(added, c)
		}
		c.end = r.Offset + 1
		c.epoch = r.LeaderEpoch
		if len(r.Value) == 0 {
			c.empty++
			continue
		}
		c.records = append(c.records, source.Record{
			Data:   r.Value,
			Index:  l.in.opts.Index,
			Origin: fmt.Sprintf("kafka %s/%d@%d", r.Topic, r.Partition, r.Offset),
		})
		l.in.stats.bytes.Add(int64(len(r.Value)))
	}
	for _, c := range added {
		l.in.stats.records.Add(int64(len(c.records)))
		if c.empty > 0 {
			l.in.stats.empty.Add(int64(c.empty))
			l.log.Warn("skipped messages with an empty value", "partition", p.tp, "offsets", c.offsets(), "count", c.empty)
		}
	}
	p.queue = append(p.queue, added...)
	if idle {
		l.advance(p)
	}
	if len(p.queue) > 0 && !p.paused {
		// Records the client buffered for a paused partition are
		// dropped and fetched again from its position on resuming.
		l.cl.PauseFetchPartitions(map[string][]int32{p.tp.topic: {p.tp.partition}})
		p.paused = true
	}
}

// advance readies the partition's first chunk, or, when nothing is queued,
// resumes fetching the partition. Chunks of empty messages only are
// acknowledged on the spot.
func (l *loop) advance(p *partition) {
	for len(p.queue) > 0 {
		h := p.queue[0]
		if h.state != queued {
			return
		}
		if len(h.records) == 0 {
			h.state = done
			p.queue = p.queue[1:]
			p.acked = kgo.EpochOffset{Epoch: h.epoch, Offset: h.end}
			continue
		}
		l.makeReady(h)
		return
	}
	if p.paused {
		l.cl.ResumeFetchPartitions(map[string][]int32{p.tp.topic: {p.tp.partition}})
		p.paused = false
	}
}

func (l *loop) makeReady(c *chunk) {
	c.state = ready
	attempt := c.attempt
	var acked atomic.Bool
	c.batch = source.Batch{Records: c.records, Ack: func(err error) {
		if acked.Swap(true) {
			l.log.Error("batch acknowledged twice; the second acknowledgement is ignored", "partition", c.part.tp, "offsets", c.offsets())
			return
		}
		select {
		case <-l.done: // Run returned: the batch was given up
			l.in.stats.lateAcks.Add(1)
			return
		default:
		}
		l.inbox.push(ackEvent{c: c, attempt: attempt, err: err})
	}}
	l.ready = append(l.ready, c)
}

func (l *loop) nextReady() *chunk {
	for len(l.ready) > 0 && l.ready[0].state != ready {
		l.ready = l.ready[1:]
	}
	if len(l.ready) == 0 {
		return nil
	}
	return l.ready[0]
}

func (l *loop) onAck(ev ackEvent) {
	c := ev.c
	if c.state != sent || c.attempt != ev.attempt {
		l.in.stats.lateAcks.Add(1)
		return
	}
	l.inflight--
	p := c.part
	if ev.err == nil {
		l.in.stats.acked.Add(1)
		c.state = done
		p.queue = p.queue[1:]
		p.acked = kgo.EpochOffset{Epoch: c.epoch, Offset: c.end}
		if !p.revoking {
			l.advance(p)
		}
		l.revoked(p)
		return
	}
	l.in.stats.failed.Add(1)
	c.attempt++
	if p.revoking || l.stopping {
		l.log.Warn("batch failed while its partition is handed over; it will be read again", "partition", p.tp, "offsets", c.offsets(), "error", ev.err)
		l.in.stats.abandoned.Add(1)
		c.state = done
		p.queue = p.queue[1:]
		l.revoked(p)
		return
	}
	wait := l.in.opts.RetryBackoff << min(c.attempt-1, 16)
	wait = min(wait, maxRetryBackoff)
	l.log.Warn("batch failed; it will be sent again", "partition", p.tp, "offsets", c.offsets(), "attempt", c.attempt, "retry_in", wait, "error", ev.err)
	c.state = backoff
	attempt := c.attempt
	c.timer = time.AfterFunc(wait, func() { l.inbox.push(retryEvent{c: c, attempt: attempt}) })
}

// abandon gives a chunk up without acknowledgement: it is read again by
// whoever consumes the partition next.
func (l *loop) abandon(c *chunk) {
	switch c.state {
	case done:
		return
	case sent:
		l.inflight--
		l.in.stats.abandoned.Add(1)
	case backoff:
		c.timer.Stop()
	}
	c.state = done
	p := c.part
	for i, q := range p.queue {
		if q == c {
			p.queue = append(p.queue[:i], p.queue[i+1:]...)
			break
		}
	}
}

// onRevoked and onLost are the group's callbacks. They run on the client's
// goroutine, after the poller released the last poll.
func (l *loop) onRevoked(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	l.handOver(parts, false)
}

func (l *loop) onLost(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	l.handOver(parts, true)
}

func (l *loop) handOver(parts map[string][]int32, lost bool) {
	if len(parts) == 0 {
		return
	}
	select {
	case <-l.done:
		return
	default:
	}
	handled := make(chan struct{})
	l.inbox.push(handOverEvent{parts: parts, lost: lost, done: handled})
	select {
	case <-handled:
	case <-l.done:
	}
}

// onHandOver starts giving partitions up. Revoked partitions wait (at most
// DrainTimeout) for their batch in flight and commit; lost ones are dropped
// at once, since the group has moved on and a commit would fail.
func (l *loop) onHandOver(ev handOverEvent) {
	if ev.lost {
		for topic, ps := range ev.parts {
			for _, n := range ps {
				if p := l.parts[topicPartition{topic, n}]; p != nil {
					l.in.stats.lost.Add(1)
					l.log.Warn("partition lost; what was not committed will be read again", "partition", p.tp, "committed", p.committed)
					l.remove(p)
				}
			}
		}
		close(ev.done)
		return
	}
	if l.revoke != nil {
		// The client runs one callback at a time; be safe anyway.
		l.finishRevoke(true)
	}
	rv := &revocation{ev: ev, waiting: make(map[topicPartition]bool), timer: time.NewTimer(l.in.opts.DrainTimeout)}
	for topic, ps := range ev.parts {
		for _, n := range ps {
			p := l.parts[topicPartition{topic, n}]
			if p == nil {
				continue
			}
			p.revoking = true
			rv.parts = append(rv.parts, p)
			for _, c := range append([]*chunk(nil), p.queue...) {
				if c.state == sent {
					rv.waiting[p.tp] = true
				} else {
					l.abandon(c)
				}
			}
		}
	}
	l.revoke = rv
	l.finishRevoke(false)
}

// revoked notes that a revoking partition has no batch in flight any more.
func (l *loop) revoked(p *partition) {
	if l.revoke != nil && l.revoke.waiting[p.tp] {
		delete(l.revoke.waiting, p.tp)
		l.finishRevoke(false)
	}
}

// finishRevoke commits the revoked partitions and lets the rebalance go on,
// once no batch of theirs is in flight or, when forced, at once.
func (l *loop) finishRevoke(force bool) {
	rv := l.revoke
	if len(rv.waiting) > 0 && !force {
		return
	}
	for tp := range rv.waiting {
		p := l.parts[tp]
		for _, c := range append([]*chunk(nil), p.queue...) {
			l.log.Warn("partition handed over before its batch was acknowledged; the next owner reads it again", "partition", tp, "offsets", c.offsets(), "waited", l.in.opts.DrainTimeout)
			l.abandon(c)
		}
	}
	rv.timer.Stop()
	revoking := func(p *partition) bool { return p.revoking }
	if recs := l.toCommit(revoking); len(recs) > 0 {
		l.applyCommit(l.syncCommit(recs))
	}
	for _, p := range rv.parts {
		l.in.stats.revoked.Add(1)
		l.remove(p)
	}
	l.revoke = nil
	close(rv.ev.done)
}

// remove forgets a partition; anything of it not committed is read again by
// its next owner.
func (l *loop) remove(p *partition) {
	for _, c := range append([]*chunk(nil), p.queue...) {
		l.abandon(c)
	}
	if p.paused {
		// Pausing outlives the assignment; were the partition assigned
		// here again, it must be fetched.
		l.cl.ResumeFetchPartitions(map[string][]int32{p.tp.topic: {p.tp.partition}})
	}
	delete(l.parts, p.tp)
	l.in.dropPartition(p.tp)
}

// toCommit lists, as records whose offset+1 is committed, the acknowledged
// offsets not yet committed of the partitions keep selects (nil: all).
func (l *loop) toCommit(keep func(*partition) bool) []*kgo.Record {
	var recs []*kgo.Record
	for _, p := range l.parts {
		if p.acked.Offset > p.committed && (keep == nil || keep(p)) {
			recs = append(recs, &kgo.Record{Topic: p.tp.topic, Partition: p.tp.partition, Offset: p.acked.Offset - 1, LeaderEpoch: p.acked.Epoch})
		}
	}
	return recs
}

func (l *loop) maybeCommit() {
	if l.committing || l.commitHold {
		return
	}
	recs := l.toCommit(nil)
	if len(recs) == 0 {
		return
	}
	l.committing = true
	// Never blocks: the committer is idle and the channel empty while
	// no asynchronous commit is under way.
	l.commits <- commitReq{recs: recs}
}

// syncCommit commits through the committer, after any commit under way, and
// waits for the result.
func (l *loop) syncCommit(recs []*kgo.Record) commitResult {
	reply := make(chan commitResult, 1)
	l.commits <- commitReq{recs: recs, reply: reply}
	return <-reply
}

func (l *loop) applyCommit(res commitResult) {
	if res.err != nil {
		l.in.stats.commitErrors.Add(1)
		l.commitFails++
		wait := min(l.in.opts.RetryBackoff<<min(l.commitFails-1, 16), maxRetryBackoff)
		l.log.Warn("offset commit failed; it is retried, and at worst records are read again", "offsets", describeOffsets(res.recs), "retry_in", wait, "error", res.err)
		if !l.commitHold {
			l.commitHold = true
			time.AfterFunc(wait, func() { l.inbox.push(commitKick{}) })
		}
		return
	}
	l.in.stats.commits.Add(1)
	l.commitFails = 0
	for _, r := range res.recs {
		p := l.parts[topicPartition{r.Topic, r.Partition}]
		if p != nil && r.Offset+1 > p.committed {
			p.committed = r.Offset + 1
			l.in.setPartition(p.tp, p.committed, p.hwm)
		}
	}
}

// committer runs commits one at a time, in order.
func (l *loop) committer(ctx context.Context, committerDone chan<- struct{}) {
	defer close(committerDone)
	for req := range l.commits {
		timeout := commitTimeout
		if req.reply != nil {
			// A commit before a hand-over or a stop is waited for.
			timeout = min(commitTimeout, l.in.opts.DrainTimeout)
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := l.cl.CommitRecords(cctx, req.recs...)
		cancel()
		res := commitResult{recs: req.recs, err: err}
		if req.reply != nil {
			req.reply <- res
		} else {
			l.inbox.push(res)
		}
	}
}

func describeOffsets(recs []*kgo.Record) string {
	s := ""
	for i, r := range recs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset+1)
	}
	return s
}

func isAuthError(err error) bool {
	if errors.Is(err, errCredentials) {
		return true
	}
	for _, e := range []error{kerr.SaslAuthenticationFailed, kerr.UnsupportedSaslMechanism, kerr.IllegalSaslState,
		kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed, kerr.ClusterAuthorizationFailed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// saslHangups is how many times in a row brokers may close the connection
// in reply to the SASL credentials before Run gives up.
const saslHangups = 3

// connWatch is a client hook that stops Run on connection errors that do
// not heal: a refused certificate or refused credentials. The client itself
// would retry them forever, saying nothing.
type connWatch struct {
	hangups  atomic.Int32
	reported atomic.Bool
	report   func(error)
}

func (w *connWatch) fail(err error) {
	if !w.reported.Swap(true) {
		w.report(err)
	}
}

// OnBrokerConnect sees dial, TLS handshake and SASL errors.
func (w *connWatch) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil && fatal(err) {
		w.fail(fmt.Errorf("broker %s:%d: %w", meta.Host, meta.Port, err))
	}
}

// OnBrokerRead notices brokers closing the connection instead of answering
// the SASL credentials, as some do when they refuse them (others answer
// SASL_AUTHENTICATION_FAILED, which OnBrokerConnect sees).
func (w *connWatch) OnBrokerRead(meta kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	const saslAuthenticate = 36 // the request's key
	if key != saslAuthenticate || errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
		return
	}
	if err == nil {
		w.hangups.Store(0)
		return
	}
	if w.hangups.Add(1) == saslHangups {
		w.fail(fmt.Errorf("%w: broker %s:%d closed the connection %d times in a row in reply to them (%v)",
			errCredentials, meta.Host, meta.Port, saslHangups, err))
	}
}

var errCredentials = errors.New("SASL credentials refused")

// explain turns a fatal client error into one that says what to check.
func explain(err error, opts Options) error {
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.IllegalSaslState), errors.Is(err, errCredentials):
		return fmt.Errorf("brokers %v refused the SASL credentials (%s): check the username and password (Event Hubs: username $ConnectionString, password the connection string): %w", opts.Brokers, opts.SASL, err)
	case errors.Is(err, kerr.UnsupportedSaslMechanism):
		return fmt.Errorf("brokers %v do not accept SASL mechanism %q: %w", opts.Brokers, opts.SASL.Mechanism, err)
	case isAuthError(err):
		return fmt.Errorf("not authorized to read topics %v in group %q: grant the user read on them: %w", opts.Topics, opts.Group, err)
	}
	return fmt.Errorf("TLS with brokers %v: the certificate is not trusted (set the CA file, or check the broker's host name): %w", opts.Brokers, err)
}
