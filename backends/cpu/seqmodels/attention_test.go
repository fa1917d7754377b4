package seqmodels

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

var e = math.E

func TestAttention(t *testing.T) {
	// One query [1, 0] against keys [1, 0] and [0, 1] with values 1 and 3.
	q1 := f32([]int{1, 1, 1, 2}, 1, 0)
	k2 := f32([]int{1, 1, 2, 2}, 1, 0, 0, 1)
	v2 := f32([]int{1, 1, 2, 1}, 1, 3)
	r2 := 1 / math.Sqrt2
	zeros := func(shape ...int) *tensor.Tensor { return tensor.New(tensor.Float32, shape...) }
	seqV := func(n int, from float32) *tensor.Tensor {
		v := make([]float32, n)
		for i := range v {
			v[i] = from + float32(i)
		}
		return f32([]int{1, 1, n, 1}, v...)
	}
	for _, tc := range []struct {
		name   string
		opset  int
		in     []*tensor.Tensor
		attrs  []ir.Attr
		yShape []int
		y      []float64
	}{
		{name: "scale 1", in: []*tensor.Tensor{q1, k2, v2}, attrs: []ir.Attr{ir.AFloat("scale", 1)},
			yShape: []int{1, 1, 1, 1}, y: []float64{(e + 3) / (e + 1)}},
		{name: "default scale 1/sqrt(head size)", in: []*tensor.Tensor{q1, k2, v2},
			yShape: []int{1, 1, 1, 1}, y: []float64{(math.Exp(r2) + 3) / (math.Exp(r2) + 1)}},
		{name: "bool mask with a fully masked row",
			in: []*tensor.Tensor{f32([]int{1, 1, 2, 2}, 1, 0, 1, 0), k2, v2,
				tensor.FromSlice([]bool{true, false, false, false}, 2, 2)},
			yShape: []int{1, 1, 2, 1}, y: []float64{1, 0}},
		{name: "short mask last dim pads with -inf",
			in:     []*tensor.Tensor{zeros(1, 1, 1, 1), zeros(1, 1, 3, 1), seqV(3, 1), f32([]int{1, 2}, 0, 0)},
			yShape: []int{1, 1, 1, 1}, y: []float64{1.5}},
		{name: "a mask of one key masks the others",
			in:     []*tensor.Tensor{zeros(1, 1, 1, 1), zeros(1, 1, 2, 1), seqV(2, 5), f32([]int{1}, 0)},
			yShape: []int{1, 1, 1, 1}, y: []float64{5}},
		{name: "causal with past aligns to the end",
			in: []*tensor.Tensor{zeros(1, 1, 2, 1), zeros(1, 1, 2, 1), f32([]int{1, 1, 2, 1}, 20, 30), nil,
				zeros(1, 1, 1, 1), f32([]int{1, 1, 1, 1}, 10)},
			attrs:  []ir.Attr{ir.AInt("is_causal", 1)},
			yShape: []int{1, 1, 2, 1}, y: []float64{15, 20}},
		{name: "nonpad_kv_seqlen with causal", opset: 24,
			in: []*tensor.Tensor{zeros(2, 1, 2, 1), zeros(2, 1, 4, 1),
				f32([]int{2, 1, 4, 1}, 1, 2, 3, 4, 1, 2, 3, 4), nil, nil, nil, i64([]int{2}, 3, 4)},
			attrs:  []ir.Attr{ir.AInt("is_causal", 1)},
			yShape: []int{2, 1, 2, 1}, y: []float64{1.5, 2, 2, 2.5}},
		{name: "3-D grouped-query heads",
			in: []*tensor.Tensor{f32([]int{1, 1, 4}, 1, 0, 0, 1), f32([]int{1, 2, 2}, 1, 0, 0, 1),
				f32([]int{1, 2, 1}, 1, 3)},
			attrs:  []ir.Attr{ir.AInt("q_num_heads", 2), ir.AInt("kv_num_heads", 1), ir.AFloat("scale", 1)},
			yShape: []int{1, 1, 2}, y: []float64{(e + 3) / (e + 1), (1 + 3*e) / (1 + e)}},
		{name: "equal scores over several key blocks",
			in:     []*tensor.Tensor{zeros(1, 1, 1, 1), zeros(1, 1, 150, 1), seqV(150, 0)},
			yShape: []int{1, 1, 1, 1}, y: []float64{74.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opset := tc.opset
			if opset == 0 {
				opset = 23
			}
			got := mustRun(t, "Attention", opset, tc.in, []string{"Y"}, tc.attrs...)
			checkClose(t, "Y", got[0], tc.yShape, tc.y, 1e-6)
		})
	}
}

// TestAttentionCausalBlocks checks a causal self-attention over 150
// positions (three key blocks) with distinct scores against the softmax
// written out: row i attends keys 0..i with weights exp(s_ij).
func TestAttentionCausalBlocks(t *testing.T) {
	const n = 150
	qv, kv, vv := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range qv {
		qv[i] = 0.02 * float64(i%7)
		kv[i] = float64(i%11) - 5
		vv[i] = math.Sin(float64(i))
	}
	want := make([]float64, n)
	for i := range want {
		num, den := 0.0, 0.0
		for j := 0; j <= i; j++ {
			w := math.Exp(qv[i] * kv[j])
			num += w * vv[j]
			den += w
		}
		want[i] = num / den
	}
	got := mustRun(t, "Attention", 23, []*tensor.Tensor{f64([]int{1, 1, n, 1}, qv...), f64([]int{1, 1, n, 1}, kv...),
		f64([]int{1, 1, n, 1}, vv...)}, []string{"Y"}, ir.AInt("is_causal", 1))
	checkClose(t, "Y", got[0], []int{1, 1, n, 1}, want, 1e-12)
}

