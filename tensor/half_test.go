package tensor

import (
	"math"
	"testing"
)

func TestFloat16Known(t *testing.T) {
	p := func(e int) float32 { return float32(math.Ldexp(1, e)) }
	tests := []struct {
		f    float32
		bits uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.5, 0x3800},
		{65504, 0x7bff},           // largest finite
		{65519.996, 0x7bff},       // just below the midpoint to 65536
		{65520, 0x7c00},           // midpoint, ties to even: infinity
		{1e6, 0x7c00},             // overflow
		{-1e6, 0xfc00},            // overflow
		{p(-14), 0x0400},          // smallest normal
		{p(-24), 0x0001},          // smallest subnormal
		{p(-25), 0x0000},          // half of it: ties to even, zero
		{p(-25) * 1.0000001, 1},   // just above half
		{3 * p(-25), 0x0002},      // 1.5 subnormal steps: ties to even, 2
		{p(-14) - p(-25), 0x0400}, // rounds up out of the subnormals
		{1 + p(-11), 0x3c00},      // midpoint of 1 and 1+2^-10: even is 1
		{1 + 3*p(-11), 0x3c02},    // midpoint of odd and even: even
		{0.1, 0x2e66},
		{float32(1.0 / 3), 0x3555},
		{float32(math.Inf(1)), 0x7c00},
		{float32(math.Inf(-1)), 0xfc00},
		{p(-30), 0x0000},
		{-p(-30), 0x8000},
	}
	for _, tc := range tests {
		if got := Float32ToFloat16(tc.f); got != tc.bits {
			t.Errorf("Float32ToFloat16(%g) = %#04x, want %#04x", tc.f, got, tc.bits)
		}
		if got := float64ToFloat16(float64(tc.f)); got != tc.bits {
			t.Errorf("float64ToFloat16(%g) = %#04x, want %#04x", tc.f, got, tc.bits)
		}
	}
	for _, tc := range []struct {
		bits uint16
		f    float64
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0400, math.Ldexp(1, -14)},
		{0x0001, math.Ldexp(1, -24)}, {0x03ff, 1023 * math.Ldexp(1, -24)},
		{0x7c00, math.Inf(1)}, {0xfc00, math.Inf(-1)}, {0x3555, 0.333251953125},
	} {
		if got := Float16ToFloat32(tc.bits); float64(got) != tc.f {
			t.Errorf("Float16ToFloat32(%#04x) = %g, want %g", tc.bits, got, tc.f)
		}
	}
	for _, nan := range []float32{float32(math.NaN()), float32(math.Copysign(math.NaN(), -1))} {
		h := Float32ToFloat16(nan)
		if h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
			t.Errorf("Float32ToFloat16(NaN) = %#04x, not a NaN", h)
		}
		if !math.IsNaN(float64(Float16ToFloat32(h))) {
			t.Errorf("Float16ToFloat32(%#04x) is not NaN", h)
		}
	}
	if h := float64ToFloat16(math.NaN()); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("float64ToFloat16(NaN) = %#04x, not a NaN", h)
	}
}

// Every float16 value converts to float32 and back unchanged, and every
// midpoint between neighbours rounds to the even one, while values just
// either side of it round to the nearer one.
func TestFloat16Exhaustive(t *testing.T) {
	for h := range 1 << 16 {
		b := uint16(h)
		f := Float16ToFloat32(b)
		if b&0x7c00 == 0x7c00 && b&0x3ff != 0 {
			if !math.IsNaN(float64(f)) {
				t.Fatalf("%#04x: want NaN, got %g", b, f)
			}
			continue
		}
		if got := Float32ToFloat16(f); got != b {
			t.Fatalf("round trip %#04x -> %g -> %#04x", b, f, got)
		}
		if got := float64ToFloat16(float64(f)); got != b {
			t.Fatalf("float64 round trip %#04x -> %g -> %#04x", b, f, got)
		}
	}
	for h := uint16(0); h < 0x7c00; h++ {
		lo := float64(Float16ToFloat32(h))
		hi := math.Ldexp(1, 16) // the value 0x7c00 would have without infinity
		if h < 0x7bff {
			hi = float64(Float16ToFloat32(h + 1))
		}
		mid := (lo + hi) / 2
		even := h
		if h&1 == 1 {
			even = h + 1
		}
		for _, neg := range []uint16{0, 0x8000} {
			s := 1.0
			if neg != 0 {
				s = -1
			}
			m32 := float32(s * mid)
			if got := Float32ToFloat16(m32); got != even|neg {
				t.Fatalf("midpoint %g: got %#04x, want %#04x", m32, got, even|neg)
			}
			if got := Float32ToFloat16(math.Nextafter32(m32, 0)); got != h|neg {
				t.Fatalf("below midpoint %g: got %#04x, want %#04x", m32, got, h|neg)
			}
			if got := Float32ToFloat16(math.Nextafter32(m32, float32(s*math.Inf(1)))); got != (h+1)|neg {
				t.Fatalf("above midpoint %g: got %#04x, want %#04x", m32, got, (h+1)|neg)
			}
			// float64 inputs are rounded once: a hair above the midpoint,
			// too little for float32 to hold, still rounds away.
			above := s * (mid + math.Ldexp(mid, -40))
			if got := float64ToFloat16(above); got != (h+1)|neg {
				t.Fatalf("float64 above midpoint %g: got %#04x, want %#04x", above, got, (h+1)|neg)
			}
		}
	}
}

