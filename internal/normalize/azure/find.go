package azure

import (
	"slices"
	"strings"
	"unsafe"
)

// A writer looks up dozens of keys among an object's members (a sign-in
// record's properties hold thirty and more). The keys it looks up get
// small numbers (wkey), given the first time find is asked for one; the
// walk that reads an object (object) notes, in a table by number, where
// the member of each such key is, as it meets the member: find then reads
// one entry of that table, without hashing or comparing the key.

// wkey is the number of a key the writer looks up (0: none).
type wkey uint8

// maxWanted bounds the keys numbered; others are looked up member by
// member.
const maxWanted = 255

// keyTable is where the members of one object's numbered keys are: pos[k]
// holds 1 + the position of the last member with key k (0: none), with
// mixedPos set when two members of the object have that key under two
// spellings of the record (two keys the snake case made one: find then
// marks the record for the general path, as the decoder's map order would
// decide). n is how many keys were numbered when the object was read: a
// key numbered later is looked up member by member.
type keyTable struct {
	n   int
	pos [maxWanted + 1]uint16
}

// mixedPos marks a key met under two spellings; positions stay below it.
const mixedPos = 1 << 15

// maxTables bounds the tables of one record: the objects read after that
// many are looked up member by member.
const maxTables = 64

// obj is an object of the record as a writer reads it: its members in
// the record's order, keys as the writer's xform writes them, and the
// table of its numbered keys (nil: none, find then compares keys). The
// zero obj is an object without members.
type obj struct {
	ms  []tkv
	tab *keyTable
}

// keyCacheSlots is the size of a writer's cache of the key strings find
// was asked for (by their bytes' address).
const keyCacheSlots = 256

// keyCacheEntry is a key string find was asked for and its number.
type keyCacheEntry struct {
	p  *byte
	n  int
	id wkey
}

// keyID returns the number of key, numbering it when new (0 when the
// numbers are all given). The key strings of the writers are literals:
// their bytes never change, so a string met before is told by its address
// and length alone.
func (f *fastDoc) keyID(key string) wkey {
	p := unsafe.StringData(key)
	e := &f.keyCache[uintptr(unsafe.Pointer(p))>>3%keyCacheSlots]
	if e.p == p && e.n == len(key) && p != nil {
		return e.id
	}
	return f.keyIDSlow(key, e)
}

func (f *fastDoc) keyIDSlow(key string, e *keyCacheEntry) wkey {
	if f.wanted == nil {
		f.numberFixed()
	}
	id, ok := f.wanted[key]
	if !ok {
		if len(f.wantedNames) >= maxWanted {
			return 0
		}
		id = wkey(len(f.wantedNames))
		f.wantedNames = append(f.wantedNames, key)
		f.wanted[key] = id
	}
	if id != 0 {
		// A key in the cache has a number (find's fast path).
		*e = keyCacheEntry{unsafe.StringData(key), len(key), id}
	}
	return id
}

// wantedID returns the number of a member's key (its name as the writer
// writes it) if find was asked for it, 0 otherwise.
func (f *fastDoc) wantedID(name string) wkey {
	return f.wanted[name]
}

// table returns a cleared table for an object; nil when the record has
// had its tables.
func (f *fastDoc) table() *keyTable {
	// Objects read past the slots of runs (keyRun) have had as many
	// tables.
	if f.ntab >= maxTables || f.nrun > maxRuns {
		return nil
	}
	if f.wanted == nil {
		f.numberFixed() // before any table: the fixed keys are below every table's n
	}
	if f.ntab == len(f.tabs) {
		f.tabs = append(f.tabs, new(keyTable))
	}
	t := f.tabs[f.ntab]
	f.ntab++
	clear(t.pos[:t.n+1])
	t.n = len(f.wantedNames)
	return t
}

// minTabled is the fewest members of an object whose keys are kept as
// they are that get a table: below it, comparing keys member by member
// costs less than naming them.
const minTabled = 12

// tableOf returns the table of ms, keys kept as they are (nil when the
// record has had its tables); the keys become the name cache's copies of
// them (the same bytes).
func (f *fastDoc) tableOf(ms []tkv) *keyTable {
	if len(ms) >= mixedPos-1 {
		return nil
	}
	// The keys of the object at this slot in the last records, with
	// their table: taken as they are when ms has them (keyRun).
	i := f.nrun
	f.nrun++
	if i < maxRuns {
		sl := f.slot(i)
		for w := range sl.runs {
			if r := &sl.runs[(int(sl.last)+w)&1]; f.usable(r, keyAsIs, true) && sameRun(ms, r) {
				sl.last = uint8((int(sl.last) + w) & 1)
				return &r.tab
			}
		}
		sl.last ^= 1
		r := &sl.runs[sl.last]
		f.resetTable(&r.tab)
		f.nameMembers(ms, keyAsIs, &r.tab)
		r.record(ms, keyAsIs, &r.tab)
		return &r.tab
	}
	t := f.table()
	if t == nil {
		return nil
	}
	f.nameMembers(ms, keyAsIs, t)
	return t
}

