package kernels

import (
	"github.com/onyxgo/onyx/tensor"
)

// Helpers that load tensors of any element type into one of three
// computation domains (float64, int64, uint64) and store results back,
// so that a kernel is written once per domain rather than once per type.

// Domain is the arithmetic a kernel uses for an element type.
type Domain int

// The computation domains.
const (
	// DomFloat computes in float64: every real float type (float8 and
	// float4 included).
	DomFloat Domain = iota
	// DomInt computes in int64: the signed integer types and BOOL.
	DomInt
	// DomUint computes in uint64: the unsigned integer types.
	DomUint
	// DomOther is every type without real arithmetic (STRING, complex).
	DomOther
)

// DomainOf returns the computation domain of dt.
func DomainOf(dt tensor.DType) Domain {
	switch {
	case dt.IsFloat():
		return DomFloat
	case dt == tensor.Bool || (dt.IsInt() && dt.IsSigned()):
		return DomInt
	case dt.IsInt():
		return DomUint
	}
	return DomOther
}

type domainReal interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// domainConvert converts src element by element into dst (Go conversion
// rules; callers use it only where those are exact or well defined).
func domainConvert[D, S domainReal](dst []D, src []S) {
	for i, v := range src {
		dst[i] = D(v)
	}
}

// Float64s returns the elements of t as float64 values (integers beyond
// 2^53 round; BOOL gives 0 and 1).
func Float64s(t *tensor.Tensor) []float64 {
	out := make([]float64, t.Len())
	switch t.DType() {
	case tensor.Float64:
		copy(out, tensor.Data[float64](t))
	case tensor.Float32:
		domainConvert(out, tensor.Data[float32](t))
	case tensor.Int8, tensor.Int4, tensor.Int2:
		domainConvert(out, tensor.Data[int8](t))
	case tensor.Uint8, tensor.Uint4, tensor.Uint2, tensor.Bool:
		domainConvert(out, tensor.Data[uint8](t))
	case tensor.Int16:
		domainConvert(out, tensor.Data[int16](t))
	case tensor.Uint16:
		domainConvert(out, tensor.Data[uint16](t))
	case tensor.Int32:
		domainConvert(out, tensor.Data[int32](t))
	case tensor.Uint32:
		domainConvert(out, tensor.Data[uint32](t))
	case tensor.Int64:
		domainConvert(out, tensor.Data[int64](t))
	case tensor.Uint64:
		domainConvert(out, tensor.Data[uint64](t))
	case tensor.Float16:
		for i, h := range tensor.Data[uint16](t) {
			out[i] = float64(tensor.Float16ToFloat32(h))
		}
	case tensor.BFloat16:
		for i, h := range tensor.Data[uint16](t) {
			out[i] = float64(tensor.BFloat16ToFloat32(h))
		}
	default:
		for i := range out {
			out[i] = t.Float64At(i)
		}
	}
	return out
}

// Int64s returns the elements of t as int64 values: integers exactly
// (UINT64 above 2^63-1 wraps), BOOL as 0 and 1, floats truncated.
func Int64s(t *tensor.Tensor) []int64 {
	out := make([]int64, t.Len())
	switch t.DType() {
	case tensor.Int64:
		copy(out, tensor.Data[int64](t))
	case tensor.Int8, tensor.Int4, tensor.Int2:
		domainConvert(out, tensor.Data[int8](t))
	case tensor.Uint8, tensor.Uint4, tensor.Uint2, tensor.Bool:
		domainConvert(out, tensor.Data[uint8](t))
	case tensor.Int16:
		domainConvert(out, tensor.Data[int16](t))
	case tensor.Uint16:
		domainConvert(out, tensor.Data[uint16](t))
	case tensor.Int32:
		domainConvert(out, tensor.Data[int32](t))
	case tensor.Uint32:
		domainConvert(out, tensor.Data[uint32](t))
	case tensor.Uint64:
		domainConvert(out, tensor.Data[uint64](t))
	default:
		for i := range out {
			out[i] = t.Int64At(i)
		}
	}
	return out
}

