package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// guard fills the slots around matrices; a kernel that writes it is out
// of bounds.
const guard = float32(-7777.25)

func randFloats(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// tol is the error bound of a float32 sum of k products whose absolute
// values sum to mag.
func tol(k int, mag float64) float64 {
	return 4 * float64(k+4) * 0x1p-24 * (mag + 1e-30)
}

// TestMicroKernels checks every micro-kernel of every kernel set this
// machine runs against kernelGo, its pure-Go twin, for every row count,
// several depths and both beta paths, with guards around the C tile.
func TestMicroKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range sets {
		for rows := 1; rows <= s.mr; rows++ {
			for _, kc := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 17, 64, 255, 257} {
				for _, ab := range [][2]float32{{1, 0}, {-0.5, 0}, {1, 1}, {0.75, -1.5}} {
					alpha, beta := ab[0], ab[1]
					name := fmt.Sprintf("%s/r%d/kc%d/a%g/b%g", s.name, rows, kc, alpha, beta)
					a := randFloats(r, kc*s.mr+1)
					b := randFloats(r, kc*s.nr+1)
					// Rows past r of the A panel must not be read: NaN
					// there would show in the result.
					for p := 0; p < kc; p++ {
						for i := rows; i < s.mr; i++ {
							a[p*s.mr+i] = float32(math.NaN())
						}
					}
					ldc := s.nr + 3
					c0 := make([]float32, (rows+2)*ldc)
					for i := range c0 {
						c0[i] = guard
					}
					base := ldc + 1 // one guard row above, one column left
					for i := 0; i < rows; i++ {
						for j := 0; j < s.nr; j++ {
							v := float32(r.NormFloat64())
							if beta == 0 {
								v = float32(math.NaN()) // must not be read
							}
							c0[base+i*ldc+j] = v
						}
					}
					got := append([]float32(nil), c0...)
					want := append([]float32(nil), c0...)
					s.kern[rows-1](kc, &a[0], &b[0], &got[base], ldc, alpha, beta)
					kernelGo(s.mr, s.nr, rows, kc, &a[0], &b[0], &want[base], ldc, alpha, beta)
					for idx := range got {
						i, j := idx/ldc-1, idx%ldc-1
						inTile := i >= 0 && i < rows && j >= 0 && j < s.nr
						if !inTile {
							if got[idx] != guard {
								t.Fatalf("%s: wrote %g outside the tile at (%d, %d)", name, got[idx], i, j)
							}
							continue
						}
						mag := 0.0
						for p := 0; p < kc; p++ {
							mag += math.Abs(float64(a[p*s.mr+i]) * float64(b[p*s.nr+j]))
						}
						mag *= math.Abs(float64(alpha))
						if beta != 0 {
							mag += math.Abs(float64(beta) * float64(c0[idx]))
						}
						if d := math.Abs(float64(got[idx]) - float64(want[idx])); !(d <= tol(kc, mag)) {
							t.Fatalf("%s: C(%d,%d) = %g, twin gives %g", name, i, j, got[idx], want[idx])
						}
					}
				}
			}
		}
	}
}

// refGemm is Sgemm's definition in float64.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			w := float64(alpha) * s
			mg := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				w += float64(beta) * float64(c[i*ldc+j])
				mg += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j], mag[i*n+j] = w, mg
		}
	}
	return want, mag
}

// gemmCase runs one product through gemm (a kernel set and thread
// count), with padded strides and guards around every matrix, and checks
// it against refGemm.
func gemmCase(t *testing.T, r *rand.Rand, name string, gemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int), transA, transB bool, m, n, k int, alpha, beta float32) {
	t.Helper()
	ra, ca := dims(transA, m, k)
	rb, cb := dims(transB, k, n)
	lda, ldb, ldc := ca+r.IntN(3), cb+r.IntN(3), n+1+r.IntN(3)
	a := randFloats(r, ra*lda)
	b := randFloats(r, rb*ldb)
	const pre = 5
	cbuf := make([]float32, pre+m*ldc+7)
	for i := range cbuf {
		cbuf[i] = guard
	}
	c := cbuf[pre : pre+m*ldc]
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := float32(r.NormFloat64())
			if beta == 0 {
				v = float32(math.NaN())
			}
			c[i*ldc+j] = v
		}
	}
	want, mag := refGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	for idx, v := range cbuf {
		ci := idx - pre
		i, j := ci/max(ldc, 1), ci%max(ldc, 1)
		if ci < 0 || ci >= m*ldc || j >= n {
			if v != guard {
				t.Fatalf("%s: wrote %g outside C at offset %d", name, v, ci)
			}
			continue
		}
		w := want[i*n+j]
		if d := math.Abs(float64(v) - w); !(d <= tol(k, mag[i*n+j])) {
			t.Fatalf("%s: C(%d,%d) = %g, want %g", name, i, j, v, w)
		}
	}
}

