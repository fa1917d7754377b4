package tensor

import "math"

// Minifloats: the float8 kinds (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ, E8M0) and
// float4 (E2M1), as defined by ONNX (docs/technical/float8.md, float4.md and
// the Cast operator). Values are held as their codes, one per byte; float4
// uses the low four bits.
//
// Encoding rounds to nearest, ties to even, on the exact value: the input is
// widened to float64 (exactly), scaled by a power of two (exactly) and the
// scaled value is rounded to an integer, so no step rounds twice.

// miniFormat describes a small binary floating-point format with a sign
// bit, ebits of exponent and mbits of mantissa.
type miniFormat struct {
	mbits     int
	bias      int
	signBit   uint32
	maxMag    uint32 // largest finite magnitude code
	infMag    uint32 // magnitude code of infinity; 0 when the format has none
	nanMag    uint32 // magnitude code written for NaN (sign kept); 0 when none
	uz        bool   // one zero, and NaN is the sign bit alone (FNUZ kinds)
	alwaysSat bool   // no NaN and no infinity: out-of-range values always clamp
}

var (
	fmtE4M3FN   = miniFormat{mbits: 3, bias: 7, signBit: 0x80, maxMag: 0x7e, nanMag: 0x7f}
	fmtE4M3FNUZ = miniFormat{mbits: 3, bias: 8, signBit: 0x80, maxMag: 0x7f, uz: true}
	fmtE5M2     = miniFormat{mbits: 2, bias: 15, signBit: 0x80, maxMag: 0x7b, infMag: 0x7c, nanMag: 0x7f}
	fmtE5M2FNUZ = miniFormat{mbits: 2, bias: 16, signBit: 0x80, maxMag: 0x7f, uz: true}
	fmtE2M1     = miniFormat{mbits: 1, bias: 1, signBit: 0x8, maxMag: 0x7, alwaysSat: true}
	fmtFloat16  = miniFormat{mbits: 10, bias: 15, signBit: 0x8000, maxMag: 0x7bff, infMag: 0x7c00, nanMag: 0x7e00}
)

func miniFormatOf(dt DType) (*miniFormat, bool) {
	switch dt {
	case Float8E4M3FN:
		return &fmtE4M3FN, true
	case Float8E4M3FNUZ:
		return &fmtE4M3FNUZ, true
	case Float8E5M2:
		return &fmtE5M2, true
	case Float8E5M2FNUZ:
		return &fmtE5M2FNUZ, true
	case Float4E2M1:
		return &fmtE2M1, true
	}
	return nil, false
}

// nan returns the NaN code for a NaN whose sign bit is neg.
func (f *miniFormat) nan(neg bool) uint32 {
	switch {
	case f.uz:
		return f.signBit
	case f.nanMag == 0: // float4 has no NaN: the reference writes the sign bit alone (-0)
		return f.signBit
	case neg:
		return f.signBit | f.nanMag
	}
	return f.nanMag
}

// overflow is the code for a value whose rounded magnitude is beyond the
// largest finite one (infinities included).
func (f *miniFormat) overflow(sign uint32, saturate bool) uint32 {
	switch {
	case saturate || f.alwaysSat:
		return sign | f.maxMag
	case f.infMag != 0:
		return sign | f.infMag
	}
	return f.nan(sign != 0)
}

// encode rounds x to the format, to nearest with ties to even.
func (f *miniFormat) encode(x float64, saturate bool) uint32 {
	var sign uint32
	if math.Signbit(x) {
		sign = f.signBit
	}
	if math.IsNaN(x) {
		return f.nan(sign != 0)
	}
	a := math.Abs(x)
	if math.IsInf(a, 0) {
		return f.overflow(sign, saturate)
	}
	var mag uint64
	if a != 0 {
		emin := 1 - f.bias // exponent of the smallest normal value
		_, e := math.Frexp(a)
		e-- // a = 1.xxx × 2^e
		if e < emin {
			// Subnormal range: count multiples of the smallest subnormal.
			mag = uint64(math.RoundToEven(math.Ldexp(a, f.mbits-emin)))
		} else {
			// n in [2^mbits, 2^(mbits+1)]; a carry out of the mantissa
			// lands in the exponent field, as it should.
			n := uint64(math.RoundToEven(math.Ldexp(a, f.mbits-e)))
			mag = uint64(e+f.bias)<<f.mbits + n - 1<<f.mbits
		}
	}
	if mag > uint64(f.maxMag) {
		return f.overflow(sign, saturate)
	}
	if mag == 0 && f.uz {
		return 0 // no negative zero
	}
	return sign | uint32(mag)
}

