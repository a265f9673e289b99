package azure

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// writeWith writes raw as one writer does across records (f keeps its
// runs), after the check, as the pipelines call it.
func writeWith(f *fastDoc, raw []byte, s Stream) ([]byte, bool) {
	f.reset(raw)
	f.check()
	out, _, ok := f.appendStream(nil, s, Options{})
	f.reset(nil)
	return out, ok
}

// writeFresh writes raw with a writer that has read no record before:
// no run to take.
func writeFresh(raw []byte, s Stream) ([]byte, bool) {
	return writeWith(&fastDoc{}, raw, s)
}

// runRecord is a sign-in or audit record whose members vary from one
// call to the next in the ways a run must notice: a member more or
// fewer, a key that differs in one byte, in case, by an escape, repeated,
// spelt two ways that one name, nested objects of each kind.
func runRecord(r *rand.Rand, audit bool) string {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var b strings.Builder
	member := func(k, v string) {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "{") {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", k, v)
	}
	keys := func(prefix string, n int) {
		for i := range n {
			k := fmt.Sprintf("%s%d", prefix, i)
			if r.IntN(20) == 0 {
				// One byte other, at the key's start, middle or end, at
				// every length a word compare splits differently.
				k = pick("a", "ab", "abc", "abcd", "abcdefg", "abcdefgh", "abcdefghijklmno", "abcdefghijklmnop", "abcdefghijklmnopqrstuvwxyz0123", "abcdefghijklmnopqrstuvwxyz01234")
				p := r.IntN(len(k))
				k = k[:p] + string(rune('A'+r.IntN(3))) + k[p+1:]
			}
			member(k, pick(`"v"`, `""`, `1`, `null`, `true`, `"\u00e9"`))
		}
	}
	b.WriteByte('{')
	if audit {
		member("category", `"AuditLogs"`)
	} else {
		member("category", `"SignInLogs"`)
	}
	member("time", `"2026-03-14T08:00:00Z"`)
	keys("k", r.IntN(14))
	switch r.IntN(24) {
	case 0, 5, 6, 7, 8, 9, 10:
		member("tenantId", `"t"`)
	case 1:
		member("tenantId", `"t"`)
		member("tenantId", `"u"`) // repeated
	case 2:
		member("TenantId", `"t"`) // case
	case 3:
		b.WriteString(`,"tenant\u0049d":"t"`) // escaped
	case 4:
		member("tenant_id", `"t"`)
		member("tenantId", `"u"`) // one name, two spellings
	}
	b.WriteString(`,"properties":{`)
	keys("k", r.IntN(16))
	member("userId", pick(`"u"`, `null`, `""`))
	if r.IntN(2) == 0 {
		member("status", pick(`{"errorCode":0}`, `{"errorCode":50053,"failureReason":"bad"}`, `{"errorCode":0}`, `{"errorCode":50053,"failureReason":"bad"}`, `{"errorCode":1,"additionalDetails":"d","failureReason":"r"}`, `{"errorCode":0,"ErrorCode":1}`, `{}`))
	}
	if r.IntN(2) == 0 {
		member("deviceDetail", pick(`{"deviceId":"","operatingSystem":"W","browser":"E"}`, `{"deviceId":"d","browser":"E","operatingSystem":"W"}`, `{"deviceId":"","operatingSystem":"W","browser":"E"}`, `{"deviceId":"d","browser":"E","operatingSystem":"W"}`, `{"deviceId":"a","device_id":"b"}`, `{"deviceId":"a","deviceId":"b"}`, `{"device\u0049d":"a"}`, `{"DeviceId":"a","x":{"yZ":null}}`))
	}
	if r.IntN(2) == 0 {
		member("location", pick(`{"city":"c","state":"s","geoCoordinates":{"latitude":1,"longitude":2}}`, `{"city":"c","state":"s","geoCoordinates":{"latitude":1,"longitude":2}}`, `{"city":"c","State":"s"}`, `{"state":"s","city":"c"}`))
	}
	if audit && r.IntN(2) == 0 {
		member("initiatedBy", pick(`{"user":{"id":"u","userPrincipalName":"a@b"}}`, `{"app":{"servicePrincipalId":"s"}}`))
		member("targetResources", pick(`[{"id":"t","type":"User","modifiedProperties":[{"displayName":"d","oldValue":"1","newValue":"2"}]}]`, `[{"id":"t"},{"id":"u","type":"Group"}]`))
	}
	keys("z", r.IntN(4))
	b.WriteString("}}")
	if r.IntN(6) == 0 {
		// Blanks between tokens: objects read member by member, the
		// large ones' keys compared with the runs' (sameRun).
		return strings.ReplaceAll(b.String(), `,"`, `, "`)
	}
	return b.String()
}

