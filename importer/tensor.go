package importer

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// tensorName returns a printable name for error messages.
func tensorName(tp *onnxpb.TensorProto) string {
	if n := tp.GetName(); n != "" {
		return fmt.Sprintf("tensor %q", n)
	}
	return "unnamed tensor"
}

// decodeTensor turns a TensorProto into a tensor. baseDir is the folder
// external data is read from.
func decodeTensor(tp *onnxpb.TensorProto, baseDir string) (*tensor.Tensor, error) {
	t, err := decodeTensorData(tp, baseDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tensorName(tp), err)
	}
	return t, nil
}

// tensorShape checks the dims of tp and converts them to ints. It also
// checks that a tensor of this type and shape may be allocated at all, so
// nothing is allocated for absurd dims.
func tensorShape(tp *onnxpb.TensorProto) (tensor.DType, []int, int, error) {
	raw := tp.GetDataType()
	if raw <= 0 || raw > int32(tensor.MaxDType) {
		return 0, nil, 0, fmt.Errorf("unknown data_type %d", raw)
	}
	dt := tensor.DType(raw)
	dims := tp.GetDims()
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 {
			return 0, nil, 0, fmt.Errorf("negative dimension %d at axis %d", d, i)
		}
		if d > tensor.MaxElements {
			return 0, nil, 0, fmt.Errorf("dimension %d at axis %d is too large (limit %d elements)", d, i, int64(tensor.MaxElements))
		}
		shape[i] = int(d)
	}
	if err := tensor.CheckSize(dt, shape); err != nil {
		return 0, nil, 0, err
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return 0, nil, 0, err
	}
	return dt, shape, n, nil
}

// packedLen is the number of bytes n elements of a sub-byte type take when
// packed.
func packedLen(dt tensor.DType, n int) int {
	return (n*dt.Bits() + 7) / 8
}

// isSubByte reports whether dt is packed several elements per byte on the
// wire.
func isSubByte(dt tensor.DType) bool { return dt.Bits() > 0 && dt.Bits() < 8 }

// typed data fields of a TensorProto, for the "wrong field" check.
type dataField struct {
	name string
	n    int
}

func dataFields(tp *onnxpb.TensorProto) []dataField {
	return []dataField{
		{"float_data", len(tp.FloatData)},
		{"int32_data", len(tp.Int32Data)},
		{"string_data", len(tp.StringData)},
		{"int64_data", len(tp.Int64Data)},
		{"double_data", len(tp.DoubleData)},
		{"uint64_data", len(tp.Uint64Data)},
	}
}

// fieldFor names the typed field that holds elements of dt.
func fieldFor(dt tensor.DType) string {
	switch dt {
	case tensor.Float32, tensor.Complex64:
		return "float_data"
	case tensor.String:
		return "string_data"
	case tensor.Int64:
		return "int64_data"
	case tensor.Float64, tensor.Complex128:
		return "double_data"
	case tensor.Uint32, tensor.Uint64:
		return "uint64_data"
	}
	return "int32_data"
}

func decodeTensorData(tp *onnxpb.TensorProto, baseDir string) (*tensor.Tensor, error) {
	dt, shape, n, err := tensorShape(tp)
	if err != nil {
		return nil, err
	}
	if tp.Segment != nil {
		return nil, fmt.Errorf("segmented tensors are not supported")
	}
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if dt == tensor.String {
			return nil, fmt.Errorf("STRING tensors cannot use external data")
		}
		return readExternal(tp, dt, shape, n, baseDir)
	}
	if loc := tp.GetDataLocation(); loc != onnxpb.TensorProto_DEFAULT {
		return nil, fmt.Errorf("unknown data_location %d", loc)
	}
	want := fieldFor(dt)
	for _, f := range dataFields(tp) {
		if f.n > 0 && f.name != want {
			return nil, fmt.Errorf("%s tensor carries %s (its elements belong in %s or raw_data)", dt, f.name, want)
		}
		if f.n > 0 && len(tp.RawData) > 0 {
			return nil, fmt.Errorf("tensor has both raw_data and %s", f.name)
		}
	}
	if dt == tensor.String {
		if len(tp.RawData) > 0 {
			return nil, fmt.Errorf("STRING tensor carries raw_data")
		}
		if len(tp.StringData) != n {
			return nil, fmt.Errorf("shape %v needs %d strings, string_data has %d", shape, n, len(tp.StringData))
		}
		s := make([]string, n)
		for i, b := range tp.StringData {
			s[i] = string(b)
		}
		return tensor.FromStrings(shape, s)
	}
	if len(tp.RawData) > 0 || n == 0 {
		return fromRaw(dt, shape, n, tp.RawData)
	}
	return fromTyped(tp, dt, shape, n)
}

