package autodiff

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Gradient rules of assorted ops: Mod, SwiGLU, MaxUnpool, nearest-mode
// Resize, Range and OneHot.

func init() {
	register(map[string]Rule{
		":Mod": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			// y = a - b·q with q = trunc(a/b) or floor(a/b), constant almost
			// everywhere: ∂y/∂a = 1, ∂y/∂b = -q = (y - a)/b.
			a, c, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
			if !isFloat(y) {
				return []*ir.Value{nil, nil}, nil
			}
			out := make([]*ir.Value, 2)
			if wants(a) {
				g, err := b.Unbroadcast(dy[0], a, y)
				if err != nil {
					return nil, err
				}
				out[0] = g
			}
			if wants(c) {
				g, err := b.Unbroadcast(b.mul(dy[0], b.div(b.sub(y, a), c)), c, y)
				if err != nil {
					return nil, err
				}
				out[1] = g
			}
			return out, nil
		},
		":SwiGLU": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			// y = a·s·c with s = sigmoid(alpha·a).
			a, c := n.Inputs[0], n.Inputs[1]
			alpha := float64(n.Float("alpha"))
			s := b.fn("Sigmoid", b.scale(a, alpha))
			out := make([]*ir.Value, 2)
			if wants(a) {
				d := b.add(s, b.mul(b.scale(a, alpha), b.mul(s, b.sub(b.Scalar(1, s), s))))
				out[0] = b.mul(dy[0], b.mul(c, d))
			}
			if wants(c) {
				out[1] = b.mul(dy[0], b.mul(a, s))
			}
			return out, nil
		},
		":MaxUnpool": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			// The output holds x at the flat positions the indices name.
			x, idx := n.Inputs[0], n.Inputs[1]
			out := make([]*ir.Value, len(n.Inputs))
			if wants(x) {
				out[0] = b.Op("Gather", []*ir.Value{b.Op("Reshape", []*ir.Value{dy[0], b.Ints(-1)}), idx})
			}
			return out, nil
		},
		":Resize": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			if m := n.Str("mode"); m != "nearest" {
				return nil, fmt.Errorf("Resize gradient in mode %s is not implemented", m)
			}
			return routeRule(true, false)(b, n, dy)
		},
		":Range": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			// y_i = start + i·delta; the limit only sets the length.
			start, delta, y := n.Inputs[0], n.Inputs[2], n.Outputs[0]
			out := make([]*ir.Value, 3)
			if !isFloat(y) {
				return out, nil
			}
			if wants(start) {
				out[0] = b.reduce("ReduceSum", dy[0], nil, false)
			}
			if wants(delta) {
				i := b.Op("Range", []*ir.Value{b.Const(tensor.Scalar(int64(0))), b.Op("Size", []*ir.Value{y}), b.Const(tensor.Scalar(int64(1)))})
				out[2] = b.reduce("ReduceSum", b.mul(dy[0], b.castTo(i, y)), nil, false)
			}
			return out, nil
		},
		":OneHot": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			// y = values[1] at the hot positions, values[0] elsewhere.
			vals := n.Inputs[2]
			out := make([]*ir.Value, 3)
			if !wants(vals) {
				return out, nil
			}
			t := tensor.New(elemOf(vals), 2)
			t.SetFloat64At(1, 1)
			hot := b.Op("OneHot", []*ir.Value{n.Inputs[0], n.Inputs[1], b.Const(t)}, ir.AInt("axis", n.Int("axis")))
			on := b.reduce("ReduceSum", b.mul(dy[0], hot), nil, true)
			all := b.reduce("ReduceSum", dy[0], nil, true)
			both := b.Op("Concat", []*ir.Value{b.reshape1(b.sub(all, on)), b.reshape1(on)}, ir.AInt("axis", 0))
			out[2] = b.reshapeLike(both, vals)
			return out, nil
		},
	})
}

// reshape1 makes x a 1-D tensor.
func (b *Builder) reshape1(x *ir.Value) *ir.Value { return b.Op("Reshape", []*ir.Value{x, b.Ints(-1)}) }
