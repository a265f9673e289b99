//go:build !amd64

package azure

// emitRun is emit_amd64.go's, which other machines do without (emit
// writes its steps in Go): here it writes nothing.
func emitRun(dst *byte, n, limit int, text *byte, last, textLen int, steps *planStep, k, nsteps int,
	ents *fent, arena *byte, arenaBound int, rec *byte, recBound int, at *int32) (end, next int, original bool) {
	return n, k, false
}

// hasEmitRun tells whether emit writes its steps with emitRun.
const hasEmitRun = false
