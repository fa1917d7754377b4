package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the products BenchmarkSgemm times: cubes, the im2col
// product of a 3×3, 64→64 channel convolution over 56×56, and a fully
// connected layer at batch 1 (AlexNet's fc6).
var benchShapes = []struct {
	name    string
	m, n, k int
}{
	{"64", 64, 64, 64},
	{"256", 256, 256, 256},
	{"1024", 1024, 1024, 1024},
	{"fc1x4096x9216", 1, 4096, 9216},
	{"conv3x3x64@56", 64, 56 * 56, 3 * 3 * 64},
}

// BenchmarkSgemm times C = A·B for each kernel set, shape and thread
// count and reports GFLOP/s.
func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range sets {
		for _, sh := range benchShapes {
			a, bb := randFloats(r, sh.m*sh.k), randFloats(r, sh.k*sh.n)
			c := make([]float32, sh.m*sh.n)
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/t%d", s.name, sh.name, th), func(b *testing.B) {
					cpu0 := cpuSeconds()
					for b.Loop() {
						s.gemm(th, false, false, sh.m, sh.n, sh.k, 1, a, sh.k, bb, sh.n, 0, c, sh.n)
					}
					reportFlops(b, 2*float64(sh.m)*float64(sh.n)*float64(sh.k), cpuSeconds()-cpu0)
				})
			}
		}
	}
}

// BenchmarkMicroKernel times each set's full-tile micro-kernel on panels
// that stay in L1: the kernel's own peak.
func BenchmarkMicroKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	const kc = 256
	for _, s := range sets {
		a, bp := randFloats(r, kc*s.mr), randFloats(r, kc*s.nr)
		c := make([]float32, s.mr*s.nr)
		b.Run(s.name, func(b *testing.B) {
			k := s.kern[s.mr-1]
			cpu0 := cpuSeconds()
			for b.Loop() {
				k(kc, &a[0], &bp[0], &c[0], s.nr, 1, 1)
			}
			reportFlops(b, 2*float64(s.mr*s.nr*kc), cpuSeconds()-cpu0)
		})
	}
}

// reportFlops reports the rate of b.N operations of flops each: GFLOP/s
// over wall time, and GFLOP/cpu-s over the CPU time the process used (on
// a shared machine the second is the steadier: other processes' time is
// not counted, though they still share the caches).
func reportFlops(b *testing.B, flops, cpu float64) {
	total := flops * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(total/cpu/1e9, "GFLOP/cpu-s")
	}
}