// wrapThreshold is the size from which raw data is wrapped, not copied.
const wrapThreshold = 1 << 16

// fromRaw decodes little-endian raw bytes (packed for sub-byte types).
func fromRaw(dt tensor.DType, shape []int, n int, raw []byte) (*tensor.Tensor, error) {
	if isSubByte(dt) {
		want := packedLen(dt, n)
		if len(raw) != want {
			return nil, fmt.Errorf("%s%v needs %d bytes of packed raw_data, got %d", dt, shape, want, len(raw))
		}
		vals, err := tensor.UnpackSubByte(dt, raw, n)
		if err != nil {
			return nil, err
		}
		return tensor.FromBytes(dt, shape, vals)
	}
	want := n * dt.Size()
	if len(raw) != want {
		return nil, fmt.Errorf("%s%v needs %d bytes of raw_data, got %d", dt, shape, want, len(raw))
	}
	var t *tensor.Tensor
	var err error
	if len(raw) >= wrapThreshold && uintptr(unsafe.Pointer(&raw[0]))%64 == 0 {
		// Large buffers decoded from protobuf are ours alone and aligned as
		// tensors are: use them without a copy.
		t, err = tensor.Wrap(dt, shape, raw)
	} else {
		t, err = tensor.FromBytes(dt, shape, raw)
	}
	if err != nil {
		return nil, err
	}
	if dt == tensor.Bool {
		// Go's bool must hold 0 or 1; any other byte is true.
		b := t.Bytes()
		for i, x := range b {
			if x > 1 {
				b[i] = 1
			}
		}
	}
	return t, nil
}

// typedCount returns the typed field that must hold the elements of a
// dt tensor of n elements, and how many values it must have.
func typedCount(tp *onnxpb.TensorProto, dt tensor.DType, n int) (field string, got, want int) {
	field = fieldFor(dt)
	want = n
	switch {
	case dt.IsComplex():
		want = 2 * n
	case isSubByte(dt):
		want = packedLen(dt, n)
	}
	switch field {
	case "float_data":
		got = len(tp.FloatData)
	case "double_data":
		got = len(tp.DoubleData)
	case "int64_data":
		got = len(tp.Int64Data)
	case "uint64_data":
		got = len(tp.Uint64Data)
	default:
		got = len(tp.Int32Data)
	}
	return field, got, want
}

