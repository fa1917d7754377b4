package tensor

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Cast converts src to element type to, as the ONNX Cast operator does, and
// returns a new tensor of the same shape. Every pair of types is allowed,
// STRING and complex included.
//
// saturate applies to float8 targets (see Float32ToMinifloat and
// Float32ToE8M0); roundMode ("up", the default when empty, "down" or
// "nearest") to FLOAT8E8M0 targets. The rules, for a source x:
//
//   - float to float: round to nearest even; out of range gives ±inf, or
//     for float8 and float4 what saturate selects (ONNX's tables). DOUBLE goes to BFLOAT16, float8 and float4 through FLOAT, as the ONNX
//     reference does, and to FLOAT16 in one rounding, as numpy does.
//   - float to integer: truncate toward zero. Out of range (undefined in
//     ONNX) follows numpy on x86: NaN, ±inf and values beyond int64 give
//     math.MinInt64, narrower types keep the low bits of the int64 value,
//     UINT64 takes values in [2^63, 2^64) exactly.
//   - float to INT4/UINT4/INT2/UINT2: round to nearest even, then wrap to
//     the type's range (NaN gives 0).
//   - integer to integer: keep the low bits (two's complement); sub-byte
//     targets likewise (200 to INT4 gives -8).
//   - integer to float: one rounding, to nearest even (via FLOAT for the
//     16-, 8- and 4-bit float types).
//   - to BOOL: nonzero (NaN included) is true; from BOOL: 1 and 0.
//   - complex to real: the real part; complex to BOOL: either part nonzero;
//     real to complex: imaginary part zero.
//   - to STRING: as the ONNX reference's astype(str): integers in decimal,
//     BOOL as "True"/"False"; FLOAT16, FLOAT, DOUBLE and complex as numpy's
//     str: the shortest digits that read back to the same value of the
//     source type, positional for 1e-4 <= |x| < 1e3, 1e6 and 1e16
//     respectively ("0.5", "100.0"), scientific otherwise ("1e-08",
//     "1.5e+16"), "inf", "-inf" and "nan", complex as "(1+2j)" or "2j";
//     BFLOAT16, float8 and float4 as ml_dtypes' str, C's %g ("0.100098",
//     "448", "-0").
//   - from STRING: decimal and scientific numbers; "NaN", "INF", "+INF",
//     "-INF" (also "Infinity") in any case; integers are read exactly; to
//     BOOL, "true"/"false" in any case or a number; complex as "1+2j",
//     "(1+2j)", "2j" or a real number. A string that is none of these is
//     an error.
func Cast(src *Tensor, to DType, saturate bool, roundMode string) (*Tensor, error) {
	switch roundMode {
	case "":
		roundMode = "up"
	case "up", "down", "nearest":
	default:
		return nil, fmt.Errorf("tensor: Cast: unknown round_mode %q (want up, down or nearest)", roundMode)
	}
	if !src.dtype.Valid() {
		return nil, fmt.Errorf("tensor: Cast from unknown element type %d", uint8(src.dtype))
	}
	if !to.Valid() {
		return nil, fmt.Errorf("tensor: Cast to unknown element type %d", uint8(to))
	}
	if src.dtype == to {
		return src.Clone(), nil
	}
	dst, err := Alloc(to, src.shape)
	if err != nil {
		return nil, err
	}
	w := castWriter{t: dst, saturate: saturate, roundMode: roundMode}
	n := src.Len()
	switch {
	case to == String:
		strs := dst.strs
		for i := range n {
			strs[i] = formatElem(src, i)
		}
	case src.dtype == String:
		for i, s := range src.strs {
			if err := w.setString(i, s); err != nil {
				return nil, err
			}
		}
	case src.dtype.IsComplex():
		for i := range n {
			w.setComplex(i, complexAt(src, i))
		}
	case src.dtype == Uint64:
		for i, v := range Data[uint64](src) {
			w.setUint(i, v)
		}
	case src.dtype == Bool:
		for i, b := range src.buf {
			w.setInt(i, int64(boolByte(b != 0)))
		}
	case src.dtype.IsInt():
		for i := range n {
			w.setInt(i, src.Int64At(i))
		}
	default: // real floats; exact in float64
		for i := range n {
			w.setFloat(i, src.Float64At(i))
		}
	}
	return dst, nil
}

func complexAt(t *Tensor, i int) complex128 {
	if t.dtype == Complex64 {
		return complex128(Data[complex64](t)[i])
	}
	return Data[complex128](t)[i]
}

// castWriter stores converted values into a tensor of any non-STRING type.
type castWriter struct {
	t         *Tensor
	saturate  bool
	roundMode string
}

