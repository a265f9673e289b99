package azure

import (
	"bytes"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// The byte-level writers of the streams other than activity logs share
// what is below: objects of the record read into their members, values
// copied from the record's text with the key and emptiness rules of the
// pipelines (snake case, dropEmptyFields, dropNulls), and the ECS fields
// the pipelines derive put with fastDoc's put methods. Each writer does
// what its map-based function does (SignIn, Audit, Identity, Platform,
// Graph, AADGraph), and declines (false) whatever it does not handle the
// same way byte for byte: the general path then takes the record.

// AppendStream appends to dst the ECS document the stream's pipeline
// makes of raw (valid JSON, one object: the caller checks), as
// Normalize(s, ...) then event.AppendJSON would, byte for byte, written
// from the record's bytes. ok is false when the record needs the general
// path (GeoIP databases, a record the pipeline drops or fails, shapes the
// writers leave to it); dst is then returned unchanged. Activity logs go
// to AppendActivity.
func AppendStream(dst, raw []byte, s Stream, opts Options) (out []byte, warnings []string, ok bool) {
	if s == ActivityLogs {
		out, warnings, ok, notActivity := AppendActivity(dst, raw, opts, false)
		return out, warnings, ok && !notActivity
	}
	if opts.GeoIP != nil || !utf8.Valid(raw) {
		return dst, nil, false
	}
	f := fastPool.Get().(*fastDoc)
	defer func() {
		f.reset(nil)
		fastPool.Put(f)
	}()
	f.reset(raw)
	return f.appendStream(dst, s, opts)
}

// appendStream is AppendStream (for a stream other than activity logs,
// the record valid UTF-8 and no GeoIP) with the writer reset on the
// record.
func (f *fastDoc) appendStream(dst []byte, s Stream, opts Options) (out []byte, warnings []string, ok bool) {
	switch s {
	case SignInLogs:
		ok = f.signIn(opts)
	case AuditLogs:
		ok = f.audit(opts)
	case IdentityProtection:
		ok = f.identity(opts)
	case PlatformLogs:
		ok = f.platform(opts)
	case GraphActivityLogs:
		ok = f.graph(opts)
	case AADGraphActivityLogs:
		ok = f.aadGraph(opts)
	default:
		return dst, nil, false
	}
	if !ok || f.bad {
		return dst, nil, false
	}
	if out, ok = f.emit(dst); !ok {
		return dst, nil, false
	}
	return out, f.warnings, true
}

// isNull reports a JSON null.
func (f *fastDoc) isNull(v span) bool { return f.raw[v.s] == 'n' }

// isEmpty reports what dropEmptyFields drops: null and "".
func (f *fastDoc) isEmpty(v span) bool {
	c := f.raw[v.s]
	return c == 'n' || c == '"' && v.e-v.s == 2
}

// mustache is mustache of a value of the record: false for objects and
// lists, which it writes as JSON (left to the general path).
func (f *fastDoc) mustache(v span) (string, bool) {
	switch f.raw[v.s] {
	case '"':
		return f.str(v, true)
	case 'n':
		return "", true
	case '{', '[':
		return "", false
	}
	b := f.raw[v.s:v.e]
	return unsafeString(b), true
}

// number returns a number's text; false for other values.
func (f *fastDoc) number(v span) (string, bool) {
	c := f.raw[v.s]
	if c == '-' || c >= '0' && c <= '9' {
		return unsafeString(f.raw[v.s:v.e]), true
	}
	return "", false
}

// durationValue is durationValue of a value of the record: the
// nanoseconds as an integer; false when the value gives none, or gives a
// float (left to the general path).
func (f *fastDoc) durationValue(v span) (int64, bool, bool) {
	if n, isNum := f.number(v); isNum {
		if i, err := strconv.ParseInt(n, 10, 64); err == nil {
			return i * 1_000_000, true, true
		}
		if _, err := strconv.ParseFloat(n, 64); err == nil {
			return 0, false, false // a float: encoded its own way
		}
		return 0, false, true
	}
	if s, ok := f.str(v, f.raw[v.s] == '"'); ok {
		if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return i * 1_000_000, true, true
		}
	}
	return 0, false, true
}

// putValue puts a value of the record as it is (canonT with t).
func (f *fastDoc) putValue(path string, v span, t xform) bool {
	if f.plainValue(v) || f.literalValue(v) {
		f.putRec(path, v)
		return true
	}
	s, empty, ok := f.appendValue(v, t)
	if ok && !empty {
		f.put(path, s)
	}
	return ok
}

