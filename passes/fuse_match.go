package passes

import (
	"math"
	"slices"
	"sort"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// The multi-node fusions (fuse_*.go) share one shape: match a pattern that
// ends at a root node, recording the nodes it absorbs; check that nothing
// outside the pattern reads what those nodes define; build the fused node
// (and any helper nodes) with an emitter placed before the root; apply the
// patch in one step. The helpers for each step live here.

// pattern is a match in progress in g: the root and the nodes absorbed so
// far (the root among them), in the order taken.
type pattern struct {
	g     *ir.Func
	root  *ir.Node
	nodes []*ir.Node
	in    map[*ir.Node]bool
}

func newPattern(g *ir.Func, root *ir.Node) *pattern {
	p := &pattern{g: g, root: root, in: map[*ir.Node]bool{}}
	p.take(root)
	return p
}

// take absorbs n into the pattern and returns it.
func (p *pattern) take(n *ir.Node) *ir.Node {
	if n != nil && !p.in[n] {
		p.in[n] = true
		p.nodes = append(p.nodes, n)
	}
	return n
}

// mark and rollback let a matcher try one alternative and undo what it
// absorbed when the alternative fails.
func (p *pattern) mark() int { return len(p.nodes) }

func (p *pattern) rollback(m int) {
	for _, n := range p.nodes[m:] {
		delete(p.in, n)
	}
	p.nodes = p.nodes[:m]
}

// defOp returns the default-domain node defining v when its op is one of
// ops, else nil.
func defOp(v *ir.Value, ops ...string) *ir.Node {
	if v == nil || v.Def == nil || ir.NormDomain(v.Def.Domain) != "" {
		return nil
	}
	if slices.Contains(ops, v.Def.Op) {
		return v.Def
	}
	return nil
}

// inner absorbs the node defining v when its op is one of ops. Whether
// the pattern alone reads v is checked once the match is complete.
func (p *pattern) inner(v *ir.Value, ops ...string) *ir.Node {
	return p.take(defOp(v, ops...))
}

// sole absorbs the node defining v when its op is one of ops and v has
// exactly one reader: the test matchers use to decide how far a
// flattening may reach.
func (p *pattern) sole(v *ir.Value, ops ...string) *ir.Node {
	if v == nil || len(v.Uses) != 1 || isResult(p.g, v) {
		return nil
	}
	return p.inner(v, ops...)
}

// user absorbs the one node reading v when its op is op and v is no
// result.
func (p *pattern) user(v *ir.Value, op string) *ir.Node {
	if v == nil || len(v.Uses) != 1 || isResult(p.g, v) {
		return nil
	}
	n := v.Uses[0]
	if ir.NormDomain(n.Domain) != "" || n.Op != op {
		return nil
	}
	return p.take(n)
}

// check reports whether the pattern can be replaced by a node reading
// leaves and defining defs: every other value the absorbed nodes define
// must be read only by absorbed nodes (not by results, subgraphs or other
// nodes), and no leaf may be one of those values.
func (p *pattern) check(leaves, defs []*ir.Value) bool {
	var capt map[*ir.Value]bool
	for _, n := range p.g.Nodes {
		for _, s := range n.Subgraphs() {
			if capt == nil {
				capt = map[*ir.Value]bool{}
			}
			for v := range s.Captured() {
				capt[v] = true
			}
		}
	}
	for _, n := range p.nodes {
		for _, o := range n.Outputs {
			if o == nil || slices.Contains(defs, o) {
				continue
			}
			if isResult(p.g, o) || capt[o] || slices.Contains(leaves, o) {
				return false
			}
			for _, u := range o.Uses {
				if !p.in[u] {
					return false
				}
			}
		}
	}
	for _, d := range defs {
		if d == nil || d.Def == nil || !p.in[d.Def] {
			return false
		}
	}
	return true
}

// apply replaces the pattern by fused, whose outputs are values the
// absorbed nodes defined (the root's first): fused goes where the root
// was, the absorbed nodes go, and the order of g is repaired when a value
// fused now defines was read between its old definition and the root.
// Call check first.
func (p *pattern) apply(fused *ir.Node) {
	p.g.InsertBefore(p.root, fused)
	kept := p.g.Nodes[:0]
	for _, n := range p.g.Nodes {
		if !p.in[n] {
			kept = append(kept, n)
			continue
		}
		for _, in := range n.Inputs {
			if in != nil {
				removeUse(in, n)
			}
		}
		for _, o := range n.Outputs {
			if o != nil && o.Def == n {
				o.Uses = nil
			}
		}
	}
	p.g.Nodes = kept
	sortTopo(p.g)
}

// sortTopo puts g's nodes back in a topological order when they are not,
// moving as little as it can: each node is preceded by what it reads, in
// the given order otherwise.
func sortTopo(g *ir.Func) {
	pos := make(map[*ir.Node]int, len(g.Nodes))
	for i, n := range g.Nodes {
		pos[n] = i
	}
	deps := func(n *ir.Node) []*ir.Node {
		var ds []*ir.Node
		add := func(v *ir.Value) {
			if v != nil && v.Def != nil {
				if _, ok := pos[v.Def]; ok {
					ds = append(ds, v.Def)
				}
			}
		}
		for _, in := range n.Inputs {
			add(in)
		}
		for _, s := range n.Subgraphs() {
			for v := range s.Captured() {
				add(v)
			}
		}
		sort.Slice(ds, func(i, j int) bool { return pos[ds[i]] < pos[ds[j]] })
		return ds
	}
	sorted := true
	for i, n := range g.Nodes {
		for _, d := range deps(n) {
			if pos[d] >= i {
				sorted = false
			}
		}
	}
	if sorted {
		return
	}
	done := map[*ir.Node]bool{}
	out := make([]*ir.Node, 0, len(g.Nodes))
	var visit func(n *ir.Node)
	visit = func(n *ir.Node) {
		if done[n] {
			return
		}
		done[n] = true
		for _, d := range deps(n) {
			visit(d)
		}
		out = append(out, n)
	}
	for _, n := range g.Nodes {
		visit(n)
	}
	g.Nodes = out
}

// fuseEach calls match on the nodes of g, last first, so that a pattern
// ending at a node is tried before the smaller ones ending inside it, and
// counts a hit for each match that applied.
func fuseEach(c *Context, g *ir.Func, match func(g *ir.Func, root *ir.Node) bool) bool {
	changed := false
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		if i >= len(g.Nodes) {
			continue
		}
		if match(g, g.Nodes[i]) {
			changed = true
			c.Hit()
			i = min(i+1, len(g.Nodes))
		}
	}
	return changed
}

