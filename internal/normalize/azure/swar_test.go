package azure

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// naiveStringEnd is stringEnd byte by byte.
func naiveStringEnd(raw []byte, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(raw)
}

// naiveStringEndPlain is stringEndPlain byte by byte.
func naiveStringEndPlain(raw []byte, i int) (int, bool) {
	plain := true
	for j := i + 1; j < len(raw); j++ {
		switch c := raw[j]; {
		case c == '\\':
			plain = false
			j++
		case c == '"':
			return j + 1, plain
		case c < 0x20 || c >= 0x80:
			plain = false
		}
	}
	return len(raw), false
}

// naivePlainJSONString is plainJSONString without the eight-byte steps.
func naivePlainJSONString(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' {
			if i+1 < len(b) && strings.IndexByte(`"\nrtbf`, b[i+1]) >= 0 {
				i++
				continue
			}
			return false
		}
		if c < 0x20 {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(b[i:]) && !bytes.Contains(b[i:], []byte("\u2028")) && !bytes.Contains(b[i:], []byte("\u2029"))
		}
	}
	return true
}

var swarSeeds = []string{
	``, `a`, `"`, `\`, `\\`, `\"`, `abcdefg"`, `abcdefgh"`, `abcdefghi"`, `abcdefg\"x"`, `abcdefg\\"x`,
	`0123456789abcdef\\\"0123"`, "tab\there\"", "\x1f\x20\x21\"", `"":"",{"a":"b"}`, `{"":"","x":1}`,
	"caf\u00e9 na\u00efve\"", "line\u2028sep\"", "\u2029", "\xe2\x80", "\xff\xfe\"", `\u0041BCDEFGH"`,
	strings.Repeat(`a\"`, 20) + `"`, strings.Repeat("x", 63) + `"`, `{"k":"v","":""}`,
	`"":"x",""",""":"",`, "abc\x7f\x80def\"", "abcdefg\x01\"", "abcdefgh\x1f\"", "0123456789\u00e9\"", `\\\\\\\\"""""""""\"\"\"`,
}

func TestSWARScans(t *testing.T) {
	for _, s := range swarSeeds {
		checkSWAR(t, s)
		for i := range len(s) { // every alignment
			checkSWAR(t, s[i:])
			checkSWAR(t, strings.Repeat("y", i)+s)
		}
	}
}

func checkSWAR(t *testing.T, s string) {
	t.Helper()
	raw := []byte(`"` + s)
	if got, want := stringEnd(raw, 0), naiveStringEnd(raw, 0); got != want {
		t.Fatalf("stringEnd(%q) = %d, want %d", raw, got, want)
	}
	e, plain := stringEndPlain(raw, 0)
	if we, wp := naiveStringEndPlain(raw, 0); e != we || plain != wp {
		t.Fatalf("stringEndPlain(%q) = %d, %v, want %d, %v", raw, e, plain, we, wp)
	}
	if plain && !naivePlainJSONString(raw[1:e-1]) {
		t.Fatalf("stringEndPlain(%q): plain, but plainJSONString is false", raw)
	}
	if got, want := plainJSONString([]byte(s)), naivePlainJSONString([]byte(s)); got != want {
		t.Fatalf("plainJSONString(%q) = %v, want %v", s, got, want)
	}
	for i := 0; i+8 <= len(s); i++ {
		w := word([]byte(s), i)
		for _, c := range []byte{'"', '\\', 0} {
			var want uint64
			for k := range 8 {
				if s[i+k] == c {
					want |= 0x80 << (8 * k)
				}
			}
			if got := exactByteIs(w, c); got != want {
				t.Fatalf("exactByteIs(%q, %q) = %#x, want %#x", s[i:i+8], c, got, want)
			}
		}
	}
	if !utf8.ValidString(s) {
		return // appendOriginal's callers check
	}
	for _, strip := range []bool{false, true} {
		prefix := []byte("pre")
		got := appendOriginal(prefix, []byte(s), strip)
		text := s
		if strip {
			text = strings.ReplaceAll(text, emptyPair, "")
		}
		want := appendJSONString([]byte("pre"), text)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendOriginal(%q, %v) = %s, want %s", s, strip, got, want)
		}
	}
}

func FuzzSWARScans(f *testing.F) {
	for _, s := range swarSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkSWAR(t, s) })
}

