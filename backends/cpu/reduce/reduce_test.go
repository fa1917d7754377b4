package reduce

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// The spec examples use data 1..12 in shape [3, 2, 2] (seq) and this one.
var extremeData = []float32{5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2}

func TestReduceFloat(t *testing.T) {
	x := f32([]int{3, 2, 2}, seq(12)...)
	ax1 := i64([]int{1}, 1)
	cases := []struct {
		name  string
		op    string
		opset int
		in    []*tensor.Tensor
		attrs []ir.Attr
		shape []int
		want  []float64
	}{
		{"sum axis 1", "ReduceSum", 13, []*tensor.Tensor{x, ax1}, nil, []int{3, 1, 2}, []float64{4, 6, 12, 14, 20, 22}},
		{"sum all", "ReduceSum", 13, []*tensor.Tensor{x}, nil, []int{1, 1, 1}, []float64{78}},
		{"sum all no keepdims", "ReduceSum", 13, []*tensor.Tensor{x}, []ir.Attr{ir.AInt("keepdims", 0)}, []int{}, []float64{78}},
		{"sum empty axes noop", "ReduceSum", 13, []*tensor.Tensor{x, i64([]int{0})},
			[]ir.Attr{ir.AInt("noop_with_empty_axes", 1)}, []int{3, 2, 2}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		{"sum empty axes all", "ReduceSum", 13, []*tensor.Tensor{x, i64([]int{0})}, nil, []int{1, 1, 1}, []float64{78}},
		{"sum attr axes opset 11", "ReduceSum", 11, []*tensor.Tensor{x}, []ir.Attr{ir.AInts("axes", -2), ir.AInt("keepdims", 0)},
			[]int{3, 2}, []float64{4, 6, 12, 14, 20, 22}},
		{"sum two axes", "ReduceSum", 13, []*tensor.Tensor{x, i64([]int{2}, 2, 0)}, []ir.Attr{ir.AInt("keepdims", 0)},
			[]int{2}, []float64{1 + 2 + 5 + 6 + 9 + 10, 3 + 4 + 7 + 8 + 11 + 12}},
		{"mean", "ReduceMean", 18, []*tensor.Tensor{x, ax1}, nil, []int{3, 1, 2}, []float64{2, 3, 6, 7, 10, 11}},
		{"mean opset 13 attr", "ReduceMean", 13, []*tensor.Tensor{x}, []ir.Attr{ir.AInts("axes", 1)}, []int{3, 1, 2}, []float64{2, 3, 6, 7, 10, 11}},
		{"max", "ReduceMax", 18, []*tensor.Tensor{f32([]int{3, 2, 2}, extremeData...), ax1}, []ir.Attr{ir.AInt("keepdims", 0)},
			[]int{3, 2}, []float64{20, 2, 40, 2, 60, 2}},
		{"min", "ReduceMin", 18, []*tensor.Tensor{f32([]int{3, 2, 2}, extremeData...), ax1}, []ir.Attr{ir.AInt("keepdims", 0)},
			[]int{3, 2}, []float64{5, 1, 30, 1, 55, 1}},
		{"max NaN wins", "ReduceMax", 18, []*tensor.Tensor{f32([]int{3}, 1, float32(math.NaN()), 3)}, nil, []int{1}, []float64{math.NaN()}},
		{"prod", "ReduceProd", 18, []*tensor.Tensor{x, ax1}, nil, []int{3, 1, 2}, []float64{3, 8, 35, 48, 99, 120}},
		{"l1", "ReduceL1", 18, []*tensor.Tensor{f32([]int{2, 2}, -1, 2, -3, -4), i64([]int{1}, -1)}, nil, []int{2, 1}, []float64{3, 7}},
		{"l2", "ReduceL2", 18, []*tensor.Tensor{x, i64([]int{1}, 2)}, nil, []int{3, 2, 1},
			[]float64{math.Sqrt(5), 5, math.Sqrt(61), math.Sqrt(113), math.Sqrt(181), math.Sqrt(265)}},
		{"sum square", "ReduceSumSquare", 18, []*tensor.Tensor{x, ax1}, nil, []int{3, 1, 2}, []float64{10, 20, 74, 100, 202, 244}},
		{"log sum", "ReduceLogSum", 18, []*tensor.Tensor{x, ax1}, nil, []int{3, 1, 2},
			[]float64{math.Log(4), math.Log(6), math.Log(12), math.Log(14), math.Log(20), math.Log(22)}},
		{"log sum exp", "ReduceLogSumExp", 18, []*tensor.Tensor{f64([]int{3, 2, 2}, 5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2), ax1}, nil,
			[]int{3, 1, 2}, []float64{20 + math.Log1p(math.Exp(-15)), 2 + math.Log1p(math.Exp(-1)),
				40 + math.Log1p(math.Exp(-10)), 2 + math.Log1p(math.Exp(-1)), 60 + math.Log1p(math.Exp(-5)), 2 + math.Log1p(math.Exp(-1))}},
		{"log sum exp large", "ReduceLogSumExp", 18, []*tensor.Tensor{f32([]int{2}, 1000, 1000)}, nil, []int{1}, []float64{1000 + math.Ln2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runOp(t, tc.op, tc.opset, tc.in, 1, tc.attrs...)
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, tc.name, out[0], tc.shape, tc.want)
		})
	}
}

