package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/bench/gen"
	"github.com/vigil-project/vigil/internal/match"
)

func TestRawFilter(t *testing.T) {
	lits := func(l ...string) func(match.Origin) match.Prefilter {
		return func(match.Origin) match.Prefilter { return match.Prefilter{Literals: l} }
	}
	never := func(match.Origin) match.Prefilter { return match.Prefilter{Never: true} }
	unknown := func(match.Origin) match.Prefilter { return match.Prefilter{} }
	rules := []*Rule{
		{Index: []string{"logs-azure*"}, Prefilter: lits("microsoft.compute/x/action")},
		{Index: []string{"logs-azure*"}, Prefilter: never},
		{Index: []string{"logs-endpoint*"}, Prefilter: unknown}, // does not see the index
	}
	f := NewRawFilter(rules, "logs-azure.activitylogs-default", nil)
	if f.All() || f.Literals() != 1 {
		t.Fatalf("all %v, %d literals", f.All(), f.Literals())
	}
	var scratch RawScratch
	for raw, want := range map[string]bool{
		`{"operationName":"MICROSOFT.COMPUTE/X/ACTION"}`:           true,
		`{"operationName":{"value":"Microsoft.Compute/x/action"}}`: true,
		`{"operationName":"MICROSOFT.COMPUTE/Y/ACTION"}`:           false,
		`{"operationName":"MICROSOFT.COMPUTE\/X\/ACTION"}`:         true, // escapes spell anything
		`{"operationName":"MICROSOFT.COMPUTE/\u0058/ACTION"}`:      true,
		"{\"operationName\":\"microsoft.compute/x/act\u0131on\"}":  true, // ı upper-cases to I
	} {
		if got := f.Pass([]byte(raw), &scratch); got != want {
			t.Errorf("Pass(%s) = %v, want %v", raw, got, want)
		}
	}
	// Every operand of a query's AND is necessary: a record must hold a
	// literal of each group.
	and := func(match.Origin) match.Prefilter {
		return match.Prefilter{Literals: []string{"runcommand/action"}, And: [][]string{{"success", "failed"}}}
	}
	g := NewRawFilter([]*Rule{{Prefilter: and}, {Prefilter: and}}, "", nil)
	if g.Literals() != 3 || len(g.rules) != 1 {
		t.Errorf("%d literals, %d conditions: want 3 and 1 (the same rule's twice)", g.Literals(), len(g.rules))
	}
	for raw, want := range map[string]bool{
		`{"operationName":"X/RUNCOMMAND/ACTION","resultType":"Success"}`: true,
		`{"operationName":"X/RUNCOMMAND/ACTION","resultType":"Failed"}`:  true,
		`{"operationName":"X/RUNCOMMAND/ACTION","resultType":"Start"}`:   false,
		`{"operationName":"X/RUNCOMMANDS/WRITE","resultType":"Success"}`: false,
	} {
		if got := g.Pass([]byte(raw), &scratch); got != want {
			t.Errorf("Pass(%s) = %v, want %v", raw, got, want)
		}
	}
	rules = append(rules, &Rule{Prefilter: unknown}) // default patterns select logs-*
	if f := NewRawFilter(rules, "logs-azure.activitylogs-default", nil); !f.All() {
		t.Error("a rule without a condition must let every record through")
	}
	if f := NewRawFilter([]*Rule{{AllIndices: true}}, "logs-azure.activitylogs-default", nil); !f.All() {
		t.Error("a rule without a prefilter must let every record through")
	}
}

func TestAppendLower(t *testing.T) {
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	for _, in := range [][]byte{nil, []byte("AbZ@[`az{"), all, []byte("MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION \xc3\x89\xff")} {
		for off := 0; off < 9 && off <= len(in); off++ {
			got, high := appendLower([]byte("X"), in[off:])
			want, wantHigh := []byte("X"), false
			for _, c := range in[off:] {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				wantHigh = wantHigh || c >= 0x80
				want = append(want, c)
			}
			if !bytes.Equal(got, want) || high != wantHigh {
				t.Fatalf("appendLower(%q) = %q, %v; want %q, %v", in[off:], got, high, want, wantHigh)
			}
		}
	}
}

