package importer

import (
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// The elem_type codes of SequenceProto and OptionalProto.
const (
	elemUndefined = 0
	elemTensor    = 1
	elemSparse    = 2
	elemSequence  = 3
	elemMap       = 4
	elemOptional  = 5
)

// DecodeTensor decodes a serialized TensorProto, returning the tensor and
// its name. External data is read relative to the current folder.
func DecodeTensor(data []byte) (t *tensor.Tensor, name string, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, name, err = nil, "", fmt.Errorf("importer: internal error on malformed tensor: %v", r)
		}
	}()
	tp := &onnxpb.TensorProto{}
	if err := proto.Unmarshal(data, tp); err != nil {
		return nil, "", fmt.Errorf("importer: not a TensorProto (bad protobuf): %w", err)
	}
	t, err = decodeTensor(tp, ".")
	if err != nil {
		return nil, "", fmt.Errorf("importer: %w", err)
	}
	return t, tp.GetName(), nil
}

// ReadValue reads a loose value file (a TensorProto, SequenceProto,
// OptionalProto or MapProto, chosen by want.Kind; TensorProto when the kind
// is unknown). External data is read relative to the file's folder.
func ReadValue(path string, want ir.Type) (tensor.Value, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	v, err := decodeValue(data, want, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// DecodeValue decodes a serialized value whose message kind follows
// want.Kind, as ReadValue does.
func DecodeValue(data []byte, want ir.Type) (tensor.Value, error) {
	return decodeValue(data, want, ".")
}

func decodeValue(data []byte, want ir.Type, baseDir string) (v tensor.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("importer: internal error on malformed value: %v", r)
		}
	}()
	var msg proto.Message
	switch want.Kind {
	case ir.KindUnknown, ir.KindTensor:
		msg = &onnxpb.TensorProto{}
	case ir.KindSequence:
		msg = &onnxpb.SequenceProto{}
	case ir.KindOptional:
		msg = &onnxpb.OptionalProto{}
	case ir.KindMap:
		msg = &onnxpb.MapProto{}
	default:
		return nil, fmt.Errorf("importer: cannot read a value of type %s", want)
	}
	if err := proto.Unmarshal(data, msg); err != nil {
		return nil, fmt.Errorf("importer: not a %s (bad protobuf): %w", msg.ProtoReflect().Descriptor().Name(), err)
	}
	d := &valueDecoder{baseDir: baseDir}
	switch m := msg.(type) {
	case *onnxpb.TensorProto:
		v, err = d.tensor(m)
	case *onnxpb.SequenceProto:
		v, err = d.sequence(m, want.Inner)
	case *onnxpb.OptionalProto:
		v, err = d.optional(m, want.Inner)
	case *onnxpb.MapProto:
		v, err = d.mapValue(m, want.Inner)
	}
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	return v, nil
}

type valueDecoder struct {
	baseDir string
	depth   int
}

