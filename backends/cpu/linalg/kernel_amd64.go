//go:build !purego

package linalg

import "golang.org/x/sys/cpu"

//go:generate go run ./_gen

// avx512Set and avx2Set are the assembly kernel sets; nil when the CPU
// (or the operating system) lacks the instructions.
var avx512Set, avx2Set *kernelSet

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		avx2Set = &kernelSet{name: "avx2", mr: 6, nr: 16, kern: sgemmAVX2Kernels, packRows: packBAVX2, kc: 256, mc: 72, nc: 2048}
		axpyImpl = axpyAsm
		dotImpl = dotAsm
	}
	if cpu.X86.HasAVX512F {
		avx512Set = &kernelSet{name: "avx512", mr: 12, nr: 32, kern: sgemmAVX512Kernels, packRows: packBAVX512, kc: 256, mc: 144, nc: 2048}
	}
	sets = nil
	for _, s := range []*kernelSet{avx512Set, avx2Set} {
		if s != nil {
			sets = append(sets, s)
		}
	}
	sets = append(sets, goSet)
	best = sets[0]
}

func axpyAsm(alpha float32, x, y []float32) {
	if len(y) > 0 {
		axpyAVX2(len(y), alpha, &x[:len(y)][0], &y[0])
	}
}

func dotAsm(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return dotAVX2(len(x), &x[0], &y[:len(x)][0])
}
