package kql

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignorePos compares trees without their positions.
var ignorePos = cmpopts.IgnoreTypes(Pos{})

// detail renders err with its caret excerpt when it is an *Error.
func detail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Detail()
	}
	return err.Error()
}

// checkRoundTrip checks that n prints to a query that parses back to n and
// prints the same again.
func checkRoundTrip(t testing.TB, name string, n Node) {
	t.Helper()
	s := n.String()
	m, err := Parse(s)
	if err != nil {
		t.Errorf("%s: printed query does not parse:\n%s\nprinted: %s", name, detail(err), s)
		return
	}
	if diff := cmp.Diff(n, m, ignorePos); diff != "" {
		t.Errorf("%s: round trip changed the tree (-parsed +reparsed):\n%s\nprinted: %s", name, diff, s)
		return
	}
	if s2 := m.String(); s2 != s {
		t.Errorf("%s: printing is not stable:\nfirst:  %s\nsecond: %s", name, s, s2)
	}
}
