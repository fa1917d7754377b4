package autodiff

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/ir"
)

// Gradient rules of the elementwise ops: unary math, activations, Pow,
// Clip, the variadic Max, Min and Mean, Where and Cast.

// unaryRule makes the rule of y = f(x) from f'(x), built from x and y.
func unaryRule(deriv func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value) Rule {
	return func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		x, y := n.Inputs[0], n.Outputs[0]
		return []*ir.Value{b.mul(dy[0], deriv(b, n, x, y))}, nil
	}
}

// zeroRule is the rule of a piecewise constant op: its gradient is zero
// wherever it exists.
func zeroRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	out := make([]*ir.Value, len(n.Inputs))
	if wants(n.Inputs[0]) {
		out[0] = b.zerosLike(n.Inputs[0])
	}
	return out, nil
}

// where01 returns Where(cond, a, c) for scalars a and c shaped like x.
func (b *Builder) where01(cond *ir.Value, a, c float64, like *ir.Value) *ir.Value {
	return b.Op("Where", []*ir.Value{cond, b.Scalar(a, like), b.Scalar(c, like)})
}

func (b *Builder) less(x *ir.Value, v float64) *ir.Value {
	return b.Op("Less", []*ir.Value{x, b.Scalar(v, x)})
}

func (b *Builder) greater(x *ir.Value, v float64) *ir.Value {
	return b.Op("Greater", []*ir.Value{x, b.Scalar(v, x)})
}

func (b *Builder) square(x *ir.Value) *ir.Value { return b.mul(x, x) }

func (b *Builder) recip(x *ir.Value) *ir.Value { return b.Op("Reciprocal", []*ir.Value{x}) }

func (b *Builder) sqrt(x *ir.Value) *ir.Value { return b.Op("Sqrt", []*ir.Value{x}) }

func (b *Builder) fn(op string, x *ir.Value) *ir.Value { return b.Op(op, []*ir.Value{x}) }

