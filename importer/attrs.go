package importer

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
)

// attrType returns the declared type of an attribute, or infers it from
// the field that is set (old models leave type out).
func attrType(ap *onnxpb.AttributeProto) (ir.AttrType, error) {
	if ap.Type != nil {
		t := ap.GetType()
		if t <= 0 || t > onnxpb.AttributeProto_TYPE_PROTOS {
			return 0, fmt.Errorf("attribute %q has unknown type %d", ap.GetName(), t)
		}
		// A zero scalar may be missing (writers of proto3 drop it), but a
		// value of another type means the attribute is malformed.
		for _, other := range setFields(ap) {
			if other != ir.AttrType(t) {
				return 0, fmt.Errorf("attribute %q is declared %s but holds a %s value", ap.GetName(), ir.AttrType(t), other)
			}
		}
		return ir.AttrType(t), nil
	}
	switch {
	case ap.F != nil:
		return ir.AttrFloat, nil
	case ap.I != nil:
		return ir.AttrInt, nil
	case ap.S != nil:
		return ir.AttrString, nil
	case ap.T != nil:
		return ir.AttrTensor, nil
	case ap.G != nil:
		return ir.AttrGraph, nil
	case ap.SparseTensor != nil:
		return ir.AttrSparseTensor, nil
	case ap.Tp != nil:
		return ir.AttrTypeProto, nil
	case len(ap.Floats) > 0:
		return ir.AttrFloats, nil
	case len(ap.Ints) > 0:
		return ir.AttrInts, nil
	case len(ap.Strings) > 0:
		return ir.AttrStrings, nil
	case len(ap.Tensors) > 0:
		return ir.AttrTensors, nil
	case len(ap.Graphs) > 0:
		return ir.AttrGraphs, nil
	case len(ap.SparseTensors) > 0:
		return ir.AttrSparseTensors, nil
	case len(ap.TypeProtos) > 0:
		return ir.AttrTypeProtos, nil
	}
	return 0, fmt.Errorf("attribute %q has no type and no value", ap.GetName())
}

// setFields lists the attribute types whose value fields are set.
func setFields(ap *onnxpb.AttributeProto) []ir.AttrType {
	var ts []ir.AttrType
	add := func(set bool, t ir.AttrType) {
		if set {
			ts = append(ts, t)
		}
	}
	add(ap.F != nil, ir.AttrFloat)
	add(ap.I != nil, ir.AttrInt)
	add(ap.S != nil, ir.AttrString)
	add(ap.T != nil, ir.AttrTensor)
	add(ap.G != nil, ir.AttrGraph)
	add(ap.SparseTensor != nil, ir.AttrSparseTensor)
	add(ap.Tp != nil, ir.AttrTypeProto)
	add(len(ap.Floats) > 0, ir.AttrFloats)
	add(len(ap.Ints) > 0, ir.AttrInts)
	add(len(ap.Strings) > 0, ir.AttrStrings)
	add(len(ap.Tensors) > 0, ir.AttrTensors)
	add(len(ap.Graphs) > 0, ir.AttrGraphs)
	add(len(ap.SparseTensors) > 0, ir.AttrSparseTensors)
	add(len(ap.TypeProtos) > 0, ir.AttrTypeProtos)
	return ts
}

