package normalize

import "testing"

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want Source
	}{
		{`{"@timestamp":"2026-01-01T00:00:00Z","event":{"action":"x"}}`, ECS},
		{`{"event.dataset":"azure.activitylogs"}`, ECS},
		{`{"time":"t","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE","resourceId":"/x"}`, AzureActivity},
		// A raw record a shipper stamped with @timestamp is still raw.
		{`{"@timestamp":"2026-01-01T00:00:00Z","operationName":"X","time":"t"}`, AzureActivity},
		// Keys inside nested values and strings do not count.
		{`{"a":{"operationName":"X"},"b":"\"operationName\":1","c":["@timestamp"]}`, Unknown},
		{`{"s":"a\\","event":{}}`, ECS}, // an escaped backslash ends the string
		{`{"s":"a\"operationName\":"}`, Unknown},
		{`{"unterminated`, Unknown},
		{`{}`, Unknown},
	} {
		if got := Detect([]byte(c.doc)); got != c.want {
			t.Errorf("Detect(%s) = %v, want %v", c.doc, got, c.want)
		}
	}
}
