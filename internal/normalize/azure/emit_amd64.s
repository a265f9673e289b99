#include "textflag.h"

// func emitRun(dst *byte, n, limit int, text *byte, last, textLen int, steps *planStep, k, nsteps int,
//	ents *fent, arena *byte, arenaBound int, rec *byte, recBound int, at *int32) (end, next int, original bool)
//
// Registers through the loop: R9 dst, DI the document's length, R15 text,
// SI the step, R12 the step's number less nsteps (the loop ends at 0),
// R14 &at[nsteps], R13 ents, R10 the arguments arena, arenaBound, rec
// and recBound: a table of the values' buffers and bounds, by inRec. A
// step's: AX, BX, CX, DX, R8 and R11. Every copy moves 32 bytes (AVX2),
// its last reading and writing up to 31 bytes past the piece or value.
TEXT ·emitRun(SB), NOSPLIT, $0-137
	MOVQ dst+0(FP), R9
	MOVQ n+8(FP), DI
	MOVQ text+24(FP), R15
	MOVQ k+56(FP), R12
	MOVQ nsteps+64(FP), AX
	MOVQ ents+72(FP), R13
	LEAQ arena+80(FP), R10
	MOVQ at+112(FP), R14
	LEAQ (R14)(AX*4), R14   // &at[nsteps]
	MOVQ R12, BX
	SHLQ $4, BX
	ADDQ steps+48(FP), BX
	MOVQ BX, SI             // &steps[k]
	MOVB $0, original+136(FP)
	SUBQ AX, R12            // k - nsteps
	JGE tail

step:
	// The field's entry (at R13+DX): event.original is left to Go.
	MOVL 12(SI), DX
	CMPB 17(R13)(DX*1), $0  // original
	JNE original
	// The value's buffer (BX) and the bound its values end before, from
	// the table at R10 (inRec is 0 or 1): s <= e < the bound, as unsigned
	// numbers (a negative one is left to Go, which panics as a slice
	// expression does).
	MOVQ (R13)(DX*1), AX    // s
	MOVQ 8(R13)(DX*1), R11  // e
	MOVBLZX 18(R13)(DX*1), CX
	SHLQ $4, CX
	MOVQ (R10)(CX*1), BX
	CMPQ R11, 8(R10)(CX*1)
	JCC out
	SUBQ AX, R11            // the value's length
	JCS out
	// The piece (from R8, CX bytes), the value's offset (DX) and the
	// document's length after the value (R11).
	MOVL (SI), R8
	MOVL 4(SI), CX
	SUBQ R8, CX
	JCS out
	LEAQ (DI)(CX*1), DX
	ADDQ DX, R11
	CMPQ R11, limit+16(FP)
	JGT out
	// The piece, 32 bytes at a time.
	VMOVDQU (R15)(R8*1), Y0
	VMOVDQU Y0, (R9)(DI*1)
	CMPQ CX, $32
	JGT longpiece
pieced:
	MOVL DX, (R14)(R12*4)   // at[k]
	// The value, 32 bytes at a time.
	VMOVDQU (BX)(AX*1), Y1
	VMOVDQU Y1, (R9)(DX*1)
	MOVQ R11, DI
	LEAQ 32(DX), CX
	CMPQ R11, CX
	JGT longvalue
valued:
	ADDQ $16, SI
	INCQ R12
	JNZ step

tail:
	// Every step is written: the text after the last value.
	MOVQ last+32(FP), AX
	MOVQ textLen+40(FP), CX
	SUBQ AX, CX
	LEAQ (DI)(CX*1), R8
	CMPQ R8, limit+16(FP)
	JGT out
	MOVQ DI, DX
tailwords:
	VMOVDQU (R15)(AX*1), Y0
	VMOVDQU Y0, (R9)(DX*1)
	ADDQ $32, AX
	ADDQ $32, DX
	SUBQ $32, CX
	JGT tailwords
	MOVQ R8, DI
	INCQ R12                // past the last step: nsteps+1

out:
	MOVQ DI, end+120(FP)
	ADDQ nsteps+64(FP), R12
	MOVQ R12, next+128(FP)
	VZEROUPPER
	RET

original:
	// event.original: its piece, then Go quotes the record.
	MOVL (SI), R8
	MOVL 4(SI), CX
	SUBQ R8, CX
	JCS out
	LEAQ (DI)(CX*1), DX
	CMPQ DX, limit+16(FP)
	JGT out
originalwords:
	VMOVDQU (R15)(R8*1), Y0
	VMOVDQU Y0, (R9)(DI*1)
	ADDQ $32, R8
	ADDQ $32, DI
	SUBQ $32, CX
	JGT originalwords
	MOVQ DX, DI
	MOVL DX, (R14)(R12*4)   // at[k]
	MOVB $1, original+136(FP)
	JMP out

longpiece:
	// The piece's next 32 bytes (R8, DI and CX are free until valued).
	ADDQ $32, R8
	ADDQ $32, DI
	SUBQ $32, CX
	VMOVDQU (R15)(R8*1), Y0
	VMOVDQU Y0, (R9)(DI*1)
	CMPQ CX, $32
	JGT longpiece
	JMP pieced

longvalue:
	// The value's next 32 bytes (R11 is the document's length after it).
	ADDQ $32, AX
	ADDQ $32, DX
	VMOVDQU (BX)(AX*1), Y1
	VMOVDQU Y1, (R9)(DX*1)
	LEAQ 32(DX), CX
	CMPQ R11, CX
	JGT longvalue
	JMP valued