// appendValue appends v to the arena with t's rules, from offset s;
// empty: compact dropped it (nothing was appended); ok false: the general
// path must take the record.
func (f *fastDoc) appendValue(v span, t xform) (s int, empty, ok bool) {
	s = len(f.arena)
	out, empty, ok := f.canonT(f.arena, v, t)
	if !ok {
		return s, false, false
	}
	f.arena = out
	if empty && t.compact {
		f.arena = f.arena[:s]
		return s, true, true
	}
	return s, false, true
}

// plainValue reports the commonest value, a plain string of the record
// that no rule changes (not empty): put as the record writes it (canonT's
// way, without its calls or a copy).
func (f *fastDoc) plainValue(v span) bool {
	return v.e-v.s > 2 && f.raw[v.s] == '"' && f.plainNoted(f.raw, v.s)
}

// literalValue reports a number, true or false of the record, which no
// rule changes either: put as the record writes it, as plainValue's.
func (f *fastDoc) literalValue(v span) bool {
	switch f.raw[v.s] {
	case '"', '{', '[', 'n':
		return false
	}
	return len(f.raw) == len(f.rec) && unsafe.SliceData(f.raw) == unsafe.SliceData(f.rec)
}

// putNonEmpty puts a string unless it is empty (what compact would drop).
func (f *fastDoc) putNonEmpty(path, s string) {
	if s != "" {
		f.putString(path, s)
	}
}

// putTimestamp puts @timestamp from a time value; false when it is not a
// string in a known format (the pipeline fails or warns: the general
// path).
func (f *fastDoc) putTimestamp(v span) bool {
	if f.isNull(v) {
		return true
	}
	s, ok := f.str(v, f.raw[v.s] == '"')
	if !ok {
		return false
	}
	at := len(f.arena)
	if out, ok := appendZulu(f.arena, s); ok {
		f.arena = out
		f.put("@timestamp", at)
		return true
	}
	t, ok := parseTime(s)
	if !ok {
		return false
	}
	f.arena = appendTimestamp(f.arena, t)
	f.put("@timestamp", at)
	return true
}

// related collects a list field's values (appendUnique's), put at the
// end; empty strings are left out, as compact drops them. keep puts the
// list even when empty (the audit pipeline's related.entity).
type related struct {
	path string
	vals []string
	keep bool
}

// related returns list i of the writer's reused related lists, empty.
func (f *fastDoc) related(i int, path string, keep bool) *related {
	r := &f.rel[i]
	clear(r.vals[:cap(r.vals)])
	*r = related{path: path, vals: r.vals[:0], keep: keep}
	return r
}

func (r *related) add(s string) {
	for _, v := range r.vals {
		// Length and first byte first: most values (ids) differ there,
		// without a call to compare the bytes.
		if len(v) == len(s) && (len(s) == 0 || v[0] == s[0]) && v == s {
			return
		}
	}
	r.vals = append(r.vals, s)
}

// putRelated puts the list without its empty strings, unless none is
// left (compact's rule); keepEmpty puts [] as the pipelines that do not
// compact leave it.
func (f *fastDoc) putRelated(r *related, compact bool) {
	s := len(f.arena)
	f.arena = append(f.arena, '[')
	n := 0
	for _, v := range r.vals {
		if v == "" && compact {
			continue
		}
		if n > 0 {
			f.arena = append(f.arena, ',')
		}
		n++
		f.arena = f.appendText(f.arena, v)
	}
	f.arena = append(f.arena, ']')
	if n == 0 && !r.keep {
		f.arena = f.arena[:s]
		return
	}
	f.put(r.path, s)
}

