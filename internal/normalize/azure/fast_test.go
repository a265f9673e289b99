package azure

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// slowActivity is the general path: decode, map, encode.
func slowActivity(t testing.TB, raw []byte) ([]byte, bool) {
	rec, err := event.New(raw, nil).Map()
	if err != nil {
		return nil, false
	}
	doc, _, err := Activity(rec, raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := event.AppendJSON(nil, doc)
	if err != nil {
		t.Fatal(err)
	}
	return out, true
}

// fastCases are records that exercise the byte-level path's corners
// (escapes, repeated keys, nested values, odd types) beside the real ones.
var fastCases = []string{
	`{"time":"2026-03-14T08:00:00Z","operationName":"A","category":"Write","resultType":"Failure","durationMs":"12","Level":4,"level":"Error","properties":{"statusMessage":{"b":1,"a":[1,{"z":null,"y":"\u00e9\/"}]},"statusCode":"Conflict","serviceRequestId":null,"x":"a\"b","x":"last","policies":[]}}`,
	`{"time":"bad","operationName":"A","resourceId":"/tenants/0d6f1a2b-1111-4c3d-9e8f-000000000101/providers/Microsoft.aadiam","identity":"svc","callerIpAddress":"not-an-ip","durationMs":1.5,"properties":{"eventCategory":5,"policies":null}}`,
	`{"operationName":"A","time":"2026-03-14T08:00:00Z","identity":{"authorization":{"action":null,"scope":{"b":2,"a":1},"evidence":{"principalId":"p","roleAssignmentId":"r","a.b":1}},"claims":{"name":5,"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":"no-at-sign","a.b":"x","c":[1,2]}}}`,
	`{"operationName":"A","time":"2026-03-14T08:00:00Z","identity":{"claims":{"a.b":"x","a_b":"y"}}}`,
	`{"operationName":"A","operationName":"B","time":"2026-03-14T08:00:00Z"}`,
	`{"operati\u006fnName":"A","time":"2026-03-14T08:00:00Z"}`,
	`{"operationName":"A","time":"2026-03-14T08:00:00Z","properties":"{\"statusCode\":\"OK\"}"}`,
	`{"operationName":"A","time":"2026-03-14T08:00:00Z","properties":{"responseBody":"{\"a\":1}"}}`,
	`{"operationName":"A","time":"2026-03-14T08:00:00Z","properties":{"statusCode":"OK","status_code":"x"}}`,
	`{"operationName":"A","time":"2026-03-14T08:00:00Z","properties":{"eventCategory":"Policy","eventCategory":7}}`,
	`{"operationName":"A","time":"2026-03-14T08:00:00Z","properties":{"k\u0041":"v","\u2028":"\u2029 ` + "\u2028" + `"}}`,
	` { "operationName" : "A" , "time" : "2026-03-14T08:00:00Z" , "properties" : { "a" : [ 1 , 2 ] , "b" : { } } , "":"", "category":"Administrative" } `,
	`{"operationName":"A","Level":"4","durationMs":"x","callerIpAddress":""}`,
	`{"category":"Administrative"}`,
	`{}`,
	// Escaped top-level strings (JSON exports may write "\/" for "/"):
	// put decoded, never as the record's text.
	`{"time":"2026-03-14T08:00:00Z","resourceId":"\/SUBSCRIPTIONS\/3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F\/RESOURCEGROUPS\/RG\/PROVIDERS\/MICROSOFT.COMPUTE\/VIRTUALMACHINES\/VM-1","operationName":"MICROSOFT.COMPUTE\/VIRTUALMACHINES\/WRITE","operationVersion":"2\u00301","category":"Writ\u0065","resultType":"Succ\u0065ss","resultSignature":"Started\u002e","correlationId":"c\u002d1","tenantId":"t\"1","level":"\u0045rror","location":"west\u0065urope"}`,
	`{ "time" : "2026-03-14T08:00:00Z", "resourceId" : "\/subscriptions\/3f2b8c1d-5e6a-4b7c-8d9e-0a1b2c3d4e5f", "operationName" : "A\/B", "category" : "R\u0065ad", "resultType" : "F\u0061ilure", "level" : "\u0049nformational" }`,
}

// TestAppendActivityIsActivity: the byte-level path writes, byte for
// byte, what the general path (decode, Activity, encode) does, on every
// activity record of the sample and of Elastic's pipeline tests and on
// corner cases; when it declines, the general path takes the record.
func TestAppendActivityIsActivity(t *testing.T) {
	recs := rawRecords(t)
	for _, c := range fastCases {
		recs = append(recs, []byte(c))
	}
	fast := 0
	for _, raw := range recs {
		want, valid := slowActivity(t, raw)
		if !valid {
			continue
		}
		rec, _ := event.New(raw, nil).Map()
		got, _, ok, notActivity := AppendActivity(nil, raw, Options{}, false)
		if notActivity != !HasRecordField(rec) {
			t.Errorf("%s: notActivity %v, HasRecordField %v", raw, notActivity, HasRecordField(rec))
		}
		_, _, _, notStrict := AppendActivity(nil, raw, Options{}, true)
		if notStrict && IsActivity(rec) {
			t.Errorf("%s: refused as not raw Azure in strict mode", raw)
		}
		if !ok || notActivity {
			continue
		}
		fast++
		if !bytes.Equal(got, want) {
			t.Errorf("byte-level path differs:\nrecord: %s\ngot:  %s\nwant: %s", raw, got, want)
		}
		if !json.Valid(got) {
			t.Errorf("%s: not valid JSON: %s", raw, got)
		}
	}
	if fast < len(recs)/2 {
		t.Errorf("the byte-level path took only %d of %d records", fast, len(recs))
	}
	t.Logf("byte-level path: %d of %d records", fast, len(recs))
}

// FuzzAppendActivity: on any valid record, the byte-level path declines
// or writes exactly what the general path does.
func FuzzAppendActivity(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if event.New(raw, nil).Err() != nil {
			return
		}
		want, valid := slowActivity(t, raw)
		if !valid {
			return
		}
		got, _, ok, notActivity := AppendActivity(nil, raw, Options{}, false)
		if ok && !notActivity && !bytes.Equal(got, want) {
			t.Fatalf("differs:\ngot:  %s\nwant: %s", got, want)
		}
	})
}

