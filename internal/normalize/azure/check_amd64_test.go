package azure

import (
	"strings"
	"testing"
)

// The paths check takes besides the default: strings noted by the Go
// loop instead of noteQuotes, and each string scanned (no quoteMasks).
func init() {
	checkPaths = append(checkPaths,
		func() func() {
			was := hasNoteQuotes
			hasNoteQuotes = false
			return func() { hasNoteQuotes = was }
		},
		func() func() {
			was := hasQuoteMasks
			hasQuoteMasks = false
			return func() { hasQuoteMasks = was }
		})
}

// blockCases are records whose strings, escapes, blanks and odd bytes
// stand at every place around the 64-byte steps of quoteMasks.
func blockCases() []string {
	var cases []string
	for _, mid := range []string{
		`x`, `\"`, `\\`, `\\\"`, `\\\\`, `\u00e9`, `\/`, `é`, "\xff", `\`, `\q`, `\u00g1`, `"`, "\t", "\x01", "\x7f",
	} {
		for pad := 40; pad < 140; pad++ {
			p := strings.Repeat("a", pad)
			cases = append(cases,
				`{"k":"`+p+mid+`z"}`,
				`{"`+p[:pad/2]+`":"`+p[pad/2:]+mid+`","b":[1,"`+mid+`",{}]}`,
				`{"k":`+`"`+p+`" , "l":"`+mid+`"}`,
				`{"k":"`+p+`",`+"\n"+`"l":[true,false,null,-1.5e3,"`+mid+`"]}`,
				`{"k":"`+p+`","l":1`+mid+`}`,
				`{"k":"`+p+mid,
			)
		}
	}
	return cases
}

// TestCheckBlocks: check on each path, over records whose tokens lie
// across the 64-byte steps.
func TestCheckBlocks(t *testing.T) {
	for _, c := range blockCases() {
		checkOne(t, []byte(c))
	}
}

// TestOriginalASCIINarrow: appendOriginalASCII with sixteen-byte steps
// only, as on machines without AVX2 (the tests elsewhere take the wide
// steps here).
func TestOriginalASCIINarrow(t *testing.T) {
	was := hasQuoteASCIIWide
	hasQuoteASCIIWide = false
	defer func() { hasQuoteASCIIWide = was }()
	for _, text := range originalASCIITexts() {
		checkOriginalASCII(t, text, true)
	}
}
