package tensor

import (
	"math"
	"testing"
)

var float8Kinds = []DType{Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ}

// specFloat8 evaluates a float8 code with the formulas of ONNX's
// docs/technical/float8.md: exponent bits E, mantissa bits M, bias b;
// E≠0: (-1)^S 2^(E-b) (1 + M/2^m), E=0: (-1)^S 2^(1-b) M/2^m. It reports
// NaN and infinities per the tables there.
func specFloat8(dt DType, code uint8) float64 {
	var mbits, bias int
	switch dt {
	case Float8E4M3FN:
		mbits, bias = 3, 7
		if code&0x7f == 0x7f {
			return math.NaN()
		}
	case Float8E4M3FNUZ:
		mbits, bias = 3, 8
		if code == 0x80 {
			return math.NaN()
		}
	case Float8E5M2:
		mbits, bias = 2, 15
		if code&0x7f == 0x7c {
			return math.Inf(1 - 2*int(code>>7))
		}
		if code&0x7f > 0x7c {
			return math.NaN()
		}
	case Float8E5M2FNUZ:
		mbits, bias = 2, 16
		if code == 0x80 {
			return math.NaN()
		}
	}
	e := int(code&0x7f) >> mbits
	m := float64(int(code) & (1<<mbits - 1))
	frac := m / float64(int(1)<<mbits)
	var v float64
	if e == 0 {
		v = math.Pow(2, float64(1-bias)) * frac
	} else {
		v = math.Pow(2, float64(e-bias)) * (1 + frac)
	}
	if code&0x80 != 0 {
		v = -v
	}
	return v
}

func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b && math.Signbit(a) == math.Signbit(b)
}

func TestFloat8DecodeSpec(t *testing.T) {
	for _, dt := range float8Kinds {
		for c := range 256 {
			want := specFloat8(dt, uint8(c))
			got := float64(MinifloatToFloat32(dt, uint8(c)))
			if !sameFloat(got, want) {
				t.Errorf("%s %#02x: got %g, want %g", dt, c, got, want)
			}
		}
	}
}

func TestFloat8DecodeKnown(t *testing.T) {
	p := func(e int) float64 { return math.Ldexp(1, e) }
	negZero := math.Copysign(0, -1)
	nan := math.NaN()
	tests := []struct {
		dt   DType
		code uint8
		want float64
	}{
		{Float8E4M3FN, 0x00, 0}, {Float8E4M3FN, 0x80, negZero},
		{Float8E4M3FN, 0x01, p(-9)}, {Float8E4M3FN, 0x08, p(-6)},
		{Float8E4M3FN, 0x38, 1}, {Float8E4M3FN, 0x7e, 448}, {Float8E4M3FN, 0xfe, -448},
		{Float8E4M3FN, 0x7f, nan}, {Float8E4M3FN, 0xff, nan},
		{Float8E4M3FNUZ, 0x00, 0}, {Float8E4M3FNUZ, 0x80, nan},
		{Float8E4M3FNUZ, 0x01, p(-10)}, {Float8E4M3FNUZ, 0x40, 1},
		{Float8E4M3FNUZ, 0x7f, 240}, {Float8E4M3FNUZ, 0xff, -240},
		{Float8E5M2, 0x01, p(-16)}, {Float8E5M2, 0x04, p(-14)}, {Float8E5M2, 0x3c, 1},
		{Float8E5M2, 0x7b, 57344}, {Float8E5M2, 0x7c, math.Inf(1)}, {Float8E5M2, 0xfc, math.Inf(-1)},
		{Float8E5M2, 0x7d, nan}, {Float8E5M2, 0x7e, nan}, {Float8E5M2, 0xff, nan},
		{Float8E5M2, 0x80, negZero},
		{Float8E5M2FNUZ, 0x01, p(-17)}, {Float8E5M2FNUZ, 0x40, 1},
		{Float8E5M2FNUZ, 0x7f, 57344}, {Float8E5M2FNUZ, 0xff, -57344}, {Float8E5M2FNUZ, 0x80, nan},
		{Float8E8M0, 0, p(-127)}, {Float8E8M0, 1, p(-126)}, {Float8E8M0, 127, 1},
		{Float8E8M0, 128, 2}, {Float8E8M0, 254, p(127)}, {Float8E8M0, 255, nan},
	}
	for _, tc := range tests {
		if got := float64(MinifloatToFloat32(tc.dt, tc.code)); !sameFloat(got, tc.want) {
			t.Errorf("%s %#02x: got %g, want %g", tc.dt, tc.code, got, tc.want)
		}
	}
	if got := MinifloatToFloat32(Float32, 1); !math.IsNaN(float64(got)) {
		t.Errorf("MinifloatToFloat32(FLOAT) = %g, want NaN", got)
	}
	if got := Float32ToMinifloat(Float32, 1, true); got != 0 {
		t.Errorf("Float32ToMinifloat(FLOAT) = %#02x, want 0", got)
	}
}

