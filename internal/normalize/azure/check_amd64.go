package azure

import "golang.org/x/sys/cpu"

// quoteMasks notes, for each of the blocks of 64 bytes from p, a bit a
// byte (bit k of word b for p[64*b+k]): in quote[b] the quotes, in odd[b]
// the backslashes and the bytes above 0x7f. low reports a byte below
// 0x20, backslash a backslash. AVX2 (check_amd64.s).
//
//go:noescape
func quoteMasks(p *byte, blocks int, quote, odd *uint64) (low, backslash bool)

// noteQuotes notes the strings the quotes in quote[:words] make (as
// quoteBits notes them, none escaped): t[i] is the end of the string at
// i, with plainEnd when odd (quoteBits's) has no bit in it, and toks[:n]
// the strings' offsets in order. closed is false when the last string is
// not closed. toks has room for one string per two quotes. BMI1, BMI2 and
// PCLMULQDQ.
//
//go:noescape
func noteQuotes(quote, odd *uint64, words int, t *int32, toks *int32) (n int, closed bool)

// stringMembers reads, for walkCompact, the members of an object from
// the key at raw[i] on while each is a key, a colon and a string value
// (their ends noted in t) followed by a comma. It returns where it
// stopped: at a member it did not read (its key), or (after) just after
// a member's value, at a byte that is no comma or at the record's last
// byte. i < n.
//
//go:noescape
func stringMembers(raw *byte, n int, t *int32, i int) (end int, after bool)

// hasQuoteMasks tells whether check finds strings' ends in quoteMasks's
// notes (quoteBits), hasNoteQuotes whether it notes them with noteQuotes.
var (
	hasQuoteMasks = cpu.X86.HasAVX2
	hasNoteQuotes = cpu.X86.HasBMI1 && cpu.X86.HasBMI2 && cpu.X86.HasPCLMULQDQ
)
