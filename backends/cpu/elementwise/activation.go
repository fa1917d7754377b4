package elementwise

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// Activations with attributes, Shrink, Clip, PRelu and SwiGLU.

func attr(c *kernels.Ctx, name string) float64 { return float64(c.Float(name)) }

func leakyRelu(c *kernels.Ctx) (unary, error) {
	alpha := attr(c, "alpha")
	return unary{f: func(x float64) float64 {
		if x < 0 {
			return alpha * x
		}
		return x
	}, f32: leakyRelu32(float32(alpha))}, nil
}

func elu(c *kernels.Ctx) (unary, error) {
	alpha := attr(c, "alpha")
	return unary{f: func(x float64) float64 {
		if x < 0 {
			return alpha * (math.Exp(x) - 1)
		}
		return x
	}}, nil
}

func selu(c *kernels.Ctx) (unary, error) {
	alpha, gamma := attr(c, "alpha"), attr(c, "gamma")
	return unary{f: func(x float64) float64 {
		if x <= 0 {
			return gamma * (alpha*math.Exp(x) - alpha)
		}
		return gamma * x
	}}, nil
}

func celu(c *kernels.Ctx) (unary, error) {
	alpha := attr(c, "alpha")
	if alpha == 0 {
		return unary{}, fmt.Errorf("Celu: alpha must not be 0")
	}
	return unary{f: func(x float64) float64 {
		return math.Max(0, x) + math.Min(0, alpha*(math.Exp(x/alpha)-1))
	}}, nil
}

func thresholdedRelu(c *kernels.Ctx) (unary, error) {
	alpha := attr(c, "alpha")
	return unary{f: func(x float64) float64 {
		if x > alpha {
			return x
		}
		return 0
	}}, nil
}

func hardSigmoid(c *kernels.Ctx) (unary, error) {
	alpha, beta := attr(c, "alpha"), attr(c, "beta")
	return unary{f: func(x float64) float64 { return math.Max(0, math.Min(1, alpha*x+beta)) }}, nil
}

func gelu(c *kernels.Ctx) (unary, error) {
	switch mode := c.Str("approximate"); mode {
	case "none":
		return unary{f: func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }, f32: gelu32, costly: true}, nil
	case "tanh":
		k := math.Sqrt(2 / math.Pi)
		return unary{f: func(x float64) float64 { return 0.5 * x * (1 + math.Tanh(k*(x+0.044715*x*x*x))) }}, nil
	default:
		return unary{}, fmt.Errorf("Gelu: approximate is %q, want \"none\" or \"tanh\"", mode)
	}
}

func swish(c *kernels.Ctx) (unary, error) {
	alpha := attr(c, "alpha")
	return unary{f: func(x float64) float64 { return x * sigmoid(alpha*x) }}, nil
}

func shrink(c *kernels.Ctx) (unary, error) {
	bias, lambd := attr(c, "bias"), attr(c, "lambd")
	return unary{f: func(x float64) float64 {
		switch {
		case x < -lambd:
			return x + bias
		case x > lambd:
			return x - bias
		}
		return 0
	}}, nil
}

// clip limits x to [lo, hi] as numpy's clip does: min(max(x, lo), hi), so
// that lo > hi gives hi everywhere and NaN stays NaN.
func clip(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 0, "input"); err != nil {
		return nil, err
	}
	x := in[0]
	dt := x.DType()
	bound := func(i int, name string) (*tensor.Tensor, error) {
		if i >= len(in) || in[i] == nil {
			return nil, nil
		}
		t := in[i]
		if t.DType() != dt {
			return nil, fmt.Errorf("Clip: %s has element type %s, input has %s (they must be the same)", name, t.DType(), dt)
		}
		if t.Len() != 1 {
			return nil, fmt.Errorf("Clip: %s must be a scalar, got shape %v", name, t.Shape())
		}
		return t, nil
	}
	if c.Opset < 11 {
		// Clip-6 defaults the bounds to the float32 range; Clip-1 has no
		// defaults (an absent bound does not clip).
		lo, hi := math.Inf(-1), math.Inf(1)
		if c.Opset >= 6 {
			lo, hi = -math.MaxFloat32, math.MaxFloat32
		}
		if c.Has("min") {
			lo = attr(c, "min")
		}
		if c.Has("max") {
			hi = attr(c, "max")
		}
		out, err := clipFloat(lo, hi).apply("Clip", x)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}
	lo, err := bound(1, "min")
	if err != nil {
		return nil, err
	}
	hi, err := bound(2, "max")
	if err != nil {
		return nil, err
	}
	var u unary
	switch kernels.DomainOf(dt) {
	case kernels.DomInt:
		l, h := int64(math.MinInt64), int64(math.MaxInt64)
		if lo != nil {
			l = lo.Int64At(0)
		}
		if hi != nil {
			h = hi.Int64At(0)
		}
		u.i = func(x int64) int64 { return min(max(x, l), h) }
	case kernels.DomUint:
		l, h := uint64(0), uint64(math.MaxUint64)
		if lo != nil {
			l = kernels.Uint64s(lo)[0]
		}
		if hi != nil {
			h = kernels.Uint64s(hi)[0]
		}
		u.u = func(x uint64) uint64 { return min(max(x, l), h) }
	default:
		l, h := math.Inf(-1), math.Inf(1)
		if lo != nil {
			l = lo.Float64At(0)
		}
		if hi != nil {
			h = hi.Float64At(0)
		}
		u = clipFloat(l, h)
	}
	out, err := u.apply("Clip", x)
	if err != nil {
		return nil, err
	}
	return one(out), nil
}

