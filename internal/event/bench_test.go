package event

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// Measured on the shared 2-core amd64 box (Go 1.26, -benchtime=2s, -count=5),
// ratios of ns/op to the plain scan over the same 64 generated events:
//
//	(a) PlainScan                 1.00  (the baseline)
//	(b) ValuesSeedRule            RATIO_B  0 allocs/op
//	    ValuesEngineFields        RATIO_E  0 allocs/op (seed rule + what the engine reads)
//	    ValidateOnly              RATIO_V  0 allocs/op (no plan: the scan alone)
//	(c) EncodingJSON              RATIO_C  (json.Unmarshal into map[string]any)
//	    Map                       RATIO_M  (scan + the decode Get/Walk/Map use)
//
// Goal: (b) within 1.25x of (a).

// ecsEvents generates n realistic ECS Azure activity-log events (as Elastic's
// integration writes them, keys sorted, about 650 bytes each).
func ecsEvents(tb testing.TB, n int) [][]byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(7, 11))
	uuid := func() string {
		return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
	}
	ops := []string{
		"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION",
		"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE",
		"MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION",
		"MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE",
	}
	users := []string{"jane.doe@contoso.com", "ops-automation@contoso.com", "bob@fabrikam.example"}
	outcomes := []string{"success", "failure", "unknown"}
	out := make([][]byte, n)
	for i := range out {
		sub, op, user := uuid(), ops[r.IntN(len(ops))], users[r.IntN(len(users))]
		group := fmt.Sprintf("PROD-APP-RG-%d", r.IntN(100))
		vm := fmt.Sprintf("WEB-VM-%02d", r.IntN(100))
		doc := map[string]any{
			"@timestamp": fmt.Sprintf("2026-03-14T09:%02d:%02d.%03dZ", r.IntN(60), r.IntN(60), r.IntN(1000)),
			"azure": map[string]any{
				"activitylogs": map[string]any{
					"category":       "Administrative",
					"operation_name": op,
					"result_type":    "Success",
				},
				"resource": map[string]any{
					"group": group,
					"name":  vm,
				},
				"subscription_id": sub,
			},
			"data_stream": map[string]any{"dataset": "azure.activitylogs", "namespace": "default", "type": "logs"},
			"event": map[string]any{
				"action":   op,
				"dataset":  "azure.activitylogs",
				"duration": r.IntN(5000) * 1000000,
				"kind":     "event",
				"outcome":  outcomes[r.IntN(len(outcomes))],
				"type":     []string{"change"},
			},
			"source": map[string]any{"ip": fmt.Sprintf("203.0.113.%d", r.IntN(256))},
			"tags":   []string{"forwarded"},
			"user":   map[string]any{"name": user},
		}
		b, err := json.Marshal(doc)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// plainScan is the baseline: a minimal scan of the whole document, byte by
// byte, with no allocation, that returns the value of event -> dataset. It
// checks the structure but not the finer grammar of numbers and escapes.
func plainScan(d []byte) (dataset []byte, ok bool) {
	i, ok := plainObject(d, plainWS(d, 0), 0, &dataset)
	return dataset, ok && plainWS(d, i) == len(d)
}

func plainWS(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\n' || d[i] == '\t' || d[i] == '\r') {
		i++
	}
	return i
}