// Reductions over an empty set give the identity of the operation.
func TestReduceEmptySet(t *testing.T) {
	x := tensor.New(tensor.Float32, 2, 0, 4)
	ax := i64([]int{1}, 1)
	inf := math.Inf(1)
	cases := []struct {
		op   string
		want float64
	}{
		{"ReduceSum", 0}, {"ReduceProd", 1}, {"ReduceL1", 0}, {"ReduceL2", 0}, {"ReduceSumSquare", 0},
		{"ReduceLogSum", -inf}, {"ReduceLogSumExp", -inf}, {"ReduceMax", -inf}, {"ReduceMin", inf},
	}
	for _, tc := range cases {
		opset := 18
		if tc.op == "ReduceSum" {
			opset = 13
		}
		out, err := runOp(t, tc.op, opset, []*tensor.Tensor{x, ax}, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.op, err)
		}
		want := make([]float64, 8)
		for i := range want {
			want[i] = tc.want
		}
		expectClose(t, tc.op, out[0], []int{2, 1, 4}, want)
	}
	// A kept dim of size 0 gives an empty result.
	out, err := runOp(t, "ReduceSum", 13, []*tensor.Tensor{x, i64([]int{1}, 2)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "kept zero dim", out[0], []int{2, 0, 1}, nil)
}

