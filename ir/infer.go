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
	// partial holds the partial value of inputs (see Partial), and
	// outPartial those the shape function computes for its outputs.
	partial, outPartial [][]SymInt
	// st, when set, holds what inference knows of other values.
	st *inferState
	// outSeq holds the element types of output sequences the shape
	// function knows element by element.
	outSeq [][]Type
}

// SeqElems returns the type of each element of input i, a sequence, when
// inference knows its length (a sequence built by SequenceEmpty,
// SequenceConstruct, SequenceInsert... at known positions).
func (c *InferCtx) SeqElems(i int) ([]Type, bool) {
	if !c.Has(i) || c.st == nil || c.st.seq == nil {
		return nil, false
	}
	ts, ok := c.st.seq[c.Node.Inputs[i]]
	return ts, ok
}

// SetSeqElems records the type of each element of output i, a sequence.
func (c *InferCtx) SetSeqElems(i int, ts []Type) {
	if i >= len(c.Out) || len(ts) > MaxPartialLen {
		return
	}
	if c.outSeq == nil {
		c.outSeq = make([][]Type, len(c.Out))
	}
	c.outSeq[i] = append([]Type{}, ts...)
}

// NumInputs returns the number of input slots of the node.
func (c *InferCtx) NumInputs() int { return len(c.In) }

