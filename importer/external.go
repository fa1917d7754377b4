package importer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/tensor"
)

// mmapThreshold is the size above which external data is memory-mapped
// instead of read.
const mmapThreshold = 1 << 20

// externalRef is the parsed external_data of a TensorProto.
type externalRef struct {
	location string
	offset   int64
	length   int64 // -1: to the end of the file
}

func parseExternal(tp *onnxpb.TensorProto) (externalRef, error) {
	ref := externalRef{length: -1}
	for _, kv := range tp.ExternalData {
		k, v := kv.GetKey(), kv.GetValue()
		switch k {
		case "location":
			ref.location = v
		case "offset", "length":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return ref, fmt.Errorf("external data: bad %s %q", k, v)
			}
			if k == "offset" {
				ref.offset = n
			} else {
				ref.length = n
			}
		case "checksum":
			// Not verified.
		default:
			// Unknown keys are ignored, as the format allows.
		}
	}
	if ref.location == "" {
		return ref, fmt.Errorf("external data has no location")
	}
	return ref, nil
}

// resolveExternalPath checks that location names a file inside baseDir,
// after following symbolic links, and returns its path.
func resolveExternalPath(baseDir, location string) (string, error) {
	if baseDir == "" {
		baseDir = "."
	}
	if strings.ContainsRune(location, 0) {
		return "", fmt.Errorf("external data location %q contains a NUL byte", location)
	}
	if filepath.IsAbs(location) || strings.HasPrefix(location, "/") || strings.HasPrefix(location, `\`) || filepath.VolumeName(location) != "" {
		return "", fmt.Errorf("external data location %q is an absolute path", location)
	}
	clean := filepath.Clean(filepath.FromSlash(location))
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("external data location %q escapes the model folder", location)
	}
	full := filepath.Join(baseDir, clean)
	realBase, err := filepath.EvalSymlinks(baseDir)
	if err != nil {
		return "", fmt.Errorf("external data folder: %w", err)
	}
	realBase, err = filepath.Abs(realBase)
	if err != nil {
		return "", fmt.Errorf("external data folder: %w", err)
	}
	realFull, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", fmt.Errorf("external data %q: %w", location, err)
	}
	realFull, err = filepath.Abs(realFull)
	if err != nil {
		return "", fmt.Errorf("external data %q: %w", location, err)
	}
	rel, err := filepath.Rel(realBase, realFull)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("external data location %q resolves to %s, outside the model folder %s", location, realFull, realBase)
	}
	return realFull, nil
}

// readExternal loads the elements of an external-data tensor.
func readExternal(tp *onnxpb.TensorProto, dt tensor.DType, shape []int, n int, baseDir string) (*tensor.Tensor, error) {
	ref, err := parseExternal(tp)
	if err != nil {
		return nil, err
	}
	path, err := resolveExternalPath(baseDir, ref.location)
	if err != nil {
		return nil, err
	}
	want := int64(n) * int64(dt.Size())
	if isSubByte(dt) {
		want = int64(packedLen(dt, n))
	}
	if ref.length >= 0 && ref.length != want {
		return nil, fmt.Errorf("external data %q: length %d, but %s%v needs %d bytes", ref.location, ref.length, dt, shape, want)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("external data %q is not a regular file", ref.location)
	}
	if ref.offset > st.Size() || want > st.Size()-ref.offset {
		return nil, fmt.Errorf("external data %q: %d bytes at offset %d run past the end of the file (%d bytes)", ref.location, want, ref.offset, st.Size())
	}
	if want == 0 {
		return tensor.Alloc(dt, shape)
	}
	// Memory-map large plain regions; sub-byte and bool data need
	// rewriting, so they are always read.
	if want > mmapThreshold && !isSubByte(dt) && dt != tensor.Bool {
		if buf, err := mmapRegion(f, ref.offset, want); err == nil {
			return tensor.Wrap(dt, shape, buf)
		}
	}
	buf := make([]byte, want)
	if _, err := f.ReadAt(buf, ref.offset); err != nil && !(errors.Is(err, io.EOF) && int64(len(buf)) == want) {
		return nil, fmt.Errorf("external data %q: %w", ref.location, err)
	}
	return fromRaw(dt, shape, n, buf)
}
