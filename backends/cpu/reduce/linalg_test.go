package reduce

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// naiveMatMul is numpy's matmul written out as a triple loop over every
// output element: 1-D operands are promoted to matrices and the promoted
// dim dropped again, batch dims broadcast.
func naiveMatMul(a []float64, as []int, b []float64, bs []int) ([]float64, []int) {
	pa, pb := append([]int{}, as...), append([]int{}, bs...)
	if len(as) == 1 {
		pa = []int{1, as[0]}
	}
	if len(bs) == 1 {
		pb = []int{bs[0], 1}
	}
	m, k, n := pa[len(pa)-2], pa[len(pa)-1], pb[len(pb)-1]
	ba, bb := pa[:len(pa)-2], pb[:len(pb)-2]
	rank := max(len(ba), len(bb))
	// Left-pad both batch shapes with ones.
	for len(ba) < rank {
		ba = append([]int{1}, ba...)
	}
	for len(bb) < rank {
		bb = append([]int{1}, bb...)
	}
	batch := make([]int, rank)
	for i := range batch {
		batch[i] = max(ba[i], bb[i])
	}
	nb := 1
	for _, d := range batch {
		nb *= d
	}
	out := make([]float64, nb*m*n)
	idx := make([]int, rank)
	for q := 0; q < nb; q++ {
		// Decompose q into a batch index, then find the operands' batches.
		r := q
		for i := rank - 1; i >= 0; i-- {
			idx[i] = r % batch[i]
			r /= batch[i]
		}
		qa, qb := 0, 0
		for i := 0; i < rank; i++ {
			qa = qa*ba[i] + idx[i]%ba[i]
			qb = qb*bb[i] + idx[i]%bb[i]
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for p := 0; p < k; p++ {
					s += a[(qa*m+i)*k+p] * b[(qb*k+p)*n+j]
				}
				out[(q*m+i)*n+j] = s
			}
		}
	}
	shape := append([]int{}, batch...)
	if len(as) > 1 {
		shape = append(shape, m)
	}
	if len(bs) > 1 {
		shape = append(shape, n)
	}
	return out, shape
}

func TestMatMulAgainstNaive(t *testing.T) {
	shapes := []struct{ a, b []int }{
		{[]int{3, 4}, []int{4, 5}},
		{[]int{2, 3, 4}, []int{2, 4, 3}},
		{[]int{1, 2, 3, 4}, []int{1, 2, 4, 3}},
		{[]int{3, 1, 3, 4}, []int{1, 2, 4, 2}},
		{[]int{2, 3, 4}, []int{4, 2}},
		{[]int{3, 4}, []int{2, 4, 1}},
		{[]int{4}, []int{4}},
		{[]int{4}, []int{2, 4, 3}},
		{[]int{1, 2, 4, 3}, []int{3}},
		{[]int{0, 3}, []int{3, 2}},
		{[]int{2, 0}, []int{0, 3}},
	}
	g := lcg(1)
	for _, s := range shapes {
		av, bv := g.values(product(s.a)), g.values(product(s.b))
		want, wshape := naiveMatMul(av, s.a, bv, s.b)
		out, err := runOp(t, "MatMul", 13, []*tensor.Tensor{tensor.FromSlice(av, s.a...), tensor.FromSlice(bv, s.b...)}, 1)
		if err != nil {
			t.Fatalf("%v×%v: %v", s.a, s.b, err)
		}
		expectClose(t, "matmul", out[0], wshape, want)
	}
}

