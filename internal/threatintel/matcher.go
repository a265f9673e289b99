package threatintel

import (
	"slices"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
)

// MaxMatches bounds the indicator matches one alert carries, as Kibana's
// MAX_NUMBER_OF_SIGNAL_MATCHES does.
const MaxMatches = 200

// feedNamePath is where an indicator document names its feed.
const feedNamePath = "threat.feed.name"

// Matcher joins one threat_match rule's events with the indicators of a
// Source. It implements engine.Indicators and is safe for concurrent use.
type Matcher struct {
	rule   *rule.Rule
	sel    *engine.IndexSelector
	groups []group

	mu     sync.Mutex
	source *Source
	built  *index
}

// group is one [[rule.threat_mapping]]: its entries must all hold.
type group struct {
	entries []rule.ThreatMappingEntry
	types   []ecs.Type // the event field's type of each entry
	key     int        // the entry the index is keyed on (the first not negated)
	// first: a group of one entry takes the first value of a multi-valued
	// indicator field, as Kibana's terms query does; a match query (any
	// other group) skips indicators without exactly one value.
	first bool
}

// index is a Set prepared for one rule: per group, the indicators by key.
type index struct {
	set   *Set
	byKey []map[string][]int32
	cidrs [][]cidrRef
	n     int // indicators of the rule's threat_index
}

type cidrRef struct {
	q   query
	ind int32
}

// NewMatcher prepares the join of a loaded threat_match rule. It matches
// nothing until Attach gives it indicators.
func NewMatcher(r *rule.Rule, schema *ecs.Schema) *Matcher {
	if schema == nil {
		schema = ecs.Default()
	}
	m := &Matcher{rule: r, sel: engine.NewIndexSelector(r.ThreatIndex)}
	for _, g := range r.ThreatMapping {
		x := group{entries: g.Entries, key: -1}
		for i, e := range g.Entries {
			t, _ := schema.Known(e.Field)
			x.types = append(x.types, t)
			if x.key < 0 && !e.Negate {
				x.key = i
			}
		}
		if x.key < 0 {
			continue // refused at load: a group needs an entry that is not negated
		}
		x.first = len(g.Entries) == 1 && !x.types[0].IsText()
		m.groups = append(m.groups, x)
	}
	return m
}

// Attach sets the indicators of every threat_match rule among rules.
func Attach(rules []*engine.Rule, src *Source) {
	for _, r := range rules {
		if m, ok := r.Threat.(*Matcher); ok {
			m.mu.Lock()
			m.source, m.built = src, nil
			m.mu.Unlock()
		}
	}
}

// Count returns how many of rules are threat_match rules.
func Count(rules []*engine.Rule) int {
	n := 0
	for _, r := range rules {
		if r.Threat != nil {
			n++
		}
	}
	return n
}

// Indicators returns how many indicators of the rule's threat_index the
// current set holds, and whether the rule has a source at all.
func (m *Matcher) Indicators() (int, bool) {
	ix := m.current()
	if ix == nil {
		return 0, m.hasSource()
	}
	return ix.n, true
}

func (m *Matcher) hasSource() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.source != nil
}

// current returns the index of the source's current set, built anew when
// the set changed (a reload).
func (m *Matcher) current() *index {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.source == nil {
		return nil
	}
	set := m.source.Set()
	if set == nil {
		return nil
	}
	if m.built == nil || m.built.set != set {
		m.built = m.build(set)
	}
	return m.built
}

func (m *Matcher) build(set *Set) *index {
	ix := &index{set: set, byKey: make([]map[string][]int32, len(m.groups)), cidrs: make([][]cidrRef, len(m.groups))}
	for gi := range m.groups {
		ix.byKey[gi] = map[string][]int32{}
	}
	plan := m.rule.ThreatPlan()
	for i := range set.Items {
		ind := &set.Items[i]
		if ind.Index != "" && !m.sel.Match(ind.Index) {
			continue
		}
		ix.n++
		ev := event.New(ind.Raw, plan)
		for gi, g := range m.groups {
			q, ok := g.query(ev, g.key)
			if !ok {
				continue
			}
			if q.cidr {
				ix.cidrs[gi] = append(ix.cidrs[gi], cidrRef{q: q, ind: int32(i)})
				continue
			}
			for _, k := range q.keys {
				if l := ix.byKey[gi][k]; len(l) == 0 || l[len(l)-1] != int32(i) {
					ix.byKey[gi][k] = append(l, int32(i))
				}
			}
		}
	}
	return ix
}

