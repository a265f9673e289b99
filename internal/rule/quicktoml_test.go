package rule

import (
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	tomlv2 "github.com/pelletier/go-toml/v2"

	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

func decodeText(s string) decodedFile { return decode([]byte(s), s) }

// v2Decode is decode's path before quickDecode: go-toml/v2, normalized.
func v2Decode(text string) (map[string]any, error) {
	var doc map[string]any
	if err := tomlv2.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	normalizeTOML(doc)
	return doc, nil
}

// checkQuick fails when quickDecode accepts text that go-toml/v2 refuses
// or decodes otherwise.
func checkQuick(t *testing.T, name, text string) bool {
	t.Helper()
	got, ok := quickDecode(text)
	if !ok {
		return false
	}
	want, err := v2Decode(text)
	if err != nil {
		t.Errorf("%s: quickDecode accepts what go-toml/v2 refuses: %v", name, err)
		return true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: documents differ (-go-toml/v2 +quickDecode):\n%s", name, diff)
	}
	return true
}

// TestQuickDecodeCorpus: quickDecode decodes (nearly) every file of
// Elastic's corpus, of the fixtures and of the built-in pack as go-toml/v2
// does; the files it leaves to go-toml/v2 are few.
func TestQuickDecodeCorpus(t *testing.T) {
	_, corpus := sharedtestdata.Find("detection-rules")
	var n, quick int
	var left []string
	eachRuleFile(t, []string{"testdata", "../../rules"}, func(p string, data []byte) {
		n++
		if checkQuick(t, p, string(data)) {
			quick++
		} else if !strings.HasPrefix(p, "testdata") {
			left = append(left, p)
		}
	})
	t.Logf("%d files, %d decoded by quickDecode; left to go-toml/v2: %v", n, quick, left)
	if corpus && len(left) > 10 {
		t.Errorf("quickDecode left %d of the corpus's files to go-toml/v2, want at most 10: %v", len(left), left)
	}
}

// TestQuickDecode: what quickDecode decodes itself (as go-toml/v2 does)
// and what it leaves to go-toml/v2 and BurntSushi/toml.
func TestQuickDecode(t *testing.T) {
	decodes := []string{
		"a = 1\n",
		"a = -0\nb = +12\nc = 9223372036854775807\nd = -9223372036854775808\n",
		"a = true\nb = false # c\n",
		"# only a comment\n\n\t a = 'x' \n",
		`a = "x\ty\u00e9\U0001F600\"\\\b\f\n\r"` + "\n",
		"a = ''\nb = \"\"\n",
		"a = \"\"\"\nx\"y\"\"z\"\"\"\nb = '''\nq'r''s'''\n",
		"a = \"\"\"x\"\"\"\"\"\nb = '''y'''''\nc = \"\"\"\"\"\"\n",
		"a = \"\"\"one \\\n   two \\   \n\n  three\\n\"\"\"\n",
		"a = \"\"\"\\\"\"\"\"\n",
		"a = [1, 'x', [true], {b = 2}]\nb = []\nc = [\n  # c\n  1,\n  2, # d\n]\n",
		"a = [{b = 1}, {c = [{d = 2}]}]\nb = {}\nc = { d = { e = 'f' } , g = \"h\" }\n",
		"[rule]\nname = 'x'\n[[rule.threat]]\nframework = 'M'\n[rule.threat.tactic]\nid = 'T'\n" +
			"[[rule.threat.technique]]\nid = 'T1'\n[[rule.threat.technique.subtechnique]]\nid = 'T1.1'\n" +
			"[[rule.threat]]\n[rule.threat.tactic]\nid = 'U'\n",
		"[a.b]\nx = 1\n[a]\ny = 2\n",
		"[ a . \"b.c\" . 'd' ]\nx = 1\n",
		"a.b.c = 1\na.b.d = 2\na . e = 3\n[t]\nx.y = 1\n",
		"  [indented]\n  x = 1\n[[ x ]]\n[[x]]\n",
		"a = \"é\"\n",
	}
	for _, s := range decodes {
		if !checkQuick(t, s, s) {
			t.Errorf("quickDecode leaves %q to go-toml/v2", s)
		}
	}
	leaves := []string{
		"",
		"# nothing\n",
		"a = 1\r\n",
		"a = 1.5\n", "a = 1e3\n", "a = inf\n", "a = nan\n", "a = 1_000\n", "a = 0x10\n", "a = 012\n",
		"a = 9223372036854775808\n", "a = 2026-01-02\n", "a = 03:04:05\n", "a = -\n",
		"a = 1\na = 2\n",
		"[a]\n[a]\n",
		"[a]\nb = 1\n[a.b]\n",
		"a = {}\n[a]\n",
		"a = [{}]\n[[a]]\n",
		"[[a]]\n[a]\n",
		"[a]\n[[a]]\n",
		"a.b = 1\n[a]\n",
		"a.b = 1\n[a.b]\n",
		"[t]\na.b = 1\n[u]\n[t.a.c]\n",
		"[a.b]\n[a]\nb.c = 1\n",
		"a = {b = 1,}\n",
		"a = {b = 1\n}\n",
		"a = {b.c = 1}\n",
		"a = {b = 1, b = 2}\n",
		`a = "\e"` + "\n", `a = "\x41"` + "\n", `a = "\uD800"` + "\n", `a = "\u12"` + "\n", `a = "\q"` + "\n",
		"a = \"x\ny\"\n", "a = 'x\ny'\n",
		"a = \"\"\"x\"\"\"\"\"\"\n",
		"a = \"x\x01\"\n", "a = 'x\x7f'\n", "# \x00\na = 1\n",
		"a = \"\xff\"\n",
		"a = 1 b = 2\n", "a = [1 2]\n", "a = [1,,2]\n", "a = [,]\n", "a = \n", "= 1\n", "\"\" = 1\n",
		"[a\n", "[[a]\n", "[a]]\n", "[a] x\n", "[]\n", "[a.]\n",
		"a = '''x\n", "a = \"\"\"x\n", "a = \"x\n", "a = [\n", "a = {\n",
		strings.Repeat("a = [", 40) + strings.Repeat("]", 40) + "\n",
	}
	for _, s := range leaves {
		if doc, ok := quickDecode(s); ok {
			t.Errorf("quickDecode decodes %q (%v): want it left to go-toml/v2", s, doc)
		}
	}
}

// TestQuickDecodeShares: strings without escapes are slices of the text.
func TestQuickDecodeShares(t *testing.T) {
	text := "a = 'xyz'\nb = \"\"\"\nuvw\"\"\"\n"
	doc, ok := quickDecode(text)
	if !ok {
		t.Fatal("not decoded")
	}
	for _, k := range []string{"a", "b"} {
		s := doc[k].(string)
		p, base := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(text)))
		if s == "" || p < base || p+uintptr(len(s)) > base+uintptr(len(text)) {
			t.Errorf("%s: %q is a copy", k, s)
		}
	}
}

