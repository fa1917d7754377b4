package passes

import (
	"context"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

const defaultFoldLimit = 1 << 10

// foldConstants replaces nodes whose inputs are all constants by the
// constants they compute, evaluated with the CPU reference kernels. Shape
// and Size of values with static shapes fold too. A result larger than
// the limit (the larger of its inputs' bytes and Options.FoldLimit) is
// left alone so that folding never inflates a model.
func foldConstants(c *Context, f *ir.Func) (bool, error) {
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		changed := false
		for i := 0; i < len(g.Nodes); i++ {
			n := g.Nodes[i]
			outs, err := foldNode(c, n)
			if err != nil {
				c.Note("node %s: %v", n, err)
				continue
			}
			if outs == nil {
				continue
			}
			for j, o := range n.Outputs {
				if o == nil {
					continue
				}
				v := &ir.Value{Name: o.Name, Type: ir.TensorOf(outs[j].DType(), ir.DimsOf(outs[j].Shape())), Const: outs[j]}
				g.Consts = append(g.Consts, v)
				g.ReplaceAllUsesWith(o, v)
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

// foldNode evaluates n when it can be folded, else returns nil.
func foldNode(c *Context, n *ir.Node) ([]*tensor.Tensor, error) {
	if ir.NormDomain(n.Domain) != "" || cpu.Nondeterministic(n.Op) || len(n.Subgraphs()) > 0 {
		return nil, nil
	}
	switch n.Op {
	case "Shape", "Size":
		if in := n.Input(0); in != nil && !in.IsConst() {
			return foldShape(n, in)
		}
	}
	limit := c.Options.FoldLimit
	if limit == 0 {
		limit = defaultFoldLimit
	}
	inBytes := 0
	for _, in := range n.Inputs {
		if in == nil {
			continue
		}
		if !in.IsConst() {
			return nil, nil
		}
		inBytes += tensorBytes(in.Const)
	}
	for _, o := range n.Outputs {
		if o == nil {
			continue
		}
		if !o.Type.IsTensor() {
			return nil, nil
		}
		if s, ok := o.Type.StaticShape(); ok {
			if n, err := tensor.NumElements(s); err != nil || n*max(o.Type.Elem.Size(), 8) > max(limit, inBytes) {
				return nil, nil
			}
		}
	}
	// Evaluate the node alone on its constant inputs.
	g := ir.NewFunc("fold")
	var ins []*ir.Value
	for _, in := range n.Inputs {
		if in == nil {
			ins = append(ins, nil)
			continue
		}
		ins = append(ins, g.AddConst(in.Name, in.Const))
	}
	m := &ir.Node{Op: n.Op, Domain: n.Domain, Opset: n.Opset, Attrs: n.Attrs, Schema: n.Schema, Inputs: ins}
	for _, o := range n.Outputs {
		if o == nil {
			m.Outputs = append(m.Outputs, nil)
			continue
		}
		m.Outputs = append(m.Outputs, &ir.Value{Name: o.Name})
	}
	g.AppendNode(m)
	for _, o := range m.Outputs {
		if o != nil {
			g.Results = append(g.Results, o)
		}
	}
	p, err := cpu.Compile(g, backends.Options{})
	if err != nil {
		return nil, err
	}
	res, err := p.Run(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	outs := make([]*tensor.Tensor, len(n.Outputs))
	total := 0
	for i, o := range n.Outputs {
		if o != nil {
			outs[i] = res[o.Name]
			total += tensorBytes(outs[i])
		}
	}
	if total > max(limit, inBytes) {
		return nil, nil
	}
	return outs, nil
}

func tensorBytes(t *tensor.Tensor) int {
	if t.DType() == tensor.String {
		n := 0
		for _, s := range t.Strings() {
			n += len(s) + 8
		}
		return n
	}
	return len(t.Bytes())
}

// foldShape folds Shape (with start/end) and Size of a value whose shape is
// static.
func foldShape(n *ir.Node, in *ir.Value) ([]*tensor.Tensor, error) {
	s, ok := in.Type.StaticShape()
	if !ok {
		return nil, nil
	}
	if n.Op == "Size" {
		count, err := tensor.NumElements(s)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{tensor.Scalar(int64(count))}, nil
	}
	r := len(s)
	start, end := 0, r
	clamp := func(v int64) int {
		if v < 0 {
			v += int64(r)
		}
		return int(min(max(v, 0), int64(r)))
	}
	if a := n.Attr("start"); a != nil {
		start = clamp(a.I)
	}
	if a := n.Attr("end"); a != nil {
		end = clamp(a.I)
	}
	if end < start {
		end = start
	}
	dims := make([]int64, 0, end-start)
	for _, d := range s[start:end] {
		dims = append(dims, int64(d))
	}
	if len(dims) == 0 {
		return []*tensor.Tensor{tensor.New(tensor.Int64, 0)}, nil
	}
	return []*tensor.Tensor{tensor.FromSlice(dims)}, nil
}
