package event

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// The single-pass extraction is checked against the map-based reference:
// encoding/json decodes the document and appendPath resolves each path. Map's
// own decoder must build the same map as encoding/json.
// They must agree on whether a document is malformed and, per planned path,
// on the multiset of values. Deliberate differences, which the comparison
// allows for:
//
//   - A key repeated within one object: encoding/json keeps the last
//     occurrence, the scanner yields every occurrence, so the reference's
//     values need only be a sub-multiset of the scanner's.
//   - Paths with an empty segment ("", "a.", "a..b"), which Elasticsearch
//     refuses as field names: the reference reads a trailing "." at an object
//     as the object itself. Plans here leave such paths out.

// decodeMap is the reference decode: encoding/json's Decoder with UseNumber,
// over a document that must be exactly one JSON object.
func decodeMap(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if doc == nil {
		return nil, fmt.Errorf("malformed JSON: not an object")
	}
	if rest := raw[d.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) > 0 {
		return nil, fmt.Errorf("malformed JSON: data after the object")
	}
	return doc, nil
}

// oracle returns the reference values of each path in doc.
func oracle(doc []byte, paths []string) (map[string][]Value, error) {
	m, err := decodeMap(doc)
	if err != nil {
		return nil, err
	}
	got := map[string][]Value{}
	for _, p := range paths {
		got[p] = appendPath(nil, m, p)
	}
	return got, nil
}

// usablePath reports whether a path has no empty segment.
func usablePath(p string) bool {
	return p != "" && !strings.HasPrefix(p, ".") && !strings.HasSuffix(p, ".") && !strings.Contains(p, "..")
}

// docPaths lists the path of every key in a decoded document, objects and
// arrays included.
func docPaths(x any, prefix string, out map[string]bool) {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			docPaths(v, p, out)
		}
	case []any:
		for _, v := range t {
			docPaths(v, prefix, out)
		}
	}
}

// hasDuplicateKeys reports whether some object of a valid document repeats a
// key (after decoding).
func hasDuplicateKeys(doc []byte) bool {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	type level struct {
		keys   map[string]bool
		object bool
		key    bool // the next string token is a key
	}
	var stack []level
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		var top *level
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.key {
			if top.keys[s] {
				return true
			}
			top.keys[s] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{keys: map[string]bool{}, object: true, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			return false
		}
		if top := &stack[len(stack)-1]; top.object {
			top.key = true // a value ended: a key comes next
		}
	}
}

// sortValues puts values in a canonical order for multiset comparison.
func sortValues(vs []Value) []Value {
	vs = slices.Clone(vs)
	slices.SortFunc(vs, func(a, b Value) int {
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Str, b.Str); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Num, b.Num); c != 0 {
			return c
		}
		return cmp.Compare(btoi(a.Bool), btoi(b.Bool))
	})
	return vs
}

// subMultiset reports whether every value of a occurs in b, as many times.
func subMultiset(a, b []Value) bool {
	left := slices.Clone(b)
	for _, v := range a {
		i := slices.IndexFunc(left, func(w Value) bool { return gocmp.Equal(v, w) })
		if i < 0 {
			return false
		}
		left = slices.Delete(left, i, i+1)
	}
	return true
}

// checkAgainstOracle compares the scanner with the reference on doc for the
// given paths plus every path the document holds.
func checkAgainstOracle(t *testing.T, doc []byte, extra []string) {
	t.Helper()
	set := map[string]bool{}
	for _, p := range extra {
		set[p] = true
	}
	if m, err := decodeMap(doc); err == nil {
		docPaths(m, "", set)
	}
	var paths []string
	for p := range set {
		if usablePath(p) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)

	plan := planOf(paths...)
	e := New(doc, plan)
	want, oerr := oracle(doc, paths)
	if err := e.Err(); (err == nil) != (oerr == nil) {
		t.Fatalf("doc %q:\nscanner error: %v\nreference error: %v", doc, err, oerr)
	}
	if oerr != nil {
		var se *SyntaxError
		if !errors.As(e.Err(), &se) || se.Offset < 0 || se.Offset > len(doc) {
			t.Fatalf("doc %q: error %v has no offset within the document", doc, e.Err())
		}
		for id := range FieldID(plan.Len()) {
			if e.Has(id) {
				t.Fatalf("doc %q: malformed, yet %s has values", doc, plan.Path(id))
			}
		}
		return
	}
	m, err := e.Map()
	if err != nil {
		t.Fatalf("doc %q: Map: %v", doc, err)
	}
	ref, _ := decodeMap(doc)
	if diff := gocmp.Diff(ref, m); diff != "" {
		t.Fatalf("doc %q: Map (-reference +got):\n%s", doc, diff)
	}
	dup := hasDuplicateKeys(doc)
	for id, p := range paths {
		got := e.Values(FieldID(id))
		if dup {
			if !subMultiset(want[p], got) {
				t.Fatalf("doc %q (duplicate keys), path %q:\nscanner   %v\nreference %v", doc, p, got, want[p])
			}
			continue
		}
		if diff := gocmp.Diff(sortValues(want[p]), sortValues(got)); diff != "" {
			t.Fatalf("doc %q, path %q (-reference +scanner):\n%s", doc, p, diff)
		}
	}
}

