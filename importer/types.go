package importer

import (
	"fmt"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// elemType checks an element type number. 0 (UNDEFINED) is allowed and
// means "not known".
func elemType(raw int32) (tensor.DType, error) {
	if raw < 0 || raw > int32(tensor.MaxDType) {
		return 0, fmt.Errorf("unknown element type %d", raw)
	}
	return tensor.DType(raw), nil
}

func convertShape(sp *onnxpb.TensorShapeProto) []ir.Dim {
	dims := make([]ir.Dim, len(sp.GetDim()))
	for i, d := range sp.GetDim() {
		switch v := d.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			if v.DimValue >= 0 {
				dims[i] = ir.Known(v.DimValue)
			} else {
				dims[i] = ir.Unknown()
			}
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			dims[i] = ir.Sym(v.DimParam)
		default:
			dims[i] = ir.Unknown()
		}
	}
	return dims
}

// convertType turns a TypeProto into an ir.Type. A nil TypeProto is an
// unknown type.
func convertType(tp *onnxpb.TypeProto) (ir.Type, error) {
	if tp == nil {
		return ir.Type{}, nil
	}
	switch v := tp.GetValue().(type) {
	case *onnxpb.TypeProto_TensorType:
		dt, err := elemType(v.TensorType.GetElemType())
		if err != nil {
			return ir.Type{}, err
		}
		t := ir.Type{Kind: ir.KindTensor, Elem: dt}
		if v.TensorType.GetShape() != nil {
			t.HasShape = true
			t.Shape = convertShape(v.TensorType.GetShape())
		}
		return t, nil
	case *onnxpb.TypeProto_SparseTensorType:
		dt, err := elemType(v.SparseTensorType.GetElemType())
		if err != nil {
			return ir.Type{}, err
		}
		t := ir.Type{Kind: ir.KindSparseTensor, Elem: dt}
		if v.SparseTensorType.GetShape() != nil {
			t.HasShape = true
			t.Shape = convertShape(v.SparseTensorType.GetShape())
		}
		return t, nil
	case *onnxpb.TypeProto_SequenceType:
		in, err := convertType(v.SequenceType.GetElemType())
		if err != nil {
			return ir.Type{}, fmt.Errorf("sequence element: %w", err)
		}
		return ir.SequenceOf(in), nil
	case *onnxpb.TypeProto_OptionalType:
		in, err := convertType(v.OptionalType.GetElemType())
		if err != nil {
			return ir.Type{}, fmt.Errorf("optional element: %w", err)
		}
		return ir.OptionalOf(in), nil
	case *onnxpb.TypeProto_MapType:
		key, err := elemType(v.MapType.GetKeyType())
		if err != nil {
			return ir.Type{}, fmt.Errorf("map key: %w", err)
		}
		val, err := convertType(v.MapType.GetValueType())
		if err != nil {
			return ir.Type{}, fmt.Errorf("map value: %w", err)
		}
		return ir.MapOf(key, val), nil
	}
	// Opaque types and empty TypeProtos carry nothing onyx can use.
	return ir.Type{}, nil
}
