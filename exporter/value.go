package exporter

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/tensor"
)

// The elem_type codes of SequenceProto and OptionalProto.
const (
	elemUndefined = 0
	elemTensor    = 1
	elemSequence  = 3
	elemMap       = 4
	elemOptional  = 5
)

// EncodeValue serializes a value as the message the ONNX test format uses
// for it: TensorProto, SequenceProto, OptionalProto or MapProto, called
// name.
func EncodeValue(v tensor.Value, name string) ([]byte, error) {
	var msg proto.Message
	var err error
	switch x := v.(type) {
	case *tensor.Tensor:
		msg, err = EncodeTensorProto(x, name)
	case *tensor.Sequence:
		msg, err = sequenceProto(x, name)
	case *tensor.Optional:
		msg, err = optionalProto(x, name)
	case *tensor.Map:
		msg, err = mapProto(x, name)
	default:
		return nil, fmt.Errorf("exporter: cannot encode a value of type %T", v)
	}
	if err != nil {
		return nil, err
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	return data, nil
}

// SaveValue writes a value file, atomically as Save does.
func SaveValue(v tensor.Value, name, path string) error {
	data, err := EncodeValue(v, name)
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}

func sequenceProto(s *tensor.Sequence, name string) (*onnxpb.SequenceProto, error) {
	if s == nil {
		return nil, fmt.Errorf("exporter: nil sequence")
	}
	sp := &onnxpb.SequenceProto{Name: optString(name), ElemType: proto.Int32(elemTensor)}
	for i, t := range s.Tensors {
		tp, err := EncodeTensorProto(t, "")
		if err != nil {
			return nil, fmt.Errorf("exporter: sequence element %d: %w", i, err)
		}
		sp.TensorValues = append(sp.TensorValues, tp)
	}
	return sp, nil
}

func optionalProto(o *tensor.Optional, name string) (*onnxpb.OptionalProto, error) {
	if o == nil {
		return nil, fmt.Errorf("exporter: nil optional")
	}
	op := &onnxpb.OptionalProto{Name: optString(name)}
	var err error
	switch x := o.Value.(type) {
	case nil:
		op.ElemType = proto.Int32(elemUndefined)
	case *tensor.Tensor:
		op.ElemType = proto.Int32(elemTensor)
		op.TensorValue, err = EncodeTensorProto(x, "")
	case *tensor.Sequence:
		op.ElemType = proto.Int32(elemSequence)
		op.SequenceValue, err = sequenceProto(x, "")
	case *tensor.Map:
		op.ElemType = proto.Int32(elemMap)
		op.MapValue, err = mapProto(x, "")
	case *tensor.Optional:
		op.ElemType = proto.Int32(elemOptional)
		op.OptionalValue, err = optionalProto(x, "")
	default:
		return nil, fmt.Errorf("exporter: optional of %T", x)
	}
	if err != nil {
		return nil, err
	}
	return op, nil
}

func mapProto(m *tensor.Map, name string) (*onnxpb.MapProto, error) {
	if m == nil || m.Keys == nil {
		return nil, fmt.Errorf("exporter: map without keys")
	}
	kt := m.Keys.DType()
	mp := &onnxpb.MapProto{Name: optString(name), KeyType: proto.Int32(int32(kt))}
	n := m.Keys.Len()
	switch {
	case kt == tensor.String:
		for _, s := range m.Keys.Strings() {
			mp.StringKeys = append(mp.StringKeys, []byte(s))
		}
	case kt.IsInt() && !isSubByte(kt):
		for i := 0; i < n; i++ {
			mp.Keys = append(mp.Keys, m.Keys.Int64At(i))
		}
	default:
		return nil, fmt.Errorf("exporter: map key type %s is not allowed (integers or STRING)", kt)
	}
	var seq *tensor.Sequence
	switch v := m.Values.(type) {
	case *tensor.Sequence:
		seq = v
	case *tensor.Tensor:
		var err error
		if seq, err = unstack(v); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("exporter: map values of type %T", m.Values)
	}
	if len(seq.Tensors) != n {
		return nil, fmt.Errorf("exporter: map has %d keys but %d values", n, len(seq.Tensors))
	}
	var err error
	if mp.Values, err = sequenceProto(seq, ""); err != nil {
		return nil, err
	}
	return mp, nil
}

// unstack splits a tensor along its first axis.
func unstack(t *tensor.Tensor) (*tensor.Sequence, error) {
	if t.Rank() == 0 {
		return nil, fmt.Errorf("exporter: map values tensor is a scalar")
	}
	seq := &tensor.Sequence{Elem: t.DType()}
	n := t.Dim(0)
	inner := t.Shape()[1:]
	if n == 0 {
		return seq, nil
	}
	per := t.Len() / n
	for i := 0; i < n; i++ {
		var e *tensor.Tensor
		var err error
		if t.DType() == tensor.String {
			e, err = tensor.FromStrings(inner, t.Strings()[i*per:(i+1)*per])
		} else {
			sz := t.DType().Size()
			e, err = tensor.FromBytes(t.DType(), inner, t.Bytes()[i*per*sz:(i+1)*per*sz])
		}
		if err != nil {
			return nil, fmt.Errorf("exporter: %w", err)
		}
		seq.Tensors = append(seq.Tensors, e)
	}
	return seq, nil
}