func init() {
	register(map[string]Rule{
		":Abs": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value { return b.fn("Sign", x) }),
		":Sin": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value { return b.fn("Cos", x) }),
		":Cos": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value { return b.neg(b.fn("Sin", x)) }),
		":Tan": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.add(b.Scalar(1, y), b.square(y))
		}),
		":Asin": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.recip(b.sqrt(b.sub(b.Scalar(1, x), b.square(x))))
		}),
		":Acos": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.neg(b.recip(b.sqrt(b.sub(b.Scalar(1, x), b.square(x)))))
		}),
		":Atan": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.recip(b.add(b.Scalar(1, x), b.square(x)))
		}),
		":Sinh": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value { return b.fn("Cosh", x) }),
		":Cosh": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value { return b.fn("Sinh", x) }),
		":Asinh": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.recip(b.sqrt(b.add(b.square(x), b.Scalar(1, x))))
		}),
		":Acosh": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.recip(b.sqrt(b.sub(b.square(x), b.Scalar(1, x))))
		}),
		":Atanh": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.recip(b.sub(b.Scalar(1, x), b.square(x)))
		}),
		":Erf": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			// 2/√π · exp(-x²)
			return b.scale(b.fn("Exp", b.neg(b.square(x))), 2/math.Sqrt(math.Pi))
		}),
		":Reciprocal": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.neg(b.square(y))
		}),
		":LeakyRelu": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.where01(b.less(x, 0), float64(n.Float("alpha")), 1, x)
		}),
		":Elu": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			// alpha·exp(x) = y + alpha below zero, 1 above.
			alpha := float64(n.Float("alpha"))
			return b.Op("Where", []*ir.Value{b.less(x, 0), b.add(y, b.Scalar(alpha, y)), b.Scalar(1, x)})
		}),
		":Selu": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			// gamma above zero; gamma·alpha·exp(x) = y + gamma·alpha at or below.
			alpha, gamma := float64(n.Float("alpha")), float64(n.Float("gamma"))
			return b.Op("Where", []*ir.Value{b.greater(x, 0), b.Scalar(gamma, x), b.add(y, b.Scalar(gamma*alpha, y))})
		}),
		":Celu": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			alpha := float64(n.Float("alpha"))
			return b.Op("Where", []*ir.Value{b.greater(x, 0), b.Scalar(1, x), b.fn("Exp", b.scale(x, 1/alpha))})
		}),
		":ThresholdedRelu": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.mask(b.greater(x, float64(n.Float("alpha"))), x)
		}),
		":Softplus": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value { return b.fn("Sigmoid", x) }),
		":Softsign": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			return b.recip(b.square(b.add(b.Scalar(1, x), b.fn("Abs", x))))
		}),
		":HardSigmoid": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			alpha, beta := float64(n.Float("alpha")), float64(n.Float("beta"))
			t := b.add(b.scale(x, alpha), b.Scalar(beta, x))
			in := b.Op("And", []*ir.Value{b.greater(t, 0), b.less(t, 1)})
			return b.where01(in, alpha, 0, x)
		}),
		":HardSwish": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			// x·clamp(x/6 + 1/2, 0, 1): 0 below -3, 1 above 3, x/3 + 1/2 between.
			mid := b.add(b.scale(x, 1.0/3), b.Scalar(0.5, x))
			above := b.Op("Where", []*ir.Value{b.greater(x, 3), b.Scalar(1, x), mid})
			return b.Op("Where", []*ir.Value{b.less(x, -3), b.Scalar(0, x), above})
		}),
		":Mish": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			// tanh(sp) + x·(1 - tanh²(sp))·sigmoid(x), sp = softplus(x).
			t := b.fn("Tanh", b.fn("Softplus", x))
			return b.add(t, b.mul(b.mul(x, b.sub(b.Scalar(1, x), b.square(t))), b.fn("Sigmoid", x)))
		}),
		":Swish": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			// s + alpha·x·s·(1-s), s = sigmoid(alpha·x).
			alpha := float64(n.Float("alpha"))
			s := b.fn("Sigmoid", b.scale(x, alpha))
			return b.add(s, b.mul(b.scale(x, alpha), b.mul(s, b.sub(b.Scalar(1, s), s))))
		}),
		":Gelu": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			if n.Str("approximate") == "tanh" {
				// y = x/2·(1+t), t = tanh(u), u = √(2/π)·(x + 0.044715x³):
				// y' = (1+t)/2 + x/2·(1-t²)·√(2/π)·(1 + 3·0.044715·x²).
				const c = 0.044715
				k := math.Sqrt(2 / math.Pi)
				x2 := b.square(x)
				u := b.scale(b.add(x, b.scale(b.mul(x2, x), c)), k)
				t := b.fn("Tanh", u)
				du := b.scale(b.add(b.Scalar(1, x), b.scale(x2, 3*c)), k)
				first := b.scale(b.add(b.Scalar(1, x), t), 0.5)
				second := b.mul(b.scale(x, 0.5), b.mul(b.sub(b.Scalar(1, t), b.square(t)), du))
				return b.add(first, second)
			}
			// y = x·Φ(x): y' = Φ(x) + x·φ(x).
			phi := b.scale(b.add(b.Scalar(1, x), b.fn("Erf", b.scale(x, 1/math.Sqrt2))), 0.5)
			pdf := b.scale(b.fn("Exp", b.scale(b.square(x), -0.5)), 1/math.Sqrt(2*math.Pi))
			return b.add(phi, b.mul(x, pdf))
		}),
		":Shrink": unaryRule(func(b *Builder, n *ir.Node, x, y *ir.Value) *ir.Value {
			l := float64(n.Float("lambd"))
			return b.mask(b.Op("Or", []*ir.Value{b.less(x, -l), b.greater(x, l)}), x)
		}),
		":Floor": zeroRule,
		":Ceil":  zeroRule,
		":Round": zeroRule,
		":Sign":  zeroRule,

		":PRelu": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			// y = x for x >= 0, slope·x below (slope broadcasts to x).
			x, slope, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
			neg := b.less(x, 0)
			out := make([]*ir.Value, 2)
			if wants(x) {
				d := b.Op("Where", []*ir.Value{neg, slope, b.Scalar(1, x)})
				g, err := b.Unbroadcast(b.mul(dy[0], d), x, y)
				if err != nil {
					return nil, err
				}
				out[0] = g
			}
			if wants(slope) {
				d := b.Op("Where", []*ir.Value{neg, x, b.Scalar(0, x)})
				g, err := b.Unbroadcast(b.mul(dy[0], d), slope, y)
				if err != nil {
					return nil, err
				}
				out[1] = g
			}
			return out, nil
		},

		":Pow": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			x, e, z := n.Inputs[0], n.Inputs[1], n.Outputs[0]
			if !isFloat(x) {
				return []*ir.Value{nil, nil}, nil
			}
			out := make([]*ir.Value, 2)
			if wants(x) {
				// e·x^(e-1)
				ef := b.castTo(e, x)
				d := b.mul(ef, b.Op("Pow", []*ir.Value{x, b.sub(ef, b.Scalar(1, ef))}))
				g, err := b.Unbroadcast(b.mul(dy[0], d), x, z)
				if err != nil {
					return nil, err
				}
				out[0] = g
			}
			if wants(e) {
				// z·log(x)
				d := b.castTo(b.mul(dy[0], b.mul(z, b.fn("Log", x))), e)
				g, err := b.Unbroadcast(d, e, z)
				if err != nil {
					return nil, err
				}
				out[1] = g
			}
			return out, nil
		},

		":Clip": clipRule,

		":Max": extremumRule,
		":Min": extremumRule,
		":Mean": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			y := n.Outputs[0]
			d := b.scale(dy[0], 1/float64(len(n.Inputs)))
			out := make([]*ir.Value, len(n.Inputs))
			for i, x := range n.Inputs {
				if !wants(x) {
					continue
				}
				g, err := b.Unbroadcast(d, x, y)
				if err != nil {
					return nil, err
				}
				out[i] = g
			}
			return out, nil
		},

		":Where": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			c, x, w, y := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Outputs[0]
			zero := b.Scalar(0, dy[0])
			out := make([]*ir.Value, 3)
			if wants(x) {
				g, err := b.Unbroadcast(b.Op("Where", []*ir.Value{c, dy[0], zero}), x, y)
				if err != nil {
					return nil, err
				}
				out[1] = g
			}
			if wants(w) {
				g, err := b.Unbroadcast(b.Op("Where", []*ir.Value{c, zero, dy[0]}), w, y)
				if err != nil {
					return nil, err
				}
				out[2] = g
			}
			return out, nil
		},

		":Cast":     castRule,
		":CastLike": castRule,
	})
}

