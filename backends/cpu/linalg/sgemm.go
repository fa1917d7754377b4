package linalg

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// threads is the most goroutines one call uses; 0 means GOMAXPROCS.
var threads atomic.Int64

// SetThreads bounds the goroutines one Sgemm call uses; n <= 0 restores
// the default, GOMAXPROCS.
func SetThreads(n int) { threads.Store(int64(max(n, 0))) }

// Threads returns the most goroutines one Sgemm call uses.
func Threads() int {
	if t := int(threads.Load()); t > 0 {
		return t
	}
	return runtime.GOMAXPROCS(0)
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices: op(A) is m×k, op(B) k×n and C m×n. op(X) is X, or Xᵀ when its
// trans flag is set; lda, ldb and ldc are the row strides of the matrices
// as stored (so A is stored m×k, or k×m when transA). When beta is zero, C
// is not read. It uses up to Threads() goroutines. It panics when a size
// or stride is negative or too small, or a slice too short.
//
// It is, up to rounding (products are summed in float32, in another order),
//
//	for i < m, j < n: c[i*ldc+j] = alpha*Σ_{p<k} A'(i,p)*B'(p,j) + beta*c[i*ldc+j]
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	SgemmThreads(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmThreads is Sgemm with at most threads goroutines (threads <= 0:
// Threads()).
func SgemmThreads(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	best.gemm(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkMatrix panics unless x holds a rows×cols row-major matrix of row
// stride ld.
func checkMatrix(name string, rows, cols int, x []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("linalg: ld%s = %d is less than the %d columns of %s", name, ld, cols, name))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("linalg: %s holds %d values, a %d×%d matrix of row stride %d needs %d", name, len(x), rows, cols, ld, (rows-1)*ld+cols))
	}
}

// dims returns the stored shape of a matrix whose op is rows×cols.
func dims(trans bool, rows, cols int) (int, int) {
	if trans {
		return cols, rows
	}
	return rows, cols
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("linalg: negative size m=%d n=%d k=%d", m, n, k))
	}
	ra, ca := dims(transA, m, k)
	checkMatrix("A", ra, ca, a, lda)
	rb, cb := dims(transB, k, n)
	checkMatrix("B", rb, cb, b, ldb)
	checkMatrix("C", m, n, c, ldc)
}

// scaleC sets C = beta·C, writing zeros when beta is zero.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// smallWork is the m·n·k below which Sgemm multiplies directly, without
// packing.
const smallWork = 24 * 24 * 24

// minThreadWork is the least m·n·k worth a goroutine of its own (a
// variable so that tests can split small products).
var minThreadWork = 80 * 80 * 80

// job is one SGEMM call.
type job struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	pa             *PackedA // when set, op(A) is read from it, not from a
}

func (s *kernelSet) gemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if m*n*k <= smallWork || m == 1 || n == 1 {
		if threads <= 0 {
			threads = Threads()
		}
		// Thin products are bound by reading B: bands of columns of C,
		// each with its own columns of B, go to separate goroutines.
		t := min(threads, max(1, m*n*k/minThreadWork), n/16)
		if t <= 1 {
			gemmSmall(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			return
		}
		parallel(t, func(w int) {
			j0, j1 := n*w/t, n*(w+1)/t
			bj := b[j0:]
			if transB {
				bj = b[j0*ldb:]
			}
			gemmSmall(transA, transB, m, j1-j0, k, alpha, a, lda, bj, ldb, beta, c[j0:], ldc)
		})
		return
	}
	s.run(threads, &job{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc})
}

// run spreads a job over goroutines, each computing a band of whole tiles
// of C, cut across the longer side.
func (s *kernelSet) run(threads int, g *job) {
	if threads <= 0 {
		threads = Threads()
	}
	tilesM, tilesN := (g.m+s.mr-1)/s.mr, (g.n+s.nr-1)/s.nr
	t := min(threads, max(1, g.m*g.n*g.k/minThreadWork), max(tilesM, tilesN))
	if t <= 1 {
		s.serial(g, 0, g.m, 0, g.n)
		return
	}
	alongN := tilesN >= t && (g.n >= g.m || tilesM < t)
	band := func(w int) (i0, i1, j0, j1 int) {
		if alongN {
			return 0, g.m, min(g.n, tilesN*w/t*s.nr), min(g.n, tilesN*(w+1)/t*s.nr)
		}
		return min(g.m, tilesM*w/t*s.mr), min(g.m, tilesM*(w+1)/t*s.mr), 0, g.n
	}
	parallel(t, func(w int) {
		i0, i1, j0, j1 := band(w)
		if i0 < i1 && j0 < j1 {
			s.serial(g, i0, i1, j0, j1)
		}
	})
}

