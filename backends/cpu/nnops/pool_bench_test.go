package nnops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Benchmarks of the pooling kernels over common float32 shapes.

func poolRandF32(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range tensor.Data[float32](t) {
		tensor.Data[float32](t)[i] = float32(rng.Float64()*4 - 2)
	}
	return t
}

// poolPrepare builds a one-node graph for op with nOut outputs over x
// and returns its kernel and context.
func poolPrepare(tb testing.TB, op string, opset int, x *tensor.Tensor, nOut int, attrs ...ir.Attr) (kernels.Kernel, *kernels.Ctx) {
	tb.Helper()
	f := ir.NewFunc("bench")
	in := f.AddParam("x", ir.TensorType(x.DType(), poolDims(x.Shape())...))
	names := make([]string, nOut)
	for i := range names {
		names[i] = fmt.Sprintf("out%d", i)
	}
	n := f.NewNode(op, "", opset, []*ir.Value{in}, names, attrs...)
	ks := kernels.Lookup(n)
	if len(ks) == 0 {
		tb.Fatalf("%s: no kernel at opset %d", op, opset)
	}
	return ks[0].Run, &kernels.Ctx{Node: n, Opset: opset}
}

func poolBench(b *testing.B, op string, opset int, x *tensor.Tensor, nOut int, attrs ...ir.Attr) {
	k, c := poolPrepare(b, op, opset, x, nOut, attrs...)
	vs := []tensor.Value{x}
	b.ReportAllocs()
	b.ResetTimer()
	start := poolCPUTime()
	for b.Loop() {
		if _, err := k(c, vs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(poolCPUTime()-start)/float64(b.N), "cpu-ns/op")
}

func poolDims(s []int) []int64 {
	d := make([]int64, len(s))
	for i, v := range s {
		d[i] = int64(v)
	}
	return d
}

func intsAttr(name string, v ...int64) ir.Attr {
	return ir.Attr{Name: name, Type: ir.AttrInts, Ints: v}
}

func BenchmarkMaxPool2x2(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	poolBench(b, "MaxPool", 12, poolRandF32(rng, 64, 16, 28, 28), 1,
		intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2))
}

func BenchmarkMaxPool2x2Indices(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	poolBench(b, "MaxPool", 12, poolRandF32(rng, 64, 16, 28, 28), 2,
		intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2))
}

func BenchmarkMaxPool3x3Pad(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	poolBench(b, "MaxPool", 12, poolRandF32(rng, 32, 64, 56, 56), 1,
		intsAttr("kernel_shape", 3, 3), intsAttr("strides", 2, 2), intsAttr("pads", 1, 1, 1, 1))
}

func BenchmarkAveragePool2x2(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	poolBench(b, "AveragePool", 19, poolRandF32(rng, 64, 16, 28, 28), 1,
		intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2))
}

func BenchmarkAveragePool3x3Pad(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	poolBench(b, "AveragePool", 19, poolRandF32(rng, 32, 64, 28, 28), 1,
		intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1))
}

func BenchmarkGlobalAveragePool(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	poolBench(b, "GlobalAveragePool", 1, poolRandF32(rng, 64, 256, 14, 14), 1)
}