func clipFloat(lo, hi float64) unary {
	u := unary{f: func(x float64) float64 {
		if x < lo {
			x = lo
		}
		if x > hi {
			x = hi
		}
		return x
	}}
	if exact32(lo) && exact32(hi) {
		u.f32 = clip32(float32(lo), float32(hi))
	}
	return u
}

// prelu computes x, or slope*x where x < 0. From opset 7 slope broadcasts
// to x (numpy rules, one way); before it a 1-D slope whose length is x's
// dim 1 is per channel, and otherwise slope has one element or x's shape.
func prelu(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 0, "X"); err != nil {
		return nil, err
	}
	if err := need(in, 1, "slope"); err != nil {
		return nil, err
	}
	x, s := in[0], in[1]
	if err := sameType("PRelu", in); err != nil {
		return nil, err
	}
	xs, ss := x.Shape(), s.Shape()
	if c.Opset < 7 && s.Rank() == 1 && x.Rank() >= 2 && ss[0] == xs[1] && ss[0] != 1 {
		ss = make([]int, x.Rank())
		for i := range ss {
			ss[i] = 1
		}
		ss[1] = xs[1]
	}
	out, err := kernels.BroadcastShapes(xs, ss)
	if err != nil || !sameInts(out, xs) {
		return nil, fmt.Errorf("PRelu: slope of shape %v does not broadcast to X of shape %v", s.Shape(), xs)
	}
	dt := x.DType()
	if fastPaths && dt == tensor.Float32 {
		return one(binary32(opPRelu, x, xs, s, ss, xs)), nil
	}
	switch kernels.DomainOf(dt) {
	case kernels.DomInt:
		xv, sv := kernels.Int64s(x), ints(s, ss, xs)
		for k, e := range xv {
			if e < 0 {
				xv[k] = e * sv[k]
			}
		}
		return one(kernels.FromInt64s(dt, xs, xv)), nil
	case kernels.DomUint:
		return one(x.Clone()), nil
	case kernels.DomFloat:
		xv, sv := kernels.Float64s(x), floats(s, ss, xs)
		for k, e := range xv {
			if e < 0 {
				xv[k] = e * sv[k]
			}
		}
		return one(kernels.FromFloat64s(dt, xs, xv)), nil
	}
	return nil, fmt.Errorf("PRelu is not defined for element type %s", dt)
}

// swiglu computes swish(A)*B for A and B of one shape.
func swiglu(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 0, "A"); err != nil {
		return nil, err
	}
	if err := need(in, 1, "B"); err != nil {
		return nil, err
	}
	if err := sameType("SwiGLU", in); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if !sameInts(a.Shape(), b.Shape()) {
		return nil, fmt.Errorf("SwiGLU: A of shape %v and B of shape %v must have identical shapes (no broadcasting)", a.Shape(), b.Shape())
	}
	if kernels.DomainOf(a.DType()) != kernels.DomFloat {
		return nil, fmt.Errorf("SwiGLU is not defined for element type %s", a.DType())
	}
	alpha := attr(c, "alpha")
	av, bv := kernels.Float64s(a), kernels.Float64s(b)
	for k, x := range av {
		av[k] = x * sigmoid(alpha*x) * bv[k]
	}
	return one(kernels.FromFloat64s(a.DType(), a.Shape(), av)), nil
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func init() {
	kernels.Register(
		unaryAttrKernel("LeakyRelu", leakyRelu),
		unaryAttrKernel("Elu", elu),
		unaryAttrKernel("Selu", selu),
		unaryAttrKernel("Celu", celu),
		unaryAttrKernel("ThresholdedRelu", thresholdedRelu),
		unaryAttrKernel("HardSigmoid", hardSigmoid),
		unaryAttrKernel("Gelu", gelu),
		unaryAttrKernel("Swish", swish),
		unaryAttrKernel("Shrink", shrink),
		def("Clip", "T", 0, clip),
		def("PRelu", "T", 0, prelu),
		def("SwiGLU", "T", 0, swiglu),
	)
}
