// Package bulk is an Elasticsearch-compatible ingest API for `vigil serve`:
// the part of Elasticsearch's HTTP interface that log shippers use to index
// events, so that Filebeat, Elastic Agent, Logstash and rsyslog's
// omelasticsearch ship to Vigil without changes. Point their Elasticsearch
// output at the address `vigil serve` listens on:
//
//	# filebeat.yml (Elastic Agent: an Elasticsearch output with the same hosts)
//	output.elasticsearch:
//	  hosts: ["https://vigil.example:9200"]
//	  api_key: "id:key"                # sent as ApiKey base64(id:key); or username/password
//	  compression_level: 1             # gzip request bodies are fine
//	  ssl.certificate_authorities: ["/etc/filebeat/vigil-ca.pem"]
//
//	# logstash.conf
//	output { elasticsearch { hosts => ["https://vigil.example:9200"] user => "logstash" password => "..." } }
//
//	# rsyslog
//	action(type="omelasticsearch" server="vigil.example" serverport="9200"
//	       searchIndex="logs-syslog-default" bulkmode="on" esVersion.major="8")
//
// The Input is both an http.Handler (the serve command mounts it on its own
// HTTP server, TLS included; ServeTLS serves it alone) and a source.Source.
// It answers:
//
//   - GET and HEAD /: the cluster information shippers read the version
//     from. Every response carries "X-Elastic-Product: Elasticsearch", which
//     the official clients require.
//   - POST|PUT /_bulk and /<index>/_bulk: NDJSON action/metadata lines.
//     index and create (with _index, _id, pipeline) deliver their document;
//     delete and update are refused per item, as Vigil stores no documents.
//     The index in the path is the default _index.
//   - POST /<index>/_doc, PUT|POST /<index>/_doc/<id> and
//     /<index>/_create/<id>: one document.
//   - the probes shippers send at startup, answered with plausible success
//     and without effect: GET /_license, /_xpack, /_nodes,
//     /_cluster/health; GET|HEAD|PUT /_index_template/<name>, /_template/<name>,
//     /_component_template/<name>, /_ilm/policy/<name>,
//     /_ingest/pipeline/<id>, /_data_stream/<name> and /<index>; GET|HEAD
//     /_alias/<name>. Templates, policies, pipelines and indices all "exist".
//
// A request becomes one source.Batch whose records carry the document as
// sent, the item's index, the _id the sender chose (which then identifies the
// event in alert ids) and an origin "bulk <remote address> item <n>".
// The response is written only once the batch is acknowledged, that is once
// every alert it caused is stored: a created item per document, or, when
// the acknowledgement fails or the input is not running, 503 for the whole
// request so that the shipper sends it again. Malformed lines (not JSON, an
// unknown action, a document that is not a JSON object, a missing document
// line) get a per-item 400 error that names the line; they are counted and
// do not hold back the valid items. Bodies may be gzip-compressed; a body
// larger than MaxBodyBytes, compressed or not, is refused with 413.
//
// Not supported: reading anything back (search, get, mget, scroll),
// delete and update, ingest pipelines (a pipeline parameter is accepted but
// not run: documents reach the engine as the shipper sent them, so ship raw
// records, not Filebeat module output that needs Elasticsearch's pipelines),
// date math in index names (passed on verbatim), filter_path (the full
// response is always sent), sniffing beyond one node, and index name
// validation. The _id of an item is reported back but not passed to the
// engine.
package bulk