// setFloat stores a real floating-point value.
func (w *castWriter) setFloat(i int, v float64) {
	t := w.t
	switch t.dtype {
	case Float32:
		Data[float32](t)[i] = float32(v)
	case Float64:
		Data[float64](t)[i] = v
	case Float16:
		Data[uint16](t)[i] = float64ToFloat16(v)
	case BFloat16:
		Data[uint16](t)[i] = Float32ToBFloat16(float32(v))
	case Float8E8M0:
		t.buf[i] = Float32ToE8M0(float32(v), w.saturate, w.roundMode)
	case Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float4E2M1:
		t.buf[i] = Float32ToMinifloat(t.dtype, float32(v), w.saturate)
	case Complex64:
		Data[complex64](t)[i] = complex(float32(v), 0)
	case Complex128:
		Data[complex128](t)[i] = complex(v, 0)
	case Bool:
		t.buf[i] = boolByte(v != 0)
	case Int4, Uint4, Int2, Uint2:
		t.buf[i] = byte(roundClampSubByte(t.dtype, v))
	case Uint64:
		if v >= 1<<63 && v < 1<<64 {
			Data[uint64](t)[i] = uint64(v)
		} else {
			Data[uint64](t)[i] = uint64(truncFloat(v))
		}
	default: // the other integer types
		w.setInt(i, truncFloat(v))
	}
}

// setInt stores a signed integer (or a bool as 0/1).
func (w *castWriter) setInt(i int, v int64) {
	t := w.t
	switch t.dtype {
	case Int64:
		Data[int64](t)[i] = v
	case Int32:
		Data[int32](t)[i] = int32(v)
	case Int16:
		Data[int16](t)[i] = int16(v)
	case Int8:
		Data[int8](t)[i] = int8(v)
	case Uint64:
		Data[uint64](t)[i] = uint64(v)
	case Uint32:
		Data[uint32](t)[i] = uint32(v)
	case Uint16:
		Data[uint16](t)[i] = uint16(v)
	case Uint8:
		t.buf[i] = uint8(v)
	case Int4, Uint4, Int2, Uint2:
		t.buf[i] = byte(WrapSubByte(t.dtype, v))
	case Bool:
		t.buf[i] = boolByte(v != 0)
	case Float32:
		Data[float32](t)[i] = float32(v) // one rounding
	case Float64:
		Data[float64](t)[i] = float64(v)
	case Complex64:
		Data[complex64](t)[i] = complex(float32(v), 0)
	case Complex128:
		Data[complex128](t)[i] = complex(float64(v), 0)
	case Float16:
		// Exact in float64 below 2^53; anything larger overflows float16.
		Data[uint16](t)[i] = float64ToFloat16(float64(v))
	default: // bfloat16, float8, float4: through float32
		w.setFloat(i, float64(float32(v)))
	}
}

// setUint stores an unsigned 64-bit integer.
func (w *castWriter) setUint(i int, v uint64) {
	t := w.t
	switch t.dtype {
	case Float32:
		Data[float32](t)[i] = float32(v)
	case Float64:
		Data[float64](t)[i] = float64(v)
	case Complex64:
		Data[complex64](t)[i] = complex(float32(v), 0)
	case Complex128:
		Data[complex128](t)[i] = complex(float64(v), 0)
	case Float16:
		Data[uint16](t)[i] = float64ToFloat16(float64(v))
	case BFloat16, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float8E8M0, Float4E2M1:
		w.setFloat(i, float64(float32(v)))
	default: // integers and bool
		w.setInt(i, int64(v))
	}
}

// setComplex stores a complex value.
func (w *castWriter) setComplex(i int, v complex128) {
	t := w.t
	switch t.dtype {
	case Complex64:
		Data[complex64](t)[i] = complex64(v)
	case Complex128:
		Data[complex128](t)[i] = v
	case Bool:
		t.buf[i] = boolByte(v != 0)
	default:
		w.setFloat(i, real(v))
	}
}

// setString parses s and stores it.
func (w *castWriter) setString(i int, s string) error {
	t := w.t
	s = strings.TrimSpace(s)
	switch {
	case t.dtype.IsComplex():
		c, err := parseComplex(s)
		if err != nil {
			return err
		}
		w.setComplex(i, c)
		return nil
	case t.dtype == Bool:
		switch strings.ToLower(s) {
		case "true":
			t.buf[i] = 1
			return nil
		case "false":
			t.buf[i] = 0
			return nil
		}
	case t.dtype == Float32:
		v, err := parseFloat(s, 32)
		if err != nil {
			return err
		}
		Data[float32](t)[i] = float32(v)
		return nil
	case t.dtype == Uint64:
		if v, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
			w.setUint(i, v)
			return nil
		}
	}
	if t.dtype.IsInt() {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			w.setInt(i, v)
			return nil
		}
	}
	v, err := parseFloat(s, 64)
	if err != nil {
		return err
	}
	w.setFloat(i, v)
	return nil
}