// sharedFast does shared (the shared Azure pipeline) for the fields a
// writer has put: the resource id's parts, tenant, azure.resource.id,
// cloud.account.id. tenant is the value azure.tenant_id was set to
// (present false when it was not), outcome the event.outcome put, if
// any, lower-cased here. compact: the stream drops empty values.
func (f *fastDoc) sharedFast(resourceID span, hasResourceID bool, tenant string, hasTenant, tenantIsString, compact bool) bool {
	sub := ""
	if hasResourceID && f.raw[resourceID.s] == '"' {
		id, ok := f.str(resourceID, true)
		if !ok {
			return false
		}
		// The id's parts are parts of its token: plainKind tells them
		// plain (plainPart) once it has met the token plain.
		f.plainKind(id)
		for _, p := range f.resourceParts(id) {
			f.putString(p[0], p[1])
			if p[0] == "azure.subscription_id" {
				sub = p[1]
			}
		}
		if sub == "" && !hasTenant {
			if m := tenantProviderRE.FindStringSubmatch(id); m != nil {
				f.putString("azure.tenant_id", m[1])
				f.putString("azure.resource.provider", m[2])
				tenant, hasTenant, tenantIsString = m[1], true, true
			}
		}
		if id != "" || !compact {
			f.putString("azure.resource.id", id)
		}
	}
	switch {
	case sub != "":
		f.putString("cloud.account.id", sub)
	case hasTenant && !(tenantIsString && tenant == ""):
		if !tenantIsString {
			return false // a tenant that is not a string: the general path
		}
		f.putString("cloud.account.id", tenant)
	}
	return true
}

// xform is how canonT copies a value: keys in snake case (the pipelines'
// keysToSnakeCase, with dropUnderscore the Graph pipelines' variant), and
// with compact empty values dropped (dropEmptyFields).
type xform struct {
	snake, dropUnderscore, compact bool
	dropNulls                      bool // null members of objects dropped, at every level (dropNulls)
}

// tkv is an object member being copied: its key as written out, its key
// as in the record, its value.
type tkv struct {
	key, raw string
	v        span
}

// Key modes of the name cache: a key as it is, in snake case, in the
// Graph pipelines' snake case.
const (
	keyAsIs uint8 = iota
	keySnake
	keySnakeDrop
)

// keyMode is t's mode of writing keys.
func (t xform) keyMode() uint8 {
	switch {
	case !t.snake:
		return keyAsIs
	case t.dropUnderscore:
		return keySnakeDrop
	}
	return keySnake
}

// snakeName returns the snake-case form of a key, cached.
func (f *fastDoc) snakeName(k string, dropUnderscore bool) string {
	mode := keySnake
	if dropUnderscore {
		mode = keySnakeDrop
	}
	return f.keyName(k, mode).out
}

// keyName returns the cache's entry of key k in mode: its name as written
// (out) and the number find gave that name (id, when asked for it).
func (f *fastDoc) keyName(k string, mode uint8) *seqName {
	// Records of one export repeat their keys in one order: the key met
	// at this point of the last record is tried first, then the one after
	// it (this record lacks a member the last had here: a status without
	// its failure's reason).
	at := f.seqAt
	f.seqAt++
	for j := at; j < len(f.seq) && j <= at+1; j++ {
		if n := &f.seq[j]; n.mode == mode && sameKey(n.raw, k) {
			if n.ver != len(f.wantedNames) {
				n.id, n.ver = f.wantedID(n.out), len(f.wantedNames)
			}
			f.seqAt = j + 1
			return n
		}
	}
	n := f.keyMapped(k, mode) // the map's own copy of k: no copy per miss
	if at < len(f.seq) {
		// A member the last record did not have here goes in before the
		// entries of the next members (while they are few to move): the
		// records with it and those without it then both meet their keys.
		if len(f.seq) < maxNames && len(f.seq)-at <= maxSeqMoved {
			f.seq = slices.Insert(f.seq, at, n)
		} else {
			f.seq[at] = n
		}
		return &f.seq[at]
	} else if at == len(f.seq) && at < maxNames {
		f.seq = append(f.seq, n)
		return &f.seq[at]
	}
	f.seqMiss = n
	return &f.seqMiss
}

// maxSeqMoved bounds the entries keyName moves to make room for a key.
const maxSeqMoved = 64

// compactRec reports whether raw is the record, checked without a blank
// between tokens: appendMembers reads its objects.
func (f *fastDoc) compactRec(raw []byte) bool {
	return f.compact && f.endsReady && len(raw) == len(f.rec) && unsafe.SliceData(raw) == unsafe.SliceData(f.rec)
}

