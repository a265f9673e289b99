package azure

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

// zuluForm is the form appendZulu is for: every such text that parseTime
// takes, it must take too.
var zuluForm = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)

// zuluSlow is what appendZulu stands for: parseTime, then appendTimestamp.
func zuluSlow(s string) (string, bool) {
	t, ok := parseTime(s)
	if !ok {
		return "", false
	}
	return string(appendTimestamp(nil, t)), true
}

// checkZulu fails when appendZulu takes s and writes other than the slow
// path, or leaves dst changed when it declines.
func checkZulu(t *testing.T, s string) bool {
	t.Helper()
	got, ok := appendZulu([]byte("x"), s)
	if !ok {
		if string(got) != "x" {
			t.Errorf("appendZulu(%q) declined but wrote %q", s, got)
		}
		if _, slow := zuluSlow(s); slow && zuluForm.MatchString(s) {
			t.Errorf("appendZulu(%q) declined a UTC time parseTime takes", s)
		}
		return false
	}
	want, wok := zuluSlow(s)
	if !wok || "x"+want != string(got) {
		t.Errorf("appendZulu(%q) = %q; parseTime and appendTimestamp: %q (ok %v)", s, got[1:], want, wok)
	}
	return true
}

func TestAppendZuluIsParseTime(t *testing.T) {
	taken := 0
	for _, s := range []string{
		"2026-03-12T00:01:56.1240000Z", "2026-03-12T00:01:56Z", "2026-03-12T00:01:56.1Z",
		"2026-03-12T00:01:56.12Z", "2026-03-12T00:01:56.123456789Z", "2026-03-12T00:01:56.1234567891234Z",
		"2024-02-29T23:59:59.999Z", "2023-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-12-31T23:59:59Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
		"2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.9999Z", "2026-03-12t00:01:56Z", "2026-03-12T00:01:56z",
		"2026-03-12 00:01:56Z", "2026-03-12T00:01:56.Z", "2026-03-12T00:01:56,5Z", "2026-03-12T00:01:56.5+00:00",
		"2026-03-12T00:01:56.12a4Z", "2026-03-12T00:01:5Z", "+026-03-12T00:01:56Z", "2026-3-12T00:01:56Z",
		"2026-03-12T00:01:56", "3/12/2026 12:01:56 AM", "", "Z", "2026-03-12T00:01:56ZZ",
	} {
		if checkZulu(t, s) {
			taken++
		}
	}
	// Random texts near the form: digits, separators and fractions
	// varied one place at a time.
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "0123456789-T:.Z+ z9"
	for range 200000 {
		b := []byte(fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", r.IntN(10000), r.IntN(14), r.IntN(33), r.IntN(26), r.IntN(62), r.IntN(62)))
		if r.IntN(2) == 0 {
			b = append(b, '.')
			for range r.IntN(12) {
				b = append(b, byte('0'+r.IntN(10)))
			}
		}
		b = append(b, 'Z')
		if r.IntN(4) == 0 {
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		}
		if checkZulu(t, string(b)) {
			taken++
		}
	}
	if taken < 50000 {
		t.Errorf("appendZulu took only %d texts: the test no longer checks what it writes", taken)
	}
}

// TestCanonicalIPv4IsNetip checks canonicalIPv4 against netip: every text
// it takes, netip parses as IPv4 and writes back the same; and every
// dotted quad netip writes, it takes.
func TestCanonicalIPv4IsNetip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	taken := 0
	alphabet := "0123456789.:a "
	for range 300000 {
		var s string
		if r.IntN(2) == 0 {
			s = fmt.Sprintf("%d.%d.%d.%d", r.IntN(280), r.IntN(260), r.IntN(260), r.IntN(270))
			if r.IntN(8) == 0 {
				s = "0" + s
			}
		} else {
			b := make([]byte, r.IntN(17))
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			s = string(b)
		}
		a, err := netip.ParseAddr(s)
		want := err == nil && a.Is4() && a.String() == s
		if got := canonicalIPv4(s); got != want {
			t.Fatalf("canonicalIPv4(%q) = %v; netip: parsed %v (err %v), writes %q", s, got, a, err, a.String())
		}
		if want {
			taken++
		}
	}
	for _, s := range []string{"0.0.0.0", "255.255.255.255", "10.0.0.1", "1.2.3.04", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.256", "::1", "1.2.3.4%x"} {
		a, err := netip.ParseAddr(s)
		if got, want := canonicalIPv4(s), err == nil && a.Is4() && a.String() == s; got != want {
			t.Errorf("canonicalIPv4(%q) = %v, want %v", s, got, want)
		}
	}
	if taken < 50000 {
		t.Errorf("only %d addresses taken: the test no longer checks the fast path", taken)
	}
}

// TestPutEventTypeIsToLower checks putEventType's event.type against the
// pipelines' rule on the lowered category, for categories of every length
// around the names', ASCII or not.
func TestPutEventTypeIsToLower(t *testing.T) {
	want := map[string]string{"write": `["change"]`, "action": `["change"]`, "read": `["access"]`, "delete": `["deletion"]`}
	for _, c := range []string{"Write", "WRITE", "write", "Action", "ACTİON", "Read", "rEaD", "Delete", "DELETE",
		"Administrative", "Writes", "Actions", "Deleted", "Policy", "", "Ｗrite", "\u212Aelete", "ActİonX", "ReadWrite"} {
		f := &fastDoc{}
		f.reset(nil)
		f.putEventType(c)
		got := ""
		if len(f.ents) == 1 {
			got = string(f.arena[f.ents[0].s:f.ents[0].e])
		}
		if w := want[strings.ToLower(c)]; got != w {
			t.Errorf("putEventType(%q) put %q, want %q", c, got, w)
		}
	}
}
