package engine

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

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
			got := appendLower([]byte("X"), in[off:])
			want := []byte("X")
			for _, c := range in[off:] {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				want = append(want, c)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("appendLower(%q) = %q, want %q", in[off:], got, want)
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