func BenchmarkAppendActivity(b *testing.B) {
	raw := []byte(`{"time":"2026-03-14T09:01:02.1234567Z","resourceId":"/SUBSCRIPTIONS/3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F/RESOURCEGROUPS/PROD-APP-RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/WEB-VM-01","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","category":"Administrative","resultType":"Success","resultSignature":"Succeeded.","durationMs":0,"callerIpAddress":"203.0.113.45","correlationId":"4c2f9a1e-7b3d-4e5f-a6b7-c8d9e0f1a2b3","identity":{"authorization":{"scope":"/subscriptions/x","action":"Microsoft.Compute/virtualMachines/runCommand/action","evidence":{"role":"Virtual Machine Contributor","principalType":"User","principalId":"a1b2"}},"claims":{"name":"Jane Doe","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":"jane.doe@contoso.example","ipaddr":"203.0.113.45"}},"level":"Information","location":"westeurope","properties":{"eventCategory":"Administrative","statusCode":"OK"}}`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		var ok bool
		buf, _, ok, _ = AppendActivity(buf[:0], raw, Options{}, true)
		if !ok {
			b.Fatal("declined")
		}
	}
}

func TestFastKeyIndex(t *testing.T) {
	for i, k := range fastKeys {
		if j, ok := fastKeyIndex(k); !ok || j != i {
			t.Errorf("fastKeyIndex(%q) = %d, %v; want %d", k, j, ok, i)
		}
	}
	for _, k := range []string{"", "Time", "resourceID", "properties ", "levels"} {
		if j, ok := fastKeyIndex(k); ok {
			t.Errorf("fastKeyIndex(%q) = %d, want none", k, j)
		}
	}
}

// TestResetNilClearsSpareRoom: a writer going back to the pool (reset of
// no record) keeps no string of the records it wrote in its buffers'
// spare room, whichever record count it stops at (reset clears them only
// every clearEvery records otherwise).
func TestResetNilClearsSpareRoom(t *testing.T) {
	raw := []byte(`{"time":"2026-03-14T08:00:00Z","operationName":"A","identity":{"claims":{"a.b":"x","c":"y"}},"properties":{"k":"v","m":{"n":1}}}`)
	for _, n := range []int{1, clearEvery - 1, clearEvery + 3} {
		f := &fastDoc{}
		for range n {
			f.reset(raw)
			if !f.activity(false) {
				t.Fatal("the byte-level path declined the record")
			}
			f.kvs = append(f.kvs, tkv{key: "k", raw: "k"})
			f.seen = append(f.seen[:0], "s")
			f.tmp = append(f.tmp[:0], kv{key: "t"})
		}
		f.reset(nil)
		for _, k := range f.kvs[:cap(f.kvs)] {
			if k != (tkv{}) {
				t.Fatalf("after %d records: kvs keeps %+v", n, k)
			}
		}
		for _, s := range f.seen[:cap(f.seen)] {
			if s != "" {
				t.Fatalf("after %d records: seen keeps %q", n, s)
			}
		}
		for _, s := range f.entities[:cap(f.entities)] {
			if s != "" {
				t.Fatalf("after %d records: entities keeps %q", n, s)
			}
		}
		for _, x := range f.tmp[:cap(f.tmp)] {
			if x != (kv{}) {
				t.Fatalf("after %d records: tmp keeps %+v", n, x)
			}
		}
	}
}
