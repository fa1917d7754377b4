package shapeops

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kdef("Expand", expand),
		kdef("Tile", tile),
		kdef("Pad", pad),
		kdef("CenterCropPad", centerCropPad),
	)
}

func expand(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	sv, err := intList(in[1], "shape")
	if err != nil {
		return nil, err
	}
	shape, err := checkedDims(sv, "shape")
	if err != nil {
		return nil, err
	}
	out, err := kernels.BroadcastShapes(x.Shape(), shape)
	if err != nil {
		return nil, err
	}
	if t, done, err := emptyResult(x.DType(), out); done {
		return []*tensor.Tensor{t}, err
	}
	r := len(out)
	st := tensor.Strides(x.Shape())
	tables := make([][]int, r)
	off := r - x.Rank()
	for d := range out {
		if d < off || x.Shape()[d-off] == 1 {
			tables[d] = make([]int, out[d])
		} else {
			tables[d] = kernels.StridedTable(out[d], 0, 1, st[d-off])
		}
	}
	t, err := kernels.GatherSeparable(x, out, tables, nil)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func tile(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	r := x.Rank()
	var reps []int64
	if c.Opset < 6 {
		// Tile-1: a scalar count of copies along a scalar axis.
		if len(in) < 3 || in[2] == nil {
			return nil, fmt.Errorf("Tile-1 needs the tiles and axis inputs")
		}
		n, err := scalarInt(in[1], "tiles")
		if err != nil {
			return nil, err
		}
		a, err := scalarInt(in[2], "axis")
		if err != nil {
			return nil, err
		}
		ax, err := kernels.NormAxis(a, r)
		if err != nil {
			return nil, err
		}
		reps = make([]int64, r)
		for i := range reps {
			reps[i] = 1
		}
		reps[ax] = n
	} else {
		var err error
		if reps, err = intList(in[1], "repeats"); err != nil {
			return nil, err
		}
	}
	if len(reps) != r {
		return nil, fmt.Errorf("%d repeats for an input of rank %d", len(reps), r)
	}
	out := make([]int, r)
	for d, n := range x.Shape() {
		k := reps[d]
		if k < 0 {
			return nil, fmt.Errorf("repeats %v include a negative count", reps)
		}
		if n != 0 && k > tensor.MaxElements/int64(n) {
			return nil, fmt.Errorf("repeating %v by %v: %w", x.Shape(), reps, tensor.ErrTooLarge)
		}
		out[d] = n * int(k)
	}
	if t, done, err := emptyResult(x.DType(), out); done {
		return []*tensor.Tensor{t}, err
	}
	st := tensor.Strides(x.Shape())
	tables := make([][]int, r)
	for d, n := range x.Shape() {
		t := make([]int, out[d])
		for k := range t {
			t[k] = (k % n) * st[d]
		}
		tables[d] = t
	}
	t, err := kernels.GatherSeparable(x, out, tables, nil)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// padMode is how Pad fills positions outside the input.
type padMode uint8

const (
	padConstant padMode = iota
	padReflect
	padEdge
	padWrap
)

// padTable returns the SeparableIndex table of one padded axis: the input
// is first cropped by the negative pads, then extended by the positive
// ones as mode says; -1 marks a constant fill.
func padTable(n, before, after, stride int, mode padMode) ([]int, error) {
	out := n + before + after
	if out < 0 {
		return nil, fmt.Errorf("pads %d and %d make a dim of size %d negative", before, after, n)
	}
	lo := max(0, -before)
	m := max(n-max(0, -after)-lo, 0)
	shift := max(0, before)
	t := make([]int, out)
	for o := range t {
		s := o - shift
		if s < 0 || s >= m {
			if mode == padConstant {
				t[o] = -1
				continue
			}
			if m == 0 {
				return nil, fmt.Errorf("cannot pad an axis with no elements in this mode")
			}
			switch mode {
			case padEdge:
				s = max(0, min(s, m-1))
			case padWrap:
				s = ((s % m) + m) % m
			case padReflect:
				if m == 1 {
					s = 0
					break
				}
				p := 2 * (m - 1)
				s = ((s % p) + p) % p
				if s >= m {
					s = p - s
				}
			}
		}
		t[o] = (lo + s) * stride
	}
	return t, nil
}

func pad(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	r := x.Rank()
	var mode padMode
	switch m := c.Str("mode"); m {
	case "constant", "":
		mode = padConstant
	case "reflect":
		mode = padReflect
	case "edge":
		mode = padEdge
	case "wrap":
		mode = padWrap
	default:
		return nil, fmt.Errorf("unknown mode %q (want constant, reflect, edge or wrap)", m)
	}
	var pads []int64
	var fill *tensor.Tensor
	axes := make([]int64, r)
	for i := range axes {
		axes[i] = int64(i)
	}
	var err error
	if c.Opset < 11 {
		name := "pads"
		if c.Opset < 2 {
			name = "paddings"
		}
		if !c.Has(name) {
			return nil, fmt.Errorf("Pad needs the %s attribute", name)
		}
		pads = c.Ints(name)
		if x.DType() != tensor.String {
			fill = tensor.New(x.DType(), 1)
			fill.SetFloat64At(0, float64(c.Float("value")))
		}
	} else {
		if len(in) < 2 || in[1] == nil {
			return nil, fmt.Errorf("Pad needs the pads input")
		}
		if pads, err = intList(in[1], "pads"); err != nil {
			return nil, err
		}
		if len(in) > 2 && in[2] != nil && in[2].Len() > 0 {
			if fill, err = scalarFill(x.DType(), in[2]); err != nil {
				return nil, fmt.Errorf("constant_value: %v", err)
			}
		}
		if len(in) > 3 && in[3] != nil {
			if axes, err = intList(in[3], "axes"); err != nil {
				return nil, err
			}
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, fmt.Errorf("%d pads for %d axes: want two per axis", len(pads), len(axes))
	}
	ax, err := normAxes(axes, r)
	if err != nil {
		return nil, err
	}
	shape := x.Shape()
	st := tensor.Strides(shape)
	out := append([]int{}, shape...)
	tables := identityTables(shape)
	for i, a := range ax {
		b, e := pads[i], pads[i+len(ax)]
		if b > tensor.MaxElements || e > tensor.MaxElements || b < -tensor.MaxElements || e < -tensor.MaxElements {
			return nil, fmt.Errorf("pads %v: %w", pads, tensor.ErrTooLarge)
		}
		out[a] = shape[a] + int(b) + int(e)
		if out[a] < 0 {
			return nil, fmt.Errorf("pads %d and %d make axis %d of size %d negative", b, e, a, shape[a])
		}
	}
	if t, done, err := emptyResult(x.DType(), out); done {
		return []*tensor.Tensor{t}, err
	}
	for i, a := range ax {
		b, e := pads[i], pads[i+len(ax)]
		if tables[a], err = padTable(shape[a], int(b), int(e), st[a], mode); err != nil {
			return nil, fmt.Errorf("axis %d: %v", a, err)
		}
	}
	t, err := kernels.GatherSeparable(x, out, tables, fill)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func centerCropPad(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	r := x.Rank()
	sizes, err := intList(in[1], "shape")
	if err != nil {
		return nil, err
	}
	axes := c.Ints("axes")
	if !c.Has("axes") {
		axes = make([]int64, r)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if len(sizes) != len(axes) {
		return nil, fmt.Errorf("%d sizes for %d axes", len(sizes), len(axes))
	}
	ax, err := normAxes(axes, r)
	if err != nil {
		return nil, err
	}
	dims, err := checkedDims(sizes, "shape")
	if err != nil {
		return nil, err
	}
	shape := x.Shape()
	st := tensor.Strides(shape)
	out := append([]int{}, shape...)
	tables := identityTables(shape)
	for i, a := range ax {
		out[a] = dims[i]
	}
	if t, done, err := emptyResult(x.DType(), out); done {
		return []*tensor.Tensor{t}, err
	}
	for i, a := range ax {
		n, want := shape[a], dims[i]
		var before int
		if want < n {
			before = -((n - want) / 2)
		} else {
			before = (want - n) / 2
		}
		if tables[a], err = padTable(n, before, want-n-before, st[a], padConstant); err != nil {
			return nil, err
		}
	}
	t, err := kernels.GatherSeparable(x, out, tables, nil)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}
