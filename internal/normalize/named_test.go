package normalize

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNamedSourceSparseRecords: with the source named, a record without
// operationName is normalized as Elastic's integration does it; detected
// records (Auto, and Strict for callers that detect by operationName, as
// hunt and serve do) keep the strict test.
//
// The expected documents come from Elastic's pipeline tests
// (../shared/testdata/azure/integrations). The activity-log data stream's
// own ingest pipeline (default.yml) is not in the shared test data, so its
// processors are named by what the expected file shows:
//   - test-time-formats-corner-cases.log-expected.json, document 5: the
//     record {"time": "1/9/2007 10:41:00 AM +01:00", "category":
//     "Administrative"} becomes a document: @timestamp from time in the
//     M/d/yyyy h:mm:ss a XXX form (the date processor on time),
//     azure.activitylogs.category kept, azure.activitylogs.event_category
//     "Administrative" (the default when properties has no eventCategory
//     and no policies), event.kind "event", event.original the line, ecs
//     8.11.0.
//   - cloud.provider "azure": the shared pipeline's set processor
//     set_cloud_provider_136a398d (integrations-more/_dev/shared/
//     ingest_pipeline/azure-shared-pipeline.yml), also in every document
//     of that expected file.
//   - event.dataset, event.module, data_stream.*: constant_keyword fields
//     of the data stream (fields/base-fields.yml), which Vigil sets.
func TestNamedSourceSparseRecords(t *testing.T) {
	const sparse = `{"time": "1/9/2007 10:41:00 AM +01:00", "category": "Administrative"}`
	want := map[string]any{
		"@timestamp": "2007-01-09T09:41:00.000Z",
		"azure": map[string]any{"activitylogs": map[string]any{
			"category":       "Administrative",
			"event_category": "Administrative",
		}},
		"cloud":       map[string]any{"provider": "azure"},
		"data_stream": map[string]any{"dataset": "azure.activitylogs", "namespace": "default", "type": "logs"},
		"ecs":         map[string]any{"version": "8.11.0"},
		"event": map[string]any{
			"dataset":  "azure.activitylogs",
			"kind":     "event",
			"module":   "azure",
			"original": sparse,
		},
	}
	out, _, err := Normalize([]byte(sparse), AzureActivity, Options{})
	if err != nil {
		t.Fatalf("named source: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("named source: document differs from Elastic's (-want +got):\n%s", diff)
	}

	// Auto-detection is unchanged: without a top-level operationName the
	// record is not raw Azure, and passes through as it is.
	if got := Detect([]byte(sparse)); got != Unknown {
		t.Errorf("Detect(sparse) = %v, want unknown", got)
	}
	out, _, err = Normalize([]byte(sparse), Auto, Options{})
	if err != nil || !bytes.Equal(out, []byte(sparse)) {
		t.Errorf("auto: got %s, %v; want the record unchanged", out, err)
	}

	for _, c := range []struct {
		name, rec string
		src       Source
		opts      Options
		wantErr   string // "" means normalized
	}{
		// What auto-detection refuses, it still refuses.
		{"auto, operationName alone", `{"operationName":"X"}`, Auto, Options{}, "not an Azure activity-log record"},
		// hunt and serve detect by operationName, then name the source
		// with Strict: their records keep the auto-detection test.
		{"strict, operationName alone", `{"operationName":"X"}`, AzureActivity, Options{Strict: true}, "not an Azure activity-log record"},
		{"strict, time and category", sparse, AzureActivity, Options{Strict: true}, "not an Azure activity-log record"},
		{"strict, full record", `{"operationName":"X","time":"2026-03-14T09:00:00Z"}`, AzureActivity, Options{Strict: true}, ""},
		// Named: any record with a field of the activity-log schema.
		{"named, operationName alone", `{"operationName":"X"}`, AzureActivity, Options{}, ""},
		{"named, category alone", `{"category":"Administrative"}`, AzureActivity, Options{}, ""},
		// Named: a record with none (an ECS document sent to the wrong
		// place, an empty object) is refused, not turned into constants.
		{"named, ECS document", `{"@timestamp":"2026-03-14T09:00:00Z","event":{"action":"first"}}`, AzureActivity, Options{}, "not an Azure activity-log record"},
		{"named, empty object", `{}`, AzureActivity, Options{}, "not an Azure activity-log record"},
	} {
		_, _, err := Normalize([]byte(c.rec), c.src, c.opts)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v, want a document", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.wantErr)
		}
	}
}