// Literals are found by their first four bytes, searched for when few
// heads are shared (the Azure rules' "microsoft."), by a bitmap pass when
// many: the verdicts are those of searching for each.
func TestRawFilterManyLiterals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lit   func(i int) string // the i-th rule's operation, lower case
		heads func(n int) bool   // the search the set must use
	}{
		{"shared heads", func(i int) string { return fmt.Sprintf("microsoft.x%02d/write", i) }, func(n int) bool { return n <= fewHeads }},
		{"many heads", func(i int) string { return fmt.Sprintf("%02dx.microsoft/write", i) }, func(n int) bool { return n > fewHeads }},
	} {
		var rules []*Rule
		for i := range 40 {
			lit := tc.lit(i)
			if i%7 == 0 {
				lit = fmt.Sprintf("q%d", i) // shorter than a head
			}
			rules = append(rules, &Rule{Prefilter: func(match.Origin) match.Prefilter {
				return match.Prefilter{Literals: []string{lit}, And: [][]string{{"success", "succeeded"}}}
			}})
		}
		f := NewRawFilter(rules, "", nil)
		if !tc.heads(len(f.heads.order)) {
			t.Fatalf("%s: %d heads", tc.name, len(f.heads.order))
		}
		up := func(i int) string { return strings.ToUpper(tc.lit(i)) }
		var scratch RawScratch
		for raw, want := range map[string]bool{
			`{"operationName":"` + up(39) + `","resultType":"Success"}`:                    true,
			`{"operationName":"` + up(39) + `","resultType":"Start"}`:                      false,
			`{"operationName":"` + up(40) + `","resultType":"Success"}`:                    false,
			`{"operationName":"Q14","status":"Succeeded"}`:                                 true,
			`{"operationName":"` + up(3)[:len(up(3))-1] + `","resultType":"Succeeded"}`:    false,
			`{"a":"` + tc.lit(1)[:len(tc.lit(1))-1] + " " + tc.lit(2) + `","b":"success"}`: true,
			`{"a":"success"}`:  false,
			`{"a":"Micro"}`:    false,
			`{"succ":"ess"}`:   false,
			`{"q7":"success"}`: true,
		} {
			if got := f.Pass([]byte(raw), &scratch); got != want {
				t.Errorf("%s: Pass(%s) = %v, want %v", tc.name, raw, got, want)
			}
		}
	}
}

