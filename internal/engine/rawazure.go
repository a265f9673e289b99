package engine

import (
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
	s := normalize.StreamOf(raw)
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
	s := normalize.StreamOf(raw)
	if s < 0 || int(s) >= azure.Streams {
		return ""
	}
	return f.index[s]
}
