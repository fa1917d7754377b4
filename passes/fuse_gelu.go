package passes

import (
	"math"

	"github.com/onyxgo/onyx/ir"
)

// fuseGelu turns the GELU exporters write out into one Gelu, which opset
// 20 introduced:
//
//	x · 0.5 · (1 + Erf(x / √2))                          (exact)
//	x · 0.5 · (1 + Tanh(√(2/π) · (x + 0.044715 · x³)))   (approximate = "tanh")
//
// with the products grouped in any order, x/√2 written as a Div or a Mul
// by 1/√2, and x³ as Pow(x, 3) or products of x. Constants match within a
// relative 1e-4, so that exporters' rounded ones (1.4142, 0.7071) count.
func fuseGelu(c *Context, f *ir.Func) (bool, error) {
	if !hasOp(c, "Gelu") {
		return false, nil
	}
	refreshTypes(f)
	opset := c.Opset("")
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		return fuseEach(c, g, func(g *ir.Func, root *ir.Node) bool { return matchGelu(g, root, opset) }), nil
	})
}

const geluTol = 1e-4

func matchGelu(g *ir.Func, root *ir.Node, opset int) bool {
	if ir.NormDomain(root.Domain) != "" || (root.Op != "Mul" && root.Op != "Div") || len(root.Outputs) != 1 {
		return false
	}
	out := root.Outputs[0]
	p := newPattern(g, root)
	fs, k := p.product(out, true)
	if len(fs) != 2 || fs[0].inv || fs[1].inv || !near(k, 0.5, geluTol) {
		return false
	}
	for i := 0; i < 2; i++ {
		x, term := fs[i].v, fs[1-i].v
		m := p.mark()
		if approx, ok := p.geluTerm(term, x); ok && isFloat(x) && sameShape(x.Type, out.Type) &&
			x.Type.Elem == out.Type.Elem && p.check([]*ir.Value{x}, []*ir.Value{out}) {
			e := &emitter{g: g, at: root, opset: opset}
			var attrs []ir.Attr
			if approx != "none" {
				attrs = append(attrs, ir.AString("approximate", approx))
			}
			p.apply(e.node("Gelu", []*ir.Value{x}, []*ir.Value{out}, attrs...))
			return true
		}
		p.rollback(m)
	}
	return false
}

// geluTerm matches t = 1 + Erf(x/√2) or 1 + Tanh(√(2/π)(x + 0.044715x³))
// and returns the matching approximate attribute.
func (p *pattern) geluTerm(t, x *ir.Value) (string, bool) {
	add := p.sole(t, "Add")
	if add == nil || len(add.Inputs) != 2 {
		return "", false
	}
	for k := 0; k < 2; k++ {
		one, ok := scalarOf(add.Inputs[1-k])
		if !ok || !near(one, 1, geluTol) {
			continue
		}
		fn := p.sole(add.Inputs[k], "Erf", "Tanh")
		if fn == nil {
			continue
		}
		q, ok := p.polyOf(fn.Inputs[0], x)
		if !ok || q[0] != 0 || q[2] != 0 {
			return "", false
		}
		if fn.Op == "Erf" && q[3] == 0 && near(q[1], 1/math.Sqrt2, geluTol) {
			return "none", true
		}
		if fn.Op == "Tanh" && near(q[1], math.Sqrt(2/math.Pi), geluTol) && near(q[3]/q[1], 0.044715, geluTol) {
			return "tanh", true
		}
		return "", false
	}
	return "", false
}
