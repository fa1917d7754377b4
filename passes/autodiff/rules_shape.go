package autodiff

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Gradient rules of the ops that reshape, join, cut, select and copy
// elements. Most ops that only move elements are differentiated by
// running them on the flat positions of their input (see route).

// reshapeBack is the rule of an op whose output holds the input's
// elements in the same order: the gradient is dy in the input's shape.
func reshapeBack(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	out := make([]*ir.Value, len(n.Inputs))
	out[0] = b.reshapeLike(dy[0], n.Inputs[0])
	return out, nil
}

// routeRule differentiates an op with respect to its first input by
// replaying it on the input's flat positions, with the other inputs
// unchanged. shift adds one to the positions before the op and takes it
// off after, so that an op filling elements with zeros marks them -1.
func routeRule(repeats, shift bool) Rule {
	return func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		x := n.Inputs[0]
		out := make([]*ir.Value, len(n.Inputs))
		if !wants(x) {
			return out, nil
		}
		if b.opset < 11 {
			return nil, fmt.Errorf("%s gradient needs opset 11 or later", n.Op)
		}
		fi := b.flatIndex(x)
		one := b.Const(tensor.Scalar(int64(1)))
		if shift {
			fi = b.add(fi, one)
		}
		ins := append([]*ir.Value{fi}, n.Inputs[1:]...)
		idx, err := b.replay(n, ins, 1)
		if err != nil {
			return nil, err
		}
		pos := idx[0]
		if shift {
			pos = b.sub(pos, one)
		}
		g, err := b.route(x, pos, dy[0], repeats, shift)
		if err != nil {
			return nil, err
		}
		out[0] = g
		return out, nil
	}
}

func init() {
	register(map[string]Rule{
		":Squeeze":   reshapeBack,
		":Unsqueeze": reshapeBack,
		":Flatten":   reshapeBack,
		":Expand": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			g, err := b.Unbroadcast(dy[0], n.Inputs[0], n.Outputs[0])
			if err != nil {
				return nil, err
			}
			return []*ir.Value{g, nil}, nil
		},
		":Concat":          concatRule,
		":Split":           splitRule,
		":Slice":           sliceRule,
		":Pad":             padRule,
		":Gather":          routeRule(true, false),
		":GatherElements":  routeRule(true, false),
		":GatherND":        routeRule(true, false),
		":Tile":            routeRule(true, false),
		":Compress":        routeRule(false, false),
		":ReverseSequence": routeRule(false, false),
		":DepthToSpace":    routeRule(false, false),
		":SpaceToDepth":    routeRule(false, false),
		":Trilu":           routeRule(false, true),
		":CenterCropPad":   routeRule(false, true),
		":ScatterElements": scatterRule("GatherElements"),
		":ScatterND":       scatterRule("GatherND"),
	})
}

func concatRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	y := n.Outputs[0]
	r := y.Type.Rank()
	if r < 0 {
		return nil, fmt.Errorf("Concat gradient needs the output rank")
	}
	axis := int64(1)
	if n.HasAttr("axis") {
		axis = n.Int("axis")
	}
	ax, err := ir.NormAxis(axis, r)
	if err != nil {
		return nil, err
	}
	var sizes []int64
	static := true
	for _, x := range n.Inputs {
		if x.Type.Rank() != r || !x.Type.Shape[ax].IsKnown() {
			static = false
			break
		}
		sizes = append(sizes, x.Type.Shape[ax].Size)
	}
	var parts []*ir.Value
	switch {
	case b.opset >= 13:
		split := b.Ints(sizes...)
		if !static {
			var dims []*ir.Value
			for _, x := range n.Inputs {
				dims = append(dims, b.dimOf(x, int64(ax)))
			}
			split = b.Op("Concat", dims, ir.AInt("axis", 0))
		}
		parts = b.OpN("Split", []*ir.Value{dy[0], split}, len(n.Inputs), ir.AInt("axis", int64(ax)))
	case static:
		parts = b.OpN("Split", []*ir.Value{dy[0]}, len(n.Inputs), ir.AInt("axis", int64(ax)), ir.AInts("split", sizes...))
	default:
		return nil, fmt.Errorf("Concat gradient before opset 13 needs the sizes along the axis")
	}
	out := make([]*ir.Value, len(n.Inputs))
	for i, x := range n.Inputs {
		if wants(x) {
			out[i] = parts[i]
		}
	}
	return out, nil
}

func splitRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x := n.Inputs[0]
	r := x.Type.Rank()
	if r < 0 {
		return nil, fmt.Errorf("Split gradient needs the input rank")
	}
	ax, err := ir.NormAxis(n.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	parts := make([]*ir.Value, len(n.Outputs))
	for i, o := range n.Outputs {
		switch {
		case i < len(dy) && dy[i] != nil:
			parts[i] = dy[i]
		case o != nil:
			parts[i] = b.zerosLike(o)
		default:
			return nil, fmt.Errorf("Split gradient needs every output")
		}
	}
	out := make([]*ir.Value, len(n.Inputs))
	out[0] = b.Op("Concat", parts, ir.AInt("axis", int64(ax)))
	return out, nil
}

// sliceRule: a slice picks each element at most once.
func sliceRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x := n.Inputs[0]
	if !wants(x) {
		return make([]*ir.Value, len(n.Inputs)), nil
	}
	if n.Opset >= 10 {
		return routeRule(false, false)(b, n, dy)
	}
	if b.opset < 11 {
		return slice1Grad(b, n, dy[0])
	}
	// Slice-1 takes its ranges as attributes.
	ins := []*ir.Value{b.flatIndex(x), b.Ints(n.Ints("starts")...), b.Ints(n.Ints("ends")...)}
	if n.HasAttr("axes") {
		ins = append(ins, b.Ints(n.Ints("axes")...))
	}
	idx := b.Op("Slice", ins)
	g, err := b.route(x, idx, dy[0], false, false)
	if err != nil {
		return nil, err
	}
	return []*ir.Value{g}, nil
}

// padRule: padded elements are marked -1; reflect, edge and wrap modes
// copy elements, whose gradients add up.
func padRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x := n.Inputs[0]
	out := make([]*ir.Value, len(n.Inputs))
	var cv *ir.Value
	if n.Opset >= 11 {
		cv = n.Input(2)
	}
	if !wants(x) && !wants(cv) {
		return out, nil
	}
	if b.opset < 11 {
		return pad2Grad(b, n, dy[0])
	}
	mode := n.Str("mode")
	var ins []*ir.Value
	fi := b.flatIndex(x)
	minus1 := b.Const(tensor.Scalar(int64(-1)))
	if n.Opset >= 11 {
		ins = []*ir.Value{fi, n.Inputs[1], minus1}
		if len(n.Inputs) > 3 && n.Inputs[3] != nil {
			if b.opset < 18 {
				return nil, fmt.Errorf("Pad gradient with axes needs opset 18 or later")
			}
			ins = append(ins, n.Inputs[3])
		}
	} else {
		pads := n.Ints("pads")
		if n.Opset < 2 {
			pads = n.Ints("paddings")
		}
		ins = []*ir.Value{fi, b.Ints(pads...), minus1}
	}
	idx := b.Op("Pad", ins, ir.AString("mode", mode))
	fills := mode == "constant" || mode == ""
	if wants(x) {
		g, err := b.route(x, idx, dy[0], !fills, fills)
		if err != nil {
			return nil, err
		}
		out[0] = g
	}
	if wants(cv) {
		filled := b.Op("Less", []*ir.Value{idx, b.Const(tensor.Scalar(int64(0)))})
		out[2] = b.sumAll(b.mul(dy[0], b.mask(filled, dy[0])), cv)
	}
	return out, nil
}