// asIsRun returns the members of the record's object at s (compactRec),
// keys kept as they are, and their table, when the object's keys are a
// run of the next slot (one tableOf made: an object of minTabled members
// or more); nil otherwise, the slot left to tableOf.
func (f *fastDoc) asIsRun(s int) ([]tkv, *keyTable) {
	i := f.nrun
	if i >= len(f.runs) || i >= maxRuns {
		return nil, nil
	}
	sl := f.runs[i]
	for w := range sl.runs {
		if r := &sl.runs[(int(sl.last)+w)&1]; f.usable(r, keyAsIs, true) && f.matchRun(s, r) {
			f.nrun++
			sl.last = uint8((int(sl.last) + w) & 1)
			return r.ms[:len(r.ms):len(r.ms)], &r.tab
		}
	}
	return nil, nil
}

// note records member i of ms (the object's members so far) under its
// key's number k.
func (t *keyTable) note(ms []tkv, i int, k wkey) {
	if i >= mixedPos-1 {
		return // the object loses its table (object)
	}
	if p := t.pos[k]; p != 0 {
		if p&mixedPos != 0 || ms[p-1].raw != ms[i].raw {
			t.pos[k] = uint16(i+1) | mixedPos
			return
		}
	}
	t.pos[k] = uint16(i + 1)
}

// find returns the value of key among an object's members: the last of
// repeated keys, as the decoder keeps; two keys that became one (snake
// case) mark the record for the general path. key is a literal (see
// keyID). The commonest case, a key numbered before the object was read
// and met there under one spelling (or not at all), is answered here
// without a call.
func (f *fastDoc) find(o obj, key string) (span, bool) {
	t := o.tab
	if t == nil {
		return findLinear(o.ms, key, &f.bad)
	}
	p := unsafe.StringData(key)
	e := &f.keyCache[uintptr(unsafe.Pointer(p))>>3%keyCacheSlots]
	if e.p == p && e.n == len(key) && e.id != 0 && int(e.id) < t.n { // e.id 0: a slot never filled (key of no bytes' address)
		q := t.pos[e.id]
		if q == 0 {
			return span{}, false
		}
		if q&mixedPos == 0 {
			return o.ms[q-1].v, true
		}
	}
	return f.findSlow(o, key)
}

// The keys the sign-in writer and the shared helpers look up are numbered
// when a writer numbers its first key, in this order: a call site names
// the key's number (a constant), and findK, inlined, reads the table
// without finding the number by the key's address.
const (
	wCategory wkey = 1 + iota
	wProperties
	wOperationName
	wOperationNameCamel
	wTenantID
	wTenantIDCamel
	wCorrelationID
	wCorrelationIDCamel
	wTime
	wCreatedDateTime
	wCreatedAt
	wProcessingTimeInMilliseconds
	wProcessingTimeMs
	wRiskLevelDuringSignIn
	wRiskLevelDuringSignin
	wIPAddress
	wIPAddressSnake
	wLevel
	wDurationMs
	wLocation
	wStatus
	wFailureReason
	wAdditionalDetails
	wErrorCode
	wCity
	wState
	wGeoCoordinates
	wLatitude
	wLongitude
	wID
	wUserPrincipalName
	wUserDisplayName
	wUserID
	wUserAgent
	wAppID
	wResourceID
	wServicePrincipalName
	wServicePrincipalID
	wServicePrincipalCredentialKeyID
	wDeviceID
	wDeviceDetail
	wKey
	wValue
	numFixed // the first number given as a writer asks
)

// fixedKeys are the names of the fixed numbers (0: none): the
// constants', then the keys given numbers as the package starts
// (fixedKey).
var fixedKeys = append([]string(nil), constKeys[:]...)

// fixedKey numbers key among the fixed keys (as the package starts: the
// writers number theirs after).
func fixedKey(key string) wkey {
	if i := slices.Index(fixedKeys, key); i > 0 {
		return wkey(i)
	}
	if len(fixedKeys) >= maxWanted/2 {
		panic("azure: too many fixed keys")
	}
	fixedKeys = append(fixedKeys, key)
	return wkey(len(fixedKeys) - 1)
}

