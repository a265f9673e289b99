package sequence

import (
	"encoding/binary"
	"errors"
	"hash/maphash"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
)

// Facts are what a query's steps make of one event: which steps (as
// written, runs counted once, missing-event steps and until included)
// select it with a usable join key, and that key, encoded. They are all a
// matcher reads of an event, so a caller that evaluates events in parallel
// and matches them later, in time order, reads each event once
// (AppendFacts where it is evaluated, PushFacts at the end) instead of
// scanning it again; and they tell which events cannot take part in any
// result (KeySet).
//
// The encoding: the number of entries (uvarint), then for each, in step
// order, the step's index as written (Query.Written for until, uvarint),
// the key's length (uvarint) and the key (encodeKey's form).

// errBadFacts is returned for facts that were not written by AppendFacts
// of the same query.
var errBadFacts = errors.New("eql sequence: an event's step verdicts are corrupt")

// Written is the number of steps as written (runs counted once): the
// index of until in facts.
func (q *Query) Written() int { return q.written }

// AppendFacts appends to b the facts of ev (built with Query.Plan) and
// returns it. An event no step selects has the facts of zero entries
// (one byte).
func (q *Query) AppendFacts(b []byte, ev *event.Event) []byte {
	return q.AppendFactsKnown(b, ev, nil)
}

// AppendFactsKnown is AppendFacts for an event of which the caller knows
// what some steps make: for the steps of selector i (i indexes
// Selectors), verdict(i) reports whether that is known (a rule index that
// never reached the selector's entry, or evaluated it), and if so whether
// the steps' condition holds; the steps not known are evaluated. A nil
// verdict knows nothing.
func (q *Query) AppendFactsKnown(b []byte, ev *event.Event, verdict func(selector int) (holds, known bool)) []byte {
	var buf [4]any // the join-key values of a step, on the stack
	var kbuf [128]byte
	at := len(b)
	b = append(b, 0)
	n := 0
	add := func(idx int, s *step) {
		holds, known := false, false
		if verdict != nil {
			holds, known = verdict(s.selector)
		}
		if !known {
			holds = s.m.Match(ev)
		}
		if !holds {
			return
		}
		vs, ok := appendVals(buf[:0], s, ev)
		if !ok {
			return
		}
		key := appendKey(kbuf[:0], vs)
		b = binary.AppendUvarint(b, uint64(idx))
		b = binary.AppendUvarint(b, uint64(len(key)))
		b = append(b, key...)
		n++
	}
	for i, s := range q.written1 {
		add(i, s)
	}
	if q.until != nil {
		add(q.written, q.until)
	}
	if n < 0x80 {
		b[at] = byte(n)
		return b
	}
	// More than 127 entries (a query of as many steps): the count takes
	// more than the byte reserved for it.
	head := binary.AppendUvarint(nil, uint64(n))
	rest := append([]byte(nil), b[at+1:]...)
	return append(append(b[:at], head...), rest...)
}

// factsReader walks facts' entries.
type factsReader struct {
	b []byte
	n uint64
}

func readFacts(b []byte) (factsReader, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return factsReader{}, errBadFacts
	}
	return factsReader{b: b[k:], n: n}, nil
}

// next returns the next entry: the step's index as written (Written for
// until) and its key; ok is false at the end.
func (r *factsReader) next() (idx int, key []byte, ok bool, err error) {
	if r.n == 0 {
		return 0, nil, false, nil
	}
	r.n--
	i, k := binary.Uvarint(r.b)
	if k <= 0 || i > 1<<30 {
		return 0, nil, false, errBadFacts
	}
	r.b = r.b[k:]
	l, k := binary.Uvarint(r.b)
	if k <= 0 || uint64(len(r.b)-k) < l {
		return 0, nil, false, errBadFacts
	}
	key = r.b[k : k+int(l)]
	r.b = r.b[k+int(l):]
	return int(i), key, true, nil
}

// factKey is one step's entry in the facts of the event being pushed.
type factKey struct {
	ok  bool
	key []byte
}

// loadFacts decodes facts into fk, indexed by step as written (until
// last), which it returns (grown as needed).
func (q *Query) loadFacts(facts []byte, fk []factKey) ([]factKey, error) {
	if cap(fk) < q.written+1 {
		fk = make([]factKey, q.written+1)
	}
	fk = fk[:q.written+1]
	clear(fk)
	r, err := readFacts(facts)
	if err != nil {
		return fk, err
	}
	for {
		i, key, ok, err := r.next()
		if err != nil {
			return fk, err
		}
		if !ok {
			return fk, nil
		}
		if i > q.written || i == q.written && q.until == nil {
			return fk, errBadFacts
		}
		fk[i] = factKey{ok: true, key: key}
	}
}

