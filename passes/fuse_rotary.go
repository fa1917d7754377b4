package passes

import (
	"math"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// fuseRotary turns the rotate-half rotary embedding exporters write out,
//
//	y = x·cos + Concat(-x[..., d/2:], x[..., :d/2], axis=-1)·sin
//
// on a 4-D x of (batch, heads, seq, head_size), with the products in
// either order, into one RotaryEmbedding, which opset 23 introduced. The
// cos and sin tables repeat their first half in their second (as
// cat(freqs, freqs) makes them) and are either constants over (seq,
// head_size) with leading dims of 1, or rows of constant tables gathered
// by position ids and unsqueezed at axis 1. The fused node takes the first
// halves of the tables as its caches, with the position ids it reads (for
// constants, 0, 1, ... per batch entry).
func fuseRotary(c *Context, f *ir.Func) (bool, error) {
	if !hasOp(c, "RotaryEmbedding") {
		return false, nil
	}
	refreshTypes(f)
	opset := c.Opset("")
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		return fuseEach(c, g, func(g *ir.Func, root *ir.Node) bool { return matchRotary(g, root, opset) }), nil
	})
}

func matchRotary(g *ir.Func, root *ir.Node, opset int) bool {
	if ir.NormDomain(root.Domain) != "" || root.Op != "Add" || len(root.Inputs) != 2 {
		return false
	}
	out := root.Outputs[0]
	for k := 0; k < 2; k++ {
		p := newPattern(g, root)
		a, b := p.sole(root.Inputs[k], "Mul"), p.sole(root.Inputs[1-k], "Mul")
		if a == nil || b == nil || len(a.Inputs) != 2 || len(b.Inputs) != 2 {
			continue
		}
		for kb := 0; kb < 2; kb++ {
			m := p.mark()
			x, ok := p.rotateHalf(b.Inputs[kb])
			sin := b.Inputs[1-kb]
			var cos *ir.Value
			switch {
			case !ok:
			case a.Inputs[0] == x:
				cos = a.Inputs[1]
			case a.Inputs[1] == x:
				cos = a.Inputs[0]
			}
			if cos != nil && applyRotary(p, x, cos, sin, out, opset) {
				return true
			}
			p.rollback(m)
		}
	}
	return false
}

// rotateHalf matches Concat(Neg(x[..., h:]), x[..., :h], axis=-1) with h
// half of x's last dim, and returns x.
func (p *pattern) rotateHalf(v *ir.Value) (*ir.Value, bool) {
	cat := p.sole(v, "Concat")
	if cat == nil || len(cat.Inputs) != 2 || v.Type.Rank() != 4 {
		return nil, false
	}
	if ax, err := ir.NormAxis(cat.Int("axis"), 4); err != nil || ax != 3 {
		return nil, false
	}
	neg := p.sole(cat.Inputs[0], "Neg")
	if neg == nil {
		return nil, false
	}
	hi, lo := p.sole(neg.Inputs[0], "Slice"), p.sole(cat.Inputs[1], "Slice")
	if hi == nil || lo == nil || hi.Inputs[0] != lo.Inputs[0] {
		return nil, false
	}
	x := hi.Inputs[0]
	if x.Type.Rank() != 4 || !x.Type.Shape[3].IsKnown() || x.Type.Shape[3].Size%2 != 0 {
		return nil, false
	}
	d := x.Type.Shape[3].Size
	s1, e1, ok1 := lastAxisSlice(hi, d)
	s2, e2, ok2 := lastAxisSlice(lo, d)
	if !ok1 || !ok2 || s1 != d/2 || e1 != d || s2 != 0 || e2 != d/2 {
		return nil, false
	}
	return x, true
}

// lastAxisSlice returns the clamped start and end of a Slice (opset 10 or
// later, constant inputs) of the last axis of a 4-D value whose last dim
// is d, with step 1.
func lastAxisSlice(n *ir.Node, d int64) (start, end int64, ok bool) {
	if n.Opset < 10 || len(n.Inputs) < 4 {
		return 0, 0, false
	}
	st, en, ax := constOf(n.Inputs[1]), constOf(n.Inputs[2]), constOf(n.Inputs[3])
	if st == nil || en == nil || ax == nil || st.Len() != 1 || en.Len() != 1 || ax.Len() != 1 {
		return 0, 0, false
	}
	if a, err := ir.NormAxis(ax.Int64At(0), 4); err != nil || a != 3 {
		return 0, 0, false
	}
	if len(n.Inputs) > 4 && n.Inputs[4] != nil {
		if s := constOf(n.Inputs[4]); s == nil || s.Len() != 1 || s.Int64At(0) != 1 {
			return 0, 0, false
		}
	}
	clamp := func(i int64) int64 {
		if i < 0 {
			i += d
		}
		return max(0, min(i, d))
	}
	return clamp(st.Int64At(0)), clamp(en.Int64At(0)), true
}