func TestBFloat16Known(t *testing.T) {
	tests := []struct {
		f    float32
		bits uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3f80},
		{-2, 0xc000},
		{0.1, 0x3dcd},
		{3.140625, 0x4049},
		{1 + 1.0/256, 0x3f80},             // midpoint, even is 1
		{1 + 3.0/256, 0x3f82},             // midpoint, even is 1+2/128
		{1 + 1.0/256 + 1.0/65536, 0x3f81}, // above midpoint
		{math.MaxFloat32, 0x7f80},         // rounds up to infinity
		{float32(math.Inf(-1)), 0xff80},
		{math.Float32frombits(0x00010000), 0x0001}, // subnormal, exact
		{math.Float32frombits(0x00008000), 0x0000}, // half: ties to even
		{math.Float32frombits(0x00018000), 0x0002}, // 1.5 steps: ties to even
	}
	for _, tc := range tests {
		if got := Float32ToBFloat16(tc.f); got != tc.bits {
			t.Errorf("Float32ToBFloat16(%g) = %#04x, want %#04x", tc.f, got, tc.bits)
		}
	}
	if got := BFloat16ToFloat32(0x3f80); got != 1 {
		t.Errorf("BFloat16ToFloat32(0x3f80) = %g", got)
	}
	if got := BFloat16ToFloat32(0x7f7f); float64(got) != 255*math.Ldexp(1, 120) {
		t.Errorf("BFloat16ToFloat32(0x7f7f) = %g", got)
	}
	for _, bits := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0x7f810000, 0xff800001} {
		h := Float32ToBFloat16(math.Float32frombits(bits))
		if !math.IsNaN(float64(BFloat16ToFloat32(h))) {
			t.Errorf("NaN %#08x became %#04x, not a NaN", bits, h)
		}
		if h>>15 != uint16(bits>>31) {
			t.Errorf("NaN %#08x lost its sign: %#04x", bits, h)
		}
	}
}

func TestBFloat16Exhaustive(t *testing.T) {
	for h := range 1 << 16 {
		b := uint16(h)
		f := BFloat16ToFloat32(b)
		if math.IsNaN(float64(f)) {
			if !math.IsNaN(float64(BFloat16ToFloat32(Float32ToBFloat16(f)))) {
				t.Fatalf("NaN %#04x did not stay NaN", b)
			}
			continue
		}
		if got := Float32ToBFloat16(f); got != b {
			t.Fatalf("round trip %#04x -> %g -> %#04x", b, f, got)
		}
	}
	for h := uint16(0); h < 0x7f80; h++ {
		lo := float64(BFloat16ToFloat32(h))
		hi := float64(BFloat16ToFloat32(h + 1)) // 0x7f80 is inf: handled below
		if h == 0x7f7f {
			hi = math.Ldexp(1, 128)
		}
		mid := float32((lo + hi) / 2)
		even := h
		if h&1 == 1 {
			even = h + 1
		}
		if got := Float32ToBFloat16(mid); got != even {
			t.Fatalf("midpoint %g: got %#04x, want %#04x", mid, got, even)
		}
		if got := Float32ToBFloat16(math.Nextafter32(mid, 0)); got != h {
			t.Fatalf("below midpoint %g: got %#04x, want %#04x", mid, got, h)
		}
		if h < 0x7f7f {
			if got := Float32ToBFloat16(math.Nextafter32(mid, float32(math.Inf(1)))); got != h+1 {
				t.Fatalf("above midpoint %g: got %#04x, want %#04x", mid, got, h+1)
			}
		}
	}
}
