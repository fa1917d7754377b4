package seqmodels

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// TestRotaryEmbedding rotates by 90 degrees (cos 0, sin 1), which maps
// each pair (x1, x2) to (-x2, x1), and by 0 degrees (identity).
func TestRotaryEmbedding(t *testing.T) {
	x4 := f32([]int{1, 1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8) // (batch, heads, seq, head)
	// position_ids select row 1 (90 degrees) for seq 0 and row 0 (0 degrees) for seq 1.
	cosT, sinT := f32([]int{2, 2}, 1, 1, 0, 0), f32([]int{2, 2}, 0, 0, 1, 1)
	pos := i64([]int{1, 2}, 1, 0)
	for _, tc := range []struct {
		name  string
		in    []*tensor.Tensor
		attrs []ir.Attr
		shape []int
		want  []float64
	}{
		{name: "halves", in: []*tensor.Tensor{x4, cosT, sinT, pos},
			shape: []int{1, 1, 2, 4}, want: []float64{-3, -4, 1, 2, 5, 6, 7, 8}},
		{name: "interleaved", in: []*tensor.Tensor{x4, cosT, sinT, pos}, attrs: []ir.Attr{ir.AInt("interleaved", 1)},
			shape: []int{1, 1, 2, 4}, want: []float64{-2, 1, -4, 3, 5, 6, 7, 8}},
		{name: "partial rotary dim", in: []*tensor.Tensor{x4, cosT, sinT, pos},
			attrs: []ir.Attr{ir.AInt("rotary_embedding_dim", 2)},
			shape: []int{1, 1, 2, 4}, want: []float64{-2, 1, 3, 4, 5, 6, 7, 8}},
		{name: "per-position caches without position_ids",
			in:    []*tensor.Tensor{x4, f32([]int{1, 2, 2}, 0, 0, 1, 1), f32([]int{1, 2, 2}, 1, 1, 0, 0)},
			shape: []int{1, 1, 2, 4}, want: []float64{-3, -4, 1, 2, 5, 6, 7, 8}},
		{name: "3-D input with num_heads", // (batch, seq, heads*head) with 2 heads of 2
			in:    []*tensor.Tensor{f32([]int{1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8), f32([]int{2, 1}, 1, 0), f32([]int{2, 1}, 0, 1), pos},
			attrs: []ir.Attr{ir.AInt("num_heads", 2)},
			shape: []int{1, 2, 4}, want: []float64{-2, 1, -4, 3, 5, 6, 7, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustRun(t, "RotaryEmbedding", 23, tc.in, []string{"Y"}, tc.attrs...)
			checkClose(t, "Y", got[0], tc.shape, tc.want, 0)
		})
	}
	// A 30 degree rotation of (1, 0) in the interleaved layout.
	c, s := math.Cos(math.Pi/6), math.Sin(math.Pi/6)
	got := mustRun(t, "RotaryEmbedding", 23, []*tensor.Tensor{f64([]int{1, 1, 1, 2}, 1, 0),
		f64([]int{1, 1, 1}, c), f64([]int{1, 1, 1}, s)}, []string{"Y"}, ir.AInt("interleaved", 1))
	checkClose(t, "Y", got[0], []int{1, 1, 1, 2}, []float64{c, s}, 1e-15)

	y := []string{"Y"}
	wantErr(t, "RotaryEmbedding", 23, []*tensor.Tensor{f32([]int{1, 2, 4}, make([]float32, 8)...), cosT, sinT, pos}, y, "num_heads")
	wantErr(t, "RotaryEmbedding", 23, []*tensor.Tensor{x4, cosT, sinT, i64([]int{1, 2}, 0, 2)}, y, "position_ids[1] = 2")
	wantErr(t, "RotaryEmbedding", 23, []*tensor.Tensor{x4, cosT, sinT, pos}, y, "rotary_embedding_dim", ir.AInt("rotary_embedding_dim", 3))
	wantErr(t, "RotaryEmbedding", 23, []*tensor.Tensor{x4, cosT, sinT}, y, "without position_ids")
}

func TestTensorScatter(t *testing.T) {
	past := f32([]int{2, 4, 1}, 0, 0, 0, 0, 0, 0, 0, 0)
	upd := f32([]int{2, 2, 1}, 1, 2, 3, 4)
	for _, tc := range []struct {
		name  string
		idx   *tensor.Tensor
		attrs []ir.Attr
		want  []float64
	}{
		{name: "no indices write at 0", want: []float64{1, 2, 0, 0, 3, 4, 0, 0}},
		{name: "linear", idx: i64([]int{2}, 1, 2), attrs: []ir.Attr{ir.AInt("axis", 1)},
			want: []float64{0, 1, 2, 0, 0, 0, 3, 4}},
		{name: "circular wraps", idx: i64([]int{2}, 3, 6), attrs: []ir.Attr{ir.AString("mode", "circular")},
			want: []float64{2, 0, 0, 1, 0, 0, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustRun(t, "TensorScatter", 24, []*tensor.Tensor{past, upd, tc.idx}, []string{"present"}, tc.attrs...)
			checkClose(t, "present", got[0], []int{2, 4, 1}, tc.want, 0)
		})
	}
	// The sequence axis need not be next to last; strings work too.
	sp, _ := tensor.FromStrings([]int{1, 3}, []string{"a", "b", "c"})
	su, _ := tensor.FromStrings([]int{1, 1}, []string{"z"})
	got := mustRun(t, "TensorScatter", 24, []*tensor.Tensor{sp, su, i64([]int{1}, 2)}, []string{"present"}, ir.AInt("axis", 1))
	if s := got[0].Strings(); s[0] != "a" || s[1] != "b" || s[2] != "z" {
		t.Errorf("string cache %v, want [a b z]", s)
	}
	out := []string{"present"}
	wantErr(t, "TensorScatter", 24, []*tensor.Tensor{past, upd, i64([]int{2}, 3, 0)}, out, "write_indices + sequence length")
	wantErr(t, "TensorScatter", 24, []*tensor.Tensor{past, upd}, out, "must not be 0", ir.AInt("axis", 0))
	wantErr(t, "TensorScatter", 24, []*tensor.Tensor{past, f32([]int{2, 2, 2}, make([]float32, 8)...)}, out, "outside axis")
	wantErr(t, "TensorScatter", 24, []*tensor.Tensor{past, upd}, out, "mode", ir.AString("mode", "ring"))
}

// TestCumProd uses the examples of the operator's documentation.
func TestCumProd(t *testing.T) {
	x := f64([]int{3}, 1, 2, 3)
	axis := tensor.Scalar(int32(0))
	for _, tc := range []struct {
		exclusive, reverse int64
		want               []float64
	}{
		{0, 0, []float64{1, 2, 6}},
		{1, 0, []float64{1, 1, 2}},
		{0, 1, []float64{6, 6, 3}},
		{1, 1, []float64{6, 3, 1}},
	} {
		got := mustRun(t, "CumProd", 26, []*tensor.Tensor{x, axis}, []string{"y"},
			ir.AInt("exclusive", tc.exclusive), ir.AInt("reverse", tc.reverse))
		checkClose(t, "y", got[0], []int{3}, tc.want, 0)
	}
	m := tensor.FromSlice([]int32{1, 2, 3, 4, 5, 6}, 2, 3)
	got := mustRun(t, "CumProd", 26, []*tensor.Tensor{m, tensor.Scalar(int64(-2))}, []string{"y"})
	checkClose(t, "axis 0", got[0], []int{2, 3}, []float64{1, 2, 3, 4, 10, 18}, 0)
	got = mustRun(t, "CumProd", 26, []*tensor.Tensor{m, tensor.Scalar(int64(1))}, []string{"y"})
	checkClose(t, "axis 1", got[0], []int{2, 3}, []float64{1, 2, 6, 4, 20, 120}, 0)
	if got[0].DType() != tensor.Int32 {
		t.Errorf("int32 input gave %s", got[0].DType())
	}
	wantErr(t, "CumProd", 26, []*tensor.Tensor{x, tensor.Scalar(int32(1))}, []string{"y"}, "out of range")
	wantErr(t, "CumProd", 26, []*tensor.Tensor{x, i64([]int{2}, 0, 0)}, []string{"y"}, "scalar")
}

// TestLinearAttention runs two tokens with one head of d_k = d_v = 1 and
// scale 1, so that the state is a number and each rule can be followed by
// hand: k = (2, 1), v = (3, 5), q = (1, 2).
func TestLinearAttention(t *testing.T) {
	q := f64([]int{1, 2, 1}, 1, 2)
	k := f64([]int{1, 2, 1}, 2, 1)
	v := f64([]int{1, 2, 1}, 3, 5)
	g := math.Log(0.5)
	decay := f64([]int{1, 2, 1}, g, g)
	beta := f64([]int{1, 2, 1}, 0.5, 0.5)
	past := f64([]int{1, 1, 1, 1}, 4)
	// linear: S1 = 4 + 2*3 = 10, o1 = 10; S2 = 10 + 1*5 = 15, o2 = 30.
	// gated: S1 = 0.5*4 + 6 = 8, o1 = 8; S2 = 4 + 5 = 9, o2 = 18.
	// delta: S1 = 4 + 0.5*2*(3 - 4*2) = -1, o1 = -1; S2 = -1 + 0.5*1*(5 + 1) = 2, o2 = 4.
	// gated_delta: S1 = 2 + 0.5*2*(3 - 2*2) = 1, o1 = 1; S2 = 0.5 + 0.5*(5 - 0.5) = 2.75, o2 = 5.5.
	for _, tc := range []struct {
		rule  string
		out   []float64
		state float64
	}{
		{"linear", []float64{10, 30}, 15},
		{"gated", []float64{8, 18}, 9},
		{"delta", []float64{-1, 4}, 2},
		{"gated_delta", []float64{1, 5.5}, 2.75},
	} {
		got := mustRun(t, "LinearAttention", 27, []*tensor.Tensor{q, k, v, past, decay, beta},
			[]string{"output", "present_state"}, ir.AString("update_rule", tc.rule),
			ir.AInt("q_num_heads", 1), ir.AInt("kv_num_heads", 1), ir.AFloat("scale", 1))
		checkClose(t, tc.rule+" output", got[0], []int{1, 2, 1}, tc.out, 1e-12)
		checkClose(t, tc.rule+" state", got[1], []int{1, 1, 1, 1}, []float64{tc.state}, 1e-12)
	}
	// Two query heads share one state; the default scale is 1/sqrt(d_k) = 1.
	got := mustRun(t, "LinearAttention", 27, []*tensor.Tensor{f64([]int{1, 1, 2}, 1, -1), f64([]int{1, 1, 1}, 2),
		f64([]int{1, 1, 1}, 3)}, []string{"output", "present_state"}, ir.AString("update_rule", "linear"),
		ir.AInt("q_num_heads", 2), ir.AInt("kv_num_heads", 1))
	checkClose(t, "grouped output", got[0], []int{1, 1, 2}, []float64{6, -6}, 1e-12)

	outs := []string{"output", "present_state"}
	heads := []ir.Attr{ir.AInt("q_num_heads", 1), ir.AInt("kv_num_heads", 1)}
	wantErr(t, "LinearAttention", 27, []*tensor.Tensor{q, k, v}, outs, "needs the decay input", heads...)
	wantErr(t, "LinearAttention", 27, []*tensor.Tensor{q, k, v, nil, decay}, outs, "needs the beta input", heads...)
	wantErr(t, "LinearAttention", 27, []*tensor.Tensor{q, k, v}, outs, "update_rule",
		append(heads, ir.AString("update_rule", "quadratic"))...)
	wantErr(t, "LinearAttention", 27, []*tensor.Tensor{q, k, v, nil, f64([]int{1, 2, 2}, 0, 0, 0, 0), beta}, outs,
		"decay must have shape", heads...)
	wantErr(t, "LinearAttention", 27, []*tensor.Tensor{q, k, v}, outs, "multiple of kv_num_heads",
		ir.AInt("q_num_heads", 3), ir.AInt("kv_num_heads", 2), ir.AString("update_rule", "linear"))
}

// TestCausalConvWithState convolves 1, 2, 3 with kernel (1, 10, 100) so
// that each output digit shows which input it came from.
func TestCausalConvWithState(t *testing.T) {
	x := f64([]int{1, 1, 3}, 1, 2, 3)
	w := f64([]int{1, 1, 3}, 1, 10, 100)
	for _, tc := range []struct {
		name  string
		in    []*tensor.Tensor
		attrs []ir.Attr
		y     []float64
		state []float64
	}{
		{name: "zero past", in: []*tensor.Tensor{x, w}, y: []float64{100, 210, 321}, state: []float64{2, 3}},
		{name: "past and bias", in: []*tensor.Tensor{x, w, f64([]int{1}, 0.5), f64([]int{1, 1, 2}, 7, 8)},
			y: []float64{187.5, 218.5, 321.5}, state: []float64{2, 3}},
		{name: "input shorter than the state", in: []*tensor.Tensor{f64([]int{1, 1, 1}, 1), w, nil, f64([]int{1, 1, 2}, 7, 8)},
			y: []float64{187}, state: []float64{8, 1}},
		{name: "silu", in: []*tensor.Tensor{f64([]int{1, 1, 1}, 1), f64([]int{1, 1, 1}, 1)}, attrs: []ir.Attr{ir.AString("activation", "silu")},
			y: []float64{1 / (1 + math.Exp(-1))}, state: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustRun(t, "CausalConvWithState", 27, tc.in, []string{"output", "present_state"}, tc.attrs...)
			checkClose(t, "output", got[0], tc.in[0].Shape(), tc.y, 1e-12)
			checkClose(t, "present_state", got[1], []int{1, 1, len(tc.state)}, tc.state, 0)
		})
	}
	outs := []string{"output", "present_state"}
	wantErr(t, "CausalConvWithState", 27, []*tensor.Tensor{x, w}, outs, "activation", ir.AString("activation", "gelu"))
	wantErr(t, "CausalConvWithState", 27, []*tensor.Tensor{x, f64([]int{2, 1, 3}, 1, 1, 1, 1, 1, 1)}, outs, "weight must have shape")
	wantErr(t, "CausalConvWithState", 27, []*tensor.Tensor{x, w, nil, f64([]int{1, 1, 3}, 1, 1, 1)}, outs, "past_state must have shape")
}