// parallel runs fn(0), ..., fn(n-1) on n goroutines, fn(0) on the
// caller's. A panic in fn is raised again in the caller.
func parallel(n int, fn func(w int)) {
	var (
		wg       sync.WaitGroup
		once     sync.Once
		panicked any
	)
	for w := 1; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					once.Do(func() { panicked = r })
				}
			}()
			fn(w)
		}()
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				once.Do(func() { panicked = r })
			}
		}()
		fn(0)
	}()
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// buffers are one goroutine's packing buffers.
type buffers struct {
	a, b, tile []float32
}

var bufPool sync.Pool

// alignedFloats returns n float32s starting on a 64-byte boundary.
func alignedFloats(n int) []float32 {
	s := make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&s[0]))&63) / 4
	if off != 0 {
		off = 16 - off
	}
	return s[off : off+n : off+n]
}

func (s *kernelSet) getBuffers() *buffers {
	bf, _ := bufPool.Get().(*buffers)
	if bf == nil {
		bf = &buffers{}
	}
	if len(bf.a) < s.mc*s.kc {
		bf.a = alignedFloats(s.mc * s.kc)
	}
	if len(bf.b) < s.kc*s.nc {
		bf.b = alignedFloats(s.kc * s.nc)
	}
	if len(bf.tile) < s.mr*s.nr {
		bf.tile = alignedFloats(s.mr * s.nr)
	}
	return bf
}

