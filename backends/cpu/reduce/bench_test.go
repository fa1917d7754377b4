package reduce

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Benchmarks of reductions, the softmax family and normalizations over
// the common float32 training and inference shapes. Each runs the
// registered kernel on prepared inputs.

func randF32(rng *rand.Rand, lo, hi float64, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range tensor.Data[float32](t) {
		tensor.Data[float32](t)[i] = float32(lo + rng.Float64()*(hi-lo))
	}
	return t
}

// prepare builds a one-node graph for op at opset with nOut outputs and
// returns its kernel, context and input values.
func prepare(tb testing.TB, op string, opset int, ins []*tensor.Tensor, nOut int, attrs ...ir.Attr) (kernels.Kernel, *kernels.Ctx, []tensor.Value) {
	tb.Helper()
	f := ir.NewFunc("bench")
	vals := make([]*ir.Value, len(ins))
	vs := make([]tensor.Value, len(ins))
	for i, x := range ins {
		if x == nil {
			continue
		}
		vals[i] = f.AddParam(fmt.Sprintf("in%d", i), ir.TensorType(x.DType(), int64s(x.Shape())...))
		vs[i] = x
	}
	names := make([]string, nOut)
	for i := range names {
		names[i] = fmt.Sprintf("out%d", i)
	}
	n := f.NewNode(op, "", opset, vals, names, attrs...)
	ks := kernels.Lookup(n)
	if len(ks) == 0 {
		tb.Fatalf("%s: no kernel at opset %d", op, opset)
	}
	return ks[0].Run, &kernels.Ctx{Node: n, Opset: opset}, vs
}

func benchOp(b *testing.B, op string, opset int, ins []*tensor.Tensor, nOut int, attrs ...ir.Attr) {
	k, c, vs := prepare(b, op, opset, ins, nOut, attrs...)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		if _, err := k(c, vs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

func axesT(a ...int64) *tensor.Tensor { return tensor.FromSlice(a) }

func BenchmarkReduceSumLast(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "ReduceSum", 13, []*tensor.Tensor{randF32(rng, -2, 2, 256, 1000), axesT(-1)}, 1)
}

func BenchmarkReduceSumLeading(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "ReduceSum", 13, []*tensor.Tensor{randF32(rng, -2, 2, 256, 1000), axesT(0)}, 1,
		ir.Attr{Name: "keepdims", Type: ir.AttrInt, I: 0})
}

func BenchmarkReduceMeanSpatial(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "ReduceMean", 18, []*tensor.Tensor{randF32(rng, -2, 2, 64, 256, 14, 14), axesT(2, 3)}, 1)
}

func BenchmarkReduceMaxLast(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "ReduceMax", 18, []*tensor.Tensor{randF32(rng, -2, 2, 256, 1000), axesT(-1)}, 1)
}

func BenchmarkReduceSumAll(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "ReduceSum", 13, []*tensor.Tensor{randF32(rng, -2, 2, 64, 256, 14, 14)}, 1,
		ir.Attr{Name: "keepdims", Type: ir.AttrInt, I: 0})
}

func BenchmarkSoftmax(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Softmax", 13, []*tensor.Tensor{randF32(rng, -8, 8, 64, 1000)}, 1)
}

func BenchmarkLogSoftmax(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "LogSoftmax", 13, []*tensor.Tensor{randF32(rng, -8, 8, 64, 1000)}, 1)
}

func BenchmarkLayerNorm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "LayerNormalization", 17, []*tensor.Tensor{randF32(rng, -2, 2, 32, 128, 256),
		randF32(rng, 0.5, 1.5, 256), randF32(rng, -1, 1, 256)}, 1,
		ir.Attr{Name: "axis", Type: ir.AttrInt, I: -1})
}

func bnInputs(rng *rand.Rand) []*tensor.Tensor {
	return []*tensor.Tensor{randF32(rng, -2, 2, 64, 256, 14, 14), randF32(rng, 0.5, 1.5, 256),
		randF32(rng, -1, 1, 256), randF32(rng, -0.5, 0.5, 256), randF32(rng, 0.5, 2, 256)}
}

func BenchmarkBatchNormInference(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "BatchNormalization", 15, bnInputs(rng), 1)
}

func BenchmarkBatchNormTraining(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "BatchNormalization", 15, bnInputs(rng), 3,
		ir.Attr{Name: "training_mode", Type: ir.AttrInt, I: 1})
}
