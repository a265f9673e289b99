package azure

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// findProbes are the keys the find tests look up: keys of randomObject's
// pool in every mode's spelling, and keys no object holds.
var findProbes = []string{
	"", "a", "b", "id", "Id", "userId", "user_id", "UserId", "user__id", "userid", "status", "Status", "location",
	"geoCoordinates", "geo_coordinates", "k0", "k1", "k13", "missing", "a_b", "aB",
}

// randomObject returns the text of a JSON object of n members whose keys
// repeat (under one spelling or under two the snake case makes one),
// with blanks between tokens when spaced, and an escaped key when escaped.
func randomObject(r *rand.Rand, n int, spaced, escaped bool) string {
	pool := []string{"", "a", "b", "id", "Id", "userId", "user_id", "UserId", "user__id", "status", "Status", "location",
		"geoCoordinates", "geo_coordinates", "a_b", "aB", "tenantId", "tenant_id", "category", "key", "value",
		"initiatedBy", "initiated_by", "statusCode", "status_code"}
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if spaced {
			b.WriteString(" \n")
		}
		k := pool[r.IntN(len(pool))]
		if r.IntN(3) == 0 {
			k = fmt.Sprintf("k%d", r.IntN(n+1)) // mostly distinct
		}
		if escaped && i == n/2 {
			k = `user\u005fid`
		}
		fmt.Fprintf(&b, "%q", k)
		if spaced {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, `:"v%d"`, i)
	}
	b.WriteByte('}')
	return b.String()
}

// TestFindTableIsLinear: over objects of every size around the tables'
// bounds, read by object in each key mode (after the check, members read
// in place, and without it), with keys that repeat under one spelling or
// two, escaped keys and keys asked for the first time after the object
// was read, find answers what comparing the keys member by member does,
// the general-path mark included. One writer reads all the records, so
// the cache of names and the numbers of keys carry over from record to
// record, as they do in a run.
func TestFindTableIsLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 22))
	modes := []xform{{}, {snake: true}, {snake: true, dropUnderscore: true}}
	f := &fastDoc{}
	for round := range 600 {
		n := r.IntN(minTabled + 6)
		if round%50 == 0 {
			n = 40
		}
		rec := randomObject(r, n, round%3 == 1, round%7 == 3)
		t.Run("", func(t *testing.T) {
			for _, mode := range modes {
				f.reset([]byte(rec))
				if round%2 == 0 && !f.check() {
					t.Fatalf("check refused %s", rec)
				}
				o, ok := f.object(span{0, len(rec)}, mode)
				if !ok {
					if !strings.Contains(rec, `\u005f`) {
						t.Fatalf("object(%s, %+v) declined", rec, mode)
					}
					continue
				}
				if len(o.ms) != n {
					t.Fatalf("object(%s, %+v): %d members, want %d", rec, mode, len(o.ms), n)
				}
				// Probe in a random order: some keys are numbered only now.
				probes := append([]string{}, findProbes...)
				r.Shuffle(len(probes), func(i, j int) { probes[i], probes[j] = probes[j], probes[i] })
				for _, k := range probes {
					f.bad = false
					got, gotOK := f.find(o, k)
					gotBad := f.bad
					var wantBad bool
					want, wantOK := findLinear(o.ms, k, &wantBad)
					if got != want || gotOK != wantOK || gotBad != wantBad {
						t.Fatalf("object %s, %+v, key %q: find %v %v bad %v, linear %v %v bad %v", rec, mode, k, got, gotOK, gotBad, want, wantOK, wantBad)
					}
				}
				// The fixed keys, by number: the pool holds some of them,
				// in one spelling or two.
				for k := len(fixedKeys) - 1; k > 0; k-- {
					f.bad = false
					got, gotOK := f.findK(o, wkey(k))
					gotBad := f.bad
					var wantBad bool
					want, wantOK := findLinear(o.ms, fixedKeys[k], &wantBad)
					if got != want || gotOK != wantOK || gotBad != wantBad {
						t.Fatalf("object %s, %+v, fixed key %q: findK %v %v bad %v, linear %v %v bad %v", rec, mode, fixedKeys[k], got, gotOK, gotBad, want, wantOK, wantBad)
					}
				}
			}
		})
	}
}

