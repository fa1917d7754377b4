package linalg

import "unsafe"

// microKernel computes one tile of C from a packed A panel and a packed B
// panel: for i below its row count and j < NR,
//
//	c[i*ldc+j] = alpha*Σ_{p<kc} a[p*MR+i]*b[p*NR+j] + beta*c[i*ldc+j]
//
// where MR and NR are the panel widths of its kernel set. When beta is
// zero, C is only written, never read (so NaNs in it do not propagate).
type microKernel func(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// kernelSet is one family of micro-kernels with the block sizes that suit
// it.
type kernelSet struct {
	name   string
	mr, nr int
	// kern[r-1] computes the first r rows of a tile, for 1 <= r <= mr.
	kern []microKernel
	// packRows copies rows of B into panels.
	packRows packRows
	// kc, mc and nc are the cache blocks: a packed A block is mc×kc, a
	// packed B block kc×nc. mc is a multiple of mr, nc of nr.
	kc, mc, nc int
}

// goKernels returns the pure-Go micro-kernels for mr×nr panels: unrolled
// ones for 4×4, the generic kernelGo otherwise.
func goKernels(mr, nr int) []microKernel {
	ks := make([]microKernel, mr)
	for r := 1; r <= mr; r++ {
		ks[r-1] = func(kc int, a, b, c *float32, ldc int, alpha, beta float32) {
			kernelGo(mr, nr, r, kc, a, b, c, ldc, alpha, beta)
		}
	}
	if mr == 4 && nr == 4 {
		ks[3] = kernelGo4x4
	}
	return ks
}

// goSet is the portable kernel set.
var goSet = &kernelSet{name: "go", mr: 4, nr: 4, kern: goKernels(4, 4), packRows: packRowsGo(4), kc: 256, mc: 128, nc: 1024}

// kernelGo is the reference micro-kernel: it computes the first r rows of
// a tile from A panels mr rows tall and B panels nr columns wide, as
// microKernel describes. Every assembly micro-kernel is its twin.
func kernelGo(mr, nr, r, kc int, a, b, c *float32, ldc int, alpha, beta float32) {
	as := unsafe.Slice(a, kc*mr)
	bs := unsafe.Slice(b, kc*nr)
	cs := unsafe.Slice(c, (r-1)*ldc+nr)
	var accBuf [16 * 64]float32
	acc := accBuf[:]
	if r*nr > len(acc) {
		acc = make([]float32, r*nr)
	}
	acc = acc[:r*nr]
	for p := 0; p < kc; p++ {
		ap := as[p*mr : p*mr+r]
		bp := bs[p*nr : p*nr+nr]
		for i, av := range ap {
			row := acc[i*nr : i*nr+nr]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	for i := 0; i < r; i++ {
		row := cs[i*ldc : i*ldc+nr]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * acc[i*nr+j]
			} else {
				row[j] = alpha*acc[i*nr+j] + beta*row[j]
			}
		}
	}
}

// kernelGo4x4 is kernelGo for full 4×4 tiles, with the tile in locals.
func kernelGo4x4(kc int, a, b, c *float32, ldc int, alpha, beta float32) {
	as := unsafe.Slice(a, kc*4)
	bs := unsafe.Slice(b, kc*4)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < kc; p++ {
		ap := as[p*4 : p*4+4 : p*4+4]
		bp := bs[p*4 : p*4+4 : p*4+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := ap[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := ap[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	store4(cs[0:4:4], alpha, beta, c00, c01, c02, c03)
	store4(cs[ldc:ldc+4:ldc+4], alpha, beta, c10, c11, c12, c13)
	store4(cs[2*ldc:2*ldc+4:2*ldc+4], alpha, beta, c20, c21, c22, c23)
	store4(cs[3*ldc:3*ldc+4:3*ldc+4], alpha, beta, c30, c31, c32, c33)
}

// store4 sets row[j] = alpha*vj + beta*row[j], not reading row when beta
// is zero.
func store4(row []float32, alpha, beta, v0, v1, v2, v3 float32) {
	if beta == 0 {
		row[0], row[1], row[2], row[3] = alpha*v0, alpha*v1, alpha*v2, alpha*v3
		return
	}
	row[0] = alpha*v0 + beta*row[0]
	row[1] = alpha*v1 + beta*row[1]
	row[2] = alpha*v2 + beta*row[2]
	row[3] = alpha*v3 + beta*row[3]
}
