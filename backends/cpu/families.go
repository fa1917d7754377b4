package cpu

// The op families whose kernels the CPU backend runs. Each package
// registers its kernels in package kernels from init.
import (
	_ "github.com/onyxgo/onyx/backends/cpu/basic"
	_ "github.com/onyxgo/onyx/backends/cpu/control"
	_ "github.com/onyxgo/onyx/backends/cpu/elementwise"
	_ "github.com/onyxgo/onyx/backends/cpu/misc"
	_ "github.com/onyxgo/onyx/backends/cpu/ml"
	_ "github.com/onyxgo/onyx/backends/cpu/nnops"
	_ "github.com/onyxgo/onyx/backends/cpu/quant"
	_ "github.com/onyxgo/onyx/backends/cpu/reduce"
	_ "github.com/onyxgo/onyx/backends/cpu/seqmodels"
	_ "github.com/onyxgo/onyx/backends/cpu/shapeops"
	_ "github.com/onyxgo/onyx/backends/cpu/signal"
	_ "github.com/onyxgo/onyx/backends/cpu/training"
)
