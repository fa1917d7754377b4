package elementwise

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Benchmarks of the common float32 training and inference shapes. Each
// runs the registered kernel on prepared inputs, so that only the kernel
// is measured.

// randF32 returns a float32 tensor of the given shape holding values in
// [-2, 2).
func randF32(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range tensor.Data[float32](t) {
		tensor.Data[float32](t)[i] = float32(rng.Float64()*4 - 2)
	}
	return t
}

func randBool(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Bool, shape...)
	for i := range t.Bytes() {
		if rng.IntN(2) == 1 {
			t.Bytes()[i] = 1
		}
	}
	return t
}

// kernelFor builds a node for op at opset over the inputs and returns the
// registered kernel chosen for their element types.
func kernelFor(tb testing.TB, op string, opset int, attrs []ir.Attr, ins ...*tensor.Tensor) (*kernels.KernelDef, *kernels.Ctx) {
	tb.Helper()
	n := &ir.Node{Op: op, Opset: opset, Attrs: attrs, Inputs: make([]*ir.Value, len(ins)),
		Outputs: []*ir.Value{{Name: "out"}}}
	for i, t := range ins {
		if t != nil {
			n.Inputs[i] = &ir.Value{Name: fmt.Sprint("in", i)}
		}
	}
	if err := ir.ResolveNode(n); err != nil {
		tb.Fatal(err)
	}
	for _, d := range kernels.Lookup(n) {
		if d.Types == nil {
			return &d, &kernels.Ctx{Node: n, Opset: opset, Context: context.Background()}
		}
		if t := ins[d.TypeInput]; t != nil {
			for _, dt := range d.Types {
				if dt == t.DType() {
					return &d, &kernels.Ctx{Node: n, Opset: opset, Context: context.Background()}
				}
			}
		}
	}
	tb.Fatalf("%s: no kernel", op)
	return nil, nil
}

func benchOp(b *testing.B, op string, opset int, attrs []ir.Attr, ins ...*tensor.Tensor) {
	k, c := kernelFor(b, op, opset, attrs, ins...)
	vals := make([]tensor.Value, len(ins))
	for i, t := range ins {
		if t != nil {
			vals[i] = t
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		if _, err := k.Run(c, vals); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// The activation shape of a mid-network convolution layer.
var actShape = []int{64, 256, 14, 14}

func BenchmarkAddSame(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Add", 14, nil, randF32(rng, actShape...), randF32(rng, actShape...))
}

func BenchmarkAddChannelBias(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Add", 14, nil, randF32(rng, actShape...), randF32(rng, 256, 1, 1))
}

func BenchmarkMulScalar(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Mul", 14, nil, randF32(rng, actShape...), randF32(rng))
}

func BenchmarkSubRow(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Sub", 14, nil, randF32(rng, 64, 1000), randF32(rng, 1000))
}

func BenchmarkDivColumn(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Div", 14, nil, randF32(rng, 64, 1000), randF32(rng, 64, 1))
}

func BenchmarkMaxSame(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Max", 13, nil, randF32(rng, 64, 16, 28, 28), randF32(rng, 64, 16, 28, 28))
}

func BenchmarkPowSquare(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Pow", 15, nil, randF32(rng, 64, 16, 28, 28), f32(2))
}

func BenchmarkGreater(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Greater", 13, nil, randF32(rng, 64, 16, 28, 28), randF32(rng))
}

func BenchmarkWhere(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Where", 16, nil, randBool(rng, 64, 16, 28, 28), randF32(rng, 64, 16, 28, 28), randF32(rng))
}

func BenchmarkRelu(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Relu", 14, nil, randF32(rng, actShape...))
}

func BenchmarkLeakyRelu(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "LeakyRelu", 16, []ir.Attr{fa("alpha", 0.1)}, randF32(rng, 64, 16, 28, 28))
}

func BenchmarkClip(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Clip", 13, nil, randF32(rng, 64, 16, 28, 28), f32(0), f32(6))
}

func BenchmarkSigmoid(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Sigmoid", 13, nil, randF32(rng, 64, 16, 28, 28))
}

func BenchmarkTanh(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Tanh", 13, nil, randF32(rng, 64, 16, 28, 28))
}

func BenchmarkExp(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Exp", 13, nil, randF32(rng, 64, 16, 28, 28))
}

func BenchmarkGelu(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Gelu", 20, nil, randF32(rng, 32, 128, 256))
}

func BenchmarkCastToInt64(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Cast", 21, []ir.Attr{ia("to", int64(tensor.Int64))}, randF32(rng, 64, 16, 28, 28))
}

func BenchmarkSumThree(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchOp(b, "Sum", 13, nil, randF32(rng, 64, 16, 28, 28), randF32(rng, 64, 16, 28, 28), randF32(rng, 64, 16, 28, 28))
}
