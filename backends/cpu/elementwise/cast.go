package elementwise

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Cast and CastLike convert through tensor.Cast, which holds the
// conversion rules for every pair of element types.

func castTo(c *kernels.Ctx, x *tensor.Tensor, to tensor.DType) ([]*tensor.Tensor, error) {
	saturate := true
	if c.Opset >= 19 {
		saturate = c.Int("saturate") != 0
	}
	mode := ""
	if c.Opset >= 25 {
		mode = c.Str("round_mode")
	}
	if fastPaths && (mode == "" || mode == "up" || mode == "down" || mode == "nearest") {
		if out := castFast(x, to); out != nil {
			return one(out), nil
		}
	}
	out, err := tensor.Cast(x, to, saturate, mode)
	if err != nil {
		return nil, err
	}
	return one(out), nil
}

func init() {
	kernels.Register(
		kernels.Simple("Cast", func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 0, "input"); err != nil {
				return nil, err
			}
			to, err := ir.CastTarget(c.Node)
			if err != nil {
				return nil, err
			}
			return castTo(c, in[0], to)
		}),
		kernels.Simple("CastLike", func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 0, "input"); err != nil {
				return nil, err
			}
			if err := need(in, 1, "target_type"); err != nil {
				return nil, err
			}
			if in[1].DType() == tensor.Undefined {
				return nil, fmt.Errorf("CastLike: target_type has no element type")
			}
			return castTo(c, in[0], in[1].DType())
		}),
	)
}

// castFast converts between float32 and int64, int32, bool or float64 by
// tensor.Cast's rules, in direct loops; it returns nil for other pairs.
func castFast(x *tensor.Tensor, to tensor.DType) *tensor.Tensor {
	from := x.DType()
	if from != tensor.Float32 && to != tensor.Float32 {
		return nil
	}
	switch {
	case from == tensor.Float32 && to == tensor.Int64:
		return convert(x, to, func(d []int64, s []float32) {
			for i, v := range s {
				d[i] = truncFloat32(v)
			}
		})
	case from == tensor.Float32 && to == tensor.Int32:
		return convert(x, to, func(d []int32, s []float32) {
			for i, v := range s {
				d[i] = int32(truncFloat32(v))
			}
		})
	case from == tensor.Float32 && to == tensor.Bool:
		return convert(x, to, func(d []uint8, s []float32) {
			for i, v := range s {
				d[i] = b2u(v != 0)
			}
		})
	case from == tensor.Float32 && to == tensor.Float64:
		return convert(x, to, func(d []float64, s []float32) {
			for i, v := range s {
				d[i] = float64(v)
			}
		})
	case from == tensor.Int64:
		return convert(x, to, func(d []float32, s []int64) {
			for i, v := range s {
				d[i] = float32(v)
			}
		})
	case from == tensor.Int32:
		return convert(x, to, func(d []float32, s []int32) {
			for i, v := range s {
				d[i] = float32(v)
			}
		})
	case from == tensor.Bool:
		return convert(x, to, func(d []float32, s []uint8) {
			for i, v := range s {
				d[i] = float32(b2u(v != 0))
			}
		})
	case from == tensor.Float64:
		return convert(x, to, func(d []float32, s []float64) {
			for i, v := range s {
				d[i] = float32(v)
			}
		})
	}
	return nil
}

// convert allocates a tensor of type to and x's shape and fills it with
// f over blocks of x's elements.
func convert[D, S tensor.Elem](x *tensor.Tensor, to tensor.DType, f func(d []D, s []S)) *tensor.Tensor {
	r := tensor.New(to, x.Shape()...)
	d, s := tensor.Data[D](r), tensor.Data[S](x)
	parallelRange(len(d), parCheap, func(lo, hi int) { f(d[lo:hi], s[lo:hi]) })
	return r
}

// truncFloat32 converts v to int64 truncating toward zero; NaN, ±inf and
// values outside the int64 range give math.MinInt64, as Cast does.
func truncFloat32(v float32) int64 {
	if v >= -(1<<63) && v < 1<<63 {
		return int64(v)
	}
	return math.MinInt64
}
