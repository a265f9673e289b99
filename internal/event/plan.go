package event

import (
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// FieldID names a path registered in a Plan.
type FieldID int32

// Plan is the set of field paths that compiled rules read. Build it while
// compiling (Add is not safe for concurrent use), then share it read-only
// between goroutines: events compile it lazily, once, into a trie that their
// scanner walks, and that step is safe for concurrent use. Adding a
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

// trie is an automaton over the segments of the planned paths (the parts
// between dots). Node 0 is dead (no planned path continues) and node 1 is the
// root (the empty path). A key's path is found by looking up each segment of
// the key among the children of its object's node, so keys holding dots and
// nested objects reach the same node.
type trie struct {
	n     int // number of plan paths compiled
	nodes []trieNode
}

type trieNode struct {
	id FieldID // the planned path ending here, or -1
	// first has a bit for each byte a key may start with to reach a kid: the
	// first bytes of the kids' segments, '\\' (an escape may decode to any
	// of them) and, unless direct, the bytes from 0x80.
	first [4]uint64
	// direct is set when every kid's segment is plain printable ASCII (no
	// '"', '\\'), so that the raw bytes of a key without escapes can be
	// compared with it, and there are few kids.
	direct bool
	kids   []trieKid
	// byName indexes kids when there are many.
	byName map[string]int32
}

type trieKid struct {
	seg  string
	node int32
}

// emptyTrie serves events without a plan: every key is dead, so a scan only
// validates.
var emptyTrie = newTrie(nil)

func newTrie(paths []string) *trie {
	t := &trie{n: len(paths), nodes: []trieNode{{id: -1}, {id: -1}}}
	for id, p := range paths {
		st := int32(1)
		for {
			seg, rest, more := strings.Cut(p, ".")
			next := t.child(st, seg)
			if next == 0 {
				next = int32(len(t.nodes))
				t.nodes = append(t.nodes, trieNode{id: -1})
				t.nodes[st].kids = append(t.nodes[st].kids, trieKid{seg: seg, node: next})
			}
			st = next
			if !more {
				break
			}
			p = rest
		}
		t.nodes[st].id = FieldID(id)
	}
	for k := range t.nodes {
		n := &t.nodes[k]
		n.direct = len(n.kids) <= 8
		for _, kid := range n.kids {
			n.direct = n.direct && plainASCII(kid.seg)
		}
		if len(n.kids) > 0 {
			if !n.direct {
				n.first = [4]uint64{2: ^uint64(0), 3: ^uint64(0)}
			}
			n.setFirst('\\')
			for _, kid := range n.kids {
				if kid.seg == "" {
					n.setFirst('"')
					n.setFirst('.')
				} else {
					n.setFirst(kid.seg[0])
				}
			}
		}
		// Shorter segments first: the comparison of lengths rejects most.
		slices.SortStableFunc(n.kids, func(a, b trieKid) int { return len(a.seg) - len(b.seg) })
		if len(n.kids) > 8 {
			n.byName = make(map[string]int32, len(n.kids))
			for _, kid := range n.kids {
				n.byName[kid.seg] = kid.node
			}
		}
	}
	return t
}

// plainASCII reports whether s is printable ASCII without '"' and '\\':
// bytes that stand for themselves in a JSON string.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func (n *trieNode) setFirst(c byte) { n.first[c>>6] |= 1 << (c & 63) }

// mayStart reports whether a key starting with byte c may reach a kid.
func (n *trieNode) mayStart(c byte) bool { return n.first[c>>6]&(1<<(c&63)) != 0 }

// child returns the node of segment seg below node st, 0 if none.
func (t *trie) child(st int32, seg string) int32 {
	n := &t.nodes[st]
	if n.byName != nil {
		return n.byName[seg]
	}
	for _, kid := range n.kids {
		if len(kid.seg) == len(seg) && kid.seg == seg {
			return kid.node
		}
	}
	return 0
}

// childBytes is child for a segment of the document, without copying it.
func (t *trie) childBytes(st int32, seg []byte) int32 {
	n := &t.nodes[st]
	if n.byName != nil {
		return n.byName[string(seg)]
	}
	for _, kid := range n.kids {
		if len(kid.seg) == len(seg) && kid.seg == string(seg) {
			return kid.node
		}
	}
	return 0
}

// final is the node of a completed key: st, or 0 when the key's path is
// neither planned nor the start of a deeper planned path (the value is then
// skipped without descending).
func (t *trie) final(st int32) int32 {
	if n := &t.nodes[st]; n.id < 0 && len(n.kids) == 0 {
		return 0
	}
	return st
}
