package passes

import (
	"fmt"
	"github.com/onyxgo/onyx/backends/cpu"
	"strings"

	"github.com/onyxgo/onyx/ir"
)

// eliminateCommonSubexpressions merges a node into an earlier one with the
// same op, opset, inputs and attributes: readers of its outputs read the
// earlier node's instead. Random ops and nodes with subgraphs are left
// alone.
func eliminateCommonSubexpressions(c *Context, f *ir.Func) (bool, error) {
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		seen := map[string]*ir.Node{}
		changed := false
		for i := 0; i < len(g.Nodes); i++ {
			n := g.Nodes[i]
			if cpu.Nondeterministic(n.Op) || len(n.Subgraphs()) > 0 {
				continue
			}
			k := nodeKey(n)
			prev, ok := seen[k]
			if !ok {
				seen[k] = n
				continue
			}
			if !canMerge(g, n) {
				continue
			}
			for j, o := range n.Outputs {
				if o != nil && prev.Outputs[j] != nil {
					g.ReplaceAllUsesWith(o, prev.Outputs[j])
				}
			}
			for _, o := range n.Outputs {
				if o != nil {
					o.Uses = nil
				}
			}
			if err := g.RemoveNode(n); err != nil {
				return changed, err
			}
			i--
			changed = true
			c.Hit()
		}
		return changed, nil
	})
}

// canMerge refuses nodes whose outputs are graph results: their names
// must survive.
func canMerge(g *ir.Func, n *ir.Node) bool {
	for _, r := range g.Results {
		for _, o := range n.Outputs {
			if r == o {
				return false
			}
		}
	}
	return true
}

func nodeKey(n *ir.Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%d|", n.Domain, n.Op, n.Opset)
	for _, in := range n.Inputs {
		fmt.Fprintf(&b, "%p,", in)
	}
	b.WriteString("|")
	for _, o := range n.Outputs {
		if o == nil {
			b.WriteString("_,")
		} else {
			b.WriteString("o,")
		}
	}
	for _, a := range n.Attrs {
		fmt.Fprintf(&b, "|%s:%d:", a.Name, a.Type)
		switch a.Type {
		case ir.AttrTensor:
			fmt.Fprintf(&b, "%p", a.T)
		case ir.AttrTensors:
			for _, t := range a.Tensors {
				fmt.Fprintf(&b, "%p,", t)
			}
		default:
			fmt.Fprintf(&b, "%v", a.Value())
		}
	}
	return b.String()
}