// appendMembers appends to f.kvs the members of the record's object at s,
// keys as they are, when the record is compactRec (members' compact walk,
// without a call back each); false, with what it appended left, for a key
// with an escape (keys whose tokens the check found plain have none).
func (f *fastDoc) appendMembers(s int) bool {
	raw, kvs, ends := f.rec, f.kvs, f.ends
	ascii := f.ascii // no key to look at
	i, looked := s+1, -1
	for {
		// The inner loop makes no call, which would have it keep its
		// state in memory: room is made here, and keys to look at are
		// looked at here.
		if cap(kvs)-len(kvs) < 8 {
			kvs = slices.Grow(kvs, 32)
		}
		for room := cap(kvs); len(kvs) < room && i < len(raw) && raw[i] == '"'; {
			ke := int(ends[i] &^ plainEnd)
			if !ascii && ends[i]&plainEnd == 0 && i != looked {
				break
			}
			// The key's text: the check noted its end (compact), past
			// its opening quote.
			key := unsafe.String(&raw[i+1], ke-i-2)
			ve := int(ends[ke+1] &^ plainEnd)
			// Set field by field: a tkv built whole is built on the
			// stack, then copied.
			kvs = kvs[:len(kvs)+1]
			m := &kvs[len(kvs)-1]
			m.key, m.raw, m.v = key, key, span{ke + 1, ve}
			if i = ve; i < len(raw) && raw[i] == ',' {
				i++
			}
		}
		if i >= len(raw) || raw[i] != '"' {
			f.kvs = kvs
			return true
		}
		if ke := int(ends[i] &^ plainEnd); i != looked && ends[i]&plainEnd == 0 && !ascii {
			// A key the check did not find plain: an escape, or bytes
			// above ASCII only.
			if bytes.IndexByte(raw[i+1:ke-1], '\\') >= 0 {
				f.kvs = kvs
				return false
			}
			looked = i
		}
	}
}

// nameMembers sets the keys of ms (keys of the record) to their names in
// mode, and notes the numbered ones in tab: keyName, with its commonest
// case (the last record's key at this point) tested here.
func (f *fastDoc) nameMembers(ms []tkv, mode uint8, tab *keyTable) {
	seq, at, ver := f.seq, f.seqAt, len(f.wantedNames)
	for i := range ms {
		m := &ms[i]
		var n *seqName
		if at < len(seq) && seq[at].mode == mode && seq[at].ver == ver && sameKey(seq[at].raw, m.raw) {
			n = &seq[at]
			at++
		} else {
			f.seqAt = at
			n = f.keyName(m.raw, mode)
			seq, at = f.seq, f.seqAt
		}
		m.key = n.out
		if n.id != 0 && tab != nil {
			tab.note(ms, i, n.id)
		}
	}
	f.seqAt = at
}

// seqName is a key met in a record, its name as written, and the number
// of that name (find's, as of ver numbers given).
type seqName struct {
	raw, out string
	mode     uint8
	id       wkey
	ver      int
}

// keyMapped returns the map's entry of key k in mode, made when new.
func (f *fastDoc) keyMapped(k string, mode uint8) seqName {
	c := &f.keyNames[mode]
	n, ok := (*c)[k]
	if ok && n.ver == len(f.wantedNames) {
		return n
	}
	if !ok {
		raw := strings.Clone(k)
		out := raw
		if mode != keyAsIs {
			out = snakeKey(k, mode == keySnakeDrop)
		}
		n = seqName{raw: raw, out: out, mode: mode}
		if *c == nil || len(*c) >= maxNames {
			*c = map[string]seqName{}
		}
	}
	// The name's number, as of the keys numbered now (kept in the map
	// with the name until more are).
	n.id, n.ver = f.wantedID(n.out), len(f.wantedNames)
	(*c)[n.raw] = n
	return n
}

