package ir

// Clone returns a deep copy of f: new Values, Nodes, attributes and
// subgraphs, with use lists rebuilt. Constant tensors and attribute
// tensors are shared, not copied: nothing in onyx writes into them.
func (f *Func) Clone() *Func {
	return cloneInto(f, nil, map[*Value]*Value{})
}

func cloneInto(f *Func, outer *Func, vm map[*Value]*Value) *Func {
	g := &Func{Name: f.Name, Outer: outer, Doc: f.Doc,
		Metadata:         append([]KV(nil), f.Metadata...),
		QuantAnnotations: append([]QuantAnnotation(nil), f.QuantAnnotations...)}
	cv := func(v *Value) *Value {
		if v == nil {
			return nil
		}
		if w, ok := vm[v]; ok {
			return w
		}
		w := &Value{Name: v.Name, Type: v.Type.Clone(), Const: v.Const, Param: v.Param, Doc: v.Doc}
		vm[v] = w
		return w
	}
	for _, p := range f.Params {
		g.Params = append(g.Params, cv(p))
	}
	for _, c := range f.Consts {
		g.Consts = append(g.Consts, cv(c))
	}
	for _, s := range f.SparseConsts {
		g.SparseConsts = append(g.SparseConsts, &SparseConst{Value: cv(s.Value), Sparse: s.Sparse})
	}
	for _, n := range f.Nodes {
		m := &Node{Name: n.Name, Op: n.Op, Domain: n.Domain, Opset: n.Opset, Doc: n.Doc, Schema: n.Schema}
		for _, in := range n.Inputs {
			w := cv(in)
			m.Inputs = append(m.Inputs, w)
			if w != nil {
				w.Uses = append(w.Uses, m)
			}
		}
		for _, o := range n.Outputs {
			w := cv(o)
			if w != nil {
				w.Def = m
			}
			m.Outputs = append(m.Outputs, w)
		}
		for _, a := range n.Attrs {
			b := a
			b.Floats = append([]float32(nil), a.Floats...)
			b.Ints = append([]int64(nil), a.Ints...)
			b.Strings = append([]string(nil), a.Strings...)
			b.Tensors = append(b.Tensors[:0:0], a.Tensors...)
			b.Sparses = append(b.Sparses[:0:0], a.Sparses...)
			if a.TP != nil {
				tp := a.TP.Clone()
				b.TP = &tp
			}
			if a.TPs != nil {
				b.TPs = make([]Type, len(a.TPs))
				for i, t := range a.TPs {
					b.TPs[i] = t.Clone()
				}
			}
			if a.G != nil {
				b.G = cloneInto(a.G, g, vm)
			}
			if a.Graphs != nil {
				b.Graphs = make([]*Func, len(a.Graphs))
				for i, sg := range a.Graphs {
					b.Graphs[i] = cloneInto(sg, g, vm)
				}
			}
			m.Attrs = append(m.Attrs, b)
		}
		g.Nodes = append(g.Nodes, m)
	}
	for _, r := range f.Results {
		g.Results = append(g.Results, cv(r))
	}
	return g
}
