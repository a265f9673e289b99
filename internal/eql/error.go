package eql

import "github.com/vigil-project/vigil/internal/querytext"

// Error is a syntax error in a query, with Detail rendering the offending
// line and a caret. Parse returns it as an error; use errors.As to reach it.
type Error = querytext.Error

// Pos is a position in the query text. Offset is a byte offset; Line and Col
// are 1-based, Col counting runes (so the caret lines up under the fault).
type Pos = querytext.Pos
