package normalize

import (
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/normalize/azure"
)

// Record is a record its caller has not checked, read once for
// normalizing: one walk checks that it is JSON as internal/event's scanner
// does, reads its top-level keys and notes where its values end, which
// the byte-level writers then read. It stands for scanning the record,
// then calling Append with Options.Valid (a scan and a walk). The zero
// Record is ready; Read it, and Read it again or Release it before its
// record's bytes change (it keeps its writer from one record to the next,
// as Release does not).
type Record struct {
	raw []byte
	d   azure.Doc
	t   top
}

// Read reads raw. The error is the one internal/event's scanner gives,
// with the same offset and message (a *event.SyntaxError), when the
// record is not one JSON object; r is then not to be used until read
// again.
func (r *Record) Read(raw []byte) error {
	d := r.d
	if d == (azure.Doc{}) {
		d = azure.NewDoc(raw)
	} else {
		d.Reset(raw)
	}
	r.raw, r.d, r.t = nil, d, top{}
	if !d.Check() {
		// Not JSON, or more than the walk notes: the scanner judges, and
		// gives the fault's offset and message.
		if err := scanErr(raw); err != nil {
			return err
		}
	}
	r.raw = raw
	r.t = readDocTop(raw, d)
	return nil
}

// Release lets go of the record read and gives the writer back to the
// pool; r is ready to Read again.
func (r *Record) Release() {
	if r.d != (azure.Doc{}) {
		r.d.Release()
	}
	*r = Record{}
}

// Operation tells whether the record has a top-level operationName with a
// value internal/event's scanner extracts (a key spelt so, its value
// neither null nor an empty object or list): what makes a raw Azure
// record for hunt's pipeline. sure is false when the walk cannot tell
// (keys spelt with escapes, the value an object or a list): the scanner
// can.
func (r *Record) Operation() (has, sure bool) {
	t := r.t
	switch {
	case t.escaped:
		return false, false
	case t.ops == 0:
		return false, true
	case t.ops > 1:
		return false, false
	}
	switch r.raw[t.opAt] {
	case 'n':
		return false, true
	case '{', '[':
		return false, false
	}
	return true, true
}

// Stream is StreamOf the record.
func (r *Record) Stream() azure.Stream { return streamOf(r.raw, r.t) }

// Append is Append of the record read, once a Read: opts.Valid is
// implied.
func (r *Record) Append(dst []byte, src Source, opts Options) (out []byte, warnings []string, err error) {
	opts.Valid = true
	out, warnings, err = normalizeDoc(r.d, &r.t, dst, true, r.raw, src, opts)
	if err != nil {
		return dst, warnings, err
	}
	return out, warnings, nil
}

// Laid is where the values of doc, the document the last Append wrote,
// lie (see event.ResetLaid); false when it was not written field by field
// (the general path wrote it) or r is nil (the zero Laid then has
// ResetLaid scan). At is r's, valid until its next Read.
func (r *Record) Laid(doc []byte) (event.Laid, bool) {
	if r == nil || r.raw == nil {
		return event.Laid{}, false
	}
	return r.d.Laid(len(doc))
}