var edgeSizes = []int{1, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17, 31, 32, 33, 47, 64, 65, 100}

func TestSgemmSets(t *testing.T) {
	// Split even the small products of this test over the goroutines.
	defer func(w int) { minThreadWork = w }(minThreadWork)
	minThreadWork = 1
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range sets {
		for _, th := range []int{1, 2, 3} {
			for trial := 0; trial < 150; trial++ {
				m := edgeSizes[r.IntN(len(edgeSizes))]
				n := edgeSizes[r.IntN(len(edgeSizes))]
				k := edgeSizes[r.IntN(len(edgeSizes))]
				ta, tb := r.IntN(2) == 1, r.IntN(2) == 1
				alpha := []float32{1, -1.5, 0.5}[r.IntN(3)]
				beta := []float32{0, 1, 0.25}[r.IntN(3)]
				name := fmt.Sprintf("%s/t%d/%v%v/%dx%dx%d/a%g/b%g", s.name, th, ta, tb, m, n, k, alpha, beta)
				gemmCase(t, r, name, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
					s.gemm(th, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
				}, ta, tb, m, n, k, alpha, beta)
			}
		}
	}
}

// TestSgemmBlocks crosses every cache block: k past kc (so later k-blocks
// accumulate with beta 1), m past mc and n past nc.
func TestSgemmBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("large products")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range sets {
		for _, sz := range [][3]int{
			{s.mc + s.mr + 1, 2*s.nr + 3, 2*s.kc + 5},
			{3, s.nc + s.nr + 1, 7},
			{s.mc + 1, s.nc + 1, s.kc + 1},
		} {
			for _, th := range []int{1, 2} {
				tr := th == 2 // one thread plain, two transposed
				name := fmt.Sprintf("%s/t%d/%v/%v", s.name, th, tr, sz)
				gemmCase(t, r, name, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
					s.gemm(th, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
				}, tr, tr, sz[0], sz[1], sz[2], 1, 0.5)
			}
		}
	}
}

func TestSgemmPacked(t *testing.T) {
	defer func(w int) { minThreadWork = w }(minThreadWork)
	minThreadWork = 1
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range sets {
		for trial := 0; trial < 60; trial++ {
			m := edgeSizes[r.IntN(len(edgeSizes))]
			n := edgeSizes[r.IntN(len(edgeSizes))]
			k := edgeSizes[r.IntN(len(edgeSizes))]
			if trial%10 == 0 {
				k = s.kc + 1 + r.IntN(s.kc)
			}
			ta, tb := r.IntN(2) == 1, r.IntN(2) == 1
			th := 1 + r.IntN(3)
			name := fmt.Sprintf("%s/t%d/%v%v/%dx%dx%d", s.name, th, ta, tb, m, n, k)
			gemmCase(t, r, name, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				pa := s.prepack(transA, m, k, a, lda)
				if pa.Rows() != m || pa.Cols() != k {
					t.Fatalf("%s: packed %d×%d", name, pa.Rows(), pa.Cols())
				}
				SgemmPacked(th, pa, transB, n, alpha, b, ldb, beta, c, ldc)
			}, ta, tb, m, n, k, 0.5, 1)
		}
	}
}

