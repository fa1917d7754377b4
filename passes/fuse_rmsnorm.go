package passes

import "github.com/onyxgo/onyx/ir"

// fuseRMSNorm turns the RMS normalization exporters write out,
//
//	y = x / Sqrt(ReduceMean(x²) + eps) · gamma
//
// over the trailing axes of x (x² as Pow(x, 2) or Mul(x, x), the division
// as Div, or as Mul by a Reciprocal or by 1/Sqrt, gamma optional, the
// products grouped in any order) into one RMSNormalization, which opset 23
// introduced.
func fuseRMSNorm(c *Context, f *ir.Func) (bool, error) {
	if !hasOp(c, "RMSNormalization") {
		return false, nil
	}
	refreshTypes(f)
	opset := c.Opset("")
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		return fuseEach(c, g, func(g *ir.Func, root *ir.Node) bool { return matchNorm(g, root, opset, true) }), nil
	})
}
