package azure

import (
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/event"
)

// Doc is one raw record on its way through the byte-level writers, for a
// caller that reads the record's top-level keys before it chooses a
// writer (Normalize's detection and routing): its walk of the keys notes
// where every value of the record ends, and the writer then reads those
// ends instead of walking the record again.
type Doc struct{ f *fastDoc }

// NewDoc readies a writer for raw, one valid JSON object (the caller
// checked it). Release it when done.
func NewDoc(raw []byte) Doc {
	f := fastPool.Get().(*fastDoc)
	f.reset(raw)
	return Doc{f}
}

// Check reads the record, not known to be valid, once: it reports
// whether it is one JSON object that internal/event's scanner accepts,
// and notes where every value ends for the walks that follow. false when
// it is not, or when the record is too large to be noted so (over
// 1 MiB): the scanner is then the judge, and d reads the record as NewDoc
// does (unchecked, for the caller to use once the scanner accepted it).
func (d Doc) Check() bool {
	if d.f.check() {
		return true
	}
	d.f.reset(d.f.rec)
	return false
}

// Reset readies d for another record, as NewDoc does, keeping its
// writer (no trip through the pool).
func (d Doc) Reset(raw []byte) { d.f.reset(raw) }

// Release gives the writer back; d is not to be used after.
func (d Doc) Release() {
	if d.f == nil {
		return
	}
	// Keep no reference to the record (strings alias it) in the pool.
	d.f.reset(nil)
	fastPool.Put(d.f)
}

// EachTopKey calls fn with each top-level key of the record (its bytes
// between the quotes, escapes as written) and the offset of its value,
// until fn returns false.
func (d Doc) EachTopKey(fn func(key []byte, valueAt int) bool) {
	f := d.f
	raw := f.raw
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return
	}
	f.members(raw, i, func(k []byte, v span) bool { return fn(k, v.s) })
}

// Escaped reports whether a key EachTopKey gave holds an escape (a
// backslash): without a search when the walk noted its token plain.
func (d Doc) Escaped(key []byte) bool { return d.f.escaped(key) }

// AppendActivity is AppendActivity of the record.
func (d Doc) AppendActivity(dst []byte, opts Options, strict bool) (out []byte, warnings []string, ok, notActivity bool) {
	if opts.GeoIP != nil {
		return dst, nil, false, false
	}
	return d.f.appendActivity(dst, opts, strict)
}

// AppendStream is AppendStream of the record.
func (d Doc) AppendStream(dst []byte, s Stream, opts Options) (out []byte, warnings []string, ok bool) {
	if s == ActivityLogs {
		out, warnings, ok, notActivity := d.AppendActivity(dst, opts, false)
		return out, warnings, ok && !notActivity
	}
	if opts.GeoIP != nil || !d.f.ascii && !utf8.Valid(d.f.raw) {
		return dst, nil, false
	}
	return d.f.appendStream(dst, s, opts)
}

// Laid returns where the values of the document of size bytes the last
// Append wrote lie: what event.ResetLaid takes. false when that document
// was not written field by field (the general path wrote it, or no Append
// did). At is d's, valid until its next record.
func (d Doc) Laid(size int) (event.Laid, bool) { return d.f.laidOut(size) }