// Has reports whether input i is present.
func (c *InferCtx) Has(i int) bool {
	return i >= 0 && i < len(c.Node.Inputs) && c.Node.Inputs[i] != nil
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

// Partial values.
//
// Graphs compute the shapes they need at run time from the shapes of
// other tensors: Shape, then Gather, Slice, Unsqueeze, Concat and integer
// arithmetic, then Reshape, Expand, ConstantOfShape... Inference follows
// such computations on small integer tensors element by element: the
// partial value of an integer tensor of rank 0 or 1 (with at most
// MaxPartialLen elements) says, for each element, whether it is a known
// number, a symbolic dim of some tensor, or unknown. Constants are fully
// known partial values; shape functions compute the partial value of
// their output from those of their inputs (SetPartial), and an output
// whose partial value is fully known becomes a constant for the shape
// functions of its users (Const).

// MaxPartialLen bounds the length of the integer vectors inference tracks
// the values of.
const MaxPartialLen = 64

// SymInt is what inference knows of one integer: a known value (any sign),
// a symbolic dim (a size named Sym), or nothing.
type SymInt struct {
	Val   int64
	Known bool
	Sym   string
}

// KnownInt returns a known integer.
func KnownInt(v int64) SymInt { return SymInt{Val: v, Known: true} }

// DimInt returns the integer a dim stands for.
func DimInt(d Dim) SymInt {
	if d.IsKnown() {
		return KnownInt(d.Size)
	}
	return SymInt{Sym: d.Param}
}

// Dim returns s as a dim: a known size when s is known and not negative,
// the symbolic dim it names, or an unknown dim.
func (s SymInt) Dim() Dim {
	switch {
	case s.Known && s.Val >= 0:
		return Known(s.Val)
	case !s.Known && s.Sym != "":
		return Sym(s.Sym)
	}
	return Unknown()
}

// Same reports whether s and t are known to be equal.
func (s SymInt) Same(t SymInt) bool {
	if s.Known || t.Known {
		return s.Known && t.Known && s.Val == t.Val
	}
	return s.Sym != "" && s.Sym == t.Sym
}

func (s SymInt) String() string {
	switch {
	case s.Known:
		return fmt.Sprint(s.Val)
	case s.Sym != "":
		return s.Sym
	}
	return "?"
}

// DimsInts returns the integers of dims.
func DimsInts(ds []Dim) []SymInt {
	out := make([]SymInt, len(ds))
	for i, d := range ds {
		out[i] = DimInt(d)
	}
	return out
}

// AllKnown reports whether every element of v is known, and returns them.
func AllKnown(v []SymInt) ([]int64, bool) {
	out := make([]int64, len(v))
	for i, s := range v {
		if !s.Known {
			return nil, false
		}
		out[i] = s.Val
	}
	return out, true
}

// partialElem reports whether inference tracks the values of tensors of
// element type dt: the integer types of 8 bits and more, and BOOL (as 0
// and 1).
func partialElem(dt tensor.DType) bool {
	switch dt {
	case tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
		tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64, tensor.Bool:
		return true
	}
	return false
}

// constPartial returns the elements of a small integer or BOOL constant.
func constPartial(t *tensor.Tensor) ([]SymInt, bool) {
	if t == nil || !partialElem(t.DType()) || t.Rank() > 1 || t.Len() > MaxPartialLen {
		return nil, false
	}
	vs := t.Int64sOf()
	out := make([]SymInt, len(vs))
	for i, v := range vs {
		out[i] = KnownInt(v)
	}
	return out, true
}

// Partial returns what is known of the elements of input i, an integer
// tensor of rank 0 or 1: from its constant value, or from the partial
// value the shape function of its producer computed. ok is false when
// nothing is known.
func (c *InferCtx) Partial(i int) ([]SymInt, bool) {
	if !c.Has(i) {
		return nil, false
	}
	if t := c.Const(i); t != nil {
		return constPartial(t)
	}
	if i < len(c.partial) && c.partial[i] != nil {
		return c.partial[i], true
	}
	return nil, false
}

// ValuePartial returns the partial value of any value v known to
// inference (the results of a subgraph, for control-flow ops).
func (c *InferCtx) ValuePartial(v *Value) ([]SymInt, bool) {
	if v == nil {
		return nil, false
	}
	if v.Const != nil && !v.Param {
		return constPartial(v.Const)
	}
	if c.st == nil {
		return nil, false
	}
	if t := c.st.consts[v]; t != nil {
		return constPartial(t)
	}
	if p := c.st.partial[v]; p != nil {
		return p, true
	}
	return nil, false
}

// PartialRank returns the rank of input i (0 or 1) when its partial value
// is known, else -1.
func (c *InferCtx) PartialRank(i int) int {
	if _, ok := c.Partial(i); !ok {
		return -1
	}
	if t := c.Const(i); t != nil {
		return t.Rank()
	}
	if r := c.In[i].Rank(); r == 0 || r == 1 {
		return r
	}
	return -1
}

// SetPartial records what is known of the elements of output i, an
// integer or BOOL tensor of rank 0 (one element) or 1. It is dropped when it does
// not fit the output's inferred type.
func (c *InferCtx) SetPartial(i int, v []SymInt) {
	if i >= len(c.Out) || len(v) > MaxPartialLen {
		return
	}
	if c.outPartial == nil {
		c.outPartial = make([][]SymInt, len(c.Out))
	}
	c.outPartial[i] = append([]SymInt{}, v...)
}

// partialFits reports whether a partial value of n elements fits type t,
// and returns t with its length filled in.
func partialFits(t Type, n int) (Type, bool) {
	if t.Kind != KindTensor || !t.HasShape || !partialElem(t.Elem) {
		return t, false
	}
	switch len(t.Shape) {
	case 0:
		return t, n == 1
	case 1:
		d := t.Shape[0]
		if d.IsKnown() {
			return t, d.Size == int64(n)
		}
		t = t.Clone()
		t.Shape[0] = Known(int64(n))
		return t, true
	}
	return t, false
}

// partialTensor returns a fully known partial value as a tensor of type t.
func partialTensor(t Type, v []SymInt) *tensor.Tensor {
	vals, ok := AllKnown(v)
	if !ok {
		return nil
	}
	shape := []int{}
	if len(t.Shape) == 1 {
		shape = []int{len(vals)}
	}
	if t.Elem == tensor.Int64 {
		return tensor.FromSlice(vals, shape...)
	}
	if t.Elem == tensor.Bool {
		bs := make([]bool, len(vals))
		for i, x := range vals {
			if x != 0 && x != 1 {
				return nil
			}
			bs[i] = x == 1
		}
		return tensor.FromSlice(bs, shape...)
	}
	out, err := tensor.Alloc(t.Elem, shape)
	if err != nil {
		return nil
	}
	for i, x := range vals {
		out.SetInt64At(i, x)
		if out.Int64At(i) != x {
			return nil
		}
	}
	return out
}

// inferState is what InferShapes knows of values beyond their types.
type inferState struct {
	// consts holds the values of Constant node outputs and of outputs
	// whose partial value is fully known.
	consts map[*Value]*tensor.Tensor
	// partial holds partial values (nil: not tracked).
	partial map[*Value][]SymInt
	// seq holds the type of each element of sequences whose length is
	// known (nil: not tracked).
	seq map[*Value][]Type
}

// InferNode runs n's shape function on the current types of its inputs and
// stores the results in its output values. Declared output types are kept
// where inference knows less.
func InferNode(n *Node, consts map[*Value]*tensor.Tensor) error {
	return inferNode(n, &inferState{consts: consts})
}

func inferNode(n *Node, st *inferState) error {
	if n.Schema == nil {
		if err := ResolveNode(n); err != nil {
			return err
		}
	}
	c := &InferCtx{Node: n, In: make([]Type, len(n.Inputs)), Out: make([]Type, len(n.Outputs)), consts: make([]*tensor.Tensor, len(n.Inputs)), st: st}
	if st.partial != nil {
		c.partial = make([][]SymInt, len(n.Inputs))
	}
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		c.In[i] = v.Type
		if v.Const != nil && !v.Param {
			c.consts[i] = v.Const
		} else if t := st.consts[v]; t != nil {
			c.consts[i] = t
		}
		if st.partial != nil {
			c.partial[i] = st.partial[v]
		}
	}
	if err := n.Schema.Infer(c); err != nil {
		return err
	}
	for i, o := range n.Outputs {
		if o == nil {
			continue
		}
		if t := c.Out[i]; t.Kind == KindUnknown && t.Elem != tensor.Undefined {
			// An element type set on the type of an unknown input: a
			// tensor of unknown shape.
			c.Out[i] = UnrankedTensor(t.Elem)
		}
		o.Type = mergeTypes(o.Type, c.Out[i])
		if st.seq != nil && i < len(c.outSeq) && c.outSeq[i] != nil && o.Type.Kind == KindSequence {
			st.seq[o] = c.outSeq[i]
		}
		if st.partial == nil || i >= len(c.outPartial) || c.outPartial[i] == nil {
			continue
		}
		pv := c.outPartial[i]
		t, ok := partialFits(o.Type, len(pv))
		if !ok {
			continue
		}
		o.Type = t
		st.partial[o] = pv
		if ct := partialTensor(t, pv); ct != nil && st.consts != nil {
			st.consts[o] = ct
		}
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
	st := &inferState{consts: map[*Value]*tensor.Tensor{}, partial: map[*Value][]SymInt{}, seq: map[*Value][]Type{}}
	return inferFunc(f, st)
}

// InferModelShapes is InferShapes on m's graph. Models of IR version 3
// and below must list every initializer among the graph inputs, where it
// is formally a default that could be overridden; as ONNX Runtime does,
// inference takes those defaults for constants. From IR version 4 on, an
// initializer that is also a graph input is a default that may be
// overridden and only its type is used.
func InferModelShapes(m *Model) error {
	st := &inferState{consts: map[*Value]*tensor.Tensor{}, partial: map[*Value][]SymInt{}, seq: map[*Value][]Type{}}
	if m.IRVersion > 0 && m.IRVersion < 4 {
		for _, p := range m.Graph.Params {
			if p.Const != nil {
				st.consts[p] = p.Const
			}
		}
	}
	return inferFunc(m.Graph, st)
}

func inferFunc(f *Func, st *inferState) error {
	for _, n := range f.Nodes {
		if err := inferSubgraphs(n, st); err != nil {
			return err
		}
		if err := inferNode(n, st); err != nil {
			return fmt.Errorf("node %s: %w", n, err)
		}
		if n.Op == "Constant" && n.Domain == "" && len(n.Outputs) == 1 && n.Outputs[0] != nil {
			if t := ConstantNodeValue(n); t != nil {
				st.consts[n.Outputs[0]] = t
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

// InferBroadcast gives output 0 the element type of the inputs (all of
// one type; the first that is known) and the numpy-broadcast shape of all
// inputs.
func InferBroadcast(c *InferCtx) error {
	elem := tensor.Undefined
	for i, t := range c.In {
		if c.Has(i) && t.Elem != tensor.Undefined {
			elem = t.Elem
			break
		}
	}
	return inferBroadcastTo(c, elem)
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

// Subgraphs.

// maxBodyPasses bounds how often a loop body is inferred again while the
// types of its carried values settle.
const maxBodyPasses = 4

// inferSubgraphs infers the subgraphs of n, before n itself. The
// parameters of Loop, Scan and SequenceMap bodies are typed from the
// node's inputs, merged with what the body declares. A carried value (a
// Loop's loop-carried dependencies, a Scan's states) may change shape from
// one iteration to the next: the body is inferred again with each such
// parameter widened to cover what the body returns for it, until the
// types settle.
func inferSubgraphs(n *Node, st *inferState) error {
	gs := n.Subgraphs()
	if len(gs) == 0 {
		return nil
	}
	body := n.Graph("body")
	if NormDomain(n.Domain) != "" || body == nil {
		for _, g := range gs {
			if err := inferFunc(g, st); err != nil {
				return err
			}
		}
		return nil
	}
	in := func(i int) Type {
		if i < len(n.Inputs) && n.Inputs[i] != nil {
			return n.Inputs[i].Type
		}
		return Type{}
	}
	var params []Type  // derived types of body's params; unknown where none
	carried := []int{} // the params that are carried from one iteration to the next, and the body results carrying them
	carriedRes := []int{}
	switch n.Op {
	case "Loop":
		params = append(params, TensorType(tensor.Int64), TensorType(tensor.Bool))
		for i := 2; i < len(n.Inputs); i++ {
			carried = append(carried, len(params))
			carriedRes = append(carriedRes, i-1)
			params = append(params, in(i))
		}
	case "Scan":
		params = scanBodyParams(n, in)
		nState := len(n.Inputs) - int(n.Int("num_scan_inputs"))
		if n.Opset < 9 {
			nState--
		}
		for i := 0; i < nState && i < len(params); i++ {
			carried = append(carried, i)
			carriedRes = append(carriedRes, i)
		}
	case "SequenceMap":
		for i := range n.Inputs {
			t := in(i)
			if t.Kind == KindSequence && t.Inner != nil {
				t = *t.Inner
			} else if i == 0 {
				t = Type{}
			}
			params = append(params, t)
		}
	}
	saved := saveTypes(body)
	declared := make([]Type, len(body.Params))
	for i, p := range body.Params {
		declared[i] = p.Type.Clone()
		if i < len(params) {
			params[i] = mergeTypes(declared[i], params[i])
		}
	}
	for pass := 0; ; pass++ {
		saved.restore(st)
		for i, p := range body.Params {
			if i < len(params) {
				p.Type = params[i].Clone()
			}
		}
		if err := inferFunc(body, st); err != nil {
			return err
		}
		settled := true
		for k, pi := range carried {
			ri := carriedRes[k]
			if pi >= len(params) || ri >= len(body.Results) {
				continue
			}
			w := widenType(params[pi], body.Results[ri].Type)
			if pass+1 >= maxBodyPasses {
				w = dropShape(w)
			}
			if !w.Equal(params[pi]) {
				params[pi] = w
				settled = false
			}
		}
		if settled || pass > maxBodyPasses {
			break
		}
	}
	for _, g := range gs {
		if g != body {
			if err := inferFunc(g, st); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanBodyParams types the body parameters of a Scan node: its states as
// given, and one slice of each scan input (the scan axis removed; before
// opset 9 the batch axis too).
func scanBodyParams(n *Node, in func(int) Type) []Type {
	m := int(n.Int("num_scan_inputs"))
	off := 0
	if n.Opset < 9 {
		off = 1 // sequence_lens
	}
	nState := len(n.Inputs) - off - m
	if m < 1 || nState < 0 {
		return nil
	}
	axes := n.Ints("scan_input_axes")
	var params []Type
	for i := 0; i < nState; i++ {
		t := in(off + i)
		if n.Opset < 9 {
			t = dropAxis(t, 0)
		}
		params = append(params, t)
	}
	for j := 0; j < m; j++ {
		t := in(off + nState + j)
		if n.Opset < 9 {
			t = dropAxis(dropAxis(t, 0), 0)
		} else {
			a := int64(0)
			if j < len(axes) {
				a = axes[j]
			}
			if r := t.Rank(); r >= 0 {
				if ax, err := NormAxis(a, r); err == nil {
					t = dropAxis(t, ax)
				} else {
					t = dropShape(t)
				}
			}
		}
		params = append(params, t)
	}
	return params
}

// dropAxis returns tensor type t without dim axis (t itself when its
// rank is unknown).
func dropAxis(t Type, axis int) Type {
	t = t.Clone()
	if t.Kind == KindTensor && t.HasShape && axis < len(t.Shape) {
		t.Shape = append(t.Shape[:axis], t.Shape[axis+1:]...)
	}
	return t
}

// dropShape returns t without its dims (and those of inner types).
func dropShape(t Type) Type {
	t = t.Clone()
	t.Shape, t.HasShape = nil, false
	if t.Inner != nil {
		in := dropShape(*t.Inner)
		t.Inner = &in
	}
	return t
}

// widenType returns the most specific type covering both a value of type
// a and one of type b, for a value of which a is the first state and b a
// later one: the kind and element type stay those of a where b does not
// say, dims that differ become unknown.
func widenType(a, b Type) Type {
	if b.Kind == KindUnknown {
		return dropShape(a)
	}
	if a.Kind == KindUnknown {
		return Type{}
	}
	if a.Kind != b.Kind {
		return Type{}
	}
	out := a.Clone()
	if out.Elem == tensor.Undefined {
		out.Elem = b.Elem
	} else if b.Elem != tensor.Undefined && b.Elem != a.Elem {
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
	switch {
	case a.Inner != nil && b.Inner != nil:
		in := widenType(*a.Inner, *b.Inner)
		out.Inner = &in
	case a.Inner != nil:
		in := dropShape(*a.Inner)
		out.Inner = &in
	}
	return out
}

// savedTypes remembers the declared types of the values a graph defines
// (nested graphs included), so that it can be inferred again from them.
type savedTypes struct {
	vals  []*Value
	types []Type
}

func saveTypes(g *Func) savedTypes {
	var s savedTypes
	add := func(v *Value) {
		if v != nil {
			s.vals = append(s.vals, v)
			s.types = append(s.types, v.Type.Clone())
		}
	}
	var visit func(f *Func)
	visit = func(f *Func) {
		for _, p := range f.Params {
			add(p)
		}
		for _, n := range f.Nodes {
			for _, o := range n.Outputs {
				add(o)
			}
			for _, sg := range n.Subgraphs() {
				visit(sg)
			}
		}
	}
	visit(g)
	return s
}

// restore puts the saved types back and forgets what inference learnt of
// the values.
func (s savedTypes) restore(st *inferState) {
	for i, v := range s.vals {
		v.Type = s.types[i].Clone()
		if st.partial != nil {
			delete(st.partial, v)
		}
		if st.consts != nil {
			delete(st.consts, v)
		}
		if st.seq != nil {
			delete(st.seq, v)
		}
	}
}
