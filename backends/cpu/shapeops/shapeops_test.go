package shapeops

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func TestReshapeFamily(t *testing.T) {
	x := iota32(2, 3, 4)
	same := func(shape ...int) *tensor.Tensor { r, _ := x.Reshape(shape...); return r }
	runCases(t, []kcase{
		{name: "reordered", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(4, 2, 3)}, want: []*tensor.Tensor{same(4, 2, 3)}},
		{name: "reduced", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(2, 12)}, want: []*tensor.Tensor{same(2, 12)}},
		{name: "one dim", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(24)}, want: []*tensor.Tensor{same(24)}},
		{name: "negative dim", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(2, -1, 2)}, want: []*tensor.Tensor{same(2, 6, 2)}},
		{name: "negative extended", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(-1, 2, 3, 4)}, want: []*tensor.Tensor{same(1, 2, 3, 4)}},
		{name: "zero dim", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(2, 0, 4, 1)}, want: []*tensor.Tensor{same(2, 3, 4, 1)}},
		{name: "zero and negative", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(2, 0, 1, -1)}, want: []*tensor.Tensor{same(2, 3, 1, 4)}},
		{name: "allowzero", op: "Reshape", opset: 14, attrs: []ir.Attr{ir.AInt("allowzero", 1)},
			in: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 3, 4), vec(3, 4, 0)}, want: []*tensor.Tensor{tensor.New(tensor.Float32, 3, 4, 0)}},
		{name: "attribute form", op: "Reshape", opset: 1, attrs: []ir.Attr{ir.AInts("shape", 6, 4)}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{same(6, 4)}},
		{name: "two -1", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(-1, -1)}, err: "more than one -1"},
		{name: "below -1", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(-2, 12)}, err: "negative dim"},
		{name: "size mismatch", op: "Reshape", opset: 14, in: []*tensor.Tensor{x, vec(5, 5)}, err: "cannot reshape"},
		{name: "0 beyond rank", op: "Reshape", opset: 14, in: []*tensor.Tensor{iota32(24), vec(24, 0)}, err: "copies a dim"},
		{name: "allowzero with -1", op: "Reshape", opset: 14, attrs: []ir.Attr{ir.AInt("allowzero", 1)}, in: []*tensor.Tensor{x, vec(0, -1)}, err: "both 0 and -1"},
		{name: "flatten axis 1", op: "Flatten", opset: 13, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{same(2, 12)}},
		{name: "flatten axis 0", op: "Flatten", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 0)}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{same(1, 24)}},
		{name: "flatten axis -1", op: "Flatten", opset: 13, attrs: []ir.Attr{ir.AInt("axis", -1)}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{same(6, 4)}},
		{name: "flatten axis 3", op: "Flatten", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 3)}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{same(24, 1)}},
		{name: "flatten bad axis", op: "Flatten", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 4)}, in: []*tensor.Tensor{x}, err: "out of range"},
		{name: "squeeze input", op: "Squeeze", opset: 13, in: []*tensor.Tensor{iota32(1, 3, 1, 5), vec(0, -2)}, want: []*tensor.Tensor{iota32(3, 5)}},
		{name: "squeeze all", op: "Squeeze", opset: 13, in: []*tensor.Tensor{iota32(1, 3, 1, 5)}, want: []*tensor.Tensor{iota32(3, 5)}},
		{name: "squeeze attribute", op: "Squeeze", opset: 11, attrs: []ir.Attr{ir.AInts("axes", 0)}, in: []*tensor.Tensor{iota32(1, 3, 1, 5)}, want: []*tensor.Tensor{iota32(3, 1, 5)}},
		{name: "squeeze not 1", op: "Squeeze", opset: 13, in: []*tensor.Tensor{iota32(1, 3), vec(1)}, err: "not 1"},
		{name: "unsqueeze", op: "Unsqueeze", opset: 13, in: []*tensor.Tensor{iota32(3, 4, 5), vec(2, 0)}, want: []*tensor.Tensor{iota32(1, 3, 1, 4, 5)}},
		{name: "unsqueeze negative", op: "Unsqueeze", opset: 13, in: []*tensor.Tensor{iota32(3, 4, 5), vec(-1)}, want: []*tensor.Tensor{iota32(3, 4, 5, 1)}},
		{name: "unsqueeze attribute", op: "Unsqueeze", opset: 11, attrs: []ir.Attr{ir.AInts("axes", 1)}, in: []*tensor.Tensor{iota32(3)}, want: []*tensor.Tensor{iota32(3, 1)}},
		{name: "unsqueeze duplicate", op: "Unsqueeze", opset: 13, in: []*tensor.Tensor{iota32(3), vec(0, 0)}, err: "more than once"},
		{name: "shape", op: "Shape", opset: 15, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec(2, 3, 4)}},
		{name: "shape start", op: "Shape", opset: 15, attrs: []ir.Attr{ir.AInt("start", 1)}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec(3, 4)}},
		{name: "shape end -1", op: "Shape", opset: 15, attrs: []ir.Attr{ir.AInt("end", -1)}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec(2, 3)}},
		{name: "shape clip", op: "Shape", opset: 15, attrs: []ir.Attr{ir.AInt("start", -10), ir.AInt("end", 10)}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec(2, 3, 4)}},
		{name: "shape start > end", op: "Shape", opset: 15, attrs: []ir.Attr{ir.AInt("start", 2), ir.AInt("end", 1)}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{vec()}},
		{name: "size", op: "Size", opset: 13, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{tensor.Scalar(int64(24))}},
		{name: "size of strings", op: "Size", opset: 13, in: []*tensor.Tensor{strs(sh(2), "a", "b")}, want: []*tensor.Tensor{tensor.Scalar(int64(2))}},
	})
}

