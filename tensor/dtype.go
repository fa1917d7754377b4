// Package tensor holds onyx's n-dimensional arrays: element types for every
// ONNX data type, shapes, one aligned byte buffer per tensor with typed views,
// conversions between element types, and the .npy file format. It knows
// nothing of protobuf or of the rest of onyx.
package tensor

import "fmt"

// DType is an element type. The numeric values are those of ONNX's
// TensorProto.DataType, so a DType converts to and from the wire format
// without a table.
type DType uint8

// The element types, numbered as in ONNX.
const (
	Undefined      DType = 0
	Float32        DType = 1
	Uint8          DType = 2
	Int8           DType = 3
	Uint16         DType = 4
	Int16          DType = 5
	Int32          DType = 6
	Int64          DType = 7
	String         DType = 8
	Bool           DType = 9
	Float16        DType = 10
	Float64        DType = 11
	Uint32         DType = 12
	Uint64         DType = 13
	Complex64      DType = 14
	Complex128     DType = 15
	BFloat16       DType = 16
	Float8E4M3FN   DType = 17
	Float8E4M3FNUZ DType = 18
	Float8E5M2     DType = 19
	Float8E5M2FNUZ DType = 20
	Uint4          DType = 21
	Int4           DType = 22
	Float4E2M1     DType = 23
	Float8E8M0     DType = 24
	Uint2          DType = 25
	Int2           DType = 26
)

// MaxDType is the largest DType value onyx knows.
const MaxDType = Int2

type dtypeInfo struct {
	name    string // ONNX spelling, as in TensorProto.DataType
	size    int    // bytes per element in memory (sub-byte types take one byte each)
	bits    int    // bits per element on the wire
	float   bool   // a real floating-point kind
	signed  bool   // a signed integer kind
	integer bool   // an integer kind (bool excluded)
	npy     string // numpy descr, "" when numpy has none
}

var dtypes = [...]dtypeInfo{
	Undefined:      {name: "UNDEFINED"},
	Float32:        {"FLOAT", 4, 32, true, false, false, "<f4"},
	Uint8:          {"UINT8", 1, 8, false, false, true, "|u1"},
	Int8:           {"INT8", 1, 8, false, true, true, "|i1"},
	Uint16:         {"UINT16", 2, 16, false, false, true, "<u2"},
	Int16:          {"INT16", 2, 16, false, true, true, "<i2"},
	Int32:          {"INT32", 4, 32, false, true, true, "<i4"},
	Int64:          {"INT64", 8, 64, false, true, true, "<i8"},
	String:         {"STRING", 0, 0, false, false, false, ""},
	Bool:           {"BOOL", 1, 8, false, false, false, "|b1"},
	Float16:        {"FLOAT16", 2, 16, true, false, false, "<f2"},
	Float64:        {"DOUBLE", 8, 64, true, false, false, "<f8"},
	Uint32:         {"UINT32", 4, 32, false, false, true, "<u4"},
	Uint64:         {"UINT64", 8, 64, false, false, true, "<u8"},
	Complex64:      {"COMPLEX64", 8, 64, false, false, false, "<c8"},
	Complex128:     {"COMPLEX128", 16, 128, false, false, false, "<c16"},
	BFloat16:       {"BFLOAT16", 2, 16, true, false, false, ""},
	Float8E4M3FN:   {"FLOAT8E4M3FN", 1, 8, true, false, false, ""},
	Float8E4M3FNUZ: {"FLOAT8E4M3FNUZ", 1, 8, true, false, false, ""},
	Float8E5M2:     {"FLOAT8E5M2", 1, 8, true, false, false, ""},
	Float8E5M2FNUZ: {"FLOAT8E5M2FNUZ", 1, 8, true, false, false, ""},
	Uint4:          {"UINT4", 1, 4, false, false, true, ""},
	Int4:           {"INT4", 1, 4, false, true, true, ""},
	Float4E2M1:     {"FLOAT4E2M1", 1, 4, true, false, false, ""},
	Float8E8M0:     {"FLOAT8E8M0", 1, 8, true, false, false, ""},
	Uint2:          {"UINT2", 1, 2, false, false, true, ""},
	Int2:           {"INT2", 1, 2, false, true, true, ""},
}

// Valid reports whether d is a known, defined element type.
func (d DType) Valid() bool { return d > Undefined && d <= MaxDType }

// String returns the ONNX name of the type, such as "FLOAT" or "INT64".
func (d DType) String() string {
	if int(d) < len(dtypes) {
		return dtypes[d].name
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size is the number of bytes one element takes in a Tensor's buffer.
// Sub-byte types (int4, uint4, int2, uint2, float4e2m1) are held unpacked,
// one element per byte; they are packed only on the wire. String has size 0:
// strings live outside the byte buffer.
func (d DType) Size() int {
	if int(d) < len(dtypes) {
		return dtypes[d].size
	}
	return 0
}

// Bits is the number of bits one element takes in packed wire form.
func (d DType) Bits() int {
	if int(d) < len(dtypes) {
		return dtypes[d].bits
	}
	return 0
}

// IsFloat reports whether d is a real floating-point type (float8, float4 and
// e8m0 included).
func (d DType) IsFloat() bool { return int(d) < len(dtypes) && dtypes[d].float }

// IsInt reports whether d is an integer type (bool excluded).
func (d DType) IsInt() bool { return int(d) < len(dtypes) && dtypes[d].integer }

// IsSigned reports whether d is a signed integer type.
func (d DType) IsSigned() bool { return int(d) < len(dtypes) && dtypes[d].signed }

// IsComplex reports whether d is complex64 or complex128.
func (d DType) IsComplex() bool { return d == Complex64 || d == Complex128 }

// IsNumeric reports whether arithmetic is defined on d.
func (d DType) IsNumeric() bool { return d.IsFloat() || d.IsInt() || d.IsComplex() }

// DTypeByName looks a type up by its ONNX name ("FLOAT", "INT64", ...), or
// by the lower-case short names used in onyx's text IR ("f32", "i64", ...).
func DTypeByName(name string) (DType, bool) {
	for i, info := range dtypes {
		if i > 0 && info.name == name {
			return DType(i), true
		}
	}
	for d, s := range shortNames {
		if s == name {
			return d, true
		}
	}
	return Undefined, false
}

var shortNames = map[DType]string{
	Float32: "f32", Uint8: "u8", Int8: "i8", Uint16: "u16", Int16: "i16",
	Int32: "i32", Int64: "i64", String: "string", Bool: "bool", Float16: "f16",
	Float64: "f64", Uint32: "u32", Uint64: "u64", Complex64: "c64",
	Complex128: "c128", BFloat16: "bf16", Float8E4M3FN: "f8e4m3fn",
	Float8E4M3FNUZ: "f8e4m3fnuz", Float8E5M2: "f8e5m2",
	Float8E5M2FNUZ: "f8e5m2fnuz", Uint4: "u4", Int4: "i4", Float4E2M1: "f4e2m1",
	Float8E8M0: "f8e8m0", Uint2: "u2", Int2: "i2",
}

// Short is the compact name used by onyx's text IR ("f32", "i64", ...).
func (d DType) Short() string {
	if s, ok := shortNames[d]; ok {
		return s
	}
	return d.String()
}