// A line filter passes a line when some rule could match it as an ECS
// document or once a normalizer made it one: the union of the shapes'
// conditions.
func TestLineFilter(t *testing.T) {
	// A rule on the activity logs: in ECS its event.dataset is in the
	// text; the normalizer writes it as a constant, so on raw records only
	// the operation is searched for.
	q := func(o match.Origin) match.Prefilter {
		lits := [][]string{{"microsoft.compute/x/action"}}
		if kind, _ := o("event.dataset"); kind == match.Copied {
			lits = append(lits, []string{"azure.activitylogs"})
		}
		return match.Prefilter{Literals: lits[0], And: lits[1:]}
	}
	raw := func(field string) (match.OriginKind, string) {
		if field == "event.dataset" {
			return match.Constant, "azure.activitylogs"
		}
		return match.Copied, ""
	}
	rules := []*Rule{{Prefilter: q}}
	f := NewLineFilter(rules, Shape{Index: "logs-azure.activitylogs-default", Origin: raw}, Shape{Origin: ECSOrigin(nil)})
	if f.All() {
		t.Fatal("the filter passes everything")
	}
	var scratch RawScratch
	for line, want := range map[string]bool{
		`{"operationName":"MICROSOFT.COMPUTE/X/ACTION"}`:                                        true, // raw
		`{"event":{"dataset":"azure.activitylogs","action":"MICROSOFT.COMPUTE/X/ACTION"}}`:      true, // ECS
		`{"event":{"dataset":"azure.activitylogs","action":"MICROSOFT.COMPUTE/Y/ACTION"}}`:      false,
		`{"event":{"dataset":"azure.activitylogs"},"path":"C:\\users\\x"}`:                      false, // \\u is no escape
		`{"event":{"dataset":"azure.activitylogs"},"path":"C:\\\u0075sers"}`:                    true,  // \\\u is one
		`{"event":{"dataset":"azure.activitylogs"},"action":"MICROSOFT.COMPUTE\/X\/ACTION"}`:    true,
		"{\"event\":{\"dataset\":\"azure.activitylogs\",\"action\":\"\u212a\"}}":                true, // Kelvin folds to k
		`{"event":{"dataset":"azure.activitylogs","action":"MICROSOFT.COMPUTE/X/ACTION"}` + `\`: true,
		`{}`:  false,
		`{\}`: false, // a lone backslash at the end: nothing follows it
	} {
		if got := f.Pass([]byte(line), &scratch); got != want {
			t.Errorf("Pass(%s) = %v, want %v", line, got, want)
		}
	}
	// Derived fields (GeoIP on ECS documents) give no literal: a rule on
	// one must see every line.
	geo := &Rule{Prefilter: func(o match.Origin) match.Prefilter {
		if kind, _ := o("source.geo.country_iso_code"); kind == match.Copied {
			return match.Prefilter{Literals: []string{"nz"}}
		}
		return match.Prefilter{}
	}}
	if f := NewLineFilter([]*Rule{geo}, Shape{Origin: ECSOrigin(nil)}); f.All() {
		t.Error("a copied field's literal was not used")
	}
	derived := func(field string) bool { return strings.HasPrefix(field, "source.geo.") }
	if f := NewLineFilter([]*Rule{geo}, Shape{Origin: ECSOrigin(derived)}); !f.All() {
		t.Error("a derived field gave a literal")
	}
}

// The search of few literals, one at a time by their rarest byte, finds
// what the search of many by their heads finds.
func TestRawFilterLazyMatchesHeads(t *testing.T) {
	words := []string{"process", "start", "cmd.exe", "whoami", "azure.signinlogs", "success", "x", "q9", "/tmp/", "ab"}
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		var rules []*Rule
		for range 1 + r.IntN(4) {
			var groups [][]string
			for range 1 + r.IntN(3) {
				var g []string
				for range 1 + r.IntN(2) {
					g = append(g, words[r.IntN(len(words))])
				}
				groups = append(groups, g)
			}
			rules = append(rules, &Rule{Prefilter: func(match.Origin) match.Prefilter {
				return match.Prefilter{Literals: groups[0], And: groups[1:]}
			}})
		}
		f := NewRawFilter(rules, "", nil)
		var text []byte
		for range r.IntN(12) {
			w := words[r.IntN(len(words))]
			if r.IntN(3) == 0 {
				w = strings.ToUpper(w)
			}
			text = append(text, w[:1+r.IntN(len(w))]...)
			text = append(text, " :\""[r.IntN(3)])
		}
		var s RawScratch
		lazy := f.Pass(text, &s)
		low, _ := appendLower(nil, text)
		found := make([]bool, len(f.lits))
		f.heads.find(low, f.lits, found)
		want := false
		for _, cond := range f.rules {
			ok := true
			for _, g := range cond {
				ok = ok && slices.ContainsFunc(g, func(id int32) bool { return found[id] })
			}
			want = want || ok
		}
		if lazy != want {
			t.Fatalf("case %d: %q: lazy search %v, search by heads %v (rules %v, literals %q)", n, text, lazy, want, f.rules, f.lits)
		}
	}
}

// TestTuneKeepsVerdicts checks that choosing the anchors from a sample
// changes how literals are searched for, never what Pass answers.
func TestTuneKeepsVerdicts(t *testing.T) {
	lits := func(l ...string) func(match.Origin) match.Prefilter {
		return func(match.Origin) match.Prefilter { return match.Prefilter{Literals: l} }
	}
	rules := []*Rule{
		{Prefilter: lits("microsoft.compute/virtualmachines/runcommand/action")},
		{Prefilter: lits("gdb", "hvv")},
	}
	static := NewLineFilter(rules, Shape{Origin: ECSOrigin(nil)})
	tuned := NewLineFilter(rules, Shape{Origin: ECSOrigin(nil)})
	// A sample where the static ranking's choices are common.
	tuned.Tune([]byte(strings.Repeat(`{"event":"vvvv gggg VVVV"}`+"\n", 100)))
	if slices.Equal(static.anchors, tuned.anchors) {
		t.Fatalf("Tune kept the anchors %v", static.anchors)
	}
	words := []string{"microsoft.compute/", "virtualMachines/", "RUNCOMMAND/", "action", "Action", "gdb", "GDB", "gd", "hvv", "HvV", "vv", "event", `"`, " "}
	r := rand.New(rand.NewPCG(1, 2))
	var s1, s2 RawScratch
	hits := 0
	for range 20000 {
		var b strings.Builder
		b.WriteString(`{"x":"`)
		for range r.IntN(12) {
			b.WriteString(words[r.IntN(len(words))])
		}
		b.WriteString(`"}`)
		line := []byte(b.String())
		want := static.Pass(line, &s1)
		if got := tuned.Pass(line, &s2); got != want {
			t.Fatalf("tuned Pass(%s) = %v, static %v", line, got, want)
		}
		if want {
			hits++
		}
	}
	if hits == 0 {
		t.Fatal("no line passed: the test proves nothing")
	}
}

// TestPlainScan checks PlainScan against a direct look at each piece, the
// pieces asked for in order (a block's lines) and, now and then, going
// back.
func TestPlainScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("abu/u/\n{}\"\\\\\\\xc4\xc5\xe2\xc3")
	for range 500 {
		text := make([]byte, r.IntN(200))
		for i := range text {
			if r.IntN(8) == 0 {
				text[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				text[i] = 'x'
			}
		}
		var p PlainScan
		p.Reset(text)
		from := 0
		for range 20 {
			if r.IntN(5) == 0 {
				from = r.IntN(len(text) + 1) // back or forth
			}
			to := min(from+r.IntN(40), len(text))
			piece := text[from:to]
			want := !spells(piece) && !slices.ContainsFunc(piece, func(c byte) bool { return bytes.IndexByte(plainBytes[1:], c) >= 0 })
			got := p.Plain(from, to)
			if got && !want {
				t.Fatalf("Plain(%d, %d) of %q: plain, but %q is not", from, to, text, piece)
			}
			// Next to a backslash (which no line or JSON value starts
			// or, but for a broken one, ends with) it may say no.
			edge := (from > 0 && text[from-1] == '\\') || (to > 0 && text[to-1] == '\\')
			if got != want && !edge {
				t.Fatalf("Plain(%d, %d) of %q = %v, want %v", from, to, text, got, want)
			}
			from = to
		}
		if p.Plain(0, len(text)+1) || p.Plain(-1, 0) {
			t.Fatal("a piece outside the text is plain")
		}
	}
}

func TestPlainScanWithin(t *testing.T) {
	text := []byte(`{"a":1}` + "\n" + `{"b":2}`)
	var p PlainScan
	p.Reset(text)
	if from, ok := p.Within(text[8:]); !ok || from != 8 {
		t.Errorf("Within(line 2) = %d, %v", from, ok)
	}
	if from, ok := p.Within(text[1:4]); !ok || from != 1 {
		t.Errorf("Within(a key) = %d, %v", from, ok)
	}
	if _, ok := p.Within(bytes.Clone(text[8:])); ok {
		t.Error("a copy is within the text")
	}
	if _, ok := p.Within(nil); ok {
		t.Error("nil is within the text")
	}
}

// TestPassPlainKeepsVerdicts checks that PassPlain answers as Pass on every
// text PlainScan calls plain, with few literals and with many.
func TestPassPlainKeepsVerdicts(t *testing.T) {
	lits := func(l ...string) func(match.Origin) match.Prefilter {
		return func(match.Origin) match.Prefilter { return match.Prefilter{Literals: l} }
	}
	few := []*Rule{{Prefilter: lits("microsoft.compute/x/action")}, {Prefilter: lits("gdb", "kill")}}
	many := slices.Clone(few)
	for i := range 40 {
		many = append(many, &Rule{Prefilter: lits(fmt.Sprintf("word%d", i))})
	}
	words := []string{"microsoft.compute/", "X/", "action", "gdb", "GDB", "kiLL", "\u0131", "\u212a", "é", `\/`, `\u0041`, "word1", "WORD39", " ", `C:\\users`, `\"`}
	r := rand.New(rand.NewPCG(5, 6))
	for _, rules := range [][]*Rule{few, many} {
		f := NewLineFilter(rules, Shape{Origin: ECSOrigin(nil)})
		var s1, s2 RawScratch
		plain, hits := 0, 0
		for range 5000 {
			var b strings.Builder
			b.WriteString(`{"x":"`)
			for range r.IntN(8) {
				b.WriteString(words[r.IntN(len(words))])
			}
			b.WriteString(`"}`)
			line := []byte(b.String())
			var p PlainScan
			p.Reset(line)
			want := f.Pass(line, &s1)
			if !p.Plain(0, len(line)) {
				if !want {
					t.Fatalf("Pass(%s) = false on a text that is not plain", line)
				}
				continue
			}
			plain++
			if want {
				hits++
			}
			if got := f.PassPlain(line, &s2); got != want {
				t.Fatalf("PassPlain(%s) = %v, Pass %v", line, got, want)
			}
		}
		if plain == 0 || hits == 0 {
			t.Fatalf("%d plain lines, %d passed: the test proves nothing", plain, hits)
		}
	}
}

// TestLitProbe checks the probe against a search of each of its
// literals, one or several of different lengths, on texts made of pieces
// of them, in both cases, cut and shifted, so that occurrences fall at
// every offset from the probes.
func TestLitProbe(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var many []string // enough entries for a thousand buckets and more
	for i := range 600 {
		many = append(many, fmt.Sprintf("microsoft.x%03d/vaults/write", i))
	}
	for _, lits := range [][]string{
		many,
		{"microsoft.compute/virtualmachines/runcommand/action"}, {"aaaaaaaaaaaaaaaaab"}, {"abcabcabcabcabcabcabd"}, {"0123456789abcdef"},
		{"microsoft.keyvault/vaults/", "microsoft.storage/storageaccounts/write", "runcommand", "abcabcab"},
		{"ab"}, {"abc", "de"}, {"a_b[", "x@y"}, {"_[@^"},
	} {
		var bs [][]byte
		for _, l := range lits {
			bs = append(bs, []byte(l))
		}
		p := newLitProbe(bs...)
		found := 0
		for range 3000 {
			var b strings.Builder
			for range r.IntN(6) {
				lit := lits[r.IntN(len(lits))]
				piece := lit[r.IntN(len(lit)):]
				if r.IntN(3) == 0 {
					piece = lit
				}
				piece = piece[:r.IntN(len(piece)+1)]
				switch r.IntN(3) {
				case 0:
					piece = strings.ToUpper(piece)
				case 1: // each letter in either case: the probe's pairs in all four
					bs := []byte(piece)
					for k := range bs {
						if c := bs[k]; 'a' <= c && c <= 'z' && r.IntN(2) == 0 {
							bs[k] = c - 'a' + 'A'
						}
					}
					piece = string(bs)
				}
				b.WriteString(strings.Repeat("x", r.IntN(20)))
				b.WriteString(piece)
			}
			text := []byte(b.String())
			want := slices.ContainsFunc(bs, func(l []byte) bool { return ContainsFold(text, l) })
			if got := p.find(text); got != want {
				t.Fatalf("probe of %q in %q = %v, want %v", lits, text, got, want)
			}
			if want {
				found++
			}
		}
		if found == 0 {
			t.Fatalf("%q: never found: the test proves nothing", lits)
		}
	}
}

// TestTuneProbes checks that Tune probes the seed rule's operation name on
// the benchmark's lines (its bytes are all common there) and not a short
// literal, and that the verdicts stay those of the static filter.
func TestTuneProbes(t *testing.T) {
	var data bytes.Buffer
	if _, err := gen.Write(&data, gen.Options{Events: 2000}); err != nil {
		t.Fatal(err)
	}
	lits := func(l ...string) func(match.Origin) match.Prefilter {
		return func(match.Origin) match.Prefilter { return match.Prefilter{Literals: l} }
	}
	rules := []*Rule{{Prefilter: lits("microsoft.compute/virtualmachines/runcommand/action")}, {Prefilter: lits("succe")}}
	static := NewLineFilter(rules, Shape{Origin: ECSOrigin(nil)})
	tuned := NewLineFilter(rules, Shape{Origin: ECSOrigin(nil)})
	tuned.Tune(data.Bytes())
	if tuned.probes == nil || tuned.probes[0] == nil || tuned.probes[1] != nil {
		t.Fatalf("probes %v: want the operation name's only", tuned.probes)
	}
	var s1, s2 RawScratch
	hits := 0
	for l := range bytes.SplitSeq(data.Bytes(), []byte{'\n'}) {
		want := static.Pass(l, &s1)
		if got := tuned.Pass(l, &s2); got != want {
			t.Fatalf("tuned Pass(%s) = %v, static %v", l, got, want)
		}
		if want {
			hits++
		}
	}
	if hits == 0 {
		t.Fatal("no line passed")
	}
}

// TestFirstProbeKeepsVerdicts checks that the probe of each rule's
// longest group (RawFilter.first) changes no verdict of the search of
// every literal, on texts made of the literals' pieces.
func TestFirstProbeKeepsVerdicts(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	var rules []*Rule
	var words []string
	for i := range 24 {
		op := fmt.Sprintf("microsoft.x%02d/vaults/write", i)
		and := []string{"success", "succeeded"}
		if i%5 == 0 {
			and = []string{fmt.Sprintf("category-%d", i)} // the longer group
			op = fmt.Sprintf("op%d", i)
		}
		words = append(words, op)
		words = append(words, and...)
		rules = append(rules, &Rule{Prefilter: func(match.Origin) match.Prefilter {
			return match.Prefilter{Literals: []string{op}, And: [][]string{and}}
		}})
	}
	f := NewRawFilter(rules, "", nil)
	if f.first == nil {
		t.Fatal("no first probe: the test proves nothing")
	}
	whole := *f
	whole.first = nil
	var scratch RawScratch
	passed := 0
	for range 5000 {
		var b strings.Builder
		b.WriteString(`{"a":"`)
		for range r.IntN(5) {
			w := words[r.IntN(len(words))]
			if r.IntN(3) == 0 {
				w = w[:r.IntN(len(w)+1)]
			}
			if r.IntN(2) == 0 {
				w = strings.ToUpper(w)
			}
			b.WriteString(w + strings.Repeat(" ", r.IntN(3)))
		}
		b.WriteString(`"}`)
		text := []byte(b.String())
		got, want := f.Pass(text, &scratch), whole.Pass(text, &scratch)
		if got != want {
			t.Fatalf("Pass(%s) = %v with the first probe, %v without", text, got, want)
		}
		if got {
			passed++
		}
	}
	if passed == 0 {
		t.Fatal("no text passed: the test proves nothing")
	}
}

// TestEqualFoldMask checks the eight-bytes-at-a-time comparison against
// equalFold on literals and texts of every length up to 40 that differ in
// case, in one byte, or in a byte's bit 5 where no letter is.
func TestEqualFoldMask(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	alphabet := []byte("abcxyzABCXYZ019_[]{}@`^~./:-\"\\ \x80\xc4\xe2")
	for range 20000 {
		lit := make([]byte, r.IntN(41))
		for i := range lit {
			lit[i] = lowerASCII[alphabet[r.IntN(len(alphabet))]]
		}
		text := slices.Clone(lit)
		for i := range text {
			switch r.IntN(6) {
			case 0:
				text[i] ^= 0x20
			case 1:
				if 'a' <= text[i] && text[i] <= 'z' {
					text[i] -= 'a' - 'A'
				}
			}
		}
		if len(text) > 0 && r.IntN(3) == 0 {
			text[r.IntN(len(text))] = alphabet[r.IntN(len(alphabet))]
		}
		if got, want := equalFoldMask(text, lit, foldMask(lit)), equalFold(text, lit); got != want {
			t.Fatalf("equalFoldMask(%q, %q) = %v, equalFold says %v", text, lit, got, want)
		}
	}
}

// TestIndexHigh checks indexHigh and indexHighWords (other machines') on
// texts of every length up to 200 with one byte outside ASCII at every
// place, or none.
func TestIndexHigh(t *testing.T) {
	for _, indexHigh := range append(highKernels(), indexHigh, indexHighWords) {
		testIndexHigh(t, indexHigh)
	}
}

func testIndexHigh(t *testing.T, indexHigh func([]byte) int) {
	for n := 0; n <= 200; n++ {
		b := bytes.Repeat([]byte{'a'}, n)
		if got := indexHigh(b); got != n {
			t.Fatalf("indexHigh of %d ASCII bytes = %d", n, got)
		}
		for at := 0; at < n; at++ {
			for _, c := range []byte{0x80, 0xc4, 0xff} {
				b[at] = c
				if n-at > 1 {
					b[n-1] = 0xe2 // a later one must not win
				}
				if got := indexHigh(b[:n]); got != at {
					t.Fatalf("indexHigh with %#x at %d of %d = %d", c, at, n, got)
				}
				b[at], b[n-1] = 'a', 'a'
			}
		}
	}
}

// TestMustLiteral checks which literal every condition needs, and that
// searching for it first changes no verdict.
func TestMustLiteral(t *testing.T) {
	lits := [][]byte{[]byte("op/run"), []byte("succe"), []byte("azure.activitylogs"), []byte("longer-op/run")}
	for _, c := range []struct {
		conds [][][]int32
		want  int32
	}{
		{[][][]int32{{{0}, {1}}, {{0}, {2}, {1, 1}}}, 0},
		{[][][]int32{{{0}, {3}}, {{3}, {0}}}, 3}, // both needed: the longer
		{[][][]int32{{{0, 3}}, {{0}}}, -1},       // a group of two is not a need
		{[][][]int32{{{0}}, {{1}}}, -1},
		{nil, -1},
	} {
		if got := mustLiteral(lits, c.conds); got != c.want {
			t.Errorf("mustLiteral(%v) = %d, want %d", c.conds, got, c.want)
		}
	}
	r := rand.New(rand.NewPCG(51, 52))
	lit := func(l ...string) func(match.Origin) match.Prefilter {
		return func(match.Origin) match.Prefilter { return match.Prefilter{Literals: l[:1], And: [][]string{l[1:]}} }
	}
	rules := []*Rule{{Prefilter: lit("microsoft.compute/virtualmachines/runcommand/action", "succe")},
		{Prefilter: lit("microsoft.compute/virtualmachines/runcommand/action", "azure.activitylogs", "success")}}
	with := NewLineFilter(rules, Shape{Origin: ECSOrigin(nil)})
	if with.must < 0 {
		t.Fatal("no literal every rule needs: the test proves nothing")
	}
	without := NewLineFilter(rules, Shape{Origin: ECSOrigin(nil)})
	without.must = -1
	words := []string{"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION", "microsoft.compute/virtualmachines/write", "Success", "succeeded", "azure.activitylogs", `\u0041`, "ſ", "x"}
	passed := 0
	var s1, s2 RawScratch
	for range 5000 {
		var b strings.Builder
		for range r.IntN(5) {
			b.WriteString(words[r.IntN(len(words))] + " ")
		}
		text := []byte(b.String())
		for _, plain := range []bool{true, false} {
			if plain && (bytes.IndexByte(text, '\\') >= 0 || foldsToASCII(text)) {
				continue // PassPlain is for plain texts only
			}
			got, want := with.pass(text, &s1, plain), without.pass(text, &s2, plain)
			if got != want {
				t.Fatalf("pass(%q, plain %v) = %v with the literal every rule needs first, %v without", text, plain, got, want)
			}
			if got {
				passed++
			}
		}
	}
	if passed == 0 {
		t.Fatal("no text passed: the test proves nothing")
	}
}