// hasOp reports whether the model's default-domain opset defines op.
func hasOp(c *Context, op string) bool {
	return ir.LookupSchema("", op, c.Opset("")) != nil
}

// constOf returns the value of a constant, or of the output of a
// Constant node; nil otherwise.
func constOf(v *ir.Value) *tensor.Tensor {
	if v == nil {
		return nil
	}
	if v.IsConst() {
		return v.Const
	}
	if n := defOp(v, "Constant"); n != nil {
		return ir.ConstantNodeValue(n)
	}
	return nil
}

// scalarOf returns the value of a numeric constant of one element.
func scalarOf(v *ir.Value) (float64, bool) {
	t := constOf(v)
	if t == nil || t.Len() != 1 || !(t.DType().IsFloat() || t.DType().IsInt()) {
		return 0, false
	}
	return t.Float64At(0), true
}

// near reports whether a is within relative tolerance tol of b.
func near(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Abs(b)
}

// sameDim reports whether two dims are provably equal: the same known
// size, or the same symbolic name.
func sameDim(a, b ir.Dim) bool {
	if a.IsKnown() || b.IsKnown() {
		return a.Size == b.Size
	}
	return a.Param != "" && a.Param == b.Param
}

// sameShape reports whether two tensor types provably have one shape.
func sameShape(a, b ir.Type) bool {
	if !a.HasShape || !b.HasShape || len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if !sameDim(a.Shape[i], b.Shape[i]) {
			return false
		}
	}
	return true
}

// isFloat reports whether v is a floating-point tensor.
func isFloat(v *ir.Value) bool {
	return v != nil && v.Type.Kind == ir.KindTensor && v.Type.Elem.IsFloat()
}

// factor is one operand of a product; inv marks a divisor.
type factor struct {
	v   *ir.Value
	inv bool
}

