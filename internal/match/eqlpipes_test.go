package match

import (
	"testing"

	"github.com/vigil-project/vigil/internal/eql"
)

func TestApplyLimits(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		ls       []Limit
		size     int
		tail     bool
		from, to int
	}{
		{"no pipe, tail", 10, nil, 3, true, 7, 10},
		{"no pipe, head", 10, nil, 3, false, 0, 3},
		{"fewer than size", 2, nil, 3, true, 0, 2},
		{"head pipe ignores a tail position", 10, []Limit{{N: 5}}, 3, true, 0, 3},
		{"tail pipe under size", 10, []Limit{{N: 5, Tail: true}}, 3, false, 7, 10},
		{"tail then head", 10, []Limit{{N: 3, Tail: true}, {N: 1}}, 10, false, 7, 8},
		{"size beneath tail then head", 10, []Limit{{N: 3, Tail: true}, {N: 1}}, 2, false, 8, 9},
		{"head 0", 10, []Limit{{N: 0}}, 10, false, 0, 0},
		{"head then tail", 10, []Limit{{N: 4}, {N: 2, Tail: true}}, 10, false, 2, 4},
	}
	for _, tt := range tests {
		from, to := ApplyLimits(tt.n, tt.ls, tt.size, tt.tail)
		if from != tt.from || to != tt.to {
			t.Errorf("%s: [%d, %d), want [%d, %d)", tt.name, from, to, tt.from, tt.to)
		}
	}
}

func TestEQLLimits(t *testing.T) {
	for q, want := range map[string]string{
		"any where true | head 2 | tail 1": "",
		"any where true | sort x":          "1:18: pipe sort is not supported (Elasticsearch runs head and tail)",
		"any where true | head":            "1:18: pipe head takes one non-negative integer",
		"any where true | tail 1, 2":       "1:18: pipe tail takes one non-negative integer",
	} {
		st, err := eql.Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		_, err = EQLLimits(st)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: error %q, want %q", q, got, want)
		}
	}
	st, _ := eql.Parse("any where true | tail 3 | head 1")
	ls, _ := EQLLimits(st)
	if len(ls) != 2 || ls[0] != (Limit{N: 3, Tail: true}) || ls[1] != (Limit{N: 1}) {
		t.Errorf("limits %+v", ls)
	}
}