func TestTransposeAndBlocks(t *testing.T) {
	// The DepthToSpace input and outputs of the operator's documentation.
	d2s := f32(sh(1, 8, 2, 3),
		0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 18, 19, 20, 21, 22, 23, 27, 28, 29, 30, 31, 32,
		36, 37, 38, 39, 40, 41, 45, 46, 47, 48, 49, 50, 54, 55, 56, 57, 58, 59, 63, 64, 65, 66, 67, 68)
	dcr := f32(sh(1, 2, 4, 6),
		0, 18, 1, 19, 2, 20, 36, 54, 37, 55, 38, 56, 3, 21, 4, 22, 5, 23, 39, 57, 40, 58, 41, 59,
		9, 27, 10, 28, 11, 29, 45, 63, 46, 64, 47, 65, 12, 30, 13, 31, 14, 32, 48, 66, 49, 67, 50, 68)
	crd := f32(sh(1, 2, 4, 6),
		0, 9, 1, 10, 2, 11, 18, 27, 19, 28, 20, 29, 3, 12, 4, 13, 5, 14, 21, 30, 22, 31, 23, 32,
		36, 45, 37, 46, 38, 47, 54, 63, 55, 64, 56, 65, 39, 48, 40, 49, 41, 50, 57, 66, 58, 67, 59, 68)
	runCases(t, []kcase{
		{name: "transpose default", op: "Transpose", opset: 13, in: []*tensor.Tensor{f32(sh(2, 3), 1, 2, 3, 4, 5, 6)}, want: []*tensor.Tensor{f32(sh(3, 2), 1, 4, 2, 5, 3, 6)}},
		{name: "transpose perm", op: "Transpose", opset: 13, attrs: []ir.Attr{ir.AInts("perm", 1, 0, 2)},
			in: []*tensor.Tensor{iota32(2, 2, 2)}, want: []*tensor.Tensor{f32(sh(2, 2, 2), 0, 1, 4, 5, 2, 3, 6, 7)}},
		{name: "transpose strings", op: "Transpose", opset: 13, in: []*tensor.Tensor{strs(sh(2, 2), "a", "b", "c", "d")}, want: []*tensor.Tensor{strs(sh(2, 2), "a", "c", "b", "d")}},
		{name: "transpose bad perm", op: "Transpose", opset: 13, attrs: []ir.Attr{ir.AInts("perm", 0, 0)}, in: []*tensor.Tensor{iota32(2, 2)}, err: "not a permutation"},
		{name: "transpose short perm", op: "Transpose", opset: 13, attrs: []ir.Attr{ir.AInts("perm", 0)}, in: []*tensor.Tensor{iota32(2, 2)}, err: "entries for rank"},
		{name: "depth to space DCR", op: "DepthToSpace", opset: 13, attrs: []ir.Attr{ir.AInt("blocksize", 2)}, in: []*tensor.Tensor{d2s}, want: []*tensor.Tensor{dcr}},
		{name: "depth to space CRD", op: "DepthToSpace", opset: 13, attrs: []ir.Attr{ir.AInt("blocksize", 2), ir.AString("mode", "CRD")}, in: []*tensor.Tensor{d2s}, want: []*tensor.Tensor{crd}},
		{name: "space to depth", op: "SpaceToDepth", opset: 13, attrs: []ir.Attr{ir.AInt("blocksize", 2)},
			in: []*tensor.Tensor{f32(sh(1, 1, 2, 4), 1, 2, 3, 4, 5, 6, 7, 8)}, want: []*tensor.Tensor{f32(sh(1, 4, 1, 2), 1, 3, 2, 4, 5, 7, 6, 8)}},
		{name: "space to depth inverts DCR", op: "SpaceToDepth", opset: 13, attrs: []ir.Attr{ir.AInt("blocksize", 2)}, in: []*tensor.Tensor{dcr}, want: []*tensor.Tensor{d2s}},
		{name: "depth to space channels", op: "DepthToSpace", opset: 13, attrs: []ir.Attr{ir.AInt("blocksize", 2)}, in: []*tensor.Tensor{iota32(1, 3, 1, 1)}, err: "not a multiple"},
		{name: "space to depth zero block", op: "SpaceToDepth", opset: 13, attrs: []ir.Attr{ir.AInt("blocksize", 0)}, in: []*tensor.Tensor{iota32(1, 1, 2, 2)}, err: "positive"},
	})
}

func TestConcatSplit(t *testing.T) {
	runCases(t, []kcase{
		{name: "concat axis 0", op: "Concat", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 0)},
			in: []*tensor.Tensor{f32(sh(1, 2), 1, 2), f32(sh(2, 2), 3, 4, 5, 6)}, want: []*tensor.Tensor{f32(sh(3, 2), 1, 2, 3, 4, 5, 6)}},
		{name: "concat axis -1", op: "Concat", opset: 13, attrs: []ir.Attr{ir.AInt("axis", -1)},
			in: []*tensor.Tensor{f32(sh(2, 1), 1, 2), f32(sh(2, 2), 3, 4, 5, 6)}, want: []*tensor.Tensor{f32(sh(2, 3), 1, 3, 4, 2, 5, 6)}},
		{name: "concat empty", op: "Concat", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 0)},
			in: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 2), f32(sh(1, 2), 7, 8)}, want: []*tensor.Tensor{f32(sh(1, 2), 7, 8)}},
		{name: "concat strings", op: "Concat", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 0)},
			in: []*tensor.Tensor{strs(sh(1), "x"), strs(sh(2), "y", "z")}, want: []*tensor.Tensor{strs(sh(3), "x", "y", "z")}},
		{name: "concat mismatch", op: "Concat", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 0)}, in: []*tensor.Tensor{iota32(1, 2), iota32(1, 3)}, err: "dim 1 differs"},
		{name: "concat no axis", op: "Concat", opset: 13, in: []*tensor.Tensor{iota32(1, 2)}, err: "axis"},
		{name: "split equal", op: "Split", opset: 13, in: []*tensor.Tensor{f32(sh(6), 1, 2, 3, 4, 5, 6)}, nOut: 3,
			want: []*tensor.Tensor{f32(sh(2), 1, 2), f32(sh(2), 3, 4), f32(sh(2), 5, 6)}},
		{name: "split sizes input", op: "Split", opset: 13, in: []*tensor.Tensor{f32(sh(6), 1, 2, 3, 4, 5, 6), vec(2, 4)},
			want: []*tensor.Tensor{f32(sh(2), 1, 2), f32(sh(4), 3, 4, 5, 6)}},
		{name: "split sizes attribute", op: "Split", opset: 11, attrs: []ir.Attr{ir.AInts("split", 1, 1)},
			in: []*tensor.Tensor{f32(sh(2, 2), 1, 2, 3, 4)}, want: []*tensor.Tensor{f32(sh(1, 2), 1, 2), f32(sh(1, 2), 3, 4)}},
		{name: "split axis 1", op: "Split", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 1)},
			in: []*tensor.Tensor{f32(sh(2, 3), 1, 2, 3, 4, 5, 6), vec(1, 2)}, want: []*tensor.Tensor{f32(sh(2, 1), 1, 4), f32(sh(2, 2), 2, 3, 5, 6)}},
		{name: "split uneven", op: "Split", opset: 18, attrs: []ir.Attr{ir.AInt("num_outputs", 4)}, in: []*tensor.Tensor{f32(sh(7), 1, 2, 3, 4, 5, 6, 7)},
			want: []*tensor.Tensor{f32(sh(2), 1, 2), f32(sh(2), 3, 4), f32(sh(2), 5, 6), f32(sh(1), 7)}},
		{name: "split zero size", op: "Split", opset: 13, in: []*tensor.Tensor{f32(sh(2), 1, 2), vec(0, 2)},
			want: []*tensor.Tensor{f32(sh(0)), f32(sh(2), 1, 2)}},
		{name: "split bad sum", op: "Split", opset: 13, in: []*tensor.Tensor{iota32(6), vec(2, 2)}, nOut: 2, err: "add up"},
		{name: "split not equal", op: "Split", opset: 13, in: []*tensor.Tensor{iota32(5)}, nOut: 2, err: "equal parts"},
	})
}

