package linalg

// sets lists the kernel sets this machine can run, fastest first; the
// pure-Go set is always last. best is the one Sgemm uses.
var (
	sets = []*kernelSet{goSet}
	best = goSet
)

// Kernel names the micro-kernel family in use: "avx512", "avx2" or "go".
func Kernel() string { return best.name }
