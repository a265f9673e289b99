// Package threatintel runs the join of threat_match (indicator match)
// rules: it loads threat intelligence documents from files, selects those
// a rule's threat_index, threat_filters and threat_query admit, and
// matches events against them through the rule's threat_mapping, adding
// the enrichments Kibana adds (threat.enrichments).
package threatintel

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/input"
)

// Indicator is one threat intelligence document.
type Indicator struct {
	// ID is the document's _id: the one an Elasticsearch export gives, else
	// a hash of its content (stable across reloads).
	ID string
	// Index is the document's _index: an export's, else its data stream
	// (type-dataset-namespace, e.g. logs-ti_abusech.url-default), else ""
	// (then every threat_index pattern selects it).
	Index string
	Raw   []byte // the document (_source)
	Where string // file:line, for messages
}

// Set is an immutable list of indicators read from files.
type Set struct {
	Items []Indicator
	// Bad counts the records that could not be read; Problems holds the
	// first of their errors (file, line and column).
	Bad      int
	Problems []error
}

// maxProblems bounds the errors a Set keeps (Bad counts them all).
const maxProblems = 20

var dsPlan = func() *event.Plan {
	p := event.NewPlan()
	p.Add("data_stream.type")
	p.Add("data_stream.dataset")
	p.Add("data_stream.namespace")
	return p
}()

// hit is an Elasticsearch search hit or export line: {_index, _id, _source}.
type hit struct {
	Index  string          `json:"_index"`
	ID     string          `json:"_id"`
	Source json.RawMessage `json:"_source"`
}

// Read reads indicator documents from files: NDJSON, JSON arrays or
// single documents, gzip-compressed or not, each either a document or an
// Elasticsearch hit ({"_index", "_id", "_source"}, as exports and search
// results write them). A record that cannot be read is counted in Bad and
// reported in Problems; the rest is read. An error is returned only for a
// file that cannot be opened.
func Read(paths []string) (*Set, error) {
	s := &Set{}
	for _, p := range paths {
		if err := s.readFile(p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Set) readFile(path string) error {
	rd, err := input.Open(path, nil)
	if err != nil {
		return fmt.Errorf("indicators: %w", err)
	}
	defer rd.Close()
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var de *input.DecodeError
		if errors.As(err, &de) {
			s.problem(de)
			continue
		}
		if err != nil {
			return fmt.Errorf("indicators: %s: %w", path, err)
		}
		s.add(rec)
	}
}

func (s *Set) problem(err error) {
	s.Bad++
	if len(s.Problems) < maxProblems {
		s.Problems = append(s.Problems, err)
	}
}

func (s *Set) add(rec input.Record) {
	ind := Indicator{Where: rec.Location()}
	raw := rec.Data
	if bytes.Contains(raw, []byte(`"_source"`)) {
		var h hit
		if err := json.Unmarshal(raw, &h); err == nil && len(h.Source) > 0 && h.Source[0] == '{' {
			ind.ID, ind.Index, raw = h.ID, h.Index, h.Source
		}
	}
	ind.Raw = bytes.Clone(raw)
	if ind.ID == "" {
		sum := sha256.Sum256(ind.Raw)
		ind.ID = hex.EncodeToString(sum[:10])
	}
	if ind.Index == "" {
		ev := event.New(ind.Raw, dsPlan)
		if err := ev.Err(); err != nil {
			s.problem(fmt.Errorf("%s: %w", ind.Where, err))
			return
		}
		t, d, n := str(ev, "data_stream.type"), str(ev, "data_stream.dataset"), str(ev, "data_stream.namespace")
		if t != "" && d != "" && n != "" {
			ind.Index = t + "-" + d + "-" + n
		}
	}
	s.Items = append(s.Items, ind)
}

func str(ev *event.Event, path string) string {
	for _, v := range ev.Get(path) {
		if v.Kind == event.KindString {
			return v.Str
		}
	}
	return ""
}

// Source is a list of indicator files read again when one changes.
type Source struct {
	paths []string

	mu    sync.Mutex
	set   *Set
	stamp string // the files' sizes and modification times at the last read
}

// NewSource reads the indicator files once; Reload reads them again when
// they change.
func NewSource(paths []string) (*Source, error) {
	s := &Source{paths: append([]string(nil), paths...)}
	if _, err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Set returns the indicators of the last successful read.
func (s *Source) Set() *Set {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set
}

// Paths returns the files the source reads.
func (s *Source) Paths() []string { return append([]string(nil), s.paths...) }

// Reload reads the files again if any changed (size or modification time)
// since the last read, and reports whether it did. A file that cannot be
// read keeps the previous set and returns the error.
func (s *Source) Reload() (bool, error) {
	stamp, err := stampOf(s.paths)
	if err != nil {
		return false, fmt.Errorf("indicators: %w", err)
	}
	s.mu.Lock()
	same := s.set != nil && stamp == s.stamp
	s.mu.Unlock()
	if same {
		return false, nil
	}
	set, err := Read(s.paths)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	s.set, s.stamp = set, stamp
	s.mu.Unlock()
	return true, nil
}

func stampOf(paths []string) (string, error) {
	var b bytes.Buffer
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	for _, p := range sorted {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s\x00%d\x00%s\n", p, fi.Size(), fi.ModTime().Format(time.RFC3339Nano))
	}
	return b.String(), nil
}
