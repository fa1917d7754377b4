package conformance

import (
	"math"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/tensor"
)

func f32(xs ...float32) *tensor.Tensor { return tensor.FromSlice(xs) }

func TestCompare(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	str := func(s ...string) *tensor.Tensor {
		x, err := tensor.FromStrings([]int{len(s)}, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	matrix := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	cases := []struct {
		name      string
		got, want tensor.Value
		rtol      float64
		atol      float64
		err       string // substring of the mismatch, "" when equal
	}{
		{"equal", f32(1, 2, 3), f32(1, 2, 3), 1e-3, 1e-7, ""},
		{"within rtol", f32(1.0005, 2), f32(1, 2), 1e-3, 0, ""},
		{"outside rtol", f32(1.002, 2), f32(1, 2), 1e-3, 0, "mismatch output y[0]: got 1.00"},
		{"within atol", f32(1e-8), f32(0), 0, 1e-7, ""},
		{"outside atol", f32(1e-6), f32(0), 1e-3, 1e-7, "(1 of 1 differ)"},
		{"first and count", f32(1, 5, 3, 7), f32(1, 2, 3, 4), 1e-3, 1e-7, "y[1]: got 5 want 2 (2 of 4 differ)"},
		{"nan same place", f32(nan, 1), f32(nan, 1), 1e-3, 1e-7, ""},
		{"nan vs number", f32(nan, 1), f32(0, 1), 1e-3, 1e-7, "y[0]: got NaN want 0"},
		{"number vs nan", f32(0, 1), f32(nan, 1), 1e9, 1e9, "y[0]"},
		{"inf equal", f32(inf, -inf), f32(inf, -inf), 1e-3, 1e-7, ""},
		{"inf sign", f32(-inf), f32(inf), 1e9, 1e9, "got -Inf want +Inf"},
		{"inf vs big", f32(3e38), f32(inf), 1e9, 1e9, "y[0]"},
		{"dtype", tensor.FromSlice([]float64{1}), f32(1), 1e-3, 1e-7, "dtype got DOUBLE want FLOAT"},
		{"shape", f32(1, 2, 3, 4), matrix, 1e-3, 1e-7, "shape got [4] want [2 2]"},
		{"int exact", tensor.FromSlice([]int64{1 << 60}), tensor.FromSlice([]int64{1 << 60}), 0, 0, ""},
		{"int differs", tensor.FromSlice([]int64{3, 4}), tensor.FromSlice([]int64{3, 5}), 0, 0, "y[1]: got 4 want 5"},
		{"bool", tensor.FromSlice([]bool{true, false}), tensor.FromSlice([]bool{true, true}), 1, 1, "y[1]: got false want true"},
		{"strings equal", str("a", "b"), str("a", "b"), 0, 0, ""},
		{"strings differ", str("a", "b"), str("a", "c"), 1, 1, `y[1]: got "b" want "c"`},
		{"kind", &tensor.Sequence{Elem: tensor.Float32}, f32(1), 0, 0, "kind got sequence want tensor"},
		{"sequence equal", &tensor.Sequence{Elem: tensor.Float32, Tensors: []*tensor.Tensor{f32(1), f32(2, 3)}},
			&tensor.Sequence{Elem: tensor.Float32, Tensors: []*tensor.Tensor{f32(1), f32(2, 3)}}, 1e-3, 1e-7, ""},
		{"sequence length", &tensor.Sequence{Elem: tensor.Float32, Tensors: []*tensor.Tensor{f32(1)}},
			&tensor.Sequence{Elem: tensor.Float32, Tensors: []*tensor.Tensor{f32(1), f32(2)}}, 0, 0, "length got 1 want 2"},
		{"sequence element", &tensor.Sequence{Elem: tensor.Float32, Tensors: []*tensor.Tensor{f32(1), f32(2, 4)}},
			&tensor.Sequence{Elem: tensor.Float32, Tensors: []*tensor.Tensor{f32(1), f32(2, 3)}}, 0, 0, "y[1][1]: got 4 want 3"},
		{"optional empty", &tensor.Optional{}, &tensor.Optional{}, 0, 0, ""},
		{"optional presence", &tensor.Optional{Value: f32(1)}, &tensor.Optional{}, 0, 0, "presence got a value want empty"},
		{"optional value", &tensor.Optional{Value: f32(2)}, &tensor.Optional{Value: f32(1)}, 0, 0, "y[0]: got 2 want 1"},
		{"complex", tensor.FromSlice([]complex64{1 + 2i}), tensor.FromSlice([]complex64{1 + 2i}), 0, 0, ""},
		{"complex differs", tensor.FromSlice([]complex64{1 + 2i}), tensor.FromSlice([]complex64{1 + 3i}), 1e-3, 0, "y[0]"},
	}
	for _, c := range cases {
		m := Compare("y", c.got, c.want, c.rtol, c.atol)
		switch {
		case c.err == "" && m != nil:
			t.Errorf("%s: unexpected mismatch: %v", c.name, m)
		case c.err != "" && m == nil:
			t.Errorf("%s: no mismatch, want %q", c.name, c.err)
		case c.err != "" && !strings.Contains(m.Error(), c.err):
			t.Errorf("%s: got %q, want it to contain %q", c.name, m.Error(), c.err)
		}
	}
}

func TestCompareFloat16(t *testing.T) {
	mk := func(xs ...float32) *tensor.Tensor {
		x := tensor.New(tensor.Float16, len(xs))
		for i, v := range xs {
			x.SetFloat64At(i, float64(v))
		}
		return x
	}
	if m := Compare("h", mk(1, 2), mk(1, 2), 1e-3, 1e-7); m != nil {
		t.Fatal(m)
	}
	if m := Compare("h", mk(1, 2.5), mk(1, 2), 1e-3, 1e-7); m == nil || m.Index != 1 || m.Count != 1 {
		t.Fatalf("got %v", m)
	}
}
