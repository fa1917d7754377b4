package tensor

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unsafe"
)

// Tensor is an n-dimensional array of one element type. Numeric elements
// live in one 64-byte-aligned byte buffer, read and written through typed
// views (Data, Float32s, ...); strings live in a separate slice. A Tensor's
// shape never changes; Reshape returns a new Tensor sharing the buffer.
//
// Sub-byte element types are held unpacked, one element per byte (int4/uint4
// and int2/uint2 as int8/uint8 values, float4e2m1 as its 4-bit code), so
// kernels index them like any other type.
type Tensor struct {
	dtype DType
	shape []int
	buf   []byte
	strs  []string
}

// MaxElements bounds the element count of one tensor. Sizes read from files
// or computed from hostile attributes are checked against it before
// anything is allocated.
const MaxElements = 1 << 34

// MaxBytes bounds the byte size of one tensor.
const MaxBytes = 1 << 36

// ErrTooLarge is wrapped by errors about tensors over MaxElements or MaxBytes.
var ErrTooLarge = errors.New("tensor too large")

// NumElements returns the number of elements of shape, or an error when a
// dim is negative or the product overflows MaxElements.
func NumElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("tensor: negative dimension %d in shape %v", d, shape)
		}
		if d == 0 {
			n = 0
			continue
		}
		if n != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("tensor: shape %v: %w (limit %d elements)", shape, ErrTooLarge, MaxElements)
		}
		n *= d
	}
	return n, nil
}

// CheckSize reports whether a tensor of dtype dt and the given shape could be
// allocated, without allocating it.
func CheckSize(dt DType, shape []int) error {
	n, err := NumElements(shape)
	if err != nil {
		return err
	}
	if dt.Size() > 0 && n > MaxBytes/dt.Size() {
		return fmt.Errorf("tensor: %s%v: %w (limit %d bytes)", dt, shape, ErrTooLarge, MaxBytes)
	}
	return nil
}

// SizeError is the panic value New uses for shapes that cannot be
// allocated. Executors recover it and report it as an error.
type SizeError struct{ Err error }

func (e *SizeError) Error() string { return e.Err.Error() }
func (e *SizeError) Unwrap() error { return e.Err }

// alignedBytes returns a zeroed byte slice of length n whose first byte is
// 64-byte aligned.
func alignedBytes(n int) []byte {
	if n == 0 {
		return []byte{}
	}
	raw := make([]byte, n+63)
	off := int(-uintptr(unsafe.Pointer(&raw[0])) & 63)
	return raw[off : off+n : off+n]
}

// New allocates a zero-filled tensor. It panics with *SizeError when the
// shape is invalid or too large; use Alloc where the shape is untrusted.
func New(dt DType, shape ...int) *Tensor {
	t, err := Alloc(dt, shape)
	if err != nil {
		panic(&SizeError{err})
	}
	return t
}

// Alloc allocates a zero-filled tensor, or returns an error when dt is
// unknown or the shape is invalid or too large.
func Alloc(dt DType, shape []int) (*Tensor, error) {
	if !dt.Valid() {
		return nil, fmt.Errorf("tensor: unknown element type %d", uint8(dt))
	}
	if err := CheckSize(dt, shape); err != nil {
		return nil, err
	}
	n, _ := NumElements(shape)
	t := &Tensor{dtype: dt, shape: append([]int{}, shape...)}
	if dt == String {
		t.strs = make([]string, n)
	} else {
		t.buf = alignedBytes(n * dt.Size())
	}
	return t, nil
}

// FromBytes makes a tensor over a copy of raw, which must hold exactly
// Len×Size bytes in the in-memory layout (little-endian, sub-byte types
// unpacked).
func FromBytes(dt DType, shape []int, raw []byte) (*Tensor, error) {
	t, err := Alloc(dt, shape)
	if err != nil {
		return nil, err
	}
	if dt == String {
		return nil, fmt.Errorf("tensor: FromBytes cannot make a STRING tensor")
	}
	if len(raw) != len(t.buf) {
		return nil, fmt.Errorf("tensor: %s%v needs %d bytes, got %d", dt, shape, len(t.buf), len(raw))
	}
	copy(t.buf, raw)
	return t, nil
}

