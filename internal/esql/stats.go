package esql

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

var aggregates = map[string]bool{"COUNT": true, "COUNT_DISTINCT": true, "VALUES": true, "MIN": true, "MAX": true,
	"SUM": true, "AVG": true, "MEDIAN": true, "PERCENTILE": true, "TOP": true, "FIRST": true, "LAST": true,
	"MEDIAN_ABSOLUTE_DEVIATION": true, "STD_DEV": true, "SAMPLE": true, "WEIGHTED_AVG": true,
	"PRESENT": true, "ABSENT": true}

// tsAggregates are Elasticsearch's time-series aggregates: they run only
// under the TS source command, which Vigil does not run. Known, so that
// STATS refuses them by name.
var tsAggregates = map[string]bool{"RATE": true, "IRATE": true, "DELTA": true, "IDELTA": true, "INCREASE": true,
	"ABSENT_OVER_TIME": true, "AVG_OVER_TIME": true, "COUNT_OVER_TIME": true, "COUNT_DISTINCT_OVER_TIME": true,
	"FIRST_OVER_TIME": true, "LAST_OVER_TIME": true, "MAX_OVER_TIME": true, "MIN_OVER_TIME": true,
	"PRESENT_OVER_TIME": true, "SUM_OVER_TIME": true}

func isAggregate(name string) bool { return aggregates[name] || tsAggregates[name] }

// aggSpec is one aggregate of a STATS: the function, its compiled
// arguments (over the input rows) and its filter.
type aggSpec struct {
	name   string
	args   []cexpr
	star   bool
	filter *cexpr
	typ    Type
	self   *cexpr
	limit  int  // TOP's n
	desc   bool // TOP's order
}

// aggState accumulates one aggregate for one group.
type aggState interface {
	add(r *Run, row []any)
	result(r *Run) any
}

// statsStage is STATS (or INLINE STATS): groups by the BY values, one
// state per aggregate per group.
type statsStage struct {
	aggs    []*aggSpec
	by      []cexpr
	outs    []cexpr // the output columns' expressions over [by..., aggs...]
	inline  bool
	inWidth *int
	slots   []int // INLINE: where the outputs go in the input rows
}

type statsGroup struct {
	keys   []any
	states []aggState
}

type statsOp struct {
	s      *statsStage
	groups map[string]*statsGroup
	order  []*statsGroup
	held   [][]any    // INLINE STATS: the rows of the window
	heldG  [][]string // and their group keys
	// reused per row
	keyBuf   []any
	keyBytes []byte
	hit      *statsGroup // the row's existing group (groupKeys' fast path)
	combo    [1][]any    // groupKeys' one combination
	key      [1]string   // and its key
	// A new group's parts come from chunks made a few at a time (most
	// groups are made once and kept until finish).
	groupsMem slab[statsGroup]
	keysMem   slab[any]
	statesMem slab[aggState]
	counts    slab[countState]
	distincts slab[distinctState]
	valueses  slab[valuesState]
}

// slab hands out values of T from chunks of growing size, never moved.
type slab[T any] struct {
	free []T
	size int
}