// plainString returns the end of the string whose quote is at i.
func plainString(d []byte, i int) (int, bool) {
	for i++; i < len(d); i++ {
		switch d[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return i, false
}

// plainObject scans the object at i; level 0 looks for "event", level 1 for
// "dataset", level 2 for nothing.
func plainObject(d []byte, i, level int, found *[]byte) (int, bool) {
	if i >= len(d) || d[i] != '{' {
		return i, false
	}
	i = plainWS(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return i, false
		}
		end, ok := plainString(d, i)
		if !ok {
			return end, false
		}
		key := d[i+1 : end-1]
		i = plainWS(d, end)
		if i >= len(d) || d[i] != ':' {
			return i, false
		}
		i = plainWS(d, i+1)
		next := 2
		switch {
		case level == 0 && string(key) == "event":
			next = 1
		case level == 1 && string(key) == "dataset" && i < len(d) && d[i] == '"':
			end, ok := plainString(d, i)
			if !ok {
				return end, false
			}
			*found = d[i+1 : end-1]
		}
		if i, ok = plainValue(d, i, next, found); !ok {
			return i, false
		}
		i = plainWS(d, i)
		if i >= len(d) {
			return i, false
		}
		switch d[i] {
		case ',':
			i = plainWS(d, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

func plainValue(d []byte, i, level int, found *[]byte) (int, bool) {
	if i >= len(d) {
		return i, false
	}
	switch d[i] {
	case '"':
		return plainString(d, i)
	case '{':
		return plainObject(d, i, level, found)
	case '[':
		i = plainWS(d, i+1)
		if i < len(d) && d[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = plainValue(d, i, 2, found); !ok {
				return i, false
			}
			i = plainWS(d, i)
			if i >= len(d) {
				return i, false
			}
			switch d[i] {
			case ',':
				i = plainWS(d, i+1)
			case ']':
				return i + 1, true
			default:
				return i, false
			}
		}
	default:
		start := i
		for i < len(d) && (d[i] >= '0' && d[i] <= '9' || d[i] >= 'a' && d[i] <= 'z' || d[i] == '-' || d[i] == '+' || d[i] == '.' || d[i] == 'E') {
			i++
		}
		return i, i > start
	}
}

func TestGeneratedEvents(t *testing.T) {
	p := planOf("event.dataset", "azure.activitylogs.operation_name", "event.outcome")
	total := 0
	for _, d := range ecsEvents(t, 64) {
		total += len(d)
		ds, ok := plainScan(d)
		e := New(d, p)
		if !ok || e.Err() != nil || string(ds) != "azure.activitylogs" || e.Values(0)[0].Str != string(ds) {
			t.Fatalf("plain scan %q %v, Values %v %v on %s", ds, ok, e.Values(0), e.Err(), d)
		}
		checkAgainstOracle(t, d, nil)
	}
	if avg := total / 64; avg < 600 || avg > 700 {
		t.Errorf("generated events average %d bytes, want about 650", avg)
	}
}

// benchDocs runs fn over the generated events, one per iteration.
func benchDocs(b *testing.B, fn func(doc []byte)) {
	docs := ecsEvents(b, 64)
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	b.SetBytes(int64(size / len(docs)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		fn(docs[i%len(docs)])
		i++
	}
}

var sinkLen int

func BenchmarkPlainScan(b *testing.B) {
	benchDocs(b, func(doc []byte) {
		ds, ok := plainScan(doc)
		if !ok {
			b.Fatal("plain scan failed")
		}
		sinkLen += len(ds)
	})
}

func BenchmarkValuesSeedRule(b *testing.B) {
	p := planOf("event.dataset", "azure.activitylogs.operation_name", "event.outcome")
	e := New(nil, p)
	benchDocs(b, func(doc []byte) {
		e.Reset(doc)
		sinkLen += len(e.Values(0)) + len(e.Values(1)) + len(e.Values(2))
	})
}

func BenchmarkValuesEngineFields(b *testing.B) {
	p := planOf("event.dataset", "azure.activitylogs.operation_name", "event.outcome",
		"data_stream.type", "data_stream.dataset", "data_stream.namespace", "agent.type", "agent.version",
		"@timestamp", "event.ingested")
	e := New(nil, p)
	benchDocs(b, func(doc []byte) {
		e.Reset(doc)
		for id := range FieldID(p.Len()) {
			sinkLen += len(e.Values(id))
		}
	})
}

func BenchmarkValidateOnly(b *testing.B) {
	e := New(nil, nil)
	benchDocs(b, func(doc []byte) {
		e.Reset(doc)
		if e.Err() != nil {
			b.Fatal(e.Err())
		}
	})
}

func BenchmarkEncodingJSON(b *testing.B) {
	benchDocs(b, func(doc []byte) {
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			b.Fatal(err)
		}
		sinkLen += len(m)
	})
}

func BenchmarkMap(b *testing.B) {
	e := New(nil, nil)
	benchDocs(b, func(doc []byte) {
		e.Reset(doc)
		m, err := e.Map()
		if err != nil {
			b.Fatal(err)
		}
		sinkLen += len(m)
	})
}