func TestSlice(t *testing.T) {
	x := f32(sh(2, 4), 1, 2, 3, 4, 5, 6, 7, 8)
	r := iota32(10)
	runCases(t, []kcase{
		{name: "spec example 1", op: "Slice", opset: 13, in: []*tensor.Tensor{x, vec(1, 0), vec(2, 3), vec(0, 1), vec(1, 2)}, want: []*tensor.Tensor{f32(sh(1, 2), 5, 7)}},
		{name: "spec example 2", op: "Slice", opset: 13, in: []*tensor.Tensor{x, vec(0, 1), vec(-1, 1000)}, want: []*tensor.Tensor{f32(sh(1, 3), 2, 3, 4)}},
		{name: "negative step", op: "Slice", opset: 13, in: []*tensor.Tensor{r, vec(-1), vec(-1000), nil, vec(-1)}, want: []*tensor.Tensor{f32(sh(10), 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)}},
		{name: "negative step clamp start", op: "Slice", opset: 13, in: []*tensor.Tensor{r, vec(20), vec(0), vec(0), vec(-3)}, want: []*tensor.Tensor{f32(sh(3), 9, 6, 3)}},
		{name: "int extremes", op: "Slice", opset: 13, in: []*tensor.Tensor{r, vec(math.MinInt64), vec(math.MaxInt64), vec(0), vec(math.MaxInt64)}, want: []*tensor.Tensor{f32(sh(1), 0)}},
		{name: "start beyond end", op: "Slice", opset: 13, in: []*tensor.Tensor{r, vec(1000), vec(1001)}, want: []*tensor.Tensor{f32(sh(0))}},
		{name: "int32 inputs", op: "Slice", opset: 13, in: []*tensor.Tensor{r, tensor.FromSlice([]int32{2}), tensor.FromSlice([]int32{5})}, want: []*tensor.Tensor{f32(sh(3), 2, 3, 4)}},
		{name: "attribute form", op: "Slice", opset: 1, attrs: []ir.Attr{ir.AInts("starts", 1), ir.AInts("ends", 3), ir.AInts("axes", 1)}, in: []*tensor.Tensor{x}, want: []*tensor.Tensor{f32(sh(2, 2), 2, 3, 6, 7)}},
		{name: "zero step", op: "Slice", opset: 13, in: []*tensor.Tensor{r, vec(0), vec(5), vec(0), vec(0)}, err: "step"},
		{name: "repeated axis", op: "Slice", opset: 13, in: []*tensor.Tensor{x, vec(0, 0), vec(1, 1), vec(1, -1)}, err: "more than once"},
		{name: "length mismatch", op: "Slice", opset: 13, in: []*tensor.Tensor{x, vec(0, 0), vec(1)}, err: "ends"},
		{name: "bad axis", op: "Slice", opset: 13, in: []*tensor.Tensor{x, vec(0), vec(1), vec(2)}, err: "out of range"},
	})
}

