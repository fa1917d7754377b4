package passes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// The version converter moves a model to another opset of the default
// domain. Most op revisions only widen the element types an op accepts or
// add optional inputs and attributes whose defaults keep the old meaning;
// such ops carry over unchanged. The revisions that change how a node is
// written or what it means are listed in breaking, with an adapter that
// rewrites the node where one exists. Converting a model that uses a
// breaking revision without an adapter is refused, naming the ops.

// adapter rewrites node n of g, written for opset from, into its form at
// the revision to (to > from); it may replace n by other nodes.
type adapter func(g *ir.Func, n *ir.Node, to int) error

// breaking lists, per op, the opset versions at which its definition
// changed incompatibly, with the adapter across that version (nil: none).
var breaking = map[string][]revision{
	"ReduceSum":          {{13, axesToInput}},
	"ReduceMean":         {{18, axesToInput}},
	"ReduceMax":          {{18, axesToInput}},
	"ReduceMin":          {{18, axesToInput}},
	"ReduceProd":         {{18, axesToInput}},
	"ReduceL1":           {{18, axesToInput}},
	"ReduceL2":           {{18, axesToInput}},
	"ReduceLogSum":       {{18, axesToInput}},
	"ReduceLogSumExp":    {{18, axesToInput}},
	"ReduceSumSquare":    {{18, axesToInput}},
	"Squeeze":            {{13, axesToInput}},
	"Unsqueeze":          {{13, axesToInput}},
	"Split":              {{13, splitToInput}},
	"DFT":                {{20, dftAxisToInput}},
	"GridSample":         {{20, gridSampleModes}},
	"GroupNormalization": {{21, nil}},
	"Softmax":            {{13, softmaxToLastAxis}},
	"LogSoftmax":         {{13, softmaxToLastAxis}},
	"Hardmax":            {{13, softmaxToLastAxis}},
	"Clip":               {{11, clipToInputs}},
	"Pad":                {{11, padToInputs}},
	"Slice":              {{10, sliceToInputs}},
	"TopK":               {{10, topKToInput}},
	"Resize":             {{11, nil}},
	"Upsample":           {{10, nil}},
	"Scatter":            {{11, scatterToElements}},
	"Dropout":            {{12, dropoutToInputs}},
	"BatchNormalization": {{7, dropAttrs("is_test", "consumed_inputs")}, {9, batchNormSpatial}},
	"Gemm":               {{7, dropAttrs("broadcast")}},
	"PRelu":              {{7, preluSlopePerChannel}},
	"Scan":               {{9, nil}},
	"Cast":               {{6, nil}},
}

type revision struct {
	version int
	adapt   adapter
}

