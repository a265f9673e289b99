#include "textflag.h"

// func emitRun(dst *byte, n, room int, text *byte, last, textLen int, steps *planStep, k, nsteps int,
//	ents *fent, arena *byte, arenaEnd int, rec *byte, recEnd int, at *int32) (end, next int)
//
// Registers through the loop: R9 dst, DI the document's length, R10 the
// length past which a step does not go (room less the 32 bytes a copy may
// write past its end), SI the step, R12 past the last step, R13 ents, R14
// at's entry for the step. A step: AX, BX, CX, DX, R8 and R11.
TEXT ·emitRun(SB), NOSPLIT, $0-136
	MOVQ dst+0(FP), R9
	MOVQ n+8(FP), DI
	MOVQ room+16(FP), R10
	SUBQ $32, R10
	MOVQ steps+48(FP), SI
	MOVQ k+56(FP), AX
	MOVQ nsteps+64(FP), R12
	MOVQ ents+72(FP), R13
	MOVQ at+112(FP), R14
	LEAQ (R14)(AX*4), R14   // &at[k]
	LEAQ (R12)(R12*2), BX
	LEAQ (SI)(BX*4), R12    // &steps[nsteps]
	LEAQ (AX)(AX*2), BX
	LEAQ (SI)(BX*4), SI     // &steps[k]
	CMPQ SI, R12
	JAE tail

step:
	// The field's entry, its value's buffer and where it may end there.
	MOVL 8(SI), DX
	LEAQ (DX)(DX*2), DX
	LEAQ (R13)(DX*8), DX    // &ents[field]
	MOVQ (DX), AX           // s
	MOVQ 8(DX), R11         // e
	MOVQ arena+80(FP), BX
	MOVQ arenaEnd+88(FP), CX
	CMPB 18(DX), $0         // inRec: the record's text
	CMOVQNE rec+96(FP), BX
	CMOVQNE recEnd+104(FP), CX
	CMPB 17(DX), $0         // original: left to Go
	JNE out
	// s <= e <= the end, as unsigned numbers (a negative one is left to
	// Go, which panics as a slice expression does).
	CMPQ R11, CX
	JHI out
	SUBQ AX, R11            // the value's length
	JCS out
	ADDQ AX, BX             // the value
	// The piece and where it ends: the value's offset in the document.
	MOVL (SI), AX           // from
	MOVL 4(SI), CX
	SUBQ AX, CX             // to - from
	JCS out
	ADDQ text+24(FP), AX
	LEAQ (DI)(CX*1), DX
	LEAQ (DX)(R11*1), R8    // the document's length after the step
	CMPQ R8, R10
	JGT out
	// The piece, 32 bytes at a time.
	VMOVDQU (AX), Y0
	VMOVDQU Y0, (R9)(DI*1)
	CMPQ CX, $32
	JGT longpiece
pieced:
	MOVL DX, (R14)          // at[k]
	// The value, 32 bytes at a time.
	VMOVDQU (BX), Y1
	VMOVDQU Y1, (R9)(DX*1)
	CMPQ R11, $32
	JGT longvalue
valued:
	MOVQ R8, DI
	ADDQ $12, SI
	ADDQ $4, R14
	CMPQ SI, R12
	JB step

tail:
	// Every step is written: the text after the last value.
	MOVQ last+32(FP), AX
	MOVQ textLen+40(FP), CX
	SUBQ AX, CX
	ADDQ text+24(FP), AX
	LEAQ (DI)(CX*1), R8
	CMPQ R8, R10
	JGT out
	MOVQ DI, DX
tailwords:
	VMOVDQU (AX), Y0
	VMOVDQU Y0, (R9)(DX*1)
	ADDQ $32, AX
	ADDQ $32, DX
	SUBQ $32, CX
	JGT tailwords
	MOVQ R8, DI
	ADDQ $4, R14            // past the last step: nsteps+1

out:
	MOVQ DI, end+120(FP)
	SUBQ at+112(FP), R14
	SHRQ $2, R14
	MOVQ R14, next+128(FP)
	VZEROUPPER
	RET

longpiece:
	// The piece's next 32 bytes (DI and CX are free until valued).
	ADDQ $32, AX
	ADDQ $32, DI
	SUBQ $32, CX
	VMOVDQU (AX), Y0
	VMOVDQU Y0, (R9)(DI*1)
	CMPQ CX, $32
	JGT longpiece
	JMP pieced

longvalue:
	// The value's next 32 bytes.
	ADDQ $32, BX
	ADDQ $32, DX
	SUBQ $32, R11
	VMOVDQU (BX), Y1
	VMOVDQU Y1, (R9)(DX*1)
	CMPQ R11, $32
	JGT longvalue
	JMP valued
