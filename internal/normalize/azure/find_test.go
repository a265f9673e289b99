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
	for n := range maxIndexed + 3 {
		for round := range 20 {
			f := &fastDoc{}
			f.reset([]byte(`{}`))
			ms := make([]tkv, n)
			for i := range ms {
				k := keys[r.IntN(len(keys))]
				if round%2 == 0 {
					k = fmt.Sprintf("k%d", r.IntN(n+1)) // mostly distinct
				}
				raw := k
				if r.IntN(8) == 0 {
					raw = k + "'" // another spelling in the record
				}
				ms[i] = tkv{key: k, raw: raw, v: span{i, i + 1}}
			}
			f.index(ms)
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
	f.index(buf)
	for i := range buf {
		buf[i] = tkv{key: fmt.Sprintf("b%d", i), raw: fmt.Sprintf("b%d", i), v: span{100 + i, 100 + i}}
	}
	f.index(buf)
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
