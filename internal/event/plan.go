package event

import (
	"slices"
	"sync/atomic"
)

// FieldID names a path registered in a Plan.
type FieldID int32

// Plan is the set of field paths that compiled rules read. Build it while
// compiling (Add is not safe for concurrent use), then share it read-only
// between goroutines: events compile it lazily, once, into a byte trie that
// their scanner walks, and that step is safe for concurrent use. Adding a
// path after events were read invalidates the trie; the next event rebuilds
// it.
//
// Planned paths are matched the way Elasticsearch resolves field names: a
// document leaf reached through the keys k1, k2, ..., kn has the path
// k1+"."+k2+...+"."+kn, whatever dots the keys themselves hold. Paths with an
// empty segment ("", ".a", "a.", "a..b") are names Elasticsearch refuses;
// they follow the same rule here, which the map-based Get does not (see
// Event.Get).
type Plan struct {
	ids   map[string]FieldID
	paths []string
	trie  atomic.Pointer[trie]
}

// NewPlan returns an empty plan.
func NewPlan() *Plan { return &Plan{ids: map[string]FieldID{}} }

// Add registers path (idempotent) and returns its id.
func (p *Plan) Add(path string) FieldID {
	if id, ok := p.ids[path]; ok {
		return id
	}
	if p.ids == nil {
		p.ids = map[string]FieldID{}
	}
	id := FieldID(len(p.paths))
	p.ids[path] = id
	p.paths = append(p.paths, path)
	p.trie.Store(nil)
	return id
}

// Lookup returns the id of a registered path.
func (p *Plan) Lookup(path string) (FieldID, bool) {
	id, ok := p.ids[path]
	return id, ok
}

// Path returns the path of id, which must come from this plan.
func (p *Plan) Path(id FieldID) string { return p.paths[id] }

// Len is the number of registered paths.
func (p *Plan) Len() int { return len(p.paths) }

// compiled returns the plan's trie, building it on first use after an Add.
// Concurrent callers may each build one; they are identical and the last
// store wins.
func (p *Plan) compiled() *trie {
	if t := p.trie.Load(); t != nil && t.n == len(p.paths) {
		return t
	}
	t := newTrie(p.paths)
	p.trie.Store(t)
	return t
}

// trie is a byte-level automaton over the planned paths. State 0 is dead (no
// planned path continues) and state 1 is the root (the empty path). Walking a
// key's decoded bytes from the state of its object's path gives the state of
// the key's path; its '.' transition is where the keys of an object at that
// path start.
type trie struct {
	n     int // number of plan paths compiled
	nodes []trieNode
	// Edges of node k are edgeByte[k.lo:k.hi] (sorted) and edgeNext[k.lo:k.hi].
	edgeByte []byte
	edgeNext []int32
}

type trieNode struct {
	lo, hi int32
	id     FieldID // the planned path ending here, or -1
	dot    int32   // state after '.', or 0: no planned path goes deeper
}

// emptyTrie serves events without a plan: every key is dead, so a scan only
// validates.
var emptyTrie = newTrie(nil)

func newTrie(paths []string) *trie {
	type building struct {
		kids map[byte]int32
		id   FieldID
	}
	b := []building{{id: -1}, {id: -1}}
	for id, p := range paths {
		st := int32(1)
		for i := 0; i < len(p); i++ {
			next, ok := b[st].kids[p[i]]
			if !ok {
				next = int32(len(b))
				b = append(b, building{id: -1})
				if b[st].kids == nil {
					b[st].kids = map[byte]int32{}
				}
				b[st].kids[p[i]] = next
			}
			st = next
		}
		b[st].id = FieldID(id)
	}
	t := &trie{n: len(paths), nodes: make([]trieNode, len(b))}
	for k, n := range b {
		keys := make([]byte, 0, len(n.kids))
		for c := range n.kids {
			keys = append(keys, c)
		}
		slices.Sort(keys)
		lo := int32(len(t.edgeByte))
		for _, c := range keys {
			t.edgeByte = append(t.edgeByte, c)
			t.edgeNext = append(t.edgeNext, n.kids[c])
		}
		t.nodes[k] = trieNode{lo: lo, hi: int32(len(t.edgeByte)), id: n.id, dot: n.kids['.']}
	}
	return t
}

// next is the state after byte c from state st (0 when no planned path
// continues that way).
func (t *trie) next(st int32, c byte) int32 {
	n := &t.nodes[st]
	for k := n.lo; k < n.hi; k++ {
		if e := t.edgeByte[k]; e >= c {
			if e == c {
				return t.edgeNext[k]
			}
			return 0
		}
	}
	return 0
}

// final is the state of a completed key: st, or 0 when the key's path is
// neither planned nor followed by '.' in a planned path (the value is then
// skipped without descending).
func (t *trie) final(st int32) int32 {
	if n := &t.nodes[st]; n.id < 0 && n.dot == 0 {
		return 0
	}
	return st
}
