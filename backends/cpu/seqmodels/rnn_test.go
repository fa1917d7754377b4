package seqmodels

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func sig(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// TestRNNDirections uses a linear cell (Affine with alpha 1, beta 0,
// W = R = 1) so that H is a running sum of the inputs: the expected values
// are sums written out by hand, per direction, layout and sequence length.
func TestRNNDirections(t *testing.T) {
	lens := tensor.FromSlice([]int32{3, 2}, 2)
	one := func(dirs int) *tensor.Tensor {
		v := make([]float32, dirs)
		for i := range v {
			v[i] = 1
		}
		return f32([]int{dirs, 1, 1}, v...)
	}
	// X: batch 0 reads 1, 2, 3; batch 1 reads 4, 5, 6 (its third step is padding).
	xSeqFirst := f32([]int{3, 2, 1}, 1, 4, 2, 5, 3, 6)
	xBatchFirst := f32([]int{2, 3, 1}, 1, 2, 3, 4, 5, 6)
	for _, tc := range []struct {
		name   string
		x      *tensor.Tensor
		dirs   int
		b, h0  *tensor.Tensor
		attrs  []ir.Attr
		yShape []int
		y      []float64
		hShape []int
		h      []float64
	}{
		{name: "forward", x: xSeqFirst, dirs: 1,
			yShape: []int{3, 1, 2, 1}, y: []float64{1, 4, 3, 9, 6, 0},
			hShape: []int{1, 2, 1}, h: []float64{6, 9}},
		{name: "reverse", x: xSeqFirst, dirs: 1, attrs: []ir.Attr{ir.AString("direction", "reverse")},
			yShape: []int{3, 1, 2, 1}, y: []float64{6, 9, 5, 5, 3, 0},
			hShape: []int{1, 2, 1}, h: []float64{6, 9}},
		{name: "bidirectional", x: xSeqFirst, dirs: 2, attrs: []ir.Attr{ir.AString("direction", "bidirectional")},
			yShape: []int{3, 2, 2, 1}, y: []float64{1, 4, 6, 9, 3, 9, 5, 5, 6, 0, 3, 0},
			hShape: []int{2, 2, 1}, h: []float64{6, 9, 6, 9}},
		{name: "bias and initial state", x: xSeqFirst, dirs: 1,
			b: f32([]int{1, 2}, 0.5, 0.25), h0: f32([]int{1, 2, 1}, 10, 0),
			yShape: []int{3, 1, 2, 1}, y: []float64{11.75, 4.75, 14.5, 10.5, 18.25, 0},
			hShape: []int{1, 2, 1}, h: []float64{18.25, 10.5}},
		{name: "batch-first layout", x: xBatchFirst, dirs: 1, attrs: []ir.Attr{ir.AInt("layout", 1)},
			yShape: []int{2, 3, 1, 1}, y: []float64{1, 3, 6, 4, 9, 0},
			hShape: []int{2, 1, 1}, h: []float64{6, 9}},
		{name: "batch-first bidirectional", x: xBatchFirst, dirs: 2,
			attrs:  []ir.Attr{ir.AInt("layout", 1), ir.AString("direction", "bidirectional")},
			yShape: []int{2, 3, 2, 1}, y: []float64{1, 6, 3, 5, 6, 3, 4, 9, 9, 5, 0, 0},
			hShape: []int{2, 2, 1}, h: []float64{6, 6, 9, 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attrs := append([]ir.Attr{ir.AStrings("activations", "Affine"), ir.AFloats("activation_alpha", 1),
				ir.AFloats("activation_beta", 0)}, tc.attrs...)
			got := mustRun(t, "RNN", 22, []*tensor.Tensor{tc.x, one(tc.dirs), one(tc.dirs), tc.b, lens, tc.h0},
				[]string{"Y", "Y_h"}, attrs...)
			checkClose(t, "Y", got[0], tc.yShape, tc.y, 1e-6)
			checkClose(t, "Y_h", got[1], tc.hShape, tc.h, 1e-6)
		})
	}
}

// TestRNNTanhStep checks one step of a 2-unit tanh RNN against
// H = tanh(x W^T + h R^T + Wb + Rb) written out.
func TestRNNTanhStep(t *testing.T) {
	x := []float64{1, -2}
	w := []float64{0.5, -1, 0.25, 0.5} // rows: unit 0, unit 1
	r := []float64{0.1, 0.2, -0.3, 0.4}
	b := []float64{0.01, 0.02, 0.03, 0.04} // Wb then Rb
	h0 := []float64{0.5, -0.5}
	want := []float64{
		math.Tanh(x[0]*w[0] + x[1]*w[1] + h0[0]*r[0] + h0[1]*r[1] + b[0] + b[2]),
		math.Tanh(x[0]*w[2] + x[1]*w[3] + h0[0]*r[2] + h0[1]*r[3] + b[1] + b[3]),
	}
	got := mustRun(t, "RNN", 14, []*tensor.Tensor{f64([]int{1, 1, 2}, x...), f64([]int{1, 2, 2}, w...),
		f64([]int{1, 2, 2}, r...), f64([]int{1, 4}, b...), nil, f64([]int{1, 1, 2}, h0...)},
		[]string{"Y", "Y_h"}, ir.AInt("hidden_size", 2))
	checkClose(t, "Y", got[0], []int{1, 1, 1, 2}, want, 1e-12)
	checkClose(t, "Y_h", got[1], []int{1, 1, 2}, want, 1e-12)
}

// TestGRUStep checks one step of a 1-unit GRU against the gate equations,
// for both placements of the reset gate.
func TestGRUStep(t *testing.T) {
	const x, h0 = 2.0, 0.5
	wz, wr, wh := 0.1, 0.2, 0.3
	rz, rr, rh := 0.4, 0.5, 0.6
	wbz, wbr, wbh, rbz, rbr, rbh := 0.01, 0.02, 0.03, 0.04, 0.05, 0.06
	z := sig(wz*x + rz*h0 + wbz + rbz)
	r := sig(wr*x + rr*h0 + wbr + rbr)
	for _, lbr := range []int64{0, 1} {
		var cand float64
		if lbr == 0 {
			cand = math.Tanh(wh*x + rh*(r*h0) + rbh + wbh)
		} else {
			cand = math.Tanh(wh*x + r*(rh*h0+rbh) + wbh)
		}
		want := (1-z)*cand + z*h0
		got := mustRun(t, "GRU", 22, []*tensor.Tensor{f64([]int{1, 1, 1}, x), f64([]int{1, 3, 1}, wz, wr, wh),
			f64([]int{1, 3, 1}, rz, rr, rh), f64([]int{1, 6}, wbz, wbr, wbh, rbz, rbr, rbh), nil,
			f64([]int{1, 1, 1}, h0)}, []string{"", "Y_h"}, ir.AInt("linear_before_reset", lbr))
		checkClose(t, "Y_h", got[1], []int{1, 1, 1}, []float64{want}, 1e-12)
	}
}

// TestLSTMStep checks one step of a 1-unit LSTM with peepholes against
// the gate equations, with and without coupled input and forget gates and
// with clipping of the gate inputs.
func TestLSTMStep(t *testing.T) {
	const x, h0, c0 = 1.0, 0.5, 0.25
	wi, wo, wf, wc := 0.1, 0.2, 0.3, 0.4
	ri, ro, rf, rc := 0.5, 0.6, 0.7, 0.8
	wbi, wbo, wbf, wbc := 0.01, 0.02, 0.03, 0.04
	pi, po, pf := 0.1, 0.2, 0.3
	clip := func(v, c float64) float64 {
		if c == 0 {
			return v
		}
		return math.Max(-c, math.Min(c, v))
	}
	for _, tc := range []struct {
		name        string
		inputForget bool
		clip        float64
	}{{"peepholes", false, 0}, {"input_forget", true, 0}, {"clip", false, 0.3}} {
		t.Run(tc.name, func(t *testing.T) {
			i := sig(clip(wi*x+ri*h0+pi*c0+wbi, tc.clip))
			f := sig(clip(wf*x+rf*h0+pf*c0+wbf, tc.clip))
			if tc.inputForget {
				f = 1 - i
			}
			g := math.Tanh(clip(wc*x+rc*h0+wbc, tc.clip))
			c := f*c0 + i*g
			o := sig(clip(wo*x+ro*h0+po*c+wbo, tc.clip))
			h := o * math.Tanh(c)
			attrs := []ir.Attr{}
			if tc.inputForget {
				attrs = append(attrs, ir.AInt("input_forget", 1))
			}
			if tc.clip > 0 {
				attrs = append(attrs, ir.AFloat("clip", float32(tc.clip)))
			}
			got := mustRun(t, "LSTM", 22, []*tensor.Tensor{f64([]int{1, 1, 1}, x),
				f64([]int{1, 4, 1}, wi, wo, wf, wc), f64([]int{1, 4, 1}, ri, ro, rf, rc),
				f64([]int{1, 8}, wbi, wbo, wbf, wbc, 0, 0, 0, 0), nil,
				f64([]int{1, 1, 1}, h0), f64([]int{1, 1, 1}, c0), f64([]int{1, 3}, pi, po, pf)},
				[]string{"Y", "Y_h", "Y_c"}, attrs...)
			eps := 1e-12
			if tc.clip > 0 {
				eps = 1e-7 // the clip attribute is a float32
			}
			checkClose(t, "Y", got[0], []int{1, 1, 1, 1}, []float64{h}, eps)
			checkClose(t, "Y_h", got[1], []int{1, 1, 1}, []float64{h}, eps)
			checkClose(t, "Y_c", got[2], []int{1, 1, 1}, []float64{c}, eps)
		})
	}
}

func TestRecurrentErrors(t *testing.T) {
	x := f32([]int{2, 1, 1}, 1, 2)
	w1, r1 := f32([]int{1, 1, 1}, 1), f32([]int{1, 1, 1}, 1)
	outs := []string{"Y", "Y_h"}
	wantErr(t, "RNN", 22, []*tensor.Tensor{x, w1, r1}, outs, "direction", ir.AString("direction", "sideways"))
	wantErr(t, "RNN", 22, []*tensor.Tensor{x, f32([]int{1, 2, 1}, 1, 2), r1}, outs, "W must have shape")
	wantErr(t, "RNN", 22, []*tensor.Tensor{x, w1, r1}, outs, "W must have shape", ir.AString("direction", "bidirectional"))
	wantErr(t, "RNN", 22, []*tensor.Tensor{x, w1, r1, nil, tensor.FromSlice([]int32{3}, 1)}, outs, "sequence_lens[0] = 3")
	wantErr(t, "RNN", 22, []*tensor.Tensor{x, w1, r1}, outs, "unsupported activation", ir.AStrings("activations", "Cube"))
	wantErr(t, "GRU", 22, []*tensor.Tensor{x, f32([]int{1, 3, 1}, 1, 1, 1), f32([]int{1, 3, 1}, 1, 1, 1)}, outs,
		"activations must list 2", ir.AStrings("activations", "Tanh"))
	wantErr(t, "LSTM", 22, []*tensor.Tensor{x, f32([]int{1, 4, 1}, 1, 1, 1, 1), f32([]int{1, 4, 1}, 1, 1, 1, 1),
		nil, nil, nil, nil, f32([]int{1, 2}, 1, 1)}, []string{"Y", "Y_h", "Y_c"}, "P must have shape")
	wantErr(t, "RNN", 22, []*tensor.Tensor{x, w1, r1}, outs, "clip must be positive", ir.AFloat("clip", -1))
	wantErr(t, "RNN", 7, []*tensor.Tensor{x, w1, r1}, outs, "from opset 14", ir.AInt("layout", 1))
}