// BenchmarkAppendOriginal quotes a sign-in record of the sample for
// event.original.
func BenchmarkAppendOriginal(b *testing.B) {
	raw := []byte(`{"time":"2026-11-30T10:00:00.1234567Z","resourceId":"/tenants/7c6a0b3e-1d2f-4a5b-9c8d-0e1f2a3b4c5d/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":"SignInLogs","tenantId":"7c6a0b3e-1d2f-4a5b-9c8d-0e1f2a3b4c5d","resultType":"0","resultSignature":"None","durationMs":0,"callerIpAddress":"203.0.113.7","correlationId":"5b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e","identity":"Alex Doe","Level":4,"location":"US","properties":{"id":"5b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e","createdDateTime":"2026-11-30T10:00:00.1234567+00:00","userDisplayName":"Alex Doe","userPrincipalName":"alex@example.com","userId":"1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d","appId":"29d9ed98-a469-4536-ade2-f981bc1d605e","appDisplayName":"Microsoft Authentication Broker","ipAddress":"203.0.113.7","status":{"errorCode":0},"clientAppUsed":"Mobile Apps and Desktop clients","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","deviceDetail":{"deviceId":"","operatingSystem":"Windows 10","browser":"Rich Client 4.61.0.0"},"location":{"city":"Seattle","state":"Washington","countryOrRegion":"US","geoCoordinates":{"latitude":47.6,"longitude":-122.3}},"authenticationProtocol":"deviceCode","riskDetail":"none","riskLevelAggregated":"none","riskState":"none"}}`)
	var buf []byte
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		buf = appendOriginal(buf[:0], raw, true)
	}
}

// TestPutStringIsAppendString checks putString's copies of plain tokens
// (plainText) against appendJSONString: every string of a record, whole
// and in parts, decoded as str decodes it, after the walk noted the ends.
func TestPutStringIsAppendString(t *testing.T) {
	raw := []byte(`{"a":"plain","b":"esc\"aped","c":"caf\u00e9","d":"café","e":"line\u2028x","f":"","g":"/SUBSCRIPTIONS/ab-cd/RESOURCEGROUPS/rg","h":{"i":"x\\y","j":["k","l\n"]},"m":12,"n":"tab\there","o":"ab","p":"` + "\u2028x\u2029" + `"}`)
	f := &fastDoc{}
	f.reset(raw)
	var spans []span
	var walk func(v span)
	walk = func(v span) {
		switch raw[v.s] {
		case '"':
			spans = append(spans, v)
		case '{':
			f.members(raw, v.s, func(_ []byte, x span) bool { walk(x); return true })
		case '[':
			f.elements(raw, v, func(x span) bool { walk(x); return true })
		}
	}
	walk(span{0, len(raw)})
	if len(spans) < 10 {
		t.Fatalf("walked %d strings", len(spans))
	}
	for _, v := range spans {
		s, ok := f.str(v, true)
		if !ok {
			t.Fatalf("str(%s) failed", raw[v.s:v.e])
		}
		for i := 0; i <= len(s); i++ {
			for _, part := range []string{s, s[i:], s[:i]} {
				f.putString("x", part)
				if got, want := string(f.value(&f.ents[len(f.ents)-1])), string(appendJSONString(nil, part)); got != want {
					t.Errorf("putString(%q) of %s = %s, want %s", part, raw[v.s:v.e], got, want)
				}
			}
		}
	}
}

// originalTokenRecords are records for appendOriginalTokens: plain and
// escaped strings, empty ones and empty pairs, numbers, literals, nesting,
// blanks and bytes the general loop must see between and inside tokens.
var originalTokenRecords = []string{
	`{"a":"b"}`, `{}`, `{"":""}`, `{"":"","x":1}`, `{"k":"v","":"",}`, `{"a":"","b":""}`,
	`{"a":"x\"y","b":"\\","c":"\u0041","d":"caf` + "\u00e9" + `"}`,
	`{"a":[1,2.5e3,true,false,null,{"b":["c",{"d":""}]}],"e":{"f":{"g":"h"}}}`,
	`{"a" : "b" , "c":[ 1 ]}`, "{\"a\":\t\"b\"}", "{\"a\":\"b\"}\n", `{"a":"` + "\u2028" + `"}`,
	`{"time":"2026-03-12T00:01:56.1240000Z","resourceId":"/tenants/9c8b/providers/Microsoft.aadiam","properties":{"targetResources":[{"modifiedProperties":[{"oldValue":"\"Sales team\"","newValue":"\"Sales and marketing\""}]}]}}`,
	`{"a":"` + strings.Repeat("x", 40) + `","b":"` + strings.Repeat("y", 7) + `"}`,
}