func isNaNCode(dt DType, c uint8) bool { return math.IsNaN(float64(MinifloatToFloat32(dt, c))) }

// Every code decodes and encodes back to itself, in both saturation modes,
// except for the cases the ONNX tables say otherwise.
func TestFloat8RoundTripExhaustive(t *testing.T) {
	for _, dt := range float8Kinds {
		for _, sat := range []bool{false, true} {
			for c := range 256 {
				code := uint8(c)
				f := MinifloatToFloat32(dt, code)
				got := Float32ToMinifloat(dt, f, sat)
				want := code
				switch {
				case isNaNCode(dt, code):
					if !isNaNCode(dt, got) {
						t.Errorf("%s sat=%v: NaN %#02x encoded to non-NaN %#02x", dt, sat, code, got)
					}
					if dt == Float8E4M3FN && got != code {
						t.Errorf("%s: NaN %#02x became %#02x", dt, code, got)
					}
					continue
				case math.IsInf(float64(f), 0) && sat:
					want = code&0x80 | 0x7b // inf saturates to ±57344
				}
				if got != want {
					t.Errorf("%s sat=%v: %#02x -> %g -> %#02x, want %#02x", dt, sat, code, f, got, want)
				}
			}
		}
	}
	for _, sat := range []bool{false, true} {
		for _, mode := range []string{"up", "down", "nearest"} {
			for c := range 255 {
				f := MinifloatToFloat32(Float8E8M0, uint8(c))
				if got := Float32ToE8M0(f, sat, mode); got != uint8(c) {
					t.Errorf("E8M0 %s sat=%v: %#02x -> %g -> %#02x", mode, sat, c, f, got)
				}
			}
			if got := Float32ToE8M0(MinifloatToFloat32(Float8E8M0, 0xff), sat, mode); got != 0xff {
				t.Errorf("E8M0 NaN -> %#02x", got)
			}
		}
	}
	for c := range 16 {
		f := MinifloatToFloat32(Float4E2M1, uint8(c))
		for _, sat := range []bool{false, true} {
			if got := Float32ToMinifloat(Float4E2M1, f, sat); got != uint8(c) {
				t.Errorf("E2M1 %#x -> %g -> %#x", c, f, got)
			}
		}
	}
}

// Midpoints between neighbouring codes round to the even code; values just
// off a midpoint round to the nearer code.
func TestFloat8RoundNearestEven(t *testing.T) {
	for _, dt := range append(float8Kinds, Float4E2M1) {
		var top uint8 = 0x7f
		if dt == Float4E2M1 {
			top = 0x7
		}
		for c := uint8(0); c < top; c++ {
			lo := float64(MinifloatToFloat32(dt, c))
			hi := float64(MinifloatToFloat32(dt, c+1))
			if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(hi, 0) {
				continue
			}
			mid := float32((lo + hi) / 2)
			even := c
			if c&1 == 1 {
				even = c + 1
			}
			if got := Float32ToMinifloat(dt, mid, false); got != even {
				t.Errorf("%s midpoint %g: got %#02x, want %#02x", dt, mid, got, even)
			}
			if got := Float32ToMinifloat(dt, math.Nextafter32(mid, 0), false); got != c {
				t.Errorf("%s below %g: got %#02x, want %#02x", dt, mid, got, c)
			}
			if got := Float32ToMinifloat(dt, math.Nextafter32(mid, float32(math.Inf(1))), false); got != c+1 {
				t.Errorf("%s above %g: got %#02x, want %#02x", dt, mid, got, c+1)
			}
			// Negative values mirror, except that FNUZ kinds have no -0.
			negC, negEven := c|0x80, even|0x80
			if dt == Float4E2M1 {
				negC, negEven = c|0x8, even|0x8
			}
			if (dt == Float8E4M3FNUZ || dt == Float8E5M2FNUZ) && even == 0 {
				negEven = 0
			}
			if got := Float32ToMinifloat(dt, -mid, false); got != negEven {
				t.Errorf("%s midpoint %g: got %#02x, want %#02x", dt, -mid, got, negEven)
			}
			if (dt == Float8E4M3FNUZ || dt == Float8E5M2FNUZ) && c == 0 {
				negC = 0
			}
			if got := Float32ToMinifloat(dt, -math.Nextafter32(mid, 0), false); got != negC {
				t.Errorf("%s below %g: got %#02x, want %#02x", dt, -mid, got, negC)
			}
		}
	}
}

