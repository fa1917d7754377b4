package ir

import (
	"fmt"

	"github.com/onyxgo/onyx/tensor"
)

// InferFunc is an op's shape function: from the types (and, where known,
// constant values) of a node's inputs it sets the types of its outputs.
// It leaves an output's type unknown, or its dims symbolic, where they
// depend on data it cannot see; it returns an error only for inputs that
// break the op's rules.
type InferFunc func(c *InferCtx) error

// InferCtx carries one node through its shape function.
type InferCtx struct {
	Node *Node
	// In holds the type of each input; an omitted input has KindUnknown.
	In []Type
	// Out receives the type of each output.
	Out []Type
	// consts holds the constant value of inputs known at inference time.
	consts []*tensor.Tensor
}

// NumInputs returns the number of input slots of the node.
func (c *InferCtx) NumInputs() int { return len(c.In) }

// Has reports whether input i is present.
func (c *InferCtx) Has(i int) bool {
	return i < len(c.Node.Inputs) && c.Node.Inputs[i] != nil
}

// Const returns the value of input i when it is a constant known at
// inference time, else nil.
func (c *InferCtx) Const(i int) *tensor.Tensor {
	if i < len(c.consts) {
		return c.consts[i]
	}
	return nil
}

// Set sets the type of output i (ignored when the node has no such output).
func (c *InferCtx) Set(i int, t Type) {
	if i < len(c.Out) {
		c.Out[i] = t
	}
}

// Errorf returns an error about the node.
func (c *InferCtx) Errorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// NewInferCtx prepares a context for n with the given input types and
// constant inputs (either may be shorter than the input list).
func NewInferCtx(n *Node, in []Type, consts []*tensor.Tensor) *InferCtx {
	c := &InferCtx{Node: n, In: make([]Type, len(n.Inputs)), Out: make([]Type, len(n.Outputs)), consts: consts}
	copy(c.In, in)
	return c
}

// InferNode runs n's shape function on the current types of its inputs and
// stores the results in its output values. Declared output types are kept
// where inference knows less.
func InferNode(n *Node, consts map[*Value]*tensor.Tensor) error {
	if n.Schema == nil {
		if err := ResolveNode(n); err != nil {
			return err
		}
	}
	c := &InferCtx{Node: n, In: make([]Type, len(n.Inputs)), Out: make([]Type, len(n.Outputs)), consts: make([]*tensor.Tensor, len(n.Inputs))}
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		c.In[i] = v.Type
		if v.Const != nil && !v.Param {
			c.consts[i] = v.Const
		} else if t := consts[v]; t != nil {
			c.consts[i] = t
		}
	}
	if err := n.Schema.Infer(c); err != nil {
		return err
	}
	for i, o := range n.Outputs {
		if o == nil {
			continue
		}
		o.Type = mergeTypes(o.Type, c.Out[i])
	}
	return nil
}

// mergeTypes combines a declared type with an inferred one, keeping the
// more specific facts of each.
func mergeTypes(declared, inferred Type) Type {
	if inferred.Kind == KindUnknown {
		return declared
	}
	if declared.Kind != inferred.Kind {
		return inferred
	}
	out := inferred.Clone()
	if out.Elem == tensor.Undefined {
		out.Elem = declared.Elem
	}
	if !out.HasShape && declared.HasShape {
		out.Shape, out.HasShape = append([]Dim{}, declared.Shape...), true
	} else if out.HasShape && declared.HasShape && len(out.Shape) == len(declared.Shape) {
		for i, d := range out.Shape {
			if !d.IsKnown() && (declared.Shape[i].IsKnown() || d.Param == "") {
				out.Shape[i] = declared.Shape[i]
			}
		}
	}
	if out.Inner == nil && declared.Inner != nil {
		in := declared.Inner.Clone()
		out.Inner = &in
	}
	return out
}

// InferShapes runs shape inference over f and its subgraphs, in order. It
// tracks the values of Constant nodes so that shape-producing inputs
// (Reshape's shape, Slice's starts, ...) are seen. Nodes whose op is
// unknown are reported as errors.
func InferShapes(f *Func) error {
	consts := map[*Value]*tensor.Tensor{}
	return inferFunc(f, consts)
}

