package ir

import (
	"fmt"

	"github.com/onyxgo/onyx/tensor"
)

// Control flow (If, Loop, Scan), sequences and optionals.
func init() {
	Register(
		OpSchema{Name: "If", Versions: []int{1, 11, 13, 16, 19, 21, 23, 24, 25},
			Inputs: "cond:B", Outputs: "outputs...:V", Types: "B=bool",
			Attrs: []AttrDef{AttrReq("then_branch", AttrGraph), AttrReq("else_branch", AttrGraph)},
			Infer: inferIf, Doc: "runs one of two subgraphs"},
		OpSchema{Name: "Loop", Versions: []int{1, 11, 13, 16, 19, 21, 23, 24, 25},
			Inputs: "M?:I cond?:B v_initial...?:V", Outputs: "v_final_and_scan_outputs...:V",
			Types: "I=i64 B=bool", Attrs: []AttrDef{AttrReq("body", AttrGraph)},
			Infer: inferLoop, Doc: "runs a subgraph repeatedly, carrying state"},
		OpSchema{Name: "Scan", Versions: []int{8, 9, 11, 16, 19, 21, 23, 24, 25},
			Inputs: "initial_state_and_scan_inputs...:V", Outputs: "final_state_and_scan_outputs...:V",
			Attrs: []AttrDef{AttrReq("body", AttrGraph), AttrReq("num_scan_inputs", AttrInt),
				AttrOpt("directions", AttrInts),
				AttrOpt("scan_input_axes", AttrInts), AttrOpt("scan_input_directions", AttrInts),
				AttrOpt("scan_output_axes", AttrInts), AttrOpt("scan_output_directions", AttrInts)},
			Infer: inferScan, Doc: "iterates a subgraph over slices of its scan inputs"},

		OpSchema{Name: "SequenceConstruct", Versions: []int{11}, Inputs: "inputs...:T", Outputs: "output_sequence:S",
			Infer: inferSequenceConstruct, Doc: "a sequence of its inputs"},
		OpSchema{Name: "SequenceEmpty", Versions: []int{11}, Outputs: "output:S",
			Attrs: []AttrDef{AttrOpt("dtype", AttrInt)},
			Infer: func(c *InferCtx) error {
				dt := tensor.DType(c.Node.IntOr("dtype", int64(tensor.Float32)))
				c.Set(0, SequenceOf(UnrankedTensor(dt)))
				c.SetSeqElems(0, []Type{})
				return nil
			}, Doc: "an empty sequence"},
		OpSchema{Name: "SequenceAt", Versions: []int{11}, Inputs: "input_sequence:S position:I", Outputs: "tensor:T",
			Types: "I=i32,i64", Infer: inferSequenceElem, Doc: "the element at a position"},
		OpSchema{Name: "SequenceErase", Versions: []int{11}, Inputs: "input_sequence:S position?:I", Outputs: "output_sequence:S",
			Types: "I=i32,i64", Infer: inferSequenceErase, Doc: "the sequence without one element"},
		OpSchema{Name: "SequenceInsert", Versions: []int{11}, Inputs: "input_sequence:S tensor:T position?:I", Outputs: "output_sequence:S",
			Types: "I=i32,i64", Infer: inferSequenceInsert, Doc: "the sequence with a tensor inserted"},
		OpSchema{Name: "SequenceLength", Versions: []int{11}, Inputs: "input_sequence:S", Outputs: "length:I",
			Infer: func(c *InferCtx) error {
				c.Set(0, TensorType(tensor.Int64))
				if ts, ok := c.SeqElems(0); ok {
					c.SetPartial(0, []SymInt{KnownInt(int64(len(ts)))})
				}
				return nil
			}, Doc: "the number of elements"},
		OpSchema{Name: "SplitToSequence", Versions: []int{11, 24}, Inputs: "input:T split?:I", Outputs: "output_sequence:S",
			Types: "I=i32,i64", Attrs: []AttrDef{AttrI("axis", 0), AttrI("keepdims", 1)},
			Infer: inferSplitToSequence, Doc: "splits a tensor into a sequence"},
		OpSchema{Name: "ConcatFromSequence", Versions: []int{11}, Inputs: "input_sequence:S", Outputs: "concat_result:T",
			Attrs: []AttrDef{AttrReq("axis", AttrInt), AttrI("new_axis", 0)},
			Infer: inferConcatFromSequence, Doc: "concatenates the tensors of a sequence"},
		OpSchema{Name: "SequenceMap", Versions: []int{17}, Inputs: "input_sequence:S additional_inputs...?:V", Outputs: "out_sequence...:S",
			Attrs: []AttrDef{AttrReq("body", AttrGraph)}, Infer: inferSequenceMap, Doc: "applies a subgraph to each element"},

		OpSchema{Name: "Optional", Versions: []int{15}, Inputs: "input?:V", Outputs: "output:O",
			Attrs: []AttrDef{AttrOpt("type", AttrTypeProto)}, Infer: inferOptional, Doc: "wraps a value, or none, in an optional"},
		OpSchema{Name: "OptionalHasElement", Versions: []int{15, 18}, Inputs: "input?:O", Outputs: "output:B",
			Infer: func(c *InferCtx) error { c.Set(0, TensorType(tensor.Bool)); return nil }, Doc: "whether an optional holds a value"},
		OpSchema{Name: "OptionalGetElement", Versions: []int{15, 18}, Inputs: "input:O", Outputs: "output:V",
			Infer: func(c *InferCtx) error {
				if c.In[0].Kind == KindOptional && c.In[0].Inner != nil {
					c.Set(0, c.In[0].Inner.Clone())
				} else if c.In[0].Kind != KindOptional {
					c.Set(0, c.In[0].Clone())
				}
				return nil
			}, Doc: "the value an optional holds"},
	)
}

