package passes

import "github.com/onyxgo/onyx/ir"

// freezeInitializerInputs turns graph inputs that carry a default (an
// initializer also listed as an input, as IR versions before 4 require)
// into plain constants, so that the other passes may fold them. Feeding
// such an input at run time is then no longer possible: the optimized
// model treats its weights as fixed, as optimized models do.
func freezeInitializerInputs(c *Context, f *ir.Func) (bool, error) {
	var params []*ir.Value
	changed := false
	for _, p := range f.Params {
		if p.Const == nil {
			params = append(params, p)
			continue
		}
		p.Param = false
		f.Consts = append(f.Consts, p)
		changed = true
		c.Hit()
	}
	f.Params = params
	return changed, nil
}
