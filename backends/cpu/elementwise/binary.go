package elementwise

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// binary is an elementwise function of two inputs of one element type,
// with broadcasting, whose result has that type. f is the float path
// (float64, rounded once to the element type); i and u are the exact
// signed and unsigned integer paths, whose results wrap to the type's
// width. Integers without an exact path go through f. divides marks ops
// whose integer paths divide by B: a zero there is an error.
type binary struct {
	f       func(a, b float64) float64
	i       func(a, b int64) int64
	u       func(a, b uint64) uint64
	divides bool
	// op32, when set, computes f on float32 tensors with the same results
	// (see fast32.go).
	op32 binOp
}

func (op binary) apply(name string, c *kernels.Ctx, in []*tensor.Tensor) (*tensor.Tensor, error) {
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
	dt := a.DType()
	out, bs, err := binaryShapes(c, a, b, dt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	as := a.Shape()
	if fastPaths && dt == tensor.Float32 && op.op32 != opNone {
		return binary32(op.op32, a, as, b, bs, out), nil
	}
	switch kernels.DomainOf(dt) {
	case kernels.DomOther:
		return nil, fmt.Errorf("%s is not defined for element type %s", name, dt)
	case kernels.DomInt:
		if op.i != nil {
			av, bv := ints(a, as, out), ints(b, bs, out)
			if op.divides {
				for _, d := range bv {
					if d == 0 {
						return nil, fmt.Errorf("%s: integer division by zero", name)
					}
				}
			}
			r := av // a fresh slice, reused for the result
			for k := range r {
				r[k] = op.i(av[k], bv[k])
			}
			return kernels.FromInt64s(dt, out, r), nil
		}
	case kernels.DomUint:
		if op.u != nil {
			av, bv := uints(a, as, out), uints(b, bs, out)
			if op.divides {
				for _, d := range bv {
					if d == 0 {
						return nil, fmt.Errorf("%s: integer division by zero", name)
					}
				}
			}
			r := av // a fresh slice, reused for the result
			for k := range r {
				r[k] = op.u(av[k], bv[k])
			}
			return kernels.FromUint64s(dt, out, r), nil
		}
	}
	if op.f == nil {
		return nil, fmt.Errorf("%s is not defined for element type %s", name, dt)
	}
	av, bv := floats(a, as, out), floats(b, bs, out)
	r := av // a fresh slice, reused for the result
	for k := range r {
		r[k] = op.f(av[k], bv[k])
	}
	return kernels.FromFloat64s(dt, out, r), nil
}

func binaryKernel(name string, mk func(c *kernels.Ctx) (binary, error)) kernels.KernelDef {
	return def(name, "T", 0, func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		op, err := mk(c)
		if err != nil {
			return nil, err
		}
		t, err := op.apply(name, c, in)
		if err != nil {
			return nil, err
		}
		return one(t), nil
	})
}

func fixed(op binary) func(*kernels.Ctx) (binary, error) {
	return func(*kernels.Ctx) (binary, error) { return op, nil }
}

// modOp is Mod: with fmod=0 the result takes the sign of the divisor (as
// Python's %), with fmod=1 the sign of the dividend (as C's fmod).
func modOp(c *kernels.Ctx) (binary, error) {
	switch c.Int("fmod") {
	case 1:
		return binary{
			f:       math.Mod,
			i:       func(a, b int64) int64 { return a % b },
			u:       func(a, b uint64) uint64 { return a % b },
			divides: true,
		}, nil
	case 0:
		return binary{
			f: func(a, b float64) float64 {
				r := math.Mod(a, b)
				if r != 0 && (r < 0) != (b < 0) {
					r += b
				}
				return r
			},
			i: func(a, b int64) int64 {
				r := a % b
				if r != 0 && (r < 0) != (b < 0) {
					r += b
				}
				return r
			},
			u:       func(a, b uint64) uint64 { return a % b },
			divides: true,
		}, nil
	}
	return binary{}, fmt.Errorf("Mod: fmod is %d, want 0 or 1", c.Int("fmod"))
}

func bitShift(c *kernels.Ctx) (binary, error) {
	switch d := c.Str("direction"); d {
	case "LEFT":
		return binary{u: func(a, b uint64) uint64 { return a << b }}, nil
	case "RIGHT":
		return binary{u: func(a, b uint64) uint64 { return a >> b }}, nil
	default:
		return binary{}, fmt.Errorf("BitShift: direction is %q, want \"LEFT\" or \"RIGHT\"", d)
	}
}

// bitwise builds an op over the two's-complement bits of any integer
// type (signed values are sign-extended, and the result's low bits kept).
func bitwise(f func(a, b uint64) uint64) binary {
	return binary{
		u: f,
		i: func(a, b int64) int64 { return int64(f(uint64(a), uint64(b))) },
	}
}