func resultTypes(g *Func) []Type {
	ts := make([]Type, len(g.Results))
	for i, r := range g.Results {
		ts[i] = r.Type
	}
	return ts
}

func inferIf(c *InferCtx) error {
	then, els := c.Node.Graph("then_branch"), c.Node.Graph("else_branch")
	if then == nil || els == nil {
		return fmt.Errorf("If needs then_branch and else_branch")
	}
	if len(then.Results) != len(els.Results) {
		return fmt.Errorf("If branches return %d and %d values", len(then.Results), len(els.Results))
	}
	tt, et := resultTypes(then), resultTypes(els)
	// A condition known here picks the branch.
	if v, ok := c.Partial(0); ok && len(v) == 1 && v[0].Known {
		g := els
		if v[0].Val != 0 {
			g = then
		}
		for i, r := range g.Results {
			c.Set(i, r.Type.Clone())
			if p, ok := c.ValuePartial(r); ok {
				c.SetPartial(i, p)
			}
		}
		return nil
	}
	for i := range tt {
		t := tt[i]
		if !t.Equal(et[i]) {
			t = unifyTypes(t, et[i])
		}
		c.Set(i, t)
	}
	return nil
}

// unifyTypes returns the most specific type both a and b satisfy, for
// values that ONNX requires to be of one type (the branches of an If,
// the elements of a sequence): where one of them is unknown, the kind and
// element type of the other are taken, without its dims.
func unifyTypes(a, b Type) Type {
	switch {
	case a.Kind == KindUnknown:
		return dropShape(b)
	case b.Kind == KindUnknown:
		return dropShape(a)
	case a.Kind != b.Kind:
		return Type{}
	}
	out := a.Clone()
	switch {
	case a.Elem == tensor.Undefined:
		out.Elem = b.Elem
	case b.Elem != tensor.Undefined && b.Elem != a.Elem:
		out.Elem = tensor.Undefined
	}
	if a.HasShape && b.HasShape && len(a.Shape) == len(b.Shape) {
		for i := range out.Shape {
			if a.Shape[i] != b.Shape[i] {
				out.Shape[i] = Unknown()
			}
		}
	} else {
		out.Shape, out.HasShape = nil, false
	}
	if a.Inner != nil && b.Inner != nil {
		in := unifyTypes(*a.Inner, *b.Inner)
		out.Inner = &in
	} else if a.Inner != nil || b.Inner != nil {
		out.Inner = nil
	}
	return out
}

