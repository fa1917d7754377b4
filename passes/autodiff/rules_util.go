package autodiff

import (
	"fmt"
	"math"
	"sort"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Helpers shared by the rule families: constant inputs, axes, reductions
// in the form each opset wants, and the index-routing scheme used for ops
// that only move or copy elements.

// register adds rules to the table; a second rule for one op is a
// programming error.
func register(rs map[string]Rule) {
	for k, r := range rs {
		if rules[k] != nil {
			panic("autodiff: two gradient rules for " + k)
		}
		rules[k] = r
	}
}

// constOf returns the value of v when it is known without running the
// graph: a constant, or the output of a Constant node.
func constOf(v *ir.Value) *tensor.Tensor {
	if v == nil {
		return nil
	}
	if v.Const != nil && !v.Param {
		return v.Const
	}
	if v.Def != nil && v.Def.Op == "Constant" && ir.NormDomain(v.Def.Domain) == "" {
		return ir.ConstantNodeValue(v.Def)
	}
	return nil
}

// isFloat reports whether v is known to hold floating-point elements.
func isFloat(v *ir.Value) bool {
	return v != nil && v.Type.Kind == ir.KindTensor && v.Type.Elem.IsFloat()
}

// wants reports whether a gradient for input v may be needed: v is
// present and not known to hold other than floats. Constants are not
// excluded: the weights of a model are initializers, and their gradients
// are what training asks for. Gradients nobody reads are dead code.
func wants(v *ir.Value) bool {
	if v == nil {
		return false
	}
	t := v.Type
	return !(t.Kind != ir.KindUnknown && (t.Kind != ir.KindTensor || t.Elem.Valid() && !t.Elem.IsFloat()))
}

func elemOf(v *ir.Value) tensor.DType {
	if v.Type.Elem.Valid() {
		return v.Type.Elem
	}
	return tensor.Float32
}

// castTo converts x to the element type of like when the two differ.
func (b *Builder) castTo(x, like *ir.Value) *ir.Value {
	if x.Type.Elem.Valid() && x.Type.Elem == like.Type.Elem {
		return x
	}
	return b.Op("Cast", []*ir.Value{x}, ir.AInt("to", int64(elemOf(like))))
}

// mask converts a boolean tensor to 0/1 in the element type of like.
func (b *Builder) mask(cond, like *ir.Value) *ir.Value {
	return b.Op("Cast", []*ir.Value{cond}, ir.AInt("to", int64(elemOf(like))))
}

func (b *Builder) mul(a, c *ir.Value) *ir.Value { return b.Op("Mul", []*ir.Value{a, c}) }
func (b *Builder) add(a, c *ir.Value) *ir.Value { return b.Op("Add", []*ir.Value{a, c}) }
func (b *Builder) sub(a, c *ir.Value) *ir.Value { return b.Op("Sub", []*ir.Value{a, c}) }
func (b *Builder) div(a, c *ir.Value) *ir.Value { return b.Op("Div", []*ir.Value{a, c}) }
func (b *Builder) neg(a *ir.Value) *ir.Value    { return b.Op("Neg", []*ir.Value{a}) }
func (b *Builder) shape(x *ir.Value) *ir.Value  { return b.Op("Shape", []*ir.Value{x}) }

// scale multiplies x by the constant c, skipping c = 1.
func (b *Builder) scale(x *ir.Value, c float64) *ir.Value {
	if c == 1 {
		return x
	}
	return b.mul(x, b.Scalar(c, x))
}

// reshapeLike reshapes x to the runtime shape of like.
func (b *Builder) reshapeLike(x, like *ir.Value) *ir.Value {
	return b.Op("Reshape", []*ir.Value{x, b.shape(like)})
}

// expandLike broadcasts x to the runtime shape of like.
func (b *Builder) expandLike(x, like *ir.Value) *ir.Value {
	return b.Op("Expand", []*ir.Value{x, b.shape(like)})
}

// ratio returns Size(num)/Size(den) as a scalar of the element type of like.
func (b *Builder) ratio(num, den, like *ir.Value) *ir.Value {
	n := b.Op("Size", []*ir.Value{num})
	d := b.Op("Size", []*ir.Value{den})
	return b.castTo(b.Op("Div", []*ir.Value{n, d}), like)
}

// unsqueeze inserts size-1 dims at axes (of the output), in the opset's form.
func (b *Builder) unsqueeze(x *ir.Value, axes []int64) *ir.Value {
	if len(axes) == 0 {
		return x
	}
	if b.opset < 13 {
		return b.Op("Unsqueeze", []*ir.Value{x}, ir.AInts("axes", axes...))
	}
	return b.Op("Unsqueeze", []*ir.Value{x, b.Ints(axes...)})
}

// reduce emits op (a Reduce* op) over constant axes, in the opset's form.
// Empty axes reduce everything.
func (b *Builder) reduce(op string, x *ir.Value, axes []int64, keep bool) *ir.Value {
	k := ir.AInt("keepdims", 0)
	if keep {
		k = ir.AInt("keepdims", 1)
	}
	if len(axes) == 0 {
		return b.Op(op, []*ir.Value{x}, k)
	}
	if b.opset < reduceAxesInputSince(op) {
		return b.Op(op, []*ir.Value{x}, ir.AInts("axes", axes...), k)
	}
	return b.Op(op, []*ir.Value{x, b.Ints(axes...)}, k)
}

// sumTo sums x over axes and reshapes the result to the runtime shape of
// like.
func (b *Builder) sumTo(x *ir.Value, axes []int64, like *ir.Value) *ir.Value {
	return b.reshapeLike(b.reduce("ReduceSum", x, axes, true), like)
}

// sumAll sums every element of x into a tensor shaped like like (which
// holds one element).
func (b *Builder) sumAll(x, like *ir.Value) *ir.Value {
	return b.reshapeLike(b.reduce("ReduceSum", x, nil, false), like)
}

func reduceAxesInputSince(op string) int {
	if op == "ReduceSum" {
		return 13
	}
	return 18
}

// reduceAxes describes the axes of a Reduce* node.
type reduceAxes struct {
	all   bool    // every axis is reduced
	noop  bool    // nothing is reduced (empty axes with noop_with_empty_axes)
	axes  []int64 // the axes, normalized and sorted, when known
	known bool
	input *ir.Value // the runtime axes input when not known
}

// axesOfReduce reads the axes of a Reduce* node.
func axesOfReduce(n *ir.Node) (reduceAxes, error) {
	rank := n.Inputs[0].Type.Rank()
	var raw []int64
	if n.Opset < reduceAxesInputSince(n.Op) {
		raw = n.Ints("axes")
	} else if in := n.Input(1); in != nil {
		t := constOf(in)
		if t == nil {
			return reduceAxes{input: in}, nil
		}
		raw = t.Int64sOf()
	}
	if len(raw) == 0 {
		if n.Opset >= reduceAxesInputSince(n.Op) && n.Int("noop_with_empty_axes") != 0 {
			return reduceAxes{noop: true, known: true}, nil
		}
		return reduceAxes{all: true, known: true}, nil
	}
	if rank < 0 {
		return reduceAxes{}, fmt.Errorf("%s gradient needs the input rank", n.Op)
	}
	axes, err := normAxes(raw, rank)
	if err != nil {
		return reduceAxes{}, err
	}
	return reduceAxes{axes: axes, known: true}, nil
}

func normAxes(raw []int64, rank int) ([]int64, error) {
	out := make([]int64, 0, len(raw))
	for _, a := range raw {
		ax, err := ir.NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		out = append(out, int64(ax))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// keptGrad returns the gradient of a Reduce* node's output reshaped to the
// keepdims form (the reduced dims kept with size 1), so that it broadcasts
// against the input. It does the same for the output itself when y is
// given.
func (b *Builder) keptGrad(n *ir.Node, dy *ir.Value) (*ir.Value, error) {
	if n.Int("keepdims") != 0 {
		return dy, nil
	}
	ax, err := axesOfReduce(n)
	if err != nil {
		return nil, err
	}
	x := n.Inputs[0]
	switch {
	case ax.noop:
		return dy, nil
	case ax.all:
		r := x.Type.Rank()
		if r < 0 {
			return b.Op("Reshape", []*ir.Value{dy, b.Op("Shape", []*ir.Value{b.reduceLike(n, "ReduceSum", x)})}), nil
		}
		ones := make([]int64, r)
		for i := range ones {
			ones[i] = 1
		}
		return b.Op("Reshape", []*ir.Value{dy, b.Ints(ones...)}), nil
	case ax.known:
		return b.unsqueeze(dy, ax.axes), nil
	}
	// Axes known only at run time: take the kept shape from a reduction
	// with the same axes.
	return b.Op("Reshape", []*ir.Value{dy, b.shape(b.reduceLike(n, "ReduceSum", x))}), nil
}

// reduceLike emits op over the axes of the Reduce* node n, keeping dims.
func (b *Builder) reduceLike(n *ir.Node, op string, x *ir.Value) (out *ir.Value) {
	ax, err := axesOfReduce(n)
	keep := ir.AInt("keepdims", 1)
	switch {
	case err != nil:
		panic(err) // the reduction rules check the axes first
	case ax.noop:
		return x
	case ax.all:
		return b.Op(op, []*ir.Value{x}, keep)
	case ax.known:
		return b.reduce(op, x, ax.axes, true)
	}
	return b.Op(op, []*ir.Value{x, ax.input}, keep, ir.AInt("noop_with_empty_axes", n.Int("noop_with_empty_axes")))
}

// flatIndex returns an int64 tensor shaped like x whose elements are their
// own flat (row-major) positions.
func (b *Builder) flatIndex(x *ir.Value) *ir.Value {
	n := b.Op("Size", []*ir.Value{x})
	r := b.Op("Range", []*ir.Value{b.Const(tensor.Scalar(int64(0))), n, b.Const(tensor.Scalar(int64(1)))})
	return b.Op("Reshape", []*ir.Value{r, b.shape(x)})
}

// route returns the gradient of an op that only moves, copies or drops
// elements of x (and may fill others with a constant). idx is the op
// applied to flatIndex(x) instead of x: for each output element, the flat
// position in x it came from, or a negative number for a filled element.
// The gradient adds up dy at the positions idx names. repeats says whether
// a position may be named twice; fills whether idx may be negative.
func (b *Builder) route(x, idx, dy *ir.Value, repeats, fills bool) (*ir.Value, error) {
	if b.opset < 11 {
		return nil, fmt.Errorf("this gradient needs opset 11 or later")
	}
	size := b.Op("Size", []*ir.Value{x})
	flat := b.Ints(-1)
	pos := b.Op("Reshape", []*ir.Value{idx, flat})
	upd := b.Op("Reshape", []*ir.Value{dy, flat})
	n := size
	if fills {
		// Filled elements go to an extra slot past the end, dropped below.
		pos = b.Op("Where", []*ir.Value{b.Op("Less", []*ir.Value{pos, b.Const(tensor.Scalar(int64(0)))}), size, pos})
		n = b.Op("Add", []*ir.Value{size, b.Const(tensor.Scalar(int64(1)))})
	}
	n1 := b.Op("Reshape", []*ir.Value{n, b.Ints(1)})
	var out *ir.Value
	switch {
	case !repeats || b.opset >= 16:
		zero := tensor.New(elemOf(dy), 1)
		zeros := b.Op("ConstantOfShape", []*ir.Value{n1}, ir.ATensor("value", zero))
		var attrs []ir.Attr
		if repeats {
			attrs = append(attrs, ir.AString("reduction", "add"))
		}
		out = b.Op("ScatterElements", []*ir.Value{zeros, pos, upd}, append(attrs, ir.AInt("axis", 0))...)
	default:
		// Before opset 16 scatters cannot add: multiply by a one-hot matrix.
		vals := tensor.New(elemOf(dy), 2)
		vals.SetFloat64At(1, 1)
		oh := b.Op("OneHot", []*ir.Value{pos, n1, b.Const(vals)}, ir.AInt("axis", -1))
		row := b.Op("Reshape", []*ir.Value{upd, b.Ints(1, -1)})
		out = b.Op("MatMul", []*ir.Value{row, oh})
	}
	if fills {
		out = b.Op("Slice", []*ir.Value{b.Op("Reshape", []*ir.Value{out, flat}), b.Ints(0), b.Op("Reshape", []*ir.Value{size, b.Ints(1)})})
	}
	return b.reshapeLike(out, x), nil
}

// replay emits a copy of node n (its op and attributes) on new inputs. It
// requires the op to mean the same at the builder's opset as at the
// node's.
func (b *Builder) replay(n *ir.Node, ins []*ir.Value, nout int) ([]*ir.Value, error) {
	if err := b.sameVersion(n); err != nil {
		return nil, err
	}
	return b.OpN(n.Op, ins, nout, n.Attrs...), nil
}

func (b *Builder) sameVersion(n *ir.Node) error {
	s := n.Schema
	if s == nil {
		s = ir.LookupSchema(n.Domain, n.Op, n.Opset)
	}
	if s == nil || s.SinceVersion(n.Opset) != s.SinceVersion(b.opset) {
		return fmt.Errorf("the gradient of %s at opset %d cannot be emitted at opset %d", n.Op, n.Opset, b.opset)
	}
	return nil
}

// staticDims returns the dims of v when all are known.
func staticDims(v *ir.Value) ([]int64, bool) {
	s, ok := v.Type.StaticShape()
	if !ok {
		return nil, false
	}
	d := make([]int64, len(s))
	for i, x := range s {
		d[i] = int64(x)
	}
	return d, true
}

// shapeTail returns Shape(x)[from:] as a 1-D int64 tensor.
func (b *Builder) shapeTail(x *ir.Value, from int64) *ir.Value {
	return b.Op("Slice", []*ir.Value{b.shape(x), b.Ints(from), b.Ints(math.MaxInt64)})
}

// dimOf returns Shape(x)[axis:axis+1].
func (b *Builder) dimOf(x *ir.Value, axis int64) *ir.Value {
	return b.Op("Slice", []*ir.Value{b.shape(x), b.Ints(axis), b.Ints(axis + 1)})
}

// onesShape returns the int64 list of r ones with -1 at position at.
func onesWith(r, at int) []int64 {
	s := make([]int64, r)
	for i := range s {
		s[i] = 1
	}
	if at >= 0 {
		s[at] = -1
	}
	return s
}

func rangeAxes(from, to int) []int64 {
	var a []int64
	for i := from; i < to; i++ {
		a = append(a, int64(i))
	}
	return a
}
