package azure

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestFindIndexIsLinear: over member lists of every size around the
// index's bounds, with keys that repeat (under one spelling of the record
// or two) and keys that hash alike, find with the index answers what the
// linear look-up does, the general-path mark included.
func TestFindIndexIsLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 22))
	// Few lengths and end bytes: many keys share a slot.
	keys := []string{"", "a", "b", "ab", "ba", "aa", "abc", "acc", "a_b", "axb", "user_id", "user_ix", "status", "statUs", "location", "locatiox"}
	distinct := make([]string, maxIndexed+3)
	for i := range distinct {
		distinct[i] = fmt.Sprintf("d%d", i)
	}
	for n := range maxIndexed + 3 {
		f := &fastDoc{} // one writer: an index of the same keys is kept
		for round := range 40 {
			f.reset([]byte(`{}`))
			ms := make([]tkv, n)
			for i := range ms {
				k := keys[r.IntN(len(keys))]
				switch round % 4 {
				case 0:
					k = fmt.Sprintf("k%d", r.IntN(n+1)) // mostly distinct
				case 2:
					k = distinct[i%len(distinct)] // the same strings as the round before
				}
				raw := k
				if r.IntN(8) == 0 {
					raw = k + "'" // another spelling in the record
				}
				ms[i] = tkv{key: k, raw: raw, v: span{i, i + 1}}
			}
			if round%4 == 1 {
				// The round after: the same strings, other values, and
				// sometimes one repeated under another spelling.
				for i := range ms {
					ms[i] = tkv{key: distinct[i%len(distinct)], raw: distinct[i%len(distinct)], v: span{i + 7, i + 9}}
				}
			}
			if round%8 == 2 && n > 3 {
				ms[3] = tkv{key: ms[1].key, raw: ms[1].key + "'", v: span{1, 2}}
			}
			f.index(ms, round%4 != 0) // the Sprintf keys are the writer's own too, but new each round
			if (f.indexOf(ms) != nil) != (n >= minIndexed && n <= maxIndexed) {
				t.Fatalf("%d members: indexed %v", n, f.indexOf(ms) != nil)
			}
			probe := append(append([]string{}, keys...), "k0", "k1", fmt.Sprintf("k%d", n), "missing")
			for _, k := range probe {
				f.bad = false
				got, gotOK := f.find(ms, k)
				gotBad := f.bad
				var wantBad bool
				want, wantOK := findLinear(ms, k, &wantBad)
				if got != want || gotOK != wantOK || gotBad != wantBad {
					t.Fatalf("%d members, key %q: index %v %v bad %v, linear %v %v bad %v\n%v", n, k, got, gotOK, gotBad, want, wantOK, wantBad, ms)
				}
			}
		}
	}
}

// TestFindIndexReplaced: an object read where an earlier one was (the
// writer's member list truncated and filled again) is looked up in its
// own index, not the earlier one's.
func TestFindIndexReplaced(t *testing.T) {
	f := &fastDoc{}
	f.reset([]byte(`{}`))
	buf := make([]tkv, 20)
	for i := range buf {
		buf[i] = tkv{key: fmt.Sprintf("a%d", i), raw: fmt.Sprintf("a%d", i), v: span{i, i}}
	}
	f.index(buf, false)
	for i := range buf {
		buf[i] = tkv{key: fmt.Sprintf("b%d", i), raw: fmt.Sprintf("b%d", i), v: span{100 + i, 100 + i}}
	}
	f.index(buf, false)
	if v, ok := f.find(buf, "b3"); !ok || v.s != 103 {
		t.Errorf("b3: %v %v", v, ok)
	}
	if _, ok := f.find(buf, "a3"); ok {
		t.Error("a3 found in the replaced object")
	}
	if len(f.indexes) != 1 {
		t.Errorf("%d indexes, want 1", len(f.indexes))
	}
}

// TestFindIndexKeptForDistinctKeys: an index is kept for members of the
// same key strings only when no key repeats; a repeated key under one
// spelling, then under two, is marked for the general path the second
// time.
func TestFindIndexKeptForDistinctKeys(t *testing.T) {
	keys := make([]string, 20)
	for i := range keys {
		keys[i] = fmt.Sprintf("key%d", i)
	}
	f := &fastDoc{}
	for round, raw3 := range []string{"key1", "key1'", "key1", "key1'"} {
		f.reset([]byte(`{}`))
		ms := make([]tkv, len(keys))
		for i, k := range keys {
			ms[i] = tkv{key: k, raw: k, v: span{round, i}}
		}
		ms[3] = tkv{key: keys[1], raw: raw3, v: span{round, 3}}
		f.index(ms, true)
		for _, k := range keys {
			f.bad = false
			got, gotOK := f.find(ms, k)
			var wantBad bool
			want, wantOK := findLinear(ms, k, &wantBad)
			if got != want || gotOK != wantOK || f.bad != wantBad {
				t.Fatalf("round %d, key %q: index %v %v bad %v, linear %v %v bad %v", round, k, got, gotOK, f.bad, want, wantOK, wantBad)
			}
		}
	}
}
