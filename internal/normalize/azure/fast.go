package azure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/vigil-project/vigil/internal/event"
)

// AppendActivity appends to dst the ECS document Activity makes of the
// record raw (valid JSON, one object: the caller checks), written straight
// from the record's bytes: the values are copied, or decoded only where a
// mapping needs them, and no map is built. The document is the one
// Activity's would be once encoded (keys sorted at every level, strings
// escaped as event.AppendJSON does), byte for byte. ok is false when the
// record needs the general path (the REST shape, properties given as a
// JSON string, response or request bodies to parse, keys that escape
// characters or repeat, GeoIP databases); dst is then returned unchanged.
// strict asks what Normalize asks of an auto-detected record
// (operationName with a resourceId, time or eventTimestamp); notActivity
// reports a record that fails it, or (not strict) has no field of an
// activity-log record at all.
func AppendActivity(dst, raw []byte, opts Options, strict bool) (out []byte, warnings []string, ok, notActivity bool) {
	if opts.GeoIP != nil {
		return dst, nil, false, false
	}
	f := fastPool.Get().(*fastDoc)
	defer func() {
		// Keep no reference to the record (strings alias it) in the pool.
		f.reset(nil)
		fastPool.Put(f)
	}()
	f.reset(raw)
	return f.appendActivity(dst, opts, strict)
}

// appendActivity is AppendActivity with the writer reset on the record.
func (f *fastDoc) appendActivity(dst []byte, opts Options, strict bool) (out []byte, warnings []string, ok, notActivity bool) {
	if !f.activity(strict) {
		return dst, nil, false, f.notActivity
	}
	f.constants(ActivityLogs, opts)
	out, ok = f.emit(dst)
	if !ok {
		return dst, nil, false, false
	}
	return out, f.warnings, true, false
}

var fastPool = sync.Pool{New: func() any { return &fastDoc{} }}

// span is a JSON value of the record: raw[s:e].
type span struct{ s, e int }

// fent is one field of the document: its encoded value, arena[s:e], or
// rec[s:e] with inRec (a value copied as the record writes it: not copied
// twice). Its path is the fkey at the same place in f.keys. rec marks a
// field named by a key of the record, which must not meet another.
type fent struct {
	s, e     int
	rec      bool
	original bool // event.original: emit quotes the record into the document itself
	inRec    bool // the value is f.rec[s:e]
}

// fkey is a field's dotted path as put (prefix + path: fields copied from
// a record's object have the object's path as prefix and the key as
// path) and its kind: what tells a document's shape. No padding: a
// shape's keys compare as bytes.
type fkey struct {
	prefix, path string
	kind         uintptr // keyGone, keyOneSegment
}

// A field's kind, which its shape's plan tells.
const (
	keyGone       = 1 << iota // a key of the record whose value was dropped (dropEmptyFields)
	keyOneSegment             // a key that must be one segment of a path (no dot, not empty): else the general path
	keyLiteral                // a constant value (putLit): prefix is the path, path the value's JSON text
)

// fastDoc builds one document: its fields as encoded values in an arena,
// then written out nested and sorted.
type fastDoc struct {
	raw           []byte
	arena         []byte
	ents          []fent
	keys          []fkey // the fields' paths, in the order put (ents')
	warnings      []string
	notActivity   bool
	tmp           []kv
	seen          []string
	entities      []string
	shapes        shapeCache
	names         nameCache
	keyNames      [3]map[string]seqName // keys as they are, in snake case, in the Graph pipelines' (by mode)
	seq           []seqName             // the keys keyName met, in the order of the last record
	seqAt         int
	seqMiss       seqName     // keyName's entry past maxNames
	rel           [3]related  // the writers' related lists
	parts         [][2]string // resourceParts's
	elems         []posSpan   // audit's target resources
	props         []posSpan   // and their modified properties
	kvs           []tkv       // objects being copied by canonT, and members read by the writers
	pairs         []tkv       // keyValueList's
	shapeHash     uint64      // of the fields' paths, in the order they were put
	bad           bool        // the record needs the general path (found on the way)
	stripOriginal bool
	rec           []byte      // the record (raw, unless a writer swapped in a text it parses)
	ends          []int32     // endTable's
	toks          []int32     // the string tokens whose ends are noted, in the order noted (appendOriginalTokens)
	endsReady     bool        // ends is for rec
	ascii         bool        // check found every string of rec plain: rec is valid UTF-8
	compact       bool        // check found no blank between rec's tokens, and noted every value's end
	endStack      []int32     // valueEnd's
	tabs          []*keyTable // the objects' tables of numbered keys (find.go)
	ntab          int         // the tables in use for the record
	runs          []*runSlot  // the keys of the objects of the last records, by slot (find.go)
	nrun          int         // the slots used in the record
	wanted        map[string]wkey
	wantedNames   []string // by number, from 1
	keyCache      [keyCacheSlots]keyCacheEntry
	url           urlFields // putURI's
	scratch       []byte    // a writer's, for a value built before it is put
	plainFrom     int       // the text of the last plain token plainText met: raw[plainFrom:plainTo]
	plainTo       int
	laid          *shape  // the shape of the document the last emit wrote (nil: none)
	size          int     // its length
	at            []int32 // where its values start
	laidAt        []int32 // laidOut's: where every field's value starts, literals included

	blocks blockNotes // check's (checkblocks.go)
	resets int        // records reset since the writer was made
}

