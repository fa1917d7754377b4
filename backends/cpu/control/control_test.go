package control_test

import (
	"context"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// loopFunc builds: Loop(M, cond, v) whose body passes cond and v through
// and emits the iteration number as a scan output.
func loopFunc() *ir.Func {
	body := ir.NewFunc("body")
	i := body.AddParam("i", ir.TensorType(tensor.Int64))
	cin := body.AddParam("cin", ir.TensorType(tensor.Bool))
	vin := body.AddParam("vin", ir.TensorType(tensor.Float32, 2))
	cout := body.NewNode("Identity", "", 16, []*ir.Value{cin}, []string{"cout"})
	vout := body.NewNode("Identity", "", 16, []*ir.Value{vin}, []string{"vout"})
	sout := body.NewNode("Identity", "", 16, []*ir.Value{i}, []string{"sout"})
	body.Results = []*ir.Value{cout.Outputs[0], vout.Outputs[0], sout.Outputs[0]}
	for _, r := range body.Results {
		r.Type = ir.TensorType(tensor.Int64)
	}
	body.Results[0].Type = ir.TensorType(tensor.Bool)

	f := ir.NewFunc("main")
	m := f.AddParam("M", ir.TensorType(tensor.Int64))
	c := f.AddParam("cond", ir.TensorType(tensor.Bool))
	v := f.AddParam("v", ir.TensorType(tensor.Float32, 2))
	n := f.NewNode("Loop", "", 16, []*ir.Value{m, c, v}, []string{"vf", "scan"}, ir.AGraph("body", body))
	body.Outer = f
	f.Results = n.Outputs
	return f
}

func TestLoop(t *testing.T) {
	p, err := cpu.Compile(loopFunc(), backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		trips int64
		cond  bool
		want  []int64
	}{
		{3, true, []int64{0, 1, 2}},
		{0, true, []int64{}},
		{5, false, []int64{}},
	} {
		out, err := p.Run(context.Background(), map[string]*tensor.Tensor{
			"M": tensor.Scalar(tc.trips), "cond": tensor.Scalar(tc.cond), "v": tensor.FromSlice([]float32{1, 2})})
		if err != nil {
			t.Fatal(err)
		}
		got := out["scan"]
		if got.Rank() != 1 || got.Len() != len(tc.want) {
			t.Fatalf("trips %d cond %v: scan output %v, want %v", tc.trips, tc.cond, got, tc.want)
		}
		for i, w := range tc.want {
			if got.Int64s()[i] != w {
				t.Errorf("scan[%d] = %d, want %d", i, got.Int64s()[i], w)
			}
		}
		if vf := out["vf"].Float32s(); vf[0] != 1 || vf[1] != 2 {
			t.Errorf("carried value %v, want [1 2]", vf)
		}
	}
	_, err = p.Run(context.Background(), map[string]*tensor.Tensor{
		"M": tensor.Scalar(int64(-1)), "cond": tensor.Scalar(true), "v": tensor.FromSlice([]float32{1, 2})})
	if err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative trip count: got %v", err)
	}
}

func TestSequenceOps(t *testing.T) {
	f := ir.NewFunc("main")
	x := f.AddParam("x", ir.TensorType(tensor.Float32, 2, 3))
	split := f.NewNode("SplitToSequence", "", 11, []*ir.Value{x}, []string{"seq"}, ir.AInt("axis", 1), ir.AInt("keepdims", 0))
	n := f.NewNode("SequenceLength", "", 11, []*ir.Value{split.Outputs[0]}, []string{"len"})
	cat := f.NewNode("ConcatFromSequence", "", 11, []*ir.Value{split.Outputs[0]}, []string{"y"}, ir.AInt("axis", 0), ir.AInt("new_axis", 1))
	f.Results = []*ir.Value{n.Outputs[0], cat.Outputs[0]}
	p, err := cpu.Compile(f, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), map[string]*tensor.Tensor{"x": tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)})
	if err != nil {
		t.Fatal(err)
	}
	if out["len"].Int64s()[0] != 3 {
		t.Errorf("length %v, want 3", out["len"])
	}
	// Stacking the columns along a new axis 0 transposes x.
	want := []float32{1, 4, 2, 5, 3, 6}
	y := out["y"]
	if len(y.Shape()) != 2 || y.Dim(0) != 3 || y.Dim(1) != 2 {
		t.Fatalf("shape %v, want [3 2]", y.Shape())
	}
	for i, w := range want {
		if y.Float32s()[i] != w {
			t.Fatalf("got %v, want %v", y.Float32s(), want)
		}
	}
}