// repoRoot walks up from the package directory to the directory of go.mod.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
}

// azureDocs returns the JSON documents of ../shared/testdata/azure: every
// line of the NDJSON .log files and, when whole is set, every .json file as
// one document. ok is false when the shared tree is absent.
func azureDocs(tb testing.TB, whole bool) (docs [][]byte, ok bool) {
	tb.Helper()
	root := filepath.Join(repoRoot(tb), "..", "shared", "testdata", "azure")
	if _, err := os.Stat(root); err != nil {
		return nil, false
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".log":
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
					docs = append(docs, slices.Clone(line))
				}
			}
			return sc.Err()
		case ".json":
			if whole {
				b, err := os.ReadFile(path)
				docs = append(docs, b)
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return docs, true
}

// handDocs seed the differential tests and the fuzzer.
var handDocs = []string{
	`{}`,
	`{"a":1}`,
	`{"a":{"b":1},"a.b":2}`,
	`{"azure":{"activitylogs.operation_name":"x"}}`,
	`{"a":[{"b":1},{"b":2}]}`,
	`{"a":[[{"b":[1,[2]]}],null,[]],"a.b":[3]}`,
	`{"a":{"b":null,"c":[],"d":{}}}`,
	`{"a":{"b":{"c":{"d":[null,0]}}}}`,
	`{"n":[0,-0,1.5e3,1E+2,-12.5e-1,1234567890123456789,1e400,-1e-400]}`,
	`{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\ud800x\udc00\ud800\ud800"}`,
	"{\"s\":\"\xff\xed\xa0\x80\xc3\"}",
	`{"ev\u0065nt":{"d\u0061taset":"x"},"caf\u00e9":"é"}`,
	`{"a":1,"a":2}`,
	`{"a":{"b":1},"a":{"c":2}}`,
	`{"":1,"a.":{"":2},".a":3,"a..b":4}`,
	`{"a":true,"b":false,"c":null}`,
	` { "a" : [ 1 , 2 ] } `,
	`{"a":1,}`,
	`{"a":"\x"}`,
	`{"a":01}`,
	`{"a":[1,2}`,
	`{"a":1} x`,
	`[{"a":1}]`,
	`{"a":"` + "\x01" + `"}`,
}

// keys and leaves the random documents are made of: few enough that paths
// collide through dotted keys, with escapes and non-ASCII text.
var (
	randKeys   = []string{`a`, `b`, `c`, `a.b`, `b.c`, `a.b.c`, `\u0061`, `b\u002ec`, `é`, `x`}
	randLeaves = []string{`1`, `-2.5e3`, `0`, `true`, `false`, `null`, `""`, `"s"`, `"\n\u00e9"`, `"\ud83d\ude00"`, `"a\/b"`, "\"\xff\"", `12345678901234567`}
)

// randDoc writes a random JSON object of nesting up to depth.
func randDoc(r *rand.Rand, depth int) []byte {
	var b bytes.Buffer
	randObject(r, &b, depth)
	return b.Bytes()
}

func randObject(r *rand.Rand, b *bytes.Buffer, depth int) {
	b.WriteByte('{')
	for i := range r.IntN(4) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + randKeys[r.IntN(len(randKeys))] + `":`)
		randValue(r, b, depth-1)
	}
	b.WriteByte('}')
}

func randValue(r *rand.Rand, b *bytes.Buffer, depth int) {
	switch n := r.IntN(10); {
	case depth > 0 && n < 3:
		randObject(r, b, depth)
	case depth > 0 && n < 5:
		b.WriteByte('[')
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteString(" , ")
			}
			randValue(r, b, depth-1)
		}
		b.WriteByte(']')
	default:
		b.WriteString(randLeaves[r.IntN(len(randLeaves))])
	}
}

// randPaths returns paths made of the random keys' decoded forms.
func randPaths(r *rand.Rand) []string {
	parts := []string{"a", "b", "c", "x", "é", "z"}
	var paths []string
	for range 6 {
		var segs []string
		for range 1 + r.IntN(4) {
			segs = append(segs, parts[r.IntN(len(parts))])
		}
		paths = append(paths, strings.Join(segs, "."))
	}
	return paths
}

