// Package rules holds Vigil's built-in rule pack: detection rules written
// for Vigil (Apache-2.0) in Elastic's TOML rule format, embedded in the
// binary.
package rules

import "embed"

// FS holds the pack's rule files.
//
//go:embed azure
var FS embed.FS
