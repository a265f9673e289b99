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
// scanner walks, and that step is safe for concurrent use. Adding a path
// after events were read invalidates the trie; the next event rebuilds it.
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
	// start maps the first byte of a key to where its lookup goes: 0 when no
	// kid can match, viaSegments to keyBySegments, else 1 + the index of the
	// first kid whose segment starts with that byte. nil without kids.
	start *[256]uint8
	kids  []trieKid // by first byte, then length; "" first
	// byName indexes kids when there are many.
	byName map[string]int32
}

// viaSegments marks the first bytes of keys looked up by keyBySegments: an
// escape ('\\', which may decode to anything), and any byte at a node whose
// kids cannot be compared with raw bytes.
const viaSegments = 255

// maxDirect is the most kids a node compares raw keys with.
const maxDirect = 64

type trieKid struct {
	seg  string
	node int32
	// The segment's first bytes (up to eight, little-endian) and the
	// mask of those bytes in a word: a key's next eight bytes, masked,
	// are compared with head before anything else.
	head, mask uint64
}

// newTrieKid returns the kid of segment seg at node.
func newTrieKid(seg string, node int32) trieKid {
	k := trieKid{seg: seg, node: node}
	for i := 0; i < len(seg) && i < 8; i++ {
		k.head |= uint64(seg[i]) << (8 * i)
		k.mask |= 0xff << (8 * i)
	}
	return k
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
				t.nodes[st].kids = append(t.nodes[st].kids, newTrieKid(seg, next))
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
		if len(n.kids) == 0 {
			continue
		}
		slices.SortStableFunc(n.kids, func(a, b trieKid) int {
			if c := strings.Compare(a.seg[:min(1, len(a.seg))], b.seg[:min(1, len(b.seg))]); c != 0 {
				return c
			}
			return len(a.seg) - len(b.seg)
		})
		// Compare raw bytes when every segment is plain printable ASCII
		// (it then stands for itself in a JSON string) and kids are few.
		direct := len(n.kids) <= maxDirect
		for _, kid := range n.kids {
			direct = direct && plainASCII(kid.seg)
		}
		n.start = new([256]uint8)
		for k := len(n.kids) - 1; k >= 0; k-- {
			mark := uint8(viaSegments)
			if direct {
				mark = uint8(k + 1)
			}
			if seg := n.kids[k].seg; seg == "" {
				n.start['"'], n.start['.'] = mark, mark
			} else {
				n.start[seg[0]] = mark
			}
		}
		n.start['\\'] = viaSegments
		if !direct {
			for c := utf8.RuneSelf; c < 256; c++ {
				n.start[c] = viaSegments
			}
		}
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
