package azure

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// emitRun writes emit's steps from step k on to the document at dst,
// which holds n bytes and has room for limit+runOver: for each, the
// piece of the plan's text before the value (text[from:to]), then the
// value, from arena or (inRec) rec, setting at[k] to where the value
// starts. Pieces and values are copied 32 bytes at a time (AVX2), so
// every read may go up to runOver bytes past their ends and every write
// as far past the document's. It stops at the first step it does not
// write (a value of rec that does not end before recBound, or of the
// arena before arenaBound; too little room left) and returns the
// document's length then and that step. At a field event.original it
// writes the piece before it, sets at[k], and stops there (original
// true). After the last step it writes the text after the last value
// (text[last:textLen]) and returns nsteps+1, or nsteps when there is not
// room for it.
//
// The caller vouches for the rest: every step's field is one of ents and
// its ent the field's offset there (field*entSize), the pieces lie in
// text[:last], text's array holds runOver bytes after textLen, at holds
// nsteps offsets, and the arena's array holds runOver bytes from
// arenaBound-1 on, rec's from recBound-1 on (a bound of 0: none of its
// values is read).
//
//go:noescape
func emitRun(dst *byte, n, limit int, text *byte, last, textLen int, steps *planStep, k, nsteps int,
	ents *fent, arena *byte, arenaBound int, rec *byte, recBound int, at *int32) (end, next int, original bool)

// hasEmitRun tells whether emit writes its steps with emitRun.
var hasEmitRun = cpu.X86.HasAVX2

// The layouts emitRun reads (a constant index out of range does not
// compile): a planStep is from, to, field and ent, 4 bytes each; an fent
// is s and e, 8 bytes each, then its flags, original at 17 and inRec at
// 18, in entSize bytes. emitRun's arguments arena, arenaBound, rec and
// recBound are read as a table too.
var _ = [1]struct{}{}[unsafe.Sizeof(planStep{})-16]
var _ = [1]struct{}{}[unsafe.Offsetof(planStep{}.to)-4+unsafe.Offsetof(planStep{}.field)-8+unsafe.Offsetof(planStep{}.ent)-12]
var _ = [1]struct{}{}[unsafe.Sizeof(fent{})-24]
var _ = [1]struct{}{}[unsafe.Offsetof(fent{}.e)-8+unsafe.Offsetof(fent{}.original)-17+unsafe.Offsetof(fent{}.inRec)-18]