// parseFloat reads a decimal or scientific number, or NaN/INF/+INF/-INF
// (signed NaN too) in any case. Values beyond the range of bitSize give ±inf.
func parseFloat(s string, bitSize int) (float64, error) {
	if body, ok := strings.CutPrefix(s, "-"); ok && strings.EqualFold(body, "nan") {
		return math.Copysign(math.NaN(), -1), nil
	}
	if strings.EqualFold(strings.TrimPrefix(s, "+"), "nan") {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, bitSize)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("tensor: Cast: cannot read %q as a number", s)
	}
	return v, nil
}

// parseComplex reads "a", "bj", "a+bj" or "a-bj", optionally in
// parentheses, as Python's complex() does.
func parseComplex(s string) (complex128, error) {
	bad := fmt.Errorf("tensor: Cast: cannot read %q as a complex number", s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "" {
		return 0, bad
	}
	last := s[len(s)-1]
	if last != 'j' && last != 'J' {
		re, err := parseFloat(s, 64)
		if err != nil {
			return 0, bad
		}
		return complex(re, 0), nil
	}
	body := s[:len(s)-1]
	// Split at the last sign that is not at the start and not part of an
	// exponent.
	split := -1
	for k := len(body) - 1; k > 0; k-- {
		if (body[k] == '+' || body[k] == '-') && body[k-1] != 'e' && body[k-1] != 'E' {
			split = k
			break
		}
	}
	reStr, imStr := "", body
	if split > 0 {
		reStr, imStr = body[:split], body[split:]
	}
	switch imStr {
	case "", "+":
		imStr = "1"
	case "-":
		imStr = "-1"
	}
	im, err := parseFloat(imStr, 64)
	if err != nil {
		return 0, bad
	}
	var re float64
	if reStr != "" {
		if re, err = parseFloat(reStr, 64); err != nil {
			return 0, bad
		}
	}
	return complex(re, im), nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// truncFloat converts v to int64 truncating toward zero; NaN, ±inf and
// values outside the int64 range give math.MinInt64, the "integer
// indefinite" value of x86 conversions that numpy returns.
func truncFloat(v float64) int64 {
	if v >= -(1<<63) && v < 1<<63 {
		return int64(v)
	}
	return math.MinInt64 // NaN fails both comparisons
}

// roundClampSubByte rounds v to the nearest integer (ties to even) and
// wraps it into a 4- or 2-bit integer type as the ONNX reference does for
// casts to those types (its test data maps -9 to 7 for INT4). NaN gives 0.
func roundClampSubByte(dt DType, v float64) int64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return WrapSubByte(dt, int64(math.RoundToEven(v)))
}

// Upper bounds of numpy's positional notation for float str, by type
// (numpy 2.3 and later); the lower bound is 1e-4 for all.
const (
	maxPositional16 = 1e3
	maxPositional32 = 1e6
	maxPositional64 = 1e16
)

// formatElem formats element i of t as numpy's astype(str) does.
func formatElem(t *Tensor, i int) string {
	switch t.dtype {
	case String:
		return t.strs[i]
	case Bool:
		if t.buf[i] != 0 {
			return "True"
		}
		return "False"
	case Uint64:
		return strconv.FormatUint(Data[uint64](t)[i], 10)
	case Complex64:
		c := Data[complex64](t)[i]
		return formatComplex(float64(real(c)), float64(imag(c)), 32)
	case Complex128:
		c := Data[complex128](t)[i]
		return formatComplex(real(c), imag(c), 64)
	}
	if t.dtype.IsInt() {
		return strconv.FormatInt(t.Int64At(i), 10)
	}
	v := t.Float64At(i)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return formatSpecial(v, false)
	}
	switch t.dtype {
	case Float32:
		d, e := shortestDigits(v, 32)
		return formatNumpy(v, d, e, maxPositional32, true, false)
	case Float64:
		d, e := shortestDigits(v, 64)
		return formatNumpy(v, d, e, maxPositional64, true, false)
	case Float16:
		want := Data[uint16](t)[i]
		d, e := shortestSmallDigits(v, func(x float64) bool { return float64ToFloat16(x) == want })
		return formatNumpy(v, d, e, maxPositional16, true, false)
	}
	// BFLOAT16, float8 and float4 are ml_dtypes types in numpy, whose str
	// is C++'s default stream output of the float value: printf's %g.
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// formatSpecial spells NaN and infinities as numpy does; withSign forces a
// '+' on +inf (for the imaginary part of a complex number).
func formatSpecial(v float64, withSign bool) string {
	switch {
	case math.IsNaN(v):
		if withSign {
			return "+nan"
		}
		return "nan"
	case v < 0:
		return "-inf"
	case withSign:
		return "+inf"
	}
	return "inf"
}

// formatComplex follows numpy's str of a complex scalar whose parts are
// floats of bitSize 32 or 64.
func formatComplex(re, im float64, bitSize int) string {
	maxPos := maxPositional64
	if bitSize == 32 {
		maxPos = maxPositional32
	}
	part := func(x float64, withSign bool) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return formatSpecial(x, withSign)
		}
		d, e := shortestDigits(x, bitSize)
		return formatNumpy(x, d, e, maxPos, false, withSign)
	}
	if re == 0 && !math.Signbit(re) {
		return part(im, false) + "j"
	}
	return "(" + part(re, false) + part(im, true) + "j)"
}

