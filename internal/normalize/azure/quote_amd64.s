#include "textflag.h"

// The bytes the scans stop at, sixteen of each: '"', '\\', 0x1f (the
// last below 0x20).
DATA stopBytes<>+0(SB)/8, $0x2222222222222222
DATA stopBytes<>+8(SB)/8, $0x2222222222222222
DATA stopBytes<>+16(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA stopBytes<>+24(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA stopBytes<>+32(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA stopBytes<>+40(SB)/8, $0x1f1f1f1f1f1f1f1f
GLOBL stopBytes<>(SB), RODATA|NOPTR, $48

// SPREAD writes the eight bytes low in X4, whose quotes DX marks, at
// DI+R9 with a backslash before each quote (the tables at R12), and
// moves R9 past them.
#define SPREAD \
	MOVQ DX, AX \
	SHLQ $4, DX \
	MOVOU (R12)(DX*1), X5 \
	PSHUFB X5, X4 \
	MOVOU 4096(R12)(DX*1), X6 \
	POR X6, X4 \
	MOVOU X4, (DI)(R9*1) \
	ADDQ 8192(R12)(AX*8), R9

// VSPREAD is SPREAD in VEX encoding, for the wide steps.
#define VSPREAD \
	MOVQ DX, AX \
	SHLQ $4, DX \
	VPSHUFB (R12)(DX*1), X4, X4 \
	VPOR 4096(R12)(DX*1), X4, X4 \
	VMOVDQU X4, (DI)(R9*1) \
	ADDQ 8192(R12)(AX*8), R9

// func quoteASCII(dst, src *byte, n int, strip, wide bool, t *quoteTables) (written, read int)
TEXT ·quoteASCII(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVBQZX strip+24(FP), R11
	MOVQ t+32(FP), R12 // shuffles, then backslashes at +4096, lengths at +8192
	// X8 '"', X9 '\\', X10 0x1f in every byte
	MOVOU stopBytes<>+0(SB), X8
	MOVOU stopBytes<>+16(SB), X9
	MOVOU stopBytes<>+32(SB), X10
	XORQ R8, R8 // read
	XORQ R9, R9 // written
	XORQ R10, R10 // 1 when the last step ended with a quote
	CMPB wide+25(FP), $0
	JEQ loop
	// Y11, Y12 and Y13: X8's, X9's and X10's bytes, thirty-two of each
	VPBROADCASTB X8, Y11
	VPBROADCASTB X9, Y12
	VPBROADCASTB X10, Y13
wide:
	// Thirty-two bytes a step (AVX2) while they are plain, as below.
	LEAQ 32(R8), AX
	CMPQ AX, CX
	JGT narrow
	VMOVDQU (SI)(R8*1), Y0
	VPCMPGTB Y13, Y0, Y1
	VPCMPEQB Y12, Y0, Y2
	VPANDN Y1, Y2, Y2
	VPMOVMSKB Y2, AX
	CMPL AX, $0xffffffff
	JNE narrow
	VPCMPEQB Y11, Y0, Y3
	VPMOVMSKB Y3, BX // the quotes
	TESTQ R11, R11
	JZ widenostrip
	MOVQ BX, DX
	SHLQ $1, DX
	ORQ R10, DX
	TESTQ BX, DX
	JNZ widedone // two quotes in a row
	MOVQ BX, R10
	SHRQ $31, R10
widenostrip:
	TESTQ BX, BX
	JNZ widequotes
	VMOVDQU Y0, (DI)(R9*1)
	ADDQ $32, R9
	ADDQ $32, R8
	JMP wide
widequotes:
	// Eight bytes at a time: the low lane's, then the high lane's.
	VEXTRACTI128 $1, Y0, X7
	MOVQ BX, DX
	ANDQ $0xff, DX
	VMOVDQU X0, X4
	VSPREAD
	MOVQ BX, DX
	SHRQ $8, DX
	ANDQ $0xff, DX
	VPSRLDQ $8, X0, X4
	VSPREAD
	MOVQ BX, DX
	SHRQ $16, DX
	ANDQ $0xff, DX
	VMOVDQU X7, X4
	VSPREAD
	MOVQ BX, DX
	SHRQ $24, DX
	VPSRLDQ $8, X7, X4
	VSPREAD
	ADDQ $32, R8
	JMP wide
widedone:
	VZEROUPPER
	JMP done
narrow:
	// Sixteen bytes a step for the rest.
	VZEROUPPER
loop:
	LEAQ 16(R8), AX
	CMPQ AX, CX
	JGT done
	MOVOU (SI)(R8*1), X0
	// Bytes from 0x20 to 0x7f (signed: above 0x1f), and no backslash.
	MOVOU X0, X1
	PCMPGTB X10, X1
	MOVOU X0, X2
	PCMPEQB X9, X2
	PANDN X1, X2
	PMOVMSKB X2, AX
	CMPL AX, $0xffff
	JNE done
	// 0x7f is copied as it is (event.AppendString does).
	MOVOU X0, X3
	PCMPEQB X8, X3
	PMOVMSKB X3, BX // the quotes
	TESTQ R11, R11
	JZ nostrip
	MOVQ BX, DX
	SHLQ $1, DX
	ORQ R10, DX
	TESTQ BX, DX
	JNZ done // two quotes in a row
	MOVQ BX, R10
	SHRQ $15, R10
nostrip:
	TESTQ BX, BX
	JNZ quotes
	MOVOU X0, (DI)(R9*1)
	ADDQ $16, R9
	ADDQ $16, R8
	JMP loop
quotes:
	// The low eight bytes.
	MOVQ BX, DX
	ANDQ $0xff, DX
	MOVOU X0, X4
	SPREAD
	// The high eight bytes.
	MOVQ BX, DX
	SHRQ $8, DX
	MOVOU X0, X4
	PSRLDQ $8, X4
	SPREAD
	ADDQ $16, R8
	JMP loop
done:
	MOVQ R9, written+40(FP)
	MOVQ R8, read+48(FP)
	RET

// func plainStringEnd16(raw *byte, n, i int) int
TEXT ·plainStringEnd16(SB), NOSPLIT, $0-32
	MOVQ raw+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ i+16(FP), DX
	INCQ DX
	// X8 '"', X9 '\\', X10 0x1f in every byte
	MOVOU stopBytes<>+0(SB), X8
	MOVOU stopBytes<>+16(SB), X9
	MOVOU stopBytes<>+32(SB), X10
loop:
	LEAQ 16(DX), AX
	CMPQ AX, CX
	JGT rest
	MOVOU (SI)(DX*1), X0
	MOVOU X0, X1
	PCMPEQB X8, X1
	MOVOU X0, X2
	PCMPEQB X9, X2
	POR X2, X1
	PCMPGTB X10, X0 // bytes from 0x20 to 0x7f
	PMOVMSKB X1, AX
	PMOVMSKB X0, BX
	XORL $0xffff, BX // the others
	ORL BX, AX
	TESTL AX, AX
	JNZ stop
	ADDQ $16, DX
	JMP loop
stop:
	BSFL AX, AX
	ADDQ AX, DX
	CMPB (SI)(DX*1), $0x22
	JNE notplain
	INCQ DX
	MOVQ DX, ret+24(FP)
	RET
notplain:
	MOVQ $-1, ret+24(FP)
	RET
rest:
	// Fewer than 16 bytes left: the caller's loop goes on from DX.
	NEGQ DX
	SUBQ $2, DX
	MOVQ DX, ret+24(FP)
	RET