func TestFloat8EncodeKnown(t *testing.T) {
	p := func(e int) float32 { return float32(math.Ldexp(1, e)) }
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	negNaN := float32(math.Copysign(math.NaN(), -1))
	negZero := float32(math.Copysign(0, -1))
	tests := []struct {
		dt        DType
		f         float32
		sat, nsat uint8 // with and without saturation
	}{
		// E4M3FN: max 448 = 0x7e; no inf; NaN = S.1111.111.
		{Float8E4M3FN, 448, 0x7e, 0x7e},
		{Float8E4M3FN, -448, 0xfe, 0xfe},
		{Float8E4M3FN, 464, 0x7e, 0x7e}, // midpoint to 480: ties to even (0x7e)
		{Float8E4M3FN, 465, 0x7e, 0x7f},
		{Float8E4M3FN, 480, 0x7e, 0x7f},
		{Float8E4M3FN, 1e9, 0x7e, 0x7f},
		{Float8E4M3FN, -1e9, 0xfe, 0xff},
		{Float8E4M3FN, inf, 0x7e, 0x7f},
		{Float8E4M3FN, -inf, 0xfe, 0xff},
		{Float8E4M3FN, nan, 0x7f, 0x7f},
		{Float8E4M3FN, negNaN, 0xff, 0xff},
		{Float8E4M3FN, 0, 0x00, 0x00},
		{Float8E4M3FN, negZero, 0x80, 0x80},
		{Float8E4M3FN, 1, 0x38, 0x38},
		{Float8E4M3FN, -1.5, 0xbc, 0xbc},
		{Float8E4M3FN, p(-9), 0x01, 0x01},
		{Float8E4M3FN, p(-10), 0x00, 0x00},     // half the smallest subnormal: to even
		{Float8E4M3FN, 3 * p(-10), 0x02, 0x02}, // 1.5 steps: to even
		{Float8E4M3FN, -1e-10, 0x80, 0x80},
		{Float8E4M3FN, 0.1, 0x1d, 0x1d}, // 0.1015625 = 1.625 × 2^-4
		// E4M3FNUZ: max 240 = 0x7f; NaN = 0x80; no -0.
		{Float8E4M3FNUZ, 240, 0x7f, 0x7f},
		{Float8E4M3FNUZ, 247, 0x7f, 0x7f},
		{Float8E4M3FNUZ, 248, 0x7f, 0x80}, // midpoint to 256: ties to even, out of range
		{Float8E4M3FNUZ, 448, 0x7f, 0x80},
		{Float8E4M3FNUZ, -448, 0xff, 0x80},
		{Float8E4M3FNUZ, inf, 0x7f, 0x80},
		{Float8E4M3FNUZ, -inf, 0xff, 0x80},
		{Float8E4M3FNUZ, nan, 0x80, 0x80},
		{Float8E4M3FNUZ, negNaN, 0x80, 0x80},
		{Float8E4M3FNUZ, negZero, 0x00, 0x00},
		{Float8E4M3FNUZ, -1e-10, 0x00, 0x00},
		{Float8E4M3FNUZ, 1, 0x40, 0x40},
		{Float8E4M3FNUZ, -1, 0xc0, 0xc0},
		{Float8E4M3FNUZ, p(-10), 0x01, 0x01},
		// E5M2: max 57344 = 0x7b; inf = 0x7c.
		{Float8E5M2, 57344, 0x7b, 0x7b},
		{Float8E5M2, 61439, 0x7b, 0x7b},
		{Float8E5M2, 61440, 0x7b, 0x7c}, // midpoint to 65536: ties to even, inf
		{Float8E5M2, -1e6, 0xfb, 0xfc},
		{Float8E5M2, inf, 0x7b, 0x7c},
		{Float8E5M2, -inf, 0xfb, 0xfc},
		{Float8E5M2, negZero, 0x80, 0x80},
		{Float8E5M2, 1, 0x3c, 0x3c},
		{Float8E5M2, -2, 0xc0, 0xc0},
		{Float8E5M2, p(-16), 0x01, 0x01},
		{Float8E5M2, p(-17), 0x00, 0x00},
		// E5M2FNUZ: max 57344 = 0x7f; NaN = 0x80.
		{Float8E5M2FNUZ, 57344, 0x7f, 0x7f},
		{Float8E5M2FNUZ, 61440, 0x7f, 0x80},
		{Float8E5M2FNUZ, inf, 0x7f, 0x80},
		{Float8E5M2FNUZ, -inf, 0xff, 0x80},
		{Float8E5M2FNUZ, nan, 0x80, 0x80},
		{Float8E5M2FNUZ, negZero, 0x00, 0x00},
		{Float8E5M2FNUZ, 1, 0x40, 0x40},
		{Float8E5M2FNUZ, p(-17), 0x01, 0x01},
	}
	for _, tc := range tests {
		if got := Float32ToMinifloat(tc.dt, tc.f, true); got != tc.sat {
			t.Errorf("%s(%g, saturate) = %#02x, want %#02x", tc.dt, tc.f, got, tc.sat)
		}
		if got := Float32ToMinifloat(tc.dt, tc.f, false); got != tc.nsat {
			t.Errorf("%s(%g) = %#02x, want %#02x", tc.dt, tc.f, got, tc.nsat)
		}
	}
	for _, dt := range []DType{Float8E5M2} {
		for _, sat := range []bool{false, true} {
			if c := Float32ToMinifloat(dt, nan, sat); !isNaNCode(dt, c) || c&0x80 != 0 {
				t.Errorf("%s(NaN) = %#02x", dt, c)
			}
			if c := Float32ToMinifloat(dt, negNaN, sat); !isNaNCode(dt, c) || c&0x80 == 0 {
				t.Errorf("%s(-NaN) = %#02x", dt, c)
			}
		}
	}
}