// TestAttentionQKOutput checks each qk_matmul_output_mode: raw scores
// [2, 0] (scale 1), softcap 1 gives [tanh 2, 0], the mask [0, -1] is added
// after the softcap, then the softmax.
func TestAttentionQKOutput(t *testing.T) {
	q := f64([]int{1, 1, 1, 2}, 2, 0)
	k := f64([]int{1, 1, 2, 2}, 1, 0, 0, 1)
	v := f64([]int{1, 1, 2, 1}, 1, 3)
	mask := f64([]int{1, 2}, 0, -1)
	t2 := math.Tanh(2)
	p0 := math.Exp(t2) / (math.Exp(t2) + math.Exp(-1))
	for mode, want := range [][]float64{{2, 0}, {t2, 0}, {t2, -1}, {p0, 1 - p0}} {
		got := mustRun(t, "Attention", 23, []*tensor.Tensor{q, k, v, mask}, []string{"Y", "", "", "qk"},
			ir.AFloat("scale", 1), ir.AFloat("softcap", 1), ir.AInt("qk_matmul_output_mode", int64(mode)))
		checkClose(t, "Y", got[0], []int{1, 1, 1, 1}, []float64{p0 + 3*(1-p0)}, 1e-7)
		checkClose(t, "qk", got[3], []int{1, 1, 1, 2}, want, 1e-7)
	}
	// A fully masked row has zero probabilities.
	got := mustRun(t, "Attention", 23, []*tensor.Tensor{q, k, v, tensor.FromSlice([]bool{false, false}, 2)},
		[]string{"Y", "", "", "qk"}, ir.AInt("qk_matmul_output_mode", 3))
	checkClose(t, "qk", got[3], []int{1, 1, 1, 2}, []float64{0, 0}, 0)
	checkClose(t, "Y", got[0], []int{1, 1, 1, 1}, []float64{0}, 0)
}

func TestAttentionPresent(t *testing.T) {
	got := mustRun(t, "Attention", 23, []*tensor.Tensor{f32([]int{1, 1, 1, 1}, 0), f32([]int{1, 1, 1, 1}, 7),
		f32([]int{1, 1, 1, 2}, 8, 9), nil, f32([]int{1, 1, 2, 1}, 1, 2), f32([]int{1, 1, 2, 2}, 3, 4, 5, 6)},
		[]string{"Y", "present_key", "present_value"})
	checkClose(t, "Y", got[0], []int{1, 1, 1, 2}, []float64{16.0 / 3, 19.0 / 3}, 1e-6)
	checkClose(t, "present_key", got[1], []int{1, 1, 3, 1}, []float64{1, 2, 7}, 0)
	checkClose(t, "present_value", got[2], []int{1, 1, 3, 2}, []float64{3, 4, 5, 6, 8, 9}, 0)
}

func TestAttentionErrors(t *testing.T) {
	q3 := f32([]int{1, 1, 4}, 1, 2, 3, 4)
	q4 := f32([]int{1, 3, 1, 2}, 1, 2, 3, 4, 5, 6)
	k4 := f32([]int{1, 2, 1, 2}, 1, 2, 3, 4)
	v4 := f32([]int{1, 2, 1, 1}, 1, 2)
	y := []string{"Y"}
	wantErr(t, "Attention", 23, []*tensor.Tensor{q3, k4, v4}, y, "needs a positive q_num_heads")
	wantErr(t, "Attention", 23, []*tensor.Tensor{q4, k4, v4}, y, "multiple of kv_num_heads")
	wantErr(t, "Attention", 23, []*tensor.Tensor{k4, k4, v4, nil, k4}, y, "past_key and past_value must be given together")
	wantErr(t, "Attention", 23, []*tensor.Tensor{k4, k4, v4, nil, nil, nil, i64([]int{1}, 1)}, y, "from opset 24")
	wantErr(t, "Attention", 24, []*tensor.Tensor{k4, k4, v4, nil, nil, nil, i64([]int{1}, 2)}, y, "outside [0, 1]")
	wantErr(t, "Attention", 23, []*tensor.Tensor{k4, k4, v4, f32([]int{3, 1}, 0, 0, 0)}, y, "does not broadcast")
	wantErr(t, "Attention", 23, []*tensor.Tensor{k4, k4, v4, f32([]int{1, 2}, 0, 0)}, y, "exceeds the total sequence length")
	wantErr(t, "Attention", 23, []*tensor.Tensor{k4, k4, v4}, y, "qk_matmul_output_mode", ir.AInt("qk_matmul_output_mode", 4))
	wantErr(t, "Attention", 23, []*tensor.Tensor{k4, f32([]int{1, 2, 1, 3}, 1, 2, 3, 4, 5, 6), v4}, y, "head size")
	wantErr(t, "Attention", 23, []*tensor.Tensor{k4, k4, v4}, y, "softmax_precision", ir.AInt("softmax_precision", 7))
}
