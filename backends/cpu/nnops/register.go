package nnops

import (
	"fmt"
	"slices"
	"strings"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// def registers fn as the kernel of op for the opsets the op table gives
// it, from its first version until (excluded) its deprecation. Before fn
// runs, every input the op requires must be present and every input's
// element type must be one the op table allows, so fn may index its
// inputs and trust their types.
func def(op string, fn kernels.TensorKernel) kernels.KernelDef {
	s := ir.FindSchema("", op)
	if s == nil {
		panic("nnops: " + op + " is not in the op table")
	}
	d := kernels.KernelDef{Op: op, Since: s.Versions[0]}
	if s.Deprecated > 0 {
		d.Until = s.Deprecated - 1
	}
	formals := s.FormalInputs()
	d.Run = kernels.Tensors(func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		for i, f := range formals {
			if i >= len(in) || in[i] == nil {
				if f.Optional || f.Variadic {
					continue
				}
				return nil, fmt.Errorf("%s needs input %d (%s)", op, i, f.Name)
			}
			if allowed := s.Allowed(f.TypeVar); allowed != nil && !slices.Contains(allowed, in[i].DType()) {
				names := make([]string, len(allowed))
				for j, a := range allowed {
					names[j] = a.String()
				}
				return nil, fmt.Errorf("%s input %d (%s) has type %s, want one of %s", op, i, f.Name, in[i].DType(), strings.Join(names, ", "))
			}
		}
		return fn(c, in)
	})
	return d
}