// query returns the match query of entry j of the group made of the
// indicator's value; ok is false when the indicator cannot make one.
func (g *group) query(ind *event.Event, j int) (query, bool) {
	vals := ind.Get(g.entries[j].Value)
	if len(vals) == 0 || (len(vals) > 1 && !g.first) {
		return query{}, false
	}
	q, ok := indicatorText(vals[0])
	if !ok {
		return query{}, false
	}
	return newQuery(g.types[j], q)
}

func indicatorText(v event.Value) (string, bool) {
	switch v.Kind {
	case event.KindString, event.KindNumber, event.KindBool:
		return v.String(), true
	}
	return "", false
}

// holds reports whether the event meets every entry of the group for the
// indicator (a negated entry: the event's field does not match the
// indicator's value, or exists when the indicator has none).
func (g *group) holds(ev, ind *event.Event) bool {
	for j, e := range g.entries {
		vals := ev.Get(e.Field)
		if e.Negate {
			iv := ind.Get(e.Value)
			switch len(iv) {
			case 0:
				if len(vals) == 0 {
					return false
				}
			case 1:
				if text, ok := indicatorText(iv[0]); ok {
					if q, ok := newQuery(g.types[j], text); ok && q.matches(g.types[j], vals) {
						return false
					}
				}
			}
			continue // several values: Kibana leaves the entry out
		}
		q, ok := g.query(ind, j)
		if !ok || !q.matches(g.types[j], vals) {
			return false
		}
	}
	return true
}

// candidate is an indicator and a group of the mapping an event may meet.
type candidate struct {
	ind   int32
	group int
}

// Enrich implements engine.Indicators: the threat.enrichments entries of
// the event's alert, one per matching indicator, group and distinct entry
// of the group that is not negated, at most MaxMatches indicator matches.
// The rule's threat_query is evaluated at now.
func (m *Matcher) Enrich(ev *event.Event, doc func() map[string]any, now time.Time) []any {
	ix := m.current()
	if ix == nil {
		return nil
	}
	var cands []candidate
	for gi, g := range m.groups {
		t := g.types[g.key]
		vals := ev.Get(g.entries[g.key].Field)
		for _, v := range vals {
			eachKey(t, v, func(k string) bool {
				for _, i := range ix.byKey[gi][k] {
					cands = append(cands, candidate{ind: i, group: gi})
				}
				return true
			})
		}
		if len(ix.cidrs[gi]) > 0 && len(vals) > 0 {
			for _, c := range ix.cidrs[gi] {
				if c.q.matches(t, vals) {
					cands = append(cands, candidate{ind: c.ind, group: gi})
				}
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		if a.ind != b.ind {
			return int(a.ind - b.ind)
		}
		return a.group - b.group
	})
	cands = slices.Compact(cands)
	plan := m.rule.ThreatPlan()
	var out []any
	matched := 0
	var iev *event.Event
	last := int32(-1)
	passes := false
	for _, c := range cands {
		if matched == MaxMatches {
			break
		}
		ind := &ix.set.Items[c.ind]
		if c.ind != last {
			last = c.ind
			iev = event.New(ind.Raw, plan)
			passes = m.rule.MatchIndicator(iev, now)
		}
		if !passes || !m.groups[c.group].holds(ev, iev) {
			continue
		}
		matched++
		out = append(out, m.enrichments(ind, iev, c.group, doc())...)
	}
	return out
}

// enrichments builds Kibana's threat.enrichments entries of one match.
func (m *Matcher) enrichments(ind *Indicator, iev *event.Event, gi int, doc map[string]any) []any {
	src, err := iev.Map()
	if err != nil {
		src = map[string]any{}
	}
	indicator := map[string]any{}
	if v, ok := alert.Lookup(src, m.rule.ThreatIndicatorPath); ok {
		if arr, isArr := v.([]any); isArr && len(arr) > 0 {
			v = arr[0]
		}
		if obj, isObj := v.(map[string]any); isObj {
			indicator = obj
		}
	}
	feed := map[string]any{}
	if name, ok := alert.Lookup(src, feedNamePath); ok {
		if s, isStr := name.(string); isStr && s != "" {
			feed["name"] = s
		}
	}
	var out []any
	var done []rule.ThreatMappingEntry
	for _, e := range m.groups[gi].entries {
		if e.Negate || slices.Contains(done, e) {
			continue
		}
		done = append(done, e)
		matched := map[string]any{"field": e.Field, "id": ind.ID, "index": ind.Index, "type": "indicator_match_rule"}
		if v, ok := alert.Lookup(doc, e.Field); ok {
			matched["atomic"] = v
		}
		out = append(out, map[string]any{"indicator": indicator, "feed": feed, "matched": matched})
	}
	return out
}
