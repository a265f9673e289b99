//go:build !(linux || darwin)

package rule

import "os"

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

func readPath(path string) ([]byte, bool, error) { return readPathOS(path) }
