package ir

// Captured returns the values that f (or a subgraph inside it) reads but
// does not define: the outer-scope values a subgraph captures. Captures
// record no use on the outer value, so passes and backends that must keep
// such values alive ask here rather than relying on use lists.
func (f *Func) Captured() map[*Value]bool {
	defined := map[*Value]bool{}
	used := map[*Value]bool{}
	var visit func(g *Func)
	visit = func(g *Func) {
		for _, v := range g.Values() {
			defined[v] = true
		}
		for _, n := range g.Nodes {
			for _, in := range n.Inputs {
				if in != nil {
					used[in] = true
				}
			}
			for _, s := range n.Subgraphs() {
				visit(s)
			}
		}
		for _, r := range g.Results {
			used[r] = true
		}
	}
	visit(f)
	out := map[*Value]bool{}
	for v := range used {
		if !defined[v] {
			out[v] = true
		}
	}
	return out
}
