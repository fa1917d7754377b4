package shapeops

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(kdef("Slice", slice))
}

func slice(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	var starts, ends, axes, steps []int64
	var err error
	if c.Opset < 10 {
		if !c.Has("starts") || !c.Has("ends") {
			return nil, fmt.Errorf("Slice needs the starts and ends attributes")
		}
		starts, ends = c.Ints("starts"), c.Ints("ends")
		if c.Has("axes") {
			axes = c.Ints("axes")
		}
	} else {
		if len(in) < 3 || in[1] == nil || in[2] == nil {
			return nil, fmt.Errorf("Slice needs starts and ends inputs")
		}
		if starts, err = intList(in[1], "starts"); err != nil {
			return nil, err
		}
		if ends, err = intList(in[2], "ends"); err != nil {
			return nil, err
		}
		if len(in) > 3 && in[3] != nil {
			if axes, err = intList(in[3], "axes"); err != nil {
				return nil, err
			}
		}
		if len(in) > 4 && in[4] != nil {
			if steps, err = intList(in[4], "steps"); err != nil {
				return nil, err
			}
		}
	}
	t, err := SliceTensor(x, starts, ends, axes, steps)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// SliceTensor takes the ONNX Slice of x. axes nil means 0, 1, ...; steps
// nil means all ones. Starts and ends are clamped as the spec says; a zero
// step, repeated axes or lists of different lengths are errors.
func SliceTensor(x *tensor.Tensor, starts, ends, axes, steps []int64) (*tensor.Tensor, error) {
	n := len(starts)
	if len(ends) != n {
		return nil, fmt.Errorf("%d starts but %d ends", n, len(ends))
	}
	if axes == nil {
		if n > x.Rank() {
			return nil, fmt.Errorf("%d starts for a rank-%d input", n, x.Rank())
		}
		axes = make([]int64, n)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if steps == nil {
		steps = make([]int64, n)
		for i := range steps {
			steps[i] = 1
		}
	}
	if len(axes) != n || len(steps) != n {
		return nil, fmt.Errorf("%d starts, %d axes and %d steps: lengths differ", n, len(axes), len(steps))
	}
	ax, err := normAxes(axes, x.Rank())
	if err != nil {
		return nil, err
	}
	shape := x.Shape()
	st := tensor.Strides(shape)
	out := append([]int{}, shape...)
	tables := identityTables(shape)
	for i, a := range ax {
		if steps[i] == 0 {
			return nil, fmt.Errorf("step on axis %d is 0", axes[i])
		}
		step := steps[i]
		start, cnt := ir.SliceBounds(starts[i], ends[i], step, int64(shape[a]))
		out[a] = int(cnt)
		tables[a] = kernels.StridedTable(int(cnt), int(start), int(step), st[a])
	}
	return kernels.GatherSeparable(x, out, tables, nil)
}