// get returns n zero values.
func (s *slab[T]) get(n int) []T {
	if len(s.free) < n {
		s.size = min(max(2*s.size, 4), 256)
		s.free = make([]T, max(s.size, n))
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

func (s *slab[T]) one() *T { return &s.get(1)[0] }

func (s *statsStage) newOp() op { return &statsOp{s: s, groups: map[string]*statsGroup{}} }

// groupKeys returns the group key combinations of a row: a multi-valued BY
// value puts the row in each of its values' groups.
func (o *statsOp) groupKeys(r *Run, row []any) ([][]any, []string) {
	// The common case: every BY value single (or null): one group.
	single := o.keyBuf[:0]
	for _, b := range o.s.by {
		v := b.ev(r, row)
		if _, mv := v.([]any); mv {
			single = nil
			break
		}
		single = append(single, v)
	}
	if single != nil || len(o.s.by) == 0 {
		o.keyBuf = single
		o.keyBytes = o.keyBytes[:0]
		for _, v := range single {
			o.keyBytes = appendKey(o.keyBytes, v)
		}
		if g := o.groups[string(o.keyBytes)]; g != nil {
			o.hit = g
			return nil, nil
		}
		o.combo[0] = append(o.keysMem.get(len(single))[:0], single...)
		o.key[0] = string(o.keyBytes)
		return o.combo[:], o.key[:]
	}
	combos := [][]any{nil}
	for _, b := range o.s.by {
		vs := values(b.ev(r, row))
		if len(vs) == 0 {
			vs = []any{nil}
		}
		var next [][]any
		for _, cmb := range combos {
			for _, v := range vs {
				next = append(next, append(slices.Clone(cmb), v))
			}
		}
		combos = next
	}
	keys := make([]string, len(combos))
	for i, cmb := range combos {
		keys[i] = groupKey(cmb)
	}
	return combos, keys
}

func (o *statsOp) push(r *Run, row []any, emit func([]any) bool) bool {
	o.hit = nil
	combos, keys := o.groupKeys(r, row)
	if o.hit != nil {
		for _, st := range o.hit.states {
			st.add(r, row)
		}
		if o.s.inline {
			if len(o.held) >= r.p.maxHeld {
				r.stop(fmt.Errorf("INLINE STATS holds more than %d rows: narrow the query", r.p.maxHeld))
				return false
			}
			o.held = append(o.held, row)
			o.heldG = append(o.heldG, []string{string(o.keyBytes)})
		}
		return true
	}
	for i, k := range keys {
		g := o.groups[k]
		if g == nil && len(o.order) >= r.p.maxGroups {
			r.stop(fmt.Errorf("STATS makes more than %d groups: group by fewer or coarser values, or narrow the query", r.p.maxGroups))
			return false
		}
		if g == nil {
			g = o.groupsMem.one()
			g.keys, g.states = combos[i], o.statesMem.get(len(o.s.aggs))
			for j, a := range o.s.aggs {
				g.states[j] = o.newState(a)
			}
			o.groups[k] = g
			o.order = append(o.order, g)
		}
		for _, st := range g.states {
			st.add(r, row)
		}
	}
	if o.s.inline {
		if len(o.held) >= r.p.maxHeld {
			r.stop(fmt.Errorf("INLINE STATS holds more than %d rows: narrow the query", r.p.maxHeld))
			return false
		}
		o.held = append(o.held, row)
		o.heldG = append(o.heldG, slices.Clone(keys))
	}
	return true
}

func (o *statsOp) finish(r *Run, emit func([]any) bool) {
	// STATS without BY over no rows still makes its one row (COUNT 0).
	if len(o.order) == 0 && len(o.s.by) == 0 && !o.s.inline {
		g := &statsGroup{}
		for _, a := range o.s.aggs {
			g.states = append(g.states, newAggState(a))
		}
		o.order = append(o.order, g)
	}
	// Groups with a null key come first, as Elasticsearch's hash gives them
	// the first ordinal.
	slices.SortStableFunc(o.order, func(a, b *statsGroup) int {
		an, bn := slices.Contains(a.keys, nil), slices.Contains(b.keys, nil)
		switch {
		case an && !bn:
			return -1
		case bn && !an:
			return 1
		}
		return 0
	})
	results := map[*statsGroup][]any{}
	for _, g := range o.order {
		in := make([]any, 0, len(g.keys)+len(g.states))
		in = append(in, g.keys...)
		for _, st := range g.states {
			in = append(in, st.result(r))
		}
		out := make([]any, len(o.s.outs))
		for i, e := range o.s.outs {
			out[i] = e.ev(r, in)
		}
		if !o.s.inline {
			if !emit(out) {
				break
			}
		} else {
			results[g] = out
		}
	}
	if o.s.inline {
		for i, row := range o.held {
			row = grow(row, *o.s.inWidth)
			g := o.groups[o.heldG[i][0]]
			for j, sl := range o.s.slots {
				row[sl] = results[g][j]
			}
			if !emit(row) {
				break
			}
		}
		o.held, o.heldG = nil, nil
	}
	o.groups, o.order = nil, nil
}

// groupKey encodes group values into a map key.
func groupKey(vs []any) string {
	var b []byte
	for _, v := range vs {
		b = appendKey(b, v)
	}
	return string(b)
}

func appendKey(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 0)
	case string:
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...)
	case int64:
		b = append(b, 2)
		return binary.BigEndian.AppendUint64(b, uint64(x))
	case float64:
		b = append(b, 3)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(x))
	case bool:
		if x {
			return append(b, 4, 1)
		}
		return append(b, 4, 0)
	case netip.Addr:
		a := x.As16()
		b = append(b, 5)
		return append(b, a[:]...)
	case uint64:
		b = append(b, 6)
		return binary.BigEndian.AppendUint64(b, x)
	case geoPoint:
		b = append(b, 8)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(x.lon))
		return binary.BigEndian.AppendUint64(b, math.Float64bits(x.lat))
	}
	return append(b, 7)
}