func inferLoop(c *InferCtx) error {
	body := c.Node.Graph("body")
	if body == nil {
		return fmt.Errorf("Loop needs a body")
	}
	nCarried := len(c.In) - 2
	if len(body.Params) != nCarried+2 {
		return fmt.Errorf("Loop body takes %d inputs, want %d (iteration, condition and %d carried values)", len(body.Params), nCarried+2, nCarried)
	}
	if len(body.Results) < nCarried+1 {
		return fmt.Errorf("Loop body returns %d values, want at least %d", len(body.Results), nCarried+1)
	}
	for i := 0; i < nCarried; i++ {
		c.Set(i, carriedType(c.In[2+i], body.Results[1+i].Type))
	}
	for j := 1 + nCarried; j < len(body.Results); j++ {
		c.Set(j-1, stackedType(body.Results[j].Type, 0, Unknown()))
	}
	return nil
}

// carriedType is the type of the final value of a state that starts as
// init and is replaced by a body result of type next on each iteration.
func carriedType(init, next Type) Type {
	switch {
	case init.Kind == KindUnknown:
		return dropShape(next)
	case next.Kind == KindUnknown:
		return dropShape(init)
	}
	return widenType(init, next)
}

// stackedType is the type of scan outputs of type t stacked along a new
// axis of length n.
func stackedType(t Type, axis int, n Dim) Type {
	if t.Kind != KindTensor {
		return Type{}
	}
	out := Type{Kind: KindTensor, Elem: t.Elem}
	if t.HasShape && axis >= 0 && axis <= len(t.Shape) {
		out.HasShape = true
		out.Shape = append(append(append([]Dim{}, t.Shape[:axis]...), n), t.Shape[axis:]...)
	}
	return out
}

func inferScan(c *InferCtx) error {
	body := c.Node.Graph("body")
	if body == nil {
		return fmt.Errorf("Scan needs a body")
	}
	m := int(c.Node.Int("num_scan_inputs"))
	nIn := len(c.In)
	legacy := c.Node.Opset < 9
	if legacy {
		nIn-- // sequence_lens
	}
	n := nIn - m
	if m < 1 || n < 0 {
		return fmt.Errorf("Scan has %d inputs but num_scan_inputs is %d", len(c.In), m)
	}
	if len(body.Results) < n {
		return fmt.Errorf("Scan body returns %d values, want at least %d states", len(body.Results), n)
	}
	off := len(c.In) - nIn
	// The number of iterations is the length of the scan axis of the scan
	// inputs (axis 1 before opset 9, where axis 0 is the batch).
	steps, batch := Unknown(), Unknown()
	inAxes := c.Node.Ints("scan_input_axes")
	for j := 0; j < m; j++ {
		t := c.In[off+n+j]
		if !t.HasShape {
			continue
		}
		a := int64(0)
		if legacy {
			a = 1
			if len(t.Shape) > 0 && !batch.IsKnown() {
				batch = t.Shape[0]
			}
		} else if j < len(inAxes) {
			a = inAxes[j]
		}
		ax, err := NormAxis(a, len(t.Shape))
		if err != nil {
			return fmt.Errorf("Scan: scan input %d: %v", j, err)
		}
		if d := t.Shape[ax]; d.IsKnown() || !steps.IsKnown() && d.Param != "" {
			steps = d
		}
	}
	for i := 0; i < n; i++ {
		init := c.In[off+i]
		next := body.Results[i].Type
		if legacy {
			next = stackedType(next, 0, batch)
		}
		c.Set(i, carriedType(init, next))
	}
	axes := c.Node.Ints("scan_output_axes")
	for j := n; j < len(body.Results); j++ {
		rt := body.Results[j].Type
		if legacy {
			c.Set(j, stackedType(stackedType(rt, 0, steps), 0, batch))
			continue
		}
		axis := 0
		if k := j - n; k < len(axes) {
			a := int(axes[k])
			if a < 0 {
				r := rt.Rank()
				if r < 0 {
					c.Set(j, Type{Kind: KindTensor, Elem: rt.Elem})
					continue
				}
				a += r + 1
			}
			axis = a
		}
		c.Set(j, stackedType(rt, axis, steps))
	}
	return nil
}

