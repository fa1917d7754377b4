package passes

import (
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// eliminateNoops removes nodes that pass their input through unchanged:
// Identity, Dropout in inference (with its mask unread), Reshape to the
// input's own static shape, Transpose by the identity permutation, Cast to
// the input's own type, and Squeeze/Unsqueeze/Flatten/Expand whose output
// type equals their input's.
func eliminateNoops(c *Context, f *ir.Func) (bool, error) {
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		changed := false
		for i := 0; i < len(g.Nodes); i++ {
			n := g.Nodes[i]
			if !isNoop(n) {
				continue
			}
			if bypass(g, n, n.Outputs[0], n.Inputs[0]) {
				i--
				changed = true
				c.Hit()
			}
		}
		return changed, nil
	})
}

func isNoop(n *ir.Node) bool {
	if ir.NormDomain(n.Domain) != "" || len(n.Inputs) == 0 || n.Inputs[0] == nil || len(n.Outputs) == 0 || n.Outputs[0] == nil {
		return false
	}
	in, out := n.Inputs[0], n.Outputs[0]
	sameStatic := func() bool {
		_, ok := in.Type.StaticShape()
		return ok && in.Type.Equal(out.Type)
	}
	switch n.Op {
	case "Identity":
		return in.Type.Kind == ir.KindTensor || in.Type.Kind == ir.KindUnknown
	case "Dropout":
		if len(n.Outputs) > 1 && n.Outputs[1] != nil && len(n.Outputs[1].Uses) > 0 {
			return false
		}
		if n.Opset >= 12 && len(n.Inputs) > 2 && n.Inputs[2] != nil {
			t := n.Inputs[2]
			return t.IsConst() && t.Const.Len() == 1 && t.Const.Float64At(0) == 0
		}
		return true
	case "Cast":
		return in.Type.Elem != tensor.Undefined && tensor.DType(n.Int("to")) == in.Type.Elem
	case "Transpose":
		perm := n.Ints("perm")
		if perm == nil {
			return in.Type.Rank() >= 0 && in.Type.Rank() <= 1
		}
		for i, p := range perm {
			if p != int64(i) {
				return false
			}
		}
		return true
	case "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Expand":
		return sameStatic()
	}
	return false
}

// bypass makes every reader of out read in instead and removes n. When out
// is a result of g, its name must survive: then in takes out's name, which
// is possible only when in is an intermediate value read by n alone.
func bypass(g *ir.Func, n *ir.Node, out, in *ir.Value) bool {
	isResult := false
	for _, r := range g.Results {
		if r == out {
			isResult = true
		}
	}
	if isResult {
		if in.Def == nil || len(in.Uses) != 1 || in.Type.Kind != out.Type.Kind {
			return false
		}
		for _, r := range g.Results {
			if r == in {
				return false
			}
		}
		name := out.Name
		out.Name = name + "/bypassed"
		in.Name = name
		in.Type = out.Type
	}
	g.ReplaceAllUsesWith(out, in)
	for _, o := range n.Outputs {
		if o != nil && o != out && len(o.Uses) > 0 {
			return false
		}
	}
	for _, o := range n.Outputs {
		if o != nil {
			o.Uses = nil
		}
	}
	return g.RemoveNode(n) == nil
}
