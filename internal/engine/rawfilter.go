package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/vigil-project/vigil/internal/match"
)

// RawFilter tells from the text of a raw record (before a normalizer
// turns it into ECS) whether any rule could match the document it would
// become: records no rule could match need not be normalized. It is built
// from the rules' Prefilter and the normalizer's field origins, and only
// ever errs towards letting a record through.
type RawFilter struct {
	all   bool     // some rule has no known condition: every record passes
	lits  [][]byte // lower-case literals, each once
	rules [][][]int32
	// rules holds each rule's condition: groups of literals (indices into
	// lits), the most selective first; a record passes a rule when it
	// holds a literal of every group.
	heads *litHeads // finds the literals, when there are many
	// anchors holds, per literal, where its rarest byte is: with few
	// literals each is searched for only when a rule needs it, by that
	// byte (bytes.IndexByte), most selective group first.
	anchors []int
	// probes holds, per literal, its probe (litProbe) when Tune found that
	// probing the text costs less than searching for the anchor (long
	// literals whose bytes are all common), or nil.
	probes []*litProbe
	// first, with many literals, finds a literal of one group of each
	// rule's condition (the group whose shortest literal is longest) in
	// one probe of the text: a record holding none is told apart
	// without the search of every literal. nil: some rule's groups all
	// hold a literal too short for a probe to beat that search.
	first    *litProbe
	firstIDs []int32 // the literals first probes, by its index
	must     int32   // a literal every condition needs (mustLiteral), -1 if none
	tuned    bool    // Tune has chosen the anchors from the input
}

// fewLits is the most literals searched for one by one, each only when a
// rule's condition needs it; with more, one pass over the text finds them
// all by their heads.
const fewLits = 16

// fewHeads is the most distinct four-byte heads for which searching each
// head (and comparing its literals where it occurs) beats one pass that
// looks every position up in a bitmap.
const fewHeads = 8

// litHeads finds every literal of a set in a text, by their first four
// bytes: with few distinct heads (the literals of Azure rules mostly start
// with "microsoft."), each head is searched for; with many, each position's
// next four bytes are looked up in a bitmap of the heads. Either way a
// literal is compared only where its head occurs.
type litHeads struct {
	bits  [1 << 16 / 64]uint64
	heads map[uint32][]int32
	order []uint32 // the heads, for the search by head
	short []int32  // literals under four bytes, searched one by one
}

func newLitHeads(lits [][]byte) *litHeads {
	h := &litHeads{heads: map[uint32][]int32{}}
	for id, l := range lits {
		if len(l) < 4 {
			h.short = append(h.short, int32(id))
			continue
		}
		k := binary.LittleEndian.Uint32(l)
		h.bits[headHash(k)/64] |= 1 << (headHash(k) % 64)
		if h.heads[k] == nil {
			h.order = append(h.order, k)
		}
		h.heads[k] = append(h.heads[k], int32(id))
	}
	return h
}

func headHash(k uint32) uint32 { return (k * 0x9E3779B1) >> 16 }

// find sets found[id] for every literal of lits in text, and clears it
// for the others.
func (h *litHeads) find(text []byte, lits [][]byte, found []bool) {
	clear(found)
	for _, id := range h.short {
		if bytes.Contains(text, lits[id]) {
			found[id] = true
		}
	}
	if len(h.order) <= fewHeads {
		var head [4]byte
		for _, k := range h.order {
			binary.LittleEndian.PutUint32(head[:], k)
			for i := 0; ; i++ {
				j := bytes.Index(text[i:], head[:])
				if j < 0 {
					break
				}
				i += j
				h.at(text[i:], k, lits, found)
			}
		}
		return
	}
	for i := 0; i+4 <= len(text); i++ {
		k := binary.LittleEndian.Uint32(text[i:])
		if x := headHash(k); h.bits[x/64]&(1<<(x%64)) != 0 {
			h.at(text[i:], k, lits, found)
		}
	}
}

// at marks the literals with head k that text starts with.
func (h *litHeads) at(text []byte, k uint32, lits [][]byte, found []bool) {
	for _, id := range h.heads[k] {
		if !found[id] && bytes.HasPrefix(text, lits[id]) {
			found[id] = true
		}
	}
}