func TestGatherFamily(t *testing.T) {
	data := f32(sh(3, 2), 1.0, 1.2, 2.3, 3.4, 4.5, 5.7)
	d3 := f32(sh(3, 3), 1.0, 1.2, 1.9, 2.3, 3.4, 3.9, 4.5, 5.7, 5.9)
	runCases(t, []kcase{
		{name: "gather axis 0", op: "Gather", opset: 13, in: []*tensor.Tensor{data, i64(sh(2, 2), 0, 1, 1, 2)},
			want: []*tensor.Tensor{f32(sh(2, 2, 2), 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7)}},
		{name: "gather axis 1", op: "Gather", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 1)}, in: []*tensor.Tensor{d3, i64(sh(1, 2), 0, 2)},
			want: []*tensor.Tensor{f32(sh(3, 1, 2), 1.0, 1.9, 2.3, 3.9, 4.5, 5.9)}},
		{name: "gather negative index", op: "Gather", opset: 13, in: []*tensor.Tensor{data, tensor.FromSlice([]int32{-1})}, want: []*tensor.Tensor{f32(sh(1, 2), 4.5, 5.7)}},
		{name: "gather scalar index", op: "Gather", opset: 13, in: []*tensor.Tensor{data, tensor.Scalar(int64(1))}, want: []*tensor.Tensor{f32(sh(2), 2.3, 3.4)}},
		{name: "gather strings", op: "Gather", opset: 13, in: []*tensor.Tensor{strs(sh(3), "a", "b", "c"), vec(2, 0)}, want: []*tensor.Tensor{strs(sh(2), "c", "a")}},
		{name: "gather out of range", op: "Gather", opset: 13, in: []*tensor.Tensor{data, vec(3)}, err: "out of range"},
		{name: "gather too negative", op: "Gather", opset: 13, in: []*tensor.Tensor{data, vec(-4)}, err: "out of range"},
		{name: "gather elements axis 1", op: "GatherElements", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 1)},
			in: []*tensor.Tensor{f32(sh(2, 2), 1, 2, 3, 4), i64(sh(2, 2), 0, 0, 1, 0)}, want: []*tensor.Tensor{f32(sh(2, 2), 1, 1, 4, 3)}},
		{name: "gather elements axis 0", op: "GatherElements", opset: 13,
			in:   []*tensor.Tensor{f32(sh(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9), i64(sh(2, 3), 1, 2, 0, 2, 0, 0)},
			want: []*tensor.Tensor{f32(sh(2, 3), 4, 8, 3, 7, 2, 3)}},
		{name: "gather elements negative", op: "GatherElements", opset: 13,
			in:   []*tensor.Tensor{f32(sh(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9), i64(sh(2, 3), -1, -2, 0, -2, 0, 0)},
			want: []*tensor.Tensor{f32(sh(2, 3), 7, 5, 3, 4, 2, 3)}},
		{name: "gather elements out of range", op: "GatherElements", opset: 13, in: []*tensor.Tensor{f32(sh(2), 1, 2), vec(2)}, err: "out of range"},
		{name: "gather elements rank", op: "GatherElements", opset: 13, in: []*tensor.Tensor{f32(sh(2), 1, 2), i64(sh(1, 1), 0)}, err: "rank"},
		{name: "gather nd elements", op: "GatherND", opset: 13, in: []*tensor.Tensor{i64(sh(2, 2), 0, 1, 2, 3), i64(sh(2, 2), 0, 0, 1, 1)}, want: []*tensor.Tensor{vec(0, 3)}},
		{name: "gather nd slices", op: "GatherND", opset: 13, in: []*tensor.Tensor{i64(sh(2, 2), 0, 1, 2, 3), i64(sh(2, 1), 1, 0)}, want: []*tensor.Tensor{i64(sh(2, 2), 2, 3, 0, 1)}},
		{name: "gather nd 3d", op: "GatherND", opset: 13, in: []*tensor.Tensor{i64(sh(2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7), i64(sh(2, 2), 0, 1, 1, 0)},
			want: []*tensor.Tensor{i64(sh(2, 2), 2, 3, 4, 5)}},
		{name: "gather nd batch dims", op: "GatherND", opset: 13, attrs: []ir.Attr{ir.AInt("batch_dims", 1)},
			in: []*tensor.Tensor{i64(sh(2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7), i64(sh(2, 1), 1, 0)}, want: []*tensor.Tensor{i64(sh(2, 2), 2, 3, 4, 5)}},
		{name: "gather nd out of range", op: "GatherND", opset: 13, in: []*tensor.Tensor{i64(sh(2, 2), 0, 1, 2, 3), i64(sh(1, 2), 0, 2)}, err: "out of range"},
		{name: "gather nd tuple too long", op: "GatherND", opset: 13, in: []*tensor.Tensor{i64(sh(2), 0, 1), i64(sh(1, 2), 0, 0)}, err: "exceed"},
	})
}

func TestScatterFamily(t *testing.T) {
	data := f32(sh(1, 5), 1, 2, 3, 4, 5)
	red := func(r string) []ir.Attr { return []ir.Attr{ir.AInt("axis", 1), ir.AString("reduction", r)} }
	dup := []*tensor.Tensor{data, i64(sh(1, 2), 1, 1), f32(sh(1, 2), 1.1, 2.1)}
	nd := f32(sh(8), 1, 2, 3, 4, 5, 6, 7, 8)
	runCases(t, []kcase{
		{name: "elements", op: "ScatterElements", opset: 18, attrs: []ir.Attr{ir.AInt("axis", 1)},
			in: []*tensor.Tensor{data, i64(sh(1, 2), 1, 3), f32(sh(1, 2), 1.1, 2.1)}, want: []*tensor.Tensor{f32(sh(1, 5), 1, 1.1, 3, 2.1, 5)}},
		{name: "elements negative index", op: "ScatterElements", opset: 18, attrs: []ir.Attr{ir.AInt("axis", 1)},
			in: []*tensor.Tensor{data, i64(sh(1, 2), 1, -3), f32(sh(1, 2), 1.1, 2.1)}, want: []*tensor.Tensor{f32(sh(1, 5), 1, 1.1, 2.1, 4, 5)}},
		{name: "elements axis 0", op: "ScatterElements", opset: 18,
			in:   []*tensor.Tensor{tensor.New(tensor.Float32, 3, 3), i64(sh(2, 3), 1, 0, 2, 0, 2, 1), f32(sh(2, 3), 1, 1.1, 1.2, 2, 2.1, 2.2)},
			want: []*tensor.Tensor{f32(sh(3, 3), 2, 1.1, 0, 1, 0, 2.2, 0, 2.1, 1.2)}},
		{name: "add", op: "ScatterElements", opset: 18, attrs: red("add"), in: dup, want: []*tensor.Tensor{f32(sh(1, 5), 1, 2+1.1+2.1, 3, 4, 5)}},
		{name: "mul", op: "ScatterElements", opset: 18, attrs: red("mul"), in: dup, want: []*tensor.Tensor{f32(sh(1, 5), 1, 2*1.1*2.1, 3, 4, 5)}},
		{name: "max", op: "ScatterElements", opset: 18, attrs: red("max"), in: dup, want: []*tensor.Tensor{f32(sh(1, 5), 1, 2.1, 3, 4, 5)}},
		{name: "min", op: "ScatterElements", opset: 18, attrs: red("min"), in: dup, want: []*tensor.Tensor{f32(sh(1, 5), 1, 1.1, 3, 4, 5)}},
		{name: "int add", op: "ScatterElements", opset: 18, attrs: []ir.Attr{ir.AString("reduction", "add")},
			in: []*tensor.Tensor{vec(1, 2, 3), vec(0, 0, 2), vec(10, 20, 30)}, want: []*tensor.Tensor{vec(31, 2, 33)}},
		{name: "scatter opset 9", op: "Scatter", opset: 10, attrs: []ir.Attr{ir.AInt("axis", 1)},
			in: []*tensor.Tensor{data, i64(sh(1, 2), 1, 3), f32(sh(1, 2), 1.1, 2.1)}, want: []*tensor.Tensor{f32(sh(1, 5), 1, 1.1, 3, 2.1, 5)}},
		{name: "strings", op: "ScatterElements", opset: 18, in: []*tensor.Tensor{strs(sh(2), "a", "b"), vec(1), strs(sh(1), "z")}, want: []*tensor.Tensor{strs(sh(2), "a", "z")}},
		{name: "out of range", op: "ScatterElements", opset: 18, attrs: []ir.Attr{ir.AInt("axis", 1)},
			in: []*tensor.Tensor{data, i64(sh(1, 1), 5), f32(sh(1, 1), 1)}, err: "out of range"},
		{name: "shape mismatch", op: "ScatterElements", opset: 18, in: []*tensor.Tensor{data, i64(sh(1, 1), 0), f32(sh(1, 2), 1, 2)}, err: "differs"},
		{name: "bad reduction", op: "ScatterElements", opset: 18, attrs: red("avg"), in: dup, err: "unknown reduction"},
		{name: "nd", op: "ScatterND", opset: 18, in: []*tensor.Tensor{nd, i64(sh(4, 1), 4, 3, 1, 7), f32(sh(4), 9, 10, 11, 12)},
			want: []*tensor.Tensor{f32(sh(8), 1, 11, 3, 10, 9, 6, 7, 12)}},
		{name: "nd slices", op: "ScatterND", opset: 18, in: []*tensor.Tensor{iota32(2, 2), i64(sh(1, 1), 1), f32(sh(1, 2), 8, 9)},
			want: []*tensor.Tensor{f32(sh(2, 2), 0, 1, 8, 9)}},
		{name: "nd add", op: "ScatterND", opset: 18, attrs: []ir.Attr{ir.AString("reduction", "add")},
			in: []*tensor.Tensor{nd, i64(sh(2, 1), 0, 0), f32(sh(2), 10, 20)}, want: []*tensor.Tensor{f32(sh(8), 31, 2, 3, 4, 5, 6, 7, 8)}},
		{name: "nd max", op: "ScatterND", opset: 18, attrs: []ir.Attr{ir.AString("reduction", "max")},
			in: []*tensor.Tensor{nd, i64(sh(2, 1), 0, 1), f32(sh(2), 0, 20)}, want: []*tensor.Tensor{f32(sh(8), 1, 20, 3, 4, 5, 6, 7, 8)}},
		{name: "nd updates shape", op: "ScatterND", opset: 18, in: []*tensor.Tensor{nd, i64(sh(2, 1), 0, 1), f32(sh(3), 1, 2, 3)}, err: "updates shape"},
		{name: "nd out of range", op: "ScatterND", opset: 18, in: []*tensor.Tensor{nd, i64(sh(1, 1), 8), f32(sh(1), 1)}, err: "out of range"},
	})
}

func TestExpandTilePad(t *testing.T) {
	x := f32(sh(3, 2), 1.0, 1.2, 2.3, 3.4, 4.5, 5.7)
	row := f32(sh(1, 5), 1, 2, 3, 4, 5)
	runCases(t, []kcase{
		{name: "expand", op: "Expand", opset: 13, in: []*tensor.Tensor{f32(sh(3, 1), 1, 2, 3), vec(2, 1, 2)},
			want: []*tensor.Tensor{f32(sh(2, 3, 2), 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3)}},
		{name: "expand smaller shape", op: "Expand", opset: 13, in: []*tensor.Tensor{f32(sh(3, 1), 1, 2, 3), vec(3)},
			want: []*tensor.Tensor{f32(sh(3, 3), 1, 1, 1, 2, 2, 2, 3, 3, 3)}},
		{name: "expand bad", op: "Expand", opset: 13, in: []*tensor.Tensor{iota32(3), vec(2)}, err: "broadcast"},
		{name: "expand negative", op: "Expand", opset: 13, in: []*tensor.Tensor{iota32(3), vec(-1)}, err: "negative"},
		{name: "tile", op: "Tile", opset: 13, in: []*tensor.Tensor{f32(sh(2, 2), 1, 2, 3, 4), vec(2, 2)},
			want: []*tensor.Tensor{f32(sh(4, 4), 1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4)}},
		{name: "tile zero", op: "Tile", opset: 13, in: []*tensor.Tensor{f32(sh(2), 1, 2), vec(0)}, want: []*tensor.Tensor{f32(sh(0))}},
		{name: "tile-1", op: "Tile", opset: 1, in: []*tensor.Tensor{f32(sh(2), 1, 2), vec(3), vec(0)}, want: []*tensor.Tensor{f32(sh(6), 1, 2, 1, 2, 1, 2)}},
		{name: "tile negative", op: "Tile", opset: 13, in: []*tensor.Tensor{f32(sh(2), 1, 2), vec(-1)}, err: "negative"},
		{name: "tile count", op: "Tile", opset: 13, in: []*tensor.Tensor{f32(sh(2), 1, 2), vec(1, 1)}, err: "repeats"},
		{name: "pad constant", op: "Pad", opset: 13, in: []*tensor.Tensor{x, vec(0, 2, 0, 0)},
			want: []*tensor.Tensor{f32(sh(3, 4), 0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7)}},
		{name: "pad constant value", op: "Pad", opset: 13, in: []*tensor.Tensor{f32(sh(2), 1, 2), vec(1, 1), tensor.Scalar(float32(9))},
			want: []*tensor.Tensor{f32(sh(4), 9, 1, 2, 9)}},
		{name: "pad reflect", op: "Pad", opset: 13, attrs: []ir.Attr{ir.AString("mode", "reflect")}, in: []*tensor.Tensor{x, vec(0, 2, 0, 0)},
			want: []*tensor.Tensor{f32(sh(3, 4), 1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7)}},
		{name: "pad edge", op: "Pad", opset: 13, attrs: []ir.Attr{ir.AString("mode", "edge")}, in: []*tensor.Tensor{x, vec(0, 2, 0, 0)},
			want: []*tensor.Tensor{f32(sh(3, 4), 1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7)}},
		{name: "pad reflect long", op: "Pad", opset: 13, attrs: []ir.Attr{ir.AString("mode", "reflect")}, in: []*tensor.Tensor{row, vec(0, 6, 0, 6)},
			want: []*tensor.Tensor{f32(sh(1, 17), 3, 4, 5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3, 2, 1, 2, 3)}},
		{name: "pad wrap", op: "Pad", opset: 19, attrs: []ir.Attr{ir.AString("mode", "wrap")}, in: []*tensor.Tensor{row, vec(0, 2, 0, 3)},
			want: []*tensor.Tensor{f32(sh(1, 10), 4, 5, 1, 2, 3, 4, 5, 1, 2, 3)}},
		{name: "pad negative crops first", op: "Pad", opset: 19, attrs: []ir.Attr{ir.AString("mode", "wrap")}, in: []*tensor.Tensor{row, vec(0, -1, 0, 2)},
			want: []*tensor.Tensor{f32(sh(1, 6), 2, 3, 4, 5, 2, 3)}},
		{name: "pad axes", op: "Pad", opset: 18, in: []*tensor.Tensor{x, vec(1, 0), nil, vec(-1)},
			want: []*tensor.Tensor{f32(sh(3, 3), 0, 1.0, 1.2, 0, 2.3, 3.4, 0, 4.5, 5.7)}},
		{name: "pad strings", op: "Pad", opset: 13, in: []*tensor.Tensor{strs(sh(1), "a"), vec(1, 0), strs(nil, "_")},
			want: []*tensor.Tensor{strs(sh(2), "_", "a")}},
		{name: "pad attribute form", op: "Pad", opset: 2, attrs: []ir.Attr{ir.AInts("pads", 1, 1), ir.AFloat("value", 7)}, in: []*tensor.Tensor{f32(sh(1), 5)},
			want: []*tensor.Tensor{f32(sh(3), 7, 5, 7)}},
		{name: "pad paddings", op: "Pad", opset: 1, attrs: []ir.Attr{ir.AInts("paddings", 0, 1)}, in: []*tensor.Tensor{f32(sh(1), 5)},
			want: []*tensor.Tensor{f32(sh(2), 5, 0)}},
		{name: "pad count", op: "Pad", opset: 13, in: []*tensor.Tensor{x, vec(1, 1)}, err: "pads for"},
		{name: "pad too negative", op: "Pad", opset: 13, in: []*tensor.Tensor{f32(sh(2), 1, 2), vec(-2, -1)}, err: "negative"},
		{name: "pad reflect empty", op: "Pad", opset: 13, attrs: []ir.Attr{ir.AString("mode", "reflect")}, in: []*tensor.Tensor{f32(sh(0)), vec(1, 0)}, err: "no elements"},
		{name: "pad bad mode", op: "Pad", opset: 13, attrs: []ir.Attr{ir.AString("mode", "mirror")}, in: []*tensor.Tensor{x, vec(0, 0, 0, 0)}, err: "unknown mode"},
		{name: "expand empty but long", op: "Expand", opset: 13, in: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 1), vec(0, 1<<33)}, want: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 1<<33)}},
		{name: "tile empty but long", op: "Tile", opset: 13, in: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 1), vec(1, 1<<33)}, want: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 1<<33)}},
		{name: "pad empty but long", op: "Pad", opset: 13, in: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 1), vec(0, 0, 0, 1<<33)}, want: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 1+1<<33)}},
		{name: "pad too large", op: "Pad", opset: 13, in: []*tensor.Tensor{tensor.New(tensor.Float32, 2, 1), vec(0, 0, 0, 1<<33)}, err: "too large"},
		{name: "center crop pad empty but long", op: "CenterCropPad", opset: 18, in: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 1), vec(0, 1<<33)}, want: []*tensor.Tensor{tensor.New(tensor.Float32, 0, 1<<33)}},
		{name: "center crop pad", op: "CenterCropPad", opset: 18, in: []*tensor.Tensor{iota32(3, 3), vec(1, 5)},
			want: []*tensor.Tensor{f32(sh(1, 5), 0, 3, 4, 5, 0)}},
		{name: "center crop odd", op: "CenterCropPad", opset: 18, attrs: []ir.Attr{ir.AInts("axes", -1)}, in: []*tensor.Tensor{iota32(1, 4), vec(1)},
			want: []*tensor.Tensor{f32(sh(1, 1), 1)}},
		{name: "center pad odd", op: "CenterCropPad", opset: 18, attrs: []ir.Attr{ir.AInts("axes", 0)}, in: []*tensor.Tensor{f32(sh(1), 7), vec(4)},
			want: []*tensor.Tensor{f32(sh(4), 0, 7, 0, 0)}},
	})
}

