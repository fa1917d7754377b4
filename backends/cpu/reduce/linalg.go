package reduce

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/backends/cpu/linalg"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "MatMul", Since: 1, Run: kernels.Tensors(matMul)},
		kernels.KernelDef{Op: "MatMulInteger", Since: 10, Run: kernels.Tensors(matMulInteger)},
		kernels.KernelDef{Op: "Gemm", Since: 1, Run: kernels.Tensors(gemm)},
		kernels.KernelDef{Op: "Det", Since: 11, Run: kernels.Tensors(det)},
	)
}

// matmulShapes checks operands of shapes a and b under numpy's matmul
// rules and returns the batch shapes, the matrix sizes M, K, N and the
// result shape.
func matmulShapes(a, b []int) (batchA, batchB, batch []int, m, k, n int, out []int, err error) {
	if len(a) == 0 || len(b) == 0 {
		err = fmt.Errorf("MatMul operands must have rank at least 1, got shapes %v and %v", a, b)
		return
	}
	a2, b2 := a, b
	if len(a) == 1 {
		a2 = []int{1, a[0]}
	}
	if len(b) == 1 {
		b2 = []int{b[0], 1}
	}
	m, k = a2[len(a2)-2], a2[len(a2)-1]
	kb := b2[len(b2)-2]
	n = b2[len(b2)-1]
	if k != kb {
		err = fmt.Errorf("MatMul inner dims differ: shapes %v and %v", a, b)
		return
	}
	batchA, batchB = a2[:len(a2)-2], b2[:len(b2)-2]
	if batch, err = kernels.BroadcastShapes(batchA, batchB); err != nil {
		err = fmt.Errorf("MatMul batch dims: %w", err)
		return
	}
	out = append([]int{}, batch...)
	if len(a) > 1 {
		out = append(out, m)
	}
	if len(b) > 1 {
		out = append(out, n)
	}
	return
}

// elem is the element type a matrix kernel reads: float32 data directly,
// other floats as float64, integers as int64.
type elem interface{ ~float32 | ~float64 | ~int64 }

// matmulCore multiplies the (broadcast) batches of M×K matrices a by the
// K×N matrices b, accumulating in A.
func matmulCore[E elem, A num](a, b []E, batchA, batchB, batch []int, m, k, n int) []A {
	nb := product(batch)
	out := make([]A, nb*m*n)
	ia := kernels.BroadcastIndex(batchA, batch)
	ib := kernels.BroadcastIndex(batchB, batch)
	for bi := 0; bi < nb; bi++ {
		am := a[ia[bi]*m*k:]
		bm := b[ib[bi]*k*n:]
		om := out[bi*m*n:]
		for i := 0; i < m; i++ {
			row := om[i*n : i*n+n]
			for p := 0; p < k; p++ {
				av := A(am[i*k+p])
				brow := bm[p*n : p*n+n]
				for j, bv := range brow {
					row[j] += av * A(bv)
				}
			}
		}
	}
	return out
}

func matMul(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a, b := input(in, 0), input(in, 1)
	if err := requireReal("A", a); err != nil {
		return nil, err
	}
	if err := requireReal("B", b); err != nil {
		return nil, err
	}
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("A and B must have one element type, got %s and %s", a.DType(), b.DType())
	}
	ba, bb, batch, m, k, n, shape, err := matmulShapes(a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	if err := tensor.CheckSize(a.DType(), shape); err != nil {
		return nil, err
	}
	var out []float64
	switch dt := a.DType(); {
	case dt.IsInt():
		out := matmulCore[int64, int64](kernels.Int64s(a), kernels.Int64s(b), ba, bb, batch, m, k, n)
		return []*tensor.Tensor{kernels.FromInt64s(dt, shape, out)}, nil
	case dt == tensor.Float32:
		o, err := tensor.Alloc(tensor.Float32, shape)
		if err != nil {
			return nil, err
		}
		matmulF32(a.Float32s(), b.Float32s(), o.Float32s(), ba, bb, batch, m, k, n)
		return []*tensor.Tensor{o}, nil
	default:
		out = matmulCore[float64, float64](kernels.Float64s(a), kernels.Float64s(b), ba, bb, batch, m, k, n)
	}
	return []*tensor.Tensor{kernels.FromFloat64s(a.DType(), shape, out)}, nil
}