// canonT appends the value v as canon does, with t's rules: keys in snake
// case (only in objects, and objects in lists, as keysToSnakeCase), empty
// values dropped (nulls and "" in objects and lists, objects and lists
// left empty; lists in lists are kept as they are). empty reports a value
// compact drops (nothing was appended then); ok false a value the
// general path must take (two keys that become one).
func (f *fastDoc) canonT(dst []byte, v span, t xform) (out []byte, empty, ok bool) {
	raw := f.raw
	if !t.snake && !t.compact && !t.dropNulls {
		return f.canon(dst, v), false, true
	}
	switch raw[v.s] {
	case 'n':
		if t.compact {
			return dst, true, true
		}
	case '"':
		if t.compact && v.e-v.s == 2 {
			return dst, true, true
		}
	case '{':
		base := len(f.kvs)
		var own *keyRun
		if f.compactRec(raw) && f.canonMembers(v.s, t, &own) {
			if own != nil {
				if order, quoted, twice := own.byName(); !twice {
					return f.canonRun(dst, own.ms, order, quoted, t)
				}
				f.kvs = append(f.kvs, own.ms...) // a name twice: the general path's tests
			}
		} else {
			f.kvs = f.kvs[:base] // a key with an escape: read again, unescaped
			f.members(raw, v.s, func(k []byte, x span) bool {
				key, kok := f.key(k)
				if !kok {
					ok = false
					return false
				}
				out := key
				if t.snake {
					out = f.snakeName(key, t.dropUnderscore)
				}
				f.kvs = append(f.kvs, tkv{out, key, x})
				return true
			})
		}
		ms := f.kvs[base:]
		slices.SortStableFunc(ms, func(a, b tkv) int { return strings.Compare(a.key, b.key) })
		start := len(dst)
		dst = append(dst, '{')
		first := true
		for i := 0; i < len(ms); i++ {
			e := ms[i]
			if i+1 < len(ms) && ms[i+1].key == e.key {
				if ms[i+1].raw != e.raw {
					f.kvs = f.kvs[:base]
					return dst[:start], false, false // two keys become one: map order decides
				}
				continue
			}
			at := len(dst)
			if !first {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, e.key)
			dst = append(dst, ':')
			if t.dropNulls && raw[e.v.s] == 'n' {
				dst = dst[:at]
				continue
			}
			var drop, vok bool
			dst, drop, vok = f.canonT(dst, e.v, t)
			ms = f.kvs[base : base+len(ms)] // canonT may have grown f.kvs
			if !vok {
				f.kvs = f.kvs[:base]
				return dst[:start], false, false
			}
			if drop {
				dst = dst[:at]
				continue
			}
			first = false
		}
		f.kvs = f.kvs[:base]
		if first && t.compact {
			return dst[:start], true, true
		}
		return append(dst, '}'), false, true
	case '[':
		start := len(dst)
		dst = append(dst, '[')
		first, good := true, true
		f.elements(raw, v, func(x span) bool {
			at := len(dst)
			if !first {
				dst = append(dst, ',')
			}
			var drop, vok bool
			switch raw[x.s] {
			case '{':
				dst, drop, vok = f.canonT(dst, x, t)
			case '[':
				if t.dropNulls {
					dst, drop, vok = f.canonT(dst, x, t)
				} else {
					dst, vok = f.canon(dst, x), true // lists in lists are left as they are
				}
			default:
				dst, drop, vok = f.canonT(dst, x, xform{compact: t.compact})
			}
			if !vok {
				good = false
				return false
			}
			if drop {
				dst = dst[:at]
			} else {
				first = false
			}
			return true
		})
		if !good {
			return dst[:start], false, false
		}
		if first && t.compact {
			return dst[:start], true, true
		}
		return append(dst, ']'), false, true
	}
	return f.canon(dst, v), false, true
}

// canonMembers appends to f.kvs the members of the record's object at s
// (compactRec), keys named as t writes them; false for a key with an
// escape (f.kvs then holds part of the members: the caller cuts it).
func (f *fastDoc) canonMembers(s int, t xform, own **keyRun) bool {
	if !t.snake {
		return f.appendMembers(s)
	}
	r, _, ok := f.namedMembers(s, t.keyMode(), false)
	*own = r
	return ok
}

// canonRun is canonT of an object whose members are ms (a run's: names
// distinct), in the order of their names, which quoted holds as JSON: no
// copy, no sort, no key quoted again. A plain string is copied as canon
// would, without a call.
func (f *fastDoc) canonRun(dst []byte, ms []tkv, order []int32, quoted []string, t xform) (out []byte, empty, ok bool) {
	raw, ends := f.raw, f.ends
	start := len(dst)
	dst = append(dst, '{')
	first := true
	for _, j := range order {
		e := &ms[j]
		at := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, quoted[j]...) // "name":
		c := raw[e.v.s]
		if t.dropNulls && c == 'n' {
			dst = dst[:at]
			continue
		}
		if c == '"' && e.v.e-e.v.s > 2 && ends[e.v.s]&plainEnd != 0 {
			dst = append(dst, raw[e.v.s:e.v.e]...)
			first = false
			continue
		}
		var drop, vok bool
		dst, drop, vok = f.canonT(dst, e.v, t)
		if !vok {
			return dst[:start], false, false
		}
		if drop {
			dst = dst[:at]
			continue
		}
		first = false
	}
	if first && t.compact {
		return dst[:start], true, true
	}
	return append(dst, '}'), false, true
}

