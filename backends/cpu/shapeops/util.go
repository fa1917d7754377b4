package shapeops

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// intList reads a shape-like input (starts, axes, repeats, pads, ...): an
// integer tensor of rank 0 or 1.
func intList(t *tensor.Tensor, what string) ([]int64, error) {
	if t == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	if !t.DType().IsInt() {
		return nil, fmt.Errorf("%s must be an integer tensor, got %s", what, t.DType())
	}
	if t.Rank() > 1 {
		return nil, fmt.Errorf("%s must be a 1-D tensor, got shape %v", what, t.Shape())
	}
	return t.Int64sOf(), nil
}

// scalarInt reads a one-element tensor as an integer (floats truncate).
func scalarInt(t *tensor.Tensor, what string) (int64, error) {
	if t == nil {
		return 0, fmt.Errorf("%s is missing", what)
	}
	if t.Len() != 1 {
		return 0, fmt.Errorf("%s must hold one value, got shape %v", what, t.Shape())
	}
	if t.DType() == tensor.String {
		return 0, fmt.Errorf("%s must be numeric, got %s", what, t.DType())
	}
	if t.DType().IsInt() || t.DType() == tensor.Bool {
		return t.Int64At(0), nil
	}
	f := t.Float64At(0)
	if math.IsNaN(f) || math.Abs(f) > 1<<62 {
		return 0, fmt.Errorf("%s value %g is not a usable integer", what, f)
	}
	return int64(f), nil
}

// normAxes maps possibly negative axes into [0, rank) and rejects
// repeated ones.
func normAxes(axes []int64, rank int) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, rank)
	for i, a := range axes {
		ax, err := kernels.NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("axis %d is given more than once in %v", a, axes)
		}
		seen[ax] = true
		out[i] = ax
	}
	return out, nil
}

// numOutputs returns the number of output slots of the node.
func numOutputs(c *kernels.Ctx) int { return len(c.Node.Outputs) }

// attrOrInput returns an integer list given by attribute name when the
// opset is below inputSince (or the input is absent and the attribute
// set), else by input i. ok is false when neither is given.
func attrOrInput(c *kernels.Ctx, in []*tensor.Tensor, name string, inputSince, i int) (v []int64, ok bool, err error) {
	hasInput := i < len(in) && in[i] != nil
	if c.Opset < inputSince || !hasInput {
		if a := c.Node.Attr(name); a != nil {
			return a.Ints, true, nil
		}
	}
	if !hasInput {
		return nil, false, nil
	}
	v, err = intList(in[i], name)
	return v, err == nil, err
}

// checkedDims converts int64 dims to ints, rejecting negative ones and
// ones past the tensor size limit.
func checkedDims(v []int64, what string) ([]int, error) {
	out := make([]int, len(v))
	for i, x := range v {
		if x < 0 {
			return nil, fmt.Errorf("%s %v has negative dim %d", what, v, x)
		}
		if x > tensor.MaxElements {
			return nil, fmt.Errorf("%s %v: dim %d: %w", what, v, x, tensor.ErrTooLarge)
		}
		out[i] = int(x)
	}
	return out, nil
}

// permute builds the transposition of t by perm (a valid permutation).
func permute(t *tensor.Tensor, perm []int) (*tensor.Tensor, error) {
	in := t.Shape()
	st := tensor.Strides(in)
	out := make([]int, len(perm))
	tables := make([][]int, len(perm))
	for i, p := range perm {
		out[i] = in[p]
		tables[i] = kernels.StridedTable(in[p], 0, 1, st[p])
	}
	return kernels.GatherSeparable(t, out, tables, nil)
}

// identityTables returns the tables that read t unchanged.
func identityTables(shape []int) [][]int {
	st := tensor.Strides(shape)
	tables := make([][]int, len(shape))
	for i, d := range shape {
		tables[i] = kernels.StridedTable(d, 0, 1, st[i])
	}
	return tables
}

