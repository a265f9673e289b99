package match

import "github.com/vigil-project/vigil/internal/event"

// Field analysis other packages apply the same way (exceptions evaluate
// wildcard and list entries themselves): one implementation, so that a
// text or keyword field reads alike in a query and in an exception.

// EachToken calls fn with the lower-cased tokens a text field's standard
// analyzer makes of s, until fn returns false.
func EachToken(s string, fn func(tok string) bool) { eachToken(s, fn) }

// KeywordText returns the text a keyword field indexes for v: strings as
// they are, numbers as written in the JSON, booleans as true/false.
func KeywordText(v event.Value) (string, bool) { return keywordText(v) }

// TooLongForKeyword reports whether s exceeds ECS's ignore_above for
// keyword fields (1024 UTF-16 code units): such values are not indexed.
func TooLongForKeyword(s string) bool { return tooLong(s) }