// FuzzQuickDecode: whatever quickDecode accepts, go-toml/v2 accepts and
// decodes the same.
func FuzzQuickDecode(f *testing.F) {
	for _, b := range fuzzSeeds() {
		f.Add(string(b))
	}
	f.Add("a = [{b = 1}, {c = 2}]\n[[t]]\nx = 'y'\n[t.u]\nv.w = \"\"\"\\\n z\\u00e9\"\"\"\n")
	f.Add("a.b = 1\n[c]\nd = {e = [1, [2]], f = ''}\n")
	f.Fuzz(func(t *testing.T, text string) {
		checkQuick(t, "fuzz", text)
	})
}

// TestQuickText: the word-at-a-time check says what a byte-at-a-time one
// does, for every byte at every place of a word and across words.
func TestQuickText(t *testing.T) {
	naive := func(s string) bool {
		if !utf8.ValidString(s) {
			return false
		}
		for _, r := range s {
			if (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f {
				return false
			}
		}
		return true
	}
	base := []byte("abcdefghijklmnopqrstuvwxyz0123")
	for c := 0; c < 256; c++ {
		for i := range base {
			b := append([]byte(nil), base...)
			b[i] = byte(c)
			for _, s := range []string{string(b), string(b[:i+1]), string(b) + "é", "é" + string(b)} {
				if got, want := quickText(s), naive(s); got != want {
					t.Fatalf("quickText(%q) = %v, want %v", s, got, want)
				}
			}
		}
	}
}