// scalarFill returns a one-element tensor of t's type holding element 0 of
// v, converted when v has another type; nil when v is nil.
func scalarFill(dt tensor.DType, v *tensor.Tensor) (*tensor.Tensor, error) {
	if v == nil {
		return nil, nil
	}
	if v.Len() != 1 {
		return nil, fmt.Errorf("fill value must hold one element, got shape %v", v.Shape())
	}
	f := tensor.New(dt, 1)
	switch {
	case v.DType() == dt:
		kernels.CopyElems(f, 0, v, 0, 1)
	case dt == tensor.String || v.DType() == tensor.String:
		return nil, fmt.Errorf("fill value of type %s for a %s tensor", v.DType(), dt)
	case v.DType().IsInt():
		f.SetInt64At(0, v.Int64At(0))
	default:
		f.SetFloat64At(0, v.Float64At(0))
	}
	return f, nil
}

// isNonZero reports whether element i of t is not zero (a non-empty string
// for STRING tensors).
func isNonZero(t *tensor.Tensor, i int) bool {
	switch dt := t.DType(); {
	case dt == tensor.String:
		return t.Strings()[i] != ""
	case dt == tensor.Complex64:
		return tensor.Data[complex64](t)[i] != 0
	case dt == tensor.Complex128:
		return tensor.Data[complex128](t)[i] != 0
	case dt.IsFloat():
		return t.Float64At(i) != 0
	case dt == tensor.Uint64:
		return tensor.Data[uint64](t)[i] != 0
	default:
		return t.Int64At(i) != 0
	}
}

// compareElems orders elements i and j of t: -1, 0 or 1. NaNs sort after
// every number and equal each other; complex numbers order by real then
// imaginary part.
func compareElems(t *tensor.Tensor, i, j int) int {
	switch dt := t.DType(); {
	case dt == tensor.String:
		a, b := t.Strings()[i], t.Strings()[j]
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	case dt == tensor.Uint64:
		a, b := tensor.Data[uint64](t)[i], tensor.Data[uint64](t)[j]
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	case dt.IsInt() || dt == tensor.Bool:
		a, b := t.Int64At(i), t.Int64At(j)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	case dt == tensor.Complex64:
		a, b := tensor.Data[complex64](t)[i], tensor.Data[complex64](t)[j]
		if c := cmpFloat(float64(real(a)), float64(real(b))); c != 0 {
			return c
		}
		return cmpFloat(float64(imag(a)), float64(imag(b)))
	case dt == tensor.Complex128:
		a, b := tensor.Data[complex128](t)[i], tensor.Data[complex128](t)[j]
		if c := cmpFloat(real(a), real(b)); c != 0 {
			return c
		}
		return cmpFloat(imag(a), imag(b))
	}
	return cmpFloat(t.Float64At(i), t.Float64At(j))
}

func cmpFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// emptyResult checks that a result of the given shape can be allocated.
// done is true when there is nothing more to compute: the shape is too
// large (err says so) or holds no elements (t is the empty result). Ops
// call it before building per-dim index tables, which may be long even
// when another dim is zero.
func emptyResult(dt tensor.DType, shape []int) (t *tensor.Tensor, done bool, err error) {
	if err := tensor.CheckSize(dt, shape); err != nil {
		return nil, true, err
	}
	if n, _ := tensor.NumElements(shape); n > 0 {
		return nil, false, nil
	}
	t, err = tensor.Alloc(dt, shape)
	return t, true, err
}

// kdef registers fn as the kernel of op for the opsets the op table gives
// it: from its first version until (excluded) its deprecation, if any.
// The kernel first checks that every input the op requires is present, so
// fn may index them.
func kdef(op string, fn kernels.TensorKernel) kernels.KernelDef {
	d := kernels.KernelDef{Op: op, Since: 1}
	var required []ir.Formal
	if s := ir.FindSchema("", op); s != nil {
		d.Since = s.Versions[0]
		if s.Deprecated > 0 {
			d.Until = s.Deprecated - 1
		}
		for i, f := range s.FormalInputs() {
			if f.Optional || (f.Variadic && i > 0) {
				break
			}
			required = append(required, f)
		}
	}
	d.Run = kernels.Tensors(func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		for i, f := range required {
			if i >= len(in) || in[i] == nil {
				return nil, fmt.Errorf("%s needs input %d (%s)", op, i, f.Name)
			}
		}
		return fn(c, in)
	})
	return d
}
