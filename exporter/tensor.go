package exporter

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// isSubByte reports whether dt is packed several elements per byte on the
// wire.
func isSubByte(dt tensor.DType) bool { return dt.Bits() > 0 && dt.Bits() < 8 }

// EncodeTensorProto converts a tensor to a TensorProto called name. Numbers
// go to raw_data, little-endian, with the sub-byte types packed; strings go
// to string_data.
func EncodeTensorProto(t *tensor.Tensor, name string) (*onnxpb.TensorProto, error) {
	if t == nil {
		return nil, fmt.Errorf("exporter: tensor %q is nil", name)
	}
	dt := t.DType()
	if !dt.Valid() {
		return nil, fmt.Errorf("exporter: tensor %q has unknown element type %d", name, uint8(dt))
	}
	tp := &onnxpb.TensorProto{
		Dims:     make([]int64, t.Rank()),
		DataType: proto.Int32(int32(dt)),
	}
	if name != "" {
		tp.Name = proto.String(name)
	}
	for i, d := range t.Shape() {
		tp.Dims[i] = int64(d)
	}
	switch {
	case dt == tensor.String:
		s := t.Strings()
		tp.StringData = make([][]byte, len(s))
		for i, x := range s {
			tp.StringData[i] = []byte(x)
		}
	case t.Len() == 0:
		// No data to write.
	case isSubByte(dt):
		tp.RawData = tensor.PackSubByte(dt, t.Bytes())
	default:
		tp.RawData = t.Bytes()
	}
	return tp, nil
}

// encodeSparse converts a sparse tensor whose values tensor is called name.
func encodeSparse(s *ir.SparseTensor, name string) (*onnxpb.SparseTensorProto, error) {
	if s == nil || s.Values == nil || s.Indices == nil {
		return nil, fmt.Errorf("exporter: sparse tensor %q is incomplete", name)
	}
	vals, err := EncodeTensorProto(s.Values, name)
	if err != nil {
		return nil, err
	}
	idx, err := EncodeTensorProto(s.Indices, "")
	if err != nil {
		return nil, err
	}
	sp := &onnxpb.SparseTensorProto{Values: vals, Indices: idx, Dims: make([]int64, len(s.Dims))}
	for i, d := range s.Dims {
		sp.Dims[i] = int64(d)
	}
	return sp, nil
}

func encodeShape(dims []ir.Dim) *onnxpb.TensorShapeProto {
	sp := &onnxpb.TensorShapeProto{Dim: make([]*onnxpb.TensorShapeProto_Dimension, len(dims))}
	for i, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch {
		case d.IsKnown():
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d.Size}
		case d.Param != "":
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d.Param}
		}
		sp.Dim[i] = dim
	}
	return sp
}

// encodeType converts a type; an unknown type is nil.
func encodeType(t ir.Type) *onnxpb.TypeProto {
	switch t.Kind {
	case ir.KindTensor:
		tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(t.Elem))}
		if t.HasShape {
			tt.Shape = encodeShape(t.Shape)
		}
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}
	case ir.KindSparseTensor:
		tt := &onnxpb.TypeProto_SparseTensor{ElemType: proto.Int32(int32(t.Elem))}
		if t.HasShape {
			tt.Shape = encodeShape(t.Shape)
		}
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SparseTensorType{SparseTensorType: tt}}
	case ir.KindSequence:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{
			SequenceType: &onnxpb.TypeProto_Sequence{ElemType: encodeInner(t.Inner)}}}
	case ir.KindOptional:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OptionalType{
			OptionalType: &onnxpb.TypeProto_Optional{ElemType: encodeInner(t.Inner)}}}
	case ir.KindMap:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_MapType{
			MapType: &onnxpb.TypeProto_Map{KeyType: proto.Int32(int32(t.Elem)), ValueType: encodeInner(t.Inner)}}}
	}
	return nil
}

// encodeInner converts the element type of a container; an unknown one is
// an empty TypeProto, which the field requires.
func encodeInner(t *ir.Type) *onnxpb.TypeProto {
	if t == nil {
		return &onnxpb.TypeProto{}
	}
	if tp := encodeType(*t); tp != nil {
		return tp
	}
	return &onnxpb.TypeProto{}
}
