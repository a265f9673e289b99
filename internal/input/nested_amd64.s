#include "textflag.h"

// func masks64(p *byte) (quote, backslash, open, shut uint64)
TEXT ·masks64(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), SI
	// X8 '"', X9 '\\', X10 0x20 (OR-ed in, '[' and ']' become '{' and '}'), X11 '{', X12 '}'
	MOVQ $0x2222222222222222, AX
	MOVQ AX, X8
	PUNPCKLQDQ X8, X8
	MOVQ $0x5c5c5c5c5c5c5c5c, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9
	MOVQ $0x2020202020202020, AX
	MOVQ AX, X10
	PUNPCKLQDQ X10, X10
	MOVQ $0x7b7b7b7b7b7b7b7b, AX
	MOVQ AX, X11
	PUNPCKLQDQ X11, X11
	MOVQ $0x7d7d7d7d7d7d7d7d, AX
	MOVQ AX, X12
	PUNPCKLQDQ X12, X12
	XORQ R8, R8 // quote
	XORQ R9, R9 // backslash
	XORQ R10, R10 // open
	XORQ R11, R11 // shut
	MOVQ $48, CX // the shift of the current 16 bytes' bits, from the last
	ADDQ $48, SI
loop:
	MOVOU (SI), X0
	MOVOU X0, X1
	PCMPEQB X8, X1
	PMOVMSKB X1, AX
	MOVOU X0, X2
	PCMPEQB X9, X2
	PMOVMSKB X2, BX
	POR X10, X0
	MOVOU X0, X3
	PCMPEQB X11, X3
	PMOVMSKB X3, DX
	PCMPEQB X12, X0
	PMOVMSKB X0, DI
	SHLQ $16, R8
	ORQ AX, R8
	SHLQ $16, R9
	ORQ BX, R9
	SHLQ $16, R10
	ORQ DX, R10
	SHLQ $16, R11
	ORQ DI, R11
	SUBQ $16, SI
	SUBQ $16, CX
	JGE loop
	MOVQ R8, quote+8(FP)
	MOVQ R9, backslash+16(FP)
	MOVQ R10, open+24(FP)
	MOVQ R11, shut+32(FP)
	RET