// object returns the members of the object at v in the record's order,
// keys as t writes them (snake case or not), with the table of the keys
// find was asked for; false when a key has escapes or v is no object. Two
// members with one key are told by find (and, for members put as fields,
// by emit). The members stay valid while the writer runs.
func (f *fastDoc) object(v span, t xform) (obj, bool) {
	raw := f.raw
	if v.s >= len(raw) || raw[v.s] != '{' {
		return obj{}, false
	}
	base := len(f.kvs)
	ok := true
	// Snake-case names come from the cache of names, which also tells
	// the names' numbers: the table is filled as they are named. Keys
	// kept as they are need no name: only a large object's are numbered.
	mode := t.keyMode()
	var tab *keyTable
	if mode != keyAsIs && !f.compactRec(raw) {
		tab = f.table()
	}
	// The keys of a record whose strings check found all plain hold no
	// escape: escaped is not asked.
	plain := f.ascii && len(raw) == len(f.rec) && unsafe.SliceData(raw) == unsafe.SliceData(f.rec)
	if f.compactRec(raw) && mode != keyAsIs {
		// Walked and named in one loop when the keys are the last
		// record's at this slot (keyRun).
		own, tab, ok := f.namedMembers(v.s, mode, true)
		if !ok {
			f.kvs = f.kvs[:base]
			return obj{}, false
		}
		o := obj{ms: f.kvs[base:len(f.kvs):len(f.kvs)], tab: tab}
		if own != nil {
			o.ms = own.ms[:len(own.ms):len(own.ms)]
		}
		if len(o.ms) >= mixedPos-1 {
			o.tab = nil // positions too large for the table: find compares keys
		}
		return o, true
	}
	if f.compactRec(raw) {
		// A large object whose keys are the run's at this slot is read
		// into the run's members, their keys the name cache's copies
		// (tableOf's), without naming or a table.
		if ms, tab := f.asIsRun(v.s); ms != nil {
			return obj{ms: ms, tab: tab}, true
		}
		ok = f.appendMembers(v.s)
	} else {
		f.members(raw, v.s, func(k []byte, x span) bool {
			if !plain && f.escaped(k) {
				ok = false
				return false
			}
			key := unsafeString(k)
			f.kvs = append(f.kvs, tkv{key, key, x})
			return true
		})
	}
	if !ok {
		f.kvs = f.kvs[:base]
		return obj{}, false
	}
	o := obj{ms: f.kvs[base:len(f.kvs):len(f.kvs)], tab: tab}
	// Named after the walk, in a loop of their own: a call in the walk's
	// loop would have the loop keep its state in memory.
	if mode != keyAsIs {
		f.nameMembers(o.ms, mode, tab)
	} else if len(o.ms) >= minTabled {
		o.tab = f.tableOf(o.ms)
	}
	if len(o.ms) >= mixedPos-1 {
		o.tab = nil // positions too large for the table: find compares keys
	}
	return o, true
}

// putValueKey is putValue for the field prefix+key named by a key of the
// record; false for a key that would not read as one segment of a path.
func (f *fastDoc) putValueKey(prefix, key string, v span, t xform) bool {
	// The key is told one segment by the shape's plan (oneSegment), once
	// for the records of a shape.
	if f.recValue(v) {
		f.putRecKey(prefix, key, v.s, v.e)
		return true
	}
	s, empty, ok := f.appendValue(v, t)
	if ok {
		// A value dropped is kept in the shape: it may repeat a key.
		kind := uintptr(keyOneSegment)
		if empty {
			kind |= keyGone
		}
		f.putKeyEnt(prefix, key, fent{s: s, e: len(f.arena), rec: true}, kind)
	}
	return ok
}

// recValue is plainValue || literalValue, the record told once: a value
// put as the record writes it.
func (f *fastDoc) recValue(v span) bool {
	raw := f.raw
	if len(raw) != len(f.rec) || unsafe.SliceData(raw) != unsafe.SliceData(f.rec) || v.s >= len(raw) {
		return false
	}
	switch raw[v.s] {
	case '"':
		return v.e-v.s > 2 && f.endsReady && v.s < len(f.ends) && f.ends[v.s]&plainEnd != 0
	case '{', '[', 'n':
		return false
	}
	return true
}