// Wrap makes a tensor that uses buf as its storage without copying (for
// memory-mapped initializers). buf must be suitably aligned for dt.
func Wrap(dt DType, shape []int, buf []byte) (*Tensor, error) {
	if err := CheckSize(dt, shape); err != nil {
		return nil, err
	}
	n, _ := NumElements(shape)
	if dt == String || len(buf) != n*dt.Size() {
		return nil, fmt.Errorf("tensor: cannot wrap %d bytes as %s%v", len(buf), dt, shape)
	}
	if len(buf) > 0 && uintptr(unsafe.Pointer(&buf[0]))%uintptr(max(1, dt.Size())) != 0 {
		return FromBytes(dt, shape, buf)
	}
	return &Tensor{dtype: dt, shape: append([]int{}, shape...), buf: buf}, nil
}

// FromStrings makes a STRING tensor.
func FromStrings(shape []int, s []string) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != len(s) {
		return nil, fmt.Errorf("tensor: shape %v needs %d strings, got %d", shape, n, len(s))
	}
	return &Tensor{dtype: String, shape: append([]int{}, shape...), strs: append([]string{}, s...)}, nil
}

// Elem is the set of Go types that view a tensor's buffer.
type Elem interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint8 | ~uint16 | ~uint32 | ~uint64 | ~bool | ~complex64 | ~complex128
}

// Data returns a typed view of t's buffer. The element size of T must equal
// t.DType().Size(); Data panics otherwise. Writes through the view change t.
func Data[T Elem](t *Tensor) []T {
	var z T
	sz := int(unsafe.Sizeof(z))
	if t.dtype == String || sz != t.dtype.Size() {
		panic(fmt.Sprintf("tensor: %T view of a %s tensor", z, t.dtype))
	}
	n := len(t.buf) / sz
	if n == 0 {
		return []T{}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&t.buf[0])), n)
}

// DTypeOf returns the natural element type of Go type T (uint16 maps to
// Uint16, not Float16).
func DTypeOf[T Elem]() DType {
	var z T
	switch any(z).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case int8:
		return Int8
	case int16:
		return Int16
	case int32:
		return Int32
	case int64:
		return Int64
	case uint8:
		return Uint8
	case uint16:
		return Uint16
	case uint32:
		return Uint32
	case uint64:
		return Uint64
	case bool:
		return Bool
	case complex64:
		return Complex64
	case complex128:
		return Complex128
	}
	return Undefined
}

// FromSlice makes a tensor of T's natural element type holding a copy of data.
func FromSlice[T Elem](data []T, shape ...int) *Tensor {
	if shape == nil {
		shape = []int{len(data)}
	}
	t := New(DTypeOf[T](), shape...)
	if len(data) != t.Len() {
		panic(fmt.Sprintf("tensor: FromSlice: %d values for shape %v", len(data), shape))
	}
	copy(Data[T](t), data)
	return t
}

// Scalar makes a rank-0 tensor holding v.
func Scalar[T Elem](v T) *Tensor { return FromSlice([]T{v}, []int{}...) }

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns the dims. The caller must not modify the slice.
func (t *Tensor) Shape() []int { return t.shape }

// Rank returns the number of dims.
func (t *Tensor) Rank() int { return len(t.shape) }

// Dim returns dim i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// Len returns the number of elements.
func (t *Tensor) Len() int {
	if t.dtype == String {
		return len(t.strs)
	}
	if t.dtype.Size() == 0 {
		return 0
	}
	return len(t.buf) / t.dtype.Size()
}

// Bytes returns the raw buffer (nil for STRING tensors). Writes change t.
func (t *Tensor) Bytes() []byte { return t.buf }

