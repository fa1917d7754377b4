package reduce

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func TestSoftmaxFamily(t *testing.T) {
	ex := f32([]int{1, 3}, -1, 0, 1)
	// Closed forms for [-1, 0, 1]: e^x / (e^-1 + 1 + e).
	s := math.Exp(-1) + 1 + math.E
	zeros := f32([]int{2, 2}, 0, 0, 0, 0)
	cases := []struct {
		name  string
		op    string
		opset int
		in    *tensor.Tensor
		attrs []ir.Attr
		want  []float64
	}{
		{"softmax example", "Softmax", 13, ex, nil, []float64{math.Exp(-1) / s, 1 / s, math.E / s}},
		{"log softmax example", "LogSoftmax", 13, ex, nil, []float64{-1 - math.Log(s), -math.Log(s), 1 - math.Log(s)}},
		{"softmax large numbers", "Softmax", 13, f32([]int{1, 2}, 10000, 10001), nil,
			[]float64{1 / (1 + math.E), math.E / (1 + math.E)}},
		{"softmax axis 0 opset 13", "Softmax", 13, zeros, []ir.Attr{ir.AInt("axis", 0)}, []float64{0.5, 0.5, 0.5, 0.5}},
		// Before opset 13 the input is flattened to 2-D at axis: axis 0
		// normalizes over all four elements.
		{"softmax axis 0 opset 11", "Softmax", 11, zeros, []ir.Attr{ir.AInt("axis", 0)}, []float64{0.25, 0.25, 0.25, 0.25}},
		{"softmax default axis opset 1", "Softmax", 1, f32([]int{1, 2, 2}, 0, 0, 0, 0), nil, []float64{0.25, 0.25, 0.25, 0.25}},
		{"softmax default axis opset 13", "Softmax", 13, f32([]int{1, 2, 2}, 0, 0, 0, 0), nil, []float64{0.5, 0.5, 0.5, 0.5}},
		{"hardmax", "Hardmax", 13, f32([]int{4, 4}, 3, 0, 1, 2, 2, 5, 1, 0, 0, 1, 3, 2, 0, 1, 2, 3), nil,
			[]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}},
		{"hardmax first of ties", "Hardmax", 13, f32([]int{1, 4}, 1, 1, 1, 1), nil, []float64{1, 0, 0, 0}},
		{"hardmax axis 0 opset 13", "Hardmax", 13, f32([]int{2, 2}, 1, 2, 3, 0), []ir.Attr{ir.AInt("axis", 0)}, []float64{0, 1, 1, 0}},
		{"hardmax axis 0 opset 11", "Hardmax", 11, f32([]int{2, 2}, 1, 2, 3, 0), []ir.Attr{ir.AInt("axis", 0)}, []float64{0, 0, 1, 0}},
	}
	for _, tc := range cases {
		out, err := runOp(t, tc.op, tc.opset, []*tensor.Tensor{tc.in}, 1, tc.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		expectClose(t, tc.name, out[0], tc.in.Shape(), tc.want)
	}
	// float16 goes through float32 and keeps its type.
	h := tensor.New(tensor.Float16, 2)
	out, err := runOp(t, "Softmax", 13, []*tensor.Tensor{h}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "float16", out[0], []int{2}, []float64{0.5, 0.5})

	_, err = runOp(t, "Softmax", 13, []*tensor.Tensor{ex}, 1, ir.AInt("axis", 2))
	expectErr(t, "bad axis", err, "out of range")
	_, err = runOp(t, "Softmax", 13, []*tensor.Tensor{i64([]int{2}, 1, 2)}, 1)
	expectErr(t, "int input", err, "floating-point")
}

func TestLosses(t *testing.T) {
	// Log-probabilities of 2 samples over 3 classes.
	x := f32([]int{2, 3}, -1, -2, -3, -4, -5, -6)
	tg := i64([]int{2}, 0, 2)
	w := f32([]int{3}, 1, 2, 3)
	cases := []struct {
		name  string
		in    []*tensor.Tensor
		attrs []ir.Attr
		shape []int
		want  []float64
	}{
		{"none", []*tensor.Tensor{x, tg}, []ir.Attr{ir.AString("reduction", "none")}, []int{2}, []float64{1, 6}},
		{"sum", []*tensor.Tensor{x, tg}, []ir.Attr{ir.AString("reduction", "sum")}, []int{}, []float64{7}},
		{"mean", []*tensor.Tensor{x, tg}, nil, []int{}, []float64{3.5}},
		{"weighted none", []*tensor.Tensor{x, tg, w}, []ir.Attr{ir.AString("reduction", "none")}, []int{2}, []float64{1, 18}},
		{"weighted mean", []*tensor.Tensor{x, tg, w}, nil, []int{}, []float64{19.0 / 4}},
		{"ignore index mean", []*tensor.Tensor{x, tg}, []ir.Attr{ir.AInt("ignore_index", 2)}, []int{}, []float64{1}},
		{"ignore index weighted mean", []*tensor.Tensor{x, tg, w}, []ir.Attr{ir.AInt("ignore_index", 0)}, []int{}, []float64{6}},
		{"ignore index none", []*tensor.Tensor{x, i64([]int{2}, -1, 1)}, []ir.Attr{ir.AInt("ignore_index", -1), ir.AString("reduction", "none")},
			[]int{2}, []float64{0, 5}},
		// [N, C, d1] = [1, 2, 2]: sample 0 at positions 0 and 1.
		{"spatial", []*tensor.Tensor{f32([]int{1, 2, 2}, -1, -2, -3, -4), i64([]int{1, 2}, 1, 0)},
			[]ir.Attr{ir.AString("reduction", "none")}, []int{1, 2}, []float64{3, 2}},
	}
	for _, tc := range cases {
		out, err := runOp(t, "NegativeLogLikelihoodLoss", 22, tc.in, 1, tc.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		expectClose(t, tc.name, out[0], tc.shape, tc.want)
	}
	_, err := runOp(t, "NegativeLogLikelihoodLoss", 22, []*tensor.Tensor{x, i64([]int{2}, 0, 3)}, 1)
	expectErr(t, "target out of range", err, "outside [0, 3)")
	_, err = runOp(t, "NegativeLogLikelihoodLoss", 22, []*tensor.Tensor{x, i64([]int{3}, 0, 1, 2)}, 1)
	expectErr(t, "target shape", err, "does not match")
	_, err = runOp(t, "NegativeLogLikelihoodLoss", 22, []*tensor.Tensor{x, tg}, 1, ir.AString("reduction", "max"))
	expectErr(t, "bad reduction", err, "reduction must be")

	// Softmax cross entropy of equal scores over 2 classes is ln 2.
	out, err := runOp(t, "SoftmaxCrossEntropyLoss", 13, []*tensor.Tensor{f32([]int{1, 2}, 0, 0), i64([]int{1}, 1)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "sce loss", out[0], []int{}, []float64{math.Ln2})
	expectClose(t, "sce log_prob", out[1], []int{1, 2}, []float64{-math.Ln2, -math.Ln2})
	// Scores [0, ln 3] give probabilities 1/4 and 3/4; weights 1 and 2.
	sc := f32([]int{2, 2}, 0, float32(math.Log(3)), 0, float32(math.Log(3)))
	out, err = runOp(t, "SoftmaxCrossEntropyLoss", 13, []*tensor.Tensor{sc, i64([]int{2}, 0, 1), f32([]int{2}, 1, 2)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "sce weighted mean", out[0], []int{}, []float64{(math.Log(4) + 2*math.Log(4.0/3)) / 3})
}
