package bulk

import (
	"net/http"
	"time"
)

// The answers to the requests shippers send at startup: enough of
// Elasticsearch's shape for them to go on, and no more. Filebeat and Elastic
// Agent read GET / (version), /_license, /_xpack (is ILM there?), then check
// with HEAD or GET whether their index template, ILM policy and ingest
// pipelines exist, installing them with PUT when not. Logstash reads GET /
// and HEAD / (health check), /_license and /_xpack, then checks its template
// and rollover alias. Everything exists here, and writes are acknowledged.

const (
	clusterName       = "vigil"
	clusterUUID       = "dmlnaWwtaW5nZXN0LWFwaQ"
	nodeID            = "dmlnaWwtbm9kZS0wMDAwMQ"
	buildHash         = "vigil"
	buildDate         = "2025-07-24T00:00:00.000000000Z"
	licenseUID        = "5e2d3b0a-6f1c-4c57-9d6b-7669676c0001"
	issueMillis int64 = 1704067200000 // 2024-01-01T00:00:00Z (int64: an int overflows on 32-bit builds)
)

func (in *Input) serveInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name":         clusterName,
		"cluster_name": clusterName,
		"cluster_uuid": clusterUUID,
		"version": map[string]any{
			"number":                              in.opts.Version,
			"build_flavor":                        "default",
			"build_type":                          "docker",
			"build_hash":                          buildHash,
			"build_date":                          buildDate,
			"build_snapshot":                      false,
			"lucene_version":                      "9.12.2",
			"minimum_wire_compatibility_version":  "7.17.0",
			"minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	})
}

func (in *Input) serveLicense(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"license": map[string]any{
		"status":               "active",
		"uid":                  licenseUID,
		"type":                 "basic",
		"issue_date":           time.UnixMilli(issueMillis).UTC().Format("2006-01-02T15:04:05.000Z"),
		"issue_date_in_millis": issueMillis,
		"max_nodes":            1000,
		"max_resource_units":   nil,
		"issued_to":            clusterName,
		"issuer":               "elasticsearch",
		"start_date_in_millis": -1,
	}})
}

func (in *Input) serveXPack(w http.ResponseWriter, r *http.Request) {
	feature := func(enabled bool) map[string]bool { return map[string]bool{"available": true, "enabled": enabled} }
	writeJSON(w, http.StatusOK, map[string]any{
		"build":   map[string]string{"hash": buildHash, "date": buildDate},
		"license": map[string]any{"uid": licenseUID, "type": "basic", "mode": "basic", "status": "active"},
		"features": map[string]any{
			"ilm":          feature(true),
			"data_streams": feature(true),
			"security":     feature(in.opts.Auth.Enabled()),
			"monitoring":   feature(false),
			"ml":           map[string]bool{"available": false, "enabled": false},
		},
		"tagline": "You know, for X",
	})
}

// serveNodes answers /_nodes and its filtered forms with this one node,
// reachable where the client reached it (what sniffing clients read).
func (in *Input) serveNodes(w http.ResponseWriter, r *http.Request) {
	var processors []map[string]string
	for _, t := range []string{"append", "date", "dissect", "geoip", "grok", "json", "remove", "rename", "set", "user_agent"} {
		processors = append(processors, map[string]string{"type": t})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"_nodes":       map[string]int{"total": 1, "successful": 1, "failed": 0},
		"cluster_name": clusterName,
		"nodes": map[string]any{nodeID: map[string]any{
			"name":         clusterName,
			"host":         r.Host,
			"version":      in.opts.Version,
			"build_flavor": "default",
			"build_type":   "docker",
			"build_hash":   buildHash,
			"roles":        []string{"data", "ingest", "master"},
			"attributes":   map[string]string{},
			"http":         map[string]any{"publish_address": r.Host, "bound_address": []string{r.Host}},
			"ingest":       map[string]any{"processors": processors},
		}},
	})
}

func (in *Input) serveHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"cluster_name":                     clusterName,
		"status":                           "green",
		"timed_out":                        false,
		"number_of_nodes":                  1,
		"number_of_data_nodes":             1,
		"active_primary_shards":            0,
		"active_shards":                    0,
		"relocating_shards":                0,
		"initializing_shards":              0,
		"unassigned_shards":                0,
		"delayed_unassigned_shards":        0,
		"number_of_pending_tasks":          0,
		"number_of_in_flight_fetch":        0,
		"task_max_waiting_in_queue_millis": 0,
		"active_shards_percent_as_number":  100.0,
	})
}

// serveTemplate answers GET of an index template (kind "_index_template"),
// a legacy template ("_template") or a component template, or their list
// when name is "".
func serveTemplate(w http.ResponseWriter, r *http.Request, kind, name string) {
	var body any
	switch kind {
	case "_index_template":
		list := []any{}
		if name != "" {
			list = append(list, map[string]any{"name": name, "index_template": map[string]any{
				"index_patterns": []string{name + "-*"},
				"template":       map[string]any{},
				"composed_of":    []string{},
			}})
		}
		body = map[string]any{"index_templates": list}
	case "_component_template":
		list := []any{}
		if name != "" {
			list = append(list, map[string]any{"name": name, "component_template": map[string]any{"template": map[string]any{}}})
		}
		body = map[string]any{"component_templates": list}
	default:
		m := map[string]any{}
		if name != "" {
			m[name] = map[string]any{
				"order": 0, "index_patterns": []string{name + "-*"},
				"settings": map[string]any{}, "mappings": map[string]any{}, "aliases": map[string]any{},
			}
		}
		body = m
	}
	writeJSON(w, http.StatusOK, body)
}

func (in *Input) servePolicy(w http.ResponseWriter, name string) {
	writeJSON(w, http.StatusOK, map[string]any{name: map[string]any{
		"version":       1,
		"modified_date": in.opts.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"policy": map[string]any{"phases": map[string]any{
			"hot": map[string]any{"min_age": "0ms", "actions": map[string]any{}},
		}},
	}})
}

func servePipeline(w http.ResponseWriter, id string) {
	writeJSON(w, http.StatusOK, map[string]any{id: map[string]any{
		"description": "accepted by Vigil, which does not run ingest pipelines",
		"processors":  []any{},
	}})
}

func serveDataStream(w http.ResponseWriter, name string) {
	writeJSON(w, http.StatusOK, map[string]any{"data_streams": []any{map[string]any{
		"name":            name,
		"timestamp_field": map[string]string{"name": "@timestamp"},
		"indices":         []any{},
		"generation":      1,
		"status":          "GREEN",
		"template":        name,
		"hidden":          false,
		"system":          false,
	}}})
}

func serveAlias(w http.ResponseWriter, index, alias string) {
	writeJSON(w, http.StatusOK, map[string]any{index: map[string]any{
		"aliases": map[string]any{alias: map[string]bool{"is_write_index": true}},
	}})
}

func serveIndex(w http.ResponseWriter, index string) {
	writeJSON(w, http.StatusOK, map[string]any{index: map[string]any{
		"aliases":  map[string]any{},
		"mappings": map[string]any{},
		"settings": map[string]any{"index": map[string]string{
			"number_of_shards": "1", "number_of_replicas": "0", "provided_name": index,
		}},
	}})
}