// stats compiles STATS and INLINE STATS.
func (c *compiler) stats(cmd *Stats, sc *scope) (*scope, error) {
	st := &statsStage{inline: cmd.Inline}
	var byCols []colRef
	// the evaluation layout of the outputs: [by..., aggs...]
	w := 0
	outScope := &scope{width: &w}
	for i, b := range cmd.By {
		e, err := c.expr(b.Expr, sc)
		if err != nil {
			return nil, err
		}
		st.by = append(st.by, e)
		byCols = append(byCols, colRef{name: b.Name, typ: e.typ, slot: i, unmapped: e.unmapped})
	}
	outScope.cols = slices.Clone(byCols)
	w = len(byCols)
	var aggSlots []int
	for _, a := range cmd.Aggs {
		var filter *cexpr
		if a.Filter != nil {
			f, err := c.expr(a.Filter, sc)
			if err != nil {
				return nil, err
			}
			filter = &f
		}
		if !containsAggregate(a.Expr) {
			return nil, c.errorf(a.Expr.Pos(), "use EVAL for expressions without an aggregate function",
				"[%s] is not an aggregate: STATS needs an aggregate function such as COUNT(*) or VALUES(field)", a.Expr)
		}
		found := false
		hook := func(call *Call) (cexpr, error) {
			found = true
			spec, err := c.aggregate(call, sc, filter)
			if err != nil {
				return cexpr{}, err
			}
			idx := len(st.aggs)
			st.aggs = append(st.aggs, spec)
			slot := len(cmd.By) + idx
			out := cexpr{typ: spec.typ, text: c.srcText(call), pos: call.At, ev: func(_ *Run, row []any) any { return row[slot] }}
			switch call.Name {
			case "MIN", "MAX", "VALUES", "FIRST", "LAST", "TOP", "SAMPLE":
				out.unmapped = spec.args[0].unmapped
			}
			return out, nil
		}
		e, err := c.exprAgg(a.Expr, outScope, hook)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, c.errorf(a.Expr.Pos(), "use EVAL for expressions without an aggregate function",
				"[%s] is not an aggregate: STATS needs an aggregate function such as COUNT(*) or VALUES(field)", a.Expr)
		}
		st.outs = append(st.outs, e)
		aggSlots = append(aggSlots, len(st.outs)-1)
	}
	var cols []colRef
	for i, a := range cmd.Aggs {
		cols = append(cols, colRef{name: a.Name, typ: st.outs[aggSlots[i]].typ, unmapped: st.outs[aggSlots[i]].unmapped})
	}
	for i, b := range byCols {
		j := i
		st.outs = append(st.outs, cexpr{typ: b.typ, ev: func(_ *Run, row []any) any { return row[j] }})
		cols = append(cols, b)
	}
	// A later column of the same name wins (STATS x = COUNT(*) BY x keeps the group).
	final := []colRef{}
	for i := range cols {
		dup := false
		for j := i + 1; j < len(cols); j++ {
			if cols[j].name == cols[i].name {
				dup = true
			}
		}
		if !dup {
			cols[i].slot = i
			final = append(final, cols[i])
		}
	}
	if st.inline {
		// INLINE STATS keeps the input rows and columns and adds the
		// aggregates (a same-named input column is replaced).
		ns := sc.clone()
		st.outs = st.outs[:len(cmd.Aggs)]
		for i, a := range cmd.Aggs {
			st.slots = append(st.slots, ns.add(a.Name, st.outs[i].typ))
		}
		st.inWidth = ns.width
		if len(cmd.By) == 0 {
			// one group: every row gets the same values
		}
		c.p.stages = append(c.p.stages, st)
		return ns, nil
	}
	// STATS output rows: [aggs..., by...], minus shadowed names
	keep := make([]int, 0, len(final))
	for i := range cols {
		dup := false
		for j := i + 1; j < len(cols); j++ {
			if cols[j].name == cols[i].name {
				dup = true
			}
		}
		if !dup {
			keep = append(keep, i)
		}
	}
	outs := make([]cexpr, len(keep))
	for i, k := range keep {
		outs[i] = st.outs[k]
	}
	st.outs = outs
	c.p.stages = append(c.p.stages, st)
	ow := len(final)
	return &scope{cols: final, width: &ow}, nil
}

