package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

type vecImpl struct {
	name string
	axpy func(alpha float32, x, y []float32)
	dot  func(x, y []float32) float32
}

// vecImpls lists the axpy and dot kernels to check: the ones in use
// (chosen at init) and the pure-Go ones.
func vecImpls() []vecImpl {
	return []vecImpl{{"active", axpyImpl, dotImpl}, {"go", axpyGo, dotGo}}
}

// guarded returns a slice of n random values with guard slots on both
// sides in the same array, and a check that the guards are intact.
func guarded(r *rand.Rand, n int) ([]float32, func() bool) {
	buf := make([]float32, n+8)
	for i := range buf {
		buf[i] = guard
	}
	s := buf[4 : 4+n : 4+n]
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s, func() bool {
		for i := 0; i < 4; i++ {
			if buf[i] != guard || buf[n+4+i] != guard {
				return false
			}
		}
		return true
	}
}

func TestAxpyDot(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, im := range vecImpls() {
		for n := 0; n <= 100; n++ {
			x, _ := guarded(r, n)
			y, ok := guarded(r, n)
			y0 := append([]float32(nil), y...)
			im.axpy(-0.75, x, y)
			if !ok() {
				t.Fatalf("%s: axpy of %d wrote out of bounds", im.name, n)
			}
			var want, mag float64
			for i := range y {
				w := float64(y0[i]) + -0.75*float64(x[i])
				if d := math.Abs(float64(y[i]) - w); d > tol(1, math.Abs(float64(y0[i]))+math.Abs(0.75*float64(x[i]))) {
					t.Fatalf("%s: axpy n=%d y[%d] = %g, want %g", im.name, n, i, y[i], w)
				}
				want += float64(x[i]) * float64(y[i])
				mag += math.Abs(float64(x[i]) * float64(y[i]))
			}
			got := im.dot(x, y)
			if d := math.Abs(float64(got) - want); d > tol(n, mag) {
				t.Fatalf("%s: dot n=%d = %g, want %g", im.name, n, got, want)
			}
		}
	}
}

func TestElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for n := 0; n <= 40; n++ {
		x, _ := guarded(r, n)
		y, _ := guarded(r, n)
		if n > 2 {
			x[1] = float32(math.NaN())
			x[2] = float32(math.Inf(-1))
		}
		d, ok := guarded(r, n)
		check := func(op string, want func(i int) float32) {
			t.Helper()
			if !ok() {
				t.Fatalf("%s n=%d: wrote out of bounds", op, n)
			}
			for i := range d {
				w := want(i)
				if d[i] != w && !(d[i] != d[i] && w != w) {
					t.Fatalf("%s n=%d: [%d] = %g, want %g", op, n, i, d[i], w)
				}
			}
		}
		Add(d, x, y)
		check("Add", func(i int) float32 { return x[i] + y[i] })
		Mul(d, x, y)
		check("Mul", func(i int) float32 { return x[i] * y[i] })
		Relu(d, x)
		check("Relu", func(i int) float32 {
			if x[i] < 0 {
				return 0
			}
			return x[i]
		})
	}
}

// ulps returns the distance between a and b in units of the last place.
func ulps(a, b float32) float64 {
	if a == b {
		return 0
	}
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if ia < 0 || ib < 0 || (a < 0) != (b < 0) {
		return math.Inf(1)
	}
	return math.Abs(float64(ia - ib))
}

func TestExp(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	xs := []float32{0, -0, 1, -1, 0.5, 88, 88.7, 89, -86, -87, -100, -104, -200, 200,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-30, -1e-30}
	for i := 0; i < 20000; i++ {
		xs = append(xs, float32(r.Float64()*200-100))
	}
	got := make([]float32, len(xs))
	Exp(got, xs)
	for i, x := range xs {
		want := float32(math.Exp(float64(x)))
		if want != want {
			if got[i] == got[i] {
				t.Errorf("exp(%g) = %g, want NaN", x, got[i])
			}
			continue
		}
		if u := ulps(got[i], want); u > 1 {
			t.Errorf("exp(%g) = %g, want %g (%g ulp)", x, got[i], want, u)
		}
	}
}

func TestSoftmaxRows(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, sh := range [][2]int{{0, 3}, {1, 1}, {3, 7}, {2, 33}, {4, 0}} {
		rows, cols := sh[0], sh[1]
		x := randFloats(r, rows*cols)
		for i := range x {
			x[i] *= 10
		}
		d, ok := guarded(r, rows*cols)
		SoftmaxRows(d, x, rows, cols)
		if !ok() {
			t.Fatalf("%v: wrote out of bounds", sh)
		}
		for ri := 0; ri < rows; ri++ {
			m := math.Inf(-1)
			for _, v := range x[ri*cols : (ri+1)*cols] {
				m = math.Max(m, float64(v))
			}
			s := 0.0
			for _, v := range x[ri*cols : (ri+1)*cols] {
				s += math.Exp(float64(v) - m)
			}
			for j := 0; j < cols; j++ {
				w := math.Exp(float64(x[ri*cols+j])-m) / s
				// x−max rounds to float32 first, then exp and the sum.
				rel := 1e-6 + math.Abs(float64(x[ri*cols+j])-m)*0x1p-23
				if g := float64(d[ri*cols+j]); math.Abs(g-w) > rel*w+1e-30 {
					t.Fatalf("%v: [%d,%d] = %g, want %g", sh, ri, j, g, w)
				}
			}
		}
	}
	// In place.
	x := []float32{1, 2, 3}
	SoftmaxRows(x, x, 1, 3)
	if s := x[0] + x[1] + x[2]; math.Abs(float64(s)-1) > 1e-6 || !(x[0] < x[1] && x[1] < x[2]) {
		t.Errorf("in place: %v", x)
	}
}

func TestVecPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"Axpy", func() { Axpy(1, make([]float32, 2), make([]float32, 3)) }},
		{"Dot", func() { Dot(make([]float32, 3), make([]float32, 2)) }},
		{"Add", func() { Add(make([]float32, 3), make([]float32, 3), make([]float32, 2)) }},
		{"Softmax", func() { SoftmaxRows(make([]float32, 5), make([]float32, 6), 2, 3) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.fn()
		}()
	}
}

func BenchmarkDot(b *testing.B) {
	for _, im := range vecImpls() {
		for _, n := range []int{64, 4096} {
			x, y := make([]float32, n), make([]float32, n)
			b.Run(fmt.Sprintf("%s/%d", im.name, n), func(b *testing.B) {
				b.SetBytes(int64(8 * n))
				for b.Loop() {
					im.dot(x, y)
				}
			})
		}
	}
}

func BenchmarkExp(b *testing.B) {
	x, d := make([]float32, 4096), make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200) - 100
	}
	b.SetBytes(4 * 4096)
	for b.Loop() {
		Exp(d, x)
	}
}
