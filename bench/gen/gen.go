// Package gen writes the benchmark's events: a deterministic (seeded) mix
// of realistic cloud and endpoint logs, as NDJSON.
//
// A data set mixes ECS documents as Elastic's integrations index them (Azure
// activity, sign-in and audit logs; Elastic Defend process events) with raw
// Azure activity-log records in the Event Hub envelope {"records":[...]},
// which Vigil normalizes on the way in. About one event in a hundred is
// planted to match a detection rule: the seed rule (a successful VM Run
// Command), the other rules of Vigil's built-in pack, and a few query rules
// of Elastic's detection-rules corpus. Stats.Planted says which and how many.
//
// The output depends only on Options: the same seed and count give the same
// bytes on every platform.
package gen

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// Options of a data set. Zero fields take the defaults given.
type Options struct {
	Seed   uint64 // default 1
	Events int    // events (records) to write; default 1,000,000
	// Raw writes only raw Azure activity-log records, in Event Hub
	// envelopes of one to four records per line, as a diagnostic-settings
	// export holds them: the input of `vigil normalize`.
	Raw bool
	// RawStream, with Raw, writes raw records of another Azure stream
	// instead: RawSignIn (Entra ID SignInLogs) or RawAudit (AuditLogs),
	// as their diagnostic settings export them. Empty: activity logs.
	RawStream string
	Start     time.Time     // earliest @timestamp; default 2026-03-12T00:00:00Z
	Span      time.Duration // the time the events spread over; default 72h
}

// Stats describes what Write wrote.
type Stats struct {
	Events int   // records; an envelope line holds several
	Lines  int   // NDJSON lines
	Bytes  int64 // uncompressed
	// ByKind counts events by kind: the data set (data_stream.dataset) of
	// the ECS documents, and "raw azure activity" for envelope records.
	ByKind map[string]int
	// Planted counts the events written to match a rule, by the rule's
	// file: rules/azure/*.toml for Vigil's built-in pack,
	// detection-rules/rules/... for Elastic's corpus. A Run Command planted
	// as its three raw records counts once.
	Planted map[string]int
}

// The raw streams besides activity logs (Options.RawStream).
const (
	RawSignIn = "signin"
	RawAudit  = "audit"
)

const (
	defaultEvents = 1_000_000
	rawKind       = "raw azure activity"
)

// Write writes a data set to w as NDJSON.
func Write(w io.Writer, o Options) (Stats, error) {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Events <= 0 {
		o.Events = defaultEvents
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	}
	if o.Span <= 0 {
		o.Span = 72 * time.Hour
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x76696769_6c62656e)) // "vigilben"
	g := &generator{
		r: r, o: o, p: newPools(r), w: bufio.NewWriterSize(w, 1<<20),
		stats: Stats{ByKind: map[string]int{}, Planted: map[string]int{}},
	}
	for g.stats.Events < o.Events && g.err == nil {
		switch {
		case o.Raw && (o.RawStream == RawSignIn || o.RawStream == RawAudit):
			g.rawEntraLine(o.RawStream)
		case o.Raw:
			g.rawLine()
		default:
			g.mixedLine()
		}
	}
	if g.err == nil {
		g.err = g.w.Flush()
	}
	return g.stats, g.err
}

// WriteFile writes a data set to path, gzip-compressed when the name ends
// in .gz.
func WriteFile(path string, o Options) (Stats, error) {
	f, err := os.Create(path)
	if err != nil {
		return Stats{}, err
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
		w = zw
	}
	st, err := Write(w, o)
	if zw != nil {
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("writing %s: %w", path, err)
	}
	return st, nil
}

type generator struct {
	r     *rand.Rand
	o     Options
	p     *pools
	w     *bufio.Writer
	d     doc
	stats Stats
	err   error
}

// now returns the time of the next event: events spread evenly over the
// span in the order written, with up to two minutes of jitter.
func (g *generator) now() time.Time {
	step := g.o.Span / time.Duration(g.o.Events)
	return g.o.Start.Add(step*time.Duration(g.stats.Events) + time.Duration(g.r.IntN(120_000))*time.Millisecond)
}

// ingested is when Elastic indexed an event of time t: 15 s to 5 min later.
func (g *generator) ingested(t time.Time) time.Time {
	return t.Add(15*time.Second + time.Duration(g.r.IntN(285_000))*time.Millisecond)
}

// emit writes the document built in g.d as one line of events records.
func (g *generator) emit(kind string, events int) {
	g.d.b = append(g.d.b, '\n')
	if _, err := g.w.Write(g.d.b); err != nil && g.err == nil {
		g.err = err
	}
	g.stats.Lines++
	g.stats.Bytes += int64(len(g.d.b))
	g.stats.Events += events
	g.stats.ByKind[kind] += events
	g.d.reset()
}