// aggregate compiles one aggregate function call.
func (c *compiler) aggregate(call *Call, sc *scope, filter *cexpr) (*aggSpec, error) {
	spec := &aggSpec{name: call.Name, star: call.Star, filter: filter}
	spec.self = &cexpr{text: c.srcText(call), pos: call.At}
	for _, a := range call.Args {
		if ca, ok := a.(*Call); ok && isAggregate(ca.Name) {
			return nil, c.errorf(a.Pos(), "", "aggregate functions cannot be nested: [%s]", call)
		}
		e, err := c.expr(a, sc)
		if err != nil {
			return nil, err
		}
		spec.args = append(spec.args, e)
	}
	n := len(spec.args)
	need := func(lo, hi int) error {
		if call.Star && call.Name != "COUNT" {
			return c.errorf(call.At, "", "%s(*) is not valid", call.Name)
		}
		if call.Star {
			return nil
		}
		if n < lo || n > hi {
			return c.errorf(call.At, "", "%s takes %d to %d arguments, not %d", call.Name, lo, hi, n)
		}
		return nil
	}
	switch call.Name {
	case "COUNT":
		if err := need(0, 1); err != nil {
			return nil, err
		}
		spec.typ = Long
	case "COUNT_DISTINCT":
		if err := need(1, 2); err != nil {
			return nil, err
		}
		spec.typ = Long
	case "VALUES", "MIN", "MAX":
		if err := need(1, 1); err != nil {
			return nil, err
		}
		spec.typ = spec.args[0].typ
		if call.Name != "VALUES" && spec.typ == Text {
			spec.typ = Keyword
		}
	case "FIRST", "LAST":
		if err := need(2, 2); err != nil {
			return nil, err
		}
		spec.typ = spec.args[0].typ
	case "SUM":
		if err := need(1, 1); err != nil {
			return nil, err
		}
		if !spec.args[0].typ.isNumeric() && spec.args[0].typ != Null {
			return nil, c.retype(spec.args[0], Double, c.errorf(call.Args[0].Pos(), "", "SUM needs a number, not [%s] of type %s", call.Args[0], spec.args[0].typ))
		}
		if err := c.noULongAgg(call, spec.args); err != nil {
			return nil, err
		}
		spec.typ = Long
		if spec.args[0].typ == Double {
			spec.typ = Double
		}
	case "AVG", "MEDIAN", "PERCENTILE", "STD_DEV", "MEDIAN_ABSOLUTE_DEVIATION":
		lo := 1
		if call.Name == "PERCENTILE" {
			lo = 2
		}
		if err := need(lo, lo); err != nil {
			return nil, err
		}
		if !spec.args[0].typ.isNumeric() && spec.args[0].typ != Null {
			return nil, c.retype(spec.args[0], Double, c.errorf(call.Args[0].Pos(), "", "%s needs a number, not [%s] of type %s", call.Name, call.Args[0], spec.args[0].typ))
		}
		if err := c.noULongAgg(call, spec.args); err != nil {
			return nil, err
		}
		spec.typ = Double
	case "WEIGHTED_AVG":
		if err := need(2, 2); err != nil {
			return nil, err
		}
		for i, a := range spec.args {
			if !a.typ.isNumeric() && a.typ != Null {
				return nil, c.retype(a, Double, c.errorf(call.Args[i].Pos(), "", "WEIGHTED_AVG needs numbers, not [%s] of type %s", call.Args[i], a.typ))
			}
		}
		if err := c.noULongAgg(call, spec.args); err != nil {
			return nil, err
		}
		spec.typ = Double
	case "TOP":
		if err := need(3, 3); err != nil {
			return nil, err
		}
		nv, ok := spec.args[1].ev(nil, nil).(int64)
		ord, ok2 := spec.args[2].ev(nil, nil).(string)
		if !spec.args[1].konst || !ok || nv <= 0 || !spec.args[2].konst || !ok2 {
			return nil, c.errorf(call.At, `write TOP(field, 3, "desc")`, "TOP takes a field, a positive constant count and \"asc\" or \"desc\"")
		}
		spec.limit, spec.desc = int(nv), strings.EqualFold(ord, "desc")
		spec.typ = spec.args[0].typ
	case "PRESENT", "ABSENT":
		if err := need(1, 1); err != nil {
			return nil, err
		}
		spec.typ = Boolean
	case "SAMPLE":
		if err := need(2, 2); err != nil {
			return nil, err
		}
		nv, ok := spec.args[1].ev(nil, nil).(int64)
		if !spec.args[1].konst || !ok || nv <= 0 || nv > maxSample {
			return nil, c.errorf(call.Args[1].Pos(), "write SAMPLE(field, 10)", "SAMPLE takes a field and a constant count of values from 1 to %d", maxSample)
		}
		spec.limit = int(nv)
		spec.typ = spec.args[0].typ
	default:
		if tsAggregates[call.Name] {
			return nil, c.errorf(call.At, "", "aggregate function %s is not supported: time-series aggregates need the TS source command, which Vigil does not run", call.Name)
		}
		return nil, c.errorf(call.At, "", "aggregate function %s is not supported", call.Name)
	}
	return spec, nil
}

