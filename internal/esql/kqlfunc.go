package esql

import (
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
)

// matchFunc compiles KQL("query") and MATCH(field, "text") over Vigil's
// KQL engine: they test the source document, so they may only come before
// any command that holds rows back (STATS, SORT), as in Elasticsearch,
// where they must run on the index.
func (c *compiler) matchFunc(e *Call, sc *scope) (cexpr, error) {
	c.clock = true // date math reads the program's clock when it matches
	if !c.streams {
		return cexpr{}, c.errorf(e.At, "move the condition into a WHERE right after FROM",
			"[%s] can only be used on the documents of FROM, before STATS, SORT, KEEP or LIMIT", e.Name)
	}
	var query string
	lit := func(i int) (string, error) {
		if i >= len(e.Args) {
			return "", c.errorf(e.At, "", "%s needs %d arguments", e.Name, i+1)
		}
		var s string
		l, ok := e.Args[i].(*Literal)
		if ok {
			s, ok = l.Value.(string)
		}
		if !ok {
			return "", c.errorf(e.Args[i].Pos(), "", "argument %d of %s must be a string constant", i+1, e.Name)
		}
		return s, nil
	}
	switch e.Name {
	case "KQL":
		if len(e.Args) != 1 {
			return cexpr{}, c.errorf(e.At, "", "KQL takes one argument, the query")
		}
		q, err := lit(0)
		if err != nil {
			return cexpr{}, err
		}
		query = q
	case "MATCH", "MATCH_PHRASE":
		if len(e.Args) < 2 {
			return cexpr{}, c.errorf(e.At, "", "%s takes a field and the text", e.Name)
		}
		if len(e.Args) > 2 {
			return c.fuzzyMatch(e, sc)
		}
		arg0 := e.Args[0]
		if cast, ok := arg0.(*Cast); ok {
			arg0 = cast.X // MATCH(field::STRING, ...) matches the field
		}
		col, ok := arg0.(*Column)
		if !ok {
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "the first argument of %s must be a field", e.Name)
		}
		var text string
		switch l := e.Args[1].(type) {
		case *Literal:
			text = (&Literal{Value: l.Value}).String()
			if s, ok := l.Value.(string); ok {
				text = s
			}
		default:
			return cexpr{}, c.errorf(e.Args[1].Pos(), "", "the second argument of %s must be a constant", e.Name)
		}
		ref, err := c.resolve(sc, col.Name, col.At)
		if err != nil {
			return cexpr{}, err
		}
		if ref.source == nil {
			return cexpr{}, c.errorf(col.At, "", "%s matches a field of the documents; [%s] is computed by the query", e.Name, col.Name)
		}
		if e.Name == "MATCH_PHRASE" {
			query = kqlField(col.Name) + ":" + strconv.Quote(text)
		} else {
			// MATCH is a match query: any of the analyzed terms (OR).
			var terms []string
			for _, w := range strings.Fields(text) {
				terms = append(terms, strconv.Quote(w))
			}
			if len(terms) == 0 {
				terms = []string{strconv.Quote(text)}
			}
			query = kqlField(col.Name) + ":(" + strings.Join(terms, " or ") + ")"
		}
	default:
		return cexpr{}, c.errorf(e.At, "write KQL(\"field:value\") instead", "%s is not supported", e.Name)
	}
	n, err := kql.Parse(query)
	if err != nil {
		return cexpr{}, c.errorf(e.At, "", "%s query: %v", e.Name, err)
	}
	m, err := match.Compile(n, match.Options{Schema: c.p.schema, Now: c.p.now, Plan: c.p.plan})
	if err != nil {
		return cexpr{}, c.errorf(e.At, "", "%s query: %v", e.Name, err)
	}
	return cexpr{typ: Boolean, text: c.srcText(e), pos: e.At, ev: func(r *Run, _ []any) any {
		if r.doc == nil {
			return false
		}
		return m.Match(r.doc)
	}}, nil
}

func kqlField(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`\():<>"*{} `, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fuzzyMatch is MATCH(field, "text", {"fuzziness": n}) on a keyword field:
// a term query with fuzziness, true when a value is within n edits
// (Damerau-Levenshtein, as Lucene's fuzzy query with transpositions) of the
// text. max_expansions and prefix_length limit which of the index's terms
// Elasticsearch tries; Vigil tests every value (prefix_length is honoured).
func (c *compiler) fuzzyMatch(e *Call, sc *scope) (cexpr, error) {
	opts, ok := e.Args[2].(*MapLit)
	if !ok || len(e.Args) > 3 {
		return cexpr{}, c.errorf(e.Args[2].Pos(), "", "the third argument of %s must be its options {...}", e.Name)
	}
	arg0 := e.Args[0]
	if cast, ok := arg0.(*Cast); ok {
		arg0 = cast.X
	}
	col, ok := arg0.(*Column)
	if !ok {
		return cexpr{}, c.errorf(e.Args[0].Pos(), "", "the first argument of %s must be a field", e.Name)
	}
	var text string
	lit, ok := e.Args[1].(*Literal)
	if ok {
		text, ok = lit.Value.(string)
	}
	if !ok {
		return cexpr{}, c.errorf(e.Args[1].Pos(), "", "the second argument of %s must be a string constant", e.Name)
	}
	ref, err := c.resolve(sc, col.Name, col.At)
	if err != nil {
		return cexpr{}, err
	}
	if ref.typ != Keyword {
		return cexpr{}, c.errorf(e.Args[2].Pos(), "drop the options to match the analyzed terms",
			"%s options are supported on keyword fields only; [%s] is %s", e.Name, col.Name, ref.typ)
	}
	fuzz, prefix := 0, 0
	for i, k := range opts.Keys {
		v := opts.Values[i].(*Literal).Value
		switch k {
		case "fuzziness":
			switch x := v.(type) {
			case int64:
				fuzz = int(min(max(x, 0), 2))
			case string:
				if strings.EqualFold(x, "AUTO") {
					fuzz = -1
				} else if n, err := strconv.Atoi(x); err == nil {
					fuzz = min(max(n, 0), 2)
				} else {
					return cexpr{}, c.errorf(opts.Values[i].Pos(), "", "fuzziness is 0, 1, 2 or \"AUTO\"")
				}
			}
		case "prefix_length":
			if n, ok := v.(int64); ok {
				prefix = int(max(n, 0))
			}
		case "max_expansions", "fuzzy_transpositions", "lenient", "boost", "operator", "minimum_should_match", "analyzer", "auto_generate_synonyms_phrase_query":
		default:
			return cexpr{}, c.errorf(opts.Values[i].Pos(), "", "unknown %s option %q", e.Name, k)
		}
	}
	if fuzz < 0 {
		switch n := len([]rune(text)); {
		case n <= 2:
			fuzz = 0
		case n <= 5:
			fuzz = 1
		default:
			fuzz = 2
		}
	}
	slot := ref.slot
	want := []rune(text)
	return cexpr{typ: Boolean, text: c.srcText(e), pos: e.At, ev: func(r *Run, row []any) any {
		for _, v := range values(row[slot]) {
			s, _ := v.(string)
			got := []rune(s)
			if len(got) < prefix || len(want) < prefix || string(got[:prefix]) != string(want[:prefix]) {
				continue
			}
			if damerau(got, want, fuzz) <= fuzz {
				return true
			}
		}
		return false
	}}, nil
}

// damerau is the optimal string alignment distance of a and b, stopping
// early above limit.
func damerau(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