// scatterRule differentiates ScatterElements and ScatterND without
// reduction or with reduction add. gather is the op that reads what the
// scatter writes.
func scatterRule(gather string) Rule {
	return func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		data, idx, upd := n.Inputs[0], n.Inputs[1], n.Inputs[2]
		red := n.Str("reduction")
		if red != "none" && red != "add" && red != "" {
			return nil, fmt.Errorf("%s gradient with reduction %s is not implemented", n.Op, red)
		}
		var axis []ir.Attr
		if n.Op == "ScatterElements" {
			axis = []ir.Attr{ir.AInt("axis", n.Int("axis"))}
		}
		out := make([]*ir.Value, 3)
		if wants(data) {
			if red == "add" {
				out[0] = dy[0]
			} else {
				// Overwritten elements do not reach the output.
				out[0] = b.Op(n.Op, []*ir.Value{dy[0], idx, b.zerosLike(upd)}, axis...)
			}
		}
		if wants(upd) {
			out[2] = b.Op(gather, []*ir.Value{dy[0], idx}, axis...)
		}
		return out, nil
	}
}

// slice1Grad pads dy back to the input's shape with zeros, for opsets
// before Range; Slice-1 has no steps, but the input's shape must be known.
func slice1Grad(b *Builder, n *ir.Node, dy *ir.Value) ([]*ir.Value, error) {
	x := n.Inputs[0]
	dims, ok := staticDims(x)
	if !ok {
		return nil, fmt.Errorf("Slice gradient before opset 11 needs the input shape")
	}
	r := len(dims)
	starts, ends, axes := n.Ints("starts"), n.Ints("ends"), n.Ints("axes")
	if axes == nil {
		axes = rangeAxes(0, len(starts))
	}
	if len(starts) != len(axes) || len(ends) != len(axes) {
		return nil, fmt.Errorf("Slice has %d starts, %d ends and %d axes", len(starts), len(ends), len(axes))
	}
	pads := make([]int64, 2*r)
	for i, a := range axes {
		ax, err := ir.NormAxis(a, r)
		if err != nil {
			return nil, err
		}
		d := dims[ax]
		clamp := func(v int64) int64 {
			if v < 0 {
				v += d
			}
			return min(max(v, 0), d)
		}
		s, e := clamp(starts[i]), clamp(ends[i])
		e = max(e, s)
		pads[ax], pads[r+ax] = s, d-e
	}
	return []*ir.Value{b.pad1(dy, pads)}, nil
}

// pad2Grad undoes a constant Pad before opset 11: it slices the padding
// off and pads back what a negative padding cropped.
func pad2Grad(b *Builder, n *ir.Node, dy *ir.Value) ([]*ir.Value, error) {
	out := make([]*ir.Value, len(n.Inputs))
	if m := n.Str("mode"); m != "constant" && m != "" {
		return nil, fmt.Errorf("Pad gradient in mode %s needs opset 11 or later", m)
	}
	if !wants(n.Inputs[0]) {
		return out, nil
	}
	pads := n.Ints("pads")
	if n.Opset < 2 {
		pads = n.Ints("paddings")
	}
	r := len(pads) / 2
	var starts, ends []int64
	back := make([]int64, 2*r)
	crop := false
	for i := 0; i < r; i++ {
		pb, pe := pads[i], pads[r+i]
		starts = append(starts, max(pb, 0))
		if pe > 0 {
			ends = append(ends, -pe)
		} else {
			ends = append(ends, 1<<62)
		}
		back[i], back[r+i] = max(-pb, 0), max(-pe, 0)
		crop = crop || pb < 0 || pe < 0
	}
	g := b.Op("Slice", []*ir.Value{dy}, ir.AInts("starts", starts...), ir.AInts("ends", ends...))
	if crop {
		g = b.pad1(g, back)
	}
	out[0] = g
	return out, nil
}

// pad1 pads x with zeros by attribute, as Pad before opset 11 does.
func (b *Builder) pad1(x *ir.Value, pads []int64) *ir.Value {
	name := "pads"
	if b.opset < 2 {
		name = "paddings"
	}
	return b.Op("Pad", []*ir.Value{x}, ir.AInts(name, pads...))
}