// TestFindTablesRunOut: a record with more objects than tables, and keys
// numbered past the numbers' bound, still find their members (comparing
// keys).
func TestFindTablesRunOut(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"list":[`)
	for i := range maxTables + 10 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"userId":"u%d","status":"s%d"}`, i, i)
	}
	b.WriteString(`]}`)
	rec := b.String()
	f := &fastDoc{}
	// Number more keys than the bound allows.
	var many []string
	for i := range maxWanted + 20 {
		many = append(many, fmt.Sprintf("w%d", i))
	}
	for _, k := range many {
		f.keyID(k)
	}
	for range 2 {
		f.reset([]byte(rec))
		f.check()
		top, ok := f.object(span{0, len(rec)}, xform{snake: true})
		if !ok {
			t.Fatal("object declined")
		}
		list, _ := f.find(top, "list")
		i := 0
		f.elements(f.raw, list, func(x span) bool {
			o, ok := f.object(x, xform{snake: true})
			if !ok {
				t.Fatal("object declined")
			}
			if (o.tab == nil) != (i >= maxTables-1) {
				t.Errorf("element %d: table %v", i, o.tab != nil)
			}
			v, ok := f.find(o, "user_id")
			if got, _ := f.str(v, ok); got != fmt.Sprintf("u%d", i) {
				t.Errorf("element %d: user_id %q", i, got)
			}
			v, ok = f.findK(o, wStatus)
			if got, _ := f.str(v, ok); got != fmt.Sprintf("s%d", i) {
				t.Errorf("element %d: status by number %q", i, got)
			}
			if _, ok := f.findK(o, wID); ok {
				t.Errorf("element %d: found a fixed key it lacks", i)
			}
			if _, ok := f.find(o, many[len(many)-1]); ok {
				t.Errorf("element %d: found a key it lacks", i)
			}
			i++
			return true
		})
	}
}

// TestFindKeyCacheSlots: key strings whose bytes lie where the cache puts
// them in one slot are told apart, in any order, and a key without bytes
// is not taken for an empty slot.
func TestFindKeyCacheSlots(t *testing.T) {
	buf := []byte(strings.Repeat(".", 8*keyCacheSlots*3+16))
	put := func(at int, k string) string {
		copy(buf[at:], k)
		return unsafeString(buf[at : at+len(k)])
	}
	// One slot for the three, and not the slot of a key without bytes
	// (buf's start may be where that one's is).
	a := put(8, "status")
	b := put(8+8*keyCacheSlots, "userId")
	c := put(8+16*keyCacheSlots, "id")
	rec := `{"status":"s","userId":"u","id":"i","x":1,"y":2,"z":3,"a":4,"b":5,"c":6,"d":7,"e":8,"":"e"}`
	f := &fastDoc{}
	for round := range 3 {
		f.reset([]byte(rec))
		o, ok := f.object(span{0, len(rec)}, xform{})
		if !ok || o.tab == nil {
			t.Fatalf("round %d: object %v, table %v", round, ok, o.tab != nil)
		}
		for _, k := range []string{a, b, c, a, c, b} {
			v, ok := f.find(o, k)
			got, _ := f.str(v, ok)
			if want := k[:1]; got != want {
				t.Errorf("round %d, key %q: %q, want %q", round, k, got, want)
			}
		}
		// A key of no bytes (its address nil), first asked once keys are
		// numbered, meets the cache's empty slots.
		if round == 0 {
			continue
		}
		if v, ok := f.find(o, unsafe.String(nil, 0)); !ok || string(f.raw[v.s:v.e]) != `"e"` {
			t.Errorf("round %d, the empty key: %v %v", round, v, ok)
		}
	}
}

