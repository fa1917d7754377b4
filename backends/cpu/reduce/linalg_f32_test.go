package reduce

import (
	"fmt"
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// f32Tensor makes a float32 tensor of the given shape from float64
// values, and returns the values as rounded.
func f32Tensor(v []float64, shape []int) (*tensor.Tensor, []float64) {
	f := make([]float32, len(v))
	r := make([]float64, len(v))
	for i, x := range v {
		f[i] = float32(x)
		r[i] = float64(f[i])
	}
	return tensor.FromSlice(f, shape...), r
}

// expectF32 compares a float32 result with float64 values, allowing the
// rounding of a float32 sum of k terms of magnitude up to 1 each.
func expectF32(t *testing.T, name string, got *tensor.Tensor, shape []int, want []float64, k int) {
	t.Helper()
	if got.DType() != tensor.Float32 || !equalInts(got.Shape(), shape) {
		t.Fatalf("%s: got %s %v, want float32 %v", name, got.DType(), got.Shape(), shape)
	}
	tol := float64(k+4) * 4 * 0x1p-24
	for i, w := range want {
		g := got.Float64At(i)
		if math.IsNaN(w) && math.IsNaN(g) || g == w {
			continue
		}
		if !(math.Abs(g-w) <= tol*(1+math.Abs(w))) {
			t.Fatalf("%s[%d] = %v, want %v", name, i, g, w)
		}
	}
}

// TestMatMulFloat32 runs float32 MatMul, which goes through linalg's
// SGEMM, against the naive loop on shapes that take its small, packed,
// batched and broadcast paths, and odd sizes around its tiles.
func TestMatMulFloat32(t *testing.T) {
	g := lcg(11)
	for _, s := range []struct{ a, b []int }{
		{[]int{3, 4}, []int{4, 5}},
		{[]int{13, 70}, []int{70, 33}},
		{[]int{100, 129}, []int{129, 65}},
		{[]int{1, 300}, []int{300, 77}},
		{[]int{77, 300}, []int{300, 1}},
		{[]int{300}, []int{300, 7}},
		{[]int{6, 25, 17}, []int{6, 17, 31}},
		{[]int{2, 3, 40, 50}, []int{50, 30}},
		{[]int{4, 1, 33, 20}, []int{1, 3, 20, 35}},
		{[]int{0, 3}, []int{3, 2}},
		{[]int{2, 0}, []int{0, 3}},
		{[]int{2, 300, 260}, []int{2, 260, 50}},
	} {
		at, av := f32Tensor(g.values(product(s.a)), s.a)
		bt, bv := f32Tensor(g.values(product(s.b)), s.b)
		want, wshape := naiveMatMul(av, s.a, bv, s.b)
		out, err := runOp(t, "MatMul", 13, []*tensor.Tensor{at, bt}, 1)
		if err != nil {
			t.Fatalf("%v×%v: %v", s.a, s.b, err)
		}
		expectF32(t, fmt.Sprintf("%v×%v", s.a, s.b), out[0], wshape, want, s.a[len(s.a)-1])
	}
}

// TestGemmFloat32 runs float32 Gemm through linalg's SGEMM for every
// transpose, alpha, beta and broadcast C, against the naive loop.
func TestGemmFloat32(t *testing.T) {
	g := lcg(13)
	for _, tc := range []struct {
		m, n, k     int
		ta, tb      bool
		cShape      []int
		alpha, beta float32
	}{
		{5, 7, 3, false, false, []int{5, 7}, 1, 1},
		{40, 50, 60, true, false, []int{50}, 0.5, 2},
		{40, 50, 60, false, true, []int{40, 1}, 1, 0.25},
		{70, 33, 130, true, true, []int{}, -1, 1},
		{1, 1000, 300, false, true, []int{1000}, 1, 1},
		{3, 4, 5, false, false, nil, 2, 7},
	} {
		aShape, bShape := []int{tc.m, tc.k}, []int{tc.k, tc.n}
		if tc.ta {
			aShape = []int{tc.k, tc.m}
		}
		if tc.tb {
			bShape = []int{tc.n, tc.k}
		}
		at, av := f32Tensor(g.values(tc.m*tc.k), aShape)
		bt, bv := f32Tensor(g.values(tc.k*tc.n), bShape)
		if tc.ta {
			av = transpose2(av, aShape)
		}
		if tc.tb {
			bv = transpose2(bv, bShape)
		}
		ab, _ := naiveMatMul(av, []int{tc.m, tc.k}, bv, []int{tc.k, tc.n})
		in := []*tensor.Tensor{at, bt}
		var cv []float64
		if tc.cShape != nil {
			var ct *tensor.Tensor
			ct, cv = f32Tensor(g.values(product(tc.cShape)), tc.cShape)
			in = append(in, ct)
		}
		want := make([]float64, tc.m*tc.n)
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				w := float64(tc.alpha) * ab[i*tc.n+j]
				if cv != nil {
					ci := 0
					switch len(tc.cShape) {
					case 1:
						ci = j % tc.cShape[0]
					case 2:
						ci = (i%tc.cShape[0])*tc.cShape[1] + j%tc.cShape[1]
					}
					w += float64(tc.beta) * cv[ci]
				}
				want[i*tc.n+j] = w
			}
		}
		attrs := []ir.Attr{ir.AFloat("alpha", tc.alpha), ir.AFloat("beta", tc.beta)}
		if tc.ta {
			attrs = append(attrs, ir.AInt("transA", 1))
		}
		if tc.tb {
			attrs = append(attrs, ir.AInt("transB", 1))
		}
		out, err := runOp(t, "Gemm", 13, in, 1, attrs...)
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		expectF32(t, fmt.Sprintf("%+v", tc), out[0], []int{tc.m, tc.n}, want, tc.k+2)
	}

	// beta 0 still multiplies C: an infinity there gives NaN.
	a := tensor.FromSlice([]float32{1, 2}, 1, 2)
	b := tensor.FromSlice([]float32{3, 4}, 2, 1)
	c := tensor.FromSlice([]float32{float32(math.Inf(1))}, 1, 1)
	out, err := runOp(t, "Gemm", 13, []*tensor.Tensor{a, b, c}, 1, ir.AFloat("beta", 0))
	if err != nil {
		t.Fatal(err)
	}
	if v := out[0].Float32s()[0]; v == v {
		t.Errorf("0·Inf in C: got %v, want NaN", v)
	}
}
