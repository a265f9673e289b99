#include "textflag.h"

// The bytes compared with, eight of each: '"', '\\', 0x60 (added with
// saturation: a byte below 0x20 stays below 0x80).
DATA quoteBytes<>+0(SB)/8, $0x2222222222222222
DATA quoteBytes<>+8(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA quoteBytes<>+16(SB)/8, $0x6060606060606060
GLOBL quoteBytes<>(SB), RODATA|NOPTR, $24

// HALF notes the 32 bytes at off(SI): their quotes in AX, their
// backslashes and bytes above 0x7f in BX; Y6 gathers the backslashes,
// Y7 the bytes from 0x20 up.
#define HALF(off) \
	VMOVDQU off(SI), Y0 \
	VPCMPEQB Y8, Y0, Y1 \
	VPMOVMSKB Y1, AX \
	VPCMPEQB Y9, Y0, Y2 \
	VPOR Y2, Y6, Y6 \
	VPOR Y2, Y0, Y3 \
	VPMOVMSKB Y3, BX \
	VPADDUSB Y10, Y0, Y4 \
	VPAND Y4, Y7, Y7

// func quoteMasks(p *byte, blocks int, quote, odd *uint64) (low, backslash bool)
TEXT ·quoteMasks(SB), NOSPLIT, $0-34
	MOVQ p+0(FP), SI
	MOVQ blocks+8(FP), CX
	MOVQ quote+16(FP), DI
	MOVQ odd+24(FP), DX
	VPBROADCASTQ quoteBytes<>+0(SB), Y8
	VPBROADCASTQ quoteBytes<>+8(SB), Y9
	VPBROADCASTQ quoteBytes<>+16(SB), Y10
	VPXOR Y6, Y6, Y6
	VPCMPEQB Y7, Y7, Y7
	TESTQ CX, CX
	JEQ done
loop:
	HALF(32)
	SHLQ $32, AX
	SHLQ $32, BX
	MOVQ AX, R8
	MOVQ BX, R9
	HALF(0)
	ORQ R8, AX
	ORQ R9, BX
	MOVQ AX, (DI)
	MOVQ BX, (DX)
	ADDQ $64, SI
	ADDQ $8, DI
	ADDQ $8, DX
	DECQ CX
	JNZ loop
done:
	VPMOVMSKB Y7, AX
	CMPL AX, $0xffffffff
	SETNE low+32(FP)
	VPMOVMSKB Y6, AX
	TESTL AX, AX
	SETNE backslash+33(FP)
	VZEROUPPER
	RET

// func noteQuotes(quote, odd *uint64, words int, t *int32, toks *int32) (n int, closed bool)
TEXT ·noteQuotes(SB), NOSPLIT, $0-49
	MOVQ quote+0(FP), SI
	MOVQ odd+8(FP), R14
	SUBQ SI, R14 // odd[k] at (SI)(R14*1)
	MOVQ t+24(FP), DI
	MOVQ toks+32(FP), R8
	XORQ R9, R9 // strings noted
	XORQ R10, R10 // all ones when the word starts in a string
	MOVQ $-1, R11 // that string's opening quote; bit 62: an odd byte met in it
	XORQ R12, R12 // the word's first offset
	MOVQ $-1, AX
	MOVQ AX, X1
	CMPQ words+16(FP), $0
	JEQ done
word:
	MOVQ (SI), AX // the quotes
	MOVQ (SI)(R14*1), R15 // the odd bytes
	MOVQ AX, X0
	PCLMULQDQ $0, X1, X0
	MOVQ X0, BX
	XORQ R10, BX // in a string: from an opening quote to before its closing one
	MOVQ BX, R10
	SARQ $63, R10
	MOVQ AX, DX
	ANDQ BX, DX // opening quotes
	ANDNQ AX, BX, BX // closing quotes
	TESTQ R11, R11
	JMI pairs
	// The string open at the word's start.
	TESTQ BX, BX
	JEQ through
	TZCNTQ BX, R13
	BLSRQ BX, BX
	BZHIQ R13, R15, CX // odd bytes before its closing quote
	LEAQ 1(R12)(R13*1), R13
	MOVQ R11, AX
	MOVQ $-1, R11
	BTRQ $62, AX
	JCC plain
	JMP note // an odd byte in an earlier word
pairs:
	TESTQ DX, DX
	JEQ next
	TZCNTQ DX, AX
	BLSRQ DX, DX
	TESTQ BX, BX
	JEQ pending
	TZCNTQ BX, R13
	BLSRQ BX, BX
	TESTQ R15, R15
	JNE pairtest
	ADDQ R12, AX
	LEAQ 0x40000001(R12)(R13*1), R13
	JMP note
pairtest:
	BZHIQ R13, R15, CX // odd bytes between the quotes
	SHRXQ AX, CX, CX
	ADDQ R12, AX
	LEAQ 1(R12)(R13*1), R13
plain:
	// The string from AX to R13 (its end) is plain when CX is 0.
	TESTQ CX, CX
	JNE note
	ORQ $0x40000000, R13
note:
	MOVL R13, (DI)(AX*4)
	MOVL AX, (R8)(R9*4)
	INCQ R9
	JMP pairs
pending:
	SHRXQ AX, R15, CX // odd bytes after the opening quote
	LEAQ (R12)(AX*1), R11
	TESTQ CX, CX
	JEQ next
	BTSQ $62, R11
	JMP next
through:
	// The word lies in the string.
	TESTQ R15, R15
	JEQ next
	BTSQ $62, R11
next:
	ADDQ $8, SI
	ADDQ $64, R12
	DECQ words+16(FP)
	JNZ word
done:
	MOVQ R9, n+40(FP)
	TESTQ R11, R11
	SETMI closed+48(FP)
	RET

// func stringMembers(raw *byte, n int, t *int32, i int) (end int, after bool)
TEXT ·stringMembers(SB), NOSPLIT, $0-41
	MOVQ raw+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ t+16(FP), DI
	MOVQ i+24(FP), DX
member:
	CMPB (SI)(DX*1), $0x22
	JNE key
	MOVL (DI)(DX*4), AX
	ANDL $0xbfffffff, AX // the key's end
	LEAQ 1(AX), BX
	CMPQ BX, CX
	JGE key
	CMPB (SI)(AX*1), $0x3a // ':'
	JNE key
	CMPB (SI)(BX*1), $0x22 // a string value
	JNE key
	MOVL (DI)(BX*4), BX
	TESTL BX, BX
	JEQ key
	ANDL $0xbfffffff, BX // the value's end
	CMPQ BX, CX
	JGE key
	CMPB (SI)(BX*1), $0x2c // ','
	JNE after
	LEAQ 1(BX), DX
	CMPQ DX, CX
	JLT member
	MOVQ BX, end+32(FP)
	MOVB $1, after+40(FP)
	RET
key:
	MOVQ DX, end+32(FP)
	MOVB $0, after+40(FP)
	RET
after:
	MOVQ BX, end+32(FP)
	MOVB $1, after+40(FP)
	RET
