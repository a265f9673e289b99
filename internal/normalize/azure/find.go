package azure

import "unsafe"

// A writer looks up dozens of keys among an object's members (a sign-in
// record's properties hold thirty and more): one pass over them per key
// was a twentieth of a record. object indexes the members of a large
// object once, in a small open-addressing table, and find reads it.

// minIndexed is the fewest members an object must have to be indexed;
// below it, the linear look-up is as cheap as building a table.
const minIndexed = 12

// indexSlots is the size of an index's table: at least twice the members
// it holds (the load stays at or under one half).
const indexSlots = 256

// maxIndexed is the most members an index holds (slots hold index+1 in
// a byte).
const maxIndexed = indexSlots / 2

// memberIndex is the index of one object's members, ms.
type memberIndex struct {
	base *tkv // unsafe.SliceData of the members (the object's identity)
	n    int
	// slot holds 1 + the position in ms of the last member with a key,
	// 0 when free; mixed marks a key met under two spellings of the
	// record (two keys made one by the snake case): find then marks the
	// record for the general path, as its linear form does.
	slot  [indexSlots]uint8
	mixed [indexSlots]bool
	// keys are the members' keys the table was built for, when no two
	// of them are one: members with the same keys (the same strings: the
	// snake case's cached names) are looked up in the same table.
	keys   []string
	unique bool
}

func keyHash(k string) uint {
	if len(k) == 0 {
		return 0
	}
	return (uint(len(k))*31 + uint(k[0])*7 + uint(k[len(k)-1])*131 + uint(k[len(k)/2])) & (indexSlots - 1)
}

// index builds the index of ms (members object returned) when it is
// large enough; an index of an earlier object at the same place is
// replaced. stable tells keys that are the writer's own strings (cached
// names, not the record's bytes, which a later record may overwrite at
// the same place): an index of the same strings is kept as it is.
func (f *fastDoc) index(ms []tkv, stable bool) {
	if len(ms) < minIndexed || len(ms) > maxIndexed {
		return
	}
	base := unsafe.SliceData(ms)
	var x *memberIndex
	for i := range f.indexes {
		if f.indexes[i].base == base {
			x = &f.indexes[i]
			break
		}
	}
	if x == nil {
		if len(f.indexes) < cap(f.indexes) {
			f.indexes = f.indexes[:len(f.indexes)+1]
		} else {
			f.indexes = append(f.indexes, memberIndex{})
		}
		x = &f.indexes[len(f.indexes)-1]
	}
	if stable && x.unique && sameStrings(x.keys, ms) {
		x.base, x.n = base, len(ms)
		return // the table of the same keys
	}
	x.base, x.n = base, len(ms)
	x.slot = [indexSlots]uint8{}
	x.mixed = [indexSlots]bool{}
	x.keys, x.unique = x.keys[:0], stable
	for i := range ms {
		if stable {
			x.keys = append(x.keys, ms[i].key)
		}
		k := ms[i].key
		h := keyHash(k)
		for {
			j := x.slot[h]
			if j == 0 {
				x.slot[h] = uint8(i + 1)
				break
			}
			if prev := &ms[j-1]; prev.key == k {
				x.unique = false
				if prev.raw != ms[i].raw {
					x.mixed[h] = true
				}
				x.slot[h] = uint8(i + 1)
				break
			}
			h = (h + 1) & (indexSlots - 1)
		}
	}
}

// sameStrings reports whether the members' keys are keys, the same
// strings (pointers and lengths: the bytes are not compared).
func sameStrings(keys []string, ms []tkv) bool {
	if len(keys) != len(ms) {
		return false
	}
	for i := range ms {
		if len(keys[i]) != len(ms[i].key) || unsafe.StringData(keys[i]) != unsafe.StringData(ms[i].key) {
			return false
		}
	}
	return true
}

// indexOf returns the index of ms, nil when it has none.
func (f *fastDoc) indexOf(ms []tkv) *memberIndex {
	if len(ms) < minIndexed || len(ms) > maxIndexed {
		return nil
	}
	base := unsafe.SliceData(ms)
	for i := range f.indexes {
		if x := &f.indexes[i]; x.base == base && x.n == len(ms) {
			return x
		}
	}
	return nil
}

// find returns the value of key among an object's members: the last of
// repeated keys, as the decoder keeps; two keys that became one (snake
// case) mark the record for the general path.
func (f *fastDoc) find(ms []tkv, key string) (span, bool) {
	if x := f.indexOf(ms); x != nil {
		h := keyHash(key)
		for {
			j := x.slot[h]
			if j == 0 {
				return span{}, false
			}
			if sameKey(ms[j-1].key, key) {
				if x.mixed[h] {
					f.bad = true
				}
				return ms[j-1].v, true
			}
			h = (h + 1) & (indexSlots - 1)
		}
	}
	return findLinear(ms, key, &f.bad)
}

// findLinear is find without an index.
func findLinear(ms []tkv, key string, bad *bool) (span, bool) {
	at := -1
	for i := range ms {
		// Length and last byte first: most keys differ there, without a
		// call to compare the bytes.
		k := ms[i].key
		if len(k) == len(key) && (len(k) == 0 || k[len(k)-1] == key[len(key)-1]) && sameKey(k, key) {
			if at >= 0 && ms[at].raw != ms[i].raw {
				*bad = true
			}
			at = i
		}
	}
	if at < 0 {
		return span{}, false
	}
	return ms[at].v, true
}
