package train

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/onyxgo/onyx/tensor"
)

// counting is a dataset of n examples x = [i, i], y = i, that counts its
// Example calls.
type counting struct {
	n     int
	calls atomic.Int64
}

func (c *counting) Len() int { return c.n }
func (c *counting) Example(i int) (*tensor.Tensor, *tensor.Tensor, error) {
	c.calls.Add(1)
	return tensor.FromSlice([]float32{float32(i), float32(i)}, 2), tensor.Scalar(int64(i)), nil
}

func TestLoader(t *testing.T) {
	ds := &counting{n: 10}
	l := &Loader{Data: ds, BatchSize: 4, Shuffle: true, Seed: 3, Workers: 3, Prefetch: 2}
	if l.NumBatches() != 3 {
		t.Fatalf("%d batches", l.NumBatches())
	}
	epoch := func(e, skip int) ([]int64, []int) {
		var ys []int64
		var sizes []int
		for b, err := range l.Batches(context.Background(), e, skip) {
			if err != nil {
				t.Fatal(err)
			}
			if b.X.Dim(1) != 2 || b.X.Dim(0) != b.Y.Dim(0) {
				t.Fatalf("batch shapes %v %v", b.X.Shape(), b.Y.Shape())
			}
			for i, y := range b.Y.Int64s() {
				if b.X.Float32s()[2*i] != float32(y) {
					t.Fatal("inputs and targets out of step")
				}
			}
			ys = append(ys, b.Y.Int64s()...)
			sizes = append(sizes, b.X.Dim(0))
		}
		return ys, sizes
	}
	a, sizes := epoch(0, 0)
	if len(sizes) != 3 || sizes[2] != 2 {
		t.Fatalf("batch sizes %v", sizes)
	}
	sorted := append([]int64{}, a...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for i, v := range sorted {
		if v != int64(i) {
			t.Fatalf("epoch is not a permutation: %v", a)
		}
	}
	again, _ := epoch(0, 0)
	other, _ := epoch(1, 0)
	if !equalInt64(a, again) || equalInt64(a, other) {
		t.Fatalf("epoch orders: %v, %v, %v", a, again, other)
	}
	skipped, _ := epoch(0, 1)
	if !equalInt64(skipped, a[4:]) {
		t.Fatalf("skipping a batch gives %v, want %v", skipped, a[4:])
	}
	l.DropLast = true
	if _, sizes := epoch(0, 0); len(sizes) != 2 {
		t.Fatalf("DropLast sizes %v", sizes)
	}
	// Breaking out early stops the workers without leaking a batch.
	for range l.Batches(context.Background(), 0, 0) {
		break
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range l.Batches(ctx, 0, 0) {
		if err == nil {
			continue
		}
		if err != context.Canceled {
			t.Fatalf("cancelled loader: %v", err)
		}
	}
}

func equalInt64(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCacheAndSubset(t *testing.T) {
	ds := &counting{n: 5}
	c := Cache(ds)
	for k := 0; k < 3; k++ {
		for i := 0; i < 5; i++ {
			if _, y, err := c.Example(i); err != nil || y.Int64s()[0] != int64(i) {
				t.Fatal(err)
			}
		}
	}
	if n := ds.calls.Load(); n != 5 {
		t.Fatalf("%d calls through the cache, want 5", n)
	}
	s := Subset(c, []int{4, 1})
	x, y, err := batchOf(s, []int{1, 0})
	if err != nil || y.Int64s()[0] != 1 || y.Int64s()[1] != 4 || x.Dim(0) != 2 {
		t.Fatalf("subset batch %v %v", y, err)
	}
	td, _ := NewTensorDataset(tensor.FromSlice([]float32{0, 1, 2, 3, 4, 5}, 3, 2), tensor.FromSlice([]int64{7, 8, 9}, 3))
	x, y, _ = batchOf(td, []int{2, 0})
	if x.Float32s()[0] != 4 || x.Float32s()[3] != 1 || y.Int64s()[0] != 9 {
		t.Fatalf("tensor batch %v %v", x, y)
	}
	if _, err := NewTensorDataset(tensor.New(tensor.Float32, 3), tensor.New(tensor.Int64, 2)); err == nil {
		t.Fatal("row mismatch accepted")
	}
}

func TestKFold(t *testing.T) {
	folds, err := KFold(10, 3, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for f, fold := range folds {
		want := 3
		if f == 0 {
			want = 4
		}
		if len(fold[1]) != want || len(fold[0])+len(fold[1]) != 10 {
			t.Fatalf("fold %d sizes %d/%d", f, len(fold[0]), len(fold[1]))
		}
		in := map[int]bool{}
		for _, i := range fold[1] {
			seen[i]++
			in[i] = true
		}
		for _, i := range fold[0] {
			if in[i] {
				t.Fatalf("fold %d: example %d in both parts", f, i)
			}
		}
	}
	if len(seen) != 10 {
		t.Fatalf("validation folds cover %d examples", len(seen))
	}
	if _, err := KFold(3, 5, false, 0); err == nil {
		t.Fatal("5 folds of 3 accepted")
	}
	// Cross-validation and grid search on a closed-form score.
	mean, scores, err := CrossValidate(&counting{n: 9}, 3, 2, func(tr, val Dataset) (float64, error) {
		return float64(val.Len()), nil
	})
	if err != nil || mean != 3 || len(scores) != 3 {
		t.Fatalf("cross-validation %g %v %v", mean, scores, err)
	}
	best, all, err := GridSearch(map[string][]float64{"lr": {0.1, 0.01}, "wd": {0, 1, 2}}, func(p map[string]float64) (float64, error) {
		return (p["lr"]-0.01)*(p["lr"]-0.01) + (p["wd"]-1)*(p["wd"]-1), nil
	})
	if err != nil || len(all) != 6 || best.Params["lr"] != 0.01 || best.Params["wd"] != 1 {
		t.Fatalf("grid search %+v %v", best, err)
	}
	if all[0].Params["lr"] != 0.1 || all[1].Params["wd"] != 1 {
		t.Fatalf("grid order %+v", all)
	}
}

// idx builds an IDX file by hand.
func idx(code byte, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, code, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func TestReadIDX(t *testing.T) {
	u8, err := ReadIDX(bytes.NewReader(idx(0x08, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})))
	if err != nil || u8.DType() != tensor.Uint8 || u8.Dim(1) != 3 || u8.Bytes()[5] != 6 {
		t.Fatalf("uint8: %v %v", u8, err)
	}
	i32, err := ReadIDX(bytes.NewReader(idx(0x0C, []uint32{2}, []byte{0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe})))
	if err != nil || i32.Int32s()[0] != 258 || i32.Int32s()[1] != -2 {
		t.Fatalf("int32 big-endian: %v %v", i32, err)
	}
	for name, c := range map[string]struct {
		file []byte
		want string
	}{
		"magic":    {[]byte{1, 0, 8, 1, 0, 0, 0, 0}, "magic"},
		"type":     {idx(0x07, []uint32{1}, []byte{0}), "type"},
		"short":    {idx(0x08, []uint32{4}, []byte{1, 2}), "needs 4 bytes"},
		"trailing": {idx(0x08, []uint32{1}, []byte{1, 2}), "continues"},
		"dims":     {[]byte{0, 0, 8, 0}, "dims"},
		"huge":     {idx(0x08, []uint32{1 << 31, 1 << 31}, nil), "idx"},
	} {
		if _, err := ReadIDX(bytes.NewReader(c.file)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, c.want)
		}
	}
	// Gzip files, and MNIST checks of shapes and labels naming the file.
	dir := t.TempDir()
	write := func(name string, b []byte) {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(b)
		w.Close()
		os.WriteFile(filepath.Join(dir, name), z.Bytes(), 0o644)
	}
	write("t10k-images-idx3-ubyte.gz", idx(0x08, []uint32{2, 28, 28}, make([]byte, 2*28*28)))
	write("t10k-labels-idx1-ubyte.gz", idx(0x08, []uint32{2}, []byte{3, 11}))
	if _, err := MNIST(dir, false); err == nil || !strings.Contains(err.Error(), "t10k-labels") || !strings.Contains(err.Error(), "not a digit") {
		t.Fatalf("bad label: %v", err)
	}
	write("t10k-labels-idx1-ubyte.gz", idx(0x08, []uint32{3}, []byte{3, 1, 2}))
	if _, err := MNIST(dir, false); err == nil || !strings.Contains(err.Error(), "t10k-labels") {
		t.Fatalf("count mismatch: %v", err)
	}
	write("t10k-labels-idx1-ubyte.gz", idx(0x08, []uint32{2}, []byte{3, 1}))
	ds, err := MNIST(dir, false)
	if err != nil || ds.Len() != 2 || ds.X.Dim(1) != 1 || ds.Y.Int64s()[0] != 3 {
		t.Fatalf("small MNIST: %v", err)
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idx(0x08, []uint32{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(idx(0x0D, []uint32{1}, []byte{0x3f, 0x80, 0, 0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b))
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Shape() {
			n *= d
		}
		if want := 4 + 4*x.Rank() + n*x.DType().Size(); want != len(b) {
			t.Fatalf("accepted %d bytes for %s%v (%d expected)", len(b), x.DType(), x.Shape(), want)
		}
	})
}

func TestMNIST(t *testing.T) {
	dir, err := MNISTDir()
	if err != nil {
		t.Skip(err)
	}
	ds, err := MNIST(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 10000 || ds.X.Dim(2) != 28 {
		t.Fatalf("test split %v", ds.X.Shape())
	}
	// Each digit appears; the known class counts of the test split.
	counts := make([]int, 10)
	for _, y := range ds.Y.Int64s() {
		counts[y]++
	}
	want := []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	for i := range want {
		if counts[i] != want[i] {
			t.Fatalf("class counts %v, want %v", counts, want)
		}
	}
	var max float32
	for _, v := range ds.X.Float32s() {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %g outside [0, 1]", v)
		}
		max = maxf(max, v)
	}
	if max != 1 {
		t.Fatalf("brightest pixel %g", max)
	}
}

func maxf(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}
