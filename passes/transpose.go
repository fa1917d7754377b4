package passes

import (
	"slices"

	"github.com/onyxgo/onyx/ir"
)

// sinkTransposes removes Transposes that undo or extend one another:
// Transpose(Transpose(x, p1), p2) reads x with the composed perm, and
// goes when that perm is the identity; a Transpose before a chain of
// elementwise ops of one tensor operand (unary ops, and binary ops with a
// constant of one element) followed by another Transpose moves after the
// chain when that lets the two meet, so the pair composes or cancels.
func sinkTransposes(c *Context, f *ir.Func) (bool, error) {
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		changed := false
		for i := 0; i < len(g.Nodes); i++ {
			if sinkTranspose(g, g.Nodes[i]) {
				changed = true
				c.Hit()
				i = -1
			}
		}
		return changed, nil
	})
}

// elementwiseOne lists elementwise ops that sinkTransposes moves a
// Transpose past: every input but one must be a constant of one element.
var elementwiseOne = map[string]bool{
	"Abs": true, "Acos": true, "Acosh": true, "Asin": true, "Asinh": true, "Atan": true, "Atanh": true,
	"Cast": true, "Ceil": true, "Celu": true, "Clip": true, "Cos": true, "Cosh": true, "Elu": true, "Erf": true,
	"Exp": true, "Floor": true, "Gelu": true, "HardSigmoid": true, "HardSwish": true, "Identity": true,
	"IsInf": true, "IsNaN": true, "LeakyRelu": true, "Log": true, "Mish": true, "Neg": true, "Not": true,
	"Reciprocal": true, "Relu": true, "Round": true, "Selu": true, "Shrink": true, "Sigmoid": true, "Sign": true,
	"Sin": true, "Sinh": true, "Softplus": true, "Softsign": true, "Sqrt": true, "Tan": true, "Tanh": true,
	"ThresholdedRelu": true, "Add": true, "Sub": true, "Mul": true, "Div": true, "Pow": true, "Max": true, "Min": true,
	"Equal": true, "Less": true, "Greater": true, "LessOrEqual": true, "GreaterOrEqual": true,
}

// tensorOperand returns the index of n's one input that is not a constant
// of one element, when n is such an elementwise op with one output.
func tensorOperand(n *ir.Node) (int, bool) {
	if ir.NormDomain(n.Domain) != "" || !elementwiseOne[n.Op] || len(n.Outputs) != 1 || len(n.Subgraphs()) > 0 {
		return 0, false
	}
	idx := -1
	for i, in := range n.Inputs {
		if in == nil {
			continue
		}
		if t := constOf(in); t != nil && t.Len() == 1 && t.Rank() == 0 {
			continue
		}
		if idx >= 0 {
			return 0, false
		}
		idx = i
	}
	return idx, idx >= 0
}

// permOf returns the perm of a default-domain Transpose (the reversal of
// the dims when unset), nil when n is not one or the rank is unknown.
func permOf(n *ir.Node) []int64 {
	if n == nil || ir.NormDomain(n.Domain) != "" || n.Op != "Transpose" || len(n.Inputs) != 1 {
		return nil
	}
	if p := n.Ints("perm"); p != nil {
		return p
	}
	r := n.Inputs[0].Type.Rank()
	if r < 0 {
		return nil
	}
	p := make([]int64, r)
	for i := range p {
		p[i] = int64(r - 1 - i)
	}
	return p
}

func sinkTranspose(g *ir.Func, n *ir.Node) bool {
	p2 := permOf(n)
	if p2 == nil {
		return false
	}
	// Walk up from n through single-reader elementwise ops to a Transpose.
	type link struct {
		n   *ir.Node
		arg int
	}
	var chain []link
	v := n.Inputs[0]
	for permOf(v.Def) == nil {
		if v.Def == nil || len(v.Uses) != 1 || isResult(g, v) {
			return false
		}
		arg, ok := tensorOperand(v.Def)
		if !ok {
			return false
		}
		chain = append(chain, link{v.Def, arg})
		v = v.Def.Inputs[arg]
	}
	t1 := v.Def
	p1 := permOf(t1)
	if len(p1) != len(p2) || len(chain) > 0 && (len(v.Uses) != 1 || isResult(g, v)) {
		return false
	}
	x := t1.Inputs[0]
	q := make([]int64, len(p2))
	identity := true
	for i, p := range p2 {
		if p < 0 || int(p) >= len(p1) {
			return false
		}
		q[i] = p1[p]
		identity = identity && q[i] == int64(i)
	}
	in := x // what n's output becomes, or what n reads
	if len(chain) > 0 {
		in = chain[0].n.Outputs[0]
	}
	out := n.Outputs[0]
	// The chain now reads x, so its values have x's shape.
	if len(chain) > 0 {
		last := chain[len(chain)-1]
		last.n.SetInput(last.arg, x)
		for _, l := range chain {
			o := l.n.Outputs[0]
			if x.Type.HasShape {
				o.Type = ir.TensorOf(o.Type.Elem, x.Type.Shape)
			} else {
				o.Type = ir.UnrankedTensor(o.Type.Elem)
			}
		}
	}
	if identity {
		// With a chain, in is read by n alone and is no result, so bypass
		// succeeds; without, nothing has changed yet when it refuses.
		if !bypass(g, n, out, in) {
			return false
		}
	} else {
		n.SetInput(0, in)
		n.SetAttr(ir.AInts("perm", q...))
	}
	if o := t1.Outputs[0]; len(o.Uses) == 0 && !isResult(g, o) && !slices.ContainsFunc(g.Nodes, func(m *ir.Node) bool {
		return len(m.Subgraphs()) > 0 && capturedBy(m, o)
	}) {
		_ = g.RemoveNode(t1)
	}
	return true
}

// capturedBy reports whether a subgraph of n reads v.
func capturedBy(n *ir.Node, v *ir.Value) bool {
	for _, s := range n.Subgraphs() {
		if s.Captured()[v] {
			return true
		}
	}
	return false
}