// Shape is one form a line of input can take for a rule to read it: the
// documents of index ("": resolved per event, every rule) that a
// normalizer makes of raw records, whose fields Origin describes, or
// documents already in ECS (ECSOrigin).
type Shape struct {
	Index  string
	Origin match.Origin
}

// NewRawFilter builds the filter of the rules that select index (the index
// of the normalizer's documents) for records of the normalizer whose
// fields origin describes.
func NewRawFilter(rules []*Rule, index string, origin match.Origin) *RawFilter {
	return NewLineFilter(rules, Shape{Index: index, Origin: origin})
}

// NewLineFilter builds the filter that passes a line when some rule could
// match a document of one of the shapes made of it: the union of each
// shape's raw filter, searched for in one pass.
func NewLineFilter(rules []*Rule, shapes ...Shape) *RawFilter {
	f := &RawFilter{must: -1}
	ids := map[string]int32{}
	seen := map[string]bool{} // rules' conditions, each once
	for _, sh := range shapes {
		for _, r := range rules {
			if !r.AllIndices && sh.Index != "" && !r.selectorOf().Match(sh.Index) {
				continue
			}
			if neverGrouped(r, sh.Origin) {
				continue // its matches there would all be Ungrouped
			}
			if r.Prefilter == nil {
				f.all = true
				return f
			}
			p := r.Prefilter(sh.Origin)
			switch {
			case p.Never:
				continue
			case p.Literals == nil:
				f.all = true
				return f
			}
			var cond [][]int32
			for _, g := range append([][]string{p.Literals}, p.And...) {
				group := make([]int32, 0, len(g))
				for _, l := range g {
					id, ok := ids[l]
					if !ok {
						id = int32(len(f.lits))
						ids[l] = id
						f.lits = append(f.lits, []byte(l))
					}
					group = append(group, id)
				}
				cond = append(cond, group)
			}
			if key := fmt.Sprint(cond); !seen[key] {
				seen[key] = true
				f.rules = append(f.rules, cond)
			}
		}
	}
	f.heads = newLitHeads(f.lits)
	for _, l := range f.lits {
		f.anchors = append(f.anchors, rarest(l))
	}
	if len(f.lits) > fewLits {
		f.first, f.firstIDs = firstProbe(f.lits, f.rules)
	}
	f.must = mustLiteral(f.lits, f.rules)
	return f
}

// minFirst is the shortest literal firstProbe probes for: a stride of
// seven bytes at least.
const minFirst = 8

// firstProbe returns the probe of one group of each condition, the group
// whose shortest literal is longest, and the literals it probes (their
// ids), nil when one of them is shorter than minFirst. It moves that group
// first in its condition, where lazy tests it first.
func firstProbe(lits [][]byte, conds [][][]int32) (*litProbe, []int32) {
	shortest := func(group []int32) int {
		n := -1
		for _, id := range group {
			if n < 0 || len(lits[id]) < n {
				n = len(lits[id])
			}
		}
		return n
	}
	best := make([]int, len(conds))
	for ci, cond := range conds {
		best[ci] = -1
		for i, g := range cond {
			if best[ci] < 0 || shortest(g) > shortest(cond[best[ci]]) {
				best[ci] = i
			}
		}
		if best[ci] < 0 || shortest(cond[best[ci]]) < minFirst {
			return nil, nil
		}
	}
	var ids []int32
	var probed [][]byte
	for ci, cond := range conds {
		cond[0], cond[best[ci]] = cond[best[ci]], cond[0]
		for _, id := range cond[0] {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
				probed = append(probed, lits[id])
			}
		}
	}
	p := newLitProbe(probed...)
	if p == nil {
		return nil, nil
	}
	return p, ids
}

// byteRank orders bytes from common to rare in JSON event text (lower-
// cased): a literal is searched for by its rarest byte.
var byteRank = func() (rank [256]int) {
	const common = "\" :,etaoisnrlc.d_u-m0p12/h3g5f49867bykvwx{}[]zjq"
	for i := range rank {
		rank[i] = len(common) + 1 // anything else: rarer still
	}
	for i := 0; i < len(common); i++ {
		rank[common[i]] = i
	}
	return rank
}()

