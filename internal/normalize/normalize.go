// Package normalize turns raw cloud log records into the ECS documents
// Elastic's integrations index, so that rules match as they do in Elastic.
// Records already in ECS pass through untouched, without being decoded.
package normalize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/normalize/azure"
)

// Source is a kind of input record.
type Source int

// Sources.
const (
	Auto          Source = iota // detect per record
	ECS                         // pass through
	AzureActivity               // Azure activity log (Event Hub / storage / REST export)
	Unknown                     // not recognised: passed through as is
	// Azure is any raw Azure diagnostic-settings record, sent to the data
	// stream its category routes it to (azure.Route).
	Azure
	AzureSignIn             // Entra ID sign-in logs (azure.signinlogs)
	AzureAudit              // Entra ID audit logs (azure.auditlogs)
	AzureIdentityProtection // Entra ID Identity Protection (azure.identity_protection)
	AzureGraph              // Microsoft Graph activity logs (azure.graphactivitylogs)
	AzureAADGraph           // Azure AD Graph activity logs (azure.aadgraphactivitylogs)
	AzurePlatform           // resource logs (azure.platformlogs)
)

// streamSources are the sources naming one Azure data stream.
var streamSources = map[Source]azure.Stream{
	AzureActivity: azure.ActivityLogs, AzureSignIn: azure.SignInLogs, AzureAudit: azure.AuditLogs,
	AzureIdentityProtection: azure.IdentityProtection, AzureGraph: azure.GraphActivityLogs,
	AzureAADGraph: azure.AADGraphActivityLogs, AzurePlatform: azure.PlatformLogs,
}

// SourceNames lists the --source values.
const SourceNames = "auto, azure (routed by category), azure-activity, azure-signinlogs, azure-auditlogs, " +
	"azure-identity-protection, azure-graphactivitylogs, azure-aadgraphactivitylogs, azure-platformlogs or ecs"

func (s Source) String() string {
	switch s {
	case Auto:
		return "auto"
	case ECS:
		return "ecs"
	case Azure:
		return "azure"
	}
	if st, ok := streamSources[s]; ok {
		return st.SourceName()
	}
	return "unknown"
}

// ParseSource reads a --source flag value.
func ParseSource(s string) (Source, error) {
	switch s {
	case "", "auto":
		return Auto, nil
	case "azure":
		return Azure, nil
	case "ecs":
		return ECS, nil
	}
	for src, st := range streamSources {
		if st.SourceName() == s {
			return src, nil
		}
	}
	return Auto, fmt.Errorf("unknown source %q: use %s", s, SourceNames)
}

// Options control normalization.
type Options struct {
	Ingested time.Time // set event.ingested (streaming); zero leaves it out

	// Strict applies auto-detection's test to a record of a named source:
	// an Azure activity record must have operationName with a resourceId, a
	// time or an eventTimestamp. Callers that name the source only after
	// detecting the record by its operationName (hunt, serve) set it, so
	// that what they take for raw Azure does not depend on the path.
	// Without it, a named source takes what Elastic's integration would.
	//
	// A record detected so (Strict with AzureActivity, or Auto) is sent to
	// the data stream its category routes it to, as the integration's
	// events data stream does: sign-in, audit, identity protection, Graph
	// and platform logs as well as activity logs.
	Strict bool

	// GeoIP, when set, gives raw records the GeoIP and ASN fields
	// Elastic's integration pipelines add (for Azure activity logs:
	// geo.*, source.geo.*, source.as.* from source.ip).
	GeoIP *geoip.Databases
	// GeoIPECS also enriches documents already in ECS, where the fields
	// are absent (EnrichECS). Without it they pass through unchanged.
	GeoIPECS bool

	// Valid tells that the record is one valid JSON object (the caller
	// scanned it, as hunt's and normalize's pipelines do), so that
	// Normalize does not check it again. Set it only then: the byte-level
	// writers read the record as valid JSON.
	Valid bool
}

// Detect tells the kind of a record from its top-level keys, without
// decoding it: raw Azure records (activity logs and the other
// diagnostic-settings categories, told apart later by StreamOf) carry
// operationName (which wins: a raw record a shipper stamped with
// @timestamp is still raw), reported as AzureActivity; ECS documents carry
// @timestamp, event, data_stream or ecs keys.
func Detect(raw []byte) Source { return readTop(raw).source() }

