package passes

import "github.com/onyxgo/onyx/ir"

// fuseMatMulAdd turns MatMul(A, B) followed by Add(·, C) into Gemm(A, B, C)
// when A has rank 2, B is a constant matrix, C is a constant that
// broadcasts to the product (rank 2 or less), and nothing else reads the
// product. Gemm's unidirectional broadcast of C needs opset 7.
func fuseMatMulAdd(c *Context, f *ir.Func) (bool, error) {
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		changed := false
		for i := 0; i < len(g.Nodes); i++ {
			add := g.Nodes[i]
			if add.Op != "Add" || ir.NormDomain(add.Domain) != "" || add.Opset < 7 || len(add.Inputs) != 2 {
				continue
			}
			for k := 0; k < 2; k++ {
				y, bias := add.Inputs[k], add.Inputs[1-k]
				mm := y.Def
				if mm == nil || mm.Op != "MatMul" || ir.NormDomain(mm.Domain) != "" || len(y.Uses) != 1 || isResult(g, y) {
					continue
				}
				a, b := mm.Inputs[0], mm.Inputs[1]
				if a.Type.Rank() != 2 || !b.IsConst() || b.Const.Rank() != 2 || !bias.IsConst() || bias.Const.Rank() > 2 {
					continue
				}
				if y.Type.Rank() != 2 || !add.Outputs[0].Type.Equal(y.Type) {
					continue // the Add must not broadcast the product itself
				}
				e := &emitter{g: g, at: add, opset: add.Opset}
				gemm := &ir.Node{Op: "Gemm", Opset: add.Opset, Schema: ir.LookupSchema("", "Gemm", add.Opset),
					Inputs: []*ir.Value{a, b, bias}, Outputs: []*ir.Value{add.Outputs[0]}}
				if e.replace(add, mm, gemm) {
					changed = true
					c.Hit()
					i = -1
					break
				}
			}
		}
		return changed, nil
	})
}