// Uint64s returns the elements of t as uint64 values: unsigned integers
// exactly, signed ones sign-extended to 64 bits (two's complement), BOOL as
// 0 and 1, floats truncated through int64.
func Uint64s(t *tensor.Tensor) []uint64 {
	out := make([]uint64, t.Len())
	switch t.DType() {
	case tensor.Uint64:
		copy(out, tensor.Data[uint64](t))
	case tensor.Uint8, tensor.Uint4, tensor.Uint2, tensor.Bool:
		domainConvert(out, tensor.Data[uint8](t))
	case tensor.Uint16:
		domainConvert(out, tensor.Data[uint16](t))
	case tensor.Uint32:
		domainConvert(out, tensor.Data[uint32](t))
	case tensor.Int8, tensor.Int4, tensor.Int2:
		domainConvert(out, tensor.Data[int8](t))
	case tensor.Int16:
		domainConvert(out, tensor.Data[int16](t))
	case tensor.Int32:
		domainConvert(out, tensor.Data[int32](t))
	case tensor.Int64:
		domainConvert(out, tensor.Data[int64](t))
	default:
		for i := range out {
			out[i] = uint64(t.Int64At(i))
		}
	}
	return out
}

// FromFloat64s returns a tensor of type dt and the given shape holding v,
// each value rounded to dt as Cast does (FLOAT16 and BFLOAT16 through one
// rounding to float32 first; integers truncate toward zero).
func FromFloat64s(dt tensor.DType, shape []int, v []float64) *tensor.Tensor {
	t := tensor.New(dt, shape...)
	switch dt {
	case tensor.Float64:
		copy(tensor.Data[float64](t), v)
	case tensor.Float32:
		domainConvert(tensor.Data[float32](t), v)
	case tensor.Float16:
		d := tensor.Data[uint16](t)
		for i, x := range v {
			d[i] = tensor.Float32ToFloat16(float32(x))
		}
	case tensor.BFloat16:
		d := tensor.Data[uint16](t)
		for i, x := range v {
			d[i] = tensor.Float32ToBFloat16(float32(x))
		}
	default:
		for i, x := range v {
			t.SetFloat64At(i, x)
		}
	}
	return t
}

// FromInt64s returns a tensor of type dt and the given shape holding v,
// integers wrapped to dt's width as a C cast does, BOOL as v != 0, floats
// rounded to nearest.
func FromInt64s(dt tensor.DType, shape []int, v []int64) *tensor.Tensor {
	t := tensor.New(dt, shape...)
	switch dt {
	case tensor.Int64:
		copy(tensor.Data[int64](t), v)
	case tensor.Int32:
		domainConvert(tensor.Data[int32](t), v)
	case tensor.Int16:
		domainConvert(tensor.Data[int16](t), v)
	case tensor.Int8:
		domainConvert(tensor.Data[int8](t), v)
	case tensor.Uint64:
		domainConvert(tensor.Data[uint64](t), v)
	case tensor.Uint32:
		domainConvert(tensor.Data[uint32](t), v)
	case tensor.Uint16:
		domainConvert(tensor.Data[uint16](t), v)
	case tensor.Uint8:
		domainConvert(tensor.Data[uint8](t), v)
	case tensor.Bool:
		d := tensor.Data[uint8](t)
		for i, x := range v {
			if x != 0 {
				d[i] = 1
			}
		}
	default:
		for i, x := range v {
			t.SetInt64At(i, x)
		}
	}
	return t
}

// FromUint64s returns a tensor of type dt and the given shape holding v,
// integers keeping their low bits (so a value computed from sign-extended
// inputs stores back exactly), BOOL as v != 0, floats rounded to nearest.
func FromUint64s(dt tensor.DType, shape []int, v []uint64) *tensor.Tensor {
	switch dt {
	case tensor.Uint64:
		t := tensor.New(dt, shape...)
		copy(tensor.Data[uint64](t), v)
		return t
	case tensor.Float16, tensor.Float32, tensor.Float64, tensor.BFloat16:
		f := make([]float64, len(v))
		domainConvert(f, v)
		return FromFloat64s(dt, shape, f)
	}
	i := make([]int64, len(v))
	domainConvert(i, v)
	return FromInt64s(dt, shape, i)
}

// Broadcast returns v, the elements of a tensor of shape in, expanded to
// shape out by numpy broadcasting; v itself when the shapes are equal.
func Broadcast[T any](v []T, in, out []int) []T {
	if equalInts(in, out) {
		return v
	}
	idx := BroadcastIndex(in, out)
	r := make([]T, len(idx))
	for k, j := range idx {
		r[k] = v[j]
	}
	return r
}