// newState is newAggState, the commonest states taken from o's slabs.
func (o *statsOp) newState(a *aggSpec) aggState {
	switch a.name {
	case "COUNT":
		st := o.counts.one()
		st.a = a
		return st
	case "COUNT_DISTINCT":
		st := o.distincts.one()
		st.a = a
		return st
	case "VALUES":
		st := o.valueses.one()
		st.a = a
		return st
	}
	return newAggState(a)
}

func newAggState(a *aggSpec) aggState {
	switch a.name {
	case "COUNT":
		return &countState{a: a}
	case "COUNT_DISTINCT":
		return &distinctState{a: a}
	case "VALUES":
		return &valuesState{a: a}
	case "MIN", "MAX":
		return &minMaxState{a: a, max: a.name == "MAX"}
	case "SUM":
		return &sumState{a: a}
	case "AVG":
		return &avgState{a: a}
	case "WEIGHTED_AVG":
		return &weightedAvgState{a: a}
	case "FIRST", "LAST":
		return &firstState{a: a, last: a.name == "LAST"}
	case "TOP":
		return &topState{a: a}
	case "PRESENT", "ABSENT":
		return &presentState{a: a, absent: a.name == "ABSENT"}
	case "SAMPLE":
		return &sampleState{a: a}
	}
	return &quantileState{a: a}
}

// arg evaluates the aggregate's first argument on a row, or reports that
// the row is filtered out.
func (a *aggSpec) arg(r *Run, row []any) (any, bool) {
	if a.filter != nil {
		if v, ok := a.filter.ev(r, row).(bool); !ok || !v {
			return nil, false
		}
	}
	if a.star || len(a.args) == 0 {
		return nil, true
	}
	return a.args[0].ev(r, row), true
}

type countState struct {
	a *aggSpec
	n int64
}

func (s *countState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	if s.a.star || len(s.a.args) == 0 {
		s.n++
		return
	}
	s.n += int64(len(values(v)))
}
func (s *countState) result(*Run) any { return s.n }

// distinctState counts distinct values: exactly up to the precision
// threshold (COUNT_DISTINCT's second argument, 3000 by default, at most
// 40000), as Elasticsearch; above it, as Elasticsearch, approximately, with
// a HyperLogLog sketch of 2^14 registers (Elasticsearch's HyperLogLog++
// hashes differently, so estimates above the threshold may differ a
// little). Memory per group: the threshold's values, or 16 KiB.
type distinctState struct {
	a   *aggSpec
	set valueSet
	buf []byte
	hll []uint8 // nil while exact
}