// applyRotary checks the tables and, when they fit, replaces the pattern.
func applyRotary(p *pattern, x, cos, sin, out *ir.Value, opset int) bool {
	if !isFloat(x) || !sameShape(x.Type, out.Type) || out.Type.Elem != x.Type.Elem {
		return false
	}
	xs, ok := x.Type.StaticShape()
	if !ok {
		return false
	}
	batch, seq, d := xs[0], xs[2], xs[3]
	cosT, sinT, pos := rotaryTables(cos, sin, seq, d)
	if cosT == nil || cosT.DType() != x.Type.Elem || sinT.DType() != x.Type.Elem {
		return false
	}
	cosC, ok1 := firstHalf(cosT, d)
	sinC, ok2 := firstHalf(sinT, d)
	if !ok1 || !ok2 || !p.check([]*ir.Value{x, pos}, []*ir.Value{out}) {
		return false
	}
	if pos != nil && !(pos.Type.Rank() == 2 && sameDim(pos.Type.Shape[0], x.Type.Shape[0]) && sameDim(pos.Type.Shape[1], x.Type.Shape[2])) {
		return false
	}
	e := &emitter{g: p.g, at: p.root, opset: opset}
	if pos == nil {
		ids := tensor.New(tensor.Int64, batch, seq)
		for b := 0; b < batch; b++ {
			for s := 0; s < seq; s++ {
				ids.SetInt64At(b*seq+s, int64(s))
			}
		}
		pos = e.c(ids)
	}
	p.apply(e.node("RotaryEmbedding", []*ir.Value{x, e.c(cosC), e.c(sinC), pos}, []*ir.Value{out}))
	return true
}

// rotaryTables finds the cos and sin tables as (positions, d) constants:
// constants of shape (..., seq, d) with leading dims of 1, read at
// positions 0..seq-1 (pos nil), or Unsqueeze(Gather(table, pos), axis 1)
// of constant tables by the same position ids.
func rotaryTables(cos, sin *ir.Value, seq, d int) (cosT, sinT *tensor.Tensor, pos *ir.Value) {
	if c, s := constOf(cos), constOf(sin); c != nil && s != nil {
		for _, t := range []*tensor.Tensor{c, s} {
			r := t.Rank()
			if r < 2 || r > 4 || t.Dim(r-1) != d || t.Dim(r-2) != seq {
				return nil, nil, nil
			}
			for i := 0; i < r-2; i++ {
				if t.Dim(i) != 1 {
					return nil, nil, nil
				}
			}
		}
		return c, s, nil
	}
	gathered := func(v *ir.Value) (*tensor.Tensor, *ir.Value) {
		un := defOp(v, "Unsqueeze")
		if un == nil {
			return nil, nil
		}
		var axes []int64
		if un.Opset < 13 {
			axes = un.Ints("axes")
		} else if t := constOf(un.Input(1)); t != nil {
			axes = t.Int64sOf()
		}
		ga := defOp(un.Inputs[0], "Gather")
		if len(axes) != 1 || axes[0] != 1 || ga == nil || ga.Int("axis") != 0 {
			return nil, nil
		}
		t := constOf(ga.Inputs[0])
		if t == nil || t.Rank() != 2 || t.Dim(1) != d {
			return nil, nil
		}
		return t, ga.Inputs[1]
	}
	c, pc := gathered(cos)
	s, ps := gathered(sin)
	if c == nil || s == nil || pc != ps || c.Dim(0) != s.Dim(0) {
		return nil, nil, nil
	}
	if !pc.Type.Elem.IsInt() || pc.Type.Elem != tensor.Int64 {
		return nil, nil, nil
	}
	return c, s, pc
}

// firstHalf returns the first d/2 columns of a table of rows of d values,
// as (rows, d/2), when every row repeats them in its second half.
func firstHalf(t *tensor.Tensor, d int) (*tensor.Tensor, bool) {
	h := d / 2
	rows := t.Len() / d
	out := tensor.New(t.DType(), rows, h)
	for r := 0; r < rows; r++ {
		for j := 0; j < h; j++ {
			a, b := t.Float64At(r*d+j), t.Float64At(r*d+h+j)
			if math.Abs(a-b) > 1e-6*math.Max(1, math.Abs(a)) {
				return nil, false
			}
			out.SetFloat64At(r*h+j, a)
		}
	}
	return out, true
}