// matmulF32 is matmulCore for float32 through linalg's SGEMM, writing into
// out. Batches of small matrices run in parallel, one goroutine each;
// larger ones one after the other, each spread over the goroutines.
func matmulF32(a, b, out []float32, batchA, batchB, batch []int, m, k, n int) {
	nb := product(batch)
	ia := kernels.BroadcastIndex(batchA, batch)
	ib := kernels.BroadcastIndex(batchB, batch)
	one := func(bi, threads int) {
		linalg.SgemmThreads(threads, false, false, m, n, k, 1, a[ia[bi]*m*k:], max(k, 1),
			b[ib[bi]*k*n:], max(n, 1), 0, out[bi*m*n:], max(n, 1))
	}
	if nb > 1 && m*n*k < 1<<18 {
		linalg.Parallel(nb, func(bi int) { one(bi, 1) })
		return
	}
	for bi := 0; bi < nb; bi++ {
		one(bi, 0)
	}
}

// zeroPoint returns v with the zero point subtracted: zp is nil, a scalar
// (per tensor), or a 1-D tensor of length size whose entry for element i
// is zp[pos(i)].
func subZeroPoint(name string, v []int64, zp *tensor.Tensor, size int, pos func(i int) int) ([]int64, error) {
	if zp == nil {
		return v, nil
	}
	if !zp.DType().IsInt() {
		return nil, fmt.Errorf("%s must be an integer tensor, got %s", name, zp.DType())
	}
	z := kernels.Int64s(zp)
	switch {
	case zp.Len() == 1 && zp.Rank() <= 1:
		for i := range v {
			v[i] -= z[0]
		}
	case zp.Rank() == 1 && zp.Len() == size:
		for i := range v {
			v[i] -= z[pos(i)]
		}
	default:
		return nil, fmt.Errorf("%s must be a scalar or hold %d values, got shape %v", name, size, zp.Shape())
	}
	return v, nil
}