// shortestDigits returns the shortest decimal digits d1d2...dn and the
// exponent e such that d1.d2...dn × 10^e reads back to v as a float of
// bitSize 32 or 64. v must be finite.
func shortestDigits(v float64, bitSize int) (string, int) {
	if v == 0 {
		return "0", 0
	}
	s := strconv.FormatFloat(math.Abs(v), 'e', -1, bitSize)
	return splitE(s)
}

// splitE splits strconv's "d.ddde±xx" form into digits and exponent.
func splitE(s string) (string, int) {
	k := strings.IndexByte(s, 'e')
	mant, expStr := s[:k], s[k+1:]
	exp, _ := strconv.Atoi(expStr)
	return strings.Replace(mant, ".", "", 1), exp
}

// shortestSmallDigits is shortestDigits for a type narrower than float32,
// given a test of whether a value rounds to v in that type: it looks for the
// fewest significant digits that round-trip, taking the closest to v when
// several do.
func shortestSmallDigits(v float64, roundTrips func(float64) bool) (string, int) {
	if v == 0 {
		return "0", 0
	}
	a := math.Abs(v)
	for p := 1; p <= 17; p++ {
		digits, exp := splitE(strconv.FormatFloat(a, 'e', p-1, 64))
		m, _ := strconv.ParseInt(digits, 10, 64)
		lo := int64(1)
		for range p - 1 {
			lo *= 10
		}
		bestDiff := math.Inf(1)
		best := int64(-1)
		for _, c := range [3]int64{m, m - 1, m + 1} {
			if c < lo || c >= 10*lo {
				continue
			}
			x, err := strconv.ParseFloat(strconv.FormatInt(c, 10)+"e"+strconv.Itoa(exp-p+1), 64)
			if err != nil {
				continue
			}
			if math.Signbit(v) {
				x = -x
			}
			if !roundTrips(x) {
				continue
			}
			if d := math.Abs(math.Abs(x) - a); d < bestDiff {
				bestDiff, best = d, c
			}
		}
		if best >= 0 {
			return strconv.FormatInt(best, 10), exp
		}
	}
	return shortestDigits(v, 64)
}

// formatNumpy lays out a finite v, given its shortest digits and decimal
// exponent, as numpy does: positional when v is zero or 1e-4 <= |v| <
// maxPos, scientific otherwise. keepZero keeps one zero after the point of an
// integral positional value ("1.0", numpy's float str) rather than dropping
// the point ("1", its complex str). withSign writes '+' before positive
// values.
func formatNumpy(v float64, digits string, exp int, maxPos float64, keepZero, withSign bool) string {
	var b strings.Builder
	if math.Signbit(v) {
		b.WriteByte('-')
	} else if withSign {
		b.WriteByte('+')
	}
	a := math.Abs(v)
	if a == 0 || (a >= 1e-4 && a < maxPos) {
		switch {
		case exp < 0:
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -exp-1))
			b.WriteString(digits)
		case len(digits) > exp+1:
			b.WriteString(digits[:exp+1])
			b.WriteByte('.')
			b.WriteString(digits[exp+1:])
		default:
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", exp+1-len(digits)))
			if keepZero {
				b.WriteString(".0")
			}
		}
		return b.String()
	}
	b.WriteByte(digits[0])
	if len(digits) > 1 {
		b.WriteByte('.')
		b.WriteString(digits[1:])
	}
	b.WriteByte('e')
	if exp < 0 {
		b.WriteByte('-')
		exp = -exp
	} else {
		b.WriteByte('+')
	}
	if exp < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(exp))
	return b.String()
}