// renameKeys is a list of renames by the keys' fixed numbers.
func renameKeys(renames [][2]string) [][2]wkey {
	ks := make([][2]wkey, len(renames))
	for i, r := range renames {
		ks[i] = [2]wkey{fixedKey(r[0]), fixedKey(r[1])}
	}
	return ks
}

// constKeys are the names of the constant fixed numbers.
var constKeys = [numFixed]string{
	wCategory:                        "category",
	wProperties:                      "properties",
	wOperationName:                   "operation_name",
	wOperationNameCamel:              "operationName",
	wTenantID:                        "tenant_id",
	wTenantIDCamel:                   "tenantId",
	wCorrelationID:                   "correlation_id",
	wCorrelationIDCamel:              "correlationId",
	wTime:                            "time",
	wCreatedDateTime:                 "created_date_time",
	wCreatedAt:                       "created_at",
	wProcessingTimeInMilliseconds:    "processing_time_in_milliseconds",
	wProcessingTimeMs:                "processing_time_ms",
	wRiskLevelDuringSignIn:           "risk_level_during_sign_in",
	wRiskLevelDuringSignin:           "risk_level_during_signin",
	wIPAddress:                       "ipaddress",
	wIPAddressSnake:                  "ip_address",
	wLevel:                           "level",
	wDurationMs:                      "duration_ms",
	wLocation:                        "location",
	wStatus:                          "status",
	wFailureReason:                   "failure_reason",
	wAdditionalDetails:               "additional_details",
	wErrorCode:                       "error_code",
	wCity:                            "city",
	wState:                           "state",
	wGeoCoordinates:                  "geo_coordinates",
	wLatitude:                        "latitude",
	wLongitude:                       "longitude",
	wID:                              "id",
	wUserPrincipalName:               "user_principal_name",
	wUserDisplayName:                 "user_display_name",
	wUserID:                          "user_id",
	wUserAgent:                       "user_agent",
	wAppID:                           "app_id",
	wResourceID:                      "resource_id",
	wServicePrincipalName:            "service_principal_name",
	wServicePrincipalID:              "service_principal_id",
	wServicePrincipalCredentialKeyID: "service_principal_credential_key_id",
	wDeviceID:                        "device_id",
	wDeviceDetail:                    "device_detail",
	wKey:                             "key",
	wValue:                           "value",
}

// numberFixed gives the fixed keys their numbers (f numbers no key yet).
func (f *fastDoc) numberFixed() {
	f.wanted = make(map[string]wkey, len(fixedKeys))
	f.wantedNames = append(f.wantedNames[:0], fixedKeys...)
	for k := 1; k < len(fixedKeys); k++ {
		f.wanted[fixedKeys[k]] = wkey(k)
	}
}

// findK is find for a fixed key k: the table's entry read here, the
// other cases (no table, two spellings) left to find. (It does not
// inline: find's call costs too much for that. A call with a constant
// costs half of find's look-up by the key's address.)
func (f *fastDoc) findK(o obj, k wkey) (span, bool) {
	if t := o.tab; t != nil {
		// Every table is made after the fixed keys are numbered: k < t.n.
		if q := int(t.pos[k]); q < mixedPos {
			if q == 0 {
				return span{}, false
			}
			return o.ms[q-1].v, true
		}
	}
	return f.find(o, fixedKeys[k])
}

// findSlow is find for the other cases, of an object with a table.
func (f *fastDoc) findSlow(o obj, key string) (span, bool) {
	if k := f.keyID(key); k != 0 && int(k) < o.tab.n {
		p := o.tab.pos[k]
		if p == 0 {
			return span{}, false
		}
		if p&mixedPos != 0 {
			f.bad = true
			p &^= mixedPos
		}
		return o.ms[p-1].v, true
	}
	return findLinear(o.ms, key, &f.bad)
}

// findLinear is find without a table.
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

// Records of one export come with the same objects, in the same order,
// each with the same keys in the same order: only the values change. The
// writer keeps, for the n-th object it reads of a record (its "slot"),
// the keys that object had in the last records (two runs of keys, for
// objects that come in two shapes: a status with a failure's reason and
// one without), their names, and the table of their numbered keys (a
// keyRun). An object whose keys are a run's keys, byte for byte and in
// order, takes the run's names as it is walked and the run's table as it
// is (positions are the members' places, the same; a key spelt two ways
// is spelt the same two ways): no key is looked up in the name cache, no
// table is cleared or filled. Any other object (a member more or fewer,
// a key that differs in a byte, in case, or by an escape) is read as
// before, and its keys replace the slot's older run. An object reads the
// runs of its own slot only, so no other object of the record holds the
// table that a miss rebuilds.