// clearEvery is how often reset clears the buffers' spare room.
const clearEvery = 64

type kv struct {
	key string
	v   span
}

func (f *fastDoc) reset(raw []byte) {
	f.raw = raw
	f.rec = raw
	f.laid = nil
	f.endsReady = false
	f.ascii = false
	f.compact = false
	f.toks = f.toks[:0]
	f.plainFrom, f.plainTo = 0, 0
	f.arena = f.arena[:0]
	f.ents = f.ents[:0]
	f.keys = f.keys[:0]
	f.shapeHash = 14695981039346656037
	f.warnings = nil
	f.notActivity = false
	f.bad = false
	f.seqAt = 0
	// The buffers' spare room holds strings of records before this one:
	// cleared every clearEvery records, and when the writer goes back to
	// the pool (raw nil), so that they keep few old blocks of input alive.
	// Every entry is set whole before it is read (appendMembers sets
	// each field), so nothing reads what a clear would have zeroed; a
	// clear for each record was 1.4% of a sign-in record's instructions.
	if f.resets++; f.resets%clearEvery == 0 || raw == nil {
		clear(f.entities[:cap(f.entities)])
		clear(f.seen[:cap(f.seen)])
		clear(f.tmp[:cap(f.tmp)])
		clear(f.kvs[:cap(f.kvs)])
	}
	f.entities = f.entities[:0]
	f.kvs = f.kvs[:0]
	f.ntab = 0
	f.nrun = 0
}

// put adds a field whose encoded value the caller appended to the arena
// from offset s.
func (f *fastDoc) put(path string, s int) {
	f.ents = append(f.ents, fent{s: s, e: len(f.arena)})
	f.keys = append(f.keys, fkey{path: path})
	f.shapeHash = f.shapeHash*1099511628211 ^ pathMix(path)
}

// putKey is put for the field prefix+key named by a key of the record.
func (f *fastDoc) putKey(prefix, key string, s int, gone bool) {
	var kind uintptr
	if gone {
		kind = keyGone
	}
	f.putKeyEnt(prefix, key, fent{s: s, e: len(f.arena), rec: true}, kind)
}

// putKeyEnt adds the field prefix+key, of kind, whose value e tells.
func (f *fastDoc) putKeyEnt(prefix, key string, e fent, kind uintptr) {
	f.ents = append(f.ents, e)
	// Set field by field: an fkey built whole is built on the stack,
	// then copied.
	if len(f.keys) == cap(f.keys) {
		f.keys = slices.Grow(f.keys, 1)
	}
	f.keys = f.keys[:len(f.keys)+1]
	k := &f.keys[len(f.keys)-1]
	k.prefix, k.path, k.kind = prefix, key, kind
	h := uint64(len(prefix))<<16 ^ uint64(len(key))<<8
	if kind&keyGone != 0 {
		h ^= 1 << 40
	}
	if key != "" {
		h ^= uint64(key[len(key)-1])
	}
	f.shapeHash = f.shapeHash*1099511628211 ^ h
}

// putRec adds a field whose encoded value is the record's text v, as it
// is (f.raw is the record).
func (f *fastDoc) putRec(path string, v span) {
	f.ents = append(f.ents, fent{s: v.s, e: v.e, inRec: true})
	f.keys = append(f.keys, fkey{path: path})
	f.shapeHash = f.shapeHash*1099511628211 ^ pathMix(path)
}

// putStr puts the string value v of the record (present false: none) at
// path as putString(path, str(v)) does, and returns it: a token the check
// noted plain is put as the record's text at once, without str's look at
// its escapes and plainKind's at its place.
func (f *fastDoc) putStr(path string, v span, present bool) (string, bool) {
	if present {
		raw := f.raw
		if raw[v.s] == '"' && v.e-v.s > 2 && f.plainNoted(raw, v.s) && f.ends[v.s] == int32(v.e)|plainEnd {
			// What plainKind notes of a plain token: its parts (a
			// resource id's) are then copied as they are.
			f.plainFrom, f.plainTo = v.s+1, v.e-1
			f.putRec(path, v)
			return unsafeString(raw[v.s+1 : v.e-1]), true
		}
	}
	s, ok := f.str(v, present)
	if ok {
		f.putString(path, s)
	}
	return s, ok
}

// putAgain puts the value of the field put last at path too.
func (f *fastDoc) putAgain(path string) {
	f.ents = append(f.ents, f.ents[len(f.ents)-1])
	f.keys = append(f.keys, fkey{path: path})
	f.shapeHash = f.shapeHash*1099511628211 ^ pathMix(path)
}

func (f *fastDoc) putString(path, v string) {
	at, kind := f.plainKind(v)
	if kind == plainWhole {
		f.putRec(path, span{at - 1, at + len(v) + 1})
		return
	}
	s := len(f.arena)
	if kind == plainPart {
		f.arena = append(f.arena, '"')
		f.arena = append(f.arena, v...)
		f.arena = append(f.arena, '"')
	} else {
		f.arena = appendJSONString(f.arena, v)
	}
	f.put(path, s)
}

