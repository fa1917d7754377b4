package elementwise

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// Max, Min, Sum and Mean: folds over any number of inputs of one element
// type, with broadcasting from opset 8 (equal shapes before it).

// fold describes a variadic op: combine folds the next input into the
// accumulator in each domain; final (float only, may be nil) finishes the
// accumulated value given the input count.
type fold struct {
	f     func(acc, x float64) float64
	i     func(acc, x int64) int64
	u     func(acc, x uint64) uint64
	final func(acc float64, n int) float64
	// fast32 computes the op on two or more float32 inputs with the same
	// results (see fast32.go).
	fast32 func(xs []*tensor.Tensor, out []int) *tensor.Tensor
}

func variadicKernel(name string, op fold) kernels.KernelDef {
	return def(name, "T", 0, func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		var xs []*tensor.Tensor
		for _, t := range in {
			if t != nil {
				xs = append(xs, t)
			}
		}
		if len(xs) == 0 {
			return nil, fmt.Errorf("%s needs at least one input", name)
		}
		if err := sameType(name, xs); err != nil {
			return nil, err
		}
		dt := xs[0].DType()
		if c.Opset < 8 {
			for i, t := range xs[1:] {
				if !sameInts(t.Shape(), xs[0].Shape()) {
					return nil, fmt.Errorf("%s: before opset 8 inputs must have the same shape, input %d has %v and input 0 has %v", name, i+1, t.Shape(), xs[0].Shape())
				}
			}
		}
		out, err := broadcastShape(dt, xs...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if fastPaths && dt == tensor.Float32 && op.fast32 != nil && len(xs) >= 2 && len(xs) <= 64 {
			return one(op.fast32(xs, out)), nil
		}
		switch kernels.DomainOf(dt) {
		case kernels.DomInt:
			if op.i != nil {
				acc := ints(xs[0], xs[0].Shape(), out) // a fresh slice
				for _, t := range xs[1:] {
					for k, x := range ints(t, t.Shape(), out) {
						acc[k] = op.i(acc[k], x)
					}
				}
				return one(kernels.FromInt64s(dt, out, acc)), nil
			}
		case kernels.DomUint:
			if op.u != nil {
				acc := uints(xs[0], xs[0].Shape(), out)
				for _, t := range xs[1:] {
					for k, x := range uints(t, t.Shape(), out) {
						acc[k] = op.u(acc[k], x)
					}
				}
				return one(kernels.FromUint64s(dt, out, acc)), nil
			}
		case kernels.DomOther:
			return nil, fmt.Errorf("%s is not defined for element type %s", name, dt)
		}
		acc := floats(xs[0], xs[0].Shape(), out)
		for _, t := range xs[1:] {
			for k, x := range floats(t, t.Shape(), out) {
				acc[k] = op.f(acc[k], x)
			}
		}
		if op.final != nil {
			for k, a := range acc {
				acc[k] = op.final(a, len(xs))
			}
		}
		return one(kernels.FromFloat64s(dt, out, acc)), nil
	})
}

func init() {
	add := fold{
		f: func(a, x float64) float64 { return a + x },
		i: func(a, x int64) int64 { return a + x },
		u: func(a, x uint64) uint64 { return a + x },
	}
	add.fast32 = func(xs []*tensor.Tensor, out []int) *tensor.Tensor {
		if len(xs) == 2 {
			return fold32(opAdd, xs, out)
		}
		return sumMean32(xs, out, false)
	}
	mean := add
	mean.i, mean.u = nil, nil
	mean.final = func(a float64, n int) float64 { return a / float64(n) }
	mean.fast32 = func(xs []*tensor.Tensor, out []int) *tensor.Tensor { return sumMean32(xs, out, true) }
	kernels.Register(
		variadicKernel("Max", fold{
			f: func(a, x float64) float64 {
				if math.IsNaN(a) || math.IsNaN(x) {
					return math.NaN()
				}
				return math.Max(a, x)
			},
			i:      func(a, x int64) int64 { return max(a, x) },
			u:      func(a, x uint64) uint64 { return max(a, x) },
			fast32: func(xs []*tensor.Tensor, out []int) *tensor.Tensor { return fold32(opMax, xs, out) },
		}),
		variadicKernel("Min", fold{
			f: func(a, x float64) float64 {
				if math.IsNaN(a) || math.IsNaN(x) {
					return math.NaN()
				}
				return math.Min(a, x)
			},
			i:      func(a, x int64) int64 { return min(a, x) },
			u:      func(a, x uint64) uint64 { return min(a, x) },
			fast32: func(xs []*tensor.Tensor, out []int) *tensor.Tensor { return fold32(opMin, xs, out) },
		}),
		variadicKernel("Sum", add),
		variadicKernel("Mean", mean),
	)
}