// Tune chooses again the byte each literal is searched for by (see
// indexFold), as the one rarest in sample, a piece of the input, case
// folded: a static ranking of bytes cannot know that one input holds an
// 'h' in every other word and another none. It must be called before the
// filter is shared (a pipeline calls it on its first block, before any
// worker reads a line); it does nothing on an empty sample or on a second
// call.
func (f *RawFilter) Tune(sample []byte) {
	if f.tuned || len(sample) == 0 || f.all {
		return
	}
	f.tuned = true
	if len(sample) > tuneSample {
		sample = sample[:tuneSample]
	}
	var count [256]int
	for _, c := range sample {
		count[c]++
	}
	lines := bytes.Count(sample, []byte{'\n'}) + 1
	for id, lit := range f.lits {
		best, bestCost := f.anchors[id], -1
		for k, c := range lit {
			n := count[c]
			if 'a' <= c && c <= 'z' {
				// Both cases are searched for: each search ends with
				// one more pass over the line than it finds.
				n += count[c-'a'+'A'] + lines
			}
			if bestCost < 0 || n < bestCost {
				best, bestCost = k, n
			}
		}
		f.anchors[id] = best
		// A literal as long as a tenth of a line, all of whose bytes
		// are common, costs less probed every len-1 bytes (about 3.4
		// ns a probe) than searched for by its anchor (about 13.5 ns a
		// call to IndexByte, one per occurrence and one or two per
		// line to its end): measured on the benchmark's lines, 48
		// against 73 ns a line for the seed rule's operation name.
		probes := len(sample) / max(len(lit)-1, 1)
		if len(lit) >= minProbed && len(lit) <= maxProbed && 34*probes < 135*(bestCost+lines) {
			if f.probes == nil {
				f.probes = make([]*litProbe, len(f.lits))
			}
			f.probes[id] = newLitProbe(lit)
		}
	}
}

// minProbed and maxProbed bound the literals a pair probe finds: shorter
// ones are probed too often, longer ones do not fit its offsets.
const (
	minProbed = 16
	maxProbed = 1 << 14
)

// litProbe finds literals (lower case) in a text, ASCII case aside, by
// looking at a few of the text's bytes every few bytes only. With M the
// length of the shortest literal, it looks at four bytes every M-3 (M of
// four or more) or at two every M-1: any occurrence of a literal covers
// exactly one such piece within its first M bytes, which is one of its own
// pieces there. A probed piece that is none of them (a bitmap says, for
// four bytes by a hash of them) costs a load and a test; one that is gives
// the literals' offsets where it stands, each compared in full. Four bytes
// say more than two: a pair of letters from a literal is in most words.
type litProbe struct {
	lits    [][]byte
	letters [][]byte             // per literal, 0x20 where it holds a letter (foldMask)
	quad    bool                 // four bytes a probe, else two
	stride  int                  // M-3 or M-1
	bits    [1 << 16 / 64]uint64 // two bytes: the literals' pairs, each in every case its letters can take; four: their hashes, case folded (fold4)
	shift   uint                 // 32 less the bits of a piece's bucket (probeBucket)
	bucket  []uint16             // entries' start per bucket, and their end
	entries []probeEntry         // the pieces hashed to bucket b: entries[bucket[b]:bucket[b+1]]
}

type probeEntry struct {
	piece uint32 // two bytes as they are, or four case folded (fold4)
	tail  uint32 // with four: the literal's last four bytes, case folded
	at    uint16 // the piece's offset in the literal
	lit   uint16 // the literal's index in lits
}

// probeBucket returns the bucket of a piece, the top 32-shift bits of its
// hash.
func probeBucket(piece uint32, shift uint) int { return int(piece * 0x9E3779B1 >> shift) }

// fold4 folds four bytes' case as the probe compares them: bit 5 set in
// each, which maps each upper-case ASCII letter to its lower case (and a
// few other bytes onto others: the full comparison tells them apart).
func fold4(x uint32) uint32 { return x | 0x20202020 }

// hash4 is the bit of the probe's bitmap for four folded bytes.
func hash4(x uint32) uint32 { return x * 0x9E3779B1 >> 16 }