const hllBits = 14

func (s *distinctState) threshold() int {
	t := 3000
	if len(s.a.args) == 2 {
		if n, ok := s.a.args[1].ev(nil, nil).(int64); ok {
			t = int(min(max(n, 0), 40000))
		}
	}
	return t
}

func (s *distinctState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	for _, x := range values(v) {
		if s.hll != nil {
			s.buf = appendKey(s.buf[:0], x)
			s.addHash(s.buf)
			continue
		}
		if s.set.add(x) && s.set.len() > s.threshold() {
			s.hll = make([]uint8, 1<<hllBits)
			s.set.each(func(key []byte) { s.addHash(key) })
			s.set = valueSet{}
		}
	}
}

// addHash adds a value's key to the sketch (FNV-1a, then a 64-bit mixer).
func (s *distinctState) addHash(key []byte) {
	h := uint64(14695981039346656037)
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	idx := h >> (64 - hllBits)
	rest := h<<hllBits | 1<<(hllBits-1)
	rank := uint8(bits.LeadingZeros64(rest) + 1)
	if rank > s.hll[idx] {
		s.hll[idx] = rank
	}
}

func (s *distinctState) result(*Run) any {
	if s.hll == nil {
		return int64(s.set.len())
	}
	m := float64(len(s.hll))
	sum, zeros := 0.0, 0
	for _, r := range s.hll {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros)) // linear counting for small counts
	}
	return int64(math.Round(est))
}

// valuesState collects distinct values; the result is sorted (Elasticsearch
// documents the order as unspecified).
type valuesState struct {
	a       *aggSpec
	set     valueSet
	vals    []any
	valsBuf [2]any // vals' first values, without an allocation
}

