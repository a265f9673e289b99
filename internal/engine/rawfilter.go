package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

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
	heads *litHeads // finds the literals
}

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

// NewRawFilter builds the filter of the rules that select index (the index
// of the normalizer's documents) for records of the normalizer whose
// fields origin describes.
func NewRawFilter(rules []*Rule, index string, origin match.Origin) *RawFilter {
	f := &RawFilter{}
	ids := map[string]int32{}
	seen := map[string]bool{} // rules' conditions, each once
	for _, r := range rules {
		if !r.AllIndices && index != "" && !r.selectorOf().Match(index) {
			continue
		}
		if neverGrouped(r, origin) {
			continue // its matches there would all be Ungrouped
		}
		if r.Prefilter == nil {
			f.all = true
			return f
		}
		p := r.Prefilter(origin)
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
	f.heads = newLitHeads(f.lits)
	return f
}

// All reports whether every record passes (the filter is of no use).
func (f *RawFilter) All() bool { return f.all }

// Literals returns how many literals the filter looks for.
func (f *RawFilter) Literals() int { return len(f.lits) }

// RawScratch is what Pass reuses between calls on one goroutine.
type RawScratch struct {
	low   []byte
	found []bool // per literal: in the record
}

// Pass reports whether a rule could match the document made of the raw
// record. scratch is kept by the caller between calls.
func (f *RawFilter) Pass(raw []byte, scratch *RawScratch) bool {
	if f.all {
		return true
	}
	// \u and \/ can spell any character of a literal; U+0131 and U+017F
	// upper-case to ASCII letters (the REST shape is upper-cased).
	if bytes.Contains(raw, []byte(`\u`)) || bytes.Contains(raw, []byte(`\/`)) ||
		bytes.Contains(raw, []byte("\u0131")) || bytes.Contains(raw, []byte("\u017f")) {
		return true
	}
	low := appendLower(scratch.low[:0], raw)
	scratch.low = low
	if cap(scratch.found) < len(f.lits) {
		scratch.found = make([]bool, len(f.lits))
	}
	found := scratch.found[:len(f.lits)]
	f.heads.find(low, f.lits, found)
	has := func(id int32) bool { return found[id] }
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
// time.
func appendLower(dst, b []byte) []byte {
	n := len(dst)
	dst = append(dst, b...)
	d := dst[n:]
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(d); i += 8 {
		x := binary.LittleEndian.Uint64(d[i:])
		low7 := x &^ msb
		ge := low7 + lsb*(0x80-'A')   // top bit: byte >= 'A' (of its low 7 bits)
		gt := low7 + lsb*(0x80-'Z'-1) // top bit: byte > 'Z'
		upper := ge &^ gt &^ x & msb  // ASCII 'A'..'Z' only
		binary.LittleEndian.PutUint64(d[i:], x|upper>>2)
	}
	for ; i < len(d); i++ {
		if c := d[i]; 'A' <= c && c <= 'Z' {
			d[i] = c + 'a' - 'A'
		}
	}
	return dst
}
