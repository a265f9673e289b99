// Package esql reads and runs the part of Elasticsearch's piped query
// language ES|QL that Elastic's detection rules use.
//
// Parse turns a query into a Query (FROM or ROW, then processing commands),
// with positions on every node and *Error (querytext.Error) on a fault;
// Query.String prints it canonically, so that parsing the print gives the
// same query. Compile checks it against field types (ecs.Schema, with the
// integrations' types for FROM's index patterns and the user's mappings) and
// plans its evaluation; Program.Start begins a Run, Run.Add feeds it source
// documents one at a time, Run.Finish returns the result table.
//
// The grammar, in EBNF (keywords and function names case-insensitive):
//
//	query      = source { "|" command } .
//	source     = "FROM" index { "," index } [ "METADATA" name { "," name } ]
//	           | "ROW" field { "," field } .
//	command    = "WHERE" expr | "EVAL" field { "," field }
//	           | [ "INLINE" ] "STATS" [ agg { "," agg } ] [ "BY" field { "," field } ]
//	           | "KEEP" pattern { "," pattern } | "DROP" pattern { "," pattern }
//	           | "RENAME" pattern "AS" pattern { "," ... } | "RENAME" new "=" old { "," ... }
//	           | "SORT" expr [ "ASC" | "DESC" ] [ "NULLS" ( "FIRST" | "LAST" ) ] { "," ... }
//	           | "LIMIT" INTEGER | "MV_EXPAND" name | "SAMPLE" NUMBER
//	           | "DISSECT" primary STRING [ "APPEND_SEPARATOR" "=" STRING ]
//	           | "GROK" primary STRING { "," STRING }
//	           | "COMPLETION" ... .                      (parsed, refused by Compile)
//	field      = [ name "=" ] expr .
//	agg        = field [ "WHERE" expr ] .
//	expr       = and { "OR" and } .
//	and        = not { "AND" not } .
//	not        = "NOT" not | predicate .
//	predicate  = additive [ cmp additive | [ "NOT" ] ( "LIKE" | "RLIKE" ) patterns
//	           | [ "NOT" ] "IN" "(" expr { "," expr } ")" | "IS" [ "NOT" ] "NULL" | ":" additive ] .
//	cmp        = "==" | "!=" | "<" | "<=" | ">" | ">=" | "=~" .
//	additive   = multiplicative { ( "+" | "-" ) multiplicative } .
//	multiplicative = unary { ( "*" | "/" | "%" ) unary } .
//	unary      = ( "-" | "+" ) unary | primary { "::" type } .
//	primary    = literal | INTEGER unit | name | NAME "(" [ "*" | arg { "," arg } ] ")"
//	           | "(" expr ")" | "[" literal { "," literal } "]" .
//	arg        = expr | "{" STRING ":" literal { "," ... } "}" .
//	name       = part { "." part } .                     (part: identifier or `quoted`)
//
// Memory: a run holds no documents. Streaming commands (WHERE, EVAL, KEEP,
// DROP, RENAME, LIMIT, MV_EXPAND, DISSECT, GROK) pass one row at a time.
// STATS holds one state per group (a counter, a minimum, the group's
// distinct values for VALUES, at most the precision threshold's for
// COUNT_DISTINCT), not the rows. SORT followed
// by LIMIT (or by the implicit limit, through commands that keep the row
// count) keeps a top-n of at most 2n+64 rows; a SORT that STATS or WHERE
// follows, and INLINE STATS, hold the rows of the window they are given.
// The result holds at most the query's limit of rows (1000 by default).
// Options.MaxGroups and Options.MaxHeldRows stop a run (Run.Err) before
// those grow past their bounds.
package esql
