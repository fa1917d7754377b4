package autodiff

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Gradient rules of assorted ops: Mod, SwiGLU, MaxUnpool, nearest-mode
// Resize, Range, OneHot and DequantizeLinear.

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
		":DequantizeLinear": dequantizeRule,
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

// dequantizeRule: y = (x - zero_point)·scale, with scale per tensor, per
// slice along axis or per block along axis. Only the scale has a
// gradient: Σ dy·(x - zero_point) over the elements sharing it.
func dequantizeRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, scale, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	out := make([]*ir.Value, len(n.Inputs))
	if !wants(scale) || !isFloat(y) {
		return out, nil
	}
	ins := append([]*ir.Value{}, n.Inputs...)
	ins[1] = b.onesLike(scale)
	q, err := b.replay(n, ins, 1)
	if err != nil {
		return nil, err
	}
	g := b.castTo(b.mul(dy[0], q[0]), scale)
	r, sr := x.Type.Rank(), scale.Type.Rank()
	switch {
	case sr == 0 || n.Opset < 13:
		out[1] = b.sumAll(g, scale)
	case r < 0 || sr < 0:
		return nil, fmt.Errorf("DequantizeLinear gradient needs the ranks of x and scale")
	case n.Int("block_size") == 0:
		ax, err := ir.NormAxis(n.Int("axis"), r)
		if err != nil {
			return nil, err
		}
		var axes []int64
		for i := 0; i < r; i++ {
			if i != ax {
				axes = append(axes, int64(i))
			}
		}
		out[1] = b.sumTo(g, axes, scale)
	default:
		// Blocks of block_size along axis: [.., D, ..] -> [.., D/B, B, ..].
		ax, err := ir.NormAxis(n.Int("axis"), r)
		if err != nil {
			return nil, err
		}
		bs := n.Int("block_size")
		d := x.Type.Shape[ax]
		if !d.IsKnown() || d.Size%bs != 0 {
			return nil, fmt.Errorf("DequantizeLinear gradient needs blocks that divide the axis (%s, block_size %d)", x.Type, bs)
		}
		shape := make([]int64, 0, r+1)
		for i := 0; i < r; i++ {
			if i == ax {
				shape = append(shape, d.Size/bs, bs)
			} else {
				shape = append(shape, 0)
			}
		}
		split := b.Op("Reshape", []*ir.Value{g, b.Ints(shape...)})
		out[1] = b.sumTo(split, []int64{int64(ax + 1)}, scale)
	}
	return out, nil
}
