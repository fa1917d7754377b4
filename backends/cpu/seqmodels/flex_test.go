package seqmodels_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// modGraph builds a one-node modifier subgraph: op(scores, c).
func modGraph(name, op string, dt tensor.DType, c *tensor.Tensor) *ir.Func {
	g := ir.NewFunc(name)
	s := g.AddParam("scores", ir.TensorType(dt, 1, 1, 1, 2))
	k := g.AddConst("c", c)
	n := g.NewNode(op, "", 23, []*ir.Value{s, k}, []string{name + "_out"})
	n.Outputs[0].Type = ir.TensorType(dt, 1, 1, 1, 2)
	g.Results = n.Outputs
	return g
}

// flexFunc builds FlexAttention(Q, K, V) with the given attributes.
func flexFunc(dt tensor.DType, attrs ...ir.Attr) *ir.Func {
	f := ir.NewFunc("flex")
	q := f.AddParam("Q", ir.TensorType(dt, 1, 1, 1, 2))
	k := f.AddParam("K", ir.TensorType(dt, 1, 1, 2, 2))
	v := f.AddParam("V", ir.TensorType(dt, 1, 1, 2, 1))
	n := f.NewNode("FlexAttention", "ai.onnx.preview", 1, []*ir.Value{q, k, v}, []string{"Y"}, attrs...)
	for _, a := range attrs {
		if a.G != nil {
			a.G.Outer = f
		}
	}
	f.Results = n.Outputs
	return f
}

// TestFlexAttention: the query [1, 0] scores 1 and 0 (scale 1) against
// keys [1, 0] and [0, 1] with values 1 and 3, so Y = (e + 3) / (e + 1);
// adding a constant to the scores changes nothing, masking the second key
// leaves 1, halving the probabilities halves Y.
func TestFlexAttention(t *testing.T) {
	e := math.E
	plain := (e + 3) / (e + 1)
	for _, tc := range []struct {
		name  string
		dt    tensor.DType
		attrs []ir.Attr
		want  float64
	}{
		{"plain", tensor.Float32, nil, plain},
		{"double", tensor.Float64, nil, plain},
		{"score_mod shift", tensor.Float32, []ir.Attr{ir.AGraph("score_mod",
			modGraph("shift", "Add", tensor.Float32, tensor.Scalar(float32(5))))}, plain},
		{"score_mod mask", tensor.Float32, []ir.Attr{ir.AGraph("score_mod",
			modGraph("mask", "Add", tensor.Float32, tensor.FromSlice([]float32{0, float32(math.Inf(-1))}, 2)))}, 1},
		{"prob_mod halves", tensor.Float32, []ir.Attr{ir.AGraph("prob_mod",
			modGraph("half", "Mul", tensor.Float32, tensor.Scalar(float32(0.5))))}, plain / 2},
		{"double softmax precision", tensor.Float32, []ir.Attr{ir.AInt("softmax_precision", 11), ir.AGraph("prob_mod",
			modGraph("half", "Mul", tensor.Float64, tensor.Scalar(0.5)))}, plain / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attrs := append([]ir.Attr{ir.AFloat("scale", 1)}, tc.attrs...)
			p, err := cpu.Compile(flexFunc(tc.dt, attrs...), backends.Options{})
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]*tensor.Tensor{}
			for name, v := range map[string][]float64{"Q": {1, 0}, "K": {1, 0, 0, 1}, "V": {1, 3}} {
				shape := map[string][]int{"Q": {1, 1, 1, 2}, "K": {1, 1, 2, 2}, "V": {1, 1, 2, 1}}[name]
				x := tensor.New(tc.dt, shape...)
				for i, f := range v {
					x.SetFloat64At(i, f)
				}
				in[name] = x
			}
			out, err := p.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			y := out["Y"]
			if y.DType() != tc.dt || y.Len() != 1 {
				t.Fatalf("Y is %s%v", y.DType(), y.Shape())
			}
			if got := y.Float64At(0); math.Abs(got-tc.want) > 1e-6 {
				t.Errorf("Y = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFlexAttentionModMustKeepType(t *testing.T) {
	// A float32 prob_mod given float64 probabilities returns float64: its
	// Mul by a float32 constant fails, or the result type is refused.
	f := flexFunc(tensor.Float64, ir.AGraph("prob_mod", modGraph("half", "Mul", tensor.Float32, tensor.Scalar(float32(0.5)))))
	p, err := cpu.Compile(f, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]*tensor.Tensor{
		"Q": tensor.FromSlice([]float64{1, 0}, 1, 1, 1, 2),
		"K": tensor.FromSlice([]float64{1, 0, 0, 1}, 1, 1, 2, 2),
		"V": tensor.FromSlice([]float64{1, 3}, 1, 1, 2, 1),
	}
	if _, err := p.Run(context.Background(), in); err == nil || !strings.Contains(err.Error(), "prob_mod") {
		t.Errorf("got %v, want an error about prob_mod", err)
	}
}