func matMulInteger(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a, b := input(in, 0), input(in, 1)
	for _, t := range []struct {
		name string
		t    *tensor.Tensor
	}{{"A", a}, {"B", b}} {
		if t.t == nil || (t.t.DType() != tensor.Int8 && t.t.DType() != tensor.Uint8) {
			return nil, fmt.Errorf("input %s must be an INT8 or UINT8 tensor", t.name)
		}
	}
	ba, bb, batch, m, k, n, shape, err := matmulShapes(a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	// a_zero_point is per row of A, b_zero_point per column of B.
	av, err := subZeroPoint("a_zero_point", kernels.Int64s(a), input(in, 2), m, func(i int) int { return (i / k) % m })
	if err != nil {
		return nil, err
	}
	bv, err := subZeroPoint("b_zero_point", kernels.Int64s(b), input(in, 3), n, func(i int) int { return i % n })
	if err != nil {
		return nil, err
	}
	out := matmulCore[int64, int64](av, bv, ba, bb, batch, m, k, n)
	return []*tensor.Tensor{kernels.FromInt64s(tensor.Int32, shape, out)}, nil
}

func gemm(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a, b, ct := input(in, 0), input(in, 1), input(in, 2)
	if err := requireReal("A", a); err != nil {
		return nil, err
	}
	if err := requireReal("B", b); err != nil {
		return nil, err
	}
	if a.Rank() != 2 || b.Rank() != 2 {
		return nil, fmt.Errorf("A and B must be 2-D, got shapes %v and %v", a.Shape(), b.Shape())
	}
	dt := a.DType()
	if b.DType() != dt || (ct != nil && ct.DType() != dt) {
		return nil, fmt.Errorf("A, B and C must have one element type")
	}
	ta, tb := c.Int("transA") != 0, c.Int("transB") != 0
	m, k := a.Dim(0), a.Dim(1)
	if ta {
		m, k = k, m
	}
	kb, n := b.Dim(0), b.Dim(1)
	if tb {
		kb, n = n, kb
	}
	if k != kb {
		return nil, fmt.Errorf("inner dims differ: A' is %d×%d, B' is %d×%d", m, k, kb, n)
	}
	shape := []int{m, n}
	if ct != nil {
		bs, err := kernels.BroadcastShapes(ct.Shape(), shape)
		if err != nil || !equalInts(bs, shape) {
			return nil, fmt.Errorf("C of shape %v does not broadcast to %v", ct.Shape(), shape)
		}
	}
	alpha, beta := float64(c.Float("alpha")), float64(c.Float("beta"))
	// Strides of A' and B' over (row, column).
	ars, acs := k, 1
	if ta {
		ars, acs = 1, m
	}
	brs, bcs := n, 1
	if tb {
		brs, bcs = 1, k
	}
	if dt.IsInt() && alpha == math.Trunc(alpha) && beta == math.Trunc(beta) {
		var cv []int64
		if ct != nil {
			cv = kernels.Broadcast(kernels.Int64s(ct), ct.Shape(), shape)
		}
		out := gemmCore(kernels.Int64s(a), kernels.Int64s(b), cv, m, k, n, ars, acs, brs, bcs, int64(alpha), int64(beta))
		return []*tensor.Tensor{kernels.FromInt64s(dt, shape, out)}, nil
	}
	if dt == tensor.Float32 {
		return gemmF32(a, b, ct, ta, tb, m, k, n, float32(alpha), float32(beta))
	}
	var cv []float64
	if ct != nil {
		cv = kernels.Broadcast(kernels.Float64s(ct), ct.Shape(), shape)
	}
	out := gemmCore(kernels.Float64s(a), kernels.Float64s(b), cv, m, k, n, ars, acs, brs, bcs, alpha, beta)
	return []*tensor.Tensor{kernels.FromFloat64s(dt, shape, out)}, nil
}

// gemmF32 is Gemm over float32 tensors through linalg's SGEMM: the output
// starts as C broadcast to M×N and is updated in place.
func gemmF32(a, b, ct *tensor.Tensor, ta, tb bool, m, k, n int, alpha, beta float32) ([]*tensor.Tensor, error) {
	o, err := tensor.Alloc(tensor.Float32, []int{m, n})
	if err != nil {
		return nil, err
	}
	out := o.Float32s()
	if ct == nil {
		beta = 0
	} else {
		copy(out, kernels.Broadcast(ct.Float32s(), ct.Shape(), []int{m, n}))
	}
	linalg.Sgemm(ta, tb, m, n, k, alpha, a.Float32s(), max(a.Dim(1), 1), b.Float32s(), max(b.Dim(1), 1), beta, out, max(n, 1))
	if ct != nil && beta == 0 {
		// SGEMM does not read C when beta is zero; Gemm's 0·C still turns
		// infinities and NaNs of C into NaN.
		cv := kernels.Broadcast(ct.Float32s(), ct.Shape(), []int{m, n})
		for i, v := range cv {
			out[i] += 0 * v
		}
	}
	return []*tensor.Tensor{o}, nil
}

// gemmCore computes alpha·A'·B' + beta·C in A, reading A' and B' through
// row and column strides; c (M×N) may be nil.
func gemmCore[E elem, A num](a, b []E, c []A, m, k, n, ars, acs, brs, bcs int, alpha, beta A) []A {
	out := make([]A, m*n)
	for i := 0; i < m; i++ {
		row := out[i*n : i*n+n]
		if bcs == 1 {
			// Rows of B' are contiguous: add a multiple of each to the row.
			for p := 0; p < k; p++ {
				av := A(a[i*ars+p*acs])
				brow := b[p*brs : p*brs+n]
				for j, bv := range brow {
					row[j] += av * A(bv)
				}
			}
		} else {
			// Columns of B' are contiguous (transB): one dot product each.
			for j := range row {
				var s A
				bcol := b[j*bcs:]
				for p := 0; p < k; p++ {
					s += A(a[i*ars+p*acs]) * A(bcol[p*brs])
				}
				row[j] = s
			}
		}
		for j := range row {
			row[j] *= alpha
			if c != nil {
				row[j] += beta * c[i*n+j]
			}
		}
	}
	return out
}

func det(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireFloat("X", x); err != nil {
		return nil, err
	}
	r := x.Rank()
	if r < 2 || x.Dim(-1) != x.Dim(-2) {
		return nil, fmt.Errorf("X must hold square matrices in its last two dims, got shape %v", x.Shape())
	}
	n := x.Dim(-1)
	batch := x.Shape()[:r-2]
	nb := product(batch)
	xv := kernels.Float64s(x)
	out := make([]float64, nb)
	m := make([]float64, n*n)
	for bi := range out {
		copy(m, xv[bi*n*n:(bi+1)*n*n])
		out[bi] = luDet(m, n)
	}
	return []*tensor.Tensor{kernels.FromFloat64s(x.DType(), batch, out)}, nil
}

// luDet returns the determinant of the n×n matrix m by Gaussian
// elimination with partial pivoting; m is overwritten.
func luDet(m []float64, n int) float64 {
	d := 1.0
	for col := 0; col < n; col++ {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(m[r*n+col]) > math.Abs(m[piv*n+col]) {
				piv = r
			}
		}
		if m[piv*n+col] == 0 {
			return 0
		}
		if piv != col {
			for j := 0; j < n; j++ {
				m[col*n+j], m[piv*n+j] = m[piv*n+j], m[col*n+j]
			}
			d = -d
		}
		p := m[col*n+col]
		d *= p
		for r := col + 1; r < n; r++ {
			f := m[r*n+col] / p
			if f == 0 {
				continue
			}
			for j := col; j < n; j++ {
				m[r*n+j] -= f * m[col*n+j]
			}
		}
	}
	return d
}