// TestRunsFollowRecords: one writer across records whose objects differ
// from the last records' in the ways runRecord varies them (and records
// of another stream between them, with the same keys in another key
// mode) writes and declines every record as a writer with no runs does,
// and what it writes is the general path's.
func TestRunsFollowRecords(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 22))
	f := &fastDoc{}
	taken, n := 0, 0
	for i := range 3000 {
		audit := r.IntN(3) == 0
		raw := []byte(runRecord(r, audit))
		s := SignInLogs
		if audit {
			s = AuditLogs
		}
		// Now and then the same record again, and again after a change:
		// runs met twice.
		for rep := range 1 + r.IntN(2) {
			got, ok := writeWith(f, raw, s)
			want, wantOK := writeFresh(raw, s)
			if ok != wantOK || !bytes.Equal(got, want) {
				t.Fatalf("record %d.%d: with runs %v, without %v:\n%s\n%s", i, rep, ok, wantOK, raw, firstDifference(got, want))
			}
			n++
			if !ok {
				continue
			}
			taken++
			if slow, valid := slowStream(t, s, raw); !valid || !bytes.Equal(got, slow) {
				t.Fatalf("record %d: the general path differs (valid %v):\n%s\n%s", i, valid, raw, firstDifference(got, slow))
			}
		}
	}
	if taken < n/3 {
		t.Errorf("the writers took %d of %d records: the cases miss the runs", taken, n)
	}
}

// TestRunsTakeSameKeys: records with the same keys in the same order as
// the record before take their runs (no key named, no table filled), and
// a record that differs in one key's byte, its case or an escape, or
// repeats a key, does not take the run but is written as a record of its
// own.
func TestRunsTakeSameKeys(t *testing.T) {
	base := `{"category":"SignInLogs","time":"2026-03-14T08:00:00Z","tenantId":"t","properties":{"userId":"u","appId":"a","KEY":"v","processingTimeInMilliseconds":5,"deviceDetail":{"deviceId":"d","browser":"b"}}}`
	variants := []string{
		strings.Replace(base, `"KEY"`, `"KEZ"`, 1),
		strings.Replace(base, `"KEY"`, `"kEY"`, 1),
		strings.Replace(base, `"KEY"`, `"KE\u0059"`, 1),
		strings.Replace(base, `"KEY":"v"`, `"KEY":"v","KEY":"w"`, 1),
		strings.Replace(base, `"KEY":"v",`, ``, 1),
		strings.Replace(base, `"processingTimeInMilliseconds"`, `"processingTimeInMillisecondz"`, 1),
		strings.Replace(base, `"processingTimeInMilliseconds"`, `"processingTimeInMillisecondsX"`, 1),
		strings.Replace(base, `"browser":"b"`, `"browser":"b","Browser":"c"`, 1),
		strings.Replace(base, `"browser"`, `"browseR"`, 1),
		strings.Replace(base, `"userId":"u"`, `"userId":"u","user_id":"v"`, 1),
		strings.Replace(base, `"deviceId":"d"`, `"deviceId":"d","device_id":"e"`, 1),
	}
	f := &fastDoc{}
	for _, v := range variants {
		for _, raw := range []string{base, base, v, v, base} {
			got, ok := writeWith(f, []byte(raw), SignInLogs)
			want, wantOK := writeFresh([]byte(raw), SignInLogs)
			if ok != wantOK || !bytes.Equal(got, want) {
				t.Fatalf("with runs %v, without %v:\n%s\n%s", ok, wantOK, raw, firstDifference(got, want))
			}
		}
	}
	// The base record twice in a row: its objects' slots hold runs, and
	// the second record took them (the run met last is the one taken).
	writeWith(f, []byte(base), SignInLogs)
	f.reset([]byte(base))
	f.check()
	if _, _, ok := f.appendStream(nil, SignInLogs, Options{}); !ok {
		t.Fatal("the base record declined")
	}
	if f.nrun < 3 {
		t.Fatalf("%d objects read in slots, want 3 or more", f.nrun)
	}
	for i := range f.nrun {
		sl := f.runs[i]
		if r := &sl.runs[sl.last]; !r.ok {
			t.Errorf("slot %d: no run", i)
		}
	}
}