// putRecKey is putKeyEnt for the field prefix+key (one segment) whose
// value is the record's text raw[s:e], as it is: the fields set in
// place, where both slices have room (else putKeyEnt grows them).
func (f *fastDoc) putRecKey(prefix, key string, s, e int) {
	n := len(f.ents)
	if n >= cap(f.ents) || n != len(f.keys) || n >= cap(f.keys) {
		f.putKeyEnt(prefix, key, fent{s: s, e: e, rec: true, inRec: true}, keyOneSegment)
		return
	}
	// Lengths set alone (a slice of itself stores no pointer).
	f.ents = f.ents[:n+1]
	f.ents[n] = fent{s: s, e: e, rec: true, inRec: true}
	f.keys = f.keys[:n+1]
	k := &f.keys[n]
	k.prefix, k.path, k.kind = prefix, key, keyOneSegment
	// putKeyEnt's hash of the field, of its kind.
	h := uint64(len(prefix))<<16 ^ uint64(len(key))<<8
	if key != "" {
		h ^= uint64(key[len(key)-1])
	}
	f.shapeHash = f.shapeHash*1099511628211 ^ h
}

// sourceIP is sourceIP without GeoIP: source.ip, client.ip and related.ip
// from an address, or source.address from what is not one.
func (f *fastDoc) sourceIP(addr string, rel *related) {
	if canonicalIPv4(addr) {
		// Written back as it is: netip's parse and format, and their
		// code, are for the other addresses.
		at := len(f.arena)
		f.arena = append(f.arena, '"')
		f.arena = append(f.arena, addr...)
		f.arena = append(f.arena, '"')
		f.put("source.ip", at)
		f.put("client.ip", at)
		rel.add(addr)
		return
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		f.putString("source.address", addr)
		return
	}
	at := len(f.arena)
	f.arena = append(f.arena, '"')
	f.arena = a.AppendTo(f.arena)
	f.arena = append(f.arena, '"')
	f.put("source.ip", at)
	f.put("client.ip", at)
	// The address as written in the arena, which only grows while the
	// record is written; the record's text when the same (putRelated then
	// copies it as the plain token it may be).
	if w := unsafeString(f.arena[at+1 : len(f.arena)-1]); w != addr {
		rel.add(w)
	} else {
		rel.add(addr)
	}
}

// putDuration puts event.duration from durationMs (durationValue); false
// for a value the general path must take.
func (f *fastDoc) putDuration(v span) bool {
	dur, has, ok := f.durationValue(v)
	if has {
		f.putInt("event.duration", dur)
	}
	return ok
}

// record reads the record's top-level members, keys as t writes them.
func (f *fastDoc) record(t xform) (obj, bool) {
	return f.object(span{skipWS(f.raw, 0), len(f.raw)}, t)
}

// stringOf returns the string value of key among ms; false when absent or
// not a string.
func (f *fastDoc) stringOf(ms obj, key wkey) (string, bool) {
	v, ok := f.findK(ms, key)
	if !ok {
		return "", false
	}
	return f.str(v, f.raw[v.s] == '"')
}

// properties reads the members of the record's properties when they are
// an object (has false otherwise, or ok false for one the writer cannot
// read).
func (f *fastDoc) properties(top obj, t xform) (props obj, has, ok bool) {
	v, has := f.findK(top, wProperties)
	if !has || f.raw[v.s] != '{' {
		return obj{}, false, true
	}
	props, ok = f.object(v, t)
	return props, ok, ok
}

// renameSet is a list of renames, with the lengths of the keys it
// renames (most keys are told apart by their length) and a small table of
// them by a hash of their length and end bytes: no key is compared with
// each key renamed.
type renameSet struct {
	pairs [][2]string
	lens  uint64 // bit n set: a key of n bytes is renamed (n < 63; bit 63: longer)
	slot  [renameSlots]uint8
}

// renameSlots is the size of a renameSet's table: more than twice the
// renames of any set.
const renameSlots = 64

func renameHash(k string) int {
	if k == "" {
		return 0
	}
	return (len(k)*7 + int(k[0]) + int(k[len(k)-1])*3) & (renameSlots - 1)
}

func newRenameSet(pairs [][2]string) renameSet {
	if len(pairs) > renameSlots/2 {
		panic("azure: too many renames for a set")
	}
	r := renameSet{pairs: pairs}
	for i, p := range pairs {
		r.lens |= 1 << min(len(p[0]), 63)
		h := renameHash(p[0])
		for r.slot[h] != 0 && r.pairs[r.slot[h]-1][0] != p[0] {
			h = (h + 1) & (renameSlots - 1)
		}
		if r.slot[h] == 0 { // the first of a key renamed twice, as renamed
			r.slot[h] = uint8(i + 1)
		}
	}
	return r
}