// newLitProbe returns the probe of lits (lower case, each of two bytes or
// more), nil when they are too many for its tables.
func newLitProbe(lits ...[]byte) *litProbe {
	p := &litProbe{lits: lits}
	for _, l := range lits {
		p.letters = append(p.letters, foldMask(l))
	}
	m := len(lits[0])
	for _, l := range lits {
		m = min(m, len(l))
	}
	width := 2
	if m >= 4 {
		width, p.quad = 4, true
	}
	if m < 2 || len(lits) > 1<<16 || len(lits)*(m-width+1) >= 1<<16 {
		return nil
	}
	p.stride = m - width + 1
	// About two entries a bucket (64 buckets at least), so that a probed
	// piece that is one of them compares few: with many literals (a
	// corpus's raw filter) there are thousands.
	p.shift = 26
	for n := len(lits) * (m - width + 1); 1<<(32-p.shift) < n/2 && p.shift > 20; {
		p.shift--
	}
	by := make([][]probeEntry, 1<<(32-p.shift))
	for i, lit := range lits {
		var tail uint32
		if p.quad {
			tail = fold4(binary.LittleEndian.Uint32(lit[len(lit)-4:]))
		}
		for j := 0; j+width <= m; j++ {
			var piece uint32
			if p.quad {
				piece = fold4(binary.LittleEndian.Uint32(lit[j:]))
				h := hash4(piece)
				p.bits[h>>6] |= 1 << (h & 63)
			} else {
				piece = uint32(lit[j]) | uint32(lit[j+1])<<8
				for _, a := range cases(lit[j]) {
					for _, c := range cases(lit[j+1]) {
						spelt := uint16(a) | uint16(c)<<8
						p.bits[spelt>>6] |= 1 << (spelt & 63)
					}
				}
			}
			b := probeBucket(piece, p.shift)
			by[b] = append(by[b], probeEntry{piece: piece, tail: tail, at: uint16(j), lit: uint16(i)})
		}
	}
	p.bucket = make([]uint16, len(by)+1)
	for b := range by {
		p.bucket[b] = uint16(len(p.entries))
		p.entries = append(p.entries, by[b]...)
	}
	p.bucket[len(by)] = uint16(len(p.entries))
	return p
}

// cases returns the bytes a text may hold where a literal (lower case)
// holds c, ASCII case aside.
func cases(c byte) []byte {
	if 'a' <= c && c <= 'z' {
		return []byte{c, c - 'a' + 'A'}
	}
	return []byte{c}
}

// lowerASCII maps ASCII upper-case letters to lower case, other bytes to
// themselves.
var lowerASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// find reports whether text holds one of the literals, ASCII case aside.
func (p *litProbe) find(text []byte) bool { return p.mark(text, nil, nil) }

// mark sets state[ids[i]] to 1 for each literal i the text holds, ASCII
// case aside, and reports whether there was one; with a nil state it stops
// at the first.
func (p *litProbe) mark(text []byte, state []int8, ids []int32) bool {
	found := false
	stride := p.stride
	if p.quad {
		for q, n := stride-1, len(text)-3; q < n && q >= 0; q += stride {
			piece := fold4(uint32(text[q]) | uint32(text[q+1])<<8 | uint32(text[q+2])<<16 | uint32(text[q+3])<<24)
			if h := hash4(piece); p.bits[h>>6]&(1<<(h&63)) == 0 {
				continue
			}
			if p.at(text, q, piece, state, ids, &found) {
				return true
			}
		}
		return found
	}
	for q, n := stride-1, len(text)-1; q < n && q >= 0; q += stride {
		spelt := uint16(text[q]) | uint16(text[q+1])<<8
		if p.bits[spelt>>6]&(1<<(spelt&63)) == 0 {
			continue
		}
		piece := uint32(lowerASCII[byte(spelt)]) | uint32(lowerASCII[spelt>>8])<<8
		if p.at(text, q, piece, state, ids, &found) {
			return true
		}
	}
	return found
}

