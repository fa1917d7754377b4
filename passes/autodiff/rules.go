package autodiff

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
)

// rules is the gradient table: one rule per differentiable op, keyed by
// "domain:op" ("" for ai.onnx).
var rules = map[string]Rule{
	":Identity": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) { return dy[:1], nil },
	":Add": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		return binary(b, n, dy[0], dy[0])
	},
	":Sub": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		return binary(b, n, dy[0], b.Op("Neg", []*ir.Value{dy[0]}))
	},
	":Mul": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		a, c := n.Inputs[0], n.Inputs[1]
		return binary(b, n, b.Op("Mul", []*ir.Value{dy[0], c}), b.Op("Mul", []*ir.Value{dy[0], a}))
	},
	":Div": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		// z = a/c: dz/da = 1/c, dz/dc = -z/c.
		c, z := n.Inputs[1], n.Outputs[0]
		da := b.Op("Div", []*ir.Value{dy[0], c})
		dc := b.Op("Neg", []*ir.Value{b.Op("Div", []*ir.Value{b.Op("Mul", []*ir.Value{dy[0], z}), c})})
		return binary(b, n, da, dc)
	},
	":Neg": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		return []*ir.Value{b.Op("Neg", []*ir.Value{dy[0]})}, nil
	},
	":Relu": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		x := n.Inputs[0]
		mask := b.Op("Cast", []*ir.Value{b.Op("Greater", []*ir.Value{x, b.Scalar(0, x)})}, ir.AInt("to", int64(x.Type.Elem)))
		return []*ir.Value{b.Op("Mul", []*ir.Value{dy[0], mask})}, nil
	},
	":Sigmoid": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		// y' = y(1-y)
		y := n.Outputs[0]
		d := b.Op("Mul", []*ir.Value{y, b.Op("Sub", []*ir.Value{b.Scalar(1, y), y})})
		return []*ir.Value{b.Op("Mul", []*ir.Value{dy[0], d})}, nil
	},
	":Tanh": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		// y' = 1 - y²
		y := n.Outputs[0]
		d := b.Op("Sub", []*ir.Value{b.Scalar(1, y), b.Op("Mul", []*ir.Value{y, y})})
		return []*ir.Value{b.Op("Mul", []*ir.Value{dy[0], d})}, nil
	},
	":Exp": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		return []*ir.Value{b.Op("Mul", []*ir.Value{dy[0], n.Outputs[0]})}, nil
	},
	":Log": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		return []*ir.Value{b.Op("Div", []*ir.Value{dy[0], n.Inputs[0]})}, nil
	},
	":Sqrt": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		// y' = 1/(2y)
		y := n.Outputs[0]
		return []*ir.Value{b.Op("Div", []*ir.Value{dy[0], b.Op("Mul", []*ir.Value{b.Scalar(2, y), y})})}, nil
	},
	":Sum": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		out := make([]*ir.Value, len(n.Inputs))
		for i, x := range n.Inputs {
			g, err := b.Unbroadcast(dy[0], x, n.Outputs[0])
			if err != nil {
				return nil, err
			}
			out[i] = g
		}
		return out, nil
	},
	":MatMul": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		a, c, z := n.Inputs[0], n.Inputs[1], n.Outputs[0]
		if a.Type.Rank() < 2 || c.Type.Rank() < 2 {
			return nil, fmt.Errorf("MatMul gradient needs operands of rank 2 or more, have %s and %s", a.Type, c.Type)
		}
		da := b.Op("MatMul", []*ir.Value{dy[0], b.transposeLast(c)})
		dc := b.Op("MatMul", []*ir.Value{b.transposeLast(a), dy[0]})
		ga, err := b.unbroadcastBatch(da, a, z)
		if err != nil {
			return nil, err
		}
		gc, err := b.unbroadcastBatch(dc, c, z)
		if err != nil {
			return nil, err
		}
		return []*ir.Value{ga, gc}, nil
	},
	":Transpose": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		perm := n.Ints("perm")
		if perm == nil {
			r := n.Inputs[0].Type.Rank()
			if r < 0 {
				return nil, fmt.Errorf("Transpose gradient needs the input rank")
			}
			for i := r - 1; i >= 0; i-- {
				perm = append(perm, int64(i))
			}
		}
		inv := make([]int64, len(perm))
		for i, p := range perm {
			inv[p] = int64(i)
		}
		return []*ir.Value{b.Op("Transpose", []*ir.Value{dy[0]}, ir.AInts("perm", inv...))}, nil
	},
	":Reshape": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		return []*ir.Value{b.Op("Reshape", []*ir.Value{dy[0], b.Op("Shape", []*ir.Value{n.Inputs[0]})}), nil}, nil
	},
}

// binary returns the gradients of a broadcasting binary op from the
// full-size gradients of its two inputs.
func binary(b *Builder, n *ir.Node, da, dc *ir.Value) ([]*ir.Value, error) {
	z := n.Outputs[0]
	ga, err := b.Unbroadcast(da, n.Inputs[0], z)
	if err != nil {
		return nil, err
	}
	gc, err := b.Unbroadcast(dc, n.Inputs[1], z)
	if err != nil {
		return nil, err
	}
	return []*ir.Value{ga, gc}, nil
}

// transposeLast swaps the last two axes of x.
func (b *Builder) transposeLast(x *ir.Value) *ir.Value {
	r := x.Type.Rank()
	perm := make([]int64, r)
	for i := range perm {
		perm[i] = int64(i)
	}
	perm[r-1], perm[r-2] = perm[r-2], perm[r-1]
	return b.Op("Transpose", []*ir.Value{x}, ir.AInts("perm", perm...))
}

// unbroadcastBatch sums the gradient g of a matrix operand x over the batch
// axes that MatMul broadcast x along to make z.
func (b *Builder) unbroadcastBatch(g, x, z *ir.Value) (*ir.Value, error) {
	xr, zr := x.Type.Rank(), z.Type.Rank()
	if zr < 0 {
		return g, nil
	}
	var axes []int64
	for i := 0; i < zr-2; i++ {
		j := i - (zr - xr)
		if j < 0 || (x.Type.Shape[j].IsKnown() && x.Type.Shape[j].Size == 1 && !(z.Type.Shape[i].IsKnown() && z.Type.Shape[i].Size == 1)) {
			axes = append(axes, int64(i))
		}
	}
	if len(axes) == 0 {
		return g, nil
	}
	return b.Op("Reshape", []*ir.Value{b.ReduceSum(g, axes), b.Op("Shape", []*ir.Value{x})}), nil
}
