package engine

import (
	"bytes"
	"unsafe"

	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/normalize/azure"
)

// AzureRawFilter is a RawFilter per data stream of Elastic's Azure
// integration that Vigil writes: a raw Azure record (one with a top-level
// operationName) is checked against the filter of the stream its category
// routes it to (normalize.StreamOf), built from the rules that select that
// stream's index and the field origins of its normalizer.
type AzureRawFilter struct {
	by    [azure.Streams]*RawFilter
	index [azure.Streams]string
}

// NewAzureRawFilter builds the filters of rules for raw Azure records.
// index, when not empty, is the index every document is given (hunt
// --index) instead of its stream's; enriched is for documents made with
// GeoIP databases.
func NewAzureRawFilter(rules []*Rule, index string, enriched bool) *AzureRawFilter {
	f := &AzureRawFilter{}
	for s := range azure.Streams {
		st := azure.Stream(s)
		idx := index
		if idx == "" {
			idx = st.Index()
		}
		f.index[s] = idx
		f.by[s] = NewRawFilter(rules, idx, azure.StreamOrigin(st, enriched))
	}
	return f
}

// Pass reports whether a rule could match the document made of the raw
// record.
func (f *AzureRawFilter) Pass(raw []byte, scratch *RawScratch) bool {
	ok, _ := f.PassIndex(raw, scratch)
	return ok
}

// PassIndex is Pass, and the index the record's document goes to.
func (f *AzureRawFilter) PassIndex(raw []byte, scratch *RawScratch) (pass bool, index string) {
	return f.PassStream(raw, normalize.StreamOf(raw), scratch)
}

// PassStream is PassIndex for a record whose stream s the caller knows
// (normalize.Record.Stream: StreamOf without another walk of the record).
func (f *AzureRawFilter) PassStream(raw []byte, s azure.Stream, scratch *RawScratch) (pass bool, index string) {
	if s < 0 || int(s) >= azure.Streams {
		return true, "" // not normalized: the normalizer reports it
	}
	return f.by[s].Pass(raw, scratch), f.index[s]
}

// All reports whether every record passes every stream's filter.
func (f *AzureRawFilter) All() bool {
	for _, r := range f.by {
		if !r.All() {
			return false
		}
	}
	return true
}

// AzureShapes are the shapes of raw Azure records, a stream each (for a
// line filter): documents of the stream's index (index, when not empty,
// instead) whose fields azure.StreamOrigin describes.
func AzureShapes(index string, enriched bool) []Shape {
	var out []Shape
	for s := range azure.Streams {
		st := azure.Stream(s)
		idx := index
		if idx == "" {
			idx = st.Index()
		}
		out = append(out, Shape{Index: idx, Origin: azure.StreamOrigin(st, enriched)})
	}
	return out
}

// IndexOf returns the index of the document the raw record would make
// ("" when no stream of Vigil's takes it).
func (f *AzureRawFilter) IndexOf(raw []byte) string {
	if activityByText(raw) {
		return f.index[azure.ActivityLogs]
	}
	s := normalize.StreamOf(raw)
	if s < 0 || int(s) >= azure.Streams {
		return ""
	}
	return f.index[s]
}

// categoryKey is the end of the keys category and Category, searched for
// by its g.
var categoryKey = []byte(`ategory"`)

// activityByText reports, from the text of a raw record alone, that
// normalize.StreamOf would route it to the activity logs: every key spelt
// category or Category in it, at any depth, has a string value (without
// escapes) that routes there, so the top-level one, if any, does; and
// with none, a record goes there too. false means "look closer"
// (StreamOf), never another stream: what StreamOf walks the record's top
// level for, this finds with one search in the common case.
func activityByText(raw []byte) bool {
	const g = 3 // categoryKey[g] == 'g', the rarest of its bytes in raw records
	for i := g; ; {
		j := bytes.IndexByte(raw[i:], 'g')
		if j < 0 {
			return true
		}
		at := i + j - g // raw[at-1] should be c or C, raw[at-2] the key's quote
		i = at + g + 1
		if at < 2 || !bytes.HasPrefix(raw[at:], categoryKey) || raw[at-2] != '"' || (raw[at-1] != 'c' && raw[at-1] != 'C') {
			continue // another word, key or value
		}
		i = at + len(categoryKey)
		if at >= 3 && raw[at-3] == '\\' {
			return false // an escaped quote: which string is which is unclear
		}
		k := skipBlank(raw, i)
		if k >= len(raw) || raw[k] != ':' {
			continue // a value "category", not a key
		}
		k = skipBlank(raw, k+1)
		if k >= len(raw) || raw[k] != '"' {
			return false // null, an object (the REST shape) or another value
		}
		end := bytes.IndexByte(raw[k+1:], '"')
		if end < 0 {
			return false
		}
		v := raw[k+1 : k+1+end]
		if bytes.IndexByte(v, '\\') >= 0 {
			return false
		}
		if azure.Route(unsafe.String(unsafe.SliceData(v), len(v)), true) != azure.ActivityLogs {
			return false
		}
		i = k + 1 + end + 1
	}
}

func skipBlank(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
