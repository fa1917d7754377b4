package autodiff

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
)

// TrainingDomain is the domain of the ONNX training ops.
const TrainingDomain = "ai.onnx.preview.training"

// ExpandGradientOps replaces every Gradient node of f (ONNX
// ai.onnx.preview.training) with the backward nodes that compute it: the
// gradient of the value named by its y attribute with respect to the
// values named by xs. It reports whether f changed.
func ExpandGradientOps(f *ir.Func) (bool, error) {
	changed := false
	for i := 0; i < len(f.Nodes); i++ {
		n := f.Nodes[i]
		if n.Op != "Gradient" || ir.NormDomain(n.Domain) != TrainingDomain {
			continue
		}
		if err := expand(f, n); err != nil {
			return changed, fmt.Errorf("autodiff: Gradient node %s: %w", n, err)
		}
		changed = true
		i = -1 // the node list changed; rescan
	}
	return changed, nil
}

func expand(f *ir.Func, n *ir.Node) error {
	y := lookup(f, n.Str("y"))
	if y == nil {
		return fmt.Errorf("y %q is not a value of the graph", n.Str("y"))
	}
	var xs []*ir.Value
	for _, name := range n.Strings("xs") {
		x := lookup(f, name)
		if x == nil {
			return fmt.Errorf("xs names %q, which is not a value of the graph", name)
		}
		xs = append(xs, x)
	}
	if len(xs) != len(n.Outputs) {
		return fmt.Errorf("%d xs but %d outputs", len(xs), len(n.Outputs))
	}
	opset := 0
	for _, m := range f.Nodes {
		if ir.NormDomain(m.Domain) == "" {
			opset = max(opset, m.Opset)
		}
	}
	if opset == 0 {
		return fmt.Errorf("cannot tell the default-domain opset")
	}
	grads, err := Grad(f, n, opset, y, xs, nil)
	if err != nil {
		return err
	}
	for i, o := range n.Outputs {
		if o == nil {
			continue
		}
		g := grads[i]
		if o.Name != "" {
			// Keep the output's name: graph results are matched by it.
			id := &ir.Node{Op: "Identity", Opset: opset, Inputs: []*ir.Value{g}, Schema: ir.LookupSchema("", "Identity", opset)}
			out := &ir.Value{Name: o.Name + "/grad", Type: o.Type}
			id.Outputs = []*ir.Value{out}
			f.InsertBefore(n, id)
			f.ReplaceAllUsesWith(o, out)
			out.Name, o.Name = o.Name, o.Name+"/replaced"
		}
	}
	for _, o := range n.Outputs {
		if o != nil {
			o.Uses = nil
		}
	}
	return f.RemoveNode(n)
}

func lookup(f *ir.Func, name string) *ir.Value {
	for g := f; g != nil; g = g.Outer {
		if v := g.Lookup(name); v != nil {
			return v
		}
	}
	return nil
}
