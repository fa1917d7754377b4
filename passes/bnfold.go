package passes

import (
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// foldBatchNorm folds an inference BatchNormalization into the Conv,
// ConvTranspose (group 1), Gemm or MatMul that feeds it, when that node's
// weights and the normalization's parameters are constants and nothing
// else reads the intermediate value. With s = scale/sqrt(var+eps) the
// weights become W·s (per output channel) and the bias (b-mean)·s + bias.
// The arithmetic is emitted as nodes over constants, which the constant
// folder then evaluates with the reference kernels.
func foldBatchNorm(c *Context, f *ir.Func) (bool, error) {
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		changed := false
		e := &emitter{g: g}
		for i := 0; i < len(g.Nodes); i++ {
			bn := g.Nodes[i]
			if bn.Op != "BatchNormalization" || ir.NormDomain(bn.Domain) != "" {
				continue
			}
			e.at, e.opset = bn, bn.Opset
			if ok := foldOne(e, bn); ok {
				changed = true
				c.Hit()
				i = -1
			}
		}
		return changed, nil
	})
}

func allConst(vs ...*ir.Value) bool {
	for _, v := range vs {
		if v != nil && !v.IsConst() {
			return false
		}
	}
	return true
}

// constExpr reports whether v is a constant or computed from constants
// alone by deterministic ops (weights a file builds with ConstantOfShape,
// say). Folding into such weights leaves arithmetic over them that the
// constant folder evaluates when the result is small enough, and that
// otherwise stays a constant subgraph rather than inflating the file.
func constExpr(v *ir.Value) bool {
	if v == nil {
		return true
	}
	if v.IsConst() {
		return true
	}
	n := v.Def
	if n == nil || cpu.Nondeterministic(n.Op) || len(n.Subgraphs()) > 0 || ir.NormDomain(n.Domain) != "" {
		return false
	}
	for _, in := range n.Inputs {
		if !constExpr(in) {
			return false
		}
	}
	return true
}

// staticShape returns the static shape of v's type, or nil.
func staticShape(v *ir.Value) []int {
	s, ok := v.Type.StaticShape()
	if !ok {
		return nil
	}
	return s
}

func foldOne(e *emitter, bn *ir.Node) bool {
	g := e.g
	if len(bn.Inputs) < 5 || bn.Int("training_mode") != 0 || (bn.Opset < 7 && bn.Int("is_test") == 0 && bn.HasAttr("is_test")) {
		return false
	}
	for _, o := range bn.Outputs[1:] {
		if o != nil && len(o.Uses) > 0 {
			return false
		}
	}
	y := bn.Inputs[0]
	prod := y.Def
	scale, bias, mean, variance := bn.Inputs[1], bn.Inputs[2], bn.Inputs[3], bn.Inputs[4]
	if prod == nil || len(y.Uses) != 1 || !constExpr(scale) || !constExpr(bias) || !constExpr(mean) || !constExpr(variance) || isResult(g, y) {
		return false
	}
	ss := staticShape(scale)
	if len(ss) != 1 {
		return false
	}
	ch := ss[0]
	if !canFoldInto(prod, y, ch) {
		return false
	}
	// s = scale / sqrt(var + eps)
	eps := tensor.New(variance.Type.Elem)
	eps.SetFloat64At(0, float64(bn.FloatOr("epsilon", 1e-5)))
	s := e.op("Div", scale, e.op("Sqrt", e.op("Add", variance, e.c(eps))))
	shift := func(b *ir.Value) *ir.Value { // (b - mean)·s + bias
		if b == nil {
			return e.op("Add", e.op("Mul", e.op("Neg", mean), s), bias)
		}
		return e.op("Add", e.op("Mul", e.op("Sub", b, mean), s), bias)
	}
	z := bn.Outputs[0]
	switch prod.Op {
	case "Conv", "ConvTranspose":
		w := prod.Input(1)
		b := prod.Input(2)
		ws := staticShape(w)
		if !constExpr(w) || !constExpr(b) || len(ws) < 3 {
			return false
		}
		axis := 0
		if prod.Op == "ConvTranspose" {
			if prod.IntOr("group", 1) != 1 {
				return false
			}
			axis = 1
		}
		if ws[axis] != ch {
			return false
		}
		shape := make([]int64, len(ws))
		for i := range shape {
			shape[i] = 1
		}
		shape[axis] = int64(ch)
		w2 := e.op("Mul", w, e.reshape(s, shape))
		n := &ir.Node{Op: prod.Op, Opset: prod.Opset, Attrs: prod.Attrs, Schema: prod.Schema,
			Inputs: []*ir.Value{prod.Inputs[0], w2, shift(b)}, Outputs: []*ir.Value{z}}
		return e.replace(bn, prod, n)
	case "Gemm":
		w := prod.Input(1)
		b := prod.Input(2)
		ws := staticShape(w)
		if !constExpr(w) || !constExpr(b) || len(ws) != 2 || y.Type.Rank() != 2 || prod.FloatOr("beta", 1) != 1 {
			return false
		}
		var w2 *ir.Value
		if prod.IntOr("transB", 0) != 0 {
			if ws[0] != ch {
				return false
			}
			w2 = e.op("Mul", w, e.reshape(s, []int64{int64(ch), 1}))
		} else {
			if ws[1] != ch {
				return false
			}
			w2 = e.op("Mul", w, s)
		}
		n := &ir.Node{Op: "Gemm", Opset: prod.Opset, Attrs: prod.Attrs, Schema: prod.Schema,
			Inputs: []*ir.Value{prod.Inputs[0], w2, shift(b)}, Outputs: []*ir.Value{z}}
		return e.replace(bn, prod, n)
	case "MatMul":
		w := prod.Input(1)
		ws := staticShape(w)
		if !constExpr(w) || len(ws) != 2 || y.Type.Rank() != 2 || ws[1] != ch {
			return false
		}
		mm := &ir.Node{Op: "MatMul", Opset: prod.Opset, Schema: prod.Schema,
			Inputs: []*ir.Value{prod.Inputs[0], e.op("Mul", w, s)}, Outputs: []*ir.Value{{Name: e.fresh("matmul")}}}
		g.InsertBefore(bn, mm)
		add := &ir.Node{Op: "Add", Opset: bn.Opset, Schema: ir.LookupSchema("", "Add", bn.Opset),
			Inputs: []*ir.Value{mm.Outputs[0], shift(nil)}, Outputs: []*ir.Value{z}}
		return e.replace(bn, prod, add)
	}
	return false
}