func inferSequenceConstruct(c *InferCtx) error {
	if len(c.In) == 0 {
		return fmt.Errorf("SequenceConstruct needs at least one input")
	}
	for _, u := range c.In[1:] {
		if t := c.In[0]; u.Elem != t.Elem && u.Elem != tensor.Undefined && t.Elem != tensor.Undefined {
			return fmt.Errorf("SequenceConstruct inputs mix element types %s and %s", t.Elem, u.Elem)
		}
	}
	seqSet(c, 0, tensor.Undefined, c.In)
	return nil
}

// seqSet sets output o to the sequence of elements of types ts (dt, when
// set, is the element type of an empty one).
func seqSet(c *InferCtx, o int, dt tensor.DType, ts []Type) {
	inner := UnrankedTensor(dt)
	for i, t := range ts {
		if i == 0 {
			inner = t.Clone()
		} else {
			inner = unifyTypes(inner, t)
		}
	}
	c.Set(o, SequenceOf(inner))
	c.SetSeqElems(o, ts)
}

// seqPos returns a known position input i of a sequence of n elements
// (ends: n+1 valid places, for insertion), or def when the input is
// absent.
func seqPos(c *InferCtx, i, n int, ends bool, def int) (int, bool) {
	if !c.Has(i) {
		return def, true
	}
	v, ok := c.Partial(i)
	if !ok || len(v) != 1 || !v[0].Known {
		return 0, false
	}
	p, size := v[0].Val, int64(n)
	if ends {
		size++
	}
	if p < -int64(n) || p >= size {
		return 0, false
	}
	if p < 0 {
		p += int64(n)
	}
	return int(p), true
}

func seqElemType(c *InferCtx) tensor.DType {
	if c.In[0].Kind == KindSequence && c.In[0].Inner != nil {
		return c.In[0].Inner.Elem
	}
	return tensor.Undefined
}

func inferSequenceInsert(c *InferCtx) error {
	if ts, ok := c.SeqElems(0); ok {
		if p, ok := seqPos(c, 2, len(ts), true, len(ts)); ok {
			out := append(append(append([]Type{}, ts[:p]...), c.In[1].Clone()), ts[p:]...)
			seqSet(c, 0, seqElemType(c), out)
			return nil
		}
	}
	var inner Type
	if c.In[0].Kind == KindSequence && c.In[0].Inner != nil {
		inner = unifyTypes(*c.In[0].Inner, c.In[1])
	} else {
		inner = dropShape(c.In[1])
	}
	c.Set(0, SequenceOf(inner))
	return nil
}

func inferSequenceErase(c *InferCtx) error {
	c.Set(0, c.In[0].Clone())
	if ts, ok := c.SeqElems(0); ok && len(ts) > 0 {
		if p, ok := seqPos(c, 1, len(ts), false, len(ts)-1); ok {
			seqSet(c, 0, seqElemType(c), append(append([]Type{}, ts[:p]...), ts[p+1:]...))
		}
	}
	return nil
}

func inferSequenceElem(c *InferCtx) error {
	if ts, ok := c.SeqElems(0); ok {
		if p, ok := seqPos(c, 1, len(ts), false, 0); ok {
			c.Set(0, ts[p].Clone())
			return nil
		}
	}
	if c.In[0].Kind == KindSequence && c.In[0].Inner != nil {
		c.Set(0, c.In[0].Inner.Clone())
	}
	return nil
}

func inferSequenceMap(c *InferCtx) error {
	body := c.Node.Graph("body")
	if body == nil {
		return fmt.Errorf("SequenceMap needs a body")
	}
	if len(body.Params) != len(c.In) {
		return fmt.Errorf("SequenceMap body takes %d inputs, node has %d", len(body.Params), len(c.In))
	}
	for i, r := range body.Results {
		c.Set(i, SequenceOf(r.Type.Clone()))
	}
	return nil
}

