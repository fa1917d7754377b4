package reduce

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

const eps = 1e-5

func TestBatchNormalization(t *testing.T) {
	// The spec example: x [1, 2, 1, 3], per-channel parameters.
	x := f32([]int{1, 2, 1, 3}, -1, 0, 1, 2, 3, 4)
	s, b := f32([]int{2}, 1, 1.5), f32([]int{2}, 0, 1)
	mean, vr := f32([]int{2}, 0, 3), f32([]int{2}, 1, 1.5)
	in := []*tensor.Tensor{x, s, b, mean, vr}
	r0, r1 := 1/math.Sqrt(1+eps), 1.5/math.Sqrt(1.5+eps)
	want := []float64{-r0, 0, r0, 1 - r1, 1, 1 + r1}
	for _, opset := range []int{6, 9, 15} {
		out, err := runOp(t, "BatchNormalization", opset, in, 1)
		if err != nil {
			t.Fatalf("opset %d: %v", opset, err)
		}
		expectClose(t, "inference", out[0], x.Shape(), want)
	}

	// Training mode: channel 0 holds {-1, 0, 1} (mean 0, variance 2/3),
	// channel 1 holds {2, 3, 4} (mean 3, variance 2/3).
	out, err := runOp(t, "BatchNormalization", 15, in, 3, ir.AInt("training_mode", 1), ir.AFloat("momentum", 0.5))
	if err != nil {
		t.Fatal(err)
	}
	q := 1 / math.Sqrt(2.0/3+eps)
	expectClose(t, "training y", out[0], x.Shape(), []float64{-q, 0, q, 1 - 1.5*q, 1, 1 + 1.5*q})
	expectClose(t, "running mean", out[1], []int{2}, []float64{0, 3})
	expectClose(t, "running var", out[2], []int{2}, []float64{0.5 + 1.0/3, 0.75 + 1.0/3})

	// Before opset 9, spatial = 0 takes parameters per element of an instance.
	pe := func(v ...float32) *tensor.Tensor { return f32([]int{2, 1, 3}, v...) }
	out, err = runOp(t, "BatchNormalization", 7, []*tensor.Tensor{x, pe(1, 1, 1, 1, 1, 1), pe(0, 0, 0, 0, 0, 1),
		pe(0, 0, 0, 0, 0, 0), pe(1, 1, 1, 1, 1, 1)}, 1, ir.AInt("spatial", 0))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "spatial 0", out[0], x.Shape(), []float64{-r0, 0, r0, 2 * r0, 3 * r0, 4*r0 + 1})

	_, err = runOp(t, "BatchNormalization", 15, []*tensor.Tensor{x, f32([]int{3}, 1, 1, 1), b, mean, vr}, 1)
	expectErr(t, "scale length", err, "must hold 2 values")
}

