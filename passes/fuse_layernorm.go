package passes

import (
	"slices"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// fuseLayerNorm turns the layer normalization exporters write out,
//
//	d = Sub(x, ReduceMean(x))
//	y = d / Sqrt(ReduceMean(d²) + eps) · gamma + beta
//
// over the trailing axes of x (d² as Pow(d, 2) or Mul(d, d), the division
// as Div or as Mul by a Reciprocal, gamma and beta optional, the products
// grouped in any order) into one LayerNormalization, which opset 17
// introduced.
func fuseLayerNorm(c *Context, f *ir.Func) (bool, error) {
	if !hasOp(c, "LayerNormalization") {
		return false, nil
	}
	refreshTypes(f)
	opset := c.Opset("")
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		return fuseEach(c, g, func(g *ir.Func, root *ir.Node) bool { return matchNorm(g, root, opset, false) }), nil
	})
}

// matchNorm fuses the layer normalization (or, with rms, the RMS
// normalization) ending at root.
func matchNorm(g *ir.Func, root *ir.Node, opset int, rms bool) bool {
	if ir.NormDomain(root.Domain) != "" || len(root.Outputs) != 1 || len(root.Inputs) != 2 {
		return false
	}
	switch root.Op {
	case "Add":
		if rms {
			return false
		}
		for k := 0; k < 2; k++ {
			if tryNorm(g, root, root.Inputs[k], root.Inputs[1-k], opset, rms) {
				return true
			}
		}
	case "Mul", "Div":
		return tryNorm(g, root, root.Outputs[0], nil, opset, rms)
	}
	return false
}

// tryNorm matches root as beta added to prod (beta nil: root is prod),
// prod being the normalized value times an optional scale.
func tryNorm(g *ir.Func, root *ir.Node, prod, beta *ir.Value, opset int, rms bool) bool {
	out := root.Outputs[0]
	p := newPattern(g, root)
	fs, k := p.product(prod, beta == nil)
	if !near(k, 1, 1e-6) {
		return false
	}
	var den *ir.Value
	var nums []*ir.Value
	for _, f := range fs {
		if !f.inv {
			nums = append(nums, f.v)
			continue
		}
		if den != nil {
			return false
		}
		den = f.v
	}
	if den == nil {
		return false
	}
	ms, ok := p.rootMeanSquare(den)
	if !ok {
		return false
	}
	x := ms.base
	if !rms {
		sub := p.inner(ms.base, "Sub")
		if sub == nil || len(sub.Inputs) != 2 {
			return false
		}
		x = sub.Inputs[0]
		mean := p.inner(sub.Inputs[1], "ReduceMean")
		if mean == nil || mean.Inputs[0] != x {
			return false
		}
		if axes, ok := reduceAxes(mean, x.Type.Rank()); !ok || !slices.Equal(axes, ms.axes) {
			return false
		}
	}
	// The numerator is the normalized value and at most one scale.
	var gamma *ir.Value
	seen := false
	for _, v := range nums {
		if v == ms.base && !seen {
			seen = true
			continue
		}
		if gamma != nil {
			return false
		}
		gamma = v
	}
	r := x.Type.Rank()
	nAxes, ok := trailing(ms.axes, r)
	if !seen || !ok || !isFloat(x) || out.Type.Elem != x.Type.Elem || !sameShape(x.Type, out.Type) {
		return false
	}
	var normShape []int
	if gamma == nil {
		for _, d := range x.Type.Shape[r-nAxes:] {
			if !d.IsKnown() {
				return false
			}
			normShape = append(normShape, int(d.Size))
		}
	}
	if !p.check([]*ir.Value{x, gamma, beta}, []*ir.Value{out}) {
		return false
	}
	e := &emitter{g: g, at: root, opset: opset}
	if gamma == nil {
		gamma = e.ones(x.Type.Elem, normShape)
	}
	op := "LayerNormalization"
	if rms {
		op = "RMSNormalization"
	}
	ins := []*ir.Value{x, gamma}
	if beta != nil {
		ins = append(ins, beta)
	}
	attrs := []ir.Attr{ir.AInt("axis", int64(-nAxes)), ir.AFloat("epsilon", float32(ms.eps))}
	if x.Type.Elem == tensor.Float64 {
		attrs = append(attrs, ir.AInt("stash_type", int64(tensor.Float64)))
	}
	p.apply(e.node(op, ins, []*ir.Value{out}, attrs...))
	return true
}