// TestFixedKeys: every fixed number has a name of its own, and a writer
// gives the names those numbers whether its first key is numbered by a
// look-up (keyID) or by an object's table.
func TestFixedKeys(t *testing.T) {
	seen := map[string]bool{}
	for k := 1; k < len(fixedKeys); k++ {
		n := fixedKeys[k]
		if n == "" || seen[n] {
			t.Errorf("fixed key %d: name %q empty or repeated", k, n)
		}
		seen[n] = true
	}
	byLookup, byTable := &fastDoc{}, &fastDoc{}
	byLookup.keyID("first")
	byTable.table()
	for _, f := range []*fastDoc{byLookup, byTable} {
		for k := 1; k < len(fixedKeys); k++ {
			if got := f.keyID(fixedKeys[k]); int(got) != k {
				t.Errorf("%q numbered %d, want %d", fixedKeys[k], got, k)
			}
		}
	}
	if got := byLookup.keyID("first"); int(got) != len(fixedKeys) {
		t.Errorf("the first key asked numbered %d, want %d", got, len(fixedKeys))
	}
}

// TestKeyNameSequences: records whose objects have a member more, a
// member fewer or a member other than the last record's at some point
// get every key's name and number right (keyName's look one entry
// ahead, and the entries it moves to make room), the order of names
// settles when records alternate, and records whose keys never repeat
// keep the order of names bounded.
func TestKeyNameSequences(t *testing.T) {
	obj := func(keys ...string) string {
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `%q:%d`, k, i)
		}
		b.WriteByte('}')
		return b.String()
	}
	long := make([]string, maxSeqMoved+10)
	for i := range long {
		long[i] = fmt.Sprintf("longKey%d", i)
	}
	base := []string{"errorCode", "failureReason", "additionalDetails", "city", "state", "userId"}
	recs := []string{
		obj(base...),
		obj("errorCode", "additionalDetails", "city", "state", "userId"), // one fewer
		obj(base...), // one more
		obj("errorCode", "failureReason", "userAgent", "additionalDetails", "city", "state", "userId"), // one more again
		obj("errorCode", "failureReason", "status", "city", "state", "userId"),                         // one other
		obj("errorCode", "city", "state"),                                                              // two fewer
		obj(append([]string{"a"}, long...)...),
		obj(append([]string{"b"}, long...)...), // one other before many
		obj(append([]string{"a", "x"}, long...)...),
	}
	f := &fastDoc{}
	check := func(rec string, mode xform) {
		t.Helper()
		f.reset([]byte(rec))
		f.check()
		o, ok := f.object(span{0, len(rec)}, mode)
		if !ok {
			t.Fatalf("object(%s) declined", rec)
		}
		for _, m := range o.ms {
			if want := snakeKey(m.raw, mode.dropUnderscore); m.key != want {
				t.Fatalf("%s: key %q named %q, want %q", rec, m.raw, m.key, want)
			}
			if v, ok := f.find(o, m.key); !ok || v != m.v {
				t.Fatalf("%s: find(%q) = %v %v, want %v", rec, m.key, v, ok, m.v)
			}
		}
	}
	for round := range 3 {
		for _, rec := range recs {
			check(rec, xform{snake: true})
			check(rec, xform{snake: true, dropUnderscore: true})
		}
		_ = round
	}
	// Alternating records settle: the names' order stops growing.
	f.reset(nil)
	for range 3 {
		check(recs[0], xform{snake: true})
		check(recs[1], xform{snake: true})
	}
	settled := len(f.seq)
	for range 5 {
		check(recs[0], xform{snake: true})
		check(recs[1], xform{snake: true})
	}
	if len(f.seq) != settled {
		t.Errorf("alternating records: %d names in order, then %d", settled, len(f.seq))
	}
	// Keys that never repeat: the order grows by appends and moves
	// only while few entries follow.
	for i := range 400 {
		check(obj(fmt.Sprintf("new%d", i), "x", "y"), xform{snake: true})
	}
	if len(f.seq) > settled+maxSeqMoved+3 {
		t.Errorf("keys that never repeat: %d names in order", len(f.seq))
	}
}