// top is what Normalize reads of a record's top-level keys, in one pass.
type top struct {
	op, resourceID, time, eventTimestamp, ecs bool
	category, Category                        int  // the value's offset, -1 if absent
	ops, opAt                                 int  // operationName keys, the last one's value offset
	escaped                                   bool // some key is spelt with escapes (it may spell one of these)
}

func readTop(raw []byte) top { return readTopWith(raw, eachTopKey, hasBackslash) }

// hasBackslash reports whether a key's text holds an escape.
func hasBackslash(k []byte) bool { return bytes.IndexByte(k, '\\') >= 0 }

// readTopWith is readTop with a walk of the keys (eachTopKey, or an
// azure.Doc's) and a test of their escapes.
func readTopWith(raw []byte, each func(raw []byte, fn func(key []byte, valueAt int) bool), escaped func(key []byte) bool) top {
	t := top{category: -1, Category: -1}
	each(raw, func(k []byte, v int) bool {
		switch string(k) {
		case "operationName":
			t.op = true
			t.ops++
			t.opAt = v
		case "resourceId":
			t.resourceID = true
		case "time":
			t.time = true
		case "eventTimestamp":
			t.eventTimestamp = true
		case "category":
			t.category = v
		case "Category":
			t.Category = v
		case "@timestamp", "event", "data_stream", "ecs", "event.dataset", "event.action":
			t.ecs = true
		default:
			t.escaped = t.escaped || escaped(k)
		}
		return true
	})
	return t
}

func (t top) source() Source {
	switch {
	case t.op:
		return AzureActivity
	case t.ecs:
		return ECS
	}
	return Unknown
}

// activityLike is IsActivity by the raw keys (a key spelt with escapes is
// not seen).
func (t top) activityLike() bool { return t.op && (t.resourceID || t.time || t.eventTimestamp) }

// Normalize maps one record. ECS and unknown records come back unchanged
// (unknown ones stay searchable as they are). A record detected as Azure
// (src Auto) must have operationName with a resourceId, a time or an
// eventTimestamp, and goes to the data stream its category routes it to
// (azure.Route; so does any record with src Azure); with src AzureActivity
// named, any record with a field of an activity-log record is one, as for
// Elastic's integration (unless opts.Strict), and a record with none is an
// error; the other named streams take every record, and refuse those
// their pipeline drops.
func Normalize(raw []byte, src Source, opts Options) (out []byte, warnings []string, err error) {
	return normalize(nil, false, raw, src, opts)
}

// Append is Normalize appending the document to dst, so that a caller
// that keeps many documents (a block's) can write them into one buffer
// it reuses: a document allocated per record costs more than writing it
// (the heap grows, and its fresh pages fault). A record that Normalize
// returns unchanged is appended as it is. On error dst comes back
// unchanged.
func Append(dst, raw []byte, src Source, opts Options) (out []byte, warnings []string, err error) {
	out, warnings, err = normalize(dst, true, raw, src, opts)
	if err != nil {
		return dst, warnings, err
	}
	return out, warnings, nil
}

// normalize is Normalize (appending false: the document is returned in
// its own allocation, or the record itself) and Append.
func normalize(dst []byte, appending bool, raw []byte, src Source, opts Options) (out []byte, warnings []string, err error) {
	// A record the caller checked is walked once: the byte-level writer
	// reads the ends of values the walk of its keys noted.
	var d azure.Doc
	if opts.Valid && opts.GeoIP == nil {
		d = azure.NewDoc(raw)
		defer d.Release()
	}
	return normalizeDoc(d, nil, dst, appending, raw, src, opts)
}

// readDocTop is readTop with d's walk of the keys.
func readDocTop(raw []byte, d azure.Doc) top {
	return readTopWith(raw, func(_ []byte, fn func([]byte, int) bool) { d.EachTopKey(fn) }, d.Escaped)
}