func inferOptional(c *InferCtx) error {
	if c.Has(0) {
		c.Set(0, OptionalOf(c.In[0].Clone()))
		return nil
	}
	a := c.Node.Attr("type")
	if a == nil || a.TP == nil {
		return fmt.Errorf("Optional without an input needs the type attribute")
	}
	c.Set(0, OptionalOf(a.TP.Clone()))
	return nil
}

// inferSplitToSequence: without split, the elements are the slices of
// the input along axis (kept as dims of 1 with keepdims); with split, their
// length on axis varies.
func inferSplitToSequence(c *InferCtx) error {
	in := c.In[0]
	elem := Type{Kind: KindTensor, Elem: in.Elem}
	if in.HasShape {
		ax, err := NormAxis(c.Node.Int("axis"), len(in.Shape))
		if err != nil {
			return fmt.Errorf("SplitToSequence: %v", err)
		}
		dims := append([]Dim{}, in.Shape...)
		switch {
		case c.Has(1):
			dims[ax] = Unknown()
			if v, ok := c.Partial(1); ok && c.PartialRank(1) == 0 && v[0].Known && in.Shape[ax].IsKnown() &&
				v[0].Val > 0 && in.Shape[ax].Size%v[0].Val == 0 {
				dims[ax] = Known(v[0].Val)
			}
		case c.Node.Int("keepdims") != 0:
			dims[ax] = Known(1)
		default:
			dims = append(dims[:ax], dims[ax+1:]...)
		}
		elem = TensorOf(in.Elem, dims)
	}
	c.Set(0, SequenceOf(elem))
	return nil
}

// inferConcatFromSequence joins the elements along axis, or stacks them
// along a new axis with new_axis; the number of elements is not known.
func inferConcatFromSequence(c *InferCtx) error {
	if ts, ok := c.SeqElems(0); ok && len(ts) > 0 {
		if t, ok := concatSeqElems(c, ts); ok {
			c.Set(0, t)
			return nil
		}
	}
	in := c.In[0].Inner
	if in == nil {
		c.Set(0, Type{Kind: KindTensor})
		return nil
	}
	if !in.HasShape {
		c.Set(0, UnrankedTensor(in.Elem))
		return nil
	}
	r := len(in.Shape)
	dims := append([]Dim{}, in.Shape...)
	axis := c.Node.Int("axis")
	if c.Node.Int("new_axis") != 0 {
		ax, err := NormAxis(axis, r+1)
		if err != nil {
			return fmt.Errorf("ConcatFromSequence: %v", err)
		}
		dims = append(dims[:ax], append([]Dim{Unknown()}, dims[ax:]...)...)
	} else {
		ax, err := NormAxis(axis, r)
		if err != nil {
			return fmt.Errorf("ConcatFromSequence: %v", err)
		}
		dims[ax] = Unknown()
	}
	c.Set(0, TensorOf(in.Elem, dims))
	return nil
}

// concatSeqElems is the type ConcatFromSequence gives elements of types
// ts, when their ranks are known.
func concatSeqElems(c *InferCtx, ts []Type) (Type, bool) {
	r := ts[0].Rank()
	for _, t := range ts {
		if t.Kind != KindTensor || t.Rank() != r || r < 0 {
			return Type{}, false
		}
	}
	inner := ts[0]
	for _, t := range ts[1:] {
		inner = unifyTypes(inner, t)
	}
	dims := append([]Dim{}, inner.Shape...)
	axis := c.Node.Int("axis")
	if c.Node.Int("new_axis") != 0 {
		ax, err := NormAxis(axis, r+1)
		if err != nil {
			return Type{}, false
		}
		dims = append(dims[:ax], append([]Dim{Known(int64(len(ts)))}, dims[ax:]...)...)
		return TensorOf(inner.Elem, dims), true
	}
	ax, err := NormAxis(axis, r)
	if err != nil {
		return Type{}, false
	}
	sum := int64(0)
	for _, t := range ts {
		if !t.Shape[ax].IsKnown() {
			dims[ax] = Unknown()
			return TensorOf(inner.Elem, dims), true
		}
		sum += t.Shape[ax].Size
	}
	dims[ax] = Known(sum)
	return TensorOf(inner.Elem, dims), true
}