// Strings returns the elements of a STRING tensor. Writes change t.
func (t *Tensor) Strings() []string { return t.strs }

// Float32s is Data[float32](t).
func (t *Tensor) Float32s() []float32 { return Data[float32](t) }

// Float64s is Data[float64](t).
func (t *Tensor) Float64s() []float64 { return Data[float64](t) }

// Int64s is Data[int64](t).
func (t *Tensor) Int64s() []int64 { return Data[int64](t) }

// Int32s is Data[int32](t).
func (t *Tensor) Int32s() []int32 { return Data[int32](t) }

// Bools is Data[bool](t).
func (t *Tensor) Bools() []bool { return Data[bool](t) }

// Reshape returns a tensor with the same elements and a new shape, sharing
// t's storage.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != t.Len() {
		return nil, fmt.Errorf("tensor: cannot reshape %v (%d elements) to %v (%d elements)", t.shape, t.Len(), shape, n)
	}
	return &Tensor{dtype: t.dtype, shape: append([]int{}, shape...), buf: t.buf, strs: t.strs}, nil
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{dtype: t.dtype, shape: append([]int{}, t.shape...)}
	if t.dtype == String {
		c.strs = append([]string{}, t.strs...)
	} else {
		c.buf = alignedBytes(len(t.buf))
		copy(c.buf, t.buf)
	}
	return c
}

// Strides returns row-major strides, in elements, for shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// Float64At returns element i converted to float64 (real part for complex,
// 0/1 for bool, NaN for strings that do not parse).
func (t *Tensor) Float64At(i int) float64 {
	switch t.dtype {
	case Float32:
		return float64(Data[float32](t)[i])
	case Float64:
		return Data[float64](t)[i]
	case Int8, Int4, Int2:
		return float64(Data[int8](t)[i])
	case Uint8, Uint4, Uint2:
		return float64(t.buf[i])
	case Int16:
		return float64(Data[int16](t)[i])
	case Uint16:
		return float64(Data[uint16](t)[i])
	case Int32:
		return float64(Data[int32](t)[i])
	case Uint32:
		return float64(Data[uint32](t)[i])
	case Int64:
		return float64(Data[int64](t)[i])
	case Uint64:
		return float64(Data[uint64](t)[i])
	case Bool:
		if t.buf[i] != 0 {
			return 1
		}
		return 0
	case Float16:
		return float64(Float16ToFloat32(Data[uint16](t)[i]))
	case BFloat16:
		return float64(BFloat16ToFloat32(Data[uint16](t)[i]))
	case Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float8E8M0, Float4E2M1:
		return float64(MinifloatToFloat32(t.dtype, t.buf[i]))
	case Complex64:
		return float64(real(Data[complex64](t)[i]))
	case Complex128:
		return real(Data[complex128](t)[i])
	}
	return math.NaN()
}

// SetFloat64At stores v into element i, converting it to t's type the way
// Cast does (round to nearest even, saturating for float8 kinds; integers
// truncate toward zero).
func (t *Tensor) SetFloat64At(i int, v float64) {
	switch t.dtype {
	case Float32:
		Data[float32](t)[i] = float32(v)
	case Float64:
		Data[float64](t)[i] = v
	case Int8:
		Data[int8](t)[i] = int8(floatToInt(v))
	case Uint8:
		t.buf[i] = uint8(floatToInt(v))
	case Int16:
		Data[int16](t)[i] = int16(floatToInt(v))
	case Uint16:
		Data[uint16](t)[i] = uint16(floatToInt(v))
	case Int32:
		Data[int32](t)[i] = int32(floatToInt(v))
	case Uint32:
		Data[uint32](t)[i] = uint32(floatToInt(v))
	case Int64:
		Data[int64](t)[i] = floatToInt(v)
	case Uint64:
		if v >= 1<<63 {
			Data[uint64](t)[i] = uint64(v)
		} else {
			Data[uint64](t)[i] = uint64(floatToInt(v))
		}
	case Int4, Int2, Uint4, Uint2:
		t.buf[i] = byte(WrapSubByte(t.dtype, floatToInt(v)))
	case Bool:
		if v != 0 {
			t.buf[i] = 1
		} else {
			t.buf[i] = 0
		}
	case Float16:
		Data[uint16](t)[i] = Float32ToFloat16(float32(v))
	case BFloat16:
		Data[uint16](t)[i] = Float32ToBFloat16(float32(v))
	case Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float8E8M0, Float4E2M1:
		t.buf[i] = Float32ToMinifloat(t.dtype, float32(v), true)
	case Complex64:
		Data[complex64](t)[i] = complex(float32(v), 0)
	case Complex128:
		Data[complex128](t)[i] = complex(v, 0)
	}
}

func floatToInt(v float64) int64 {
	if math.IsNaN(v) {
		return 0
	}
	if v >= math.MaxInt64 {
		return math.MinInt64 // what x86 conversion gives, as numpy does
	}
	if v <= math.MinInt64 {
		return math.MinInt64
	}
	return int64(v)
}

// Int64At returns element i as int64 (integers exactly; floats truncated).
func (t *Tensor) Int64At(i int) int64 {
	switch t.dtype {
	case Int64:
		return Data[int64](t)[i]
	case Int32:
		return int64(Data[int32](t)[i])
	case Int16:
		return int64(Data[int16](t)[i])
	case Int8, Int4, Int2:
		return int64(Data[int8](t)[i])
	case Uint8, Uint4, Uint2, Bool:
		return int64(t.buf[i])
	case Uint16:
		return int64(Data[uint16](t)[i])
	case Uint32:
		return int64(Data[uint32](t)[i])
	case Uint64:
		return int64(Data[uint64](t)[i])
	}
	return floatToInt(t.Float64At(i))
}

// SetInt64At stores v into element i, wrapping integers as a C cast does.
func (t *Tensor) SetInt64At(i int, v int64) {
	switch t.dtype {
	case Int64:
		Data[int64](t)[i] = v
	case Int32:
		Data[int32](t)[i] = int32(v)
	case Int16:
		Data[int16](t)[i] = int16(v)
	case Int8:
		Data[int8](t)[i] = int8(v)
	case Uint8:
		t.buf[i] = uint8(v)
	case Uint16:
		Data[uint16](t)[i] = uint16(v)
	case Uint32:
		Data[uint32](t)[i] = uint32(v)
	case Uint64:
		Data[uint64](t)[i] = uint64(v)
	case Int4, Int2, Uint4, Uint2:
		t.buf[i] = byte(WrapSubByte(t.dtype, v))
	default:
		t.SetFloat64At(i, float64(v))
	}
}

// Int64sOf returns the elements of an integer tensor as int64 (for shape
// and index inputs).
func (t *Tensor) Int64sOf() []int64 {
	if t.dtype == Int64 {
		return append([]int64{}, Data[int64](t)...)
	}
	out := make([]int64, t.Len())
	for i := range out {
		out[i] = t.Int64At(i)
	}
	return out
}

// String returns a short description, with up to eight elements.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%v[", t.dtype.Short(), t.shape)
	n := t.Len()
	for i := 0; i < n && i < 8; i++ {
		if i > 0 {
			b.WriteString(" ")
		}
		switch {
		case t.dtype == String:
			fmt.Fprintf(&b, "%q", t.strs[i])
		case t.dtype.IsComplex():
			if t.dtype == Complex64 {
				fmt.Fprint(&b, Data[complex64](t)[i])
			} else {
				fmt.Fprint(&b, Data[complex128](t)[i])
			}
		case t.dtype.IsFloat():
			fmt.Fprintf(&b, "%g", t.Float64At(i))
		default:
			fmt.Fprint(&b, t.Int64At(i))
		}
	}
	if n > 8 {
		b.WriteString(" ...")
	}
	b.WriteString("]")
	return b.String()
}
