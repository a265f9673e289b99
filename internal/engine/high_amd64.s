#include "textflag.h"

// func indexHighSSE2(b []byte) int
TEXT ·indexHighSSE2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	XORQ AX, AX

by64:
	LEAQ 64(AX), CX
	CMPQ CX, BX
	JA   by16
	MOVOU (SI)(AX*1), X0
	MOVOU 16(SI)(AX*1), X1
	MOVOU 32(SI)(AX*1), X2
	MOVOU 48(SI)(AX*1), X3
	POR   X1, X0
	POR   X3, X2
	POR   X2, X0
	PMOVMSKB X0, DX
	TESTL DX, DX
	JNZ   by16 // one of these 64 bytes: found 16 at a time
	MOVQ  CX, AX
	JMP   by64

by16:
	LEAQ 16(AX), CX
	CMPQ CX, BX
	JA   by1
	MOVOU (SI)(AX*1), X0
	PMOVMSKB X0, DX
	TESTL DX, DX
	JNZ   found
	MOVQ  CX, AX
	JMP   by16

found:
	BSFL DX, DX
	ADDQ DX, AX
	MOVQ AX, ret+24(FP)
	RET

by1:
	CMPQ AX, BX
	JAE  done
	MOVBLZX (SI)(AX*1), DX
	TESTB $0x80, DL
	JNZ  done
	INCQ AX
	JMP  by1

done:
	MOVQ AX, ret+24(FP)
	RET

// func indexHighAVX2(b []byte) int
TEXT ·indexHighAVX2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	XORQ AX, AX

avx64:
	LEAQ 64(AX), CX
	CMPQ CX, BX
	JA   avxtail
	VMOVDQU (SI)(AX*1), Y0
	VPOR 32(SI)(AX*1), Y0, Y1
	VPMOVMSKB Y1, DX
	TESTL DX, DX
	JNZ  avxfound
	MOVQ CX, AX
	JMP  avx64

avxfound:
	// In the first 32 bytes, or else in the next 32.
	VPMOVMSKB Y0, DX
	TESTL DX, DX
	JNZ  avxbit
	ADDQ $32, AX
	VMOVDQU (SI)(AX*1), Y0
	VPMOVMSKB Y0, DX

avxbit:
	VZEROUPPER
	BSFL DX, DX
	ADDQ DX, AX
	MOVQ AX, ret+24(FP)
	RET

avxtail:
	VZEROUPPER
	// The last bytes (fewer than 64) one at a time.
avx1:
	CMPQ AX, BX
	JAE  avxdone
	MOVBLZX (SI)(AX*1), DX
	TESTB $0x80, DL
	JNZ  avxdone
	INCQ AX
	JMP  avx1

avxdone:
	MOVQ AX, ret+24(FP)
	RET
