// Package eql parses the Event Query Language of Elasticsearch (the dialect
// of its _eql/search API and of Kibana's EQL rules, not the older Python
// dialect) into an AST whose nodes print back as canonical EQL.
//
// The grammar, in EBNF. Keywords are lower case; white space, `//` line
// comments and `/* */` comments separate tokens.
//
//	statement    = query { "|" pipe } .
//	query        = sequence | sample | event_query .
//	event_query  = ( "any" | IDENT | STRING ) "where" expr .
//	sequence     = "sequence" [ "by" expr_list ] [ "with" "maxspan" "=" timespan ]
//	               step step { step } [ "until" step ] .
//	sample       = "sample" [ "by" expr_list ] step step { step } .
//	step         = [ "!" ] "[" event_query "]" [ "by" expr_list ] [ "with" "runs" "=" INTEGER ] .
//	timespan     = INTEGER [ "ms" | "s" | "m" | "h" | "d" ] .
//	pipe         = IDENT [ expr_list ] .
//	expr_list    = expr { "," expr } .
//	expr         = and_expr { "or" and_expr } .
//	and_expr     = not_expr { "and" not_expr } .
//	not_expr     = "not" not_expr | comparison .
//	comparison   = additive [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) additive ] .
//	additive     = multiplicative { ( "+" | "-" ) multiplicative } .
//	multiplicative = unary { ( "*" | "/" | "%" ) unary } .
//	unary        = ( "-" | "+" ) unary | predicate .
//	predicate    = primary [ [ "not" ] ( "in" | "in~" ) "(" expr_list ")"
//	             | ( ":" | "like" | "like~" | "regex" | "regex~" )
//	               ( constant | "(" constant { "," constant } ")" ) ] .
//	primary      = constant | call | field | "(" expr ")" .
//	call         = NAME [ "~" ] "(" [ expr_list ] ")" .     (names in any case)
//	field        = [ "?" ] name { "." name } .
//	name         = IDENT | "`" { any character but "`" | "``" } "`" .
//	constant     = "null" | "true" | "false" | [ "-" ] NUMBER | STRING .
//	IDENT        = ( letter | "_" | "@" ) { letter | digit | "_" | "@" } .
//	NUMBER       = digits [ "." { digit } ] [ exponent ] | "." digits [ exponent ] .
//	STRING       = `"` { char | escape } `"` | `"""` { any character } `"""` .
//	escape       = `\t` | `\n` | `\r` | `\b` | `\f` | `\"` | `\'` | `\\` | `\u{` hex { hex } `}` .
//
// Precedence, tightest first: a predicate (in, :, like, regex), unary
// minus, * / %, + -, comparisons (which do not chain), not, and, or. Strings
// hold no line break; `"""` strings take no escapes. Single-quoted and
// `?"` strings are lexed only to be refused with Elasticsearch's message.
package eql
