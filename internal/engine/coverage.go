package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
)

// Coverage is what the events of a hunt offered the rules: the indices they
// came from and the planned fields they had values of. It answers "why did
// this rule give nothing?" (WhyNoAlert). Each goroutine keeps its own
// (Evaluator.Coverage) and they are merged at the end.
type Coverage struct {
	// Skipped counts raw records checked but not normalized: no rule
	// could match the document they would become (RawFilter). Their
	// fields are not known, only their index.
	Skipped int
	// Normalized counts raw records made into ECS documents (and
	// evaluated).
	Normalized int
	// Unparsed counts lines not parsed at all: their text held none of
	// the literals the rules require (a line filter, NewLineFilter). Their
	// index and fields are not known.
	Unparsed int
	// GeoIP tells that GeoIP databases were loaded (--geoip-db): the
	// fields Elastic's geoip processors write could be written.
	GeoIP   bool
	indices []string // the indices seen, maxIndices at most; "" (unresolved) is seen by every rule
	// tooMany is set past maxIndices distinct indices: which were seen is
	// then unknown, and every rule is taken to select one.
	tooMany bool
	fields  []bool // by FieldID: some event had a value
	last    string // the previous event's index
	any     bool   // some index was noted
}

// maxIndices bounds the indices a coverage remembers (and scans for each
// new one): an input naming a new index per event costs no more.
const maxIndices = 256

// NewCoverage returns an empty coverage.
func NewCoverage() *Coverage {
	return &Coverage{}
}

// note records an evaluated event of index.
func (c *Coverage) note(index string, ev *event.Event) {
	c.noteIndex(index)
	for _, id := range ev.Present() {
		if int(id) < len(c.fields) {
			c.fields[id] = true
		} else {
			c.had(id)
		}
	}
}

func (c *Coverage) noteIndex(index string) {
	if index == c.last && c.any {
		return
	}
	c.last, c.any = index, true
	c.addIndex(index)
}

// addIndex remembers an index, up to maxIndices of them: indices are few,
// so a scan, no hashing.
func (c *Coverage) addIndex(index string) {
	if c.tooMany || slices.Contains(c.indices, index) {
		return
	}
	if len(c.indices) == maxIndices {
		c.tooMany = true
		return
	}
	c.indices = append(c.indices, strings.Clone(index))
}

func (c *Coverage) had(id event.FieldID) {
	if int(id) >= len(c.fields) {
		c.fields = append(c.fields, make([]bool, int(id)+1-len(c.fields))...)
	}
	c.fields[id] = true
}

// NoteSkipped records a raw record of index that was not normalized.
func (c *Coverage) NoteSkipped(index string) {
	c.Skipped++
	c.noteIndex(index)
}

// Merge adds o to c.
func (c *Coverage) Merge(o *Coverage) {
	c.Skipped += o.Skipped
	c.Normalized += o.Normalized
	c.Unparsed += o.Unparsed
	c.tooMany = c.tooMany || o.tooMany
	for _, ix := range o.indices {
		c.addIndex(ix)
	}
	for id, seen := range o.fields {
		if seen {
			c.had(event.FieldID(id))
		}
	}
}

// Indices returns the indices seen, sorted ("" for events whose index was
// not resolved).
func (c *Coverage) Indices() []string {
	out := slices.Clone(c.indices)
	slices.Sort(out)
	return out
}

// selects reports whether some event seen was in an index the rule reads.
func (c *Coverage) selects(r *Rule) bool {
	if c.tooMany {
		return true
	}
	if r.AllIndices {
		return len(c.Indices()) > 0
	}
	sel := r.selectorOf()
	for _, ix := range c.Indices() {
		if ix == "" || sel.Match(ix) {
			return true
		}
	}
	return false
}

// NoAlertKind classifies why a rule raised no alert.
type NoAlertKind int

// Why a rule raised no alert (see WhyNoAlert).
const (
	Alerted      NoAlertKind = iota // it did alert
	NoIndex                         // its index patterns select no index read
	NeedsField                      // its query needs fields no event had
	NoMatch                         // no event matched its query
	NothingAfter                    // events matched, none alerted (Why says why)
)

// NoAlert is why a rule raised no alert in a hunt.
type NoAlert struct {
	Kind NoAlertKind
	Why  string // a short sentence
	// Fields, for NeedsField: the fields the query cannot match without.
	Fields []string
}