// appendText appends v as appendJSONString does: copied as it is when
// plainText vouches for it (no escape to look for).
func (f *fastDoc) appendText(dst []byte, v string) []byte {
	if f.plainText(v) {
		dst = append(dst, '"')
		dst = append(dst, v...)
		return append(dst, '"')
	}
	return appendJSONString(dst, v)
}

// plainText reports whether v is the text of a string token of the
// record that the walk noted plain, or part of the last one met (a
// resource id's parts): appendJSONString would write it as it is.
func (f *fastDoc) plainText(v string) bool {
	_, kind := f.plainKind(v)
	return kind != notPlain
}

// What plainKind tells of a string.
const (
	notPlain   = iota
	plainPart  // part of the last plain token met (or all of its text)
	plainWhole // the text of a plain token: raw[at-1:at+len(v)+1] writes it
)

// plainKind tells whether v is the text of a string token of the record
// that the walk noted plain (plainWhole, at its offset at), or part of
// the last one met (plainPart).
func (f *fastDoc) plainKind(v string) (at, kind int) {
	raw := f.raw
	if len(v) == 0 || len(raw) == 0 || len(raw) != len(f.rec) || unsafe.SliceData(raw) != unsafe.SliceData(f.rec) {
		return 0, notPlain // not the record (a text a writer parses), whose ends are noted
	}
	// at wraps around for a v below the record: the tests fail then.
	at = int(uintptr(unsafe.Pointer(unsafe.StringData(v))) - uintptr(unsafe.Pointer(unsafe.SliceData(raw))))
	if at < 1 || at+len(v) >= len(raw) {
		return 0, notPlain
	}
	if f.endsReady && at-1 < len(f.ends) && f.ends[at-1] == int32(at+len(v)+1)|plainEnd {
		f.plainFrom, f.plainTo = at, at+len(v)
		return at, plainWhole
	}
	if at >= f.plainFrom && at+len(v) <= f.plainTo {
		return at, plainPart
	}
	return 0, notPlain
}

// putJSON puts a value given as its JSON text, in the arena as putString
// and putList would write it (a value that differs from record to record
// among a few constants, which putLit would make shapes of).
func (f *fastDoc) putJSON(path, json string) {
	s := len(f.arena)
	f.arena = append(f.arena, json...)
	f.put(path, s)
}

// plainScalar notes a number, true or false of the record (its text,
// which mustache returns, is plain ASCII) as the last plain token met:
// putString then copies it without a check. Strings are noted by
// plainKind.
func (f *fastDoc) plainScalar(v span) {
	if c := f.raw[v.s]; c != '"' && c != '{' && c != '[' && c != 'n' && len(f.raw) == len(f.rec) && unsafe.SliceData(f.raw) == unsafe.SliceData(f.rec) {
		f.plainFrom, f.plainTo = v.s, v.e
	}
}

// putLit puts a value given as its JSON text, a constant: the shape's
// plan holds it in its text (keyLiteral).
func (f *fastDoc) putLit(path, json string) {
	f.ents = append(f.ents, fent{})
	f.keys = append(f.keys, fkey{path, json, keyLiteral})
	f.shapeHash = f.shapeHash*1099511628211 ^ pathMix(path)
}

// quotedDatasets are the streams' datasets as JSON strings.
var quotedDatasets = func() (q [NoStream]string) {
	for s := range q {
		q[s] = string(appendJSONString(nil, Stream(s).Dataset()))
	}
	return q
}()

func quotedDataset(s Stream) string {
	if s < 0 || s >= NoStream {
		return `""`
	}
	return quotedDatasets[s]
}

func (f *fastDoc) putRaw(path string, v span) {
	s := len(f.arena)
	f.arena = f.canon(f.arena, v)
	f.put(path, s)
}

func (f *fastDoc) putInt(path string, n int64) {
	s := len(f.arena)
	f.arena = strconv.AppendInt(f.arena, n, 10)
	f.put(path, s)
}

func (f *fastDoc) putList(path string, vs []string) {
	s := len(f.arena)
	f.arena = append(f.arena, '[')
	for i, v := range vs {
		if i > 0 {
			f.arena = append(f.arena, ',')
		}
		f.arena = f.appendText(f.arena, v)
	}
	f.arena = append(f.arena, ']')
	f.put(path, s)
}

func appendJSONString(b []byte, s string) []byte { return event.AppendString(b, s) }

// resourceParts is parseResourceID into the writer's buffer: the parts
// are valid until the next call, and alias id.
func (f *fastDoc) resourceParts(id string) [][2]string {
	f.parts = parseResourceID(f.parts[:0], id)
	return f.parts
}

// unsafeString is b as a string without a copy: valid while b is.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// unsafeBytes is s as bytes without a copy, not to be written.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (f *fastDoc) constants(s Stream, opts Options) { f.begin(s, opts, true) }

