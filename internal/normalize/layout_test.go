package normalize

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// layoutPlan plans every path of doc (objects, their leaves, the elements
// of lists) and a few it does not have.
func layoutPlan(t testing.TB, doc []byte) *event.Plan {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	plan := event.NewPlan()
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if path != "" {
				plan.Add(path)
				path += "."
			}
			for k, x := range v {
				walk(path+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path, x)
			}
		default:
			plan.Add(path)
		}
	}
	walk("", m)
	for _, p := range []string{"nothing", "event.nothing", "azure.signinlogs.properties.nothing.deeper", "a.b"} {
		plan.Add(p)
	}
	return plan
}

// checkRecordLayout normalizes raw with a Record and, when the writer
// gives the document's layout, checks that every planned path reads the
// same through it as by scanning the document.
func checkRecordLayout(t testing.TB, r *Record, raw []byte, src Source, opts Options) (laid bool) {
	t.Helper()
	if err := r.Read(raw); err != nil {
		return false
	}
	doc, _, err := r.Append(nil, src, opts)
	if err != nil {
		return false
	}
	plan := layoutPlan(t, doc)
	l, ok := r.Laid(doc)
	if !ok {
		return false
	}
	scan, laidOut := event.New(doc, plan), event.New(nil, plan)
	laidOut.ResetLaid(doc, l)
	if laidOut.Laid().Shape != l.Shape {
		t.Fatalf("%s: the layout was not used", doc)
	}
	if err := laidOut.Err(); err != nil {
		t.Fatalf("%s: through the layout: %v", doc, err)
	}
	if laidOut.Laid().Shape != l.Shape {
		t.Fatalf("%s: the layout was refused (a value not where it says)", doc)
	}
	for id := range plan.Len() {
		want, got := scan.Values(event.FieldID(id)), laidOut.Values(event.FieldID(id))
		if !slices.Equal(want, got) {
			t.Fatalf("%s\n%s: scan %v, layout %v", doc, plan.Path(event.FieldID(id)), want, got)
		}
	}
	// A layout is for the document it was given with.
	if _, ok := r.Laid(doc[:len(doc)-1]); ok {
		t.Fatalf("%s: a layout for a document one byte shorter", doc)
	}
	return true
}

// TestRecordLayout: the documents the byte-level writers put field by
// field read the same through their layout as by a scan, for the
// records of the tests and Elastic's pipeline tests' inputs.
func TestRecordLayout(t *testing.T) {
	recs := appendCases(t)
	// Few fields: the plan's constants come last, after every value.
	for _, c := range []string{
		`{"category":"SignInLogs","operationName":"Sign-in activity","time":"2026-01-01T00:00:00Z"}`,
		`{"category":"AuditLogs","operationName":"Add user","time":"2026-01-01T00:00:00Z"}`,
		`{"operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","time":"2026-01-01T00:00:00Z","resourceId":"/subscriptions/s"}`,
		`{"category":"MicrosoftGraphActivityLogs","operationName":"Microsoft Graph Activity","time":"2026-01-01T00:00:00Z"}`,
		`{"category":"kube-audit","operationName":"x","time":"2026-01-01T00:00:00Z"}`,
	} {
		recs = append(recs, []byte(c))
	}
	if dir, ok := sharedtestdata.Find("azure"); ok {
		var logs []string
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log") {
				logs = append(logs, p)
			}
			return nil
		})
		for _, p := range logs {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				recs = append(recs, slices.Clone(sc.Bytes()))
			}
			f.Close()
		}
	} else {
		t.Log("../shared/testdata/azure is absent: only the package's own records are checked")
	}
	var r Record
	defer r.Release()
	laid := 0
	for _, raw := range recs {
		for _, src := range []Source{Auto, Azure} {
			if checkRecordLayout(t, &r, raw, src, Options{Strict: src == Auto}) {
				laid++
			}
		}
	}
	if laid < len(recs)/2 {
		t.Fatalf("%d of %d documents had a layout", laid, 2*len(recs))
	}
	t.Logf("%d of %d documents checked through their layout", laid, 2*len(recs))
}
