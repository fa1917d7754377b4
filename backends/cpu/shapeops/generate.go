package shapeops

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kdef("ConstantOfShape", constantOfShape),
		kdef("Range", rangeKernel),
		kdef("EyeLike", eyeLike),
		kdef("OneHot", oneHot),
		kdef("Trilu", trilu),
	)
}

// fillAll sets every element of t to element 0 of v (same type).
func fillAll(t, v *tensor.Tensor) {
	if t.DType() == tensor.String {
		s := v.Strings()[0]
		d := t.Strings()
		for i := range d {
			d[i] = s
		}
		return
	}
	b := t.Bytes()
	if len(b) == 0 {
		return
	}
	sz := t.DType().Size()
	copy(b, v.Bytes()[:sz])
	for n := sz; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

func constantOfShape(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if in[0].Rank() != 1 {
		return nil, fmt.Errorf("input must be a 1-D shape, got shape %v", in[0].Shape())
	}
	sv, err := intList(in[0], "input")
	if err != nil {
		return nil, err
	}
	shape, err := checkedDims(sv, "shape")
	if err != nil {
		return nil, err
	}
	v := c.Node.Tensor("value")
	if v == nil {
		v = tensor.FromSlice([]float32{0})
	}
	if v.Len() != 1 {
		return nil, fmt.Errorf("value must hold one element, got shape %v", v.Shape())
	}
	t, err := tensor.Alloc(v.DType(), shape)
	if err != nil {
		return nil, err
	}
	fillAll(t, v)
	return []*tensor.Tensor{t}, nil
}

func rangeKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	dt := in[0].DType()
	for i, name := range []string{"start", "limit", "delta"} {
		if in[i] == nil {
			return nil, fmt.Errorf("%s is missing", name)
		}
		if in[i].Len() != 1 || in[i].Rank() > 1 {
			return nil, fmt.Errorf("%s must be a scalar, got shape %v", name, in[i].Shape())
		}
		if in[i].DType() != dt {
			return nil, fmt.Errorf("%s has type %s, start has %s", name, in[i].DType(), dt)
		}
	}
	if !dt.IsInt() && !dt.IsFloat() {
		return nil, fmt.Errorf("Range is not defined on %s", dt)
	}
	if dt.IsInt() && dt != tensor.Uint64 {
		start, limit, delta := in[0].Int64At(0), in[1].Int64At(0), in[2].Int64At(0)
		n, err := ir.RangeCountInt(start, limit, delta)
		if err != nil {
			return nil, err
		}
		t, err := tensor.Alloc(dt, []int{int(n)})
		if err != nil {
			return nil, err
		}
		v := start
		for i := 0; i < int(n); i++ {
			t.SetInt64At(i, v)
			v += delta
		}
		return []*tensor.Tensor{t}, nil
	}
	start, limit, delta := in[0].Float64At(0), in[1].Float64At(0), in[2].Float64At(0)
	if math.IsInf(start, 0) || math.IsInf(delta, 0) {
		return nil, fmt.Errorf("start %g and delta %g must be finite", start, delta)
	}
	n, err := ir.RangeCount(start, limit, delta)
	if err != nil {
		return nil, err
	}
	t, err := tensor.Alloc(dt, []int{int(n)})
	if err != nil {
		return nil, err
	}
	for i := 0; i < int(n); i++ {
		t.SetFloat64At(i, start+float64(i)*delta)
	}
	return []*tensor.Tensor{t}, nil
}

func eyeLike(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	if x.Rank() != 2 {
		return nil, fmt.Errorf("input must be 2-D, got shape %v", x.Shape())
	}
	dt := x.DType()
	if c.Has("dtype") {
		dt = tensor.DType(c.Int("dtype"))
		if c.Int("dtype") < 0 || c.Int("dtype") > int64(tensor.MaxDType) || !dt.Valid() {
			return nil, fmt.Errorf("unknown dtype %d", c.Int("dtype"))
		}
	}
	if dt == tensor.String {
		return nil, fmt.Errorf("EyeLike cannot make a STRING tensor")
	}
	rows, cols := x.Shape()[0], x.Shape()[1]
	t, err := tensor.Alloc(dt, []int{rows, cols})
	if err != nil {
		return nil, err
	}
	k := c.Int("k")
	for i := 0; i < rows; i++ {
		j := int64(i) + k
		if j >= 0 && j < int64(cols) {
			t.SetInt64At(i*cols+int(j), 1)
		}
	}
	return []*tensor.Tensor{t}, nil
}

func oneHot(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	indices, values := in[0], in[2]
	if values == nil || values.Len() != 2 || values.Rank() != 1 {
		return nil, fmt.Errorf("values must be a 1-D tensor of two elements [off, on]")
	}
	if indices.DType() == tensor.String {
		return nil, fmt.Errorf("indices must be numeric, got %s", indices.DType())
	}
	depth, err := scalarInt(in[1], "depth")
	if err != nil {
		return nil, err
	}
	if depth < 1 {
		return nil, fmt.Errorf("depth %d is not positive", depth)
	}
	if depth > tensor.MaxElements {
		return nil, fmt.Errorf("depth %d: %w", depth, tensor.ErrTooLarge)
	}
	r := indices.Rank() + 1
	axis := c.Int("axis")
	if axis < -int64(r) || axis >= int64(r) {
		return nil, fmt.Errorf("axis %d out of range for output rank %d", axis, r)
	}
	if axis < 0 {
		axis += int64(r)
	}
	is := indices.Shape()
	d := int(depth)
	out := append(append(append([]int{}, is[:axis]...), d), is[axis:]...)
	if err := tensor.CheckSize(values.DType(), out); err != nil {
		return nil, err
	}
	outer, inner := kernels.Product(is[:axis]), kernels.Product(is[axis:])
	idx := make([]int, outer*d*inner)
	for o := 0; o < outer; o++ {
		for j := 0; j < inner; j++ {
			var v int64
			if indices.DType().IsInt() {
				v = indices.Int64At(o*inner + j)
			} else {
				f := indices.Float64At(o*inner + j)
				if math.IsNaN(f) || math.Abs(f) > float64(tensor.MaxElements) {
					continue
				}
				v = int64(f)
			}
			if v < 0 {
				v += depth
			}
			if v >= 0 && v < depth {
				idx[(o*d+int(v))*inner+j] = 1
			}
		}
	}
	t, err := kernels.GatherFill(values, idx, out, nil)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func trilu(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input must have rank >= 2, got shape %v", x.Shape())
	}
	k := int64(0)
	if len(in) > 1 && in[1] != nil {
		var err error
		if k, err = scalarInt(in[1], "k"); err != nil {
			return nil, err
		}
	}
	upper := c.Int("upper") != 0
	s := x.Shape()
	rows, cols := s[len(s)-2], s[len(s)-1]
	out := x.Clone()
	zero := tensor.New(x.DType(), 1)
	mats := kernels.Product(s[:len(s)-2])
	for m := 0; m < mats; m++ {
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				diff := int64(j) - int64(i)
				keep := diff <= k
				if upper {
					keep = diff >= k
				}
				if !keep {
					kernels.CopyElems(out, (m*rows+i)*cols+j, zero, 0, 1)
				}
			}
		}
	}
	return []*tensor.Tensor{out}, nil
}
