package elementwise

import (
	"cmp"
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// Comparisons, logic ops and Where.

// order gives the three relations of a pair; all are false when a float
// operand is NaN.
func order[T cmp.Ordered](a, b T) (lt, eq, gt bool) { return a < b, a == b, a > b }

// compareKernel registers a comparison whose result is pred of the
// relations between A and B, with broadcasting.
// op32 is the same comparison on float32 tensors (see fast32.go).
func compareKernel(name string, op32 cmpOp, pred func(lt, eq, gt bool) bool) kernels.KernelDef {
	return def(name, "T", 0, func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 0, "A"); err != nil {
			return nil, err
		}
		if err := need(in, 1, "B"); err != nil {
			return nil, err
		}
		if err := sameType(name, in[:2]); err != nil {
			return nil, err
		}
		a, b := in[0], in[1]
		out, bs, err := binaryShapes(c, a, b, tensor.Bool)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		as := a.Shape()
		if fastPaths && a.DType() == tensor.Float32 {
			return one(compare32(op32, a, as, b, bs, out)), nil
		}
		r := make([]bool, count(out))
		switch dt := a.DType(); {
		case dt == tensor.String:
			av := kernels.Broadcast(a.Strings(), as, out)
			bv := kernels.Broadcast(b.Strings(), bs, out)
			for k := range r {
				r[k] = pred(order(av[k], bv[k]))
			}
		case kernels.DomainOf(dt) == kernels.DomInt:
			av, bv := ints(a, as, out), ints(b, bs, out)
			for k := range r {
				r[k] = pred(order(av[k], bv[k]))
			}
		case kernels.DomainOf(dt) == kernels.DomUint:
			av, bv := uints(a, as, out), uints(b, bs, out)
			for k := range r {
				r[k] = pred(order(av[k], bv[k]))
			}
		case kernels.DomainOf(dt) == kernels.DomFloat:
			av, bv := floats(a, as, out), floats(b, bs, out)
			for k := range r {
				r[k] = pred(order(av[k], bv[k]))
			}
		default:
			return nil, fmt.Errorf("%s is not defined for element type %s", name, dt)
		}
		return one(fromBools(out, r)), nil
	})
}

// logicKernel registers a logic op on BOOL inputs, with broadcasting.
func logicKernel(name string, f func(a, b bool) bool) kernels.KernelDef {
	return def(name, "T", 0, func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 0, "A"); err != nil {
			return nil, err
		}
		if err := need(in, 1, "B"); err != nil {
			return nil, err
		}
		a, b := in[0], in[1]
		if a.DType() != tensor.Bool || b.DType() != tensor.Bool {
			return nil, fmt.Errorf("%s: inputs must be BOOL, got %s and %s", name, a.DType(), b.DType())
		}
		out, bs, err := binaryShapes(c, a, b, tensor.Bool)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		av, bv := bools(a, a.Shape(), out), bools(b, bs, out)
		r := make([]bool, len(av))
		for k := range r {
			r[k] = f(av[k], bv[k])
		}
		return one(fromBools(out, r)), nil
	})
}

// where picks X where condition holds and Y elsewhere, all three
// broadcast together; it works for every element type.
func where(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	for i, n := range []string{"condition", "X", "Y"} {
		if err := need(in, i, n); err != nil {
			return nil, err
		}
	}
	cond, x, y := in[0], in[1], in[2]
	if cond.DType() != tensor.Bool {
		return nil, fmt.Errorf("Where: condition must be BOOL, got %s", cond.DType())
	}
	if x.DType() != y.DType() {
		return nil, fmt.Errorf("Where: X and Y must have the same element type, got %s and %s", x.DType(), y.DType())
	}
	dt := x.DType()
	out, err := broadcastShape(dt, cond, x, y)
	if err != nil {
		return nil, fmt.Errorf("Where: %w", err)
	}
	if fastPaths {
		if r, ok := whereFast(cond, x, y, out); ok {
			return one(r), nil
		}
	}
	cv := bools(cond, cond.Shape(), out)
	xi, yi := kernels.BroadcastIndex(x.Shape(), out), kernels.BroadcastIndex(y.Shape(), out)
	r := tensor.New(dt, out...)
	if dt == tensor.String {
		xs, ys, rs := x.Strings(), y.Strings(), r.Strings()
		for k, t := range cv {
			if t {
				rs[k] = xs[xi[k]]
			} else {
				rs[k] = ys[yi[k]]
			}
		}
		return one(r), nil
	}
	sz := dt.Size()
	xb, yb, rb := x.Bytes(), y.Bytes(), r.Bytes()
	for k, t := range cv {
		if t {
			copy(rb[k*sz:(k+1)*sz], xb[xi[k]*sz:])
		} else {
			copy(rb[k*sz:(k+1)*sz], yb[yi[k]*sz:])
		}
	}
	return one(r), nil
}

func init() {
	kernels.Register(
		compareKernel("Equal", cmpEq, func(lt, eq, gt bool) bool { return eq }),
		compareKernel("Less", cmpLt, func(lt, eq, gt bool) bool { return lt }),
		compareKernel("LessOrEqual", cmpLe, func(lt, eq, gt bool) bool { return lt || eq }),
		compareKernel("Greater", cmpGt, func(lt, eq, gt bool) bool { return gt }),
		compareKernel("GreaterOrEqual", cmpGe, func(lt, eq, gt bool) bool { return gt || eq }),
		logicKernel("And", func(a, b bool) bool { return a && b }),
		logicKernel("Or", func(a, b bool) bool { return a || b }),
		logicKernel("Xor", func(a, b bool) bool { return a != b }),
		def("Where", "T", 1, where),
	)
}