// The float4 table of ONNX's docs/technical/float4.md: codes 0-7 are 0,
// 0.5, 1, 1.5, 2, 3, 4, 6, bit 3 the sign; round to nearest even; beyond
// ±6, ±inf clamp to ±6 and NaN gives 6.
func TestFloat4E2M1(t *testing.T) {
	values := []float64{0, 0.5, 1, 1.5, 2, 3, 4, 6}
	for c := range 16 {
		want := values[c&7]
		if c&8 != 0 {
			want = -want
		}
		if got := float64(MinifloatToFloat32(Float4E2M1, uint8(c))); !sameFloat(got, want) {
			t.Errorf("E2M1 %#x = %g, want %g", c, got, want)
		}
		// High bits of the byte are ignored.
		if got := float64(MinifloatToFloat32(Float4E2M1, uint8(c)|0xf0)); !sameFloat(got, want) {
			t.Errorf("E2M1 %#x = %g, want %g", c|0xf0, got, want)
		}
	}
	tests := []struct {
		f    float64
		code uint8
	}{
		{0, 0}, {math.Copysign(0, -1), 0x8},
		{0.1, 0}, {0.25, 0}, {0.26, 1}, {0.5, 1}, {0.74, 1}, {0.75, 2}, {1, 2},
		{1.25, 2}, {1.26, 3}, {1.5, 3}, {1.75, 4}, {2, 4}, {2.5, 4}, {2.6, 5},
		{3, 5}, {3.5, 6}, {4, 6}, {5, 6}, {5.01, 7}, {6, 7}, {7, 7}, {100, 7},
		{math.Inf(1), 7}, {math.Inf(-1), 0xf}, {math.NaN(), 0x8}, // the conformance data casts NaN to -0
		{-0.1, 0x8}, {-1, 0xa}, {-2.5, 0xc}, {-3.5, 0xe}, {-7, 0xf},
	}
	for _, tc := range tests {
		for _, sat := range []bool{false, true} {
			if got := Float32ToMinifloat(Float4E2M1, float32(tc.f), sat); got != tc.code {
				t.Errorf("E2M1(%g, sat=%v) = %#x, want %#x", tc.f, sat, got, tc.code)
			}
		}
	}
}