// serial computes rows [i0, i1) and columns [j0, j1) of C on the calling
// goroutine. With a packed A, i0 is a multiple of mr.
func (s *kernelSet) serial(g *job, i0, i1, j0, j1 int) {
	bf := s.getBuffers()
	defer bufPool.Put(bf)
	for jc := j0; jc < j1; jc += s.nc {
		nc := min(s.nc, j1-jc)
		for pc := 0; pc < g.k; pc += s.kc {
			kc := min(s.kc, g.k-pc)
			s.packB(g, bf.b, pc, jc, kc, nc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			for ic := i0; ic < i1; ic += s.mc {
				mc := min(s.mc, i1-ic)
				var ap []float32
				if g.pa != nil {
					ap = g.pa.block(pc, ic)
				} else {
					s.packA(g, bf.a, ic, pc, mc, kc)
					ap = bf.a
				}
				s.macro(g, ap, bf.b, bf.tile, ic, jc, mc, nc, kc, beta)
			}
		}
	}
}

// macro runs the micro-kernel over the mc×nc block of C at (ic, jc) from
// packed blocks of A (mc×kc) and B (kc×nc). Tiles cut by the right edge of
// C are computed into tile and copied.
func (s *kernelSet) macro(g *job, ap, bp, tile []float32, ic, jc, mc, nc, kc int, beta float32) {
	mr, nr, ldc := s.mr, s.nr, g.ldc
	for jr := 0; jr < nc; jr += nr {
		w := min(nr, nc-jr)
		bpan := bp[jr*kc : (jr+nr)*kc]
		for ir := 0; ir < mc; ir += mr {
			r := min(mr, mc-ir)
			apan := ap[ir*kc : (ir+mr)*kc]
			ci := (ic+ir)*ldc + jc + jr
			if w == nr {
				_ = g.c[ci+(r-1)*ldc+nr-1]
				s.kern[r-1](kc, &apan[0], &bpan[0], &g.c[ci], ldc, g.alpha, beta)
				continue
			}
			s.kern[r-1](kc, &apan[0], &bpan[0], &tile[0], nr, g.alpha, 0)
			for i := 0; i < r; i++ {
				dst := g.c[ci+i*ldc : ci+i*ldc+w]
				src := tile[i*nr : i*nr+w]
				if beta == 0 {
					copy(dst, src)
				} else {
					for j, v := range src {
						dst[j] = v + beta*dst[j]
					}
				}
			}
		}
	}
}

// packB packs the kc×nc block of op(B) at (pc, jc) into panels nr columns
// wide: element (p, j) goes to dst[(j/nr)*kc*nr + p*nr + j%nr]. Columns
// past nc in the last panel are zero.
func (s *kernelSet) packB(g *job, dst []float32, pc, jc, kc, nc int) {
	nr, b, ldb := s.nr, g.b, g.ldb
	full := nc / nr * nr // columns in whole panels
	if !g.transB {
		if full > 0 {
			_ = b[(pc+kc-1)*ldb+jc+full-1]
			_ = dst[full*kc-1]
			s.packRows(kc, full/nr, &b[pc*ldb+jc], ldb, &dst[0], kc)
		}
		if full < nc {
			for p := 0; p < kc; p++ {
				t := dst[full*kc+p*nr : full*kc+p*nr+nr]
				copy(t, b[(pc+p)*ldb+jc+full:(pc+p)*ldb+jc+nc])
				clear(t[nc-full:])
			}
		}
		return
	}
	for j0 := 0; j0 < nc; j0 += nr {
		w := min(nr, nc-j0)
		pan := dst[j0*kc : j0*kc+kc*nr]
		for j := 0; j < w; j++ {
			src := b[(jc+j0+j)*ldb+pc : (jc+j0+j)*ldb+pc+kc]
			for p, v := range src {
				pan[p*nr+j] = v
			}
		}
		if w < nr {
			for p := 0; p < kc; p++ {
				clear(pan[p*nr+w : p*nr+nr])
			}
		}
	}
}

// packRows is the copy at the heart of packing B: for p < rows and q <
// panels, the nr values at src[p*ldb+q*nr] go to dst[q*kc*nr+p*nr].
type packRows func(rows, panels int, src *float32, ldb int, dst *float32, kc int)

// packRowsGo returns the pure-Go packRows for panels nr wide; the
// assembly ones are its twins.
func packRowsGo(nr int) packRows {
	return func(rows, panels int, src *float32, ldb int, dst *float32, kc int) {
		if rows == 0 || panels == 0 {
			return
		}
		ss := unsafe.Slice(src, (rows-1)*ldb+panels*nr)
		ds := unsafe.Slice(dst, ((panels-1)*kc+rows)*nr)
		for p := 0; p < rows; p++ {
			row := ss[p*ldb : p*ldb+panels*nr]
			for q := 0; q < panels; q++ {
				copy(ds[(q*kc+p)*nr:(q*kc+p+1)*nr], row[q*nr:(q+1)*nr])
			}
		}
	}
}

// packA packs the mc×kc block of op(A) at (ic, pc) into panels mr rows
// tall: element (i, p) goes to dst[(i/mr)*kc*mr + p*mr + i%mr]. Rows past
// mc in the last panel are left as they are: the kernels for fewer rows
// do not read them.
func (s *kernelSet) packA(g *job, dst []float32, ic, pc, mc, kc int) {
	packA(s.mr, g.transA, g.a, g.lda, dst, ic, pc, mc, kc)
}

func packA(mr int, transA bool, a []float32, lda int, dst []float32, ic, pc, mc, kc int) {
	var rows [16][]float32
	for i0 := 0; i0 < mc; i0 += mr {
		h := min(mr, mc-i0)
		pan := dst[i0*kc : i0*kc+kc*mr]
		if transA {
			for p := 0; p < kc; p++ {
				src := a[(pc+p)*lda+ic+i0 : (pc+p)*lda+ic+i0+h]
				copy(pan[p*mr:p*mr+h], src)
			}
			continue
		}
		if h == 12 && mr == 12 {
			packA12(pan, a, lda, ic+i0, pc, kc)
			continue
		}
		if h > len(rows) {
			for i := 0; i < h; i++ {
				src := a[(ic+i0+i)*lda+pc : (ic+i0+i)*lda+pc+kc]
				for p, v := range src {
					pan[p*mr+i] = v
				}
			}
			continue
		}
		// Column by column, so the panel is written in order.
		for i := 0; i < h; i++ {
			rows[i] = a[(ic+i0+i)*lda+pc : (ic+i0+i)*lda+pc+kc]
		}
		for p := 0; p < kc; p++ {
			d := pan[p*mr : p*mr+h]
			for i := range d {
				d[i] = rows[i][p]
			}
		}
	}
}

// packA12 packs one whole 12-row panel of a non-transposed A.
func packA12(pan, a []float32, lda, i, pc, kc int) {
	r0, r1, r2, r3 := a[i*lda+pc:][:kc], a[(i+1)*lda+pc:][:kc], a[(i+2)*lda+pc:][:kc], a[(i+3)*lda+pc:][:kc]
	r4, r5, r6, r7 := a[(i+4)*lda+pc:][:kc], a[(i+5)*lda+pc:][:kc], a[(i+6)*lda+pc:][:kc], a[(i+7)*lda+pc:][:kc]
	r8, r9, r10, r11 := a[(i+8)*lda+pc:][:kc], a[(i+9)*lda+pc:][:kc], a[(i+10)*lda+pc:][:kc], a[(i+11)*lda+pc:][:kc]
	pan = pan[:kc*12]
	for p := range r0 {
		d := (*[12]float32)(pan[p*12:])
		d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
		d[8], d[9], d[10], d[11] = r8[p], r9[p], r10[p], r11[p]
	}
}

// PackedA is a matrix op(A) packed once for many products with it, such
// as a convolution's weights.
type PackedA struct {
	set  *kernelSet
	m, k int
	mpad int // m rounded up to a multiple of mr
	data []float32
}

// PackA packs op(A), an m×k matrix (stored k×m when transA) of row stride
// lda, for SgemmPacked.
func PackA(transA bool, m, k int, a []float32, lda int) *PackedA {
	return best.prepack(transA, m, k, a, lda)
}

func (s *kernelSet) prepack(transA bool, m, k int, a []float32, lda int) *PackedA {
	if m < 0 || k < 0 {
		panic(fmt.Sprintf("linalg: negative size m=%d k=%d", m, k))
	}
	ra, ca := dims(transA, m, k)
	checkMatrix("A", ra, ca, a, lda)
	mpad := (m + s.mr - 1) / s.mr * s.mr
	p := &PackedA{set: s, m: m, k: k, mpad: mpad}
	if d, _ := packPool.Get().(*[]float32); d != nil && cap(*d) >= mpad*k {
		p.data = (*d)[:mpad*k]
	} else {
		p.data = alignedFloats(mpad * k)
	}
	for pc := 0; pc < k; pc += s.kc {
		kc := min(s.kc, k-pc)
		packA(s.mr, transA, a, lda, p.data[pc*mpad:], 0, pc, m, kc)
	}
	return p
}

// packPool holds the buffers of released PackedAs.
var packPool sync.Pool

// Release hands p's memory back for later PackA calls to reuse. p must
// not be used afterwards.
func (p *PackedA) Release() {
	if p.data != nil {
		d := p.data[:cap(p.data)]
		p.data = nil
		packPool.Put(&d)
	}
}

// Rows returns the m of op(A).
func (p *PackedA) Rows() int { return p.m }

// Cols returns the k of op(A).
func (p *PackedA) Cols() int { return p.k }

// block returns the packed panels of the k-block starting at row pc, from
// row ic on.
func (p *PackedA) block(pc, ic int) []float32 {
	kc := min(p.set.kc, p.k-pc)
	return p.data[pc*p.mpad+ic*kc:]
}

// SgemmPacked is SgemmThreads with op(A) packed by PackA: it computes
// C = alpha·op(A)·op(B) + beta·C, op(B) being k×n.
func SgemmPacked(threads int, pa *PackedA, transB bool, n int, alpha float32, b []float32, ldb int, beta float32, c []float32, ldc int) {
	s, m, k := pa.set, pa.m, pa.k
	if n < 0 {
		panic(fmt.Sprintf("linalg: negative size n=%d", n))
	}
	rb, cb := dims(transB, k, n)
	checkMatrix("B", rb, cb, b, ldb)
	checkMatrix("C", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	s.run(threads, &job{transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		b: b, c: c, ldb: ldb, ldc: ldc, pa: pa})
}

// gemmSmall multiplies without packing, row by row of C, for problems too
// small (or too thin) for packing to pay.
func gemmSmall(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if transA {
		// Read op(A) once into rows.
		at := make([]float32, m*k)
		for p := 0; p < k; p++ {
			for i, v := range a[p*lda : p*lda+m] {
				at[i*k+p] = v
			}
		}
		a, lda = at, k
	}
	scaleC(m, n, beta, c, ldc)
	// A thin C (n small) reads each column of B once and takes dot
	// products with rows of A; otherwise multiples of rows of B are added
	// into rows of C.
	if transB || n < 4 {
		var colB []float32
		if !transB {
			colB = make([]float32, k)
		}
		for j := 0; j < n; j++ {
			bj := colB
			if transB {
				bj = b[j*ldb : j*ldb+k]
			} else {
				for p := range colB {
					colB[p] = b[p*ldb+j]
				}
			}
			for i := 0; i < m; i++ {
				c[i*ldc+j] += alpha * Dot(a[i*lda:i*lda+k], bj)
			}
		}
		return
	}
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		for p, av := range a[i*lda : i*lda+k] {
			Axpy(alpha*av, b[p*ldb:p*ldb+n], crow)
		}
	}
}

// Parallel calls fn(i) for every i in [0, n) on up to Threads()
// goroutines, the caller's among them. A panic in fn is raised again in
// the caller.
func Parallel(n int, fn func(i int)) {
	t := min(n, Threads())
	if t <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	parallel(t, func(int) {
		for {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			fn(i)
		}
	})
}
