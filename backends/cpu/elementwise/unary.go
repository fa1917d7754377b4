package elementwise

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// unary is an elementwise function of one input whose result has the
// input's element type. f is the float path (computed in float64 and
// rounded once to the element type); i and u, when set, are exact paths
// for signed and unsigned integers. Integers without an exact path go
// through f and are converted back as Cast does.
type unary struct {
	f func(float64) float64
	i func(int64) int64
	u func(uint64) uint64
	// f32, when set, computes f over blocks of float32 values with the
	// same results (see fast32.go); float32 tensors without it go through
	// f element by element. costly marks functions that call exp, tanh
	// and the like, which are split over goroutines sooner.
	f32    func(d, s []float32)
	costly bool
}

// apply computes u over x.
func (u unary) apply(op string, x *tensor.Tensor) (*tensor.Tensor, error) {
	dt := x.DType()
	if fastPaths && dt == tensor.Float32 && u.f != nil {
		f32, minPar := u.f32, parCheap
		if f32 == nil {
			f32, minPar = via64(u.f), parCostly
		} else if u.costly {
			minPar = parCostly
		}
		return map32(x, x.Shape(), minPar, f32), nil
	}
	switch kernels.DomainOf(dt) {
	case kernels.DomOther:
		return nil, fmt.Errorf("%s is not defined for element type %s", op, dt)
	case kernels.DomInt:
		if u.i != nil {
			v := kernels.Int64s(x)
			for k, e := range v {
				v[k] = u.i(e)
			}
			return kernels.FromInt64s(dt, x.Shape(), v), nil
		}
	case kernels.DomUint:
		if u.u != nil {
			v := kernels.Uint64s(x)
			for k, e := range v {
				v[k] = u.u(e)
			}
			return kernels.FromUint64s(dt, x.Shape(), v), nil
		}
	}
	if u.f == nil {
		return nil, fmt.Errorf("%s is not defined for element type %s", op, dt)
	}
	v := kernels.Float64s(x)
	for k, e := range v {
		v[k] = u.f(e)
	}
	return kernels.FromFloat64s(dt, x.Shape(), v), nil
}

// unaryKernel registers op with a fixed function.
func unaryKernel(op string, u unary) kernels.KernelDef {
	return unaryAttrKernel(op, func(*kernels.Ctx) (unary, error) { return u, nil })
}

// unaryAttrKernel registers op with a function built from the node's
// attributes.
func unaryAttrKernel(op string, mk func(c *kernels.Ctx) (unary, error)) kernels.KernelDef {
	return def(op, "T", 0, func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 0, "X"); err != nil {
			return nil, err
		}
		u, err := mk(c)
		if err != nil {
			return nil, err
		}
		out, err := u.apply(op, in[0])
		if err != nil {
			return nil, err
		}
		return one(out), nil
	})
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is log(1+exp(x)) without overflow for large x.
func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	case x == 0:
		return 0
	}
	return x // NaN
}

func absInt(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func signInt(x int64) int64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func identU(x uint64) uint64 { return x }

func init() {
	kernels.Register(
		unaryKernel("Abs", unary{f: math.Abs, i: absInt, u: identU, f32: abs32}),
		unaryKernel("Neg", unary{f: func(x float64) float64 { return -x },
			i: func(x int64) int64 { return -x }, u: func(x uint64) uint64 { return -x }, f32: neg32}),
		unaryKernel("Reciprocal", unary{f: func(x float64) float64 { return 1 / x }, f32: reciprocal32}),
		unaryKernel("Floor", unary{f: math.Floor}),
		unaryKernel("Ceil", unary{f: math.Ceil}),
		unaryKernel("Round", unary{f: math.RoundToEven}),
		unaryKernel("Sqrt", unary{f: math.Sqrt, f32: sqrt32}),
		unaryKernel("Exp", unary{f: math.Exp, f32: exp32, costly: true}),
		unaryKernel("Log", unary{f: math.Log, f32: log32, costly: true}),
		unaryKernel("Sin", unary{f: math.Sin}),
		unaryKernel("Cos", unary{f: math.Cos}),
		unaryKernel("Tan", unary{f: math.Tan}),
		unaryKernel("Asin", unary{f: math.Asin}),
		unaryKernel("Acos", unary{f: math.Acos}),
		unaryKernel("Atan", unary{f: math.Atan}),
		unaryKernel("Sinh", unary{f: math.Sinh}),
		unaryKernel("Cosh", unary{f: math.Cosh}),
		unaryKernel("Asinh", unary{f: math.Asinh}),
		unaryKernel("Acosh", unary{f: math.Acosh}),
		unaryKernel("Atanh", unary{f: math.Atanh}),
		unaryKernel("Erf", unary{f: math.Erf, f32: erf32, costly: true}),
		unaryKernel("Sign", unary{f: sign, i: signInt, u: func(x uint64) uint64 { return min(x, 1) }}),
		unaryKernel("Sigmoid", unary{f: sigmoid, f32: sigmoid32, costly: true}),
		unaryKernel("Tanh", unary{f: math.Tanh, f32: tanh32, costly: true}),
		unaryKernel("Softplus", unary{f: softplus}),
		unaryKernel("Softsign", unary{f: func(x float64) float64 { return x / (1 + math.Abs(x)) }}),
		unaryKernel("Mish", unary{f: func(x float64) float64 { return x * math.Tanh(softplus(x)) }}),
		unaryKernel("HardSwish", unary{f: func(x float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) }}),
		unaryKernel("Relu", unary{
			f: func(x float64) float64 {
				if x < 0 {
					return 0
				}
				return x
			},
			i:   func(x int64) int64 { return max(x, 0) },
			u:   identU,
			f32: relu32}),
		unaryKernel("BitwiseNot", unary{i: func(x int64) int64 { return ^x }, u: func(x uint64) uint64 { return ^x }}),
		unaryKernel("Not", unary{i: func(x int64) int64 { return 1 - x }}),

		def("IsNaN", "T1", 0, func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 0, "X"); err != nil {
				return nil, err
			}
			v := kernels.Float64s(in[0])
			r := make([]bool, len(v))
			for k, x := range v {
				r[k] = math.IsNaN(x)
			}
			return one(fromBools(in[0].Shape(), r)), nil
		}),
		def("IsInf", "T1", 0, func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 0, "X"); err != nil {
				return nil, err
			}
			pos, neg := c.Int("detect_positive") != 0, c.Int("detect_negative") != 0
			v := kernels.Float64s(in[0])
			r := make([]bool, len(v))
			for k, x := range v {
				r[k] = (pos && math.IsInf(x, 1)) || (neg && math.IsInf(x, -1))
			}
			return one(fromBools(in[0].Shape(), r)), nil
		}),
	)
}
