package exporter

import (
	"bytes"
	"fmt"
	"math"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// modelDiff compares two models structurally and describes the first
// difference, or returns "" when they are equivalent: same opsets and
// metadata, same functions, and graphs with the same parameters, constants
// (byte for byte), nodes in the same order with the same ops, names,
// attributes (subgraphs compared recursively), types and wiring.
func modelDiff(a, b *ir.Model) string {
	c := &comparer{vals: map[*ir.Value]*ir.Value{}}
	c.model(a, b)
	if len(c.diffs) == 0 {
		return ""
	}
	return c.diffs[0]
}

type comparer struct {
	vals  map[*ir.Value]*ir.Value // a value of the first model -> its match
	diffs []string
}

func (c *comparer) fail(format string, args ...any) {
	c.diffs = append(c.diffs, fmt.Sprintf(format, args...))
}

func (c *comparer) model(a, b *ir.Model) {
	if !equalOpsets(a.Opsets, b.Opsets) {
		c.fail("opsets %v vs %v", a.Opsets, b.Opsets)
	}
	if a.IRVersion != b.IRVersion || a.ProducerName != b.ProducerName || a.ProducerVersion != b.ProducerVersion ||
		a.Domain != b.Domain || a.ModelVersion != b.ModelVersion || a.Doc != b.Doc {
		c.fail("model header differs: %d %q %q %q %d vs %d %q %q %q %d", a.IRVersion, a.ProducerName, a.ProducerVersion,
			a.Domain, a.ModelVersion, b.IRVersion, b.ProducerName, b.ProducerVersion, b.Domain, b.ModelVersion)
	}
	if a.Doc != b.Doc {
		c.fail("model doc differs")
	}
	c.kvs("model metadata", a.Metadata, b.Metadata)
	if len(a.Functions) != len(b.Functions) {
		c.fail("%d functions vs %d", len(a.Functions), len(b.Functions))
	} else {
		for i := range a.Functions {
			c.function(a.Functions[i], b.Functions[i])
		}
	}
	c.fn("main", a.Graph, b.Graph)
}

func equalOpsets(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

func (c *comparer) kvs(what string, a, b []ir.KV) {
	if len(a) != len(b) {
		c.fail("%s: %d entries vs %d", what, len(a), len(b))
		return
	}
	for i := range a {
		if a[i] != b[i] {
			c.fail("%s: entry %d: %v vs %v", what, i, a[i], b[i])
		}
	}
}

func (c *comparer) function(a, b *ir.Function) {
	where := "function " + a.Name
	if a.Name != b.Name || a.Domain != b.Domain || a.Overload != b.Overload || a.Doc != b.Doc {
		c.fail("%s: header differs from %s", where, b.Name)
	}
	if fmt.Sprint(a.Inputs, a.Outputs, a.Attrs) != fmt.Sprint(b.Inputs, b.Outputs, b.Attrs) {
		c.fail("%s: signature differs", where)
	}
	if !equalOpsets(a.Opsets, b.Opsets) {
		c.fail("%s: opsets %v vs %v", where, a.Opsets, b.Opsets)
	}
	c.attrs(where, a.AttrDefaults, b.AttrDefaults)
	if (a.Body == nil) != (b.Body == nil) {
		c.fail("%s: body presence differs", where)
	} else if a.Body != nil {
		c.fn(where, a.Body, b.Body)
	}
}

func typeEq(a, b ir.Type) bool {
	if a.Kind != b.Kind || a.Elem != b.Elem || a.HasShape != b.HasShape || len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	// A missing inner type and an unknown one are the same.
	ai, bi := ir.Type{}, ir.Type{}
	if a.Inner != nil {
		ai = *a.Inner
	}
	if b.Inner != nil {
		bi = *b.Inner
	}
	if a.Inner == nil && b.Inner == nil {
		return true
	}
	return typeEq(ai, bi)
}

// value compares two definitions and records the match.
func (c *comparer) value(where string, a, b *ir.Value) {
	if (a == nil) != (b == nil) {
		c.fail("%s: nil vs non-nil value", where)
		return
	}
	if a == nil {
		return
	}
	c.vals[a] = b
	if a.Name != b.Name {
		c.fail("%s: name %q vs %q", where, a.Name, b.Name)
	}
	if !typeEq(a.Type, b.Type) {
		c.fail("%s: %%%s type %s vs %s", where, a.Name, a.Type, b.Type)
	}
	if a.Param != b.Param {
		c.fail("%s: %%%s param %v vs %v", where, a.Name, a.Param, b.Param)
	}
	if a.Doc != b.Doc {
		c.fail("%s: %%%s doc differs", where, a.Name)
	}
	if d := tensorDiff(a.Const, b.Const); d != "" {
		c.fail("%s: %%%s constant: %s", where, a.Name, d)
	}
}

// ref compares two uses: b must be the match of a.
func (c *comparer) ref(where string, a, b *ir.Value) {
	if (a == nil) != (b == nil) {
		c.fail("%s: nil vs non-nil reference", where)
		return
	}
	if a == nil {
		return
	}
	m, ok := c.vals[a]
	if !ok {
		c.fail("%s: reference to %%%s, which was never defined", where, a.Name)
		return
	}
	if m != b {
		c.fail("%s: reads %%%s, the copy reads %%%s", where, a.Name, b.Name)
	}
}

func (c *comparer) fn(where string, a, b *ir.Func) {
	if (a == nil) != (b == nil) {
		c.fail("%s: nil vs non-nil graph", where)
		return
	}
	if a == nil {
		return
	}
	where = where + "/" + a.Name
	if a.Name != b.Name || a.Doc != b.Doc {
		c.fail("%s: graph name or doc differs (%q vs %q)", where, a.Name, b.Name)
	}
	c.kvs(where+" metadata", a.Metadata, b.Metadata)
	if fmt.Sprint(a.QuantAnnotations) != fmt.Sprint(b.QuantAnnotations) {
		c.fail("%s: quantization annotations differ", where)
	}
	if len(a.Params) != len(b.Params) || len(a.Consts) != len(b.Consts) || len(a.Nodes) != len(b.Nodes) ||
		len(a.Results) != len(b.Results) || len(a.SparseConsts) != len(b.SparseConsts) {
		c.fail("%s: sizes differ: params %d/%d consts %d/%d nodes %d/%d results %d/%d sparse %d/%d", where,
			len(a.Params), len(b.Params), len(a.Consts), len(b.Consts), len(a.Nodes), len(b.Nodes),
			len(a.Results), len(b.Results), len(a.SparseConsts), len(b.SparseConsts))
		return
	}
	for i := range a.Params {
		c.value(fmt.Sprintf("%s param %d", where, i), a.Params[i], b.Params[i])
	}
	for i := range a.Consts {
		c.value(fmt.Sprintf("%s const %d", where, i), a.Consts[i], b.Consts[i])
	}
	for i := range a.SparseConsts {
		sa, sb := a.SparseConsts[i], b.SparseConsts[i]
		c.ref(fmt.Sprintf("%s sparse const %d", where, i), sa.Value, sb.Value)
		c.sparse(fmt.Sprintf("%s sparse const %d", where, i), sa.Sparse, sb.Sparse)
	}
	for i := range a.Nodes {
		c.node(fmt.Sprintf("%s node %d", where, i), a.Nodes[i], b.Nodes[i])
	}
	for i := range a.Results {
		c.ref(fmt.Sprintf("%s result %d", where, i), a.Results[i], b.Results[i])
	}
	// Use lists must match too (uses within the same graph).
	for i := range a.Nodes {
		for j, out := range a.Nodes[i].Outputs {
			if out != nil && b.Nodes[i].Outputs[j] != nil && len(out.Uses) != len(b.Nodes[i].Outputs[j].Uses) {
				c.fail("%s node %d output %d: %d uses vs %d", where, i, j, len(out.Uses), len(b.Nodes[i].Outputs[j].Uses))
			}
		}
	}
}

func (c *comparer) node(where string, a, b *ir.Node) {
	where = fmt.Sprintf("%s (%s)", where, a)
	if a.Op != b.Op || a.Domain != b.Domain || a.Name != b.Name || a.Doc != b.Doc || a.Opset != b.Opset {
		c.fail("%s: header differs from %s %q opset %d", where, b.OpName(), b.Name, b.Opset)
	}
	if a.Schema != b.Schema {
		c.fail("%s: schema differs", where)
	}
	if len(a.Inputs) != len(b.Inputs) || len(a.Outputs) != len(b.Outputs) {
		c.fail("%s: %d/%d inputs, %d/%d outputs", where, len(a.Inputs), len(b.Inputs), len(a.Outputs), len(b.Outputs))
		return
	}
	for i := range a.Inputs {
		c.ref(fmt.Sprintf("%s input %d", where, i), a.Inputs[i], b.Inputs[i])
	}
	for i := range a.Outputs {
		c.value(fmt.Sprintf("%s output %d", where, i), a.Outputs[i], b.Outputs[i])
		if a.Outputs[i] != nil && b.Outputs[i] != nil && b.Outputs[i].Def != b {
			c.fail("%s output %d: Def is not the node", where, i)
		}
	}
	c.attrs(where, a.Attrs, b.Attrs)
}

func (c *comparer) attrs(where string, a, b []ir.Attr) {
	if len(a) != len(b) {
		c.fail("%s: %d attributes vs %d", where, len(a), len(b))
		return
	}
	for i := range a {
		c.attr(where, &a[i], &b[i])
	}
}

func floatsEq(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func (c *comparer) attr(where string, a, b *ir.Attr) {
	where = where + " attribute " + a.Name
	if a.Name != b.Name || a.Type != b.Type || a.Ref != b.Ref || a.Doc != b.Doc {
		c.fail("%s: header differs (%s %s vs %s %s)", where, a.Name, a.Type, b.Name, b.Type)
		return
	}
	if a.Ref != "" {
		return
	}
	switch a.Type {
	case ir.AttrFloat:
		if math.Float32bits(a.F) != math.Float32bits(b.F) {
			c.fail("%s: %v vs %v", where, a.F, b.F)
		}
	case ir.AttrInt:
		if a.I != b.I {
			c.fail("%s: %v vs %v", where, a.I, b.I)
		}
	case ir.AttrString:
		if a.S != b.S {
			c.fail("%s: %q vs %q", where, a.S, b.S)
		}
	case ir.AttrFloats:
		if !floatsEq(a.Floats, b.Floats) {
			c.fail("%s: %v vs %v", where, a.Floats, b.Floats)
		}
	case ir.AttrInts:
		if fmt.Sprint(a.Ints) != fmt.Sprint(b.Ints) {
			c.fail("%s: %v vs %v", where, a.Ints, b.Ints)
		}
	case ir.AttrStrings:
		if fmt.Sprintf("%q", a.Strings) != fmt.Sprintf("%q", b.Strings) {
			c.fail("%s: %q vs %q", where, a.Strings, b.Strings)
		}
	case ir.AttrTensor:
		if d := tensorDiff(a.T, b.T); d != "" {
			c.fail("%s: %s", where, d)
		}
	case ir.AttrTensors:
		if len(a.Tensors) != len(b.Tensors) {
			c.fail("%s: %d tensors vs %d", where, len(a.Tensors), len(b.Tensors))
			return
		}
		for i := range a.Tensors {
			if d := tensorDiff(a.Tensors[i], b.Tensors[i]); d != "" {
				c.fail("%s: tensor %d: %s", where, i, d)
			}
		}
	case ir.AttrGraph:
		c.fn(where, a.G, b.G)
	case ir.AttrGraphs:
		if len(a.Graphs) != len(b.Graphs) {
			c.fail("%s: %d graphs vs %d", where, len(a.Graphs), len(b.Graphs))
			return
		}
		for i := range a.Graphs {
			c.fn(where, a.Graphs[i], b.Graphs[i])
		}
	case ir.AttrSparseTensor:
		c.sparse(where, a.Sparse, b.Sparse)
	case ir.AttrSparseTensors:
		if len(a.Sparses) != len(b.Sparses) {
			c.fail("%s: %d sparse tensors vs %d", where, len(a.Sparses), len(b.Sparses))
			return
		}
		for i := range a.Sparses {
			c.sparse(where, a.Sparses[i], b.Sparses[i])
		}
	case ir.AttrTypeProto:
		if (a.TP == nil) != (b.TP == nil) || (a.TP != nil && !typeEq(*a.TP, *b.TP)) {
			c.fail("%s: types differ", where)
		}
	case ir.AttrTypeProtos:
		if len(a.TPs) != len(b.TPs) {
			c.fail("%s: %d types vs %d", where, len(a.TPs), len(b.TPs))
			return
		}
		for i := range a.TPs {
			if !typeEq(a.TPs[i], b.TPs[i]) {
				c.fail("%s: type %d: %s vs %s", where, i, a.TPs[i], b.TPs[i])
			}
		}
	}
}

func (c *comparer) sparse(where string, a, b *ir.SparseTensor) {
	if (a == nil) != (b == nil) {
		c.fail("%s: nil vs non-nil sparse tensor", where)
		return
	}
	if a == nil {
		return
	}
	if fmt.Sprint(a.Dims) != fmt.Sprint(b.Dims) {
		c.fail("%s: sparse dims %v vs %v", where, a.Dims, b.Dims)
	}
	if d := tensorDiff(a.Values, b.Values); d != "" {
		c.fail("%s: sparse values: %s", where, d)
	}
	if d := tensorDiff(a.Indices, b.Indices); d != "" {
		c.fail("%s: sparse indices: %s", where, d)
	}
}

// tensorDiff compares element type, shape and bytes (or strings).
func tensorDiff(a, b *tensor.Tensor) string {
	if (a == nil) != (b == nil) {
		return "nil vs non-nil tensor"
	}
	if a == nil {
		return ""
	}
	if a.DType() != b.DType() || fmt.Sprint(a.Shape()) != fmt.Sprint(b.Shape()) {
		return fmt.Sprintf("%s%v vs %s%v", a.DType(), a.Shape(), b.DType(), b.Shape())
	}
	if a.DType() == tensor.String {
		if fmt.Sprintf("%q", a.Strings()) != fmt.Sprintf("%q", b.Strings()) {
			return "strings differ"
		}
		return ""
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		return "bytes differ"
	}
	return ""
}

// valueDiff compares two run-time values.
func valueDiff(a, b tensor.Value) string {
	switch x := a.(type) {
	case *tensor.Tensor:
		y, ok := b.(*tensor.Tensor)
		if !ok {
			return fmt.Sprintf("tensor vs %T", b)
		}
		return tensorDiff(x, y)
	case *tensor.Sequence:
		y, ok := b.(*tensor.Sequence)
		if !ok {
			return fmt.Sprintf("sequence vs %T", b)
		}
		if x.Elem != y.Elem || len(x.Tensors) != len(y.Tensors) {
			return fmt.Sprintf("sequence of %d %s vs %d %s", len(x.Tensors), x.Elem, len(y.Tensors), y.Elem)
		}
		for i := range x.Tensors {
			if d := tensorDiff(x.Tensors[i], y.Tensors[i]); d != "" {
				return fmt.Sprintf("element %d: %s", i, d)
			}
		}
	case *tensor.Optional:
		y, ok := b.(*tensor.Optional)
		if !ok {
			return fmt.Sprintf("optional vs %T", b)
		}
		if (x.Value == nil) != (y.Value == nil) {
			return "empty vs full optional"
		}
		if x.Value != nil {
			return valueDiff(x.Value, y.Value)
		}
	case *tensor.Map:
		y, ok := b.(*tensor.Map)
		if !ok {
			return fmt.Sprintf("map vs %T", b)
		}
		if d := tensorDiff(x.Keys, y.Keys); d != "" {
			return "keys: " + d
		}
		return valueDiff(x.Values, y.Values)
	default:
		return fmt.Sprintf("unknown value %T", a)
	}
	return ""
}