// normalizeDoc is normalize with the record's writer d (zero: none) and,
// when known, its top-level keys.
func normalizeDoc(d azure.Doc, known *top, dst []byte, appending bool, raw []byte, src Source, opts Options) (out []byte, warnings []string, err error) {
	strict := opts.Strict
	var t top
	read := false
	readTop := readTop
	switch {
	case known != nil:
		t, read = *known, true
	case d != (azure.Doc{}):
		readTop = func(raw []byte) top { return readDocTop(raw, d) }
	}
	if src == Auto {
		if !read {
			t, read = readTop(raw), true
		}
		src, strict = t.source(), true
	}
	st, named := streamSources[src]
	if !named && src != Azure {
		if opts.GeoIPECS && opts.GeoIP != nil {
			raw, warnings = EnrichECS(raw, event.New(raw, nil), opts.GeoIP)
		}
		if appending {
			return append(dst, raw...), warnings, nil
		}
		return raw, warnings, nil
	}
	// Records are written straight from their bytes when they can be
	// (azure.AppendActivity, azure.AppendStream): the document is the same.
	if opts.GeoIP == nil && (named || src == Azure) {
		if !read {
			t = readTop(raw)
		}
		routed := st
		if src == Azure || strict {
			routed = streamOf(raw, t)
		}
		if routed != azure.NoStream {
			out, warnings, done, err := appendFast(d, dst, appending, raw, t, routed, opts, strict)
			if done {
				return out, warnings, err
			}
		}
	}
	// event's decoder builds what encoding/json's (with UseNumber) would,
	// at a fraction of the cost.
	rec, err := event.New(raw, nil).Map()
	if err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if src == Azure || src == AzureActivity && strict {
		cat, has := azure.RecordCategory(rec)
		st = azure.Route(cat, has)
		if st == azure.NoStream {
			msg := fmt.Sprintf("category %q goes to a data stream of Elastic's Azure integration that Vigil does not write (Application Gateway, Firewall, Spring Apps or provisioning logs)", cat)
			if strict {
				// Detected in a mixed export: kept as it is, as records
				// of unknown kinds are, rather than failing the input.
				if appending {
					return append(dst, raw...), []string{msg + "; the record is kept as it is"}, nil
				}
				return raw, []string{msg + "; the record is kept as it is"}, nil
			}
			return nil, nil, errors.New(msg)
		}
	}
	switch {
	case strict && !azure.IsActivity(rec):
		return nil, nil, errNotRaw
	case !strict && st == azure.ActivityLogs && !azure.HasRecordField(rec):
		return nil, nil, errNoActivityField
	}
	doc, warnings, err := azure.Normalize(st, rec, raw, azure.Options{Ingested: opts.Ingested, GeoIP: opts.GeoIP})
	if err != nil {
		return nil, warnings, err
	}
	if !appending {
		dst = make([]byte, 0, len(raw)*2)
	}
	out, err = event.AppendJSON(dst, doc)
	if err != nil {
		return nil, warnings, err
	}
	return out, warnings, nil
}

// appendFast normalizes a record of stream st with the byte-level
// writers (d's, when the caller readied one for raw); done false leaves it
// to the general path.
func appendFast(d azure.Doc, dst []byte, appending bool, raw []byte, t top, st azure.Stream, opts Options, strict bool) (out []byte, warnings []string, done bool, err error) {
	if !opts.Valid {
		if err := scanErr(raw); err != nil {
			return nil, nil, true, fmt.Errorf("not a JSON object: %w", err)
		}
	}
	buf := outPool.Get().(*[]byte)
	defer outPool.Put(buf)
	into := (*buf)[:0]
	if appending {
		into = dst
	}
	// finish returns what was written into: the caller's buffer, or one
	// allocation of the document's size (the pooled buffer it was
	// written in is kept for the next record).
	finish := func(out []byte) []byte {
		if appending {
			return out
		}
		doc := append([]byte(nil), out...)
		*buf = out[:0]
		return doc
	}
	if st == azure.ActivityLogs {
		var out []byte
		var warnings []string
		var ok, notActivity bool
		if d != (azure.Doc{}) {
			out, warnings, ok, notActivity = d.AppendActivity(into, azure.Options{Ingested: opts.Ingested}, strict)
		} else {
			out, warnings, ok, notActivity = azure.AppendActivity(into, raw, azure.Options{Ingested: opts.Ingested}, strict)
		}
		switch {
		case notActivity && strict:
			return nil, nil, true, errNotRaw
		case notActivity:
			return nil, nil, true, errNoActivityField
		case !ok:
			return nil, nil, false, nil
		}
		return finish(out), warnings, true, nil
	}
	// An auto-detected record must look like one (IsActivity); a key
	// spelt with escapes is left to the decoder to tell.
	if strict && !t.activityLike() {
		return nil, nil, false, nil
	}
	var ok bool
	if d != (azure.Doc{}) {
		out, warnings, ok = d.AppendStream(into, st, azure.Options{Ingested: opts.Ingested})
	} else {
		out, warnings, ok = azure.AppendStream(into, raw, st, azure.Options{Ingested: opts.Ingested})
	}
	if !ok {
		return nil, nil, false, nil
	}
	return finish(out), warnings, true, nil
}

