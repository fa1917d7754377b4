package passes

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// bnReluConv builds x → BatchNormalization → Mul → Add → Relu → [pool] →
// Conv with the given BN scales.
func bnReluConv(scales []float32, pool bool) *ir.Model {
	r := rand.New(rand.NewPCG(3, 4))
	vec := func(n int, lo, hi float64) *tensor.Tensor {
		t := tensor.New(tensor.Float32, n)
		for i := range t.Float32s() {
			t.Float32s()[i] = float32(lo + (hi-lo)*r.Float64())
		}
		return t
	}
	f := ir.NewFunc("g")
	x := f.AddParam("x", ir.TensorType(tensor.Float32, 1, 3, 4, 4))
	scale := f.AddConst("scale", tensor.FromSlice(scales))
	bias := f.AddConst("bias", vec(3, -1, 1))
	mean := f.AddConst("mean", vec(3, -1, 1))
	variance := f.AddConst("var", vec(3, 0.5, 2))
	mul := f.AddConst("m", func() *tensor.Tensor { t, _ := vec(3, 0.5, 2).Reshape(3, 1, 1); return t }())
	add := f.AddConst("a", func() *tensor.Tensor { t, _ := vec(3, -1, 1).Reshape(3, 1, 1); return t }())
	w := tensor.New(tensor.Float32, 2, 3, 3, 3)
	for i := range w.Float32s() {
		w.Float32s()[i] = float32(r.NormFloat64())
	}
	wv := f.AddConst("w", w)
	bn := f.NewNode("BatchNormalization", "", 15, []*ir.Value{x, scale, bias, mean, variance}, []string{"y"})
	m := f.NewNode("Mul", "", 15, []*ir.Value{bn.Outputs[0], mul}, []string{"ym"})
	a := f.NewNode("Add", "", 15, []*ir.Value{m.Outputs[0], add}, []string{"ya"})
	relu := f.NewNode("Relu", "", 15, []*ir.Value{a.Outputs[0]}, []string{"r"})
	in := relu.Outputs[0]
	if pool {
		p := f.NewNode("MaxPool", "", 15, []*ir.Value{in}, []string{"p"}, ir.AInts("kernel_shape", 2, 2))
		in = p.Outputs[0]
	}
	conv := f.NewNode("Conv", "", 15, []*ir.Value{in, wv}, []string{"z"}, ir.AInts("pads", 1, 1, 1, 1))
	f.Results = conv.Outputs
	return &ir.Model{Graph: f, Opsets: map[string]int{"": 15}, IRVersion: 8}
}

func runModel(t *testing.T, m *ir.Model, x *tensor.Tensor) []float32 {
	t.Helper()
	p, err := cpu.Compile(m.Graph, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), map[string]*tensor.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	return out["z"].Float32s()
}

func TestFoldBatchNormForward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := tensor.New(tensor.Float32, 1, 3, 4, 4)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(r.NormFloat64())
	}
	for _, tc := range []struct {
		name   string
		scales []float32
		pool   bool
		folds  bool
	}{
		{"positive scales", []float32{0.5, 1.5, 2}, false, true},
		{"through MaxPool", []float32{0.5, 1.5, 2}, true, true},
		{"a negative scale", []float32{0.5, -1.5, 2}, false, false},
		{"a zero scale", []float32{0.5, 0, 2}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := runModel(t, bnReluConv(tc.scales, tc.pool), x)
			m := bnReluConv(tc.scales, tc.pool)
			if _, err := Run(m, Options{Check: true, Level: 1}); err != nil {
				t.Fatal(err)
			}
			left := OpCounts(m.Graph)["BatchNormalization"]
			if tc.folds && left != 0 {
				t.Fatalf("%d BatchNormalization left:\n%s", left, m.Text())
			}
			if !tc.folds && left != 1 {
				t.Fatalf("the norm was folded although a scale is not positive:\n%s", m.Text())
			}
			got := runModel(t, m, x)
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("element %d: %v after optimizing, %v before", i, got[i], want[i])
				}
			}
		})
	}
}
