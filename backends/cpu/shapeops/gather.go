package shapeops

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kdef("Gather", gather),
		kdef("GatherElements", gatherElements),
		kdef("GatherND", gatherND),
	)
}

// indexValues reads an index tensor and maps each value into [0, dim),
// counting negative values from the end; an index outside [-dim, dim) is an
// error naming it.
func indexValues(t *tensor.Tensor, dim int, what string) ([]int, error) {
	if t == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	if !t.DType().IsInt() {
		return nil, fmt.Errorf("%s must be an integer tensor, got %s", what, t.DType())
	}
	n := t.Len()
	out := make([]int, n)
	for i := 0; i < n; i++ {
		v := t.Int64At(i)
		if t.DType() == tensor.Uint64 && v < 0 {
			return nil, fmt.Errorf("%s value %d at position %d is out of range [%d, %d)", what, uint64(v), i, -dim, dim)
		}
		if v < -int64(dim) || v >= int64(dim) {
			return nil, fmt.Errorf("%s value %d at position %d is out of range [%d, %d)", what, v, i, -dim, dim)
		}
		if v < 0 {
			v += int64(dim)
		}
		out[i] = int(v)
	}
	return out, nil
}

func gather(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	data, indices := in[0], in[1]
	if data.Rank() == 0 {
		return nil, fmt.Errorf("data must have rank >= 1, got a scalar")
	}
	ax, err := kernels.NormAxis(c.Int("axis"), data.Rank())
	if err != nil {
		return nil, err
	}
	ds := data.Shape()
	idx, err := indexValues(indices, ds[ax], "indices")
	if err != nil {
		return nil, err
	}
	outShape := append(append(append([]int{}, ds[:ax]...), indices.Shape()...), ds[ax+1:]...)
	outer, inner := kernels.Product(ds[:ax]), kernels.Product(ds[ax+1:])
	view := []int{outer, len(idx), inner}
	ti := make([]int, len(idx))
	for k, v := range idx {
		ti[k] = v * inner
	}
	tables := [][]int{
		kernels.StridedTable(outer, 0, 1, ds[ax]*inner),
		ti,
		kernels.StridedTable(inner, 0, 1, 1),
	}
	if err := tensor.CheckSize(data.DType(), outShape); err != nil {
		return nil, err
	}
	t, err := kernels.GatherSeparable(data, view, tables, nil)
	if err != nil {
		return nil, err
	}
	if t, err = t.Reshape(outShape...); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// elementOffsets returns, for GatherElements and ScatterElements, the
// offset in data of each element of indices: the index replaces the
// coordinate on axis. indices must have data's rank and fit inside data on
// the other axes.
func elementOffsets(data, indices *tensor.Tensor, axis int64) ([]int, error) {
	r := data.Rank()
	if indices.Rank() != r {
		return nil, fmt.Errorf("indices shape %v and data shape %v differ in rank", indices.Shape(), data.Shape())
	}
	if r == 0 {
		return nil, fmt.Errorf("data must have rank >= 1, got a scalar")
	}
	ax, err := kernels.NormAxis(axis, r)
	if err != nil {
		return nil, err
	}
	ds, is := data.Shape(), indices.Shape()
	for d := range is {
		if d != ax && is[d] > ds[d] {
			return nil, fmt.Errorf("indices shape %v exceeds data shape %v on axis %d", is, ds, d)
		}
	}
	idx, err := indexValues(indices, ds[ax], "indices")
	if err != nil {
		return nil, err
	}
	st := tensor.Strides(ds)
	tables := make([][]int, r)
	for d := range is {
		if d == ax {
			tables[d] = make([]int, is[d])
		} else {
			tables[d] = kernels.StridedTable(is[d], 0, 1, st[d])
		}
	}
	base := kernels.SeparableIndex(is, tables)
	for i := range base {
		base[i] += idx[i] * st[ax]
	}
	return base, nil
}

func gatherElements(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	off, err := elementOffsets(in[0], in[1], c.Int("axis"))
	if err != nil {
		return nil, err
	}
	t, err := kernels.GatherFill(in[0], off, in[1].Shape(), nil)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// ndSlices resolves GatherND/ScatterND index tuples: for each tuple (in
// row-major order of indices' leading dims) the offset in data of the
// slice it addresses, with the slice length and the result shape
// indices.shape[:-1] + data.shape[b+k:].
func ndSlices(data, indices *tensor.Tensor, b int) (offs []int, sliceLen int, outShape []int, err error) {
	ds, is := data.Shape(), indices.Shape()
	q, r := len(is), len(ds)
	if !indices.DType().IsInt() {
		return nil, 0, nil, fmt.Errorf("indices must be an integer tensor, got %s", indices.DType())
	}
	if q < 1 {
		return nil, 0, nil, fmt.Errorf("indices must have rank >= 1, got a scalar")
	}
	if b < 0 || b >= q || (b > 0 && b >= r) {
		return nil, 0, nil, fmt.Errorf("batch_dims %d out of range for indices of rank %d and data of rank %d", b, q, r)
	}
	k := is[q-1]
	if b+k > r {
		return nil, 0, nil, fmt.Errorf("index tuples of length %d with batch_dims %d exceed data rank %d", k, b, r)
	}
	for d := 0; d < b; d++ {
		if is[d] != ds[d] {
			return nil, 0, nil, fmt.Errorf("batch dim %d differs: indices shape %v, data shape %v", d, is, ds)
		}
	}
	outShape = append(append([]int{}, is[:q-1]...), ds[b+k:]...)
	batches := kernels.Product(ds[:b])
	perBatch := kernels.Product(is[b : q-1])
	sliceLen = kernels.Product(ds[b+k:])
	batchStride := kernels.Product(ds[b:])
	st := tensor.Strides(ds)
	offs = make([]int, batches*perBatch)
	for bi := 0; bi < batches; bi++ {
		for n := 0; n < perBatch; n++ {
			t := bi*perBatch + n
			off := bi * batchStride
			for j := 0; j < k; j++ {
				v := indices.Int64At(t*k + j)
				dim := int64(ds[b+j])
				if v < -dim || v >= dim {
					return nil, 0, nil, fmt.Errorf("index %d in tuple %d is out of range [%d, %d) for data axis %d", v, t, -dim, dim, b+j)
				}
				if v < 0 {
					v += dim
				}
				off += int(v) * st[b+j]
			}
			offs[t] = off
		}
	}
	return offs, sliceLen, outShape, nil
}

func gatherND(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	data := in[0]
	offs, sl, outShape, err := ndSlices(data, in[1], int(c.Int("batch_dims")))
	if err != nil {
		return nil, err
	}
	if err := tensor.CheckSize(data.DType(), outShape); err != nil {
		return nil, err
	}
	idx := make([]int, 0, len(offs)*sl)
	for _, o := range offs {
		for s := 0; s < sl; s++ {
			idx = append(idx, o+s)
		}
	}
	t, err := kernels.GatherFill(data, idx, outShape, nil)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}
