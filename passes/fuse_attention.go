package passes

import (
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// fuseAttention turns scaled dot-product attention written out on 4-D
// (batch, heads, seq, head_size) tensors into one Attention, which opset
// 23 introduced:
//
//	Y = MatMul(Softmax(scale · MatMul(Q, Kᵀ) + masks, axis=-1), V)
//
// The scale may be any product of Mul or Div by constants on the scores,
// on Q or on K. Kᵀ may be any Transpose (one that also splits the heads
// makes the fused node read K through a new Transpose) or any other value.
// The masks are additive masks (Add) and Where(cond, scores, fill) with a
// constant cond and a fill of -1e4 or less, applied anywhere between the
// product and the Softmax; a constant lower triangle over a square score
// matrix becomes is_causal, any other mask the attn_mask input. K and V
// may come from Concat(past, current) along the sequence axis (the
// fused node then takes past_key/past_value and defines the concatenation
// as present_key/present_value), and may have fewer heads than Q,
// repeated by Unsqueeze, Expand or Tile, and Reshape (grouped-query
// attention). When Q, K and V are all split into heads from (batch, seq,
// hidden) tensors by Reshape and Transpose and the output is merged back
// the same way, the fused node takes over that plumbing (heads3D).
func fuseAttention(c *Context, f *ir.Func) (bool, error) {
	if !hasOp(c, "Attention") {
		return false, nil
	}
	refreshTypes(f)
	opset := c.Opset("")
	return eachFunc(f, func(g *ir.Func) (bool, error) {
		return fuseEach(c, g, func(g *ir.Func, root *ir.Node) bool { return matchAttention(g, root, opset) }), nil
	})
}

// maskFill is the most a Where fill (times the scale after it) may be for
// the Where to read as an additive mask: exp of it underflows to zero.
const maskFill = -1e4

// attn is a matched attention.
type attn struct {
	q, k, v      *ir.Value
	kPerm        []int64 // K is Transpose(k, kPerm), to be emitted; nil: K is k
	rep          int64   // the number of query heads per K/V head
	qHeads       int64   // with 3-D Q, K and V: the heads of Q
	kvHeads      int64   // and of K and V
	pastK, pastV *ir.Value
	presK, presV *ir.Value
	scale        float64
	causal       bool
	masks        []attnMask
	qk           *ir.Value   // the product of Q and Kᵀ
	chain        []*ir.Value // values between the product and the Softmax
}

// attnMask is one mask on the scores: an additive mask v, or (cond set)
// Where(cond, scores, fill) when keep, Where(cond, fill, scores) when not;
// mult is the scale applied to the scores after it.
type attnMask struct {
	v, cond, fill *ir.Value
	keep          bool
	mult          float64
	causal        bool // the mask is the causal triangle, dropped for is_causal
}

func matchAttention(g *ir.Func, root *ir.Node, opset int) bool {
	if ir.NormDomain(root.Domain) != "" || root.Op != "MatMul" || len(root.Inputs) != 2 {
		return false
	}
	y := root.Outputs[0]
	p := newPattern(g, root)
	sm := p.sole(root.Inputs[0], "Softmax")
	if sm == nil || sm.Inputs[0].Type.Rank() != 4 {
		return false
	}
	def := int64(-1)
	if sm.Opset < 13 {
		def = 1
	}
	if ax, err := ir.NormAxis(sm.IntOr("axis", def), 4); err != nil || ax != 3 {
		return false
	}
	a := &attn{}
	if !p.scores(sm.Inputs[0], a, 1) {
		return false
	}
	vx, rep := p.matchRepeat(root.Inputs[1])
	a.v, a.presV, a.pastV = p.pastConcat(vx)
	if rep != a.rep || (a.pastK == nil) != (a.pastV == nil) {
		return false
	}
	if !isFloat(a.q) || !attnShapesAgree(a, y) {
		return false
	}
	if y3 := p.heads3D(a, y); y3 != nil {
		y = y3
	}
	var leaves []*ir.Value
	leaves = append(leaves, a.q, a.k, a.v, a.pastK, a.pastV)
	for i := range a.masks {
		if !p.maskUsable(&a.masks[i], a) {
			return false
		}
		leaves = append(leaves, a.masks[i].v, a.masks[i].cond, a.masks[i].fill)
		// attn_mask's last dim is not broadcast (a shorter one masks the
		// keys beyond it), so a mask broadcast along the keys is expanded,
		// which needs their number.
		if !a.masks[i].causal && !sameDim(a.masks[i].lastDim(), a.qk.Type.Shape[3]) && !a.qk.Type.Shape[3].IsKnown() {
			return false
		}
	}
	defs := []*ir.Value{y}
	if a.presK != nil {
		defs = append(defs, a.presK, a.presV)
	}
	if !p.check(leaves, defs) {
		return false
	}

	e := &emitter{g: g, at: p.root, opset: opset}
	k := a.k
	if a.kPerm != nil {
		k = e.opA("Transpose", []ir.Attr{ir.AInts("perm", a.kPerm...)}, a.k)
	}
	var mask *ir.Value
	for _, m := range a.masks {
		if m.causal {
			continue
		}
		v := m.v
		if m.cond != nil {
			zero := e.scalar(a.qk.Type.Elem, 0)
			if m.keep {
				v = e.op("Where", m.cond, zero, m.fill)
			} else {
				v = e.op("Where", m.cond, m.fill, zero)
			}
		}
		if m.mult != 1 {
			v = e.op("Mul", v, e.scalar(a.qk.Type.Elem, m.mult))
		}
		if mask == nil {
			mask = v
		} else {
			mask = e.op("Add", mask, v)
		}
	}
	// The mask is expanded to cover every key (attn_mask's last dim is
	// not broadcast) and, where the query length is known, every query:
	// runtimes such as ONNX Runtime require its second-last dim to be the
	// query length rather than broadcasting a 1.
	if mask != nil {
		total, queries := a.qk.Type.Shape[3], a.qk.Type.Shape[2]
		r := mask.Type.Rank()
		needKeys := r < 1 || !sameDim(mask.Type.Shape[r-1], total)
		needQueries := queries.IsKnown() && queries.Size > 1 && (r < 2 || !sameDim(mask.Type.Shape[r-2], queries))
		if needKeys || needQueries {
			shape := make([]int64, max(r, 2))
			for i := range shape {
				shape[i] = 1
			}
			if total.IsKnown() {
				shape[len(shape)-1] = total.Size
			}
			if queries.IsKnown() {
				shape[len(shape)-2] = queries.Size
			}
			mask = e.op("Expand", mask, e.c(tensor.FromSlice(shape)))
		}
	}
	ins := []*ir.Value{a.q, k, a.v, mask, a.pastK, a.pastV}
	for ins[len(ins)-1] == nil {
		ins = ins[:len(ins)-1]
	}
	attrs := []ir.Attr{ir.AFloat("scale", float32(a.scale))}
	if a.causal {
		attrs = append(attrs, ir.AInt("is_causal", 1))
	}
	if a.qHeads > 0 {
		attrs = append(attrs, ir.AInt("q_num_heads", a.qHeads), ir.AInt("kv_num_heads", a.kvHeads))
	}
	p.apply(e.node("Attention", ins, defs, attrs...))
	return true
}

// lastDim returns the size of the mask's last dim (1 for a scalar).
func (m *attnMask) lastDim() ir.Dim {
	last := func(t ir.Type) ir.Dim {
		if t.Rank() < 1 {
			return ir.Known(1)
		}
		return t.Shape[t.Rank()-1]
	}
	if m.cond == nil {
		return last(m.v.Type)
	}
	c, f := last(m.cond.Type), last(m.fill.Type)
	if c.IsKnown() && c.Size == 1 {
		return f
	}
	return c
}

// scores matches v, the input of the Softmax, down to the product of Q and
// Kᵀ; mult is the scale applied to v from outside.
func (p *pattern) scores(v *ir.Value, a *attn, mult float64) bool {
	mk, nm := p.mark(), len(a.masks)
	fail := func() bool {
		p.rollback(mk)
		a.masks = a.masks[:nm]
		return false
	}
	if n := p.sole(v, "MatMul"); n != nil {
		a.qk = v
		if p.qk(n, a, mult) {
			return true
		}
		return fail()
	}
	n := p.sole(v, "Mul", "Div", "Add", "Where")
	if n == nil {
		return false
	}
	switch {
	case n.Op == "Where" && len(n.Inputs) == 3:
		for k := 1; k <= 2; k++ {
			fill := n.Inputs[3-k]
			if constOf(fill) == nil || constOf(n.Inputs[0]) == nil {
				continue
			}
			a.masks = append(a.masks, attnMask{cond: n.Inputs[0], fill: fill, keep: k == 1, mult: mult})
			if p.scores(n.Inputs[k], a, mult) {
				a.chain = append(a.chain, v)
				return true
			}
			a.masks = a.masks[:nm]
		}
	case len(n.Inputs) != 2:
	case n.Op == "Add":
		for k := 0; k < 2; k++ {
			a.masks = append(a.masks, attnMask{v: n.Inputs[1-k], mult: mult})
			if p.scores(n.Inputs[k], a, mult) {
				a.chain = append(a.chain, v)
				return true
			}
			a.masks = a.masks[:nm]
		}
	default: // Mul or Div by a constant
		for k := 0; k < 2; k++ {
			s, ok := scalarOf(n.Inputs[1-k])
			if !ok || (n.Op == "Div" && k == 1) || s == 0 {
				continue
			}
			if n.Op == "Div" {
				s = 1 / s
			}
			if p.scores(n.Inputs[k], a, mult*s) {
				a.chain = append(a.chain, v)
				return true
			}
		}
	}
	return fail()
}

// peelScale absorbs Mul and Div by constants that only the pattern reads
// and returns what they scale and their product.
func (p *pattern) peelScale(v *ir.Value) (*ir.Value, float64) {
	s := 1.0
	for {
		n := defOp(v, "Mul", "Div")
		if n == nil || len(v.Uses) != 1 || isResult(p.g, v) || len(n.Inputs) != 2 {
			return v, s
		}
		k := -1
		var c float64
		for i := 0; i < 2 && k < 0; i++ {
			if x, ok := scalarOf(n.Inputs[1-i]); ok && x != 0 && !(n.Op == "Div" && i == 1) {
				k, c = i, x
			}
		}
		if k < 0 {
			return v, s
		}
		if n.Op == "Div" {
			c = 1 / c
		}
		p.take(n)
		s *= c
		v = n.Inputs[k]
	}
}

// qk matches the product of Q and Kᵀ and what K comes from.
func (p *pattern) qk(n *ir.Node, a *attn, mult float64) bool {
	q, s1 := p.peelScale(n.Inputs[0])
	kt, s2 := p.peelScale(n.Inputs[1])
	a.q, a.scale = q, mult*s1*s2
	if kt.Type.Rank() != 4 || q.Type.Rank() != 4 {
		return false
	}
	swap := []int64{0, 1, 3, 2}
	t := p.sole(kt, "Transpose")
	if t == nil {
		a.k, a.kPerm, a.rep = kt, swap, 1
		return true
	}
	perm := t.Ints("perm")
	if perm == nil {
		perm = []int64{3, 2, 1, 0}
	}
	if len(perm) != 4 {
		return false
	}
	// Kᵀ = Transpose(x, perm), so K = Transpose(x, perm∘swap).
	r := make([]int64, 4)
	identity := true
	for i := range r {
		r[i] = perm[swap[i]]
		identity = identity && r[i] == int64(i)
	}
	if !identity {
		a.k, a.kPerm, a.rep = t.Inputs[0], r, 1
		return true
	}
	k, s3 := p.peelScale(t.Inputs[0])
	a.scale *= s3
	k, a.rep = p.matchRepeat(k)
	a.k, a.presK, a.pastK = p.pastConcat(k)
	return true
}

// matchRepeat matches the repetition of K or V heads for grouped-query
// attention, Reshape(Expand or Tile(Unsqueeze(x, axis 2)), to (b, h·n, s,
// d)) for a 4-D x of shape (b, h, s, d), and returns x and n; otherwise v
// and 1.
func (p *pattern) matchRepeat(v *ir.Value) (*ir.Value, int64) {
	mk := p.mark()
	fail := func() (*ir.Value, int64) { p.rollback(mk); return v, 1 }
	rs := p.sole(v, "Reshape")
	if rs == nil {
		return fail()
	}
	ex := p.sole(rs.Inputs[0], "Expand", "Tile")
	if ex == nil || len(ex.Inputs) != 2 {
		return fail()
	}
	un := p.sole(ex.Inputs[0], "Unsqueeze")
	if un == nil {
		return fail()
	}
	x := un.Inputs[0]
	var axes []int64
	if un.Opset < 13 {
		axes = un.Ints("axes")
	} else if t := constOf(un.Input(1)); t != nil {
		axes = t.Int64sOf()
	}
	if len(axes) != 1 || (axes[0] != 2 && axes[0] != -3) {
		return fail()
	}
	xt, et, rt := x.Type, ex.Outputs[0].Type, v.Type
	if xt.Rank() != 4 || et.Rank() != 5 || rt.Rank() != 4 {
		return fail()
	}
	if ex.Op == "Tile" {
		reps := constOf(ex.Inputs[1])
		if reps == nil || reps.Len() != 5 {
			return fail()
		}
		for i, r := range reps.Int64sOf() {
			if i != 2 && r != 1 {
				return fail()
			}
		}
	}
	x5 := []ir.Dim{xt.Shape[0], xt.Shape[1], ir.Known(1), xt.Shape[2], xt.Shape[3]}
	for i, d := range x5 {
		if i != 2 && !sameDim(et.Shape[i], d) {
			return fail()
		}
	}
	n, h := et.Shape[2], xt.Shape[1]
	if !n.IsKnown() || !h.IsKnown() || !rt.Shape[1].IsKnown() || rt.Shape[1].Size != h.Size*n.Size ||
		!sameDim(rt.Shape[0], xt.Shape[0]) || !sameDim(rt.Shape[2], xt.Shape[2]) || !sameDim(rt.Shape[3], xt.Shape[3]) {
		return fail()
	}
	return x, n.Size
}

// pastConcat matches Concat(past, cur) along axis 2 of a 4-D value and
// returns cur, the concatenation and past; otherwise v and nils.
func (p *pattern) pastConcat(v *ir.Value) (cur, present, past *ir.Value) {
	if v == nil {
		return nil, nil, nil
	}
	n := defOp(v, "Concat")
	if n == nil || len(n.Inputs) != 2 || v.Type.Rank() != 4 || n.Inputs[0].Type.Rank() != 4 {
		return v, nil, nil
	}
	if ax, err := ir.NormAxis(n.Int("axis"), 4); err != nil || ax != 2 {
		return v, nil, nil
	}
	p.take(n)
	return n.Inputs[1], v, n.Inputs[0]
}

// attnShapesAgree checks that Q (b, hq, sq, d), K (b, hkv, skv, d) and V
// (b, hkv, skv, dv) fit together as Attention needs and that the scores
// and the output have the shapes the pattern computed, so that no
// broadcasting in the pattern is lost.
func attnShapesAgree(a *attn, y *ir.Value) bool {
	qt, vt := a.q.Type, a.v.Type
	kt := a.k.Type
	if a.kPerm != nil {
		if !kt.HasShape || len(kt.Shape) != 4 {
			return false
		}
		dims := make([]ir.Dim, 4)
		for i, pi := range a.kPerm {
			dims[i] = kt.Shape[pi]
		}
		kt = ir.TensorOf(kt.Elem, dims)
	}
	if qt.Rank() != 4 || kt.Rank() != 4 || vt.Rank() != 4 {
		return false
	}
	q, k, v := qt.Shape, kt.Shape, vt.Shape
	if !sameDim(q[0], k[0]) || !sameDim(q[0], v[0]) || !sameDim(q[3], k[3]) || !sameDim(k[1], v[1]) || !sameDim(k[2], v[2]) {
		return false
	}
	if a.rep == 1 && !sameDim(q[1], k[1]) || a.rep > 1 && (!q[1].IsKnown() || !k[1].IsKnown() || q[1].Size != k[1].Size*a.rep) {
		return false
	}
	total := k[2]
	if a.presK != nil {
		pk, pv := a.pastK.Type, a.pastV.Type
		if pk.Rank() != 4 || pv.Rank() != 4 || !sameDim(pk.Shape[3], k[3]) || !sameDim(pv.Shape[3], v[3]) {
			return false
		}
		total = a.presK.Type.Shape[2]
	}
	scores := ir.TensorOf(qt.Elem, []ir.Dim{q[0], q[1], q[2], total})
	if !sameShape(a.qk.Type, scores) || !sameShape(y.Type, ir.TensorOf(qt.Elem, []ir.Dim{q[0], q[1], q[2], v[3]})) {
		return false
	}
	for _, c := range a.chain {
		if !sameShape(c.Type, scores) {
			return false
		}
	}
	return true
}

// maskUsable checks a mask and recognizes the causal triangle: a mask the
// fused node can take as an additive attn_mask must have rank 4 or less
// and the scores' type; a Where's fill (times the scale after it) must be
// -1e4 or less everywhere and its cond must keep some key in every row,
// so that adding the fill is the same as replacing by it.
func (p *pattern) maskUsable(m *attnMask, a *attn) bool {
	elem := a.qk.Type.Elem
	if m.cond == nil {
		if m.v.Type.Rank() < 0 || m.v.Type.Rank() > 4 || m.v.Type.Elem != elem {
			return false
		}
		if t := constOf(m.v); t != nil && m.mult > 0 && a.pastK == nil && isCausal(t, func(i int) int {
			if t.Float64At(i) == 0 {
				return 1
			}
			if t.Float64At(i)*m.mult <= maskFill {
				return 0
			}
			return -1
		}) {
			a.causal, m.causal = true, true
		}
		return true
	}
	cond, fill := constOf(m.cond), constOf(m.fill)
	if cond == nil || fill == nil || cond.DType() != tensor.Bool || cond.Rank() > 4 || fill.Rank() > 4 ||
		m.fill.Type.Elem != elem || m.mult <= 0 {
		return false
	}
	for i := 0; i < fill.Len(); i++ {
		if fill.Float64At(i)*m.mult > maskFill {
			return false
		}
	}
	keep := func(i int) bool { return (cond.Float64At(i) != 0) == m.keep }
	// Every row of the condition keeps some key.
	n := 1
	if cond.Rank() > 0 {
		n = cond.Dim(cond.Rank() - 1)
	}
	for r := 0; r < cond.Len(); r += n {
		some := false
		for j := 0; j < n; j++ {
			some = some || keep(r+j)
		}
		if !some {
			return false
		}
	}
	if a.pastK == nil && isCausal(cond, func(i int) int {
		if keep(i) {
			return 1
		}
		return 0
	}) {
		a.causal, m.causal = true, true
	}
	return true
}

// isCausal reports whether t is a square lower triangle over its last two
// dims (its other dims 1): at reports 1 for a kept entry, 0 for a masked
// one, -1 for neither.
func isCausal(t *tensor.Tensor, at func(i int) int) bool {
	r := t.Rank()
	if r < 2 {
		return false
	}
	for i := 0; i < r-2; i++ {
		if t.Dim(i) != 1 {
			return false
		}
	}
	s := t.Dim(r - 1)
	if t.Dim(r-2) != s || s < 2 {
		return false
	}
	for i := 0; i < s; i++ {
		for j := 0; j < s; j++ {
			want := 1
			if j > i {
				want = 0
			}
			if at(i*s+j) != want {
				return false
			}
		}
	}
	return true
}

// heads3D absorbs the head split of Q, K and V and the head merge of the
// output that exporters write around attention, so that the fused node
// reads and writes (batch, seq, heads·dim) tensors, given q_num_heads and
// kv_num_heads: Q = Transpose(Reshape(q, (b, s, h, d)), [0,2,1,3]) of a
// 3-D q, the same for V and for K (or the Reshape alone when K is read
// through a new Transpose by [0,2,1,3]), and Reshape(Transpose(Y,
// [0,2,1,3]), (b, s, h·dv)) of the output. It is all or nothing: it
// returns the merged output, whose Reshape becomes the pattern's root, or
// nil with the pattern as it was.
func (p *pattern) heads3D(a *attn, y *ir.Value) *ir.Value {
	mk := p.mark()
	fail := func() *ir.Value { p.rollback(mk); return nil }
	q, qh := p.splitHeads(a.q, true)
	if q == nil {
		return fail()
	}
	var k *ir.Value
	var kh int64
	switch {
	case a.kPerm == nil:
		k, kh = p.splitHeads(a.k, true)
	case slicesEqual64(a.kPerm, []int64{0, 2, 1, 3}):
		k, kh = p.splitHeads(a.k, false)
	}
	v, vh := p.splitHeads(a.v, true)
	if k == nil || v == nil || kh != vh {
		return fail()
	}
	// The output: Reshape(Transpose(Y, [0,2,1,3]), (b, s, h·dv)).
	t := p.user(y, "Transpose")
	if t == nil || !slicesEqual64(permOf(t), []int64{0, 2, 1, 3}) {
		return fail()
	}
	r := p.user(t.Outputs[0], "Reshape")
	if r == nil || r.Inputs[0] != t.Outputs[0] {
		return fail()
	}
	yt, rt := t.Outputs[0].Type, r.Outputs[0].Type
	if yt.Rank() != 4 || rt.Rank() != 3 || !sameDim(rt.Shape[0], yt.Shape[0]) || !sameDim(rt.Shape[1], yt.Shape[1]) ||
		!yt.Shape[2].IsKnown() || !yt.Shape[3].IsKnown() || !rt.Shape[2].IsKnown() || rt.Shape[2].Size != yt.Shape[2].Size*yt.Shape[3].Size {
		return fail()
	}
	p.root = r
	a.q, a.k, a.v, a.kPerm = q, k, v, nil
	a.qHeads, a.kvHeads = qh, kh
	return r.Outputs[0]
}

// splitHeads matches v = Transpose(Reshape(x, (b, s, h, d)), [0,2,1,3])
// (or, without transpose, v = Reshape(x, (b, s, h, d))) for a 3-D x of
// (b, s, h·d), and returns x and h.
func (p *pattern) splitHeads(v *ir.Value, transpose bool) (*ir.Value, int64) {
	if transpose {
		t := p.sole(v, "Transpose")
		if t == nil || !slicesEqual64(permOf(t), []int64{0, 2, 1, 3}) {
			return nil, 0
		}
		v = t.Inputs[0]
	}
	r := p.sole(v, "Reshape")
	if r == nil {
		return nil, 0
	}
	x := r.Inputs[0]
	xt, rt := x.Type, v.Type
	if xt.Rank() != 3 || rt.Rank() != 4 || !sameDim(xt.Shape[0], rt.Shape[0]) || !sameDim(xt.Shape[1], rt.Shape[1]) ||
		!rt.Shape[2].IsKnown() || !rt.Shape[3].IsKnown() || !xt.Shape[2].IsKnown() || xt.Shape[2].Size != rt.Shape[2].Size*rt.Shape[3].Size {
		return nil, 0
	}
	return x, rt.Shape[2].Size
}

func slicesEqual64(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
