package azure

import (
	"slices"
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
	if f.ntab >= maxTables {
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
	t := f.table()
	if t == nil || len(ms) >= mixedPos-1 {
		return nil
	}
	f.nameMembers(ms, keyAsIs, t)
	return t
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