// pow computes X to the power Y in X's element type. Integer bases with
// non-negative integer exponents are exact (wrapping); every other pair
// goes through float64 and is converted to X's type as Cast does.
func pow(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 0, "X"); err != nil {
		return nil, err
	}
	if err := need(in, 1, "Y"); err != nil {
		return nil, err
	}
	x, y := in[0], in[1]
	dt := x.DType()
	if c.Opset < 12 && y.DType() != dt {
		return nil, fmt.Errorf("Pow: before opset 12 X and Y must have the same element type, got %s and %s", dt, y.DType())
	}
	dx, dy := kernels.DomainOf(dt), kernels.DomainOf(y.DType())
	if dx == kernels.DomOther || dy == kernels.DomOther {
		return nil, fmt.Errorf("Pow is not defined for element types %s and %s", dt, y.DType())
	}
	out, ys, err := binaryShapes(c, x, y, dt)
	if err != nil {
		return nil, fmt.Errorf("Pow: %w", err)
	}
	xs := x.Shape()
	if fastPaths && dt == tensor.Float32 {
		if r := pow32(x, y, ys, out); r != nil {
			return one(r), nil
		}
	}
	if dx != kernels.DomFloat && dy != kernels.DomFloat {
		xv, yv := uints(x, xs, out), ints(y, ys, out)
		fv := floats(x, xs, out)
		r := make([]uint64, len(xv))
		for k := range r {
			if yv[k] >= 0 || (dy == kernels.DomUint) {
				r[k] = ipow(xv[k], uint64(yv[k]))
				continue
			}
			// A negative integer exponent: truncate the real power.
			r[k] = uint64(truncInt(math.Pow(fv[k], float64(yv[k]))))
		}
		return one(kernels.FromUint64s(dt, out, r)), nil
	}
	xv, yv := floats(x, xs, out), floats(y, ys, out)
	r := make([]float64, len(xv))
	for k := range r {
		r[k] = math.Pow(xv[k], yv[k])
	}
	return one(kernels.FromFloat64s(dt, out, r)), nil
}

// pow32 is Pow's float32 fast path for X of type float32: a one-element
// Y of any real type (squares and square roots have dedicated loops), or
// a float32 Y broadcast with X. It returns nil where it does not apply.
func pow32(x, y *tensor.Tensor, ys, out []int) *tensor.Tensor {
	if y.Len() == 1 && count(out) == x.Len() && kernels.DomainOf(y.DType()) != kernels.DomOther {
		// X's elements are the result's, in order.
		e := kernels.Float64s(y)[0]
		switch e {
		case 2:
			return map32(x, out, parCheap, square32)
		case 0.5:
			return map32(x, out, parCostly, powHalf32)
		}
		return map32(x, out, parCostly, powScalar32(e))
	}
	if y.DType() == tensor.Float32 {
		return binary32(opPow, x, x.Shape(), y, ys, out)
	}
	return nil
}

// truncInt truncates v toward zero; NaN and values beyond int64 give
// math.MinInt64, as the x86 conversion does.
func truncInt(v float64) int64 {
	if math.IsNaN(v) || v >= math.MaxInt64 || v < math.MinInt64 {
		return math.MinInt64
	}
	return int64(v)
}

// ipow is b**e modulo 2^64 by repeated squaring; with b sign-extended its
// low bits are those of the signed power.
func ipow(b, e uint64) uint64 {
	r := uint64(1)
	for e > 0 {
		if e&1 != 0 {
			r *= b
		}
		b *= b
		e >>= 1
	}
	return r
}

func init() {
	kernels.Register(
		binaryKernel("Add", fixed(binary{
			f:    func(a, b float64) float64 { return a + b },
			i:    func(a, b int64) int64 { return a + b },
			u:    func(a, b uint64) uint64 { return a + b },
			op32: opAdd,
		})),
		binaryKernel("Sub", fixed(binary{
			f:    func(a, b float64) float64 { return a - b },
			i:    func(a, b int64) int64 { return a - b },
			u:    func(a, b uint64) uint64 { return a - b },
			op32: opSub,
		})),
		binaryKernel("Mul", fixed(binary{
			f:    func(a, b float64) float64 { return a * b },
			i:    func(a, b int64) int64 { return a * b },
			u:    func(a, b uint64) uint64 { return a * b },
			op32: opMul,
		})),
		binaryKernel("Div", fixed(binary{
			f:       func(a, b float64) float64 { return a / b },
			i:       func(a, b int64) int64 { return a / b },
			u:       func(a, b uint64) uint64 { return a / b },
			divides: true,
			op32:    opDiv,
		})),
		binaryKernel("Mod", modOp),
		binaryKernel("BitShift", bitShift),
		binaryKernel("BitwiseAnd", fixed(bitwise(func(a, b uint64) uint64 { return a & b }))),
		binaryKernel("BitwiseOr", fixed(bitwise(func(a, b uint64) uint64 { return a | b }))),
		binaryKernel("BitwiseXor", fixed(bitwise(func(a, b uint64) uint64 { return a ^ b }))),
		def("Pow", "T", 0, pow),
	)
}