func TestOriginalTokensIsOriginal(t *testing.T) {
	for _, rec := range originalTokenRecords {
		checkOriginalTokens(t, rec, true)
	}
}

// checkOriginalTokens compares appendOriginalTokens, after a walk of the
// record, with appendOriginal; taken asks that it did not decline a
// record of printable ASCII with no empty string.
func checkOriginalTokens(t *testing.T, rec string, taken bool) {
	t.Helper()
	raw := []byte(rec)
	f := &fastDoc{}
	for _, strip := range []bool{false, true} {
		f.reset(raw)
		f.valueEnd(raw, skipWS(raw, 0), f.endTable(raw))
		f.stripOriginal = strip
		got, ok := f.appendOriginalTokens([]byte("pre"))
		want := appendOriginal([]byte("pre"), raw, strip)
		if ok && !bytes.Equal(got, want) {
			t.Fatalf("appendOriginalTokens(%q, %v) = %s, want %s", rec, strip, got, want)
		}
		if !ok && !bytes.Equal(got, []byte("pre")) {
			t.Fatalf("appendOriginalTokens(%q, %v) declined but wrote %q", rec, strip, got)
		}
		// A walk that stopped after the first member noted only some
		// of the strings: the rest must not be copied unescaped.
		f.reset(raw)
		if i := skipWS(raw, 0); i < len(raw) && raw[i] == '{' {
			f.members(raw, i, func([]byte, span) bool { return false })
		}
		f.stripOriginal = strip
		if part, ok := f.appendOriginalTokens([]byte("pre")); ok && !bytes.Equal(part, want) {
			t.Fatalf("appendOriginalTokens(%q, %v) after a partial walk = %s, want %s", rec, strip, part, want)
		}
		// After the check (the pipelines' walk), which notes numbers
		// and literals too.
		f.reset(raw)
		if f.check() {
			f.stripOriginal = strip
			if got, ok := f.appendOriginalTokens([]byte("pre")); ok && !bytes.Equal(got, want) {
				t.Fatalf("appendOriginalTokens(%q, %v) after the check = %s, want %s", rec, strip, got, want)
			}
		}
		plain := !strings.Contains(rec, `""`) && !strings.ContainsAny(rec, "\\\t\n\u00e9\u2028")
		if taken && wordAccess && plain && !ok && len(f.toks) > 0 { // word stores only where wordAccess
			t.Fatalf("appendOriginalTokens(%q, %v) declined", rec, strip)
		}
	}
	f.reset(nil)
}

func FuzzOriginalTokens(f *testing.F) {
	for _, rec := range originalTokenRecords {
		f.Add(rec)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		if !json.Valid([]byte(rec)) || !utf8.ValidString(rec) || !strings.HasPrefix(strings.TrimLeft(rec, " \t\r\n"), "{") {
			return
		}
		checkOriginalTokens(t, rec, false)
	})
}

// TestSameKey compares sameKey with == over keys of every length up to 40
// and one byte changed at each place, from buffers at every alignment.
func TestSameKey(t *testing.T) {
	buf := []byte(strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 4))
	for n := 0; n <= 40; n++ {
		for off := 0; off < 8; off++ {
			a := string(buf[off : off+n])
			if !sameKey(a, strings.Clone(a)) {
				t.Fatalf("sameKey(%q, itself) false", a)
			}
			if n > 0 && sameKey(a, a[:n-1]) {
				t.Fatalf("sameKey(%q, %q) true", a, a[:n-1])
			}
			for i := 0; i < n; i++ {
				b := []byte(a)
				b[i] ^= 0x20
				if sameKey(a, string(b)) {
					t.Fatalf("sameKey(%q, %q) true", a, b)
				}
			}
		}
	}
}