// at compares the literals that hold piece with the text where the piece
// would put them, the piece at q: as mark, true when it may stop (state
// nil, a literal found).
func (p *litProbe) at(text []byte, q int, piece uint32, state []int8, ids []int32, found *bool) bool {
	b := probeBucket(piece, p.shift)
	for _, e := range p.entries[p.bucket[b]:p.bucket[b+1]] {
		if e.piece != piece {
			continue
		}
		lit := p.lits[e.lit]
		start := q - int(e.at)
		if start < 0 || start+len(lit) > len(text) {
			continue
		}
		// With four bytes a piece, the literal's last four first: many
		// literals share their head ("microsoft."), fewer their end.
		if p.quad && fold4(binary.LittleEndian.Uint32(text[start+len(lit)-4:])) != e.tail {
			continue
		}
		if equalFoldMask(text[start:start+len(lit)], lit, p.letters[e.lit]) {
			if state == nil {
				return true
			}
			state[ids[e.lit]], *found = 1, true
		}
	}
	return false
}

// tuneSample is how many bytes of its sample Tune reads: enough for some
// hundred lines, little next to a block.
const tuneSample = 256 << 10

// rarest returns the index of lit's rarest byte (the first of equals).
func rarest(lit []byte) int {
	best := 0
	for i, c := range lit {
		if byteRank[c] > byteRank[lit[best]] {
			best = i
		}
	}
	return best
}

// indexFold reports whether text holds lit (lower case), ASCII case
// aside, searched for by the byte at lit[k]: bytes.IndexByte for it, and
// for its upper case when it is a letter.
func indexFold(text, lit []byte, k int) bool {
	lo := lit[k]
	up := lo
	if 'a' <= lo && lo <= 'z' {
		up = lo - 'a' + 'A'
	}
	nextLo, nextUp := -1, -1 // the next occurrence of each at or after from (-2: none)
	for from := k; from < len(text); {
		if nextLo != -2 && nextLo < from {
			if j := bytes.IndexByte(text[from:], lo); j >= 0 {
				nextLo = from + j
			} else {
				nextLo = -2
			}
		}
		if up != lo && nextUp != -2 && nextUp < from {
			if j := bytes.IndexByte(text[from:], up); j >= 0 {
				nextUp = from + j
			} else {
				nextUp = -2
			}
		}
		at := nextLo
		if up != lo && nextUp >= 0 && (at < 0 || nextUp < at) {
			at = nextUp
		}
		if at < 0 {
			return false
		}
		start := at - k
		if start+len(lit) > len(text) {
			return false
		}
		if equalFold(text[start:start+len(lit)], lit) {
			return true
		}
		from = at + 1
	}
	return false
}

