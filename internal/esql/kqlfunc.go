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
	if !c.streams {
		return cexpr{}, c.errorf(e.At, "move the condition into a WHERE right after FROM",
			"[%s] can only be used on the documents of FROM, before STATS, SORT, KEEP or LIMIT", e.Name)
	}
	var query string
	lit := func(i int) (string, error) {
		if i >= len(e.Args) {
			return "", c.errorf(e.At, "", "%s needs %d arguments", e.Name, i+1)
		}
		l, ok := e.Args[i].(*Literal)
		s, isStr := l.Value.(string)
		if !ok || !isStr {
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
			return cexpr{}, c.errorf(e.Args[2].Pos(), "drop the options to match the analyzed terms",
				"%s options (fuzziness, operator, ...) are not supported", e.Name)
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
	return cexpr{typ: Boolean, text: e.String(), pos: e.At, ev: func(r *Run, _ []any) any {
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
