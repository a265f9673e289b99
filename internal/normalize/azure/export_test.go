package azure

// Test helpers shared with the external tests (package azure_test), which
// drive the normalizer through package normalize, as the CLI does.
var (
	SharedDir = sharedDir
	Flatten   = flatten
	Ignored   = ignored
)
