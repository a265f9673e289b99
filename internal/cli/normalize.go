package cli

import (
	"bufio"
	"fmt"
	"runtime"
	"time"

	"github.com/vigil-project/vigil/internal/event"

	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/normalize"
)

const normalizeSynopsis = `normalize [--source SOURCE] [--ingested now|T] [--geoip-db FILE]... [--geoip-ecs] PATH...

Turns raw cloud log records into the ECS documents Elastic's integrations index, as NDJSON on stdout.
Azure records are read from diagnostic-settings exports (Event Hub {"records":[...]} batches,
storage-account JSON lines) and activity logs also from 'az monitor activity-log list' / portal JSON
exports. Each raw record goes to the data stream its category routes it to, as Elastic's Azure
integration does: activity logs, Entra ID sign-in logs (SignInLogs, NonInteractiveUserSignInLogs,
ServicePrincipalSignInLogs, ManagedIdentitySignInLogs), audit logs (AuditLogs), identity protection
(RiskyUsers, UserRiskEvents), Microsoft Graph and Azure AD Graph activity logs, and any other
category as platform (resource) logs, such as AKS kube-audit.
Records already in ECS pass through unchanged (unless --geoip-ecs). PATH '-' (or none) is stdin.
With --geoip-db (GeoLite2/DB-IP City, Country, ASN), addresses are looked up as Elastic's
pipelines do: for Azure activity logs, geo.*, source.geo.* and source.as.* from source.ip.

Example:
  vigil normalize testdata/sample/azure-activity.json > ecs.ndjson`

func runNormalize(env *Env, args []string) int {
	fs := newFlagSet(env, "normalize", normalizeSynopsis)
	source := fs.String("source", "auto", "record kind: auto (detect per record, route by category), azure (every record is raw Azure, routed by category), "+
		"or one data stream for every record: azure-activity, azure-signinlogs, azure-auditlogs, azure-identity-protection, "+
		"azure-graphactivitylogs, azure-aadgraphactivitylogs, azure-platformlogs; or ecs")
	ingested := fs.String("ingested", "", "set event.ingested: 'now' or an RFC 3339 time (default: leave it out, as batch ingestion of files would)")
	var geo geoipFlags
	addGeoIPFlags(fs, &geo)
	paths, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	src, err := normalize.ParseSource(*source)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil normalize: --source: %v\n", err)
		return exitUsage
	}
	dbs, err := geo.load()
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil normalize: %v\n", err)
		return exitUsage
	}
	defer dbs.Close()
	opts := normalize.Options{GeoIP: dbs, GeoIPECS: *geo.ecs}
	switch *ingested {
	case "":
	case "now":
		opts.Ingested = env.Now()
	default:
		t, err := time.Parse(time.RFC3339Nano, *ingested)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil normalize: --ingested %q: use 'now' or an RFC 3339 time such as 2026-03-14T09:00:00Z\n", *ingested)
			return exitUsage
		}
		opts.Ingested = t
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	docBufs := make(chan []byte, runtime.GOMAXPROCS(0)*4+1) // chunks' document buffers, to write into again
	batchGC()
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	records, bad := 0, 0
	// The hunt's pipeline: blocks of lines cut, validated and normalized
	// on every core, written back in input order.
	pl := &pipeline{
		env: env, cmd: "normalize", jobs: runtime.GOMAXPROCS(0), plan: event.NewPlan(), checks: true,
		record: func(w *worker, c *chunk, rec input.Record) {
			// The record is read once (checked as the pipeline's scan
			// would, then normalized from that walk); the documents go
			// one after the other into the chunk's buffer (one reused
			// allocation, not one a record).
			if err := w.raw.Read(rec.Data); err != nil {
				// The scan's own error, from the same scanner.
				w.ev.Reset(rec.Data)
				w.bad(c, rec, w.ev.Err())
				return
			}
			if c.docs == nil {
				select {
				case c.docs = <-docBufs:
				default:
					// An ECS document holds event.original besides
					// the fields: 3.5 times its raw activity record.
					c.docs = make([]byte, 0, 4*c.bytes+4096)
				}
			}
			var warnings []string
			var err error
			c.docs, warnings, err = w.raw.Append(c.docs, src, opts)
			if err == nil {
				// One document a line: the chunk's documents are
				// written in one go, as they are.
				c.docs = append(c.docs, '\n')
				c.events++
			}
			if len(warnings) == 0 && err == nil {
				return // nothing to report: no outcome
			}
			o := outcome{warns: warnings, where: rec.Location()}
			if err != nil {
				o.problem = fmt.Sprintf("%s: %v (record skipped)", o.where, err)
			}
			c.outcomes = append(c.outcomes, o)
		},
		onChunk: func(c *chunk) error {
			defer func() {
				select {
				case docBufs <- c.docs[:0]:
				default:
				}
			}()
			// Warnings and records skipped, in input order; a skipped
			// record left nothing in c.docs.
			for _, o := range c.outcomes {
				for _, warn := range o.warns {
					fmt.Fprintf(env.Stderr, "vigil normalize: %s: warning: %s\n", o.where, warn)
				}
				if o.problem != "" {
					bad++
					fmt.Fprintf(env.Stderr, "vigil normalize: %s\n", o.problem)
				}
			}
			records += c.events
			// A write larger than the buffer, with nothing buffered,
			// goes to the file directly: one system call a chunk.
			_, err := w.Write(c.docs)
			return err
		},
	}
	if err := pl.run(paths); err != nil {
		fmt.Fprintf(env.Stderr, "vigil normalize: writing: %v\n", err)
		return exitFailure
	}
	if bad > 0 {
		fmt.Fprintf(env.Stderr, "vigil normalize: %s written, %d failed\n", plural(records, "record"), bad)
		return exitFailure
	}
	return exitOK
}