// WhyNoAlert says why r raised no alert in a hunt whose events c
// describes (st: the rule's statistics, nil when nothing matched);
// normalizer tells how the loaded normalizer fills fields (nil: none), for
// the raw records that were read.
func (e *Engine) WhyNoAlert(r *Rule, st *RuleStats, c *Coverage, normalizer match.Origin) NoAlert {
	if st != nil && st.Alerts > 0 {
		return NoAlert{Kind: Alerted}
	}
	if c != nil && !c.selects(r) {
		ix := c.Indices()
		switch {
		case len(ix) == 0 && c.Unparsed > 0:
			return NoAlert{Kind: NoMatch, Why: "no event matched the query"}
		case len(ix) == 0:
			return NoAlert{Kind: NoIndex, Why: "no event was read"}
		case c.Unparsed > 0:
			return NoAlert{Kind: NoIndex, Why: fmt.Sprintf("index patterns select none of the %d index(es) of the events parsed (%s)", len(ix), listSome(ix, 3))}
		}
		return NoAlert{Kind: NoIndex, Why: fmt.Sprintf("index patterns select none of the %d index(es) read (%s)", len(ix), listSome(ix, 3))}
	}
	if st == nil || st.Matches+st.Ungrouped+st.Excluded+st.NoIndicator+st.OutOfRange+st.NoTime == 0 {
		if c != nil && r.Prefilter != nil {
			if missing := e.missingFields(r, c, normalizer); len(missing) > 0 {
				why := fmt.Sprintf("needs %s, which no event had", listSome(missing, 3))
				if c.Unparsed > 0 {
					why = fmt.Sprintf("needs %s, which no event parsed had", listSome(missing, 3))
				}
				if normalizer != nil && c.Skipped+c.Normalized > 0 && allAbsent(missing, normalizer) {
					why += " and the Azure normalizer does not write"
				}
				if enrichment(missing) {
					if c.GeoIP {
						why += " (GeoIP enrichment is on, but the databases given hold no data of that kind for the events' addresses)"
					} else {
						why += " (Elastic adds it with GeoIP enrichment at ingest: give Vigil GeoLite2 City and ASN databases with --geoip-db FILE)"
					}
				}
				return NoAlert{Kind: NeedsField, Why: why, Fields: missing}
			}
		}
		return NoAlert{Kind: NoMatch, Why: "no event matched the query"}
	}
	return NoAlert{Kind: NothingAfter, Why: afterMatch(r, st)}
}

// afterMatch says why a rule whose query matched raised no alert.
func afterMatch(r *Rule, st *RuleStats) string {
	switch {
	case st.Matches == 0 && st.Excluded > 0:
		return "every match was removed by an exception"
	case st.Matches == 0 && st.NoIndicator > 0:
		return "no indicator matched the events the query selected"
	case st.Matches == 0 && st.Ungrouped > 0:
		return fmt.Sprintf("every match lacked a value of %s, which the rule groups by", strings.Join(r.groupFields(), ", "))
	case st.Matches == 0 && st.OutOfRange > 0 && st.NoTime == 0:
		return "every match was outside --since/--until"
	case st.Matches == 0 && st.NoTime > 0 && st.OutOfRange == 0:
		return "no match had a usable timestamp for the rule"
	case st.Matches == 0 && st.NoTime > 0:
		return "every match was outside --since/--until or had no usable timestamp"
	case r.Threshold != nil:
		th := r.Threshold
		why := fmt.Sprintf("no group reached the threshold in one execution: the most was %d of %d", st.BestCount, th.Value)
		if th.CardinalityField != "" {
			why += fmt.Sprintf(", and %d of %d distinct %s", st.BestDistinct, th.CardinalityValue, th.CardinalityField)
		}
		return why
	case r.NewTerms != nil && st.NotNew > 0:
		return "every term was already seen in the history window"
	}
	return "" // the summary's notes say it (out of range, no timestamp, ...)
}

// missingFields returns the fields of r's query that no event had and
// without which the query cannot match (its condition on documents,
// derived as the raw prefilter is, is never met with them absent).
func (e *Engine) missingFields(r *Rule, c *Coverage, normalizer match.Origin) []string {
	unseen := func(f string) bool {
		id, ok := e.plan.Lookup(f)
		if ok && int(id) < len(c.fields) && c.fields[id] {
			return false
		}
		// Raw records may have had it, unless the normalizer never
		// writes it: those that were not normalized (RawFilter) are not
		// known field by field, and a hunt with the raw filter must say
		// what one without it says.
		if c.Skipped+c.Normalized > 0 && (normalizer == nil || func() bool { k, _ := normalizer(f); return k != match.Absent }()) {
			return false
		}
		return true
	}
	absent := func(only string) match.Origin {
		return func(f string) (match.OriginKind, string) {
			if (only == "" || f == only) && unseen(f) {
				return match.Absent, ""
			}
			return match.Copied, ""
		}
	}
	var asked []string // the query's fields, as the prefilter asks for them
	all := func(f string) (match.OriginKind, string) {
		if !strings.Contains(f, "*") && !slices.Contains(asked, f) { // a pattern is no field to name
			asked = append(asked, f)
		}
		return absent("")(f)
	}
	if !r.Prefilter(all).Never {
		return nil
	}
	slices.Sort(asked)
	var out []string
	for _, f := range asked {
		if unseen(f) && r.Prefilter(absent(f)).Never {
			out = append(out, f)
		}
	}
	if len(out) == 0 { // only together (an OR of them): name them all
		for _, f := range asked {
			if unseen(f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func allAbsent(fields []string, o match.Origin) bool {
	for _, f := range fields {
		if k, _ := o(f); k != match.Absent {
			return false
		}
	}
	return true
}

// enrichment reports whether a field is one Elastic's GeoIP processors add.
func enrichment(fields []string) bool {
	for _, f := range fields {
		if strings.Contains(f, ".geo.") || strings.Contains(f, ".as.") {
			return true
		}
	}
	return false
}

func listSome(xs []string, n int) string {
	q := make([]string, 0, n)
	for i, x := range xs {
		if i == n {
			return strings.Join(q, ", ") + fmt.Sprintf(" and %d more", len(xs)-n)
		}
		if x == "" {
			x = "(unresolved)"
		}
		q = append(q, x)
	}
	return strings.Join(q, ", ")
}
