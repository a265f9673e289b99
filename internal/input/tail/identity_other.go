//go:build !unix

package tail

import "io/fs"

const identitySupported = false

// identityOf needs device and inode numbers, which only Unix systems give;
// elsewhere New fails.
func identityOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }
