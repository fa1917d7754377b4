package tensor

import (
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func mustCast(t *testing.T, src *Tensor, to DType, saturate bool, mode string) *Tensor {
	t.Helper()
	out, err := Cast(src, to, saturate, mode)
	if err != nil {
		t.Fatalf("Cast(%s, %s): %v", src, to, err)
	}
	if !reflect.DeepEqual(out.Shape(), src.Shape()) {
		t.Fatalf("Cast(%s, %s): shape %v", src, to, out.Shape())
	}
	return out
}

func f32s(v ...float64) *Tensor {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return FromSlice(out)
}

func bytesOf(t *Tensor) []byte { return append([]byte{}, t.Bytes()...) }

func TestCastFloatToMinifloat(t *testing.T) {
	inf := math.Inf(1)
	src := f32s(448, 464, 1000, -inf, 57344, 0.1, math.NaN())
	tests := []struct {
		to   DType
		sat  bool
		want []byte
	}{
		{Float8E4M3FN, true, []byte{0x7e, 0x7e, 0x7e, 0xfe, 0x7e, 0x1d, 0x7f}},
		{Float8E4M3FN, false, []byte{0x7e, 0x7e, 0x7f, 0xff, 0x7f, 0x1d, 0x7f}},
		{Float8E4M3FNUZ, true, []byte{0x7f, 0x7f, 0x7f, 0xff, 0x7f, 0x25, 0x80}},
		{Float8E4M3FNUZ, false, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x25, 0x80}},
		{Float8E5M2, true, []byte{0x5f, 0x5f, 0x64, 0xfb, 0x7b, 0x2e, 0x7f}},
		{Float8E5M2, false, []byte{0x5f, 0x5f, 0x64, 0xfc, 0x7b, 0x2e, 0x7f}},
		{Float8E5M2FNUZ, true, []byte{0x63, 0x63, 0x68, 0xff, 0x7f, 0x32, 0x80}},
		{Float4E2M1, true, []byte{0x7, 0x7, 0x7, 0xf, 0x7, 0x0, 0x8}},
	}
	for _, tc := range tests {
		got := bytesOf(mustCast(t, src, tc.to, tc.sat, ""))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Cast to %s sat=%v = %x, want %x", tc.to, tc.sat, got, tc.want)
		}
	}
}

func TestCastE8M0RoundModes(t *testing.T) {
	src := f32s(1.25, 1.5, 3, 0.75, 1)
	for _, tc := range []struct {
		mode string
		want []byte
	}{
		{"", []byte{128, 128, 129, 127, 127}},
		{"up", []byte{128, 128, 129, 127, 127}},
		{"down", []byte{127, 127, 128, 126, 127}},
		{"nearest", []byte{127, 128, 129, 127, 127}},
	} {
		got := bytesOf(mustCast(t, src, Float8E8M0, true, tc.mode))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("E8M0 %q = %v, want %v", tc.mode, got, tc.want)
		}
	}
	if _, err := Cast(src, Float8E8M0, true, "sideways"); err == nil {
		t.Error("unknown round_mode: no error")
	}
	// E8M0 to float.
	e := New(Float8E8M0, 3)
	copy(e.Bytes(), []byte{127, 130, 255})
	got := mustCast(t, e, Float32, true, "").Float32s()
	if got[0] != 1 || got[1] != 8 || !math.IsNaN(float64(got[2])) {
		t.Errorf("E8M0 to FLOAT = %v", got)
	}
}

func TestCastFloat64Rounding(t *testing.T) {
	p := func(e int) float64 { return math.Ldexp(1, e) }
	// To float16 in one rounding: just above the midpoint of 1 and
	// 1+2^-10 rounds up, where going through float32 would tie to 1.
	x := FromSlice([]float64{1 + p(-11) + p(-40), 1 + p(-11), 70000, -1e-9})
	got := Data[uint16](mustCast(t, x, Float16, true, ""))
	if want := []uint16{0x3c01, 0x3c00, 0x7c00, 0x8000}; !reflect.DeepEqual(got, want) {
		t.Errorf("DOUBLE to FLOAT16 = %#04x, want %#04x", got, want)
	}
	// To float8 through float32: 1 + 2^-4 + 2^-40 becomes the float32
	// midpoint 1 + 2^-4, which ties to even (1.0).
	x = FromSlice([]float64{1 + p(-4) + p(-40), 1 + p(-4) + p(-20)})
	if got := bytesOf(mustCast(t, x, Float8E4M3FN, true, "")); !reflect.DeepEqual(got, []byte{0x38, 0x39}) {
		t.Errorf("DOUBLE to E4M3FN = %x, want 38 39", got)
	}
	// To bfloat16 through float32 as well.
	x = FromSlice([]float64{1 + p(-8) + p(-40)})
	if got := Data[uint16](mustCast(t, x, BFloat16, true, ""))[0]; got != 0x3f80 {
		t.Errorf("DOUBLE to BFLOAT16 = %#04x, want 0x3f80", got)
	}
	// To float32: one rounding, overflow to infinity.
	x = FromSlice([]float64{1e39, -1e39, 0.1, 1e-50})
	f := mustCast(t, x, Float32, true, "").Float32s()
	if !math.IsInf(float64(f[0]), 1) || !math.IsInf(float64(f[1]), -1) || f[2] != float32(0.1) || f[3] != 0 {
		t.Errorf("DOUBLE to FLOAT = %v", f)
	}
	// Float8 to float8 goes through the value.
	e := New(Float8E4M3FN, 2)
	copy(e.Bytes(), []byte{0x7e, 0x38}) // 448, 1
	if got := bytesOf(mustCast(t, e, Float8E4M3FNUZ, true, "")); !reflect.DeepEqual(got, []byte{0x7f, 0x40}) {
		t.Errorf("E4M3FN to E4M3FNUZ saturating = %x", got)
	}
	if got := bytesOf(mustCast(t, e, Float8E4M3FNUZ, false, "")); !reflect.DeepEqual(got, []byte{0x80, 0x40}) {
		t.Errorf("E4M3FN to E4M3FNUZ = %x", got)
	}
	e5 := New(Float8E5M2, 1)
	e5.Bytes()[0] = 0x7c // inf
	if got := bytesOf(mustCast(t, e5, Float8E4M3FN, true, "")); got[0] != 0x7e {
		t.Errorf("E5M2 inf to E4M3FN saturating = %x", got)
	}
}

func TestCastFloatToInt(t *testing.T) {
	src := FromSlice([]float64{2.7, -2.7, 300, -1, math.NaN(), math.Inf(1), 1e20, -0.5})
	tests := []struct {
		to   DType
		want []int64
	}{
		{Int64, []int64{2, -2, 300, -1, math.MinInt64, math.MinInt64, math.MinInt64, 0}},
		{Int32, []int64{2, -2, 300, -1, 0, 0, 0, 0}},
		{Int8, []int64{2, -2, 44, -1, 0, 0, 0, 0}},
		{Uint8, []int64{2, 254, 44, 255, 0, 0, 0, 0}},
		{Uint16, []int64{2, 65534, 300, 65535, 0, 0, 0, 0}},
		{Uint32, []int64{2, 1<<32 - 2, 300, 1<<32 - 1, 0, 0, 0, 0}},
		// float to 4/2-bit: round to nearest even, then keep the low bits
		// (the conformance data casts -9 to INT4 as 7); NaN and ±inf give 0.
		// 300 = 0x12c, so INT4 keeps 0xc = -4 and UINT2 keeps 0.
		{Int4, []int64{3, -3, -4, -1, 0, 0, 0, 0}},
		{Uint4, []int64{3, 13, 12, 15, 0, 0, 0, 0}},
		{Int2, []int64{-1, 1, 0, -1, 0, 0, 0, 0}},
		{Uint2, []int64{3, 1, 0, 3, 0, 0, 0, 0}},
		{Bool, []int64{1, 1, 1, 1, 1, 1, 1, 1}},
	}
	for _, tc := range tests {
		out := mustCast(t, src, tc.to, true, "")
		got := out.Int64sOf()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("DOUBLE to %s = %v, want %v", tc.to, got, tc.want)
		}
	}
	u := Data[uint64](mustCast(t, FromSlice([]float64{1.8e19, -1, 9.3e18, 2e19, 5.9}), Uint64, true, ""))
	if want := []uint64{18000000000000000000, math.MaxUint64, 9300000000000000000, 1 << 63, 5}; !reflect.DeepEqual(u, want) {
		t.Errorf("DOUBLE to UINT64 = %v, want %v", u, want)
	}
	// Ties to even for sub-byte targets.
	got := mustCast(t, f32s(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, -8.6, 6.5), Int4, true, "").Int64sOf()
	if want := []int64{0, 2, 2, 0, -2, -2, 7, 6}; !reflect.DeepEqual(got, want) {
		t.Errorf("FLOAT to INT4 = %v, want %v", got, want)
	}
	b := mustCast(t, f32s(0, math.Copysign(0, -1), 0.1, math.NaN()), Bool, true, "").Bools()
	if want := []bool{false, false, true, true}; !reflect.DeepEqual(b, want) {
		t.Errorf("FLOAT to BOOL = %v, want %v", b, want)
	}
}

func TestCastIntegers(t *testing.T) {
	// Integer to integer keeps the low bits (the spec's example: 200 as
	// int16 is -56 as int8).
	src := FromSlice([]int16{200, -1, 7, -9, 36, 0})
	tests := []struct {
		to   DType
		want []int64
	}{
		{Int8, []int64{-56, -1, 7, -9, 36, 0}},
		{Uint8, []int64{200, 255, 7, 247, 36, 0}},
		{Uint32, []int64{200, 1<<32 - 1, 7, 1<<32 - 9, 36, 0}},
		{Int64, []int64{200, -1, 7, -9, 36, 0}},
		{Int4, []int64{-8, -1, 7, 7, 4, 0}},
		{Uint4, []int64{8, 15, 7, 7, 4, 0}},
		{Int2, []int64{0, -1, -1, -1, 0, 0}},
		{Uint2, []int64{0, 3, 3, 3, 0, 0}},
		{Bool, []int64{1, 1, 1, 1, 1, 0}},
	}
	for _, tc := range tests {
		if got := mustCast(t, src, tc.to, true, "").Int64sOf(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("INT16 to %s = %v, want %v", tc.to, got, tc.want)
		}
	}
	u64 := FromSlice([]uint64{math.MaxUint64, 1 << 63, 5})
	if got := mustCast(t, u64, Int64, true, "").Int64s(); !reflect.DeepEqual(got, []int64{-1, math.MinInt64, 5}) {
		t.Errorf("UINT64 to INT64 = %v", got)
	}
	i64 := FromSlice([]int64{-1, math.MinInt64})
	if got := Data[uint64](mustCast(t, i64, Uint64, true, "")); !reflect.DeepEqual(got, []uint64{math.MaxUint64, 1 << 63}) {
		t.Errorf("INT64 to UINT64 = %v", got)
	}
	// Exact large integers are not routed through float64.
	big := FromSlice([]int64{math.MaxInt64, math.MinInt64 + 1})
	if got := mustCast(t, big, Int64, true, "").Int64s(); !reflect.DeepEqual(got, []int64{math.MaxInt64, math.MinInt64 + 1}) {
		t.Errorf("INT64 copy = %v", got)
	}
	if got := Data[uint64](mustCast(t, FromSlice([]int64{math.MaxInt64}), Uint64, true, "")); got[0] != math.MaxInt64 {
		t.Errorf("INT64 max to UINT64 = %d", got[0])
	}
	if got := mustCast(t, FromSlice([]uint64{math.MaxUint64 - 1}), Uint64, true, ""); Data[uint64](got)[0] != math.MaxUint64-1 {
		t.Errorf("UINT64 clone = %v", got)
	}
	// Bool to numbers.
	bs := FromSlice([]bool{true, false})
	if got := mustCast(t, bs, Float32, true, "").Float32s(); !reflect.DeepEqual(got, []float32{1, 0}) {
		t.Errorf("BOOL to FLOAT = %v", got)
	}
	if got := mustCast(t, bs, Int4, true, "").Int64sOf(); !reflect.DeepEqual(got, []int64{1, 0}) {
		t.Errorf("BOOL to INT4 = %v", got)
	}
}

func TestCastIntToFloat(t *testing.T) {
	p := func(e int) float64 { return math.Ldexp(1, e) }
	// One rounding from the integer: 2^62 + 2^38 + 1 is just above the
	// midpoint of two float32 values (spacing 2^39), so it rounds up;
	// through float64 it would tie and round to even (down).
	i := FromSlice([]int64{1<<62 + 1<<38 + 1, 1<<53 + 1, -(1 << 24) - 1, 16777217})
	f := mustCast(t, i, Float32, true, "").Float32s()
	if want := []float32{float32(p(62) + p(39)), float32(p(53)), -16777216, 16777216}; !reflect.DeepEqual(f, want) {
		t.Errorf("INT64 to FLOAT = %v, want %v", f, want)
	}
	d := mustCast(t, i, Float64, true, "").Float64s()
	if want := []float64{p(62) + p(38), p(53), -16777217, 16777217}; !reflect.DeepEqual(d, want) {
		t.Errorf("INT64 to DOUBLE = %v, want %v", d, want)
	}
	u := FromSlice([]uint64{math.MaxUint64, 1<<63 + 1<<39 + 1, 1 << 63})
	f = mustCast(t, u, Float32, true, "").Float32s()
	if want := []float32{float32(p(64)), float32(p(63) + p(40)), float32(p(63))}; !reflect.DeepEqual(f, want) {
		t.Errorf("UINT64 to FLOAT = %v, want %v", f, want)
	}
	d = mustCast(t, u, Float64, true, "").Float64s()
	if want := []float64{p(64), p(63) + p(39), p(63)}; !reflect.DeepEqual(d, want) {
		t.Errorf("UINT64 to DOUBLE = %v, want %v", d, want)
	}
	h := Data[uint16](mustCast(t, FromSlice([]int32{2049, 2051, 70000, -3, 65504, 65520}), Float16, true, ""))
	if want := []uint16{0x6800, 0x6802, 0x7c00, 0xc200, 0x7bff, 0x7c00}; !reflect.DeepEqual(h, want) {
		t.Errorf("INT32 to FLOAT16 = %#04x, want %#04x", h, want)
	}
	e := bytesOf(mustCast(t, FromSlice([]int32{448, 1000, -3, 17}), Float8E4M3FN, false, ""))
	if want := []byte{0x7e, 0x7f, 0xc4, 0x58}; !reflect.DeepEqual(e, want) {
		t.Errorf("INT32 to E4M3FN = %x, want %x", e, want)
	}
	c := Data[complex64](mustCast(t, FromSlice([]int64{3, 1<<62 + 1<<38 + 1}), Complex64, true, ""))
	if want := []complex64{3, complex(float32(p(62)+p(39)), 0)}; !reflect.DeepEqual(c, want) {
		t.Errorf("INT64 to COMPLEX64 = %v, want %v", c, want)
	}
}

func TestCastComplex(t *testing.T) {
	c := FromSlice([]complex128{1.5 + 2i, 0 + 1i, 0, -3.7 - 1i})
	if got := mustCast(t, c, Float64, true, "").Float64s(); !reflect.DeepEqual(got, []float64{1.5, 0, 0, -3.7}) {
		t.Errorf("COMPLEX128 to DOUBLE = %v", got)
	}
	if got := mustCast(t, c, Bool, true, "").Bools(); !reflect.DeepEqual(got, []bool{true, true, false, true}) {
		t.Errorf("COMPLEX128 to BOOL = %v", got)
	}
	if got := mustCast(t, c, Int32, true, "").Int64sOf(); !reflect.DeepEqual(got, []int64{1, 0, 0, -3}) {
		t.Errorf("COMPLEX128 to INT32 = %v", got)
	}
	if got := Data[complex64](mustCast(t, c, Complex64, true, "")); !reflect.DeepEqual(got, []complex64{1.5 + 2i, 1i, 0, -3.7 - 1i}) {
		t.Errorf("COMPLEX128 to COMPLEX64 = %v", got)
	}
	if got := Data[complex128](mustCast(t, f32s(0.5, -2), Complex128, true, "")); !reflect.DeepEqual(got, []complex128{0.5, -2}) {
		t.Errorf("FLOAT to COMPLEX128 = %v", got)
	}
}

func TestCastToString(t *testing.T) {
	negZero := math.Copysign(0, -1)
	tests := []struct {
		name string
		src  *Tensor
		want []string
	}{
		// numpy 2.3+: positional for 1e-4 <= |x| < 1e6 for float32
		// (test_scalarprint.py's cases included).
		{"float32", f32s(0.5, 1e-8, math.Inf(1), math.Inf(-1), math.NaN(), 1, 100, 0.1,
			123456789, 1e16, 1e-4, negZero, math.MaxFloat32, 1.5e-5, 3.14159, 1e15, 0.001,
			999999, -1000000, 0.000099, -0.000100001),
			[]string{"0.5", "1e-08", "inf", "-inf", "nan", "1.0", "100.0", "0.1",
				"1.2345679e+08", "1e+16", "1e-04", "-0.0", "3.4028235e+38", "1.5e-05", "3.14159", "1e+15", "0.001",
				"999999.0", "-1e+06", "9.9e-05", "-0.000100001"}},
		{"float64", FromSlice([]float64{0.1, 1e16, 9999999999999998, 1e-4, 0.30000000000000004, 1e100, 5e-324, -2.5, 123456789}),
			[]string{"0.1", "1e+16", "9999999999999998.0", "0.0001", "0.30000000000000004", "1e+100", "5e-324", "-2.5", "123456789.0"}},
		{"int64", FromSlice([]int64{-5, math.MaxInt64, 0}), []string{"-5", "9223372036854775807", "0"}},
		{"uint64", FromSlice([]uint64{math.MaxUint64}), []string{"18446744073709551615"}},
		{"uint8", FromSlice([]uint8{255}), []string{"255"}},
		{"bool", FromSlice([]bool{true, false}), []string{"True", "False"}},
		{"complex128", FromSlice([]complex128{1 + 2i, 2i, 0, complex(negZero, 1), 1 - 2i, 1.5 + 0.5i,
			1e20 + 1i, complex(math.NaN(), math.Inf(1)), complex(1, math.NaN()), complex(0, math.Inf(-1)), complex(1, negZero)}),
			[]string{"(1+2j)", "2j", "0j", "(-0+1j)", "(1-2j)", "(1.5+0.5j)", "(1e+20+1j)", "(nan+infj)", "(1+nanj)", "-infj", "(1-0j)"}},
		{"complex64", FromSlice([]complex64{0.1 + 0.2i, 1e6 + 999999i}), []string{"(0.1+0.2j)", "(1e+06+999999j)"}},
	}
	for _, tc := range tests {
		got := mustCast(t, tc.src, String, true, "").Strings()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s to STRING = %q, want %q", tc.name, got, tc.want)
		}
	}
	// Small float types print their own shortest form.
	// float16: positional below 1e3.
	h := New(Float16, 10)
	copy(Data[uint16](h), []uint16{0x2e66, 0x7bff, 0x3555, 0x0001, 0x3c00, 0xfc00,
		Float32ToFloat16(999), Float32ToFloat16(-1000), Float32ToFloat16(0.0001), Float32ToFloat16(-0.000099)})
	if got := mustCast(t, h, String, true, "").Strings(); !reflect.DeepEqual(got, []string{"0.1", "6.55e+04", "0.3333", "6e-08", "1.0", "-inf",
		"999.0", "-1e+03", "0.0001", "-9.9e-05"}) {
		t.Errorf("FLOAT16 to STRING = %q", got)
	}
	// ml_dtypes types print as C's %g.
	bf := New(BFloat16, 3)
	copy(Data[uint16](bf), []uint16{0x3dcd, 0x4049, 0x4b00 | 0x7f})
	if got := mustCast(t, bf, String, true, "").Strings(); !reflect.DeepEqual(got, []string{"0.100098", "3.14062", "1.67117e+07"}) {
		t.Errorf("BFLOAT16 to STRING = %q", got)
	}
	for _, tc := range []struct {
		dt   DType
		code []byte
		want []string
	}{
		{Float8E4M3FN, []byte{0x7e, 0x1d, 0x80, 0x7f, 0x01, 0xff}, []string{"448", "0.101562", "-0", "nan", "0.00195312", "nan"}},
		{Float8E5M2, []byte{0x7c, 0x7b, 0xfc}, []string{"inf", "57344", "-inf"}},
		{Float8E4M3FNUZ, []byte{0x80, 0x7f}, []string{"nan", "240"}},
		{Float8E8M0, []byte{0, 127, 128, 255}, []string{"5.87747e-39", "1", "2", "nan"}},
		{Float4E2M1, []byte{0x7, 0x8, 0x9, 0x3}, []string{"6", "-0", "-0.5", "1.5"}},
	} {
		src := New(tc.dt, len(tc.code))
		copy(src.Bytes(), tc.code)
		if got := mustCast(t, src, String, true, "").Strings(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s to STRING = %q, want %q", tc.dt, got, tc.want)
		}
	}
}

func strs(s ...string) *Tensor {
	t, err := FromStrings([]int{len(s)}, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCastFromString(t *testing.T) {
	src := strs("3.14", "1e-5", "1E8", "+INF", "inf", "-Inf", "NaN", "nan", " 100.5 ", "1e39", "-0", "INFINITY")
	f := mustCast(t, src, Float32, true, "").Float32s()
	want := []float32{3.14, 1e-5, 1e8, float32(math.Inf(1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), float32(math.NaN()), 100.5, float32(math.Inf(1)), float32(math.Copysign(0, -1)), float32(math.Inf(1))}
	for i := range want {
		if !sameFloat(float64(f[i]), float64(want[i])) {
			t.Errorf("%q to FLOAT = %g, want %g", src.Strings()[i], f[i], want[i])
		}
	}
	d := mustCast(t, strs("0.1", "1e-320", "-1.5E+3"), Float64, true, "").Float64s()
	if !reflect.DeepEqual(d, []float64{0.1, 1e-320, -1500}) {
		t.Errorf("to DOUBLE = %v", d)
	}
	i := mustCast(t, strs("1000", "-7", "100.5", "9223372036854775807", "+12", "1e3"), Int64, true, "").Int64s()
	if !reflect.DeepEqual(i, []int64{1000, -7, 100, math.MaxInt64, 12, 1000}) {
		t.Errorf("to INT64 = %v", i)
	}
	if u := Data[uint64](mustCast(t, strs("18446744073709551615", "-1", "+3"), Uint64, true, "")); !reflect.DeepEqual(u, []uint64{math.MaxUint64, math.MaxUint64, 3}) {
		t.Errorf("to UINT64 = %v", u)
	}
	if i8 := mustCast(t, strs("300", "-129", "2.9"), Int8, true, "").Int64sOf(); !reflect.DeepEqual(i8, []int64{44, 127, 2}) {
		t.Errorf("to INT8 = %v", i8)
	}
	if i4 := mustCast(t, strs("9", "2.5", "100.0"), Int4, true, "").Int64sOf(); !reflect.DeepEqual(i4, []int64{-7, 2, 4}) {
		t.Errorf("to INT4 = %v", i4)
	}
	if b := mustCast(t, strs("true", "False", "0", "2.5", "TRUE", "0.0"), Bool, true, "").Bools(); !reflect.DeepEqual(b, []bool{true, false, false, true, true, false}) {
		t.Errorf("to BOOL = %v", b)
	}
	if e := bytesOf(mustCast(t, strs("448", "1000", "-inf"), Float8E4M3FN, true, "")); !reflect.DeepEqual(e, []byte{0x7e, 0x7e, 0xfe}) {
		t.Errorf("to E4M3FN = %x", e)
	}
	if h := Data[uint16](mustCast(t, strs("0.1", "65520"), Float16, true, "")); !reflect.DeepEqual(h, []uint16{0x2e66, 0x7c00}) {
		t.Errorf("to FLOAT16 = %#04x", h)
	}
	c := Data[complex128](mustCast(t, strs("1+2j", "(1-2j)", "2j", "-j", "3", "1e-3+1e+2j", "(-1.5e2-0.5J)", "nan+infj"), Complex128, true, ""))
	wantC := []complex128{1 + 2i, 1 - 2i, 2i, -1i, 3, 0.001 + 100i, -150 - 0.5i}
	if !reflect.DeepEqual(c[:7], wantC) || !math.IsNaN(real(c[7])) || !math.IsInf(imag(c[7]), 1) {
		t.Errorf("to COMPLEX128 = %v, want %v", c, wantC)
	}
	for _, bad := range []struct {
		s  string
		to DType
	}{{"hello", Float32}, {"", Int32}, {"1.2.3", Float64}, {"abc", Bool}, {"1+2k", Complex64}, {"(", Complex128}, {"j", Uint8}} {
		if _, err := Cast(strs(bad.s), bad.to, true, ""); err == nil {
			t.Errorf("%q to %s: no error", bad.s, bad.to)
		}
	}
}

// Every type holds 1: casting it to any other type and back gives 1
// (STRING included).
func TestCastAllPairsOne(t *testing.T) {
	one := func(dt DType) *Tensor {
		if dt == String {
			return strs("1")
		}
		out, err := Cast(FromSlice([]int64{1}), dt, true, "")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	isOne := func(x *Tensor) bool {
		switch x.DType() {
		case String:
			return x.Strings()[0] == "1"
		case Complex64:
			return Data[complex64](x)[0] == 1
		case Complex128:
			return Data[complex128](x)[0] == 1
		}
		return x.Float64At(0) == 1
	}
	for from := Float32; from <= MaxDType; from++ {
		src := one(from)
		if !isOne(src) {
			t.Fatalf("1 as %s = %v", from, src)
		}
		for to := Float32; to <= MaxDType; to++ {
			mid, err := Cast(src, to, true, "")
			if err != nil {
				t.Errorf("%s to %s: %v", from, to, err)
				continue
			}
			if to == String {
				s := mid.Strings()[0]
				if s != "1" && s != "1.0" && s != "True" && s != "(1+0j)" {
					t.Errorf("1 as %s to STRING = %q", from, s)
				}
			} else if !isOne(mid) {
				t.Errorf("1 as %s to %s = %v", from, to, mid)
			}
			back, err := Cast(mid, from, true, "")
			if err != nil {
				t.Errorf("%s back to %s: %v", to, from, err)
				continue
			}
			if !isOne(back) && !(from == String && to != String) {
				t.Errorf("1 as %s to %s and back = %v", from, to, back)
			}
		}
	}
}

func TestCastMisc(t *testing.T) {
	src := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	same := mustCast(t, src, Float32, true, "")
	same.Float32s()[0] = 9
	if src.Float32s()[0] != 1 {
		t.Error("Cast to the same type shares the buffer")
	}
	out := mustCast(t, src, Int8, true, "")
	if !reflect.DeepEqual(out.Shape(), []int{2, 3}) || out.DType() != Int8 {
		t.Errorf("Cast shape/type = %v %s", out.Shape(), out.DType())
	}
	if _, err := Cast(src, Undefined, true, ""); err == nil {
		t.Error("Cast to UNDEFINED: no error")
	}
	if _, err := Cast(src, DType(200), true, ""); err == nil {
		t.Error("Cast to DType(200): no error")
	}
	empty := New(Float32, 0, 3)
	if got := mustCast(t, empty, String, true, ""); got.Len() != 0 {
		t.Errorf("empty cast has %d elements", got.Len())
	}
	sc := mustCast(t, Scalar(float32(2.5)), String, true, "")
	if sc.Rank() != 0 || sc.Strings()[0] != "2.5" {
		t.Errorf("scalar to STRING = %v", sc)
	}
	if s := mustCast(t, strs("a", "b"), String, true, ""); !reflect.DeepEqual(s.Strings(), []string{"a", "b"}) {
		t.Errorf("STRING clone = %v", s)
	}
	if !strings.Contains(formatNumpy(1e-5, "1", -5, 1e16, true, false), "e-05") {
		t.Error("formatNumpy small")
	}
}

// Casting to STRING and back gives the same value for every float16,
// bfloat16, float8 and float4 code, and for random float32 and float64.
func TestCastStringRoundTrip(t *testing.T) {
	check := func(src *Tensor, mode string) {
		t.Helper()
		s := mustCast(t, src, String, true, "")
		back := mustCast(t, s, src.DType(), false, mode)
		for i := range src.Len() {
			a, b := src.Float64At(i), back.Float64At(i)
			if !sameFloat(a, b) {
				t.Fatalf("%s: %g -> %q -> %g", src.DType(), a, s.Strings()[i], b)
			}
		}
	}
	h := New(Float16, 1<<16)
	bf := New(BFloat16, 1<<16)
	for i := range 1 << 16 {
		Data[uint16](h)[i] = uint16(i)
		Data[uint16](bf)[i] = uint16(i)
	}
	check(h, "")
	check(bf, "")
	for _, dt := range []DType{Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float8E8M0, Float4E2M1} {
		n := 256
		if dt == Float4E2M1 {
			n = 16
		}
		x := New(dt, n)
		for i := range n {
			x.Bytes()[i] = byte(i)
		}
		check(x, "nearest")
	}
	rng := rand.New(rand.NewSource(3))
	f := New(Float32, 20000)
	d := New(Float64, 20000)
	for i := range 20000 {
		f.Float32s()[i] = math.Float32frombits(rng.Uint32())
		d.Float64s()[i] = math.Float64frombits(rng.Uint64())
	}
	check(f, "")
	check(d, "")
	c := New(Complex128, 2000)
	for i := range 2000 {
		Data[complex128](c)[i] = complex(math.Float64frombits(rng.Uint64()), math.Float64frombits(rng.Uint64()))
	}
	s := mustCast(t, c, String, true, "")
	back := Data[complex128](mustCast(t, s, Complex128, true, ""))
	for i, v := range Data[complex128](c) {
		if !sameFloat(real(v), real(back[i])) || !sameFloat(imag(v), imag(back[i])) {
			t.Fatalf("%v -> %q -> %v", v, s.Strings()[i], back[i])
		}
	}
}
