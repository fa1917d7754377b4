// Package autodiff is reverse-mode differentiation over the IR: from a
// value y and the values xs it depends on, it emits ordinary IR nodes that
// compute the gradient of y (weighted by a seed, ones by default) with
// respect to each x. The backward graph is plain IR, so it is optimized,
// exported and run on any backend like the forward one.
//
// Gradient rules live in one table, one entry per op: the map in rules.go,
// filled per op family by the rules_*.go files. differentiable.go says
// which ops need a rule; a test fails when one lacks it.
package autodiff

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Rule emits the gradients of a node's inputs given the gradients of its
// outputs (nil for an output nothing depends on). It returns one value per
// input; nil marks an input that has no gradient (integer or otherwise not
// differentiable).
type Rule func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error)

// Builder emits backward nodes into a Func, before a fixed node (or at the
// end), with fresh value names.
type Builder struct {
	f     *ir.Func
	at    *ir.Node
	opset int
	names map[string]bool
	next  int
}

func newBuilder(f *ir.Func, at *ir.Node, opset int) *Builder {
	b := &Builder{f: f, at: at, opset: opset, names: map[string]bool{}}
	var collect func(g *ir.Func)
	collect = func(g *ir.Func) {
		for _, v := range g.Values() {
			b.names[v.Name] = true
		}
		for _, n := range g.Nodes {
			for _, s := range n.Subgraphs() {
				collect(s)
			}
		}
	}
	for g := f; g != nil; g = g.Outer {
		collect(g)
	}
	return b
}

// Opset is the default-domain opset the emitted nodes use.
func (b *Builder) Opset() int { return b.opset }

func (b *Builder) fresh(hint string) string {
	for {
		b.next++
		name := fmt.Sprintf("grad/%s_%d", hint, b.next)
		if !b.names[name] {
			b.names[name] = true
			return name
		}
	}
}

// Op emits a node of the default domain with one output and returns it.
func (b *Builder) Op(op string, ins []*ir.Value, attrs ...ir.Attr) *ir.Value {
	return b.OpN(op, ins, 1, attrs...)[0]
}

// OpN emits a node with n outputs.
func (b *Builder) OpN(op string, ins []*ir.Value, n int, attrs ...ir.Attr) []*ir.Value {
	node := &ir.Node{Op: op, Opset: b.opset, Inputs: ins, Attrs: attrs}
	node.Schema = ir.LookupSchema("", op, b.opset)
	for i := 0; i < n; i++ {
		node.Outputs = append(node.Outputs, &ir.Value{Name: b.fresh(op)})
	}
	b.f.InsertBefore(b.at, node)
	if node.Schema != nil {
		_ = ir.InferNode(node, nil) // types help later rules; unknown is fine
	}
	return node.Outputs
}

// Const emits a constant tensor.
func (b *Builder) Const(t *tensor.Tensor) *ir.Value {
	return b.Op("Constant", nil, ir.ATensor("value", t))
}

// Scalar emits a scalar constant of the element type of like.
func (b *Builder) Scalar(v float64, like *ir.Value) *ir.Value {
	dt := like.Type.Elem
	if !dt.Valid() {
		dt = tensor.Float32
	}
	t := tensor.New(dt)
	t.SetFloat64At(0, v)
	return b.Const(t)
}

// Ints emits a 1-D int64 constant.
func (b *Builder) Ints(v ...int64) *ir.Value {
	return b.Const(tensor.FromSlice(append([]int64{}, v...)))
}

// ReduceSum sums x over axes, keeping the reduced dims, in the form the
// opset wants (axes as an attribute before 13, as an input from 13).
func (b *Builder) ReduceSum(x *ir.Value, axes []int64) *ir.Value {
	if b.opset < 13 {
		return b.Op("ReduceSum", []*ir.Value{x}, ir.AInts("axes", axes...), ir.AInt("keepdims", 1))
	}
	return b.Op("ReduceSum", []*ir.Value{x, b.Ints(axes...)}, ir.AInt("keepdims", 1))
}