func TestInstanceNormalization(t *testing.T) {
	x := f32([]int{1, 2, 1, 3}, -1, 0, 1, 2, 3, 4)
	out, err := runOp(t, "InstanceNormalization", 22, []*tensor.Tensor{x, f32([]int{2}, 1, 1.5), f32([]int{2}, 0, 1)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	q := 1 / math.Sqrt(2.0/3+eps)
	expectClose(t, "instance", out[0], x.Shape(), []float64{-q, 0, q, 1 - 1.5*q, 1, 1 + 1.5*q})
	_, err = runOp(t, "InstanceNormalization", 22, []*tensor.Tensor{x, f32([]int{1}, 1), f32([]int{2}, 0, 1)}, 1)
	expectErr(t, "scale length", err, "one value per channel")
}

func TestLayerNormalization(t *testing.T) {
	// Rows [1, 2, 3] and [4, 6, 8]: means 2 and 6, variances 2/3 and 8/3.
	x := f32([]int{2, 3}, 1, 2, 3, 4, 6, 8)
	ones, zeros := f32([]int{3}, 1, 1, 1), f32([]int{3}, 0, 0, 0)
	i0, i1 := 1/math.Sqrt(2.0/3+eps), 1/math.Sqrt(8.0/3+eps)
	out, err := runOp(t, "LayerNormalization", 17, []*tensor.Tensor{x, ones, zeros}, 3)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "Y", out[0], []int{2, 3}, []float64{-i0, 0, i0, -2 * i1, 0, 2 * i1})
	expectClose(t, "Mean", out[1], []int{2, 1}, []float64{2, 6})
	expectClose(t, "InvStdDev", out[2], []int{2, 1}, []float64{i0, i1})

	// Scale and bias apply per element of the normalized shape.
	out, err = runOp(t, "LayerNormalization", 17, []*tensor.Tensor{x, f32([]int{3}, 1, 2, 3), f32([]int{3}, 1, 0, -1)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "scaled", out[0], []int{2, 3}, []float64{1 - i0, 0, 3*i0 - 1, 1 - 2*i1, 0, 6*i1 - 1})

	// axis 0 normalizes all six values: mean 4, variance 34/6.
	all := 1 / math.Sqrt(34.0/6+eps)
	out, err = runOp(t, "LayerNormalization", 17, []*tensor.Tensor{x, f32([]int{2, 3}, 1, 1, 1, 1, 1, 1)}, 3, ir.AInt("axis", 0))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "axis 0", out[0], []int{2, 3}, []float64{-3 * all, -2 * all, -all, 0, 2 * all, 4 * all})
	expectClose(t, "axis 0 mean", out[1], []int{1, 1}, []float64{4})

	// Double input keeps its type; the statistics take stash_type (float).
	out, err = runOp(t, "LayerNormalization", 17, []*tensor.Tensor{f64([]int{1, 2}, 0, 2), f64([]int{2}, 1, 1)}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].DType() != tensor.Float64 || out[1].DType() != tensor.Float32 {
		t.Errorf("types %s, %s", out[0].DType(), out[1].DType())
	}
	expectClose(t, "double", out[0], []int{1, 2}, []float64{-1 / math.Sqrt(1+eps), 1 / math.Sqrt(1+eps)})

	_, err = runOp(t, "LayerNormalization", 17, []*tensor.Tensor{x, f32([]int{2}, 1, 1)}, 1)
	expectErr(t, "scale shape", err, "does not broadcast")
	_, err = runOp(t, "LayerNormalization", 17, []*tensor.Tensor{x, ones}, 1, ir.AInt("axis", 2))
	expectErr(t, "bad axis", err, "out of range")
}

func TestGroupNormalization(t *testing.T) {
	// Four channels in two groups: {1, 3} and {2, 6} (mean 2 and 4,
	// variance 1 and 4), each normalized to -1, 1.
	x := f32([]int{1, 4, 1, 1}, 1, 3, 2, 6)
	n0, n1 := 1/math.Sqrt(1+eps), 2/math.Sqrt(4+eps)
	out, err := runOp(t, "GroupNormalization", 21, []*tensor.Tensor{x, f32([]int{4}, 1, 2, 3, 4), f32([]int{4}, 0, 0, 0, 1)}, 1,
		ir.AInt("num_groups", 2))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "opset 21 per channel", out[0], x.Shape(), []float64{-n0, 2 * n0, -3 * n1, 4*n1 + 1})
	out, err = runOp(t, "GroupNormalization", 18, []*tensor.Tensor{x, f32([]int{2}, 1, 2), f32([]int{2}, 0, 1)}, 1,
		ir.AInt("num_groups", 2))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "opset 18 per group", out[0], x.Shape(), []float64{-n0, n0, 1 - 2*n1, 1 + 2*n1})
	_, err = runOp(t, "GroupNormalization", 21, []*tensor.Tensor{x, f32([]int{4}, 1, 1, 1, 1), f32([]int{4}, 0, 0, 0, 0)}, 1,
		ir.AInt("num_groups", 3))
	expectErr(t, "groups do not divide", err, "divide")
}