// of returns key's new name, or key (renamed's answer). Most keys are
// told by their length, here, without a call.
func (r *renameSet) of(key string) string {
	if r.lens&(1<<min(len(key), 63)) == 0 {
		return key
	}
	return r.ofTable(key)
}

// ofTable is of for a key of a renamed key's length.
func (r *renameSet) ofTable(key string) string {
	for h := renameHash(key); ; h = (h + 1) & (renameSlots - 1) {
		j := r.slot[h]
		if j == 0 {
			return key
		}
		if p := &r.pairs[j-1]; sameKey(p[0], key) {
			return p[1]
		}
	}
}

// clash reports a key of renames meeting its new name among ms: the
// decoder's map order would decide which value stays. The keys are
// fixed (renameKeys).
func (f *fastDoc) clash(ms obj, renames [][2]wkey) bool {
	for _, r := range renames {
		_, from := f.findK(ms, r[0])
		_, to := f.findK(ms, r[1])
		if from && to {
			return true
		}
	}
	return false
}

// putAction puts event.action from key (mustache), unless null; compact
// leaves an empty one out. false for an object or a list.
func (f *fastDoc) putAction(ms obj, key wkey, compact bool) bool {
	v, ok := f.findK(ms, key)
	if !ok || f.isNull(v) {
		return true
	}
	s, ok := f.mustache(v)
	if !ok {
		return false
	}
	if s != "" || !compact {
		f.putString("event.action", s)
	}
	return true
}

// tenant is what the shared pipeline reads of azure.tenant_id.
type tenant struct {
	value         string
	set, isString bool
}

// putTenantAndCorrelation puts azure.tenant_id and azure.correlation_id
// from the record's tenantKey and correlationKey, as they are; false for
// a value the general path must take.
func (f *fastDoc) putTenantAndCorrelation(ms obj, tenantKey, correlationKey wkey, t xform) (tenant, bool) {
	var tn tenant
	if v, ok := f.findK(ms, tenantKey); ok {
		if !f.putValue("azure.tenant_id", v, t) {
			return tn, false
		}
		tn.set = true
		tn.value, tn.isString = f.str(v, f.raw[v.s] == '"')
	}
	if v, ok := f.findK(ms, correlationKey); ok && !f.putValue("azure.correlation_id", v, t) {
		return tn, false
	}
	return tn, true
}

// addIf adds s when ok.
func (r *related) addIf(s string, ok bool) {
	if ok {
		r.add(s)
	}
}

// putEmptyObject puts {} at path (an object the pipeline left empty).
func (f *fastDoc) putEmptyObject(path string) {
	s := len(f.arena)
	f.arena = append(f.arena, '{', '}')
	f.put(path, s)
}

// putEventType puts event.type from a record's category, as the activity
// and platform pipelines do (Write and Action: change, Read: access,
// Delete: deletion).
func (f *fastDoc) putEventType(category string) {
	if len(category) > len("delete") && isASCII(category) {
		return // longer than every name, and no letter that lowers shorter
	}
	switch {
	case lowerIs(category, "write"), lowerIs(category, "action"):
		f.putJSON("event.type", `["change"]`)
	case lowerIs(category, "read"):
		f.putJSON("event.type", `["access"]`)
	case lowerIs(category, "delete"):
		f.putJSON("event.type", `["deletion"]`)
	}
}

// findEither finds key a, else key b.
func (f *fastDoc) findEither(ms obj, a, b string) (span, bool) {
	if v, ok := f.find(ms, a); ok {
		return v, true
	}
	return f.find(ms, b)
}

// canonicalIPv4 reports whether s is an IPv4 address as netip writes it:
// four decimal parts of 0 to 255 without leading zeros, between dots.
// netip.ParseAddr takes such a text and AppendTo writes it unchanged.
func canonicalIPv4(s string) bool {
	if len(s) < len("0.0.0.0") || len(s) > len("255.255.255.255") {
		return false
	}
	parts, n, digits := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 || n > 255 {
				return false
			}
			parts++
			n, digits = 0, 0
			continue
		}
		c := s[i] - '0'
		if c > 9 || digits > 0 && n == 0 {
			return false // not a digit, or a leading zero
		}
		n = n*10 + int(c)
		digits++
	}
	return parts == 4
}
