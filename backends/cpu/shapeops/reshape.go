package shapeops

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kdef("Reshape", reshapeKernel),
		kdef("Flatten", flatten),
		kdef("Squeeze", squeeze),
		kdef("Unsqueeze", unsqueeze),
		kdef("Transpose", transpose),
		kdef("Shape", shapeOf),
		kdef("Size", sizeOf),
		kdef("DepthToSpace", depthToSpace),
		kdef("SpaceToDepth", spaceToDepth),
	)
}

func reshapeKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	var shape []int64
	if c.Opset < 5 || len(in) < 2 || in[1] == nil {
		if !c.Has("shape") {
			return nil, fmt.Errorf("Reshape needs a shape")
		}
		shape = c.Ints("shape")
	} else {
		var err error
		if shape, err = intList(in[1], "shape"); err != nil {
			return nil, err
		}
	}
	out, err := ReshapeDims(in[0].Shape(), shape, c.Int("allowzero") != 0)
	if err != nil {
		return nil, err
	}
	t, err := in[0].Reshape(out...)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// ReshapeDims resolves a Reshape target against the input dims: 0 copies
// the input dim at the same position (unless allowZero), -1 takes what is
// left. It returns an error for more than one -1, dims below -1, a 0
// beyond the input rank, 0 with -1 under allowZero, or a size mismatch.
func ReshapeDims(in []int, shape []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(shape))
	infer := -1
	hasZero := false
	for i, s := range shape {
		switch {
		case s == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", shape)
			}
			infer = i
		case s < -1:
			return nil, fmt.Errorf("shape %v has negative dim %d", shape, s)
		case s == 0:
			hasZero = true
			if allowZero {
				out[i] = 0
				break
			}
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v: 0 at position %d copies a dim the rank-%d input does not have", shape, i, len(in))
			}
			out[i] = in[i]
		default:
			if s > tensor.MaxElements {
				return nil, fmt.Errorf("shape %v: dim %d: %w", shape, s, tensor.ErrTooLarge)
			}
			out[i] = int(s)
		}
	}
	if allowZero && hasZero && infer >= 0 {
		return nil, fmt.Errorf("shape %v has both 0 and -1 while allowzero is set", shape)
	}
	total, err := tensor.NumElements(in)
	if err != nil {
		return nil, err
	}
	if infer >= 0 {
		out[infer] = 1
		rest, err := tensor.NumElements(out)
		if err != nil {
			return nil, fmt.Errorf("shape %v: %w", shape, err)
		}
		if rest == 0 {
			if total != 0 {
				return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, shape)
			}
			return nil, fmt.Errorf("shape %v: the -1 dim is ambiguous for an empty tensor", shape)
		}
		if total%rest != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, shape)
		}
		out[infer] = total / rest
	}
	n, err := tensor.NumElements(out)
	if err != nil {
		return nil, err
	}
	if n != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in, total, out, n)
	}
	return out, nil
}

