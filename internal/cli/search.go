package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
)

const searchSynopsis = `search [--count] [--explain] [--index NAME] 'KQL' [PATH...]

Prints the events that match a KQL query, as NDJSON, like grep for KQL. Matching follows
Elasticsearch per field type (ECS and integration mappings). Raw Azure activity logs are
normalized to ECS first. PATH '-' (or none) is stdin.

Examples:
  vigil search 'event.outcome:success and azure.resource.name:WEB-VM-*' testdata/sample/azure-activity.json
  vigil search --explain 'event.outcome:(Success or success)' events.ndjson`

func runSearch(env *Env, args []string) int {
	fs := newFlagSet(env, "search", searchSynopsis)
	count := fs.Bool("count", false, "print only the number of matching events")
	explain := fs.Bool("explain", false, "print, for every event, each clause's verdict and why")
	index := fs.String("index", "", "index name recorded for the events (search ignores rules' index patterns)")
	args2, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	_ = index
	if len(args2) == 0 {
		fmt.Fprintln(env.Stderr, "vigil search: no query: give a KQL query, then files")
		fs.Usage()
		return exitUsage
	}
	query, paths := args2[0], args2[1:]
	q, err := kql.Parse(query)
	if err != nil {
		var ke *kql.Error
		if errors.As(err, &ke) {
			fmt.Fprintf(env.Stderr, "vigil search: query:%v\n%s", ke, ke.Detail())
		} else {
			fmt.Fprintf(env.Stderr, "vigil search: query: %v\n", err)
		}
		return exitUsage
	}
	now := env.Now()
	plan := event.NewPlan()
	m, err := match.Compile(q, match.Options{Plan: plan, Now: func() time.Time { return now }})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil search: query:%v\n", err)
		return exitUsage
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	ev := event.New(nil, plan)
	events, matched := 0, 0
	bad := eachRecord(env, "search", paths, func(rec input.Record) bool {
		data, err := normalizeRecord(rec.Data)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil search: %s: %v (record skipped)\n", rec.Location(), err)
			return false
		}
		events++
		ev.Reset(data)
		ok := m.Match(ev)
		if ok {
			matched++
		}
		switch {
		case *explain:
			verdict := "no match"
			if ok {
				verdict = "MATCH"
			}
			fmt.Fprintf(w, "%s: %s\n%s\n", rec.Location(), verdict, indent(m.Explain(ev).String()))
		case ok && !*count:
			var buf bytes.Buffer
			if json.Compact(&buf, data) == nil {
				w.Write(buf.Bytes())
			} else {
				w.Write(data)
			}
			w.WriteByte('\n')
		}
		return true
	})
	if *count {
		fmt.Fprintln(w, matched)
	}
	if bad > 0 {
		fmt.Fprintf(env.Stderr, "vigil search: searched %d events in %d file(s): %d matched, %d bad record(s)\n", events, len(paths), matched, bad)
		return exitFailure
	}
	return exitOK
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}
