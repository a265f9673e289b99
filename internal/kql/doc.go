// Package kql parses Kibana Query Language (KQL) exactly as Kibana's
// grammar does, into an AST whose nodes print back as canonical KQL.
//
// The grammar, in EBNF (Space is space, TAB, CR, LF or U+00A0; keywords are
// matched in any case):
//
//	query            = { Space } [ or_query ] { Space } .   (empty => match all)
//	or_query         = and_query { OR and_query } .
//	and_query        = not_query { AND not_query } .
//	not_query        = NOT sub_query | sub_query .
//	sub_query        = "(" { Space } or_query { Space } ")" | nested_query .
//	nested_query     = field { Space } ":" { Space } "{" { Space } or_query { Space } "}"
//	                 | expression .
//	expression       = range_expr | field_value_expr | value_expr .
//	range_expr       = field { Space } range_op { Space } literal .
//	field_value_expr = field { Space } ":" { Space } value_list .
//	value_expr       = value .                     (free text)
//	value_list       = "(" { Space } or_values { Space } ")" | value .
//	or_values        = and_values { OR and_values } .
//	and_values       = not_values { AND not_values } .
//	not_values       = NOT value_list | value_list .
//	field = value = literal = quoted | unquoted .
//	range_op         = "<=" | ">=" | "<" | ">" .
//	OR               = Space { Space } "or" Space { Space } .
//	AND              = Space { Space } "and" Space { Space } .
//	NOT              = "not" Space { Space } .
//	quoted           = `"` { qchar } `"` .
//	qchar            = `\"` | `\\` | `\t` | `\r` | `\n` | `\u` hex hex hex hex
//	                 | any character but `"` .     (a lone `\` is itself)
//	unquoted         = uchar { uchar } .           (then trimmed)
//	uchar            = `\t` | `\r` | `\n` | `\` special | `\u` hex hex hex hex
//	                 | `\` ( "or" | "and" | "not" ) (any case)
//	                 | "*"                         (wildcard)
//	                 | any character but a special, and not where
//	                   Space "or" Space, Space "and" Space or "not" Space begins .
//	special          = `\` | "(" | ")" | ":" | "<" | ">" | `"` | "*" | "{" | "}" .
//
// Rules that surprise (all Kibana's):
//
//   - An unquoted value runs over spaces: `f:vm 01` is the one value "vm 01".
//     Leading and trailing whitespace is trimmed (as JavaScript's trim does,
//     after escapes are decoded, so `f:\t` is the empty string).
//   - The value stops before " or ", " and " and before "not " even mid-word:
//     `f:foo or bar` is `f:foo` or the free text `bar`, and `f:cannot do` is
//     a syntax error. `f:b or` (nothing after) is the value "b or".
//   - `not` needs whitespace after it, `and` and `or` on both sides:
//     `not(a:b)` and `a:b and(c:d)` are errors; `not not x` is an error.
//   - `\n` is a newline before it can be `\not`: `f:\not` is "\n" + "ot";
//     `\Not`, `\NOT` and `\or`, `\and` in any case are the words.
//   - Only the exact unquoted words true, false and null are Bool and Null
//     literals, decoded escapes included (`tru\u0065` is Bool).
//   - Inside quotes `\t` is a TAB: `"C:\temp"` holds a TAB, while
//     `"C:\Windows"` keeps its backslash.
//   - `*:*` and the empty query match everything; `f:*` means f exists.
//
// The tree: `a or b or c` is one *Or with three terms, also when written
// `(a or b) or c`; parentheses make no nodes. A value list `f:(x or y)` is a
// *Match whose Value is a *ValueOr. Free text is a *Match with a nil Field.
// Unquoted `null` as a field name (`null:x`) is free text for Kibana too:
// see Match.IsFreeText.
//
// Errors are *Error values with a 1-based line and rune column; Detail
// renders the query line with a caret and a hint.
package kql