func TestMatMulTypes(t *testing.T) {
	a := tensor.FromSlice([]int32{1, 2, 3, 4}, 2, 2)
	b := tensor.FromSlice([]int32{5, 6, 7, 8}, 2, 2)
	out, err := runOp(t, "MatMul", 13, []*tensor.Tensor{a, b}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int32", out[0], tensor.Int32, []int{2, 2}, []int64{19, 22, 43, 50})

	// int64 products are exact beyond 2^53.
	big := int64(1) << 40
	out, err = runOp(t, "MatMul", 13, []*tensor.Tensor{i64([]int{1, 2}, big, 1), i64([]int{2, 1}, big+1, 3)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int64", out[0], tensor.Int64, []int{1, 1}, []int64{big*(big+1) + 3})

	h := tensor.New(tensor.Float16, 1, 2)
	for i, v := range []float32{1.5, 2} {
		h.SetFloat64At(i, float64(v))
	}
	hb := tensor.New(tensor.Float16, 2)
	hb.SetFloat64At(0, 2)
	hb.SetFloat64At(1, 0.25)
	out, err = runOp(t, "MatMul", 13, []*tensor.Tensor{h, hb}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].DType() != tensor.Float16 {
		t.Errorf("float16 result has type %s", out[0].DType())
	}
	expectClose(t, "float16", out[0], []int{1}, []float64{3.5})

	_, err = runOp(t, "MatMul", 13, []*tensor.Tensor{f32([]int{2, 3}, 1, 2, 3, 4, 5, 6), f32([]int{2, 2}, 1, 2, 3, 4)}, 1)
	expectErr(t, "inner dims", err, "inner dims differ")
	_, err = runOp(t, "MatMul", 13, []*tensor.Tensor{f32([]int{2, 1, 1}, 1, 2), f32([]int{3, 1, 1}, 1, 2, 3)}, 1)
	expectErr(t, "batch dims", err, "batch dims")
	_, err = runOp(t, "MatMul", 13, []*tensor.Tensor{a, f32([]int{2, 2}, 1, 2, 3, 4)}, 1)
	expectErr(t, "mixed types", err, "one element type")
}

func TestGemm(t *testing.T) {
	g := lcg(7)
	cases := []struct {
		name         string
		aShape       []int
		bShape       []int
		cShape       []int // nil: no C
		transA       bool
		transB       bool
		alpha, beta  float64
		opset        int
		attrsDefault bool
	}{
		{"default matrix bias", []int{3, 6}, []int{6, 4}, []int{3, 4}, false, false, 1, 1, 13, true},
		{"no bias", []int{2, 10}, []int{10, 3}, nil, false, false, 1, 1, 13, true},
		{"vector bias", []int{3, 5}, []int{5, 4}, []int{4}, false, false, 0.5, 1, 13, false},
		{"row bias", []int{2, 7}, []int{7, 4}, []int{1, 4}, false, false, 1, 0.5, 13, false},
		{"column bias", []int{2, 7}, []int{7, 4}, []int{2, 1}, false, false, 1, 1, 11, true},
		{"scalar bias", []int{2, 3}, []int{3, 4}, []int{}, false, false, 1, 1, 13, true},
		{"transA", []int{6, 3}, []int{6, 4}, []int{1, 4}, true, false, 1, 1, 13, false},
		{"transB", []int{3, 6}, []int{4, 6}, []int{1, 4}, false, true, 1, 1, 13, false},
		{"all attributes", []int{4, 3}, []int{5, 4}, []int{1, 5}, true, true, 0.25, 0.35, 13, false},
		{"opset 6", []int{2, 3}, []int{3, 2}, []int{2, 2}, false, false, 2, 3, 6, false},
	}
	for _, tc := range cases {
		av, bv := g.values(product(tc.aShape)), g.values(product(tc.bShape))
		// Transpose by hand into plain A' and B', then the naive product.
		at, atShape := av, tc.aShape
		if tc.transA {
			at, atShape = transpose2(av, tc.aShape), []int{tc.aShape[1], tc.aShape[0]}
		}
		bt, btShape := bv, tc.bShape
		if tc.transB {
			bt, btShape = transpose2(bv, tc.bShape), []int{tc.bShape[1], tc.bShape[0]}
		}
		ab, shape := naiveMatMul(at, atShape, bt, btShape)
		in := []*tensor.Tensor{tensor.FromSlice(av, tc.aShape...), tensor.FromSlice(bv, tc.bShape...)}
		want := make([]float64, len(ab))
		var cv []float64
		if tc.cShape != nil {
			cv = g.values(product(tc.cShape))
			in = append(in, tensor.FromSlice(cv, tc.cShape...))
		}
		m, n := shape[0], shape[1]
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				want[i*n+j] = tc.alpha * ab[i*n+j]
				if cv != nil {
					// Index C as broadcast over [M, N].
					ci := 0
					switch len(tc.cShape) {
					case 1:
						ci = j % tc.cShape[0]
					case 2:
						ci = (i%tc.cShape[0])*tc.cShape[1] + j%tc.cShape[1]
					}
					want[i*n+j] += tc.beta * cv[ci]
				}
			}
		}
		var attrs []ir.Attr
		if !tc.attrsDefault {
			attrs = []ir.Attr{ir.AFloat("alpha", float32(tc.alpha)), ir.AFloat("beta", float32(tc.beta))}
			if tc.transA {
				attrs = append(attrs, ir.AInt("transA", 1))
			}
			if tc.transB {
				attrs = append(attrs, ir.AInt("transB", 1))
			}
		}
		out, err := runOp(t, "Gemm", tc.opset, in, 1, attrs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		expectClose(t, tc.name, out[0], shape, want)
	}

	out, err := runOp(t, "Gemm", 13, []*tensor.Tensor{i64([]int{1, 2}, 1, 2), i64([]int{2, 1}, 3, 4), i64([]int{1}, 5)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int64", out[0], tensor.Int64, []int{1, 1}, []int64{16})

	a := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	_, err = runOp(t, "Gemm", 13, []*tensor.Tensor{a, f32([]int{2, 2}, 1, 2, 3, 4)}, 1)
	expectErr(t, "inner dims", err, "inner dims differ")
	_, err = runOp(t, "Gemm", 13, []*tensor.Tensor{a, f32([]int{3, 2}, 1, 2, 3, 4, 5, 6), f32([]int{3}, 1, 2, 3)}, 1)
	expectErr(t, "bad C", err, "does not broadcast")
	_, err = runOp(t, "Gemm", 13, []*tensor.Tensor{f32([]int{3}, 1, 2, 3), f32([]int{3, 1}, 1, 2, 3)}, 1)
	expectErr(t, "1-D A", err, "must be 2-D")
}

func transpose2(v []float64, s []int) []float64 {
	out := make([]float64, len(v))
	for i := 0; i < s[0]; i++ {
		for j := 0; j < s[1]; j++ {
			out[j*s[0]+i] = v[i*s[1]+j]
		}
	}
	return out
}

func TestMatMulInteger(t *testing.T) {
	// The spec example.
	a := tensor.FromSlice([]uint8{11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0}, 4, 3)
	b := tensor.FromSlice([]uint8{1, 4, 2, 5, 3, 6}, 3, 2)
	out, err := runOp(t, "MatMulInteger", 10, []*tensor.Tensor{a, b, tensor.FromSlice([]uint8{12}), tensor.FromSlice([]uint8{0})}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "spec example", out[0], tensor.Int32, []int{4, 2}, []int64{-38, -83, -44, -98, -50, -113, -56, -128})

	// Per-row zero points of A and per-column ones of B.
	a2 := tensor.FromSlice([]int8{1, 2, 3, 4}, 2, 2)
	b2 := tensor.FromSlice([]int8{1, 0, 0, 1}, 2, 2)
	out, err = runOp(t, "MatMulInteger", 10, []*tensor.Tensor{a2, b2, tensor.FromSlice([]int8{1, 2}), tensor.FromSlice([]int8{0, -1})}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A - azp = [[0, 1], [1, 2]]; B - bzp = [[1, 1], [0, 2]].
	expectInts(t, "per row and column", out[0], tensor.Int32, []int{2, 2}, []int64{0, 2, 1, 5})

	_, err = runOp(t, "MatMulInteger", 10, []*tensor.Tensor{a2, b2, tensor.FromSlice([]int8{1, 2, 3})}, 1)
	expectErr(t, "zero point length", err, "a_zero_point")
}

func TestDet(t *testing.T) {
	cases := []struct {
		name string
		in   *tensor.Tensor
		want []float64
	}{
		{"2x2", f32([]int{2, 2}, 1, 2, 3, 4), []float64{-2}},
		{"batch", f32([]int{3, 2, 2}, 1, 2, 3, 4, 1, 2, 2, 1, 1, 3, 3, 1), []float64{-2, -3, -8}},
		// 6(-14-40) - 1(28-10) + 1(32+4) = -306.
		{"3x3", f64([]int{3, 3}, 6, 1, 1, 4, -2, 5, 2, 8, 7), []float64{-306}},
		{"needs pivot", f64([]int{3, 3}, 0, 1, 0, 1, 0, 0, 0, 0, 1), []float64{-1}},
		{"singular", f64([]int{2, 2}, 1, 2, 2, 4), []float64{0}},
		{"empty matrix", f64([]int{0, 0}), []float64{1}},
	}
	for _, tc := range cases {
		out, err := runOp(t, "Det", 22, []*tensor.Tensor{tc.in}, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		expectClose(t, tc.name, out[0], tc.in.Shape()[:tc.in.Rank()-2], tc.want)
	}
	_, err := runOp(t, "Det", 22, []*tensor.Tensor{f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)}, 1)
	expectErr(t, "not square", err, "square")
}

func TestEinsum(t *testing.T) {
	g := lcg(3)
	x := g.values(12)  // [3, 4]
	y := g.values(20)  // [4, 5]
	bx := g.values(30) // [5, 2, 3]
	by := g.values(60) // [5, 3, 4]
	d := g.values(75)  // [3, 5, 5]
	v, w := g.values(5), g.values(5)

	trans := make([]float64, 12)
	rowSum := make([]float64, 3)
	for i := 0; i < 3; i++ {
		for j := 0; j < 4; j++ {
			trans[j*3+i] = x[i*4+j]
			rowSum[i] += x[i*4+j]
		}
	}
	diag := make([]float64, 15)
	for b := 0; b < 3; b++ {
		for i := 0; i < 5; i++ {
			diag[b*5+i] = d[b*25+i*5+i]
		}
	}
	trace := 0.0
	for i := 0; i < 5; i++ {
		trace += d[i*5+i]
	}
	inner := 0.0
	outer := make([]float64, 25)
	for i := range v {
		inner += v[i] * w[i]
		for j := range w {
			outer[i*5+j] = v[i] * w[j]
		}
	}
	mm, _ := naiveMatMul(x, []int{3, 4}, y, []int{4, 5})
	bmm, _ := naiveMatMul(bx, []int{5, 2, 3}, by, []int{5, 3, 4})
	total := 0.0
	for _, e := range x {
		total += e
	}
	t34 := func(v []float64) *tensor.Tensor { return tensor.FromSlice(v, 3, 4) }
	cases := []struct {
		eq    string
		in    []*tensor.Tensor
		shape []int
		want  []float64
	}{
		{"ij->ji", []*tensor.Tensor{t34(x)}, []int{4, 3}, trans},
		{"ij->i", []*tensor.Tensor{t34(x)}, []int{3}, rowSum},
		{"ij->", []*tensor.Tensor{t34(x)}, []int{}, []float64{total}},
		{"ji", []*tensor.Tensor{t34(x)}, []int{4, 3}, trans}, // implicit output: labels sorted
		{"i,i", []*tensor.Tensor{tensor.FromSlice(v), tensor.FromSlice(w)}, []int{}, []float64{inner}},
		{"i,j->ij", []*tensor.Tensor{tensor.FromSlice(v), tensor.FromSlice(w)}, []int{5, 5}, outer},
		{"ij,jk", []*tensor.Tensor{t34(x), tensor.FromSlice(y, 4, 5)}, []int{3, 5}, mm},
		{"bij, bjk -> bik", []*tensor.Tensor{tensor.FromSlice(bx, 5, 2, 3), tensor.FromSlice(by, 5, 3, 4)}, []int{5, 2, 4}, bmm},
		{"...ij,...jk->...ik", []*tensor.Tensor{tensor.FromSlice(bx, 5, 2, 3), tensor.FromSlice(by, 5, 3, 4)}, []int{5, 2, 4}, bmm},
		{"...ii ->...i", []*tensor.Tensor{tensor.FromSlice(d, 3, 5, 5)}, []int{3, 5}, diag},
		{"ii", []*tensor.Tensor{tensor.FromSlice(d[:25], 5, 5)}, []int{}, []float64{trace}},
		{"->", []*tensor.Tensor{tensor.Scalar(2.5)}, []int{}, []float64{2.5}},
	}
	for _, tc := range cases {
		out, err := runOp(t, "Einsum", 12, tc.in, 1, ir.AString("equation", tc.eq))
		if err != nil {
			t.Fatalf("%q: %v", tc.eq, err)
		}
		expectClose(t, tc.eq, out[0], tc.shape, tc.want)
	}

	// The ellipsis broadcasts: [2, 1, 2, 2] against [3, 2, 2].
	a := g.values(8)
	b := g.values(12)
	want, shape := naiveMatMul(a, []int{2, 1, 2, 2}, b, []int{3, 2, 2})
	out, err := runOp(t, "Einsum", 12, []*tensor.Tensor{tensor.FromSlice(a, 2, 1, 2, 2), tensor.FromSlice(b, 3, 2, 2)}, 1,
		ir.AString("equation", "...ij,...jk->...ik"))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "broadcast ellipsis", out[0], shape, want)

	out, err = runOp(t, "Einsum", 12, []*tensor.Tensor{tensor.FromSlice([]int32{1, 2, 3}), tensor.FromSlice([]int32{4, 5, 6})}, 1,
		ir.AString("equation", "i,i->"))
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int32 dot", out[0], tensor.Int32, []int{}, []int64{32})

	bad := []struct{ eq, msg string }{
		{"ij,jk->ik", "2 input terms"},
		{"i->j", "in no input"},
		{"i.->i", "ellipsis"},
		{"i1->i", "invalid character"},
		{"ijk->i", "rank 2"},
		{"ii->i", "sizes"},
	}
	for _, tc := range bad {
		_, err := runOp(t, "Einsum", 12, []*tensor.Tensor{t34(x)}, 1, ir.AString("equation", tc.eq))
		expectErr(t, tc.eq, err, tc.msg)
	}
	if math.IsNaN(total) {
		t.Fatal("bad test data")
	}
}