// canFoldInto reports whether a BatchNormalization over ch channels can
// fold into its producer prod (whose output is y), before anything is
// emitted.
func canFoldInto(prod *ir.Node, y *ir.Value, ch int) bool {
	w := prod.Input(1)
	if w == nil {
		return false
	}
	ws := staticShape(w)
	switch prod.Op {
	case "Conv", "ConvTranspose":
		axis := 0
		if prod.Op == "ConvTranspose" {
			if prod.IntOr("group", 1) != 1 {
				return false
			}
			axis = 1
		}
		return constExpr(w) && constExpr(prod.Input(2)) && len(ws) >= 3 && ws[axis] == ch
	case "Gemm":
		if !constExpr(w) || !constExpr(prod.Input(2)) || len(ws) != 2 || y.Type.Rank() != 2 || prod.FloatOr("beta", 1) != 1 {
			return false
		}
		if prod.IntOr("transB", 0) != 0 {
			return ws[0] == ch
		}
		return ws[1] == ch
	case "MatMul":
		return constExpr(w) && len(ws) == 2 && y.Type.Rank() == 2 && ws[1] == ch
	}
	return false
}

func isResult(g *ir.Func, v *ir.Value) bool {
	for _, r := range g.Results {
		if r == v {
			return true
		}
	}
	return false
}

// emitter inserts new default-domain nodes before a fixed node.
type emitter struct {
	g     *ir.Func
	at    *ir.Node
	opset int
	names map[string]bool
	n     int
}

func (e *emitter) fresh(hint string) string {
	if e.names == nil {
		e.names = map[string]bool{}
		for _, v := range e.g.Values() {
			e.names[v.Name] = true
		}
	}
	for {
		e.n++
		name := "opt/" + hint + "_" + itoa(e.n)
		if !e.names[name] {
			e.names[name] = true
			return name
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func (e *emitter) op(op string, ins ...*ir.Value) *ir.Value {
	n := &ir.Node{Op: op, Opset: e.opset, Inputs: ins, Schema: ir.LookupSchema("", op, e.opset),
		Outputs: []*ir.Value{{Name: e.fresh(op)}}}
	e.g.InsertBefore(e.at, n)
	_ = ir.InferNode(n, nil)
	return n.Outputs[0]
}

func (e *emitter) c(t *tensor.Tensor) *ir.Value {
	v := &ir.Value{Name: e.fresh("const"), Type: ir.TensorOf(t.DType(), ir.DimsOf(t.Shape())), Const: t}
	e.g.Consts = append(e.g.Consts, v)
	return v
}

func (e *emitter) reshape(x *ir.Value, shape []int64) *ir.Value {
	return e.op("Reshape", x, e.c(tensor.FromSlice(append([]int64{}, shape...))))
}

// replace puts n (whose outputs are the old node's output values) where
// old was, and removes old and the producer it absorbed.
func (e *emitter) replace(old, prod, n *ir.Node) bool {
	for _, o := range n.Outputs {
		o.Def = nil
	}
	for _, o := range old.Outputs {
		if o != nil {
			o.Def = nil
		}
	}
	idx := -1
	for i, m := range e.g.Nodes {
		if m == old {
			idx = i
		}
	}
	if idx < 0 {
		return false
	}
	// Detach old: its outputs now belong to n.
	for _, in := range old.Inputs {
		if in != nil {
			removeUse(in, old)
		}
	}
	e.g.Nodes = append(e.g.Nodes[:idx], e.g.Nodes[idx+1:]...)
	e.g.InsertBefore(e.nodeAfter(idx), n)
	for _, o := range prod.Outputs {
		if o != nil {
			o.Uses = nil
		}
	}
	_ = e.g.RemoveNode(prod)
	return true
}

func (e *emitter) nodeAfter(idx int) *ir.Node {
	if idx < len(e.g.Nodes) {
		return e.g.Nodes[idx]
	}
	return nil
}