func inferFunc(f *Func, consts map[*Value]*tensor.Tensor) error {
	for _, n := range f.Nodes {
		for _, g := range n.Subgraphs() {
			if err := inferFunc(g, consts); err != nil {
				return err
			}
		}
		if err := InferNode(n, consts); err != nil {
			return fmt.Errorf("node %s: %w", n, err)
		}
		if n.Op == "Constant" && n.Domain == "" && len(n.Outputs) == 1 && n.Outputs[0] != nil {
			if t := ConstantNodeValue(n); t != nil {
				consts[n.Outputs[0]] = t
			}
		}
	}
	return nil
}

// ConstantNodeValue returns the tensor a Constant node produces, when it
// can be read from its attributes.
func ConstantNodeValue(n *Node) *tensor.Tensor {
	for _, a := range n.Attrs {
		switch a.Name {
		case "value":
			return a.T
		case "value_float":
			return tensor.Scalar(a.F)
		case "value_int":
			return tensor.Scalar(a.I)
		case "value_floats":
			return tensor.FromSlice(append([]float32{}, a.Floats...))
		case "value_ints":
			return tensor.FromSlice(append([]int64{}, a.Ints...))
		case "value_string":
			t, _ := tensor.FromStrings([]int{}, []string{a.S})
			return t
		case "value_strings":
			t, _ := tensor.FromStrings([]int{len(a.Strings)}, a.Strings)
			return t
		case "sparse_value":
			if a.Sparse != nil {
				t, err := a.Sparse.Dense()
				if err == nil {
					return t
				}
			}
		}
	}
	return nil
}

// Common shape functions shared by many ops.

// InferSameAs returns a shape function giving every output the type of
// input i.
func InferSameAs(i int) InferFunc {
	return func(c *InferCtx) error {
		for o := range c.Out {
			c.Out[o] = c.In[i].Clone()
		}
		return nil
	}
}

// InferUnary gives output 0 the type of input 0.
var InferUnary = InferSameAs(0)

// InferBroadcast gives output 0 the element type of input 0 and the
// numpy-broadcast shape of all inputs.
func InferBroadcast(c *InferCtx) error {
	return inferBroadcastTo(c, c.In[0].Elem)
}

// InferBroadcastBool is InferBroadcast with a BOOL result (comparisons).
func InferBroadcastBool(c *InferCtx) error { return inferBroadcastTo(c, tensor.Bool) }

func inferBroadcastTo(c *InferCtx, elem tensor.DType) error {
	var types []Type
	for i, t := range c.In {
		if c.Has(i) {
			types = append(types, t)
		}
	}
	shape, ok, err := BroadcastDims(types...)
	if err != nil {
		return err
	}
	out := Type{Kind: KindTensor, Elem: elem}
	if ok {
		out.Shape, out.HasShape = shape, true
	}
	c.Set(0, out)
	return nil
}

// BroadcastDims returns the numpy-broadcast shape of the given tensor
// types; ok is false when some rank is unknown. Known dims that cannot
// broadcast are an error.
func BroadcastDims(types ...Type) (dims []Dim, ok bool, err error) {
	rank := 0
	for _, t := range types {
		if !t.HasShape {
			return nil, false, nil
		}
		rank = max(rank, len(t.Shape))
	}
	dims = make([]Dim, rank)
	for i := range dims {
		dims[i] = Known(1)
	}
	for _, t := range types {
		off := rank - len(t.Shape)
		for i, d := range t.Shape {
			cur := dims[off+i]
			switch {
			case d.IsKnown() && d.Size == 1:
			case cur.IsKnown() && cur.Size == 1:
				dims[off+i] = d
			case d.IsKnown() && cur.IsKnown():
				if d.Size != cur.Size {
					return nil, false, fmt.Errorf("shapes %s cannot broadcast: dim %d is %d and %d", typesString(types), off+i, cur.Size, d.Size)
				}
			case d.IsKnown():
				dims[off+i] = d
			case cur.IsKnown():
			case d.Param != "" && d.Param == cur.Param:
			default:
				dims[off+i] = Unknown()
			}
		}
	}
	return dims, true, nil
}

func typesString(ts []Type) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += t.String()
	}
	return s
}

// InferElemOnly returns a shape function that knows only the element type
// of its outputs (taken from input i, or fixed when i < 0 and dt is set):
// for ops whose output shape depends on input data.
func InferElemOnly(i int, dt tensor.DType) InferFunc {
	return func(c *InferCtx) error {
		elem := dt
		if i >= 0 && i < len(c.In) {
			elem = c.In[i].Elem
		}
		for o := range c.Out {
			c.Out[o] = Type{Kind: KindTensor, Elem: elem}
		}
		return nil
	}
}

// NormAxis maps a possibly negative axis into [0, rank), or returns an error.
func NormAxis(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}
