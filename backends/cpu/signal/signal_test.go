package signal

import (
	"math"
	"testing"
)

// TestTransformClosedForms checks the DFT against sequences whose
// transforms are known exactly.
func TestTransformClosedForms(t *testing.T) {
	const n = 8
	// A unit impulse transforms to all ones.
	x := make([]complex128, n)
	x[0] = 1
	for k, v := range transform(x, n, n, false) {
		if math.Abs(real(v)-1) > 1e-12 || math.Abs(imag(v)) > 1e-12 {
			t.Fatalf("impulse: bin %d = %v, want 1", k, v)
		}
	}
	// cos(2π·2t/n) has n/2 in bins 2 and n-2 and zero elsewhere.
	for i := range x {
		x[i] = complex(math.Cos(2*math.Pi*2*float64(i)/n), 0)
	}
	for k, v := range transform(x, n, n, false) {
		want := 0.0
		if k == 2 || k == n-2 {
			want = n / 2
		}
		if math.Abs(real(v)-want) > 1e-9 || math.Abs(imag(v)) > 1e-9 {
			t.Fatalf("cosine: bin %d = %v, want %g", k, v, want)
		}
	}
	// The inverse of the forward transform is the identity.
	for i := range x {
		x[i] = complex(float64(i*i%5), float64(i%3))
	}
	back := transform(transform(x, n, n, false), n, n, true)
	for i := range x {
		if d := back[i] - x[i]; math.Hypot(real(d), imag(d)) > 1e-9 {
			t.Fatalf("round trip: element %d = %v, want %v", i, back[i], x[i])
		}
	}
}

// TestHermitian checks that the full spectrum rebuilt from half of it is
// conjugate-symmetric.
func TestHermitian(t *testing.T) {
	half := []complex128{1, complex(2, 3), complex(4, -1), 5}
	full := hermitian(half, 6)
	want := []complex128{1, complex(2, 3), complex(4, -1), 5, complex(4, 1), complex(2, -3)}
	for i := range want {
		if full[i] != want[i] {
			t.Fatalf("element %d = %v, want %v", i, full[i], want[i])
		}
	}
}