func TestGenerators(t *testing.T) {
	u8 := func(shape []int, v ...uint8) *tensor.Tensor { return tensor.FromSlice(v, shape...) }
	bools := func(v ...bool) *tensor.Tensor { return tensor.FromSlice(v) }
	m := f32(sh(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9)
	runCases(t, []kcase{
		{name: "constant of shape", op: "ConstantOfShape", opset: 20, attrs: []ir.Attr{ir.ATensor("value", vec(7))}, in: []*tensor.Tensor{vec(2, 3)},
			want: []*tensor.Tensor{i64(sh(2, 3), 7, 7, 7, 7, 7, 7)}},
		{name: "constant of shape default", op: "ConstantOfShape", opset: 20, in: []*tensor.Tensor{vec(2)}, want: []*tensor.Tensor{f32(sh(2), 0, 0)}},
		{name: "constant of shape scalar", op: "ConstantOfShape", opset: 20, attrs: []ir.Attr{ir.ATensor("value", f32(sh(1), 2))}, in: []*tensor.Tensor{vec()},
			want: []*tensor.Tensor{tensor.Scalar(float32(2))}},
		{name: "constant of shape negative", op: "ConstantOfShape", opset: 20, in: []*tensor.Tensor{vec(2, -3)}, err: "negative"},
		{name: "constant of shape huge", op: "ConstantOfShape", opset: 20, in: []*tensor.Tensor{vec(1<<40, 1<<40)}, err: "too large"},
		{name: "range int", op: "Range", opset: 11, in: []*tensor.Tensor{tensor.Scalar(int32(3)), tensor.Scalar(int32(9)), tensor.Scalar(int32(3))},
			want: []*tensor.Tensor{tensor.FromSlice([]int32{3, 6})}},
		{name: "range negative delta", op: "Range", opset: 11, in: []*tensor.Tensor{tensor.Scalar(int64(10)), tensor.Scalar(int64(4)), tensor.Scalar(int64(-2))},
			want: []*tensor.Tensor{vec(10, 8, 6)}},
		{name: "range float", op: "Range", opset: 11, in: []*tensor.Tensor{tensor.Scalar(float32(1)), tensor.Scalar(float32(2)), tensor.Scalar(float32(0.25))},
			want: []*tensor.Tensor{f32(sh(4), 1, 1.25, 1.5, 1.75)}},
		{name: "range empty", op: "Range", opset: 11, in: []*tensor.Tensor{tensor.Scalar(int64(5)), tensor.Scalar(int64(1)), tensor.Scalar(int64(1))}, want: []*tensor.Tensor{vec()}},
		{name: "range zero delta", op: "Range", opset: 11, in: []*tensor.Tensor{tensor.Scalar(int64(0)), tensor.Scalar(int64(1)), tensor.Scalar(int64(0))}, err: "delta is 0"},
		{name: "range huge", op: "Range", opset: 11, in: []*tensor.Tensor{tensor.Scalar(int64(math.MinInt64)), tensor.Scalar(int64(math.MaxInt64)), tensor.Scalar(int64(1))}, err: "too large"},
		{name: "eye like", op: "EyeLike", opset: 22, attrs: []ir.Attr{ir.AInt("k", 1)}, in: []*tensor.Tensor{tensor.New(tensor.Float32, 3, 4)},
			want: []*tensor.Tensor{f32(sh(3, 4), 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)}},
		{name: "eye like dtype", op: "EyeLike", opset: 22, attrs: []ir.Attr{ir.AInt("dtype", int64(tensor.Int64)), ir.AInt("k", -1)}, in: []*tensor.Tensor{tensor.New(tensor.Float32, 2, 2)},
			want: []*tensor.Tensor{i64(sh(2, 2), 0, 0, 1, 0)}},
		{name: "eye like rank", op: "EyeLike", opset: 22, in: []*tensor.Tensor{tensor.New(tensor.Float32, 2)}, err: "2-D"},
		{name: "one hot", op: "OneHot", opset: 11, in: []*tensor.Tensor{vec(0, -1, 5, 1), tensor.Scalar(float32(3)), f32(sh(2), 0, 1)},
			want: []*tensor.Tensor{f32(sh(4, 3), 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0)}},
		{name: "one hot axis 0", op: "OneHot", opset: 11, attrs: []ir.Attr{ir.AInt("axis", 0)}, in: []*tensor.Tensor{vec(0, 2), vec(3), i64(sh(2), 5, 9)},
			want: []*tensor.Tensor{i64(sh(3, 2), 9, 5, 5, 5, 5, 9)}},
		{name: "one hot float indices", op: "OneHot", opset: 11, in: []*tensor.Tensor{f32(sh(1), 1.7), vec(2), f32(sh(2), 0, 1)},
			want: []*tensor.Tensor{f32(sh(1, 2), 0, 1)}},
		{name: "one hot depth", op: "OneHot", opset: 11, in: []*tensor.Tensor{vec(0), vec(0), f32(sh(2), 0, 1)}, err: "depth"},
		{name: "one hot values", op: "OneHot", opset: 11, in: []*tensor.Tensor{vec(0), vec(2), f32(sh(3), 0, 1, 2)}, err: "values"},
		{name: "trilu upper", op: "Trilu", opset: 14, in: []*tensor.Tensor{m}, want: []*tensor.Tensor{f32(sh(3, 3), 1, 2, 3, 0, 5, 6, 0, 0, 9)}},
		{name: "trilu lower", op: "Trilu", opset: 14, attrs: []ir.Attr{ir.AInt("upper", 0)}, in: []*tensor.Tensor{m}, want: []*tensor.Tensor{f32(sh(3, 3), 1, 0, 0, 4, 5, 0, 7, 8, 9)}},
		{name: "trilu upper k=1", op: "Trilu", opset: 14, in: []*tensor.Tensor{m, tensor.Scalar(int64(1))}, want: []*tensor.Tensor{f32(sh(3, 3), 0, 2, 3, 0, 0, 6, 0, 0, 0)}},
		{name: "trilu lower k=-1", op: "Trilu", opset: 14, attrs: []ir.Attr{ir.AInt("upper", 0)}, in: []*tensor.Tensor{m, tensor.Scalar(int64(-1))},
			want: []*tensor.Tensor{f32(sh(3, 3), 0, 0, 0, 4, 0, 0, 7, 8, 0)}},
		{name: "trilu rank", op: "Trilu", opset: 14, in: []*tensor.Tensor{iota32(3)}, err: "rank"},
		{name: "compress axis 0", op: "Compress", opset: 11, attrs: []ir.Attr{ir.AInt("axis", 0)}, in: []*tensor.Tensor{f32(sh(3, 2), 1, 2, 3, 4, 5, 6), bools(false, true, true)},
			want: []*tensor.Tensor{f32(sh(2, 2), 3, 4, 5, 6)}},
		{name: "compress axis 1", op: "Compress", opset: 11, attrs: []ir.Attr{ir.AInt("axis", 1)}, in: []*tensor.Tensor{f32(sh(3, 2), 1, 2, 3, 4, 5, 6), bools(false, true)},
			want: []*tensor.Tensor{f32(sh(3, 1), 2, 4, 6)}},
		{name: "compress flat", op: "Compress", opset: 11, in: []*tensor.Tensor{f32(sh(3, 2), 1, 2, 3, 4, 5, 6), bools(false, true, false, false, true)},
			want: []*tensor.Tensor{f32(sh(2), 2, 5)}},
		{name: "compress too long", op: "Compress", opset: 11, attrs: []ir.Attr{ir.AInt("axis", 1)}, in: []*tensor.Tensor{f32(sh(1, 2), 1, 2), bools(false, true, true)}, err: "beyond"},
		{name: "non zero", op: "NonZero", opset: 13, in: []*tensor.Tensor{u8(sh(2, 2), 1, 0, 1, 1)}, want: []*tensor.Tensor{i64(sh(2, 3), 0, 1, 1, 0, 0, 1)}},
		{name: "non zero float", op: "NonZero", opset: 13, in: []*tensor.Tensor{f32(sh(3), float32(math.Copysign(0, -1)), 2, 0)}, want: []*tensor.Tensor{i64(sh(1, 1), 1)}},
		{name: "non zero strings", op: "NonZero", opset: 13, in: []*tensor.Tensor{strs(sh(3), "", "a", "")}, want: []*tensor.Tensor{i64(sh(1, 1), 1)}},
		{name: "reverse sequence batch 1", op: "ReverseSequence", opset: 10, attrs: []ir.Attr{ir.AInt("batch_axis", 1), ir.AInt("time_axis", 0)},
			in:   []*tensor.Tensor{iota32(4, 4), vec(4, 3, 2, 1)},
			want: []*tensor.Tensor{f32(sh(4, 4), 12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15)}},
		{name: "reverse sequence batch 0", op: "ReverseSequence", opset: 10, attrs: []ir.Attr{ir.AInt("batch_axis", 0), ir.AInt("time_axis", 1)},
			in:   []*tensor.Tensor{iota32(4, 4), vec(1, 2, 3, 4)},
			want: []*tensor.Tensor{f32(sh(4, 4), 0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12)}},
		{name: "reverse sequence length", op: "ReverseSequence", opset: 10, in: []*tensor.Tensor{iota32(2, 2), vec(3, 1)}, err: "out of range"},
	})
}

func TestUnique(t *testing.T) {
	x := f32(sh(6), 2, 1, 1, 3, 4, 3)
	m := f32(sh(3, 3), 1, 0, 0, 1, 0, 0, 2, 3, 4)
	runCases(t, []kcase{
		{name: "sorted", op: "Unique", opset: 11, in: []*tensor.Tensor{x},
			want: []*tensor.Tensor{f32(sh(4), 1, 2, 3, 4), vec(1, 0, 3, 4), vec(1, 0, 0, 2, 3, 2), vec(2, 1, 2, 1)}},
		{name: "not sorted", op: "Unique", opset: 11, attrs: []ir.Attr{ir.AInt("sorted", 0)}, in: []*tensor.Tensor{x},
			want: []*tensor.Tensor{f32(sh(4), 2, 1, 3, 4), vec(0, 1, 3, 4), vec(0, 1, 1, 2, 3, 2), vec(1, 2, 2, 1)}},
		{name: "axis 0", op: "Unique", opset: 11, attrs: []ir.Attr{ir.AInt("axis", 0)}, in: []*tensor.Tensor{m},
			want: []*tensor.Tensor{f32(sh(2, 3), 1, 0, 0, 2, 3, 4), vec(0, 2), vec(0, 0, 1), vec(2, 1)}},
		{name: "axis 1", op: "Unique", opset: 11, attrs: []ir.Attr{ir.AInt("axis", 1)}, in: []*tensor.Tensor{f32(sh(2, 3), 1, 0, 1, 5, 2, 5)},
			want: []*tensor.Tensor{f32(sh(2, 2), 0, 1, 2, 5), vec(1, 0), vec(1, 0, 1), vec(1, 2)}},
		{name: "strings", op: "Unique", opset: 11, in: []*tensor.Tensor{strs(sh(3), "b", "a", "b")},
			want: []*tensor.Tensor{strs(sh(2), "a", "b"), vec(1, 0), vec(1, 0, 1), vec(1, 2)}},
		{name: "bad axis", op: "Unique", opset: 11, attrs: []ir.Attr{ir.AInt("axis", 2)}, in: []*tensor.Tensor{m}, err: "out of range"},
	})
}

// TestAllTypes moves elements of every element type through the
// index-map path and checks they arrive bit for bit.
func TestAllTypes(t *testing.T) {
	for dt := tensor.Float32; dt <= tensor.MaxDType; dt++ {
		x := tensor.New(dt, 2, 3)
		if dt == tensor.String {
			copy(x.Strings(), []string{"0", "1", "2", "3", "4", "5"})
		} else {
			for i := 0; i < x.Len(); i++ {
				for b := 0; b < dt.Size(); b++ {
					x.Bytes()[i*dt.Size()+b] = byte(i*7 + b + 1)
				}
			}
		}
		out, err := call("Transpose", 13, nil, 1, x)
		if err != nil {
			t.Fatalf("%s: %v", dt, err)
		}
		back, err := call("Transpose", 13, nil, 1, out[0])
		if err != nil {
			t.Fatalf("%s: %v", dt, err)
		}
		if d := sameTensor(back[0], x); d != "" {
			t.Errorf("%s: transpose twice: %s", dt, d)
		}
		if dt != tensor.String && out[0].Bytes()[dt.Size()] != x.Bytes()[3*dt.Size()] {
			t.Errorf("%s: element [0,1] of the transpose is not element [1,0]", dt)
		}
	}
}
