package rule

import (
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/esql"
	"github.com/vigil-project/vigil/internal/match"
)

// ESQL is a runnable ES|QL rule's compiled query.
type ESQL struct {
	// Program is the query, compiled with the loader's plan and
	// max_signals as its row limit.
	Program *esql.Program
	// Clock is the program's NOW(): set it to the execution's time before
	// Program.Start.
	Clock *ESQLClock
	// Query is the query's text (part of an aggregating alert's id).
	Query string
	// Filter is a necessary condition of the query's leading WHERE
	// (esql.Program.Filter): events failing it do not change any
	// result. nil: none known.
	Filter *match.Matcher
}

// ESQLClock is the clock of an ES|QL program: the time of the execution
// about to start. It is safe for concurrent use.
type ESQLClock struct{ ns atomic.Int64 }

// Set sets the clock to t.
func (c *ESQLClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// Now returns the time last set (the epoch before any).
func (c *ESQLClock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// ESQL returns the compiled query of a runnable ES|QL rule, nil for other
// rules.
func (r *Rule) ESQL() *ESQL { return r.esql }