// convertAttr converts an attribute of a node converted in sc/e. keep is
// false for a reference to a function attribute that the call leaves unset
// (the attribute is then omitted).
func (b *builder) convertAttr(ap *onnxpb.AttributeProto, sc *scope, f *ir.Func, e *env) (ir.Attr, bool, error) {
	name := ap.GetName()
	if name == "" {
		return ir.Attr{}, false, fmt.Errorf("attribute without a name")
	}
	if ref := ap.GetRefAttrName(); ref != "" && !e.body {
		bound, ok := e.attrs[ref]
		if !ok {
			if e.attrs == nil {
				return ir.Attr{}, false, fmt.Errorf("attribute %q refers to %q outside a function body", name, ref)
			}
			return ir.Attr{}, false, nil
		}
		c := proto.Clone(bound).(*onnxpb.AttributeProto)
		c.Name = proto.String(name)
		c.RefAttrName = nil
		if ap.Type != nil && c.Type != nil && ap.GetType() != c.GetType() {
			return ir.Attr{}, false, fmt.Errorf("attribute %q refers to %q of type %s, but is declared %s",
				name, ref, ir.AttrType(c.GetType()), ir.AttrType(ap.GetType()))
		}
		ap = c
	}
	t, err := attrType(ap)
	if err != nil {
		return ir.Attr{}, false, err
	}
	a := ir.Attr{Name: name, Type: t, Doc: ap.GetDocString()}
	if ref := ap.GetRefAttrName(); ref != "" {
		// Kept as a reference (function body for export).
		a.Ref = ref
		return a, true, nil
	}
	wrap := func(err error) error { return fmt.Errorf("attribute %q: %w", name, err) }
	switch t {
	case ir.AttrFloat:
		a.F = ap.GetF()
	case ir.AttrInt:
		a.I = ap.GetI()
	case ir.AttrString:
		a.S = string(ap.S)
	case ir.AttrFloats:
		a.Floats = append([]float32{}, ap.Floats...)
	case ir.AttrInts:
		a.Ints = append([]int64{}, ap.Ints...)
	case ir.AttrStrings:
		a.Strings = make([]string, len(ap.Strings))
		for i, s := range ap.Strings {
			a.Strings[i] = string(s)
		}
	case ir.AttrTensor:
		if ap.T == nil {
			return a, false, wrap(fmt.Errorf("tensor attribute has no tensor"))
		}
		if a.T, err = decodeTensor(ap.T, b.o.BaseDir); err != nil {
			return a, false, wrap(err)
		}
	case ir.AttrTensors:
		for _, tp := range ap.Tensors {
			tt, err := decodeTensor(tp, b.o.BaseDir)
			if err != nil {
				return a, false, wrap(err)
			}
			a.Tensors = append(a.Tensors, tt)
		}
	case ir.AttrGraph:
		if ap.G == nil {
			return a, false, wrap(fmt.Errorf("graph attribute has no graph"))
		}
		if a.G, err = b.convertGraph(ap.G, sc, f, e.sub()); err != nil {
			return a, false, wrap(err)
		}
	case ir.AttrGraphs:
		for _, gp := range ap.Graphs {
			g, err := b.convertGraph(gp, sc, f, e.sub())
			if err != nil {
				return a, false, wrap(err)
			}
			a.Graphs = append(a.Graphs, g)
		}
	case ir.AttrSparseTensor:
		if ap.SparseTensor == nil {
			return a, false, wrap(fmt.Errorf("sparse tensor attribute has no tensor"))
		}
		if a.Sparse, _, err = decodeSparse(ap.SparseTensor, b.o.BaseDir, false); err != nil {
			return a, false, wrap(err)
		}
	case ir.AttrSparseTensors:
		for _, sp := range ap.SparseTensors {
			s, _, err := decodeSparse(sp, b.o.BaseDir, false)
			if err != nil {
				return a, false, wrap(err)
			}
			a.Sparses = append(a.Sparses, s)
		}
	case ir.AttrTypeProto:
		if ap.Tp == nil {
			return a, false, wrap(fmt.Errorf("type attribute has no type"))
		}
		tp, err := convertType(ap.Tp)
		if err != nil {
			return a, false, wrap(err)
		}
		a.TP = &tp
	case ir.AttrTypeProtos:
		for _, x := range ap.TypeProtos {
			tp, err := convertType(x)
			if err != nil {
				return a, false, wrap(err)
			}
			a.TPs = append(a.TPs, tp)
		}
	}
	return a, true, nil
}
