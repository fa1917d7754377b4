package passes

import (
	"context"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// foldBatchNormForward removes an inference BatchNormalization that no
// linear op precedes (DenseNet's pre-activation norms after a Concat or a
// pool) by moving it into the convolutions after its ReLU. Per channel the
// norm, and an optional Mul and Add by per-channel constants after it
// (Caffe2 exports write them), are y = s·x + t; when every s is positive,
//
//	Relu(s·x + t) = s · Relu(x + t/s)
//
// and a Conv reading s·z is a Conv with its input channels' weights scaled
// by s. The norm becomes Add(x, t/s) and each Conv's weights W·s. The
// arithmetic is emitted over the constants for the folder to evaluate.
func foldBatchNormForward(c *Context, f *ir.Func) (bool, error) {
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		changed := false
		e := &emitter{g: g}
		for i := 0; i < len(g.Nodes); i++ {
			bn := g.Nodes[i]
			if bn.Op != "BatchNormalization" || ir.NormDomain(bn.Domain) != "" {
				continue
			}
			e.at, e.opset = bn, bn.Opset
			if foldForward(e, bn) {
				changed = true
				c.Hit()
				i = -1
			}
		}
		return changed, nil
	})
}

// perChannel returns the values of a constant that numpy-broadcasts
// against a rank-r tensor as one value per channel (dim 1): its shape,
// right-aligned to rank r, is [1, ch, 1, ..., 1]. Otherwise nil.
func perChannel(g *ir.Func, v *ir.Value, ch, rank int) []float64 {
	t := evalConstExpr(g, v)
	if t == nil || t.Len() != ch || t.Rank() > rank {
		return nil
	}
	s := t.Shape()
	padded := make([]int, rank)
	for i := range padded {
		padded[i] = 1
	}
	copy(padded[rank-len(s):], s)
	for i, d := range padded {
		if (i == 1 && d != ch) || (i != 1 && d != 1) {
			return nil
		}
	}
	out := make([]float64, ch)
	for i := range out {
		out[i] = t.Float64At(i)
	}
	return out
}

// evalConstExpr returns the value of v when it is a constant or computed
// from constants alone (see constExpr), evaluating that subgraph with the
// reference kernels; nil otherwise.
func evalConstExpr(g *ir.Func, v *ir.Value) *tensor.Tensor {
	if v == nil {
		return nil
	}
	if v.IsConst() {
		return v.Const
	}
	if !constExpr(v) {
		return nil
	}
	cone := map[*ir.Node]bool{}
	var visit func(x *ir.Value)
	visit = func(x *ir.Value) {
		if x == nil || x.IsConst() || x.Def == nil || cone[x.Def] {
			return
		}
		cone[x.Def] = true
		for _, in := range x.Def.Inputs {
			visit(in)
		}
	}
	visit(v)
	f := ir.NewFunc("eval")
	vm := map[*ir.Value]*ir.Value{}
	for _, n := range g.Nodes {
		if !cone[n] {
			continue
		}
		m := &ir.Node{Op: n.Op, Domain: n.Domain, Opset: n.Opset, Attrs: n.Attrs, Schema: n.Schema}
		for _, in := range n.Inputs {
			switch {
			case in == nil:
				m.Inputs = append(m.Inputs, nil)
			case in.IsConst():
				if vm[in] == nil {
					vm[in] = f.AddConst(in.Name, in.Const)
				}
				m.Inputs = append(m.Inputs, vm[in])
			case vm[in] != nil:
				m.Inputs = append(m.Inputs, vm[in])
			default:
				return nil
			}
		}
		for _, o := range n.Outputs {
			if o == nil {
				m.Outputs = append(m.Outputs, nil)
				continue
			}
			w := &ir.Value{Name: o.Name}
			vm[o] = w
			m.Outputs = append(m.Outputs, w)
		}
		f.AppendNode(m)
	}
	if vm[v] == nil {
		return nil
	}
	f.Results = []*ir.Value{vm[v]}
	p, err := cpu.Compile(f, backends.Options{})
	if err != nil {
		return nil
	}
	out, err := p.Run(context.Background(), nil)
	if err != nil {
		return nil
	}
	return out[v.Name]
}

