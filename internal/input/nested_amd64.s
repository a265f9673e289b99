#include "textflag.h"

// BYTES puts in every byte of Y8 '"', Y9 '\\', Y10 0x20 (OR-ed in, '['
// and ']' become '{' and '}'), Y11 '{' and Y12 '}'.
#define BYTES \
	MOVL $0x22, AX \
	MOVQ AX, X8 \
	VPBROADCASTB X8, Y8 \
	MOVL $0x5c, AX \
	MOVQ AX, X9 \
	VPBROADCASTB X9, Y9 \
	MOVL $0x20, AX \
	MOVQ AX, X10 \
	VPBROADCASTB X10, Y10 \
	MOVL $0x7b, AX \
	MOVQ AX, X11 \
	VPBROADCASTB X11, Y11 \
	MOVL $0x7d, AX \
	MOVQ AX, X12 \
	VPBROADCASTB X12, Y12

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

// func masks64AVX2(p *byte) (quote, backslash, open, shut uint64)
TEXT ·masks64AVX2(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), SI
	BYTES
	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y1
	VPCMPEQB Y8, Y0, Y2
	VPCMPEQB Y8, Y1, Y3
	VPMOVMSKB Y2, AX
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, quote+8(FP)
	VPCMPEQB Y9, Y0, Y2
	VPCMPEQB Y9, Y1, Y3
	VPMOVMSKB Y2, AX
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, backslash+16(FP)
	VPOR Y10, Y0, Y0
	VPOR Y10, Y1, Y1
	VPCMPEQB Y11, Y0, Y2
	VPCMPEQB Y11, Y1, Y3
	VPMOVMSKB Y2, AX
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, open+24(FP)
	VPCMPEQB Y12, Y0, Y2
	VPCMPEQB Y12, Y1, Y3
	VPMOVMSKB Y2, AX
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, shut+32(FP)
	VZEROUPPER
	RET

// func nestedEnd(p *byte, n, i, depth int) (end, depthOut int, inString, found bool)
TEXT ·nestedEnd(SB), NOSPLIT, $0-50
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ i+16(FP), DX
	MOVQ depth+24(FP), R8
	XORQ R9, R9 // all ones when the step starts in a string
	BYTES
	MOVQ $-1, AX
	VMOVQ AX, X13
loop:
	LEAQ 64(DX), AX
	CMPQ AX, CX
	JGT out
	VMOVDQU (SI)(DX*1), Y0
	VMOVDQU 32(SI)(DX*1), Y1
	// A backslash: the caller's byte loop follows the escapes.
	VPCMPEQB Y9, Y0, Y2
	VPCMPEQB Y9, Y1, Y3
	VPOR Y2, Y3, Y2
	VPTEST Y2, Y2
	JNZ out
	// The quotes, in AX.
	VPCMPEQB Y8, Y0, Y2
	VPMOVMSKB Y2, AX
	VPCMPEQB Y8, Y1, Y3
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ BX, AX
	// The brackets in R10, the opening ones in R12 ('[' and ']' OR-ed
	// with 0x20 are '{' and '}').
	VPOR Y10, Y0, Y0
	VPOR Y10, Y1, Y1
	VPCMPEQB Y11, Y0, Y2
	VPCMPEQB Y12, Y0, Y3
	VPOR Y2, Y3, Y4
	VPMOVMSKB Y4, R10
	VPMOVMSKB Y2, R12
	VPCMPEQB Y11, Y1, Y5
	VPCMPEQB Y12, Y1, Y6
	VPOR Y5, Y6, Y7
	VPMOVMSKB Y7, R11
	VPMOVMSKB Y5, R13
	SHLQ $32, R11
	ORQ R11, R10
	SHLQ $32, R13
	ORQ R13, R12
	// In a string: an odd number of quotes up to the byte (a carry-less
	// product with all ones), counting the string the step started in.
	VMOVQ AX, X0
	VPCLMULQDQ $0, X13, X0, X0
	VMOVQ X0, AX
	XORQ R9, AX
	MOVQ AX, R9
	SARQ $63, R9
	ANDNQ R10, AX, R10 // the brackets outside strings
	TESTQ R10, R10
	JEQ next
bits:
	TZCNTQ R10, BX
	BTQ BX, R12
	JCC shut
	INCQ R8
	JMP more
shut:
	DECQ R8
	JEQ found
more:
	BLSRQ R10, R10
	JNZ bits
next:
	ADDQ $64, DX
	JMP loop
found:
	LEAQ 1(DX)(BX*1), AX
	MOVQ AX, end+32(FP)
	MOVQ $0, depthOut+40(FP)
	MOVB $0, inString+48(FP)
	MOVB $1, found+49(FP)
	VZEROUPPER
	RET
out:
	MOVQ DX, end+32(FP)
	MOVQ R8, depthOut+40(FP)
	TESTQ R9, R9
	SETNE inString+48(FP)
	MOVB $0, found+49(FP)
	VZEROUPPER
	RET