// product flattens v into the factors of a product through the Mul, Div
// and Reciprocal nodes that only the product reads (v's own node whatever
// its readers when top is set), multiplying constants of one element into
// k.
func (p *pattern) product(v *ir.Value, top bool) (fs []factor, k float64) {
	k = 1
	var walk func(v *ir.Value, inv, top bool)
	walk = func(v *ir.Value, inv, top bool) {
		if s, ok := scalarOf(v); ok {
			if inv {
				s = 1 / s
			}
			k *= s
			return
		}
		var n *ir.Node
		if top {
			n = p.inner(v, "Mul", "Div", "Reciprocal")
		} else {
			n = p.sole(v, "Mul", "Div", "Reciprocal")
		}
		if n == nil || len(n.Inputs) < 1 || (n.Op != "Reciprocal" && len(n.Inputs) != 2) {
			fs = append(fs, factor{v, inv})
			return
		}
		switch n.Op {
		case "Mul":
			walk(n.Inputs[0], inv, false)
			walk(n.Inputs[1], inv, false)
		case "Div":
			walk(n.Inputs[0], inv, false)
			walk(n.Inputs[1], !inv, false)
		case "Reciprocal":
			walk(n.Inputs[0], !inv, false)
		}
	}
	walk(v, false, top)
	return fs, k
}

// poly is a polynomial in one value, by degree (up to 3).
type poly [4]float64

// polyOf reads v as a polynomial of degree at most 3 in x, through the
// Add, Sub, Mul, Div (by a constant), Pow (by a constant 1, 2 or 3) and
// Neg nodes that only it reads.
func (p *pattern) polyOf(v, x *ir.Value) (poly, bool) {
	if v == x {
		return poly{0, 1}, true
	}
	if s, ok := scalarOf(v); ok {
		return poly{s}, true
	}
	n := p.sole(v, "Add", "Sub", "Mul", "Div", "Pow", "Neg")
	if n == nil {
		return poly{}, false
	}
	a, ok := p.polyOf(n.Inputs[0], x)
	if !ok {
		return poly{}, false
	}
	if n.Op == "Neg" {
		return a.scale(-1), true
	}
	if len(n.Inputs) != 2 {
		return poly{}, false
	}
	switch n.Op {
	case "Div":
		s, ok := scalarOf(n.Inputs[1])
		if !ok || s == 0 {
			return poly{}, false
		}
		return a.scale(1 / s), true
	case "Pow":
		e, ok := scalarOf(n.Inputs[1])
		if !ok || e != math.Trunc(e) || e < 1 || e > 3 {
			return poly{}, false
		}
		r := a
		for i := 1; i < int(e); i++ {
			if r, ok = r.mul(a); !ok {
				return poly{}, false
			}
		}
		return r, true
	}
	b, ok := p.polyOf(n.Inputs[1], x)
	if !ok {
		return poly{}, false
	}
	switch n.Op {
	case "Add":
		return a.add(b, 1), true
	case "Sub":
		return a.add(b, -1), true
	}
	return a.mul(b)
}

func (a poly) scale(s float64) poly {
	for i := range a {
		a[i] *= s
	}
	return a
}

func (a poly) add(b poly, s float64) poly {
	for i := range a {
		a[i] += s * b[i]
	}
	return a
}

func (a poly) mul(b poly) (poly, bool) {
	var r poly
	for i, x := range a {
		for j, y := range b {
			if x == 0 || y == 0 {
				continue
			}
			if i+j > 3 {
				return poly{}, false
			}
			r[i+j] += x * y
		}
	}
	return r, true
}

// reduceAxes returns the axes a ReduceMean-like node reduces, normalized
// against rank and sorted, when they are known and the node keeps the
// reduced dims.
func reduceAxes(n *ir.Node, rank int) ([]int, bool) {
	if n.IntOr("keepdims", 1) != 1 || rank < 0 {
		return nil, false
	}
	var raw []int64
	if n.Opset < 18 {
		raw = n.Ints("axes")
	} else if len(n.Inputs) > 1 && n.Inputs[1] != nil {
		t := constOf(n.Inputs[1])
		if t == nil || !t.DType().IsInt() {
			return nil, false
		}
		raw = t.Int64sOf()
	} else if n.IntOr("noop_with_empty_axes", 0) != 0 {
		return nil, false
	}
	if len(raw) == 0 {
		all := make([]int, rank)
		for i := range all {
			all[i] = i
		}
		return all, true
	}
	var axes []int
	for _, a := range raw {
		ax, err := ir.NormAxis(a, rank)
		if err != nil || slices.Contains(axes, ax) {
			return nil, false
		}
		axes = append(axes, ax)
	}
	sort.Ints(axes)
	return axes, true
}