// TestRunKeyDiff: runKeyDiff is zero exactly when the keys' bytes are
// the same, for every length a word compare splits differently and a
// difference at every byte.
func TestRunKeyDiff(t *testing.T) {
	if !wordAccess {
		t.Skip("no word access")
	}
	for n := 0; n <= 40; n++ {
		key := make([]byte, n)
		for i := range key {
			key[i] = byte('a' + i%26)
		}
		// The record's key, followed by what follows one in a record;
		// the run's copy, followed by runPad bytes.
		rec := append(append([]byte(`"`), key...), `":1}`...)
		run := append(append([]byte(nil), key...), make([]byte, runPad)...)
		// The bytes after the keys differ: runKeyDiff must not look.
		run[n] = 0xff
		if d := runKeyDiff(ptr(rec[1:]), ptr(run), n); d != 0 {
			t.Fatalf("n=%d: same keys differ (%#x)", n, d)
		}
		for i := range n {
			run[i] ^= 0x20
			if runKeyDiff(ptr(rec[1:]), ptr(run), n) == 0 {
				t.Fatalf("n=%d: byte %d differs, not told", n, i)
			}
			run[i] ^= 0x20
		}
	}
}

// TestRunsKeyModesAndBlanks: records of two streams with the same keys
// (the sign-in writer names them in snake case, the audit writer keeps
// them as they are) take no run of the other's key mode; records with
// blanks between tokens (read member by member) take a large object's
// table only when its keys are the run's, in number, length and bytes.
func TestRunsKeyModesAndBlanks(t *testing.T) {
	top := `"time":"2026-03-14T08:00:00Z","durationMs":5,"tenantId":"t","correlationId":"c","aOne":1,"aTwo":2,"aThree":3,"aFour":4,"aFive":5,"aSix":6,"aSeven":7,"aEight":8,"aNine":9,"aTen":10,"properties":{"resultReason":"r","activityDisplayName":"x","p1":1,"p2":2,"p3":3,"p4":4,"p5":5,"p6":6,"p7":7,"p8":8,"p9":9,"pTen":10,"userAgent":"ua"}}`
	signIn := `{"category":"SignInLogs",` + top
	audit := `{"category":"AuditLogs",` + top
	blank := func(s string) string { return strings.ReplaceAll(s, `,"`, `, "`) }
	var recs []string
	for _, v := range []string{
		audit,
		strings.Replace(audit, `"tenantId"`, `"tenantIe"`, 1),  // a byte of a key looked up
		strings.Replace(audit, `"tenantId"`, `"tenantIdd"`, 1), // its length
		strings.Replace(audit, `"durationMs":5,`, ``, 1),       // a member fewer, before keys looked up
		strings.Replace(audit, `"aTen":10,`, ``, 1),
		strings.Replace(audit, `"aTen":10,`, `"aTen":10,"aTen":11,`, 1), // a member more
		strings.Replace(audit, `"pTen"`, `"pTem"`, 1),
		strings.Replace(audit, `"p9":9,`, ``, 1),
		audit[:strings.Index(audit, `,"properties"`)] + "}", // the run's first members only
	} {
		recs = append(recs, signIn, audit, v, blank(v), blank(audit), v, signIn, blank(signIn), audit)
	}
	f := &fastDoc{}
	for _, raw := range recs {
		s := SignInLogs
		if strings.Contains(raw, "AuditLogs") {
			s = AuditLogs
		}
		got, ok := writeWith(f, []byte(raw), s)
		want, wantOK := writeFresh([]byte(raw), s)
		if ok != wantOK || !bytes.Equal(got, want) {
			t.Fatalf("%v: with runs %v, without %v:\n%s\n%s", s, ok, wantOK, raw, firstDifference(got, want))
		}
		if !ok && !strings.Contains(raw, `"aTen":11`) {
			t.Fatalf("%v declined:\n%s", s, raw)
		}
	}
}