func TestReduceExactTypes(t *testing.T) {
	big := int64(1) << 62
	out, err := runOp(t, "ReduceSum", 13, []*tensor.Tensor{i64([]int{3}, big, big+1, -big)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int64 sum", out[0], tensor.Int64, []int{1}, []int64{big + 1})

	u := tensor.FromSlice([]uint64{1, math.MaxUint64, 1 << 63})
	out, err = runOp(t, "ReduceMax", 18, []*tensor.Tensor{u}, 1, ir.AInt("keepdims", 0))
	if err != nil {
		t.Fatal(err)
	}
	if got := tensor.Data[uint64](out[0])[0]; got != math.MaxUint64 {
		t.Errorf("uint64 max = %d", got)
	}

	i32 := tensor.FromSlice([]int32{-3, 4, -5, 6}, 2, 2)
	out, err = runOp(t, "ReduceL1", 18, []*tensor.Tensor{i32, i64([]int{1}, 1)}, 1, ir.AInt("keepdims", 0))
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int32 l1", out[0], tensor.Int32, []int{2}, []int64{7, 11})

	out, err = runOp(t, "ReduceProd", 18, []*tensor.Tensor{i32}, 1, ir.AInt("keepdims", 0))
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int32 prod", out[0], tensor.Int32, []int{}, []int64{360})

	out, err = runOp(t, "ReduceMean", 18, []*tensor.Tensor{i32, i64([]int{1}, 0)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int32 mean truncates", out[0], tensor.Int32, []int{1, 2}, []int64{-4, 5})

	b := tensor.FromSlice([]bool{true, false, false, false}, 2, 2)
	out, err = runOp(t, "ReduceMax", 20, []*tensor.Tensor{b, i64([]int{1}, 1)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "bool max", out[0], tensor.Bool, []int{2, 1}, []int64{1, 0})
	out, err = runOp(t, "ReduceMin", 20, []*tensor.Tensor{b, i64([]int{1}, 0)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "bool min", out[0], tensor.Bool, []int{1, 2}, []int64{0, 0})

	i8 := tensor.New(tensor.Int8, 0, 3)
	out, err = runOp(t, "ReduceMin", 18, []*tensor.Tensor{i8, i64([]int{1}, 0)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int8 empty min", out[0], tensor.Int8, []int{1, 3}, []int64{127, 127, 127})
}

func TestReduceErrors(t *testing.T) {
	x := f32([]int{2, 2}, 1, 2, 3, 4)
	cases := []struct {
		name  string
		op    string
		opset int
		in    []*tensor.Tensor
		attrs []ir.Attr
		msg   string
	}{
		{"axis out of range", "ReduceSum", 13, []*tensor.Tensor{x, i64([]int{1}, 2)}, nil, "out of range"},
		{"duplicate axes", "ReduceMean", 18, []*tensor.Tensor{x, i64([]int{2}, 1, -1)}, nil, "twice"},
		{"attr after input era", "ReduceMean", 18, []*tensor.Tensor{x}, []ir.Attr{ir.AInts("axes", 0)}, "input from opset 18"},
		{"input before input era", "ReduceMax", 13, []*tensor.Tensor{x, i64([]int{1}, 0)}, nil, "attribute before opset 18"},
		{"string data", "ReduceSum", 13, []*tensor.Tensor{mustStrings([]int{1}, "a")}, nil, "not supported"},
		{"float axes", "ReduceSum", 13, []*tensor.Tensor{x, f32([]int{1}, 0)}, nil, "integer"},
	}
	for _, tc := range cases {
		_, err := runOp(t, tc.op, tc.opset, tc.in, 1, tc.attrs...)
		expectErr(t, tc.name, err, tc.msg)
	}
}

func mustStrings(shape []int, s ...string) *tensor.Tensor {
	t, err := tensor.FromStrings(shape, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestArgMaxMin(t *testing.T) {
	x := f32([]int{2, 2}, 2, 1, 3, 10)
	ties := f32([]int{2, 2}, 2, 2, 3, 10)
	cases := []struct {
		name  string
		op    string
		in    *tensor.Tensor
		attrs []ir.Attr
		shape []int
		want  []int64
	}{
		{"argmax axis 1", "ArgMax", x, []ir.Attr{ir.AInt("axis", 1)}, []int{2, 1}, []int64{0, 1}},
		{"argmax default axis", "ArgMax", x, nil, []int{1, 2}, []int64{1, 1}},
		{"argmax no keepdims", "ArgMax", x, []ir.Attr{ir.AInt("axis", 1), ir.AInt("keepdims", 0)}, []int{2}, []int64{0, 1}},
		{"argmax negative axis", "ArgMax", x, []ir.Attr{ir.AInt("axis", -1)}, []int{2, 1}, []int64{0, 1}},
		{"argmax first of ties", "ArgMax", ties, []ir.Attr{ir.AInt("axis", 1)}, []int{2, 1}, []int64{0, 1}},
		{"argmax last of ties", "ArgMax", ties, []ir.Attr{ir.AInt("axis", 1), ir.AInt("select_last_index", 1)}, []int{2, 1}, []int64{1, 1}},
		{"argmin axis 1", "ArgMin", x, []ir.Attr{ir.AInt("axis", 1)}, []int{2, 1}, []int64{1, 0}},
		{"argmin last of ties", "ArgMin", ties, []ir.Attr{ir.AInt("axis", 1), ir.AInt("select_last_index", 1)}, []int{2, 1}, []int64{1, 0}},
		{"argmax int64", "ArgMax", i64([]int{3}, -5, 1<<60, 7), nil, []int{1}, []int64{1}},
	}
	for _, tc := range cases {
		out, err := runOp(t, tc.op, 13, []*tensor.Tensor{tc.in}, 1, tc.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		expectInts(t, tc.name, out[0], tensor.Int64, tc.shape, tc.want)
	}
	_, err := runOp(t, "ArgMax", 13, []*tensor.Tensor{x}, 1, ir.AInt("axis", 2))
	expectErr(t, "argmax bad axis", err, "out of range")
	_, err = runOp(t, "ArgMax", 13, []*tensor.Tensor{tensor.New(tensor.Float32, 2, 0)}, 1, ir.AInt("axis", 1))
	expectErr(t, "argmax empty axis", err, "size 0")
}

func TestTopK(t *testing.T) {
	x := f32([]int{3, 4}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	k3 := i64([]int{1}, 3)
	cases := []struct {
		name    string
		opset   int
		in      []*tensor.Tensor
		attrs   []ir.Attr
		shape   []int
		values  []float64
		indices []int64
	}{
		{"largest", 24, []*tensor.Tensor{x, k3}, []ir.Attr{ir.AInt("axis", 1)}, []int{3, 3},
			[]float64{3, 2, 1, 7, 6, 5, 11, 10, 9}, []int64{3, 2, 1, 3, 2, 1, 3, 2, 1}},
		{"smallest", 11, []*tensor.Tensor{f32([]int{3, 4}, 0, 1, 2, 3, 4, 5, 6, 7, 11, 10, 9, 8), k3},
			[]ir.Attr{ir.AInt("largest", 0)}, []int{3, 3},
			[]float64{0, 1, 2, 4, 5, 6, 8, 9, 10}, []int64{0, 1, 2, 0, 1, 2, 3, 2, 1}},
		{"axis 0", 11, []*tensor.Tensor{x, i64([]int{1}, 1)}, []ir.Attr{ir.AInt("axis", 0)}, []int{1, 4},
			[]float64{8, 9, 10, 11}, []int64{2, 2, 2, 2}},
		{"ties keep index order", 24, []*tensor.Tensor{f32([]int{4}, 1, 3, 3, 2), i64([]int{1}, 2)}, nil, []int{2},
			[]float64{3, 3}, []int64{1, 2}},
		{"k attribute opset 1", 1, []*tensor.Tensor{x}, []ir.Attr{ir.AInt("k", 2)}, []int{3, 2},
			[]float64{3, 2, 7, 6, 11, 10}, []int64{3, 2, 3, 2, 3, 2}},
		{"k zero", 24, []*tensor.Tensor{x, i64([]int{1}, 0)}, nil, []int{3, 0}, nil, nil},
	}
	for _, tc := range cases {
		out, err := runOp(t, "TopK", tc.opset, tc.in, 2, tc.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		expectClose(t, tc.name+" values", out[0], tc.shape, tc.values)
		expectInts(t, tc.name+" indices", out[1], tensor.Int64, tc.shape, tc.indices)
	}
	u := tensor.FromSlice([]uint64{1, math.MaxUint64, 1 << 63})
	out, err := runOp(t, "TopK", 24, []*tensor.Tensor{u, i64([]int{1}, 2)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if v := tensor.Data[uint64](out[0]); v[0] != math.MaxUint64 || v[1] != 1<<63 {
		t.Errorf("uint64 topk values %v", v)
	}
	_, err = runOp(t, "TopK", 24, []*tensor.Tensor{x, i64([]int{1}, 5)}, 2)
	expectErr(t, "k too large", err, "outside [0, 4]")
	_, err = runOp(t, "TopK", 24, []*tensor.Tensor{x, i64([]int{1}, -1)}, 2)
	expectErr(t, "k negative", err, "outside")
}

func TestCumSum(t *testing.T) {
	x := f64([]int{5}, 1, 2, 3, 4, 5)
	ax0 := tensor.Scalar(int32(0))
	m := f64([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	cases := []struct {
		name  string
		in    []*tensor.Tensor
		attrs []ir.Attr
		want  []float64
	}{
		{"inclusive", []*tensor.Tensor{x, ax0}, nil, []float64{1, 3, 6, 10, 15}},
		{"exclusive", []*tensor.Tensor{x, ax0}, []ir.Attr{ir.AInt("exclusive", 1)}, []float64{0, 1, 3, 6, 10}},
		{"reverse", []*tensor.Tensor{x, ax0}, []ir.Attr{ir.AInt("reverse", 1)}, []float64{15, 14, 12, 9, 5}},
		{"reverse exclusive", []*tensor.Tensor{x, ax0}, []ir.Attr{ir.AInt("reverse", 1), ir.AInt("exclusive", 1)}, []float64{14, 12, 9, 5, 0}},
		{"2d axis 0", []*tensor.Tensor{m, ax0}, nil, []float64{1, 2, 3, 5, 7, 9}},
		{"2d axis -1", []*tensor.Tensor{m, i64([]int{1}, -1)}, nil, []float64{1, 3, 6, 4, 9, 15}},
	}
	for _, tc := range cases {
		out, err := runOp(t, "CumSum", 14, tc.in, 1, tc.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		expectClose(t, tc.name, out[0], tc.in[0].Shape(), tc.want)
	}
	out, err := runOp(t, "CumSum", 14, []*tensor.Tensor{tensor.FromSlice([]int32{1, 2, 3}), ax0}, 1, ir.AInt("exclusive", 1))
	if err != nil {
		t.Fatal(err)
	}
	expectInts(t, "int32", out[0], tensor.Int32, []int{3}, []int64{0, 1, 3})
	_, err = runOp(t, "CumSum", 14, []*tensor.Tensor{x, f32([]int{}, 0)}, 1)
	expectErr(t, "float axis", err, "integer scalar")
}