// begin puts the fields every document of stream s has (begin's); strip
// takes the empty pairs out of event.original, as the activity, Graph and
// platform pipelines do.
func (f *fastDoc) begin(s Stream, opts Options, strip bool) {
	// The eight literals every document of s has, appended as one block:
	// putLit eight times inlined made begin several kilobytes of code that
	// ran once a record, read afresh into the instruction cache each time.
	b := &beginLits[beginStream(s)]
	f.ents = append(f.ents, b.ents[:]...)
	f.keys = append(f.keys, b.keys[:]...)
	h := f.shapeHash
	for _, m := range b.mix {
		h = h*1099511628211 ^ m
	}
	f.shapeHash = h
	if len(f.raw) > 0 {
		// Quoted by emit straight into the document: the longest value,
		// not copied twice.
		f.put("event.original", len(f.arena))
		f.ents[len(f.ents)-1].original = true
		f.stripOriginal = strip
	}
	if !opts.Ingested.IsZero() {
		f.putString("event.ingested", opts.Ingested.UTC().Format("2006-01-02T15:04:05.000000000Z"))
	}
}

// litBlock is the literals begin puts, as putLit would put them one by
// one: their entries, their keys and what each mixes into the shape's
// hash.
type litBlock struct {
	ents [8]fent
	keys [8]fkey
	mix  [8]uint64
}

// beginLits are each stream's literals (the last, for a stream out of
// range, with an empty dataset).
var beginLits = func() (b [NoStream + 1]litBlock) {
	for s := range b {
		ds := quotedDataset(Stream(s))
		lits := [8][2]string{
			{"ecs.version", `"8.11.0"`},
			{"event.kind", `"event"`},
			{"event.dataset", ds},
			{"event.module", `"azure"`},
			{"data_stream.type", `"logs"`},
			{"data_stream.dataset", ds},
			{"data_stream.namespace", `"default"`},
			{"cloud.provider", `"azure"`},
		}
		for i, l := range lits {
			b[s].keys[i] = fkey{l[0], l[1], keyLiteral}
			b[s].mix[i] = pathMix(l[0])
		}
	}
	return b
}()

// beginStream is s as an index of beginLits.
func beginStream(s Stream) int {
	if s < 0 || s >= NoStream {
		return int(NoStream)
	}
	return int(s)
}

// pathMix is what a field of path mixes into the shape's hash (put,
// putRec, putLit, putAgain, begin's literals).
func pathMix(path string) uint64 { return uint64(len(path))<<8 ^ uint64(path[len(path)-1]) }

// activity maps the record as Activity does; false: the general path is
// needed (or notActivity is set).
func (f *fastDoc) activity(strict bool) bool {
	raw := f.raw
	if !f.ascii && !utf8.Valid(raw) {
		return false // the decoder turns invalid bytes into U+FFFD its own way
	}
	var top [len(fastKeys)]span
	var seen [len(fastKeys)]bool
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	good := true
	f.members(raw, i, func(k []byte, v span) bool {
		if f.escaped(k) {
			good = false // an escaped key may spell one of ours
			return false
		}
		if j, ok := fastKeyIndex(unsafeString(k)); ok {
			if seen[j] {
				good = false // the last of repeated keys wins: leave it to the decoder
				return false
			}
			seen[j], top[j] = true, v
		}
		return true
	})
	if !good {
		return false
	}
	has := func(k int) bool { return seen[k] }
	switch {
	case strict && !(has(kOperationName) && (has(kResourceID) || has(kTime) || has(kEventTimestamp))):
		f.notActivity = true
		return false
	case !strict:
		some := false
		for _, s := range seen {
			some = some || s
		}
		if !some {
			f.notActivity = true
			return false
		}
	}
	if has(kOperationName) && raw[top[kOperationName].s] == '{' {
		return false // the REST shape
	}
	if has(kProperties) && raw[top[kProperties].s] == '"' {
		return false // properties as a JSON string
	}

	if s, ok := f.str(top[kTime], has(kTime)); ok {
		at := len(f.arena)
		if out, ok := appendZulu(f.arena, s); ok {
			f.arena = out
			f.put("@timestamp", at)
		} else if t, ok := parseTime(s); ok {
			f.arena = appendTimestamp(f.arena, t)
			f.put("@timestamp", at)
		} else {
			f.warnings = append(f.warnings, fmt.Sprintf("time %q is in no known format; @timestamp left out", s))
		}
	}
	if s, ok := f.putStr("azure.resource.id", top[kResourceID], has(kResourceID)); ok {
		f.putAgain("cloud.resource_id")
		f.entities = append(f.entities, s)
		sub := ""
		for _, p := range f.resourceParts(s) {
			f.putString(p[0], p[1])
			if p[0] == "azure.subscription_id" {
				sub = p[1]
			}
		}
		if sub != "" {
			f.putString("cloud.account.id", sub)
		}
		if len(s) > 9 && strings.EqualFold(s[:9], "/tenants/") {
			if m := tenantRE.FindStringSubmatch(s); m != nil {
				f.putString("azure.tenant_id", m[1])
			}
		}
	}
	if _, ok := f.putStr("azure.activitylogs.operation_name", top[kOperationName], has(kOperationName)); ok {
		f.putAgain("event.action")
	}
	f.putStr("azure.activitylogs.operation_version", top[kOperationVersion], has(kOperationVersion))
	if s, ok := f.putStr("azure.activitylogs.category", top[kCategory], has(kCategory)); ok {
		f.putEventType(s)
	}
	if s, ok := f.putStr("azure.activitylogs.result_type", top[kResultType], has(kResultType)); ok {
		switch {
		case lowerIs(s, "success"):
			f.putConst("event.outcome", `"success"`)
		case lowerIs(s, "failure"):
			f.putConst("event.outcome", `"failure"`)
		}
	}
	f.putStr("azure.activitylogs.result_signature", top[kResultSignature], has(kResultSignature))
	if has(kDurationMs) {
		v := top[kDurationMs]
		switch raw[v.s] {
		case '"':
			s, _ := f.str(v, true)
			if dur, ok := durationNS(s); ok {
				f.putInt("event.duration", dur)
			}
			f.putString("azure.activitylogs.durationMs", s)
		case '{', '[', 't', 'f', 'n':
		default:
			if dur, ok := durationNS(json.Number(raw[v.s:v.e])); ok {
				f.putInt("event.duration", dur)
			}
		}
	}
	f.putStr("azure.correlation_id", top[kCorrelationID], has(kCorrelationID))
	f.putStr("azure.activitylogs.tenant_id", top[kTenantID], has(kTenantID))
	f.putStr("log.level", top[kLevel], has(kLevel))
	if has(kLevelCap) {
		v := top[kLevelCap]
		if c := raw[v.s]; c == '-' || c >= '0' && c <= '9' {
			if n, err := strconv.ParseInt(string(raw[v.s:v.e]), 10, 64); err == nil {
				f.putInt("azure.activitylogs.level", n)
			}
		}
	}
	f.putStr("geo.name", top[kLocation], has(kLocation))
	if ip, ok := f.str(top[kCallerIP], has(kCallerIP)); ok && ip != "" {
		rel := f.related(0, "related.ip", false)
		f.sourceIP(ip, rel)
		f.putRelated(rel, true)
	}
	// A record the general path must take is found on the way: what was
	// written so far is dropped with it.
	if has(kIdentity) && !f.identityFast(top[kIdentity]) {
		return false
	}
	if !f.propertiesFast(top[kProperties], has(kProperties)) {
		return false
	}
	if len(f.entities) > 0 {
		f.putList("related.entity", f.entities)
	}
	return true
}