// maxRuns bounds the slots of a record that keep runs: objects read
// after that many are read as before.
const maxRuns = 64

// runSlot is the two runs of a slot; last is the one met last.
type runSlot struct {
	runs [2]keyRun
	last uint8
}

// keyRun is the keys of an object read at one slot of a record.
type keyRun struct {
	// The members: keys named, keys as in the record (copies, with
	// runPad bytes of room past them: read a word at a time), values of
	// the record that read the object last.
	ms     []tkv
	mode   uint8 // the names' key mode
	ok     bool  // ms holds a run
	hasTab bool  // tab is the run's table, as of ver keys numbered
	ver    int
	tab    keyTable
	order  []int32  // the members by name (sorted stable), when sorted
	quoted []string // the members' names as JSON, with the colon, when sorted
	sorted bool     // order and quoted are ms's, with twice
	twice  bool     // a name is two members' (canonT's general path tells)
}

// byName returns the run's members' places in the order of their names
// (canonT's sort, stable), their names as JSON with the colon, and
// whether a name is two members'.
func (r *keyRun) byName() ([]int32, []string, bool) {
	if !r.sorted {
		quoted := r.quoted[:0]
		for i := range r.ms {
			quoted = append(quoted, string(append(appendJSONString(nil, r.ms[i].key), ':')))
		}
		r.quoted = quoted
		order := r.order[:0]
		for i := range r.ms {
			order = append(order, int32(i))
		}
		slices.SortStableFunc(order, func(a, b int32) int { return strings.Compare(r.ms[a].key, r.ms[b].key) })
		r.twice = false
		for i := 1; i < len(order); i++ {
			if r.ms[order[i]].key == r.ms[order[i-1]].key {
				r.twice = true
			}
		}
		r.order, r.sorted = order, true
	}
	return r.order, r.quoted, r.twice
}

// runPad is the room kept past a run's keys.
const runPad = 8

// slot returns the runs of slot (below maxRuns), made when new.
func (f *fastDoc) slot(i int) *runSlot {
	for len(f.runs) <= i {
		f.runs = append(f.runs, new(runSlot))
	}
	return f.runs[i]
}

// resetTable clears t for an object read now (keys numbered: as table).
func (f *fastDoc) resetTable(t *keyTable) {
	if f.wanted == nil {
		f.numberFixed() // before any table: the fixed keys are below every table's n
	}
	clear(t.pos[:t.n+1])
	t.n = len(f.wantedNames)
}

// record makes ms (named in mode, tab their table or nil) the run. The
// keys' copies are one new string: a run's strings never change (members
// given them hold them).
func (r *keyRun) record(ms []tkv, mode uint8, tab *keyTable) {
	if len(ms) >= mixedPos-1 {
		r.ok = false // positions too large for a table: no run
		return
	}
	size := 0
	for i := range ms {
		size += len(ms[i].raw)
	}
	buf := make([]byte, 0, size+runPad)
	for i := range ms {
		buf = append(buf, ms[i].raw...)
	}
	// buf is not written again: its bytes are the string's.
	all := unsafe.String(unsafe.SliceData(buf), size+runPad)
	rms, off := r.ms[:0], 0
	for i := range ms {
		n := len(ms[i].raw)
		rms = append(rms, tkv{ms[i].key, all[off : off+n], ms[i].v})
		off += n
	}
	if len(rms) < len(r.ms) {
		clear(r.ms[len(rms):]) // the old copies go
	}
	r.ms = rms
	r.sorted = false
	r.mode, r.ok, r.hasTab = mode, true, tab != nil
	if tab != nil {
		r.ver = tab.n
	}
}

// usable reports whether r can name an object in mode, with a table
// when tabled (one as of the keys numbered now).
func (f *fastDoc) usable(r *keyRun, mode uint8, tabled bool) bool {
	return r.ok && r.mode == mode && (!tabled || r.hasTab && r.ver == len(f.wantedNames))
}

// runKeyDiff is zero when the n bytes at a (a key of the record) and b
// (a run's) are the same, on a machine with word access: words compared
// without a branch a word, small enough to be inlined in appendRun's
// loop, which then makes no call. A key shorter than eight bytes is read
// as a word (or half of one) and the bytes past it shifted out: a key of
// a record is followed by at least four bytes of it (its closing quote,
// the colon, a value, the object's closing brace or a comma), and a
// run's keys by runPad bytes.
func runKeyDiff(a, b unsafe.Pointer, n int) uint64 {
	if n >= 8 {
		x := *(*uint64)(unsafe.Add(a, n-8)) ^ *(*uint64)(unsafe.Add(b, n-8))
		for k := 0; k < n-8; k += 8 {
			x |= *(*uint64)(unsafe.Add(a, k)) ^ *(*uint64)(unsafe.Add(b, k))
		}
		return x
	}
	if n >= 4 {
		return (*(*uint64)(a) ^ *(*uint64)(b)) << uint(64-8*n)
	}
	return uint64((*(*uint32)(a) ^ *(*uint32)(b)) << uint(32-8*n))
}