// decodeKey returns the values encodeKey encoded (nil when key is not
// its form, which cannot happen for keys AppendFacts wrote).
func decodeKey(key string) []any {
	var vals []any
	for key != "" {
		c := key[0]
		key = key[1:]
		switch c {
		case 'z':
			vals = append(vals, nil)
		case 'T', 'F':
			vals = append(vals, c == 'T')
		case 'i', 'f':
			end := strings.IndexByte(key, ';')
			if end < 0 {
				return nil
			}
			if c == 'i' {
				v, err := strconv.ParseInt(key[:end], 10, 64)
				if err != nil {
					return nil
				}
				vals = append(vals, v)
			} else {
				v, err := strconv.ParseFloat(key[:end], 64)
				if err != nil {
					return nil
				}
				vals = append(vals, v)
			}
			key = key[end+1:]
		case 's':
			colon := strings.IndexByte(key, ':')
			if colon < 0 {
				return nil
			}
			n, err := strconv.Atoi(key[:colon])
			if err != nil || n < 0 || n > len(key)-colon-1 {
				return nil
			}
			vals = append(vals, key[colon+1:colon+1+n])
			key = key[colon+1+n:]
		default:
			return nil
		}
	}
	return vals
}

// KeySet tells which events can take part in a query's results, once it
// has been given the facts of every event the matcher could be pushed
// (Add): those with a join-key value seen at every step a result fills
// (every positive step of a sequence, every step of a sample). The events
// of the other keys change only those keys' state, which never gives a
// result: given to the matcher with Skip instead of PushFacts, they leave
// its results as they were, the same sequences of the same events
// (SortResults puts them in the same order: the time a trailing
// missing-event step's sequence is found to be complete can depend on the
// state of other keys). They do count towards MaxKeys and MaxPending: left
// out, the matcher drops less at its bounds.
//
// Keys are remembered by a hash of their value: a collision can only keep
// an event that could have been left out. Past MaxKeys distinct values it
// stops remembering and every event is needed. A KeySet is not safe for
// concurrent use.
type KeySet struct {
	q    *Query
	seed maphash.Seed
	seen map[uint64]uint64 // key hash -> bits of the steps (as written) that selected it
	need uint64            // the step bits a key must all have for its events to be needed
	off  bool              // every event is needed (too many steps to tell, or past MaxKeys)
	// MaxKeys bounds the key values remembered (1<<20 when 0); past it
	// every event is needed.
	MaxKeys int
}

// NewKeySet returns an empty KeySet for q.
func (q *Query) NewKeySet() *KeySet {
	ks := &KeySet{q: q, seed: maphash.MakeSeed(), seen: map[uint64]uint64{}}
	if q.written > 64 {
		ks.off = true
		return ks
	}
	for i, s := range q.written1 {
		if !s.missing {
			ks.need |= 1 << i
		}
	}
	return ks
}

func (k *KeySet) maxKeys() int {
	if k.MaxKeys <= 0 {
		return 1 << 20
	}
	return k.MaxKeys
}

// Len is the number of key values remembered.
func (k *KeySet) Len() int { return len(k.seen) }

// Add notes the keys of an event's facts.
func (k *KeySet) Add(facts []byte) error {
	if k.off {
		return nil
	}
	r, err := readFacts(facts)
	if err != nil {
		return err
	}
	for {
		i, key, ok, err := r.next()
		if err != nil || !ok {
			return err
		}
		if i >= k.q.written {
			continue // until gives a key no state
		}
		h := maphash.Bytes(k.seed, key)
		if _, known := k.seen[h]; !known && len(k.seen) >= k.maxKeys() {
			k.Stop()
			return nil
		}
		k.seen[h] |= 1 << i
	}
}

// Stop forgets the keys: every event is needed from now on.
func (k *KeySet) Stop() {
	k.off = true
	k.seen = nil
}

// Needed reports whether an event of these facts (given to Add before)
// can change the query's results. A corrupt record is needed (PushFacts
// reports it).
func (k *KeySet) Needed(facts []byte) bool {
	if k.off {
		return true
	}
	r, err := readFacts(facts)
	if err != nil {
		return true
	}
	for {
		_, key, ok, err := r.next()
		if err != nil {
			return true
		}
		if !ok {
			return false
		}
		bits := k.seen[maphash.Bytes(k.seed, key)]
		if bits&k.need == k.need {
			return true
		}
	}
}