// identityFast maps identity as identity does; false: the general path
// is needed (keys with escapes, keys that collide).
func (f *fastDoc) identityFast(v span) bool {
	const write = true
	raw := f.raw
	switch raw[v.s] {
	case '"':
		if write {
			s, _ := f.str(v, true)
			f.putString("azure.activitylogs.identity_name", s)
		}
		return true
	case '{':
	default:
		return true
	}
	ok := true
	var auth, claims span
	hasAuth, hasClaims := false, false
	f.members(raw, v.s, func(k []byte, x span) bool {
		if f.escaped(k) {
			ok = false
			return false
		}
		switch string(k) {
		case "authorization":
			if hasAuth {
				ok = false
			}
			auth, hasAuth = x, true
		case "claims":
			if hasClaims {
				ok = false
			}
			claims, hasClaims = x, true
		}
		return ok
	})
	if !ok {
		return false
	}
	if hasAuth && raw[auth.s] == '{' {
		var action, scope, evidence span
		hasA, hasS, hasE := false, false, false
		f.members(raw, auth.s, func(k []byte, x span) bool {
			if f.escaped(k) {
				ok = false
				return false
			}
			switch string(k) {
			case "action":
				ok = ok && !hasA
				action, hasA = x, true
			case "scope":
				ok = ok && !hasS
				scope, hasS = x, true
			case "evidence":
				ok = ok && !hasE
				evidence, hasE = x, true
			}
			return ok
		})
		if !ok {
			return false
		}
		if write && hasA {
			f.putRaw("azure.activitylogs.identity.authorization.action", action)
		}
		if write && hasS {
			f.putRaw("azure.activitylogs.identity.authorization.scope", scope)
		}
		if hasE && raw[evidence.s] == '{' {
			seen := f.seen[:0]
			principal := ""
			f.members(raw, evidence.s, func(k []byte, x span) bool {
				if f.escaped(k) {
					ok = false
					return false
				}
				path := f.names.join("azure.activitylogs.identity.authorization.evidence.", k, snake)
				sk := path[len("azure.activitylogs.identity.authorization.evidence."):]
				if slices.Contains(seen, sk) || strings.IndexByte(sk, '.') >= 0 {
					ok = false // two keys on one field: map order decides
					return false
				}
				seen = append(seen, sk)
				if write {
					f.putRaw(path, x)
					if string(k) == "principalId" {
						principal, _ = f.str(x, true)
					}
				}
				return true
			})
			f.seen = seen[:0]
			if !ok {
				return false
			}
			if principal != "" && !slices.Contains(f.entities, principal) {
				f.entities = append(f.entities, principal)
			}
		}
	}
	if !hasClaims || raw[claims.s] != '{' {
		return true
	}
	const schema = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
	rest := f.tmp[:0]
	seen := f.seen[:0]
	f.members(raw, claims.s, func(k []byte, x span) bool {
		if f.escaped(k) {
			ok = false
			return false
		}
		key, _ := f.key(k)
		if slices.Contains(seen, key) {
			ok = false
			return false
		}
		seen = append(seen, key)
		switch key {
		case "name":
			if write {
				f.putRaw("azure.activitylogs.identity.claims_initiated_by_user.fullname", x)
				if raw[x.s] == '"' {
					s, _ := f.str(x, true)
					f.putString("user.full_name", s)
				}
			}
		case schema + "/name":
			if write {
				f.putRaw("azure.activitylogs.identity.claims_initiated_by_user.name", x)
				f.putConst("azure.activitylogs.identity.claims_initiated_by_user.schema", `"`+schema+`"`)
				if raw[x.s] == '"' {
					s, _ := f.str(x, true)
					// userAtDomain: ^([^@]+)@(.+)$, the split at the first @.
					if at := strings.IndexByte(s, '@'); at > 0 && at < len(s)-1 {
						f.putString("user.email", s) // first: its parts are then written as they are
						f.putString("user.name", s[:at])
						f.putString("user.domain", s[at+1:])
					} else {
						f.putString("user.name", s)
					}
					f.putList("related.user", []string{s})
				}
			}
		case schema + "/givenname":
			if write {
				f.putRaw("azure.activitylogs.identity.claims_initiated_by_user.givenname", x)
			}
		case schema + "/surname":
			if write {
				f.putRaw("azure.activitylogs.identity.claims_initiated_by_user.surname", x)
			}
		default:
			rest = append(rest, kv{strings.ReplaceAll(key, ".", "_"), x})
		}
		return true
	})
	f.tmp = rest[:0]
	f.seen = seen[:0]
	if !ok {
		return false
	}
	// Two claims that become one key: map order decides.
	slices.SortStableFunc(rest, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	for i := 1; i < len(rest); i++ {
		if rest[i].key == rest[i-1].key {
			return false
		}
	}
	if write && len(rest) > 0 {
		s := len(f.arena)
		f.arena = append(f.arena, '{')
		for i, e := range rest {
			if i > 0 {
				f.arena = append(f.arena, ',')
			}
			f.arena = appendJSONString(f.arena, e.key)
			f.arena = append(f.arena, ':')
			f.arena = f.canon(f.arena, e.v)
		}
		f.arena = append(f.arena, '}')
		f.put("azure.activitylogs.identity.claims", s)
	}
	return true
}

// propertiesFast maps properties (and event_category) as properties
// does; false: the general path is needed.
func (f *fastDoc) propertiesFast(v span, present bool) bool {
	raw := f.raw
	if !present || raw[v.s] != '{' {
		// Neither object nor string (strings take the general path):
		// nothing but the default category, as Activity.
		f.putConst("azure.activitylogs.event_category", `"Administrative"`)
		return true
	}
	ok := true
	out := f.tmp[:0]
	var message span
	hasMessage, hasPolicies, renamedClash := false, false, false
	cat, categories, catIsString := "", 0, false
	f.members(raw, v.s, func(k []byte, x span) bool {
		key, kok := f.key(k)
		if !kok {
			ok = false
			return false
		}
		switch key {
		case "eventCategory":
			if categories++; categories > 1 {
				ok = false // the last one wins in the decoder: leave it to it
				return false
			}
			cat, catIsString = f.str(x, true)
		case "policies":
			hasPolicies = true
			out = append(out, kv{key, x})
		case "statusMessage":
			message, hasMessage = x, true
		case "statusCode":
			out = append(out, kv{"status_code", x})
		case "serviceRequestId":
			out = append(out, kv{"service_request_id", x})
		case "status_code", "service_request_id":
			renamedClash = true // a renamed key meeting its new name: map order decides
			return false
		case "responseBody", "requestBody":
			if raw[x.s] == '"' {
				ok = false // a JSON string to parse: the general path
				return false
			}
			out = append(out, kv{key, x})
		default:
			out = append(out, kv{key, x})
		}
		return true
	})
	f.tmp = out[:0]
	if !ok || renamedClash {
		return false
	}
	switch {
	case catIsString:
	case hasPolicies:
		cat = "Policy"
	default:
		cat = "Administrative"
	}
	f.putString("azure.activitylogs.event_category", cat)
	slices.SortStableFunc(out, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	// Repeated keys: the last wins, as in the decoder.
	w := 0
	for i := range out {
		if i+1 < len(out) && out[i+1].key == out[i].key {
			continue
		}
		out[w] = out[i]
		w++
	}
	out = out[:w]
	if hasMessage {
		f.putRaw("message", message)
	}
	if len(out) == 0 {
		return true
	}
	s := len(f.arena)
	f.arena = append(f.arena, '{')
	for i, e := range out {
		if i > 0 {
			f.arena = append(f.arena, ',')
		}
		f.arena = appendJSONString(f.arena, e.key)
		f.arena = append(f.arena, ':')
		f.arena = f.canon(f.arena, e.v)
	}
	f.arena = append(f.arena, '}')
	f.put("azure.activitylogs.properties", s)
	return true
}

// str returns a string value of the record, decoded; ok false when absent
// or not a string.
func (f *fastDoc) str(v span, present bool) (string, bool) {
	if !present || f.raw[v.s] != '"' {
		return "", false
	}
	b := f.raw[v.s+1 : v.e-1]
	if f.plainNoted(f.raw, v.s) || bytes.IndexByte(b, '\\') < 0 {
		// The record's own bytes: valid while the call lasts, which is as
		// long as any of these strings is kept (they are copied into the
		// arena).
		if len(b) == 0 {
			return "", true
		}
		return unsafe.String(&b[0], len(b)), true
	}
	var s string
	if json.Unmarshal(f.raw[v.s:v.e], &s) != nil {
		return "", false
	}
	return s, true
}

// key decodes an object key (its bytes between the quotes).
func (f *fastDoc) key(k []byte) (string, bool) {
	if !f.escaped(k) {
		if len(k) == 0 {
			return "", true
		}
		return unsafe.String(&k[0], len(k)), true // as str: valid during the call
	}
	var s string
	q := make([]byte, 0, len(k)+2)
	q = append(append(append(q, '"'), k...), '"')
	if json.Unmarshal(q, &s) != nil {
		return "", false
	}
	return s, true
}

// canon appends the value v of the record as event.AppendJSON writes what
// the decoder makes of it: no spaces, object keys sorted (the last of
// repeated keys kept), strings escaped its way, numbers as written.
func (f *fastDoc) canon(dst []byte, v span) []byte {
	raw := f.raw
	switch raw[v.s] {
	case '"':
		b := raw[v.s+1 : v.e-1]
		if f.plainNoted(raw, v.s) || plainJSONString(b) {
			return append(dst, raw[v.s:v.e]...)
		}
		s, _ := f.str(v, true)
		return appendJSONString(dst, s)
	case '{':
		base := len(f.kvs)
		defer func() { f.kvs = f.kvs[:base] }()
		f.members(raw, v.s, func(k []byte, x span) bool {
			key, _ := f.key(k)
			f.kvs = append(f.kvs, tkv{key: key, v: x})
			return true
		})
		ms := f.kvs[base:len(f.kvs):len(f.kvs)]
		slices.SortStableFunc(ms, func(a, b tkv) int { return strings.Compare(a.key, b.key) })
		dst = append(dst, '{')
		first := true
		for i, e := range ms {
			if i+1 < len(ms) && ms[i+1].key == e.key {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendJSONString(dst, e.key)
			dst = append(dst, ':')
			dst = f.canon(dst, e.v)
		}
		return append(dst, '}')
	case '[':
		dst = append(dst, '[')
		first := true
		f.elements(raw, v, func(x span) bool {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = f.canon(dst, x)
			return true
		})
		return append(dst, ']')
	}
	return append(dst, raw[v.s:v.e]...)
}

// plainJSONString reports whether the contents of a string token are
// written back unchanged by event.AppendJSON: valid UTF-8, neither U+2028
// nor U+2029, and no escape but those it writes the same way (\", \\,
// \n, \r, \t, \b, \f).
func plainJSONString(b []byte) bool {
	i := 0
	for i+8 <= len(b) {
		w := word(b, i)
		if byteBelow(w, 0x20)|byteIs(w, '\\')|w&swarHi != 0 {
			break
		}
		i += 8
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\\' {
			if i+1 < len(b) {
				switch b[i+1] {
				case '"', '\\', 'n', 'r', 't', 'b', 'f':
					i++
					continue
				}
			}
			return false
		}
		if c < 0x20 {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(b[i:]) && !bytes.Contains(b[i:], []byte("\u2028")) && !bytes.Contains(b[i:], []byte("\u2029"))
		}
	}
	return true
}

// comparePaths orders dotted paths as nested objects with sorted keys
// are written: segment by segment, which is byte order with the dot
// below every other byte (paths hold no NUL: keys with escapes take the
// general path).
func comparePaths(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '.' {
			ca = 0
		}
		if cb == '.' {
			cb = 0
		}
		if ca < cb {
			return -1
		}
		return 1
	}
	return len(a) - len(b)
}

// members calls fn with each member of the object at raw[i] ('{'): the
// key's bytes between its quotes (escapes as written) and the value's
// span, until fn returns false. raw is valid JSON.
func members(raw []byte, i int, fn func(k []byte, v span) bool) {
	i = skipWS(raw, i+1)
	for i < len(raw) && raw[i] == '"' {
		ke := stringEnd(raw, i)
		k := raw[i+1 : ke-1]
		i = skipWS(raw, ke)
		i = skipWS(raw, i+1) // ':'
		if i >= len(raw) {
			return // not JSON: the caller said it was
		}
		ve := valueEnd(raw, i)
		if !fn(k, span{i, ve}) {
			return
		}
		i = skipWS(raw, ve)
		if i < len(raw) && raw[i] == ',' {
			i = skipWS(raw, i+1)
		}
	}
}

// elements calls fn with each element of the list at v, until fn returns
// false. raw is valid JSON.
func elements(raw []byte, v span, fn func(x span) bool) {
	i := skipWS(raw, v.s+1)
	for i < v.e && raw[i] != ']' {
		e := valueEnd(raw, i)
		if !fn(span{i, e}) {
			return
		}
		i = skipWS(raw, e)
		if i < v.e && raw[i] == ',' {
			i = skipWS(raw, i+1)
		}
	}
}

func skipWS(raw []byte, i int) int {
	// One comparison for the common byte, which is no blank.
	for i < len(raw) && raw[i] <= ' ' && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the offset after the string token at raw[i] ('"'),
// eight bytes at a time to the first quote or backslash.
func stringEnd(raw []byte, i int) int {
	j := i + 1
	for {
		for j+8 <= len(raw) {
			m := byteIs(word(raw, j), '"') | byteIs(word(raw, j), '\\')
			if m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < len(raw) && raw[j] != '"' && raw[j] != '\\' {
			j++
		}
		if j >= len(raw) {
			return len(raw)
		}
		if raw[j] == '"' {
			return j + 1
		}
		j += 2 // an escape: the backslash and the byte it escapes
	}
}

// stringEndPlain is stringEnd also telling whether the string's text is
// printable ASCII without a backslash (plainJSONString's common case).
func stringEndPlain(raw []byte, i int) (end int, plain bool) {
	j := i + 1
	var odd uint64 // high bits of bytes that are not printable ASCII
	for j+8 <= len(raw) {
		w := word(raw, j)
		m := byteIs(w, '"') | byteIs(w, '\\')
		if m == 0 {
			odd |= w&swarHi | byteBelow(w, 0x20)
			j += 8
			continue
		}
		// The lowest mark is exact; bytes below it are the text's (a
		// mark of byteBelow there has a true one below it).
		k := bits.TrailingZeros64(m) >> 3
		if raw[j+k] != '"' {
			return stringEnd(raw, i), false
		}
		odd |= (w&swarHi | byteBelow(w, 0x20)) & (1<<(8*k) - 1)
		return j + k + 1, odd == 0
	}
	for ; j < len(raw); j++ {
		switch c := raw[j]; {
		case c == '"':
			return j + 1, odd == 0
		case c == '\\':
			return stringEnd(raw, i), false
		case c < 0x20 || c >= 0x80:
			odd = 1
		}
	}
	return len(raw), false
}

// structural maps the bytes valueEnd stops at: '"', and brackets as '{'
// (opening) or '}' (closing).
var structural = func() (t [256]byte) {
	t['"'], t['{'], t['['], t['}'], t[']'] = '"', '{', '{', '}', '}'
	return t
}()

// valueEnd returns the offset after the value at raw[i].
func valueEnd(raw []byte, i int) int {
	if i >= len(raw) {
		return i
	}
	switch raw[i] {
	case '"':
		return stringEnd(raw, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(raw); j++ {
			switch structural[raw[j]] {
			case 0:
				continue
			case '"':
				j = stringEnd(raw, j) - 1
			case '{':
				depth++
			case '}':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(raw)
	}
	j := i
	for j < len(raw) {
		switch raw[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

// The top-level keys Activity reads.
const (
	kTime = iota
	kResourceID
	kOperationName
	kOperationVersion
	kCategory
	kResultType
	kResultSignature
	kDurationMs
	kCallerIP
	kCorrelationID
	kIdentity
	kLevel
	kLevelCap
	kLocation
	kProperties
	kTenantID
	kEventTimestamp
)

var fastKeys = [...]string{
	kTime: "time", kResourceID: "resourceId", kOperationName: "operationName", kOperationVersion: "operationVersion",
	kCategory: "category", kResultType: "resultType", kResultSignature: "resultSignature", kDurationMs: "durationMs",
	kCallerIP: "callerIpAddress", kCorrelationID: "correlationId", kIdentity: "identity", kLevel: "level",
	kLevelCap: "Level", kLocation: "location", kProperties: "properties", kTenantID: "tenantId",
	kEventTimestamp: "eventTimestamp",
}

// fastKeyIndex returns the index in fastKeys of a top-level key Activity
// reads: a switch, not a map lookup a key of every record.
func fastKeyIndex(k string) (int, bool) {
	switch k {
	case "time":
		return kTime, true
	case "resourceId":
		return kResourceID, true
	case "operationName":
		return kOperationName, true
	case "operationVersion":
		return kOperationVersion, true
	case "category":
		return kCategory, true
	case "resultType":
		return kResultType, true
	case "resultSignature":
		return kResultSignature, true
	case "durationMs":
		return kDurationMs, true
	case "callerIpAddress":
		return kCallerIP, true
	case "correlationId":
		return kCorrelationID, true
	case "identity":
		return kIdentity, true
	case "level":
		return kLevel, true
	case "Level":
		return kLevelCap, true
	case "location":
		return kLocation, true
	case "properties":
		return kProperties, true
	case "tenantId":
		return kTenantID, true
	case "eventTimestamp":
		return kEventTimestamp, true
	}
	return 0, false
}