func TestFloat8E8M0Encode(t *testing.T) {
	p := func(e int) float32 { return float32(math.Ldexp(1, e)) }
	inf := float32(math.Inf(1))
	tests := []struct {
		f                 float32
		up, down, nearest uint8 // saturating
		nsatUp            uint8
	}{
		{1, 127, 127, 127, 127},
		{-1, 127, 127, 127, 127}, // sign ignored
		{2, 128, 128, 128, 128},
		{1.25, 128, 127, 127, 128},
		{1.5, 128, 127, 128, 128}, // tie goes up
		{1.4999999, 128, 127, 127, 128},
		{3, 129, 128, 129, 129},
		{0.75, 127, 126, 127, 127},
		{p(127), 254, 254, 254, 254},
		{1.25 * p(127), 254, 254, 254, 255},
		{math.MaxFloat32, 254, 254, 254, 255},
		{inf, 254, 254, 254, 255},
		{p(-127), 0, 0, 0, 0},
		{p(-126), 1, 1, 1, 1},
		{1.5 * p(-127), 1, 0, 1, 1},
		{0.75 * p(-127), 0, 0, 0, 0}, // below the minimum: up reaches it
		{p(-128), 0, 0, 0, 255},
		{p(-149), 0, 0, 0, 255},
		{0, 0, 0, 0, 255},
	}
	for _, tc := range tests {
		for _, c := range []struct {
			mode string
			want uint8
		}{{"up", tc.up}, {"down", tc.down}, {"nearest", tc.nearest}, {"", tc.up}} {
			if got := Float32ToE8M0(tc.f, true, c.mode); got != c.want {
				t.Errorf("E8M0(%g, %q, saturate) = %d, want %d", tc.f, c.mode, got, c.want)
			}
		}
		if got := Float32ToE8M0(tc.f, false, "up"); got != tc.nsatUp {
			t.Errorf("E8M0(%g, up) = %d, want %d", tc.f, got, tc.nsatUp)
		}
		if got := Float32ToMinifloat(Float8E8M0, tc.f, true); got != tc.up {
			t.Errorf("Float32ToMinifloat(E8M0, %g) = %d, want %d", tc.f, got, tc.up)
		}
	}
	// Without saturation: values below 2^-127 after rounding and zero are NaN.
	for _, tc := range []struct {
		f    float32
		mode string
		want uint8
	}{
		{0.75 * p(-127), "down", 255}, {0.75 * p(-127), "nearest", 0}, {0.7 * p(-127), "nearest", 255},
		{1.25 * p(127), "down", 254}, {1.25 * p(127), "nearest", 254}, {1.5 * p(127), "nearest", 255},
		{float32(math.NaN()), "up", 255}, {0, "nearest", 255},
	} {
		if got := Float32ToE8M0(tc.f, false, tc.mode); got != tc.want {
			t.Errorf("E8M0(%g, %q) = %d, want %d", tc.f, tc.mode, got, tc.want)
		}
	}
	if got := Float32ToE8M0(float32(math.NaN()), true, "up"); got != 255 {
		t.Errorf("E8M0(NaN, saturate) = %d, want 255", got)
	}
}

func TestWrapSubByte(t *testing.T) {
	tests := []struct {
		dt   DType
		v    int64
		want int64
	}{
		{Int4, 0, 0}, {Int4, 7, 7}, {Int4, 8, -8}, {Int4, 15, -1}, {Int4, 16, 0},
		{Int4, -1, -1}, {Int4, -8, -8}, {Int4, -9, 7}, {Int4, 200, -8}, {Int4, math.MinInt64, 0},
		{Uint4, 15, 15}, {Uint4, 16, 0}, {Uint4, -1, 15}, {Uint4, 200, 8},
		{Int2, 1, 1}, {Int2, 2, -2}, {Int2, 3, -1}, {Int2, -2, -2}, {Int2, -3, 1},
		{Uint2, 3, 3}, {Uint2, 4, 0}, {Uint2, -1, 3}, {Uint2, 5, 1},
		{Int8, 300, 300}, {Int64, -5, -5},
	}
	for _, tc := range tests {
		if got := WrapSubByte(tc.dt, tc.v); got != tc.want {
			t.Errorf("WrapSubByte(%s, %d) = %d, want %d", tc.dt, tc.v, got, tc.want)
		}
	}
}