func flatten(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	r := x.Rank()
	axis := c.Int("axis")
	if axis < -int64(r) || axis > int64(r) {
		return nil, fmt.Errorf("axis %d out of range [%d, %d] for rank %d", axis, -r, r, r)
	}
	if axis < 0 {
		axis += int64(r)
	}
	t, err := x.Reshape(kernels.Product(x.Shape()[:axis]), kernels.Product(x.Shape()[axis:]))
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func squeeze(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	axes, given, err := attrOrInput(c, in, "axes", 13, 1)
	if err != nil {
		return nil, err
	}
	drop := make([]bool, x.Rank())
	if given {
		ax, err := normAxes(axes, x.Rank())
		if err != nil {
			return nil, err
		}
		for _, a := range ax {
			if x.Shape()[a] != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of shape %v: its size is %d, not 1", a, x.Shape(), x.Shape()[a])
			}
			drop[a] = true
		}
	} else {
		for i, d := range x.Shape() {
			drop[i] = d == 1
		}
	}
	out := []int{}
	for i, d := range x.Shape() {
		if !drop[i] {
			out = append(out, d)
		}
	}
	t, err := x.Reshape(out...)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func unsqueeze(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	axes, given, err := attrOrInput(c, in, "axes", 13, 1)
	if err != nil {
		return nil, err
	}
	if !given {
		return nil, fmt.Errorf("Unsqueeze needs axes")
	}
	r := x.Rank() + len(axes)
	ax, err := normAxes(axes, r)
	if err != nil {
		return nil, err
	}
	ins := make([]bool, r)
	for _, a := range ax {
		ins[a] = true
	}
	out := make([]int, r)
	j := 0
	for i := range out {
		if ins[i] {
			out[i] = 1
		} else {
			out[i] = x.Shape()[j]
			j++
		}
	}
	t, err := x.Reshape(out...)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func transpose(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	r := x.Rank()
	perm := make([]int, r)
	if c.Has("perm") {
		p := c.Ints("perm")
		if len(p) != r {
			return nil, fmt.Errorf("perm %v has %d entries for rank %d", p, len(p), r)
		}
		ax, err := normAxes(p, r)
		if err != nil {
			return nil, fmt.Errorf("perm %v is not a permutation: %v", p, err)
		}
		perm = ax
	} else {
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	t, err := permute(x, perm)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func shapeOf(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	var end *int64
	if c.Has("end") {
		e := c.Int("end")
		end = &e
	}
	start := int64(0)
	if c.Opset >= 15 {
		start = c.Int("start")
	} else {
		end = nil
	}
	s, e := ir.ShapeRange(start, end, in[0].Rank())
	v := make([]int64, e-s)
	for i := range v {
		v[i] = int64(in[0].Shape()[s+i])
	}
	return []*tensor.Tensor{tensor.FromSlice(v)}, nil
}

func sizeOf(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	n, err := tensor.NumElements(in[0].Shape())
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{tensor.Scalar(int64(n))}, nil
}

// blocks checks a DepthToSpace or SpaceToDepth input and returns its dims
// and the block size.
func blocks(c *kernels.Ctx, x *tensor.Tensor) (n, ch, h, w, b int, err error) {
	if x.Rank() != 4 {
		return 0, 0, 0, 0, 0, fmt.Errorf("input must be 4-D [N,C,H,W], got shape %v", x.Shape())
	}
	bs := c.Int("blocksize")
	if !c.Has("blocksize") || bs <= 0 || bs > 1<<20 {
		return 0, 0, 0, 0, 0, fmt.Errorf("blocksize %d must be set and positive", bs)
	}
	s := x.Shape()
	return s[0], s[1], s[2], s[3], int(bs), nil
}

func depthToSpace(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	n, ch, h, w, b, err := blocks(c, in[0])
	if err != nil {
		return nil, err
	}
	if ch%(b*b) != 0 {
		return nil, fmt.Errorf("channels %d are not a multiple of blocksize² %d", ch, b*b)
	}
	cc := ch / (b * b)
	var view []int
	var perm []int
	switch mode := c.Str("mode"); mode {
	case "DCR", "":
		view, perm = []int{n, b, b, cc, h, w}, []int{0, 3, 4, 1, 5, 2}
	case "CRD":
		view, perm = []int{n, cc, b, b, h, w}, []int{0, 1, 4, 2, 5, 3}
	default:
		return nil, fmt.Errorf("mode %q is neither DCR nor CRD", mode)
	}
	v, err := in[0].Reshape(view...)
	if err != nil {
		return nil, err
	}
	t, err := permute(v, perm)
	if err != nil {
		return nil, err
	}
	if t, err = t.Reshape(n, cc, h*b, w*b); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func spaceToDepth(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	n, ch, h, w, b, err := blocks(c, in[0])
	if err != nil {
		return nil, err
	}
	if h%b != 0 || w%b != 0 {
		return nil, fmt.Errorf("spatial dims %dx%d are not multiples of blocksize %d", h, w, b)
	}
	v, err := in[0].Reshape(n, ch, h/b, b, w/b, b)
	if err != nil {
		return nil, err
	}
	t, err := permute(v, []int{0, 3, 5, 1, 2, 4})
	if err != nil {
		return nil, err
	}
	if t, err = t.Reshape(n, ch*b*b, h/b, w/b); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}