// trailing returns k when axes are the last k axes of a rank-r tensor.
func trailing(axes []int, r int) (int, bool) {
	for i, a := range axes {
		if a != r-len(axes)+i {
			return 0, false
		}
	}
	return len(axes), len(axes) > 0
}

// node builds a default-domain node at the emitter's opset reading ins
// and defining outs (nil entries are omitted outputs) and inserts nothing:
// the patch places it.
func (e *emitter) node(op string, ins, outs []*ir.Value, attrs ...ir.Attr) *ir.Node {
	return &ir.Node{Op: op, Opset: e.opset, Inputs: ins, Outputs: outs, Attrs: attrs,
		Schema: ir.LookupSchema("", op, e.opset)}
}

// opA is op with attributes: it inserts a new node before the emitter's
// node and returns its output.
func (e *emitter) opA(op string, attrs []ir.Attr, ins ...*ir.Value) *ir.Value {
	n := &ir.Node{Op: op, Opset: e.opset, Inputs: ins, Attrs: attrs, Schema: ir.LookupSchema("", op, e.opset),
		Outputs: []*ir.Value{{Name: e.fresh(op)}}}
	e.g.InsertBefore(e.at, n)
	_ = ir.InferNode(n, nil)
	return n.Outputs[0]
}

// ones returns a constant of the given shape and type filled with 1.
func (e *emitter) ones(dt tensor.DType, shape []int) *ir.Value {
	t := tensor.New(dt, shape...)
	for i := 0; i < t.Len(); i++ {
		t.SetFloat64At(i, 1)
	}
	return e.c(t)
}

// scalar returns a rank-0 constant of type dt.
func (e *emitter) scalar(dt tensor.DType, v float64) *ir.Value {
	t := tensor.New(dt)
	t.SetFloat64At(0, v)
	return e.c(t)
}

// meanSquare is the denominator of a normalization,
// Sqrt(ReduceMean(base²) + eps), as matched.
type meanSquare struct {
	base *ir.Value
	axes []int
	eps  float64
}

// rootMeanSquare matches den = Sqrt(Add(ReduceMean(Pow(b, 2) or Mul(b, b)),
// eps)) with a constant eps, reducing over known axes with the dims kept.
func (p *pattern) rootMeanSquare(den *ir.Value) (meanSquare, bool) {
	var ms meanSquare
	sq := p.inner(den, "Sqrt")
	if sq == nil {
		return ms, false
	}
	add := p.inner(sq.Inputs[0], "Add")
	if add == nil || len(add.Inputs) != 2 {
		return ms, false
	}
	var rm *ir.Node
	for k := 0; k < 2; k++ {
		if eps, ok := scalarOf(add.Inputs[1-k]); ok && eps >= 0 {
			if rm = p.inner(add.Inputs[k], "ReduceMean"); rm != nil {
				ms.eps = eps
				break
			}
		}
	}
	if rm == nil {
		return ms, false
	}
	pw := p.inner(rm.Inputs[0], "Pow", "Mul")
	if pw == nil || len(pw.Inputs) != 2 {
		return ms, false
	}
	if pw.Op == "Pow" {
		if e, ok := scalarOf(pw.Inputs[1]); !ok || e != 2 {
			return ms, false
		}
	} else if pw.Inputs[0] != pw.Inputs[1] {
		return ms, false
	}
	ms.base = pw.Inputs[0]
	axes, ok := reduceAxes(rm, ms.base.Type.Rank())
	ms.axes = axes
	return ms, ok
}

// refreshTypes re-infers f's types before a fusion matches shapes: types
// inferred before constant folding are unknown where a shape was computed
// (torch computes Expand's target shape with a Where), and the fusions
// only fire on shapes they can prove. An error leaves the types as
// inference got them; the infer-shapes pass reports it.
func refreshTypes(f *ir.Func) {
	_ = ir.InferShapes(f)
}
