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
				return nil
			}, Doc: "an empty sequence"},
		OpSchema{Name: "SequenceAt", Versions: []int{11}, Inputs: "input_sequence:S position:I", Outputs: "tensor:T",
			Types: "I=i32,i64", Infer: inferSequenceElem, Doc: "the element at a position"},
		OpSchema{Name: "SequenceErase", Versions: []int{11}, Inputs: "input_sequence:S position?:I", Outputs: "output_sequence:S",
			Types: "I=i32,i64", Infer: InferSameAs(0), Doc: "the sequence without one element"},
		OpSchema{Name: "SequenceInsert", Versions: []int{11}, Inputs: "input_sequence:S tensor:T position?:I", Outputs: "output_sequence:S",
			Types: "I=i32,i64", Infer: InferSameAs(0), Doc: "the sequence with a tensor inserted"},
		OpSchema{Name: "SequenceLength", Versions: []int{11}, Inputs: "input_sequence:S", Outputs: "length:I",
			Infer: func(c *InferCtx) error { c.Set(0, TensorType(tensor.Int64)); return nil }, Doc: "the number of elements"},
		OpSchema{Name: "SplitToSequence", Versions: []int{11, 24}, Inputs: "input:T split?:I", Outputs: "output_sequence:S",
			Types: "I=i32,i64", Attrs: []AttrDef{AttrI("axis", 0), AttrI("keepdims", 1)},
			Infer: func(c *InferCtx) error {
				c.Set(0, SequenceOf(UnrankedTensor(c.In[0].Elem)))
				return nil
			}, Doc: "splits a tensor into a sequence"},
		OpSchema{Name: "ConcatFromSequence", Versions: []int{11}, Inputs: "input_sequence:S", Outputs: "concat_result:T",
			Attrs: []AttrDef{AttrReq("axis", AttrInt), AttrI("new_axis", 0)},
			Infer: func(c *InferCtx) error {
				elem := tensor.Undefined
				if in := c.In[0].Inner; in != nil {
					elem = in.Elem
				}
				c.Set(0, UnrankedTensor(elem))
				return nil
			}, Doc: "concatenates the tensors of a sequence"},
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
	for i := range tt {
		t := tt[i]
		if !t.Equal(et[i]) {
			t = unifyTypes(t, et[i])
		}
		c.Set(i, t)
	}
	return nil
}

// unifyTypes returns the most specific type both a and b satisfy.
func unifyTypes(a, b Type) Type {
	if a.Kind != b.Kind {
		return Type{}
	}
	out := a.Clone()
	if a.Elem != b.Elem {
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
		t := body.Results[1+i].Type
		if t.Kind == KindUnknown {
			t = c.In[2+i]
		}
		c.Set(i, t.Clone())
	}
	for j := 1 + nCarried; j < len(body.Results); j++ {
		c.Set(j-1, stackedType(body.Results[j].Type, 0))
	}
	return nil
}

// stackedType is the type of scan outputs of type t stacked along a new
// axis of unknown length.
func stackedType(t Type, axis int) Type {
	if t.Kind != KindTensor {
		return t.Clone()
	}
	out := Type{Kind: KindTensor, Elem: t.Elem}
	if t.HasShape && axis <= len(t.Shape) {
		out.HasShape = true
		out.Shape = append(append(append([]Dim{}, t.Shape[:axis]...), Unknown()), t.Shape[axis:]...)
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
	if c.Node.Opset < 9 {
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
	for i := 0; i < n; i++ {
		c.Set(i, c.In[off+i].Clone())
	}
	axes := c.Node.Ints("scan_output_axes")
	for j := n; j < len(body.Results); j++ {
		axis := 0
		if c.Node.Opset < 9 {
			axis = 1
		}
		if k := j - n; k < len(axes) {
			r := body.Results[j].Type.Rank()
			a := int(axes[k])
			if a < 0 && r >= 0 {
				a += r + 1
			}
			axis = a
		}
		c.Set(j, stackedType(body.Results[j].Type, axis))
	}
	return nil
}

func inferSequenceConstruct(c *InferCtx) error {
	if len(c.In) == 0 {
		return fmt.Errorf("SequenceConstruct needs at least one input")
	}
	t := c.In[0].Clone()
	for _, u := range c.In[1:] {
		if u.Elem != t.Elem {
			return fmt.Errorf("SequenceConstruct inputs mix element types %s and %s", t.Elem, u.Elem)
		}
		t = unifyTypes(t, u)
	}
	c.Set(0, SequenceOf(t))
	return nil
}

func inferSequenceElem(c *InferCtx) error {
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
