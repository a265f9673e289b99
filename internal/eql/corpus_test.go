package eql

import (
	"testing"

	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// TestCorpus parses every EQL query of Elastic's rule corpus and checks
// that each prints back to an equal tree.
func TestCorpus(t *testing.T) {
	root, ok := sharedtestdata.Find("detection-rules")
	if !ok {
		t.Skip("../shared/testdata/detection-rules not found")
	}
	queries := readCorpus(t, root)
	kinds := map[string]int{}
	for _, c := range queries {
		s, err := Parse(c.query)
		if err != nil {
			t.Errorf("%s: %s", c.file, detail(err))
			continue
		}
		switch s.Query.(type) {
		case *EventQuery:
			kinds["event"]++
		case *Sequence:
			kinds["sequence"]++
		case *Sample:
			kinds["sample"]++
		}
		checkRoundTrip(t, c.file, s)
	}
	t.Logf("parsed %d EQL queries: %v", len(queries), kinds)
	if len(queries) != 1024 {
		t.Errorf("found %d EQL rule queries, want 1024 (the corpus changed?)", len(queries))
	}
}

// TestSpec parses the queries of Elasticsearch's EQL spec files.
func TestSpec(t *testing.T) {
	root, ok := sharedtestdata.Find("eql-spec")
	if !ok {
		t.Skip("../shared/testdata/eql-spec not found")
	}
	queries := specQueries(t, root)
	if len(queries) == 0 {
		t.Fatal("no spec queries found")
	}
	for _, c := range queries {
		s, err := Parse(c.query)
		if err != nil {
			t.Errorf("%s: %s", c.file, detail(err))
			continue
		}
		checkRoundTrip(t, c.file, s)
	}
	t.Logf("parsed %d spec queries", len(queries))
}