// ConvertOpset rewrites m for opset target of the default domain. Only
// upgrades are supported.
func ConvertOpset(m *ir.Model, target int) error {
	from := m.Opset("")
	switch {
	case target == from:
		return nil
	case target < from:
		return fmt.Errorf("converting down from opset %d to %d is not supported", from, target)
	case target > ir.MaxOpset[""]:
		return fmt.Errorf("onyx knows default-domain opsets up to %d, not %d", ir.MaxOpset[""], target)
	}
	// Refuse before changing anything.
	var missing []string
	seen := map[string]bool{}
	m.Graph.Walk(func(_ *ir.Func, n *ir.Node) {
		if ir.NormDomain(n.Domain) != "" || seen[n.Op] {
			return
		}
		seen[n.Op] = true
		adapted := false
		for _, r := range breaking[n.Op] {
			if r.version > n.Opset && r.version <= target && r.adapt != nil {
				adapted = true
			}
		}
		if s := ir.FindSchema("", n.Op); !adapted && (s == nil || s.SinceVersion(target) == 0) {
			missing = append(missing, n.Op+" (not defined at the target opset)")
			return
		}
		for _, r := range breaking[n.Op] {
			if r.version > n.Opset && r.version <= target && r.adapt == nil {
				missing = append(missing, fmt.Sprintf("%s (changed at opset %d)", n.Op, r.version))
			}
		}
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("cannot convert opset %d to %d: no adapter for %s", from, target, strings.Join(missing, ", "))
	}
	// Work on a copy so that an adapter failing halfway leaves m as it
	// was. Adapters read ranks and element types; inference errors only
	// make them refuse.
	work := m.Graph.Clone()
	_ = ir.InferShapes(work)
	var err error
	var convert func(g *ir.Func)
	convert = func(g *ir.Func) {
		for _, n := range append([]*ir.Node{}, g.Nodes...) {
			for _, sg := range n.Subgraphs() {
				convert(sg)
			}
			if ir.NormDomain(n.Domain) != "" || err != nil {
				continue
			}
			for _, r := range breaking[n.Op] {
				if r.version > n.Opset && r.version <= target {
					if e := r.adapt(g, n, target); e != nil {
						err = fmt.Errorf("node %s: %w", n, e)
						return
					}
				}
			}
			n.Opset = target
			n.Schema = ir.LookupSchema("", n.Op, target)
		}
	}
	convert(work)
	if err != nil {
		return err
	}
	m.Graph = work
	m.Opsets[""] = target
	// A file at the new opset needs at least the IR version ONNX pairs
	// with it.
	if v := exporter.IRVersionFor(target); m.IRVersion < v {
		m.IRVersion = v
	}
	return nil
}

// constInput appends a constant to g holding an int64 list and returns it.
func constInput(g *ir.Func, hint string, v []int64) *ir.Value {
	names := map[string]bool{}
	for _, x := range g.Values() {
		names[x.Name] = true
	}
	name := hint
	for i := 1; names[name]; i++ {
		name = fmt.Sprintf("%s_%d", hint, i)
	}
	return g.AddConst(name, tensor.FromSlice(append([]int64{}, v...)))
}

// axesToInput moves an axes attribute into the second input (Reduce*,
// Squeeze, Unsqueeze).
func axesToInput(g *ir.Func, n *ir.Node, to int) error {
	a := n.Attr("axes")
	if a == nil {
		return nil // no axes: the default meaning is the same
	}
	v := constInput(g, n.Outputs[0].Name+"/axes", a.Ints)
	removeAttr(n, "axes")
	for len(n.Inputs) < 1 {
		n.Inputs = append(n.Inputs, nil)
	}
	n.Inputs = append(n.Inputs[:1], v)
	v.Uses = append(v.Uses, n)
	return nil
}

// splitToInput moves Split's split attribute into its second input.
func splitToInput(g *ir.Func, n *ir.Node, to int) error {
	a := n.Attr("split")
	if a == nil {
		return nil
	}
	v := constInput(g, n.Outputs[0].Name+"/split", a.Ints)
	removeAttr(n, "split")
	n.Inputs = append(n.Inputs[:1], v)
	v.Uses = append(v.Uses, n)
	return nil
}

// dftAxisToInput moves DFT's axis attribute (default 1) into its third
// input.
func dftAxisToInput(g *ir.Func, n *ir.Node, to int) error {
	axis := n.IntOr("axis", 1)
	removeAttr(n, "axis")
	v := constInput(g, n.Outputs[0].Name+"/axis", []int64{axis})
	v.Const, _ = v.Const.Reshape()
	v.Type = ir.TensorType(tensor.Int64)
	for len(n.Inputs) < 2 {
		n.Inputs = append(n.Inputs, nil)
	}
	n.Inputs = append(n.Inputs[:2], v)
	v.Uses = append(v.Uses, n)
	return nil
}

// gridSampleModes renames GridSample's modes to their opset-20 names.
func gridSampleModes(g *ir.Func, n *ir.Node, to int) error {
	if a := n.Attr("mode"); a != nil {
		switch a.S {
		case "bilinear":
			a.S = "linear"
		case "bicubic":
			a.S = "cubic"
		}
	}
	return nil
}

func removeAttr(n *ir.Node, name string) {
	for i, a := range n.Attrs {
		if a.Name == name {
			n.Attrs = append(n.Attrs[:i], n.Attrs[i+1:]...)
			return
		}
	}
}

// dropAttrs returns an adapter that removes attributes a revision dropped
// whose values do not change the meaning of the remaining node.
func dropAttrs(names ...string) adapter {
	return func(g *ir.Func, n *ir.Node, to int) error {
		for _, name := range names {
			removeAttr(n, name)
		}
		return nil
	}
}

// batchNormSpatial drops BatchNormalization's spatial attribute (gone in
// opset 9), which only the default spatial=1 keeps meaningful.
func batchNormSpatial(g *ir.Func, n *ir.Node, to int) error {
	if n.IntOr("spatial", 1) != 1 {
		return fmt.Errorf("spatial=0 BatchNormalization has no later form")
	}
	removeAttr(n, "spatial")
	removeAttr(n, "is_test")
	removeAttr(n, "consumed_inputs")
	return nil
}

// softmaxToLastAxis rewrites the opset<13 Softmax family, which flattens
// its input to 2-D at axis, into the opset-13 single-axis form: the same
// op when axis is the last axis, else Flatten, the op over the last axis,
// and a Reshape back to the input's shape.
func softmaxToLastAxis(g *ir.Func, n *ir.Node, to int) error {
	x := n.Inputs[0]
	r := x.Type.Rank()
	axis := n.IntOr("axis", 1)
	if r < 0 {
		return fmt.Errorf("rank of %s unknown", x)
	}
	if axis < 0 {
		axis += int64(r)
	}
	if axis == int64(r-1) {
		n.SetAttr(ir.AInt("axis", -1))
		return nil
	}
	e := &emitter{g: g, at: n, opset: to}
	flat := &ir.Node{Op: "Flatten", Opset: to, Schema: ir.LookupSchema("", "Flatten", to), Attrs: []ir.Attr{ir.AInt("axis", axis)},
		Inputs: []*ir.Value{x}, Outputs: []*ir.Value{{Name: e.fresh("Flatten")}}}
	g.InsertBefore(n, flat)
	inner := &ir.Node{Op: n.Op, Opset: to, Schema: ir.LookupSchema("", n.Op, to), Attrs: []ir.Attr{ir.AInt("axis", -1)},
		Inputs: []*ir.Value{flat.Outputs[0]}, Outputs: []*ir.Value{{Name: e.fresh(n.Op)}}}
	g.InsertBefore(n, inner)
	shape := e.op("Shape", x)
	out := n.Outputs[0]
	reshape := &ir.Node{Op: "Reshape", Opset: to, Schema: ir.LookupSchema("", "Reshape", to),
		Inputs: []*ir.Value{inner.Outputs[0], shape}, Outputs: []*ir.Value{out}}
	// n becomes the Reshape: same output value, new op and inputs.
	for _, in := range n.Inputs {
		if in != nil {
			removeUse(in, n)
		}
	}
	*n = *reshape
	for _, in := range n.Inputs {
		in.Uses = append(in.Uses, n)
	}
	out.Def = n
	return nil
}

// clipToInputs moves Clip's min/max attributes into inputs.
func clipToInputs(g *ir.Func, n *ir.Node, to int) error {
	dt := n.Inputs[0].Type.Elem
	if !dt.Valid() {
		return fmt.Errorf("element type of %s unknown", n.Inputs[0])
	}
	scalar := func(name string, v float32) *ir.Value {
		t := tensor.New(dt)
		t.SetFloat64At(0, float64(v))
		c := g.AddConst(uniqueName(g, n.Outputs[0].Name+"/"+name), t)
		c.Uses = append(c.Uses, n)
		return c
	}
	ins := []*ir.Value{n.Inputs[0], nil, nil}
	if a := n.Attr("min"); a != nil {
		ins[1] = scalar("min", a.F)
	}
	if a := n.Attr("max"); a != nil {
		ins[2] = scalar("max", a.F)
	}
	removeAttr(n, "min")
	removeAttr(n, "max")
	n.Inputs = ins
	return nil
}

// padToInputs moves Pad's pads (or paddings) and value attributes into
// inputs.
func padToInputs(g *ir.Func, n *ir.Node, to int) error {
	a := n.Attr("pads")
	if a == nil {
		a = n.Attr("paddings")
	}
	if a == nil {
		return fmt.Errorf("Pad without pads")
	}
	pads := constInput(g, n.Outputs[0].Name+"/pads", a.Ints)
	pads.Uses = append(pads.Uses, n)
	ins := []*ir.Value{n.Inputs[0], pads}
	if v := n.Attr("value"); v != nil && v.F != 0 {
		dt := n.Inputs[0].Type.Elem
		if !dt.Valid() {
			return fmt.Errorf("element type of %s unknown", n.Inputs[0])
		}
		t := tensor.New(dt)
		t.SetFloat64At(0, float64(v.F))
		c := g.AddConst(uniqueName(g, n.Outputs[0].Name+"/value"), t)
		c.Uses = append(c.Uses, n)
		ins = append(ins, c)
	}
	removeAttr(n, "pads")
	removeAttr(n, "paddings")
	removeAttr(n, "value")
	n.Inputs = ins
	return nil
}

// sliceToInputs moves Slice's starts/ends/axes attributes into inputs.
func sliceToInputs(g *ir.Func, n *ir.Node, to int) error {
	ins := []*ir.Value{n.Inputs[0]}
	for _, name := range []string{"starts", "ends", "axes"} {
		a := n.Attr(name)
		if a == nil {
			if name == "axes" {
				continue
			}
			return fmt.Errorf("Slice without %s", name)
		}
		c := constInput(g, n.Outputs[0].Name+"/"+name, a.Ints)
		c.Uses = append(c.Uses, n)
		ins = append(ins, c)
		removeAttr(n, name)
	}
	n.Inputs = ins
	return nil
}

// topKToInput moves TopK's k attribute into its second input.
func topKToInput(g *ir.Func, n *ir.Node, to int) error {
	k := constInput(g, n.Outputs[0].Name+"/k", []int64{n.IntOr("k", 0)})
	k.Uses = append(k.Uses, n)
	removeAttr(n, "k")
	n.Inputs = append(n.Inputs[:1], k)
	return nil
}

// scatterToElements renames the deprecated Scatter to ScatterElements,
// which has the same meaning.
func scatterToElements(g *ir.Func, n *ir.Node, to int) error {
	n.Op = "ScatterElements"
	return nil
}

// dropoutToInputs moves Dropout's ratio attribute into an input and drops
// the attributes opset 12 removed. Its mask output changed type at opset
// 10, so a node whose mask is read is refused.
func dropoutToInputs(g *ir.Func, n *ir.Node, to int) error {
	if len(n.Outputs) > 1 && n.Outputs[1] != nil && len(n.Outputs[1].Uses) > 0 {
		return fmt.Errorf("the mask of an old Dropout changed type")
	}
	ratio := n.FloatOr("ratio", 0.5)
	for _, name := range []string{"ratio", "is_test", "consumed_inputs"} {
		removeAttr(n, name)
	}
	dt := n.Inputs[0].Type.Elem
	if !dt.Valid() {
		dt = tensor.Float32
	}
	t := tensor.New(dt)
	t.SetFloat64At(0, float64(ratio))
	c := g.AddConst(uniqueName(g, n.Outputs[0].Name+"/ratio"), t)
	c.Uses = append(c.Uses, n)
	n.Inputs = append(n.Inputs[:1], c)
	if len(n.Outputs) > 1 && n.Outputs[1] != nil {
		n.Outputs[1].Type.Elem = tensor.Bool
	}
	return nil
}

// preluSlopePerChannel turns the opset<7 PRelu slope, a 1-D tensor over the
// channel axis, into a shape that broadcasts numpy-style: [C, 1, ..., 1].
func preluSlopePerChannel(g *ir.Func, n *ir.Node, to int) error {
	x, slope := n.Inputs[0], n.Inputs[1]
	r := x.Type.Rank()
	if slope.Type.Rank() != 1 || r < 3 {
		return nil
	}
	s, ok := slope.Type.StaticShape()
	if !ok || s[0] == 1 {
		return nil
	}
	shape := []int64{int64(s[0])}
	for i := 2; i < r; i++ {
		shape = append(shape, 1)
	}
	e := &emitter{g: g, at: n, opset: to}
	n.SetInput(1, e.reshape(slope, shape))
	return nil
}

func uniqueName(g *ir.Func, hint string) string {
	names := map[string]bool{}
	for _, x := range g.Values() {
		names[x.Name] = true
	}
	name := hint
	for i := 1; names[name]; i++ {
		name = fmt.Sprintf("%s_%d", hint, i)
	}
	return name
}