// castRule passes the gradient back through a conversion between float
// types; a conversion from or to another type has no gradient.
func castRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	out := make([]*ir.Value, len(n.Inputs))
	x, y := n.Inputs[0], n.Outputs[0]
	if wants(x) && isFloat(y) {
		out[0] = b.castTo(dy[0], x)
	}
	return out, nil
}

// extremumRule is the rule of the variadic Max and Min: the gradient goes
// to the inputs that equal the result (to each of them where several tie).
func extremumRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	y := n.Outputs[0]
	out := make([]*ir.Value, len(n.Inputs))
	for i, x := range n.Inputs {
		if !wants(x) {
			continue
		}
		if len(n.Inputs) == 1 {
			out[i] = dy[0]
			continue
		}
		d := b.mul(dy[0], b.mask(b.Op("Equal", []*ir.Value{x, y}), x))
		g, err := b.Unbroadcast(d, x, y)
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

// clipRule: the gradient passes where the input was kept; where it was
// clipped it goes to the bound that replaced it (max when min > max, as
// the spec sets everything to max then).
func clipRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	out := make([]*ir.Value, len(n.Inputs))
	kept := b.Op("Equal", []*ir.Value{x, y})
	if wants(x) {
		out[0] = b.mul(dy[0], b.mask(kept, x))
	}
	if n.Opset < 11 {
		return out, nil
	}
	lo, hi := n.Input(1), n.Input(2)
	if !wants(lo) && !wants(hi) {
		return out, nil
	}
	clipped := b.Op("Not", []*ir.Value{kept})
	var atHi *ir.Value
	if hi != nil {
		atHi = b.Op("And", []*ir.Value{clipped, b.Op("Equal", []*ir.Value{y, hi})})
		if wants(hi) {
			out[2] = b.sumAll(b.mul(dy[0], b.mask(atHi, x)), hi)
		}
	}
	if wants(lo) {
		atLo := clipped
		if atHi != nil {
			atLo = b.Op("And", []*ir.Value{clipped, b.Op("Not", []*ir.Value{atHi})})
		}
		out[1] = b.sumAll(b.mul(dy[0], b.mask(atLo, x)), lo)
	}
	if len(out) > 3 {
		return nil, fmt.Errorf("Clip has %d inputs", len(n.Inputs))
	}
	return out, nil
}
