// Package basic holds the kernels of the basic ops: Constant and Identity.
package basic

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Kernels of the basic ops: Constant and Identity.
func init() {
	kernels.Register(
		kernels.KernelDef{Op: "Constant", Since: 1, Run: func(c *kernels.Ctx, _ []tensor.Value) ([]tensor.Value, error) {
			t := ir.ConstantNodeValue(c.Node)
			if t == nil {
				return nil, fmt.Errorf("Constant has no value attribute")
			}
			return []tensor.Value{t}, nil
		}},
		kernels.KernelDef{Op: "Identity", Since: 1, Run: func(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
			return []tensor.Value{in[0]}, nil
		}},
	)
}
