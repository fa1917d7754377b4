//go:build unix

package importer

import (
	"os"
	"syscall"
)

// mmapRegion maps length bytes of f from offset, read-only. The mapping is
// never unmapped: tensors wrapping it may be shared and live as long as the
// program.
func mmapRegion(f *os.File, offset, length int64) ([]byte, error) {
	page := int64(os.Getpagesize())
	start := offset - offset%page
	skip := offset - start
	total := skip + length
	if total != int64(int(total)) {
		return nil, syscall.EINVAL
	}
	m, err := syscall.Mmap(int(f.Fd()), start, int(total), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return m[skip : skip+length : skip+length], nil
}
