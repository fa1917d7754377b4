package passes

import "github.com/onyxgo/onyx/ir"

// eliminateDeadCode removes nodes none of whose outputs is read (by a
// later node, a subgraph that captures it, or a result) and constants
// nothing reads. Liveness is computed from the results backwards rather
// than from use lists, so that values captured by subgraphs count.
func eliminateDeadCode(c *Context, f *ir.Func) (bool, error) {
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		live := map[*ir.Value]bool{}
		for _, r := range g.Results {
			live[r] = true
		}
		keep := make([]bool, len(g.Nodes))
		for i := len(g.Nodes) - 1; i >= 0; i-- {
			n := g.Nodes[i]
			for _, o := range n.Outputs {
				if o != nil && live[o] {
					keep[i] = true
				}
			}
			if !keep[i] && !hasSideEffects(n) {
				continue
			}
			keep[i] = true
			for _, in := range n.Inputs {
				if in != nil {
					live[in] = true
				}
			}
			for _, s := range n.Subgraphs() {
				for v := range s.Captured() {
					live[v] = true
				}
			}
		}
		changed := false
		var nodes []*ir.Node
		for i, n := range g.Nodes {
			if keep[i] {
				nodes = append(nodes, n)
				continue
			}
			for _, in := range n.Inputs {
				if in != nil {
					removeUse(in, n)
				}
			}
			changed = true
			c.Hit()
		}
		g.Nodes = nodes
		var consts []*ir.Value
		for _, v := range g.Consts {
			if live[v] {
				consts = append(consts, v)
			} else {
				changed = true
			}
		}
		g.Consts = consts
		return changed, nil
	})
}

// hasSideEffects reports nodes that must stay even when unread. No ONNX op
// has side effects; the hook exists for custom domains.
func hasSideEffects(n *ir.Node) bool { return false }

func removeUse(v *ir.Value, n *ir.Node) {
	for i, u := range v.Uses {
		if u == n {
			v.Uses = append(v.Uses[:i], v.Uses[i+1:]...)
			return
		}
	}
}