// Unbroadcast reduces a gradient dz of the broadcast result z back to the
// shape of x, summing over the axes numpy broadcasting stretched. It needs
// x's rank; a dim of x not known to be 1 is taken as not broadcast.
func (b *Builder) Unbroadcast(dz, x, z *ir.Value) (*ir.Value, error) {
	if x.Type.Equal(z.Type) {
		if _, ok := x.Type.StaticShape(); ok {
			return dz, nil
		}
	}
	xr, zr := x.Type.Rank(), z.Type.Rank()
	if xr < 0 || zr < 0 {
		return nil, fmt.Errorf("gradient of a broadcast needs the ranks of %s (%s) and %s (%s)", x, x.Type, z, z.Type)
	}
	var axes []int64
	for i := 0; i < zr; i++ {
		j := i - (zr - xr)
		if j < 0 {
			axes = append(axes, int64(i))
			continue
		}
		xd, zd := x.Type.Shape[j], z.Type.Shape[i]
		if xd.IsKnown() && xd.Size == 1 && !(zd.IsKnown() && zd.Size == 1) {
			axes = append(axes, int64(i))
		}
	}
	if len(axes) == 0 && xr == zr {
		return dz, nil
	}
	s := dz
	if len(axes) > 0 {
		s = b.ReduceSum(dz, axes)
	}
	return b.Op("Reshape", []*ir.Value{s, b.Op("Shape", []*ir.Value{x})}), nil
}

// Grad emits, before node at (nil: at the end of f), the gradients of y
// weighted by seed (a value shaped like y; nil means ones) with respect to
// each of xs. An x that y does not depend on gets a zero gradient. The
// nodes use the default-domain opset.
func Grad(f *ir.Func, at *ir.Node, opset int, y *ir.Value, xs []*ir.Value, seed *ir.Value) ([]*ir.Value, error) {
	if err := ir.InferShapes(f); err != nil {
		return nil, fmt.Errorf("autodiff: shape inference: %w", err)
	}
	b := newBuilder(f, at, opset)
	// Nodes between xs and y, in topological order.
	fromX := map[*ir.Value]bool{}
	for _, x := range xs {
		fromX[x] = true
	}
	var path []*ir.Node
	for _, n := range f.Nodes {
		if n == at {
			break
		}
		hit := false
		for _, in := range n.Inputs {
			if in != nil && fromX[in] {
				hit = true
			}
		}
		if hit {
			for _, o := range n.Outputs {
				if o != nil {
					fromX[o] = true
				}
			}
			path = append(path, n)
		}
	}
	if !fromX[y] && !containsValue(xs, y) {
		zeros := make([]*ir.Value, len(xs))
		for i, x := range xs {
			zeros[i] = b.zerosLike(x)
		}
		return zeros, nil
	}
	grads := map[*ir.Value]*ir.Value{}
	if seed == nil {
		seed = b.onesLike(y)
	}
	grads[y] = seed
	for i := len(path) - 1; i >= 0; i-- {
		n := path[i]
		dy := make([]*ir.Value, len(n.Outputs))
		any := false
		for j, o := range n.Outputs {
			if o != nil && grads[o] != nil {
				dy[j], any = grads[o], true
			}
		}
		if !any {
			continue
		}
		rule := rules[ruleKey(n)]
		if rule == nil {
			return nil, fmt.Errorf("autodiff: no gradient rule for %s (node %s)", n.OpName(), n)
		}
		dx, err := rule(b, n, dy)
		if err != nil {
			return nil, fmt.Errorf("autodiff: %s: %w", n, err)
		}
		for j, in := range n.Inputs {
			if in == nil || j >= len(dx) || dx[j] == nil || !fromX[in] {
				continue
			}
			if prev := grads[in]; prev != nil {
				grads[in] = b.Op("Add", []*ir.Value{prev, dx[j]})
			} else {
				grads[in] = dx[j]
			}
		}
	}
	out := make([]*ir.Value, len(xs))
	for i, x := range xs {
		if g := grads[x]; g != nil {
			out[i] = g
		} else {
			out[i] = b.zerosLike(x)
		}
	}
	return out, nil
}

func containsValue(vs []*ir.Value, v *ir.Value) bool {
	for _, w := range vs {
		if w == v {
			return true
		}
	}
	return false
}

func ruleKey(n *ir.Node) string { return ir.NormDomain(n.Domain) + ":" + n.Op }

func (b *Builder) fillLike(x *ir.Value, v float64) *ir.Value {
	dt := x.Type.Elem
	if !dt.Valid() {
		dt = tensor.Float32
	}
	t := tensor.New(dt, 1)
	t.SetFloat64At(0, v)
	return b.Op("ConstantOfShape", []*ir.Value{b.Op("Shape", []*ir.Value{x})}, ir.ATensor("value", t))
}

func (b *Builder) onesLike(x *ir.Value) *ir.Value  { return b.fillLike(x, 1) }
func (b *Builder) zerosLike(x *ir.Value) *ir.Value { return b.fillLike(x, 0) }

// HasRule reports whether op (in domain) has a gradient rule.
func HasRule(domain, op string) bool { return rules[ir.NormDomain(domain)+":"+op] != nil }