func TestRMSNormalization(t *testing.T) {
	// [3, 4]: mean square 12.5.
	r := 1 / math.Sqrt(12.5+eps)
	out, err := runOp(t, "RMSNormalization", 23, []*tensor.Tensor{f32([]int{1, 2}, 3, 4), f32([]int{2}, 1, 2)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "rms", out[0], []int{1, 2}, []float64{3 * r, 8 * r})
	// axis 0 over [[3], [4]] is the same computation.
	out, err = runOp(t, "RMSNormalization", 23, []*tensor.Tensor{f32([]int{2, 1}, 3, 4), f32([]int{1}, 1)}, 1, ir.AInt("axis", 0))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "rms axis 0", out[0], []int{2, 1}, []float64{3 * r, 4 * r})
}

func TestLpNormalization(t *testing.T) {
	x := f32([]int{2, 2}, 3, 4, 0, 0)
	cases := []struct {
		name  string
		attrs []ir.Attr
		want  []float64
	}{
		{"l2 last axis", nil, []float64{0.6, 0.8, 0, 0}},
		{"l1 last axis", []ir.Attr{ir.AInt("p", 1)}, []float64{3.0 / 7, 4.0 / 7, 0, 0}},
		{"l2 axis 0", []ir.Attr{ir.AInt("axis", 0)}, []float64{1, 1, 0, 0}},
	}
	for _, tc := range cases {
		out, err := runOp(t, "LpNormalization", 22, []*tensor.Tensor{x}, 1, tc.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		expectClose(t, tc.name, out[0], x.Shape(), tc.want)
	}
	_, err := runOp(t, "LpNormalization", 22, []*tensor.Tensor{x}, 1, ir.AInt("p", 3))
	expectErr(t, "p = 3", err, "p must be 1 or 2")
}

func TestLRN(t *testing.T) {
	// Channels 1, 2, 3; with alpha = size and beta = bias = 1 each output is
	// x / (1 + sum of squares over the window).
	x := f32([]int{1, 3, 1, 1}, 1, 2, 3)
	out, err := runOp(t, "LRN", 13, []*tensor.Tensor{x}, 1, ir.AInt("size", 3), ir.AFloat("alpha", 3), ir.AFloat("beta", 1), ir.AFloat("bias", 1))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "size 3", out[0], x.Shape(), []float64{1.0 / 6, 2.0 / 15, 3.0 / 14})
	// An even size reaches one channel further up than down.
	out, err = runOp(t, "LRN", 13, []*tensor.Tensor{x}, 1, ir.AInt("size", 2), ir.AFloat("alpha", 2), ir.AFloat("beta", 1), ir.AFloat("bias", 1))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "size 2", out[0], x.Shape(), []float64{1.0 / 6, 2.0 / 14, 3.0 / 10})
	// Defaults: alpha 1e-4, beta 0.75, bias 1.
	out, err = runOp(t, "LRN", 1, []*tensor.Tensor{f32([]int{1, 1, 1, 1}, 10)}, 1, ir.AInt("size", 1))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "defaults", out[0], []int{1, 1, 1, 1}, []float64{10 / math.Pow(1+1e-4*100, 0.75)})
}

func TestMeanVarianceNormalization(t *testing.T) {
	// Channel 0 holds {1, 3} (std 1), channel 1 holds {5, 5} (std 0).
	x := f32([]int{1, 2, 1, 2}, 1, 3, 5, 5)
	out, err := runOp(t, "MeanVarianceNormalization", 13, []*tensor.Tensor{x}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "default axes", out[0], x.Shape(), []float64{-1 / (1 + 1e-9), 1 / (1 + 1e-9), 0, 0})
	// Over all axes: mean 3.5, variance 2.75.
	sd := math.Sqrt(2.75) + 1e-9
	out, err = runOp(t, "MeanVarianceNormalization", 13, []*tensor.Tensor{x}, 1, ir.AInts("axes", 0, 1, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "all axes", out[0], x.Shape(), []float64{-2.5 / sd, -0.5 / sd, 1.5 / sd, 1.5 / sd})
	out, err = runOp(t, "MeanVarianceNormalization", 1, []*tensor.Tensor{x}, 1, ir.AInt("normalize_variance", 0))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "MVN-1 mean only", out[0], x.Shape(), []float64{-1, 1, 0, 0})
}