func (s *valuesState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	for _, x := range values(v) {
		if s.set.add(x) {
			if s.vals == nil {
				s.vals = s.valsBuf[:0]
			}
			s.vals = append(s.vals, x)
		}
	}
}
func (s *valuesState) result(*Run) any {
	t := s.a.typ
	if (t == Keyword || t == Text) && s.set.strings() {
		// Distinct strings only: any sort gives the one order.
		slices.SortFunc(s.vals, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	} else {
		slices.SortStableFunc(s.vals, func(a, b any) int { return compareTyped(a, b, t) })
	}
	return mvOf(s.vals)
}

// valueSet is a set of single values, told apart as appendKey encodes
// them. Strings, the common values, are their own keys (no encoding, no
// copy); up to smallSet of them are looked for among the few, without a
// map.
type valueSet struct {
	few    []string
	fewBuf [2]string // few's first values, without an allocation
	strs   map[string]struct{}
	// The other values by appendKey's encoding: the few ones in keys
	// (each ending at its ends), more in other.
	keys    []byte
	ends    []int
	keysBuf [40]byte // keys' first bytes (two IPs), without an allocation
	endsBuf [2]int
	other   map[string]struct{}
}

const smallSet = 8

// add adds x and reports whether it was not in the set yet.
func (s *valueSet) add(x any) bool {
	str, ok := x.(string)
	if !ok {
		return s.addKey(x)
	}
	if s.strs == nil {
		if slices.Contains(s.few, str) {
			return false
		}
		if len(s.few) < smallSet {
			if s.few == nil {
				s.few = s.fewBuf[:0]
			}
			s.few = append(s.few, str)
			return true
		}
		s.strs = make(map[string]struct{}, 2*smallSet)
		for _, f := range s.few {
			s.strs[f] = struct{}{}
		}
		s.few = nil
	}
	if _, dup := s.strs[str]; dup {
		return false
	}
	s.strs[str] = struct{}{}
	return true
}

// addKey is add for a value other than a string.
func (s *valueSet) addKey(x any) bool {
	var tmp [32]byte
	key := appendKey(tmp[:0], x)
	if s.other == nil {
		from := 0
		for _, end := range s.ends {
			if bytes.Equal(s.keys[from:end], key) {
				return false
			}
			from = end
		}
		if len(s.ends) < smallSet {
			if s.ends == nil {
				s.keys, s.ends = s.keysBuf[:0], s.endsBuf[:0]
			}
			s.keys = append(s.keys, key...)
			s.ends = append(s.ends, len(s.keys))
			return true
		}
		s.other = make(map[string]struct{}, 2*smallSet)
		from = 0
		for _, end := range s.ends {
			s.other[string(s.keys[from:end])] = struct{}{}
			from = end
		}
		s.keys, s.ends = nil, nil
	}
	if _, dup := s.other[string(key)]; dup {
		return false
	}
	s.other[string(key)] = struct{}{}
	return true
}

func (s *valueSet) len() int { return len(s.few) + len(s.strs) + len(s.ends) + len(s.other) }

// strings reports whether every value is a string.
func (s *valueSet) strings() bool { return len(s.ends) == 0 && len(s.other) == 0 }

// each calls f with the appendKey encoding of each value, in no order.
func (s *valueSet) each(f func(key []byte)) {
	var b []byte
	for _, str := range s.few {
		b = appendKey(b[:0], str)
		f(b)
	}
	for str := range s.strs {
		b = appendKey(b[:0], str)
		f(b)
	}
	from := 0
	for _, end := range s.ends {
		f(s.keys[from:end])
		from = end
	}
	for k := range s.other {
		f([]byte(k))
	}
}

type minMaxState struct {
	a    *aggSpec
	max  bool
	best any
}

func (s *minMaxState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	for _, x := range values(v) {
		if s.best == nil {
			s.best = x
			continue
		}
		c := compareTyped(x, s.best, s.a.typ)
		if s.max && c > 0 || !s.max && c < 0 {
			s.best = x
		}
	}
}
func (s *minMaxState) result(*Run) any { return s.best }

type sumState struct {
	a        *aggSpec
	i        int64
	f        float64
	any, ovf bool
}

func (s *sumState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	for _, x := range values(v) {
		s.any = true
		switch n := x.(type) {
		case int64:
			z := s.i + n
			if (n >= 0) != (z >= s.i) {
				s.ovf = true
			}
			s.i = z
		default:
			s.f += toFloat(n)
		}
	}
}
func (s *sumState) result(r *Run) any {
	if !s.any {
		return nil
	}
	if s.a.typ == Double {
		return s.f
	}
	if s.ovf {
		r.fail(s.a.self, "java.lang.ArithmeticException: long overflow")
		return nil
	}
	return s.i
}

type avgState struct {
	a   *aggSpec
	sum float64
	n   int64
}

func (s *avgState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	for _, x := range values(v) {
		s.sum += toFloat(x)
		s.n++
	}
}
func (s *avgState) result(*Run) any {
	if s.n == 0 {
		return nil
	}
	return s.sum / float64(s.n)
}

// weightedAvgState is WEIGHTED_AVG(number, weight): the sum of number
// times weight over the sum of the weights, over the rows where both are
// single values (a multi-valued one makes the product null, as
// Elasticsearch's multiplication does).
type weightedAvgState struct {
	a        *aggSpec
	num, den float64
}

func (s *weightedAvgState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok || v == nil {
		return
	}
	w := s.a.args[1].ev(r, row)
	if w == nil || len(values(v)) != 1 || len(values(w)) != 1 {
		return
	}
	x, y := toFloat(values(v)[0]), toFloat(values(w)[0])
	s.num += x * y
	s.den += y
}

func (s *weightedAvgState) result(*Run) any {
	if s.den == 0 {
		return nil
	}
	return s.num / s.den
}

// quantileState keeps the values of MEDIAN, PERCENTILE and the deviation
// functions (Elasticsearch approximates with TDigest; Vigil is exact).
type quantileState struct {
	a    *aggSpec
	vals []float64
	p    float64
}

func (s *quantileState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	if s.a.name == "PERCENTILE" {
		s.p = toFloat(s.a.args[1].ev(r, row))
	}
	for _, x := range values(v) {
		s.vals = append(s.vals, toFloat(x))
	}
}

func percentile(vals []float64, p float64) float64 {
	slices.Sort(vals)
	if len(vals) == 1 {
		return vals[0]
	}
	rank := p / 100 * float64(len(vals)-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, len(vals)-1)
	return vals[lo] + (vals[hi]-vals[lo])*(rank-float64(lo))
}

func (s *quantileState) result(*Run) any {
	if len(s.vals) == 0 {
		return nil
	}
	switch s.a.name {
	case "MEDIAN":
		return percentile(s.vals, 50)
	case "PERCENTILE":
		return percentile(s.vals, s.p)
	case "MEDIAN_ABSOLUTE_DEVIATION":
		m := percentile(s.vals, 50)
		dev := make([]float64, len(s.vals))
		for i, v := range s.vals {
			dev[i] = math.Abs(v - m)
		}
		return percentile(dev, 50)
	case "STD_DEV":
		mean := 0.0
		for _, v := range s.vals {
			mean += v
		}
		mean /= float64(len(s.vals))
		ss := 0.0
		for _, v := range s.vals {
			ss += (v - mean) * (v - mean)
		}
		return math.Sqrt(ss / float64(len(s.vals)))
	}
	return nil
}

// firstState is FIRST(value, sort) and LAST(value, sort): the value of the
// row with the smallest (largest) sort value.
type firstState struct {
	a    *aggSpec
	last bool
	key  any
	val  any
}

func (s *firstState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	k := s.a.args[1].ev(r, row)
	if k == nil {
		return
	}
	k = sortRepresentative(k, s.last, s.a.args[1].typ)
	if s.key == nil {
		s.key, s.val = k, v
		return
	}
	c := compareTyped(k, s.key, s.a.args[1].typ)
	if s.last && c > 0 || !s.last && c < 0 {
		s.key, s.val = k, v
	}
}
func (s *firstState) result(*Run) any { return s.val }

// topState keeps the n smallest or largest values.
type topState struct {
	a    *aggSpec
	vals []any
}

func (s *topState) add(r *Run, row []any) {
	v, ok := s.a.arg(r, row)
	if !ok {
		return
	}
	s.vals = append(s.vals, values(v)...)
	if len(s.vals) > 4*s.a.limit+64 {
		s.trim()
	}
}

func (s *topState) trim() {
	t := s.a.typ
	slices.SortStableFunc(s.vals, func(x, y any) int {
		if s.a.desc {
			return compareTyped(y, x, t)
		}
		return compareTyped(x, y, t)
	})
	if len(s.vals) > s.a.limit {
		s.vals = slices.Clone(s.vals[:s.a.limit])
	}
}

func (s *topState) result(*Run) any {
	s.trim()
	return mvOf(s.vals)
}

var _ = strconv.Itoa

// containsAggregate reports whether an expression calls an aggregate
// function.
func containsAggregate(e Expr) bool {
	switch e := e.(type) {
	case *Call:
		if isAggregate(e.Name) {
			return true
		}
		for _, a := range e.Args {
			if containsAggregate(a) {
				return true
			}
		}
	case *Unary:
		return containsAggregate(e.X)
	case *Binary:
		return containsAggregate(e.X) || containsAggregate(e.Y)
	case *Cast:
		return containsAggregate(e.X)
	case *In:
		if containsAggregate(e.X) {
			return true
		}
		for _, a := range e.List {
			if containsAggregate(a) {
				return true
			}
		}
	case *IsNull:
		return containsAggregate(e.X)
	case *Like:
		return containsAggregate(e.X)
	}
	return false
}

// noULongAgg refuses an unsigned_long argument to the numeric aggregates
// whose Elasticsearch signatures take only integer, long and double (SUM,
// AVG, MEDIAN, PERCENTILE, STD_DEV, MEDIAN_ABSOLUTE_DEVIATION,
// WEIGHTED_AVG).
func (c *compiler) noULongAgg(call *Call, args []cexpr) error {
	for i, a := range args {
		if a.typ == UnsignedLong && i < len(call.Args) {
			return c.errorf(call.Args[i].Pos(), "convert it first: "+call.Name+"(TO_DOUBLE(x))",
				"%s does not take [%s] of type unsigned_long", call.Name, call.Args[i])
		}
	}
	return nil
}
