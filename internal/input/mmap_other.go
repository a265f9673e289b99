//go:build !linux

package input

import (
	"errors"
	"os"
)

func mapFile(*os.File, int64) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapFile([]byte) {}

func dropPages([]byte) {}

func pageDown(n int) int { return n }