// originalASCIITexts are texts for appendOriginalASCII: quotes at every
// place of a step, two in a row and empty pairs across steps, and each
// byte it leaves to quoteText.
func originalASCIITexts() []string {
	texts := []string{
		`{"a":"b"}`, `{"time":"2026-03-12T00:01:58.1240000Z","resourceId":"/tenants/9c8b7a6d/providers/Microsoft.aadiam","x":[1,true,null]}`,
		`{"":"","a":"b","c":"d","e":"f","g":"h"}`, strings.Repeat(`"`, 40), strings.Repeat(`x"`, 40),
		`{"a":"x\"y","b":"\\"}`, "{\"a\":\"b\tc\",\"d\":\"eeeeeeeeeeeeeeeeeeee\"}", "{\"a\":\"\x7f\x01\"}",
		`{"a":"café","b":"` + "\u2028" + `","c":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"}`,
	}
	for n := 0; n < 40; n++ {
		pad := strings.Repeat("p", n)
		texts = append(texts,
			`{"`+pad+`":"","":"","k":"v"}`,
			`{"k":"`+pad+`","":"","x":"yyyyyyyyyyyyyyyyyyyyyyy"}`,
			`{"k":"`+pad+`""}`, `{"k":"`+pad+`\\"}`, "{\"k\":\""+pad+"\n\"}",
			pad+`"`+pad, `"`+pad+`"`+pad+`"`,
			// Two quotes in a row across the wide steps and the narrow ones.
			`{"k":"`+pad+`","":"","z":"`+strings.Repeat("z", 40)+`"}`)
	}
	return texts
}

// TestOriginalASCIIIsOriginal compares appendOriginalASCII with
// appendOriginal (with and without the empty pairs) over
// originalASCIITexts at every alignment, and asks that it takes the
// printable ASCII texts without a backslash or (strip) two quotes in a
// row.
func TestOriginalASCIIIsOriginal(t *testing.T) {
	for _, text := range originalASCIITexts() {
		checkOriginalASCII(t, text, true)
	}
}

func checkOriginalASCII(t *testing.T, text string, taken bool) {
	t.Helper()
	buf := make([]byte, len(text)+8)
	for off := 0; off < 8; off++ {
		raw := buf[off : off+len(text)]
		copy(raw, text)
		for _, strip := range []bool{false, true} {
			want := appendOriginal([]byte("pre"), raw, strip)
			got, ok := appendOriginalASCII([]byte("pre"), raw, strip)
			if ok && !bytes.Equal(got, want) {
				t.Fatalf("appendOriginalASCII(%q, %v) = %s, want %s", text, strip, got, want)
			}
			if !ok && !bytes.Equal(got, []byte("pre")) {
				t.Fatalf("appendOriginalASCII(%q, %v) declined but wrote %q", text, strip, got)
			}
			plain := !strings.ContainsAny(text, "\\\t\n\x01\u2028é") && !(strip && strings.Contains(text, `""`))
			if taken && hasQuoteASCII && len(text) >= 16 && plain && !ok {
				t.Fatalf("appendOriginalASCII(%q, %v) declined", text, strip)
			}
		}
	}
}

func FuzzOriginalASCII(f *testing.F) {
	for _, text := range originalASCIITexts() {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		checkOriginalASCII(t, text, false)
	})
}

// TestAppendShortIsAppend compares appendShort with append for sources of
// every length to past wideCopy, with backing arrays and destinations
// of every room around the word copy's needs.
func TestAppendShortIsAppend(t *testing.T) {
	text := []byte(strings.Repeat("0123456789abcdef", 9))
	for n := 0; n <= wideCopy+4; n++ {
		for extra := 0; extra <= wideCopy; extra += 3 {
			src := slices.Clip(text[:n+extra])[:n]
			for room := 0; room <= wideCopy+2; room += 5 {
				dst := make([]byte, 3, 3+room)
				copy(dst, "pre")
				got := appendShort(dst, src)
				want := append([]byte("pre"), src...)
				if !bytes.Equal(got, want) {
					t.Fatalf("appendShort(room %d, %q with %d after) = %q, want %q", room, src, extra, got, want)
				}
			}
		}
	}
}

// TestLowerIsToLower compares lowerIs with strings.ToLower for the words
// the writers test, spelt in every case and with letters ToLower folds
// from outside ASCII (the Kelvin sign, the long s, the dotted capital I).
func TestLowerIsToLower(t *testing.T) {
	for _, word := range []string{"success", "failure", "write", "action", "read", "delete"} {
		var spellings []string
		for mask := range 1 << len(word) {
			b := []byte(word)
			for i := range b {
				if mask>>i&1 != 0 {
					b[i] -= 'a' - 'A'
				}
			}
			spellings = append(spellings, string(b))
		}
		spellings = append(spellings, strings.ReplaceAll(word, "s", "\u017f"), strings.ReplaceAll(word, "i", "\u0130"),
			"\u212a"+word, word+" ", word[1:], "", strings.ReplaceAll(word, "e", "\u00c9"))
		for _, s := range spellings {
			if got, want := lowerIs(s, word), strings.ToLower(s) == word; got != want {
				t.Fatalf("lowerIs(%q, %q) = %v, ToLower says %v", s, word, got, want)
			}
		}
	}
}