func (d *valueDecoder) tensor(tp *onnxpb.TensorProto) (tensor.Value, error) {
	t, err := decodeTensor(tp, d.baseDir)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (d *valueDecoder) enter() error {
	d.depth++
	if d.depth > 100 {
		return fmt.Errorf("values nested too deeply")
	}
	return nil
}

func innerOf(t *ir.Type) *ir.Type {
	if t == nil {
		return nil
	}
	return t.Inner
}

func seqLabel(name string) string {
	if name == "" {
		return "sequence"
	}
	return fmt.Sprintf("sequence %q", name)
}

func (d *valueDecoder) sequence(sp *onnxpb.SequenceProto, inner *ir.Type) (*tensor.Sequence, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer func() { d.depth-- }()
	label := seqLabel(sp.GetName())
	et := sp.GetElemType()
	switch {
	case len(sp.SparseTensorValues) > 0 || et == elemSparse:
		return nil, fmt.Errorf("%s: sequences of sparse tensors are not supported", label)
	case len(sp.SequenceValues) > 0 || et == elemSequence:
		return nil, fmt.Errorf("%s: sequences of sequences are not supported", label)
	case len(sp.MapValues) > 0 || et == elemMap:
		return nil, fmt.Errorf("%s: sequences of maps are not supported", label)
	case len(sp.OptionalValues) > 0 || et == elemOptional:
		return nil, fmt.Errorf("%s: sequences of optionals are not supported", label)
	case et != elemUndefined && et != elemTensor:
		return nil, fmt.Errorf("%s: unknown elem_type %d", label, et)
	}
	seq := &tensor.Sequence{}
	if inner != nil && inner.Kind == ir.KindTensor {
		seq.Elem = inner.Elem
	}
	for i, tp := range sp.TensorValues {
		t, err := decodeTensor(tp, d.baseDir)
		if err != nil {
			return nil, fmt.Errorf("%s: element %d: %w", label, i, err)
		}
		if i == 0 && seq.Elem == tensor.Undefined {
			seq.Elem = t.DType()
		}
		if t.DType() != seq.Elem {
			return nil, fmt.Errorf("%s: element %d is %s, the sequence holds %s", label, i, t.DType(), seq.Elem)
		}
		seq.Tensors = append(seq.Tensors, t)
	}
	return seq, nil
}

func (d *valueDecoder) optional(op *onnxpb.OptionalProto, inner *ir.Type) (*tensor.Optional, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer func() { d.depth-- }()
	label := "optional"
	if op.GetName() != "" {
		label = fmt.Sprintf("optional %q", op.GetName())
	}
	set := 0
	for _, x := range []bool{op.TensorValue != nil, op.SparseTensorValue != nil, op.SequenceValue != nil, op.MapValue != nil, op.OptionalValue != nil} {
		if x {
			set++
		}
	}
	if set > 1 {
		return nil, fmt.Errorf("%s holds more than one value", label)
	}
	var err error
	out := &tensor.Optional{}
	switch et := op.GetElemType(); {
	case op.TensorValue != nil && (et == elemTensor || et == elemUndefined):
		out.Value, err = d.tensor(op.TensorValue)
	case op.SequenceValue != nil && (et == elemSequence || et == elemUndefined):
		out.Value, err = d.sequence(op.SequenceValue, innerOf(inner))
	case op.MapValue != nil && (et == elemMap || et == elemUndefined):
		out.Value, err = d.mapValue(op.MapValue, innerOf(inner))
	case op.OptionalValue != nil && (et == elemOptional || et == elemUndefined):
		out.Value, err = d.optional(op.OptionalValue, innerOf(inner))
	case op.SparseTensorValue != nil || et == elemSparse:
		return nil, fmt.Errorf("%s: optional sparse tensors are not supported", label)
	case set == 0 && et >= elemUndefined && et <= elemOptional:
		// An empty optional.
	case set == 0:
		return nil, fmt.Errorf("%s: unknown elem_type %d", label, et)
	default:
		return nil, fmt.Errorf("%s: elem_type %d does not match the value it holds", label, et)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return out, nil
}

func (d *valueDecoder) mapValue(mp *onnxpb.MapProto, valType *ir.Type) (*tensor.Map, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer func() { d.depth-- }()
	label := "map"
	if mp.GetName() != "" {
		label = fmt.Sprintf("map %q", mp.GetName())
	}
	kt, err := elemType(mp.GetKeyType())
	if err != nil {
		return nil, fmt.Errorf("%s: key: %w", label, err)
	}
	var keys *tensor.Tensor
	switch {
	case kt == tensor.String:
		if len(mp.Keys) > 0 {
			return nil, fmt.Errorf("%s: STRING keys given in keys", label)
		}
		s := make([]string, len(mp.StringKeys))
		for i, k := range mp.StringKeys {
			s[i] = string(k)
		}
		keys, err = tensor.FromStrings([]int{len(s)}, s)
	case kt.IsInt() && kt.Size() >= 1 && !isSubByte(kt):
		if len(mp.StringKeys) > 0 {
			return nil, fmt.Errorf("%s: %s keys given in string_keys", label, kt)
		}
		keys, err = tensor.Alloc(kt, []int{len(mp.Keys)})
		if err == nil {
			for i, k := range mp.Keys {
				keys.SetInt64At(i, k)
			}
		}
	default:
		return nil, fmt.Errorf("%s: key type %s is not allowed (integers or STRING)", label, kt)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	out := &tensor.Map{Keys: keys}
	if mp.Values == nil {
		if keys.Len() != 0 {
			return nil, fmt.Errorf("%s: %d keys but no values", label, keys.Len())
		}
		out.Values = &tensor.Sequence{}
		return out, nil
	}
	seq, err := d.sequence(mp.Values, innerOf(valType))
	if err != nil {
		return nil, fmt.Errorf("%s: values: %w", label, err)
	}
	if len(seq.Tensors) != keys.Len() {
		return nil, fmt.Errorf("%s: %d keys but %d values", label, keys.Len(), len(seq.Tensors))
	}
	out.Values = seq
	if valType != nil && valType.Kind == ir.KindSequence {
		return out, nil
	}
	// Values of one shape make one tensor, stacked along a new first axis.
	if st, ok := stack(seq); ok {
		out.Values = st
	}
	return out, nil
}

// stack joins tensors of one type and shape along a new first axis.
func stack(seq *tensor.Sequence) (*tensor.Tensor, bool) {
	if len(seq.Tensors) == 0 {
		t, err := tensor.Alloc(seq.Elem, []int{0})
		return t, err == nil
	}
	first := seq.Tensors[0]
	for _, t := range seq.Tensors[1:] {
		if t.DType() != first.DType() || !equalInts(t.Shape(), first.Shape()) {
			return nil, false
		}
	}
	shape := append([]int{len(seq.Tensors)}, first.Shape()...)
	if first.DType() == tensor.String {
		var s []string
		for _, t := range seq.Tensors {
			s = append(s, t.Strings()...)
		}
		t, err := tensor.FromStrings(shape, s)
		return t, err == nil
	}
	var buf []byte
	for _, t := range seq.Tensors {
		buf = append(buf, t.Bytes()...)
	}
	t, err := tensor.FromBytes(first.DType(), shape, buf)
	return t, err == nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