func (g *generator) remaining() int { return g.o.Events - g.stats.Events }

// Background traffic of a mixed data set, in percent of the lines drawn.
// An envelope line holds one to three records, so of 1,000,000 events
// about 28% are ECS activity logs, 18% raw records, 16% sign-ins, 7% audit
// logs and 31% process events.
const (
	shareActivity = 30
	shareRaw      = 10
	shareSignin   = 18
	shareAudit    = 8
	// the rest (34) is endpoint process events
)

// plantUnits is the scale of plant weights: a weight of 100 plants one
// event in a thousand.
const plantUnits = 100_000

func (g *generator) mixedLine() {
	u := g.r.IntN(plantUnits)
	for _, p := range plants {
		if u < p.weight {
			p.write(g, p.rule)
			return
		}
		u -= p.weight
	}
	t := g.now()
	switch n := g.r.IntN(100); {
	case n < shareActivity:
		op := g.backgroundOp()
		a := g.newActivity(t, op, g.backgroundResult(op), false)
		g.writeECS(&g.d, &a)
		g.emit("azure.activitylogs", 1)
	case n < shareActivity+shareRaw:
		g.rawEnvelope(t, 1+g.r.IntN(3))
	case n < shareActivity+shareRaw+shareSignin:
		s := g.newSignin(t)
		g.writeSignin(&g.d, &s)
		g.emit("azure.signinlogs", 1)
	case n < shareActivity+shareRaw+shareSignin+shareAudit:
		a := g.newAudit(t)
		g.writeAudit(&g.d, &a)
		g.emit("azure.auditlogs", 1)
	default:
		p := g.newProcess(t)
		g.writeProcess(&g.d, &p)
		g.emit("endpoint.events.process", 1)
	}
}

// rawEnvelope writes an envelope of up to n background records.
func (g *generator) rawEnvelope(t time.Time, n int) {
	n = min(n, g.remaining())
	g.d.open("")
	g.d.openArray("records")
	for i := range n {
		op := g.backgroundOp()
		a := g.newActivity(t.Add(time.Duration(i*350)*time.Millisecond), op, g.backgroundResult(op), false)
		g.writeRaw(&g.d, &a)
	}
	g.d.closeArray()
	g.d.close()
	g.emit(rawKind, n)
}

// rawLine writes one line of a raw data set: an envelope of one to four
// records, some of them planted.
func (g *generator) rawLine() {
	t := g.now()
	if g.r.IntN(plantUnits) < rawRunCommandWeight*4 {
		g.runCommandTriple(t, "rules/azure/execution_vm_run_command")
		return
	}
	n := min(1+g.r.IntN(4), g.remaining())
	g.d.open("")
	g.d.openArray("records")
	for i := range n {
		ti := t.Add(time.Duration(i*350) * time.Millisecond)
		op, result, rule := g.backgroundOp(), "", ""
		if u := g.r.IntN(plantUnits); u < rawPlantTotal {
			for _, p := range activityPlants {
				if u < p.weight {
					op, result, rule = p.op, "Success", p.rule
					break
				}
				u -= p.weight
			}
		}
		if result == "" {
			result = g.backgroundResult(op)
		}
		a := g.newActivity(ti, op, result, op.name == opCustomScript.name && result == "Success")
		g.writeRaw(&g.d, &a)
		if rule != "" {
			g.stats.Planted[rule]++
		}
	}
	g.d.closeArray()
	g.d.close()
	g.emit(rawKind, n)
}

// runCommandTriple writes the three records of one successful Run Command
// in one envelope: Start, Accept, then Success, which alone alerts.
func (g *generator) runCommandTriple(t time.Time, rule string) {
	if g.remaining() < 3 {
		a := g.newActivity(t, opRunCommand, "Success", true)
		g.d.open("")
		g.d.openArray("records")
		g.writeRaw(&g.d, &a)
		g.d.closeArray()
		g.d.close()
		g.stats.Planted[rule]++
		g.emit(rawKind, 1)
		return
	}
	a := g.newActivity(t, opRunCommand, "Start", true)
	g.d.open("")
	g.d.openArray("records")
	for i, result := range []string{"Start", "Accept", "Success"} {
		a.result, a.t = result, t.Add(time.Duration(i)*(2*time.Second+time.Duration(g.r.IntN(20_000))*time.Millisecond))
		if result != "Start" {
			a.durationMs = g.r.IntN(40_000)
		}
		g.writeRaw(&g.d, &a)
	}
	g.d.closeArray()
	g.d.close()
	g.stats.Planted[rule]++
	g.emit(rawKind, 3)
}
