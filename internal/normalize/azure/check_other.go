//go:build !amd64

package azure

// quoteMasks is check_amd64.go's, which other machines do without:
// check scans each string there.
func quoteMasks(p *byte, blocks int, quote, odd *uint64) (low, backslash bool) { return true, false }

func noteQuotes(quote, odd *uint64, words int, t *int32, toks *int32) (n int, closed bool) {
	return 0, false
}

func stringMembers(raw *byte, n int, t *int32, i int) (end int, after bool) { return i, false }

const hasQuoteMasks, hasNoteQuotes = false, false
