package elementwise

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// def registers a tensor kernel for op at every opset, accepting the
// element types the op table allows for type variable tv on input
// typeInput (every type when the table does not constrain it).
func def(op, tv string, typeInput int, fn kernels.TensorKernel) kernels.KernelDef {
	d := kernels.KernelDef{Op: op, Since: 1, TypeInput: typeInput, Run: kernels.Tensors(fn)}
	if s := ir.FindSchema("", op); s != nil && tv != "" {
		d.Types = s.Allowed(tv)
	}
	return d
}

// need returns an error when input i is missing.
func need(in []*tensor.Tensor, i int, name string) error {
	if i >= len(in) || in[i] == nil {
		return fmt.Errorf("input %d (%s) is required", i, name)
	}
	return nil
}

// sameType returns an error unless every present input has the element
// type of the first present one.
func sameType(op string, in []*tensor.Tensor) error {
	var first *tensor.Tensor
	for i, t := range in {
		if t == nil {
			continue
		}
		if first == nil {
			first = t
			continue
		}
		if t.DType() != first.DType() {
			return fmt.Errorf("%s: input %d has element type %s, input 0 has %s (they must be the same)", op, i, t.DType(), first.DType())
		}
	}
	return nil
}

// broadcastShape returns the numpy-broadcast shape of the tensors and
// checks that a result of element type dt and that shape can exist.
func broadcastShape(dt tensor.DType, ts ...*tensor.Tensor) ([]int, error) {
	shapes := make([][]int, 0, len(ts))
	for _, t := range ts {
		if t != nil {
			shapes = append(shapes, t.Shape())
		}
	}
	out, err := kernels.BroadcastShapes(shapes...)
	if err != nil {
		return nil, err
	}
	if err := tensor.CheckSize(dt, out); err != nil {
		return nil, err
	}
	return out, nil
}

// binaryShapes returns the result shape of a two-input op and the shape
// to view B in: numpy broadcasting from opset 7, and before it the legacy
// rules of the broadcast and axis attributes (the result has A's shape).
func binaryShapes(c *kernels.Ctx, a, b *tensor.Tensor, dt tensor.DType) (out, bShape []int, err error) {
	if !ir.LegacyBroadcast(c.Node) {
		out, err = broadcastShape(dt, a, b)
		return out, b.Shape(), err
	}
	bs, err := ir.LegacyBroadcastShape(a.Shape(), b.Shape(), c.Int("broadcast") != 0, c.Has("axis"), c.Int("axis"))
	if err != nil {
		return nil, nil, err
	}
	return a.Shape(), bs, nil
}

// floats loads t as float64 values broadcast to shape out, t being viewed
// with shape in (a reshape of t's own shape with the same element count).
func floats(t *tensor.Tensor, in, out []int) []float64 {
	return kernels.Broadcast(kernels.Float64s(t), in, out)
}

func ints(t *tensor.Tensor, in, out []int) []int64 {
	return kernels.Broadcast(kernels.Int64s(t), in, out)
}

func uints(t *tensor.Tensor, in, out []int) []uint64 {
	return kernels.Broadcast(kernels.Uint64s(t), in, out)
}

func bools(t *tensor.Tensor, in, out []int) []bool {
	v := make([]bool, t.Len())
	for i, b := range t.Bytes() {
		v[i] = b != 0
	}
	return kernels.Broadcast(v, in, out)
}

func fromBools(shape []int, v []bool) *tensor.Tensor {
	t := tensor.New(tensor.Bool, shape...)
	d := t.Bytes()
	for i, b := range v {
		if b {
			d[i] = 1
		}
	}
	return t
}

func one(t *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{t} }

// count returns the number of elements of a shape that a tensor has
// already been checked to fit.
func count(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