// mutate damages a document: truncates it or overwrites one byte.
func mutate(r *rand.Rand, doc []byte) []byte {
	doc = slices.Clone(doc)
	if len(doc) == 0 {
		return doc
	}
	i := r.IntN(len(doc))
	if r.IntN(2) == 0 {
		return doc[:i]
	}
	const damage = `{}[],:"\ 0-.eEu1n`
	doc[i] = damage[r.IntN(len(damage))]
	return doc
}

func TestDifferentialHandWritten(t *testing.T) {
	for _, d := range handDocs {
		checkAgainstOracle(t, []byte(d), []string{"a", "a.b", "a.b.c", "n", "s", "event.dataset"})
	}
}

func TestDifferentialRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		doc := randDoc(r, 5)
		paths := randPaths(r)
		checkAgainstOracle(t, doc, paths)
		checkAgainstOracle(t, mutate(r, doc), paths)
	}
}

func TestDifferentialAzureTestdata(t *testing.T) {
	docs, ok := azureDocs(t, true)
	if !ok {
		t.Skip("../shared/testdata/azure is absent: no Azure documents to compare")
	}
	for _, d := range docs {
		checkAgainstOracle(t, d, nil)
	}
}

// FuzzValues compares the scanner with the reference on arbitrary documents.
// paths holds extra planned paths, one per line; every path of a valid
// document is planned too.
func FuzzValues(f *testing.F) {
	for _, d := range handDocs {
		f.Add([]byte(d), "a\na.b\nevent.dataset")
	}
	if docs, ok := azureDocs(f, false); ok {
		for _, d := range docs {
			f.Add(d, "event.dataset\nazure.activitylogs.operation_name\nidentity.claims")
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte, paths string) {
		checkAgainstOracle(t, doc, strings.Split(paths, "\n"))
	})
}

// TestHasDuplicateKeys checks the helper the comparison relies on.
func TestHasDuplicateKeys(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"a":1,"b":{"a":2}}`:           false,
		`{"a":1,"a":2}`:                 true,
		`{"a":[{"b":1},{"b":2}]}`:       false,
		`{"a":{"b":1,"b":2}}`:           true,
		`{"a":1,"\u0061":2}`:            true,
		`{"a":[1,{"c":1}],"b":2,"c":3}`: false,
	} {
		if got := hasDuplicateKeys([]byte(doc)); got != want {
			t.Errorf("hasDuplicateKeys(%s) = %v, want %v", doc, got, want)
		}
	}
}

// TestDifferentialWidePlan plans many sibling fields, sharing first bytes
// and prefixes, as a rule corpus does: nodes compared key by key (up to
// maxDirect kids) and nodes looked up by segment.
func TestDifferentialWidePlan(t *testing.T) {
	names := []string{"k", "ka", "kab", "k.a", "p", ""}
	for i := range 70 {
		names = append(names, fmt.Sprintf("k%d", i), fmt.Sprintf("p%c%d", 'a'+i%26, i))
	}
	saved := randKeys
	defer func() { randKeys = saved }()
	randKeys = append(slices.Clone(names[:46]), "k1.x", "o", "o.k3", `k\u0031`, "zz", "k69", "pr69")
	for _, width := range []int{maxDirect - 6, len(names)} {
		var paths []string
		for _, n := range names[:width] {
			paths = append(paths, n, "o."+n, n+".x")
		}
		r := rand.New(rand.NewPCG(3, uint64(width)))
		for range 3000 {
			doc := randDoc(r, 4)
			checkAgainstOracle(t, doc, paths)
			checkAgainstOracle(t, mutate(r, doc), paths)
		}
	}
}

// TestDifferentialLongSegments plans segments around the eight bytes the
// scanner compares in one word (shorter, as long, longer, differing only
// past the word) against keys that match them, extend them or differ in
// one byte.
func TestDifferentialLongSegments(t *testing.T) {
	names := []string{"abcdefg", "abcdefgh", "abcdefghi", "abcdefghij", "abcdefgX", "abcdefghijklmnop", "abcdefghijklmnoq", "a"}
	saved := randKeys
	defer func() { randKeys = saved }()
	randKeys = append(slices.Clone(names), "abcdefgh.i", "abcdefghX", "abcdefgi", "abcdefghijklmnopq", "abcdefghijklmno", "abcdefghijklmnoP", `abcdefg\u0068`, "b")
	var paths []string
	for _, n := range names {
		paths = append(paths, n, "b."+n, n+".abcdefghi")
	}
	r := rand.New(rand.NewPCG(5, 8))
	for range 3000 {
		doc := randDoc(r, 4)
		checkAgainstOracle(t, doc, paths)
		checkAgainstOracle(t, mutate(r, doc), paths)
	}
}