// TestSgemmDegenerate covers empty products and zero alpha: C is scaled
// by beta, and with beta zero set to zero even where it held NaN.
func TestSgemmDegenerate(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		m, n, k     int
		alpha, beta float32
		want        float32
	}{
		{2, 3, 0, 1, 0, 0},
		{2, 3, 0, 1, 2, 2 * 3},
		{2, 3, 4, 0, 0, 0},
		{2, 3, 4, 0, 0.5, 0.5 * 3},
	} {
		c := []float32{3, 3, 3, 3, 3, 3}
		if tc.beta == 0 {
			for i := range c {
				c[i] = nan
			}
		}
		a := make([]float32, tc.m*tc.k)
		b := make([]float32, tc.k*tc.n)
		Sgemm(false, false, tc.m, tc.n, tc.k, tc.alpha, a, max(tc.k, 1), b, tc.n, tc.beta, c, tc.n)
		for _, v := range c {
			if v != tc.want {
				t.Errorf("%+v: got %v", tc, c)
				break
			}
		}
	}
	// m or n zero touches nothing.
	Sgemm(false, false, 0, 3, 2, 1, nil, 2, make([]float32, 6), 3, 0, nil, 3)
	Sgemm(true, true, 3, 0, 2, 1, make([]float32, 6), 3, nil, 2, 0, make([]float32, 3), 1)
	// NaN and Inf in A or B propagate, as in the definition.
	c := make([]float32, 4)
	Sgemm(false, false, 2, 2, 1, 1, []float32{nan, 1}, 1, []float32{0, 1}, 2, 0, c, 2)
	if c[0] == c[0] || c[1] == c[1] || c[2] != 0 || c[3] != 1 {
		t.Errorf("NaN product: got %v", c)
	}
}

func TestSgemmPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"negative m", func() { Sgemm(false, false, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1) }},
		{"short lda", func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 6), 2, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		}},
		{"short A", func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 5), 3, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		}},
		{"short B (trans)", func() {
			Sgemm(false, true, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 5), 3, 0, make([]float32, 4), 2)
		}},
		{"short C", func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 6), 2, 0, make([]float32, 3), 2)
		}},
		{"short ldc", func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 6), 2, 0, make([]float32, 4), 1)
		}},
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

func TestThreads(t *testing.T) {
	defer SetThreads(0)
	SetThreads(3)
	if Threads() != 3 {
		t.Errorf("Threads() = %d after SetThreads(3)", Threads())
	}
	SetThreads(0)
	if Threads() < 1 {
		t.Errorf("Threads() = %d by default", Threads())
	}
	if Kernel() != sets[0].name {
		t.Errorf("Kernel() = %q, fastest set is %q", Kernel(), sets[0].name)
	}
}

// TestPackRows checks each set's packRows against the pure-Go one, with
// guards around the destination.
func TestPackRows(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, s := range sets {
		ref := packRowsGo(s.nr)
		for _, sz := range [][3]int{{0, 3, 4}, {3, 0, 4}, {1, 1, 1}, {5, 3, 7}, {17, 2, 20}, {64, 5, 64}} {
			rows, panels, kc := sz[0], sz[1], sz[2]
			ldb := panels*s.nr + r.IntN(5)
			src := randFloats(r, max(1, rows*ldb))
			n := panels*kc*s.nr + 8
			got, want := make([]float32, n), make([]float32, n)
			for i := range got {
				got[i], want[i] = guard, guard
			}
			s.packRows(rows, panels, &src[0], ldb, &got[4], kc)
			ref(rows, panels, &src[0], ldb, &want[4], kc)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s %v: [%d] = %g, want %g", s.name, sz, i-4, got[i], want[i])
				}
			}
		}
	}
}

func TestParallel(t *testing.T) {
	defer SetThreads(0)
	for _, th := range []int{1, 2, 5} {
		SetThreads(th)
		for _, n := range []int{0, 1, 3, 100} {
			hits := make([]int32, n)
			Parallel(n, func(i int) { hits[i]++ })
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("threads %d, n %d: fn(%d) ran %d times", th, n, i, h)
				}
			}
		}
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("threads %d: recovered %v, want the panic of fn", th, r)
				}
			}()
			Parallel(10, func(i int) {
				if i == 7 {
					panic("boom")
				}
			})
		}()
	}
}

// TestPackedARelease reuses a released buffer for a smaller matrix: the
// stale values left in it must not leak into the product.
func TestPackedARelease(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, s := range sets {
		big := randFloats(r, 40*300)
		s.prepack(false, 40, 300, big, 300).Release()
		m, n, k := 13, 37, 29
		a, b := randFloats(r, m*k), randFloats(r, k*n)
		pa := s.prepack(false, m, k, a, k)
		got := make([]float32, m*n)
		SgemmPacked(1, pa, false, n, 1, b, n, 0, got, n)
		want := make([]float32, m*n)
		s.gemm(1, false, false, m, n, k, 1, a, k, b, n, 0, want, n)
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-4 {
				t.Fatalf("%s: [%d] = %g after reuse, want %g", s.name, i, got[i], want[i])
			}
		}
		pa.Release()
		pa.Release() // twice is harmless
	}
}
