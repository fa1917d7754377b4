package nnops

import "github.com/onyxgo/onyx/backends/cpu/linalg"

// Blocked matrix multiply used by the convolutions.

// gemmKC is the k-block: the rows of B one pass keeps hot in cache.
const gemmKC = 128

// gemmAcc computes C += A·B for an m×k A (row stride lda), a k×n B (row
// stride ldb) and an m×n C (row stride ldc). It runs on one goroutine;
// callers split the work. Float32 goes to linalg's SGEMM; otherwise the
// inner loop runs over contiguous rows of B and C, four rows of C at a
// time.
func gemmAcc[F Float](m, n, k int, a []F, lda int, b []F, ldb int, c []F, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	if a32, ok := any(a).([]float32); ok {
		linalg.SgemmThreads(1, false, false, m, n, k, 1, a32, lda, any(b).([]float32), ldb, 1, any(c).([]float32), ldc)
		return
	}
	for k0 := 0; k0 < k; k0 += gemmKC {
		k1 := min(k, k0+gemmKC)
		i := 0
		for ; i+4 <= m; i += 4 {
			c0, c1, c2, c3 := c[i*ldc:i*ldc+n], c[(i+1)*ldc:(i+1)*ldc+n], c[(i+2)*ldc:(i+2)*ldc+n], c[(i+3)*ldc:(i+3)*ldc+n]
			a0, a1, a2, a3 := a[i*lda:i*lda+k1], a[(i+1)*lda:(i+1)*lda+k1], a[(i+2)*lda:(i+2)*lda+k1], a[(i+3)*lda:(i+3)*lda+k1]
			for kk := k0; kk < k1; kk++ {
				w0, w1, w2, w3 := a0[kk], a1[kk], a2[kk], a3[kk]
				bk := b[kk*ldb : kk*ldb+n]
				c0, c1, c2, c3 := c0[:len(bk)], c1[:len(bk)], c2[:len(bk)], c3[:len(bk)]
				for j, v := range bk {
					c0[j] += w0 * v
					c1[j] += w1 * v
					c2[j] += w2 * v
					c3[j] += w3 * v
				}
			}
		}
		for ; i < m; i++ {
			ci := c[i*ldc : i*ldc+n]
			ai := a[i*lda : i*lda+k1]
			for kk := k0; kk < k1; kk++ {
				w := ai[kk]
				bk := b[kk*ldb : kk*ldb+n]
				ci := ci[:len(bk)]
				for j, v := range bk {
					ci[j] += w * v
				}
			}
		}
	}
}