func foldForward(e *emitter, bn *ir.Node) bool {
	g := e.g
	if len(bn.Inputs) < 5 || bn.Int("training_mode") != 0 {
		return false
	}
	for _, o := range bn.Outputs[1:] {
		if o != nil && len(o.Uses) > 0 {
			return false
		}
	}
	x, y := bn.Inputs[0], bn.Outputs[0]
	rank := x.Type.Rank()
	scale, bias, mean, variance := bn.Inputs[1], bn.Inputs[2], bn.Inputs[3], bn.Inputs[4]
	if rank < 3 || !constExpr(bias) || !constExpr(mean) {
		return false
	}
	sc, va := evalConstExpr(g, scale), evalConstExpr(g, variance)
	if sc == nil || va == nil || sc.Rank() != 1 || va.Len() != sc.Len() {
		return false
	}
	ch := sc.Len()
	eps := float64(bn.FloatOr("epsilon", 1e-5))
	sign := make([]float64, ch)
	for i := range sign {
		if va.Float64At(i)+eps <= 0 {
			return false
		}
		sign[i] = sc.Float64At(i)
	}
	// Optional Mul and Add by per-channel constants, then the Relu.
	cur := y
	var mul, add *ir.Node
	var mulV, addV *ir.Value
	next := func(v *ir.Value) *ir.Node {
		if len(v.Uses) != 1 || isResult(g, v) {
			return nil
		}
		return v.Uses[0]
	}
	n := next(cur)
	if n != nil && n.Op == "Mul" && len(n.Inputs) == 2 {
		k := 1
		if n.Inputs[1] == cur {
			k = 0
		}
		if m := perChannel(g, n.Inputs[k], ch, rank); m != nil {
			for i := range sign {
				sign[i] *= m[i]
			}
			mul, mulV, cur = n, n.Inputs[k], n.Outputs[0]
			n = next(cur)
		}
	}
	if n != nil && n.Op == "Add" && len(n.Inputs) == 2 {
		k := 1
		if n.Inputs[1] == cur {
			k = 0
		}
		if perChannel(g, n.Inputs[k], ch, rank) != nil {
			add, addV, cur = n, n.Inputs[k], n.Outputs[0]
			n = next(cur)
		}
	}
	if n == nil || n.Op != "Relu" || ir.NormDomain(n.Domain) != "" {
		return false
	}
	relu := n
	r := relu.Outputs[0]
	if isResult(g, r) || len(r.Uses) == 0 {
		return false
	}
	var convs []*ir.Node
	for _, u := range r.Uses {
		conv := convAfter(g, u, r)
		if conv == nil || conv.IntOr("group", 1) != 1 || !constExpr(conv.Input(1)) {
			return false
		}
		if ws := staticShape(conv.Input(1)); len(ws) != rank || ws[1] != ch {
			return false
		}
		convs = append(convs, conv)
	}
	for _, s := range sign {
		if !(s > 0) {
			return false
		}
	}
	// The affine's last node is where x + t/s goes; everything the new
	// nodes read is defined before it.
	last := bn
	if add != nil {
		last = add
	} else if mul != nil {
		last = mul
	}
	e.at = last
	// s and t of the whole affine, as [ch] vectors.
	epsT := tensor.New(variance.Type.Elem)
	epsT.SetFloat64At(0, eps)
	s := e.op("Div", scale, e.op("Sqrt", e.op("Add", variance, e.c(epsT))))
	t := e.op("Sub", bias, e.op("Mul", mean, s))
	flat := []int64{int64(ch)}
	if mul != nil {
		m := e.reshape(mulV, flat)
		s, t = e.op("Mul", s, m), e.op("Mul", t, m)
	}
	if add != nil {
		t = e.op("Add", t, e.reshape(addV, flat))
	}
	shape := make([]int64, rank)
	for i := range shape {
		shape[i] = 1
	}
	shape[1] = int64(ch)
	shift := e.reshape(e.op("Div", t, s), shape)
	scaleIn := e.reshape(s, shape)
	// x + t/s takes the place of the last node of the affine.
	out := last.Outputs[0]
	addNode := &ir.Node{Op: "Add", Opset: e.opset, Schema: ir.LookupSchema("", "Add", e.opset),
		Inputs: []*ir.Value{x, shift}, Outputs: []*ir.Value{out}}
	for _, u := range convs {
		e.at = u
		u.SetInput(1, e.op("Mul", u.Input(1), scaleIn))
	}
	e.at = last
	// Detach the affine's nodes and put the Add where the norm was.
	for _, old := range []*ir.Node{add, mul} {
		if old != nil && old != last {
			for _, o := range old.Outputs {
				o.Uses = nil
			}
			_ = g.RemoveNode(old)
		}
	}
	if last != bn {
		for _, o := range bn.Outputs {
			if o != nil {
				o.Uses = nil
			}
		}
	}
	return e.replace(last, bnIfNot(bn, last), addNode)
}

// channelLinear ops commute with a positive per-channel scale: pooling
// scales each channel's window values alike (max too, since the scale is
// positive).
var channelLinear = map[string]bool{"GlobalAveragePool": true, "AveragePool": true, "MaxPool": true, "GlobalMaxPool": true}

// convAfter follows u, a reader of v, through channel-linear ops read by
// one node each, to the Conv whose data input the chain feeds; nil when
// the chain ends anywhere else.
func convAfter(g *ir.Func, u *ir.Node, v *ir.Value) *ir.Node {
	for steps := 0; steps < 8; steps++ {
		if ir.NormDomain(u.Domain) != "" || len(u.Inputs) == 0 || u.Inputs[0] != v {
			return nil
		}
		if u.Op == "Conv" {
			return u
		}
		if !channelLinear[u.Op] {
			return nil
		}
		for _, o := range u.Outputs[1:] {
			if o != nil && len(o.Uses) > 0 {
				return nil // MaxPool's indices
			}
		}
		v = u.Outputs[0]
		if len(v.Uses) != 1 || isResult(g, v) {
			return nil
		}
		u = v.Uses[0]
	}
	return nil
}

// bnIfNot returns bn when it is not the node being replaced (so replace
// removes it as the absorbed producer), else an empty node.
func bnIfNot(bn, last *ir.Node) *ir.Node {
	if bn == last {
		return &ir.Node{}
	}
	return bn
}