// decode returns the value of code.
func (f *miniFormat) decode(code uint32) float64 {
	sign := code&f.signBit != 0
	mag := code &^ f.signBit
	switch {
	case f.uz && code == f.signBit:
		return math.NaN()
	case f.infMag != 0 && mag == f.infMag:
		if sign {
			return math.Inf(-1)
		}
		return math.Inf(1)
	case f.infMag != 0 && mag > f.infMag, f.infMag == 0 && f.nanMag != 0 && mag == f.nanMag:
		if sign {
			return math.Copysign(math.NaN(), -1)
		}
		return math.NaN()
	}
	e := int(mag >> f.mbits)
	m := mag & (1<<f.mbits - 1)
	var v float64
	if e == 0 {
		v = math.Ldexp(float64(m), 1-f.bias-f.mbits)
	} else {
		v = math.Ldexp(float64(m|1<<f.mbits), e-f.bias-f.mbits)
	}
	if sign {
		v = -v
	}
	return v
}

// MinifloatToFloat32 decodes one float8 (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ,
// E8M0) or float4 (E2M1, low four bits of code) value. The conversion is
// exact. NaN codes give NaN (negative NaN codes a NaN with the sign bit
// set); other types give NaN.
func MinifloatToFloat32(dt DType, code uint8) float32 {
	if dt == Float8E8M0 {
		switch code {
		case 0xff:
			return float32(math.NaN())
		case 0:
			return math.Float32frombits(0x00400000) // 2^-127, subnormal in float32
		}
		return math.Float32frombits(uint32(code) << 23)
	}
	f, ok := miniFormatOf(dt)
	if !ok {
		return float32(math.NaN())
	}
	if dt == Float4E2M1 {
		code &= 0x0f
	}
	return float32(f.decode(uint32(code)))
}

// Float32ToMinifloat encodes f in the float8/float4 type dt, rounding to
// nearest with ties to even, as ONNX Cast does.
//
// With saturate, finite values whose rounded magnitude exceeds the largest
// finite value, and infinities, become ±max (E4M3FN ±448, E4M3FNUZ ±240,
// E5M2 and E5M2FNUZ ±57344). Without it they become NaN, or ±inf for E5M2.
// NaN stays NaN (0x7f/0xff for E4M3FN and E5M2, keeping the sign; 0x80 for
// the FNUZ kinds, which also have no negative zero). Float4E2M1 has neither
// NaN nor infinity and always saturates: ±inf gives ±6 and NaN gives +6.
// Float8E8M0 rounds up (see Float32ToE8M0). Other types give 0.
func Float32ToMinifloat(dt DType, f float32, saturate bool) uint8 {
	if dt == Float8E8M0 {
		return Float32ToE8M0(f, saturate, "up")
	}
	mf, ok := miniFormatOf(dt)
	if !ok {
		return 0
	}
	return uint8(mf.encode(float64(f), saturate))
}

// Float32ToE8M0 encodes f as FLOAT8E8M0, the unsigned power of two
// 2^(code-127) with code 0xff as NaN. roundMode is the Cast attribute:
// "up" (the default, also used for "" and unknown modes) rounds away from
// zero to the next power of two, "down" toward zero, and "nearest" to the
// nearer power of two with ties (1.5×2^k) going up.
//
// NaN gives 0xff. The sign is ignored (ONNX leaves negative inputs
// unspecified). With saturate, results above 2^127 and infinity give 0xfe,
// and results below 2^-127 and zero give 0x00; without it they give NaN.
func Float32ToE8M0(f float32, saturate bool, roundMode string) uint8 {
	x := math.Abs(float64(f))
	switch {
	case math.IsNaN(x):
		return 0xff
	case math.IsInf(x, 0):
		if saturate {
			return 0xfe
		}
		return 0xff
	case x == 0:
		if saturate {
			return 0
		}
		return 0xff
	}
	fr, e := math.Frexp(x) // x = fr × 2^e, fr in [0.5, 1)
	m := 2 * fr            // x = m × 2^(e-1), m in [1, 2)
	k := e - 1
	switch roundMode {
	case "down":
	case "nearest":
		if m >= 1.5 {
			k++
		}
	default: // "up"
		if m > 1 {
			k++
		}
	}
	code := k + 127
	switch {
	case code > 0xfe:
		if saturate {
			return 0xfe
		}
		return 0xff
	case code < 0:
		if saturate {
			return 0
		}
		return 0xff
	}
	return uint8(code)
}

// float64ToFloat16 narrows x to binary16 bits in one rounding (to nearest,
// ties to even), overflowing to infinity, as numpy's float64 to float16
// cast does.
func float64ToFloat16(x float64) uint16 { return uint16(fmtFloat16.encode(x, false)) }

// WrapSubByte reduces v to the range of a 4- or 2-bit integer type the way a
// C cast does: it keeps the low bits and, for Int4 and Int2, sign-extends
// them (so Int4 gives -8..7, Uint4 0..15, Int2 -2..1, Uint2 0..3). Other
// types return v unchanged.
func WrapSubByte(dt DType, v int64) int64 {
	switch dt {
	case Int4:
		return (v&0xf ^ 0x8) - 0x8
	case Uint4:
		return v & 0xf
	case Int2:
		return (v&0x3 ^ 0x2) - 0x2
	case Uint2:
		return v & 0x3
	}
	return v
}
