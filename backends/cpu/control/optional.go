package control

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// ir0 is the unknown type, for stacks whose inputs are never empty.
var ir0 ir.Type

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "Optional", Since: 15, Run: func(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
			if len(in) == 0 || in[0] == nil {
				return []tensor.Value{&tensor.Optional{}}, nil
			}
			return []tensor.Value{&tensor.Optional{Value: in[0]}}, nil
		}},
		kernels.KernelDef{Op: "OptionalHasElement", Since: 15, Run: func(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
			has := false
			if len(in) > 0 && in[0] != nil {
				if o, ok := in[0].(*tensor.Optional); ok {
					has = o.Value != nil
				} else {
					has = true // opset 18: a plain tensor or sequence is present
				}
			}
			return []tensor.Value{tensor.Scalar(has)}, nil
		}},
		kernels.KernelDef{Op: "OptionalGetElement", Since: 15, Run: func(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
			o, ok := in[0].(*tensor.Optional)
			if !ok {
				// A present value stands for a full optional: opset 18 says
				// so, and graphs of older opsets rely on it when a Loop
				// carries an optional that its body returns unwrapped.
				return []tensor.Value{in[0]}, nil
			}
			if o.Value == nil {
				return nil, fmt.Errorf("the optional input is empty")
			}
			return []tensor.Value{o.Value}, nil
		}},
	)
}