// equalFold reports whether a equals lower (lower case), ASCII case aside.
func equalFold(a, lower []byte) bool {
	for i, c := range a {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// foldMask returns, for a lower-case literal, 0x20 where it holds an
// ASCII letter and 0 elsewhere: the bits a text may differ from it by.
func foldMask(lower []byte) []byte {
	m := make([]byte, len(lower))
	for i, c := range lower {
		if 'a' <= c && c <= 'z' {
			m[i] = 0x20
		}
	}
	return m
}

// equalFoldMask is equalFold eight bytes at a time: a text byte equals
// the literal's, or differs from a lower-case letter by bit 5 alone (its
// upper case), which letters (foldMask) allows.
func equalFoldMask(a, lower, letters []byte) bool {
	i := 0
	for ; i+8 <= len(a); i += 8 {
		d := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(lower[i:])
		if d&^binary.LittleEndian.Uint64(letters[i:]) != 0 {
			return false
		}
	}
	for ; i < len(a); i++ {
		if (a[i]^lower[i])&^letters[i] != 0 {
			return false
		}
	}
	return true
}

// ContainsFold reports whether text holds lit (lower case), ASCII case
// aside, searched for by its rarest byte.
func ContainsFold(text, lit []byte) bool {
	return len(lit) > 0 && indexFold(text, lit, rarest(lit))
}

// ECSOrigin describes documents already in ECS: every field's values are
// in the document's text as they are, but those that derived says are
// computed on the way in (GeoIP enrichment of ECS documents).
func ECSOrigin(derived func(field string) bool) match.Origin {
	return func(field string) (match.OriginKind, string) {
		if derived != nil && (derived(field) || strings.Contains(field, "*")) {
			return match.Derived, "" // a pattern may name a derived field
		}
		return match.Copied, ""
	}
}

// All reports whether every record passes (the filter is of no use).
func (f *RawFilter) All() bool { return f.all }

// Literals returns how many literals the filter looks for.
func (f *RawFilter) Literals() int { return len(f.lits) }

// RawScratch is what Pass reuses between calls on one goroutine.
type RawScratch struct {
	low   []byte
	found []bool // per literal: in the record
	state []int8 // per literal: 0 not searched yet, 1 found, 2 absent
}

// Pass reports whether a rule could match the document made of the raw
// record. scratch is kept by the caller between calls.
func (f *RawFilter) Pass(raw []byte, scratch *RawScratch) bool {
	return f.pass(raw, scratch, false)
}

// PassPlain is Pass for a text that the caller knows to be plain: it holds
// none of the bytes a PlainScan looks for (no escape, no character that
// folds to an ASCII letter), so that Pass's own passes over the text for
// them are not made again for each line.
func (f *RawFilter) PassPlain(raw []byte, scratch *RawScratch) bool {
	return f.pass(raw, scratch, true)
}

func (f *RawFilter) pass(raw []byte, scratch *RawScratch, plain bool) bool {
	if f.all || (!plain && spells(raw)) {
		return true
	}
	if len(f.lits) <= fewLits {
		// The text as it is: each literal searched for with its case
		// folded, only when a rule needs it; first the one every rule
		// needs, if one is (the seed rule's operation name), which most
		// texts lack.
		if f.must < 0 {
			return f.passLazy(raw, scratch) || (!plain && foldsToASCII(raw))
		}
		if !f.holds(raw, f.must) {
			return !plain && foldsToASCII(raw)
		}
		state := scratch.cleared(len(f.lits))
		state[f.must] = 1 // found: not searched for again
		return f.lazy(raw, state) || (!plain && foldsToASCII(raw))
	}
	if f.first != nil {
		// Which of the probed literals the text holds; no rule's
		// condition holds without one, unless a character folds to a
		// literal's letter. The conditions that have one are checked
		// literal by literal, as with few literals.
		state := scratch.cleared(len(f.lits))
		for _, id := range f.firstIDs {
			state[id] = 2
		}
		hit := f.first.mark(raw, state, f.firstIDs)
		return hit && f.lazy(raw, state) || !plain && foldsToASCII(raw)
	}
	low, high := appendLower(scratch.low[:0], raw)
	scratch.low = low
	if high && !plain && foldsToASCII(raw) {
		return true
	}
	if cap(scratch.found) < len(f.lits) {
		scratch.found = make([]bool, len(f.lits))
	}
	found := scratch.found[:len(f.lits)]
	f.heads.find(low, f.lits, found)
	return f.anyRule(func(id int32) bool { return found[id] })
}

// anyRule reports whether some rule's condition holds: a literal of each
// of its groups is in the text (has), groups in order.
func (f *RawFilter) anyRule(has func(id int32) bool) bool {
	for _, cond := range f.rules {
		ok := true
		for _, group := range cond {
			if !slices.ContainsFunc(group, has) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// passLazy is Pass with few literals: each is searched for when a rule's
// condition first needs it, the most selective group first, so a record
// most rules reject costs about one search per rule.
func (f *RawFilter) passLazy(text []byte, scratch *RawScratch) bool {
	return f.lazy(text, scratch.cleared(len(f.lits)))
}

// cleared returns the per-literal state, n long, all 0 (not searched).
func (s *RawScratch) cleared(n int) []int8 {
	if cap(s.state) < n {
		s.state = make([]int8, n)
	}
	state := s.state[:n]
	clear(state)
	return state
}

// lazy reports whether some rule's condition holds, searching for each
// literal when a condition first needs it (state: per literal, 0 not
// searched yet, 1 found, 2 absent), groups in order.
func (f *RawFilter) lazy(text []byte, state []int8) bool {
	// anyRule's loops, written out: no call through a closure per
	// literal asked for.
	for _, cond := range f.rules {
		ok := true
		for _, group := range cond {
			found := false
			for _, id := range group {
				if state[id] == 0 {
					state[id] = 2
					if f.holds(text, id) {
						state[id] = 1
					}
				}
				if state[id] == 1 {
					found = true
					break
				}
			}
			if !found {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// holds reports whether text holds literal id, ASCII case aside: by its
// probe, if Tune gave it one, else by its anchor.
func (f *RawFilter) holds(text []byte, id int32) bool {
	if f.probes != nil && f.probes[id] != nil {
		return f.probes[id].find(text)
	}
	return indexFold(text, f.lits[id], f.anchors[id])
}

// mustLiteral returns the literal that is a group of its own in every
// condition (the longest, if several), -1 when there is none: a text
// without it passes no condition.
func mustLiteral(lits [][]byte, conds [][][]int32) int32 {
	must := int32(-1)
	for id := range lits {
		every := len(conds) > 0
		for _, cond := range conds {
			if !slices.ContainsFunc(cond, func(g []int32) bool { return len(g) == 1 && g[0] == int32(id) }) {
				every = false
				break
			}
		}
		if every && (must < 0 || len(lits[id]) > len(lits[must])) {
			must = int32(id)
		}
	}
	return must
}

// spells reports whether the JSON text uses a \u or \/ escape, which can
// spell any character of a literal (a literal never holds '\' or '"',
// whose escapes are the only other ones that stand for printable text).
// An escaped backslash followed by u (C:\\users) is not one.
func spells(raw []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 || i+j+1 >= len(raw) {
			return false
		}
		i += j + 1
		if c := raw[i]; c == 'u' || c == '/' {
			return true
		}
		i++ // the escaped character
	}
}

// plainBytes are the bytes a plain text lacks: the backslash of an escape
// that can spell a literal's character (\u or \/, as spells finds them),
// and the lead bytes of the characters that fold to ASCII letters
// (foldsToASCII). Text in ASCII without those escapes has none of them.
var plainBytes = [...]byte{'\\', 0xc4, 0xc5, 0xe2}

// PlainScan tells which pieces of a text (a block of lines) are plain, for
// PassPlain, with one search of each of the bytes plainBytes lists over the
// whole text instead of several passes over each line: pieces are asked
// for in order (a piece before the last one asked for costs new searches).
// The lead bytes are searched for only past the first byte outside ASCII,
// found eight bytes at a time: most text has none. A piece must start
// outside a string's escape (a line, a JSON value): one that follows a
// backslash is never plain. The zero value is ready for Reset.
type PlainScan struct {
	text []byte
	from int                  // the latest piece's start: next and high were searched from there or before
	next [len(plainBytes)]int // per byte: its first offset at or after from, len(text) when none
	high int                  // the first byte outside ASCII at or after from, len(text) when none
}

// Reset starts over on text.
func (p *PlainScan) Reset(text []byte) {
	p.text = text
	p.from = len(text) + 1 // nothing searched yet
}

// Plain reports whether text[from:to] is plain; false when the piece is
// not within the text.
func (p *PlainScan) Plain(from, to int) bool {
	if from < 0 || to > len(p.text) || from > to || (from > 0 && p.text[from-1] == '\\') {
		return false
	}
	if from < p.from {
		for k := range p.next {
			p.next[k] = -1
		}
		p.high = -1
	}
	p.from = from
	if p.next[0] < from {
		p.next[0] = nextSpelling(p.text, from)
	}
	if p.next[0] < to {
		return false
	}
	if p.high < from {
		p.high = nextHigh(p.text, from)
	}
	if p.high >= to {
		return true // ASCII: none of the lead bytes
	}
	for k := 1; k < len(plainBytes); k++ {
		if p.next[k] < from {
			at := max(from, p.high)
			if j := bytes.IndexByte(p.text[at:], plainBytes[k]); j < 0 {
				p.next[k] = len(p.text)
			} else {
				p.next[k] = at + j
			}
		}
		if p.next[k] < to {
			return false
		}
	}
	return true
}

// nextHigh returns the offset of the first byte outside ASCII at or after
// from, len(text) when there is none (indexHigh).
func nextHigh(text []byte, from int) int { return from + indexHigh(text[from:]) }

// indexHighWords is indexHigh without assembly: 32 bytes a step, one test
// of their four words OR-ed.
func indexHighWords(b []byte) int {
	const msb = 0x8080808080808080
	i := 0
	for ; i+32 <= len(b); i += 32 {
		w := b[i : i+32 : i+32]
		x := binary.LittleEndian.Uint64(w) | binary.LittleEndian.Uint64(w[8:]) |
			binary.LittleEndian.Uint64(w[16:]) | binary.LittleEndian.Uint64(w[24:])
		if x&msb != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return i
		}
	}
	return len(b)
}

// nextSpelling returns the offset of the first \u or \/ escape at or after
// from (an escaped backslash followed by u is not one), len(text) when
// there is none.
func nextSpelling(text []byte, from int) int {
	for i := from; ; {
		i = nextBackslash(text, i)
		if i+1 >= len(text) {
			return len(text)
		}
		if c := text[i+1]; c == 'u' || c == '/' {
			return i
		}
		i += 2 // the escaped character
	}
}

// nextBackslash returns the offset of the first backslash at or after
// from, len(text) when there is none. Backslashes come in runs and
// clusters (C:\\Windows\\System32): the next 32 bytes are tested eight at
// a time before a call to IndexByte, whose set-up costs more than that.
func nextBackslash(text []byte, from int) int {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	i := from
	for end := min(from+32, len(text)); i+8 <= end; i += 8 {
		x := binary.LittleEndian.Uint64(text[i:]) ^ lsb*'\\'
		if t := (x - lsb) &^ x & msb; t != 0 {
			return i + bits.TrailingZeros64(t)/8 // the lowest is exact
		}
	}
	if j := bytes.IndexByte(text[i:], '\\'); j >= 0 {
		return i + j
	}
	return len(text)
}

// Within returns where piece starts in the scan's text, when piece is a
// part of it (a line cut from the text, an element of an envelope on such
// a line); ok is false otherwise.
func (p *PlainScan) Within(piece []byte) (from int, ok bool) {
	if len(piece) == 0 || len(p.text) == 0 {
		return 0, false
	}
	off := cap(p.text) - cap(piece)
	if off < 0 || off+len(piece) > len(p.text) || &p.text[off] != &piece[0] {
		return 0, false
	}
	return off, true
}

// foldsToASCII reports whether the text holds a character that case
// folding or upper-casing turns into an ASCII letter: U+0131 (dotless i),
// U+017F (long s), U+212A (Kelvin sign).
func foldsToASCII(raw []byte) bool {
	return holds(raw, "\u0131") || holds(raw, "\u017f") || holds(raw, "\u212a")
}

// holds reports whether raw holds the multi-byte character c: searched
// for by its lead byte, which text in ASCII never has (bytes.IndexByte's
// vector search, faster than a first pass telling ASCII text apart).
func holds(raw []byte, c string) bool {
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], c[0])
		if j < 0 {
			return false
		}
		i += j
		if bytes.HasPrefix(raw[i:], []byte(c)) {
			return true
		}
		i++
	}
}

func (r *Rule) selectorOf() *IndexSelector {
	if r.selector != nil {
		return r.selector
	}
	patterns := r.Index
	if patterns == nil {
		patterns = DefaultIndexPatterns
	}
	return NewIndexSelector(patterns)
}

// neverGrouped reports whether the normalizer never writes one of the
// rule's group-by (or new terms) fields: no document it makes can count in
// a group of the rule.
func neverGrouped(r *Rule, origin match.Origin) bool {
	for _, f := range r.groupFields() {
		if kind, _ := origin(f); kind == match.Absent {
			return true
		}
	}
	return false
}

// appendLower appends b with ASCII letters lower-cased, eight bytes at a
// time, and reports whether b holds a byte outside ASCII.
func appendLower(dst, b []byte) ([]byte, bool) {
	n := len(dst)
	dst = append(dst, b...)
	d := dst[n:]
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	var high uint64
	i := 0
	for ; i+8 <= len(d); i += 8 {
		x := binary.LittleEndian.Uint64(d[i:])
		high |= x
		low7 := x &^ msb
		ge := low7 + lsb*(0x80-'A')   // top bit: byte >= 'A' (of its low 7 bits)
		gt := low7 + lsb*(0x80-'Z'-1) // top bit: byte > 'Z'
		upper := ge &^ gt &^ x & msb  // ASCII 'A'..'Z' only
		binary.LittleEndian.PutUint64(d[i:], x|upper>>2)
	}
	for ; i < len(d); i++ {
		c := d[i]
		high |= uint64(c)
		if 'A' <= c && c <= 'Z' {
			d[i] = c + 'a' - 'A'
		}
	}
	return dst, high&msb != 0
}
