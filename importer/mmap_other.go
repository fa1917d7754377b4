//go:build !unix

package importer

import (
	"errors"
	"os"
)

// mmapRegion is not available on this platform; external data is read.
func mmapRegion(f *os.File, offset, length int64) ([]byte, error) {
	return nil, errors.New("memory mapping not supported")
}