// sameRun reports whether the keys of ms (keys of the record) are r's.
func sameRun(ms []tkv, r *keyRun) bool {
	rms := r.ms
	if len(ms) != len(rms) {
		return false
	}
	for i := range ms {
		k, rk := ms[i].raw, rms[i].raw
		if len(k) != len(rk) {
			return false
		}
		if !wordAccess {
			if k != rk {
				return false
			}
		} else if len(k) > 0 && runKeyDiff(unsafe.Pointer(unsafe.StringData(k)), unsafe.Pointer(unsafe.StringData(rk)), len(k)) != 0 {
			return false
		}
	}
	return true
}

// matchRun reports whether the keys of the record's object at s
// (compactRec) are r's keys, in order, and sets the values of r's
// members to the object's. Keys that the check did not find plain need
// no look: a run holds no key with an escape (appendMembers declines
// those), and the key has the run's bytes.
func (f *fastDoc) matchRun(s int, r *keyRun) bool {
	raw, ends, rms := f.rec, f.ends, r.ms
	if len(ends) != len(raw) {
		return false
	}
	// The loop reads by pointer, with as few values live as it can: the
	// walk's slices in registers would have it keep the rest in memory.
	// Every offset read is below len(raw): the tests below bound them.
	rp, ep := unsafe.Pointer(unsafe.SliceData(raw)), unsafe.Pointer(unsafe.SliceData(ends))
	rn, i := len(raw), s+1
	for c := range rms {
		m := &rms[c]
		if i >= rn || *(*byte)(unsafe.Add(rp, i)) != '"' {
			return false // fewer members
		}
		ke := int(*(*int32)(unsafe.Add(ep, 4*i)) &^ plainEnd)
		n := ke - i - 2
		// After the key: its quote, the colon, a value of a byte or
		// more, then a comma or a brace: runKeyDiff reads no further.
		if n != len(m.raw) || ke+2 >= rn {
			return false
		}
		kp := unsafe.Add(rp, i+1)
		if !wordAccess {
			if unsafe.String((*byte)(kp), n) != m.raw {
				return false
			}
		} else if runKeyDiff(kp, unsafe.Pointer(unsafe.StringData(m.raw)), n) != 0 {
			return false
		}
		ve := int(*(*int32)(unsafe.Add(ep, 4*(ke+1))) &^ plainEnd)
		if ve >= rn {
			return false
		}
		m.v = span{ke + 1, ve}
		if i = ve; *(*byte)(unsafe.Add(rp, i)) == ',' {
			i++
		}
	}
	return i >= rn || raw[i] != '"' // else more members
}

// namedMembers reads the members of the record's object at s
// (compactRec), keys named in mode (not keyAsIs), and returns the table
// of their numbered keys when tabled (nil when the record has had its
// tables). The members are own's (own.ms) when own is not nil, else
// appended to f.kvs. false for a key with an escape (f.kvs then
// holds part of the members: the caller cuts it).
func (f *fastDoc) namedMembers(s int, mode uint8, tabled bool) (own *keyRun, tab *keyTable, ok bool) {
	base := len(f.kvs)
	i := f.nrun
	f.nrun++
	if i >= maxRuns {
		if !f.appendMembers(s) {
			return nil, nil, false
		}
		if tabled {
			tab = f.table()
		}
		f.nameMembers(f.kvs[base:], mode, tab)
		return nil, tab, true
	}
	sl := f.slot(i)
	for w := range sl.runs {
		r := &sl.runs[(int(sl.last)+w)&1] // the run met last first
		if !f.usable(r, mode, tabled) {
			continue
		}
		// The members are the run's own (their values set): the slot
		// is this object's alone in the record.
		if f.matchRun(s, r) {
			sl.last = uint8((int(sl.last) + w) & 1)
			if tabled {
				tab = &r.tab
			}
			return r, tab, true
		}
	}
	if !f.appendMembers(s) {
		return nil, nil, false
	}
	// The older run gives way.
	sl.last ^= 1
	r := &sl.runs[sl.last]
	ms := f.kvs[base:]
	if tabled {
		tab = &r.tab
		f.resetTable(tab)
	}
	f.nameMembers(ms, mode, tab)
	r.record(ms, mode, tab)
	return nil, tab, true
}
