#include "textflag.h"

// func highChunksSSE2(b []byte) int
TEXT ·highChunksSSE2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	ANDQ $~63, BX // whole 64-byte chunks only
	XORQ AX, AX

sse64:
	CMPQ AX, BX
	JAE  sseout
	MOVOU (SI)(AX*1), X0
	MOVOU 16(SI)(AX*1), X1
	MOVOU 32(SI)(AX*1), X2
	MOVOU 48(SI)(AX*1), X3
	POR   X1, X0
	POR   X3, X2
	POR   X2, X0
	PMOVMSKB X0, DX
	TESTL DX, DX
	JNZ   sse16
	ADDQ  $64, AX
	JMP   sse64

sse16: // the chunk holds one: which 16 bytes first
	MOVOU (SI)(AX*1), X0
	PMOVMSKB X0, DX
	TESTL DX, DX
	JNZ   ssebit
	ADDQ  $16, AX
	JMP   sse16

ssebit:
	BSFL DX, DX
	ADDQ DX, AX

sseout:
	MOVQ AX, ret+24(FP)
	RET

// func highChunksAVX2(b []byte) int
TEXT ·highChunksAVX2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	ANDQ $~63, BX
	XORQ AX, AX

avx64:
	CMPQ AX, BX
	JAE  avxout
	VMOVDQU (SI)(AX*1), Y0
	VPOR 32(SI)(AX*1), Y0, Y1
	VPMOVMSKB Y1, DX
	TESTL DX, DX
	JNZ  avxfound
	ADDQ $64, AX
	JMP  avx64

avxfound: // in the first 32 bytes, or else in the next 32
	VPMOVMSKB Y0, DX
	TESTL DX, DX
	JNZ  avxbit
	ADDQ $32, AX
	VMOVDQU (SI)(AX*1), Y0
	VPMOVMSKB Y0, DX

avxbit:
	BSFL DX, DX
	ADDQ DX, AX

avxout:
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET
