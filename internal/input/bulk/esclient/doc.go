// Package esclient holds no code, only tests: the ingest API of
// internal/input/bulk driven by the official Elasticsearch Go client and its
// bulk indexer, as shippers written against it drive it.
//
// They live in their own package so that the bulk package's own tests and
// its fuzz targets build without compiling that client, which takes
// minutes on a small machine.
package esclient