// fromTyped decodes the typed data fields.
func fromTyped(tp *onnxpb.TensorProto, dt tensor.DType, shape []int, n int) (*tensor.Tensor, error) {
	field, got, want := typedCount(tp, dt, n)
	if got != want {
		if got == 0 {
			return nil, fmt.Errorf("%s%v has no data (needs %d values in raw_data or %s)", dt, shape, want, field)
		}
		return nil, fmt.Errorf("%s%v needs %d values in %s, got %d", dt, shape, want, field, got)
	}
	t, err := tensor.Alloc(dt, shape)
	if err != nil {
		return nil, err
	}
	b := t.Bytes()
	le := binary.LittleEndian
	switch dt {
	case tensor.Float32, tensor.Complex64:
		for i, v := range tp.FloatData {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case tensor.Float64, tensor.Complex128:
		for i, v := range tp.DoubleData {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	case tensor.Int64:
		for i, v := range tp.Int64Data {
			le.PutUint64(b[8*i:], uint64(v))
		}
	case tensor.Uint32:
		for i, v := range tp.Uint64Data {
			le.PutUint32(b[4*i:], uint32(v))
		}
	case tensor.Uint64:
		for i, v := range tp.Uint64Data {
			le.PutUint64(b[8*i:], v)
		}
	case tensor.Int32:
		for i, v := range tp.Int32Data {
			le.PutUint32(b[4*i:], uint32(v))
		}
	case tensor.Int16, tensor.Uint16, tensor.Float16, tensor.BFloat16:
		for i, v := range tp.Int32Data {
			le.PutUint16(b[2*i:], uint16(v))
		}
	case tensor.Bool:
		for i, v := range tp.Int32Data {
			if v != 0 {
				b[i] = 1
			}
		}
	default:
		if isSubByte(dt) {
			// Each int32 holds one byte of the packed form.
			packed := make([]byte, want)
			for i, v := range tp.Int32Data {
				packed[i] = byte(v)
			}
			vals, err := tensor.UnpackSubByte(dt, packed, n)
			if err != nil {
				return nil, err
			}
			copy(b, vals)
			return t, nil
		}
		if dt.Size() != 1 {
			return nil, fmt.Errorf("cannot decode %s from typed fields", dt)
		}
		// Int8, Uint8 and the 8-bit float kinds: one element per int32.
		for i, v := range tp.Int32Data {
			b[i] = byte(v)
		}
	}
	return t, nil
}

// maxSparseDense bounds the dense size of a sparse initializer: its
// expansion is not bounded by the size of the file.
const maxSparseDense = 1 << 30

// decodeSparse turns a SparseTensorProto into its sparse form and, when
// dense is set, its dense form.
func decodeSparse(sp *onnxpb.SparseTensorProto, baseDir string, dense bool) (*ir.SparseTensor, *tensor.Tensor, error) {
	if sp.Values == nil {
		return nil, nil, fmt.Errorf("sparse tensor has no values")
	}
	name := sp.Values.GetName()
	wrap := func(err error) error {
		if name != "" {
			return fmt.Errorf("sparse tensor %q: %w", name, err)
		}
		return fmt.Errorf("sparse tensor: %w", err)
	}
	vals, err := decodeTensor(sp.Values, baseDir)
	if err != nil {
		return nil, nil, wrap(err)
	}
	if vals.Rank() != 1 {
		return nil, nil, wrap(fmt.Errorf("values must have rank 1, have shape %v", vals.Shape()))
	}
	if sp.Indices == nil {
		return nil, nil, wrap(fmt.Errorf("no indices"))
	}
	idx, err := decodeTensor(sp.Indices, baseDir)
	if err != nil {
		return nil, nil, wrap(err)
	}
	if !idx.DType().IsInt() {
		return nil, nil, wrap(fmt.Errorf("indices must be integers, are %s", idx.DType()))
	}
	dims := make([]int, len(sp.Dims))
	for i, d := range sp.Dims {
		if d < 0 || d > tensor.MaxElements {
			return nil, nil, wrap(fmt.Errorf("invalid dimension %d at axis %d", d, i))
		}
		dims[i] = int(d)
	}
	if err := tensor.CheckSize(vals.DType(), dims); err != nil {
		return nil, nil, wrap(err)
	}
	if err := checkSparseIndices(vals.Len(), idx, dims); err != nil {
		return nil, nil, wrap(err)
	}
	s := &ir.SparseTensor{Values: vals, Indices: idx, Dims: dims}
	if !dense {
		return s, nil, nil
	}
	n, _ := tensor.NumElements(dims)
	if sz := max(vals.DType().Size(), 8); n > maxSparseDense/sz {
		return nil, nil, wrap(fmt.Errorf("dense form of shape %v is too large (limit %d bytes)", dims, maxSparseDense))
	}
	d, err := s.Dense()
	if err != nil {
		return nil, nil, wrap(err)
	}
	return s, d, nil
}

// checkSparseIndices checks the shape and range of sparse indices without
// allocating the dense form.
func checkSparseIndices(nnz int, idx *tensor.Tensor, dims []int) error {
	n, err := tensor.NumElements(dims)
	if err != nil {
		return err
	}
	rank := len(dims)
	switch {
	case idx.Rank() == 1:
		if idx.Len() != nnz {
			return fmt.Errorf("%d linear indices for %d values", idx.Len(), nnz)
		}
		for i := 0; i < nnz; i++ {
			if k := idx.Int64At(i); k < 0 || k >= int64(n) {
				return fmt.Errorf("linear index %d out of range for %d elements", k, n)
			}
		}
	case idx.Rank() == 2 && idx.Dim(0) == nnz && idx.Dim(1) == rank:
		for i := 0; i < nnz; i++ {
			for d := 0; d < rank; d++ {
				if k := idx.Int64At(i*rank + d); k < 0 || k >= int64(dims[d]) {
					return fmt.Errorf("index %d out of range for dim %d of size %d", k, d, dims[d])
				}
			}
		}
	default:
		return fmt.Errorf("indices shape %v does not fit %d values of rank %d", idx.Shape(), nnz, rank)
	}
	return nil
}
