package shapeops

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kdef("Concat", concat),
		kdef("Split", split),
	)
}

func concat(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	var xs []*tensor.Tensor
	for _, t := range in {
		if t != nil {
			xs = append(xs, t)
		}
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("Concat needs at least one input")
	}
	axis := int64(1) // Concat-1 defaults to 1
	if c.Has("axis") {
		axis = c.Int("axis")
	} else if c.Opset >= 4 {
		return nil, fmt.Errorf("Concat needs the axis attribute")
	}
	first := xs[0]
	r := first.Rank()
	ax, err := kernels.NormAxis(axis, r)
	if err != nil {
		return nil, err
	}
	out := append([]int{}, first.Shape()...)
	out[ax] = 0
	for i, t := range xs {
		if t.DType() != first.DType() {
			return nil, fmt.Errorf("input %d has type %s, input 0 has %s", i, t.DType(), first.DType())
		}
		if t.Rank() != r {
			return nil, fmt.Errorf("input %d has shape %v, input 0 has %v: ranks differ", i, t.Shape(), first.Shape())
		}
		for d, n := range t.Shape() {
			if d != ax && n != first.Shape()[d] {
				return nil, fmt.Errorf("input %d has shape %v, input 0 has %v: dim %d differs", i, t.Shape(), first.Shape(), d)
			}
		}
		out[ax] += t.Shape()[ax]
	}
	res, err := tensor.Alloc(first.DType(), out)
	if err != nil {
		return nil, err
	}
	outer := kernels.Product(out[:ax])
	inner := kernels.Product(out[ax+1:])
	rowOut := out[ax] * inner
	off := 0
	for _, t := range xs {
		row := t.Shape()[ax] * inner
		for o := 0; o < outer; o++ {
			kernels.CopyElems(res, o*rowOut+off, t, o*row, row)
		}
		off += row
	}
	return []*tensor.Tensor{res}, nil
}

// SplitSizes returns the sizes of the parts Split cuts a dim of size dim
// into: the given sizes (checked), or n parts of ceil(dim/n) with a smaller
// last one when uneven is allowed, or n equal parts.
func SplitSizes(dim int, sizes []int64, given bool, n int, uneven bool) ([]int, error) {
	if given {
		out := make([]int, len(sizes))
		sum := int64(0)
		for i, s := range sizes {
			if s < 0 {
				return nil, fmt.Errorf("split sizes %v include a negative one", sizes)
			}
			sum += s
			if sum > int64(dim) {
				break
			}
			out[i] = int(s)
		}
		if sum != int64(dim) {
			return nil, fmt.Errorf("split sizes %v do not add up to the dim size %d", sizes, dim)
		}
		return out, nil
	}
	if n <= 0 {
		return nil, fmt.Errorf("cannot split into %d parts", n)
	}
	if !uneven && dim%n != 0 {
		return nil, fmt.Errorf("dim of size %d does not split into %d equal parts", dim, n)
	}
	chunk := (dim + n - 1) / n
	out := make([]int, n)
	left := dim
	for i := range out {
		out[i] = min(chunk, left)
		left -= out[i]
	}
	return out, nil
}

func split(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	if x.Rank() == 0 {
		return nil, fmt.Errorf("cannot split a scalar")
	}
	ax, err := kernels.NormAxis(c.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	sizes, given, err := attrOrInput(c, in, "split", 13, 1)
	if err != nil {
		return nil, err
	}
	n := numOutputs(c)
	uneven := false
	if !given && c.Has("num_outputs") {
		no := c.Int("num_outputs")
		if no != int64(n) {
			return nil, fmt.Errorf("num_outputs is %d but the node has %d outputs", no, n)
		}
		uneven = true
	} else if !given && c.Opset >= 18 {
		uneven = true
	}
	if given && len(sizes) != n {
		return nil, fmt.Errorf("%d split sizes for %d outputs", len(sizes), n)
	}
	dim := x.Shape()[ax]
	parts, err := SplitSizes(dim, sizes, given, n, uneven)
	if err != nil {
		return nil, err
	}
	outer := kernels.Product(x.Shape()[:ax])
	inner := kernels.Product(x.Shape()[ax+1:])
	res := make([]*tensor.Tensor, n)
	start := 0
	for i, p := range parts {
		shape := append([]int{}, x.Shape()...)
		shape[ax] = p
		t, err := tensor.Alloc(x.DType(), shape)
		if err != nil {
			return nil, err
		}
		for o := 0; o < outer; o++ {
			kernels.CopyElems(t, o*p*inner, x, (o*dim+start)*inner, p*inner)
		}
		start += p
		res[i] = t
	}
	return res, nil
}
