package elementwise

import (
	"fmt"

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