var (
	errNotRaw          = errors.New("not an Azure activity-log record (nor another Azure diagnostic-settings record): it has no operationName with a resourceId or time")
	errNoActivityField = errors.New("not an Azure activity-log record: it has none of its fields (time, operationName, category, resourceId, ...)")
)

// scanPool holds events for validating records before the byte-level
// path.
var scanPool = sync.Pool{New: func() any { return event.New(nil, nil) }}

// scanErr is the error internal/event's scanner finds in raw, nil when
// raw is one JSON object.
func scanErr(raw []byte) error {
	ev := scanPool.Get().(*event.Event)
	ev.Reset(raw)
	err := ev.Err()
	ev.Reset(nil)
	scanPool.Put(ev)
	return err
}

// outPool holds the buffers documents are written in before they are
// copied out at their size.
var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// StreamOf returns the data stream a raw Azure record (one Detect takes
// for Azure) is normalized into, from its category, without decoding the
// record: what Normalize does with it when detected.
func StreamOf(raw []byte) azure.Stream { return streamOf(raw, readTop(raw)) }

func streamOf(raw []byte, t top) azure.Stream {
	at, found := t.category, t.category >= 0
	if !found || bytes.HasPrefix(raw[at:], []byte("null")) {
		at, found = t.Category, t.Category >= 0
	}
	if !found || bytes.HasPrefix(raw[at:], []byte("null")) {
		return azure.ActivityLogs
	}
	v := raw[at:]
	if len(v) == 0 || v[0] != '"' {
		// Not a string: decode the record as Normalize would.
		rec, err := event.New(raw, nil).Map()
		if err != nil {
			return azure.ActivityLogs
		}
		return azure.Route(azure.RecordCategory(rec))
	}
	end := 1
	for end < len(v) && v[end] != '"' {
		if v[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(v) {
		return azure.ActivityLogs
	}
	s := unsafe.String(&v[1], end-1) // Route keeps nothing of it
	if end == 1 {
		s = ""
	}
	if bytes.IndexByte(v[:end], '\\') >= 0 {
		// Declared here: a variable Unmarshal writes to is allocated, and
		// only records with an escaped category need one.
		var dec string
		if err := json.Unmarshal(v[:end+1], &dec); err != nil {
			return azure.ActivityLogs
		}
		s = dec
	}
	return azure.Route(s, true)
}

// TopLevelValue returns the offset of the value of key at the top level of
// the JSON object raw (the last one when the key repeats, as decoders keep
// the last).
func TopLevelValue(raw []byte, key string) (at int, found bool) {
	eachTopKey(raw, func(k []byte, v int) bool {
		if string(k) == key {
			at, found = v, true
		}
		return true
	})
	return at, found
}

// eachTopKey calls fn with each top-level key of the JSON object raw (raw
// bytes, escapes left as they are) and the offset of its value, until fn
// returns false. It skips nested
// values and jumps over strings with IndexByte, so that a long string (such
// as event.original) costs little.
func eachTopKey(raw []byte, fn func(key []byte, valueAt int) bool) {
	depth := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			j := i + 1
			for {
				n := bytes.IndexByte(raw[j:], '"')
				if n < 0 {
					return
				}
				j += n
				bs := 0
				for k := j - 1; k > i && raw[k] == '\\'; k-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
				j++
			}
			if depth == 1 {
				k := j + 1
				for k < len(raw) && (raw[k] == ' ' || raw[k] == '\t' || raw[k] == '\n' || raw[k] == '\r') {
					k++
				}
				if k < len(raw) && raw[k] == ':' {
					v := k + 1
					for v < len(raw) && (raw[v] == ' ' || raw[v] == '\t' || raw[v] == '\n' || raw[v] == '\r') {
						v++
					}
					if !fn(raw[i+1:j], v) {
						return
					}
				}
			}
			i = j
		}
	}
}
