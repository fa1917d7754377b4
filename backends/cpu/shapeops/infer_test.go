package shapeops

import (
	"fmt"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// icase is one shape-function test: input types (with the constant value
// of some inputs) and the expected output types in the text IR's syntax,
// or a substring of the expected error.
type icase struct {
	name   string
	op     string
	opset  int
	attrs  []ir.Attr
	in     []ir.Type
	consts map[int]*tensor.Tensor
	want   []string
	err    string
}

func ty(elem tensor.DType, dims ...any) ir.Type {
	ds := make([]ir.Dim, len(dims))
	for i, d := range dims {
		switch d := d.(type) {
		case int:
			ds[i] = ir.Known(int64(d))
		case string:
			if d == "?" {
				ds[i] = ir.Unknown()
			} else {
				ds[i] = ir.Sym(d)
			}
		}
	}
	return ir.TensorOf(elem, ds)
}

var (
	f32T = tensor.Float32
	i64T = tensor.Int64
)

func TestInfer(t *testing.T) {
	unranked := ir.UnrankedTensor(f32T)
	cases := []icase{
		{name: "reshape const", op: "Reshape", opset: 14, in: []ir.Type{ty(f32T, "N", 3, 4), ty(i64T, 3)}, consts: map[int]*tensor.Tensor{1: vec(0, -1, 2)}, want: []string{"f32[N,6,2]"}},
		{name: "reshape static", op: "Reshape", opset: 14, in: []ir.Type{ty(f32T, 2, 3, 4), ty(i64T, 2)}, consts: map[int]*tensor.Tensor{1: vec(-1, 4)}, want: []string{"f32[6,4]"}},
		{name: "reshape unknown shape", op: "Reshape", opset: 14, in: []ir.Type{ty(f32T, 2, 3), ty(i64T, 3)}, want: []string{"f32[?,?,?]"}},
		{name: "reshape two -1", op: "Reshape", opset: 14, in: []ir.Type{ty(f32T, 2, 3), ty(i64T, 2)}, consts: map[int]*tensor.Tensor{1: vec(-1, -1)}, err: "more than one -1"},
		{name: "reshape mismatch", op: "Reshape", opset: 14, in: []ir.Type{ty(f32T, 2, 3), ty(i64T, 2)}, consts: map[int]*tensor.Tensor{1: vec(4, 4)}, err: "cannot reshape"},
		{name: "flatten symbolic", op: "Flatten", opset: 13, in: []ir.Type{ty(f32T, "N", 3, 4)}, want: []string{"f32[N,12]"}},
		{name: "flatten unranked", op: "Flatten", opset: 13, in: []ir.Type{unranked}, want: []string{"f32[?,?]"}},
		{name: "squeeze axes", op: "Squeeze", opset: 13, in: []ir.Type{ty(f32T, "N", 1, 4), ty(i64T, 1)}, consts: map[int]*tensor.Tensor{1: vec(1)}, want: []string{"f32[N,4]"}},
		{name: "squeeze not 1", op: "Squeeze", opset: 13, in: []ir.Type{ty(f32T, 2, 3), ty(i64T, 1)}, consts: map[int]*tensor.Tensor{1: vec(1)}, err: "not 1"},
		{name: "squeeze all unknown", op: "Squeeze", opset: 13, in: []ir.Type{ty(f32T, "N", 1)}, want: []string{"f32[*]"}},
		{name: "unsqueeze attribute", op: "Unsqueeze", opset: 11, attrs: []ir.Attr{ir.AInts("axes", 0, -1)}, in: []ir.Type{ty(f32T, "N", 3)}, want: []string{"f32[1,N,3,1]"}},
		{name: "transpose", op: "Transpose", opset: 13, attrs: []ir.Attr{ir.AInts("perm", 2, 0, 1)}, in: []ir.Type{ty(f32T, "N", 3, 4)}, want: []string{"f32[4,N,3]"}},
		{name: "transpose default", op: "Transpose", opset: 13, in: []ir.Type{ty(f32T, "N", 3)}, want: []string{"f32[3,N]"}},
		{name: "concat", op: "Concat", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 1)}, in: []ir.Type{ty(f32T, "N", 3), ty(f32T, "?", 4)}, want: []string{"f32[N,7]"}},
		{name: "concat unknown axis dim", op: "Concat", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 0)}, in: []ir.Type{ty(f32T, "N", 3), ty(f32T, 2, 3)}, want: []string{"f32[?,3]"}},
		{name: "concat mismatch", op: "Concat", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 0)}, in: []ir.Type{ty(f32T, 1, 3), ty(f32T, 2, 4)}, err: "differ"},
		{name: "split uneven", op: "Split", opset: 18, attrs: []ir.Attr{ir.AInt("num_outputs", 3), ir.AInt("axis", 1)}, in: []ir.Type{ty(f32T, "N", 7)},
			want: []string{"f32[N,3]", "f32[N,3]", "f32[N,1]"}},
		{name: "split sizes", op: "Split", opset: 13, in: []ir.Type{ty(f32T, 5), ty(i64T, 2)}, consts: map[int]*tensor.Tensor{1: vec(2, 3)}, want: []string{"f32[2]", "f32[3]"}},
		{name: "split bad sizes", op: "Split", opset: 13, in: []ir.Type{ty(f32T, 5), ty(i64T, 2)}, consts: map[int]*tensor.Tensor{1: vec(2, 2)}, want: []string{"", ""}, err: "add up"},
		{name: "slice", op: "Slice", opset: 13, in: []ir.Type{ty(f32T, "N", 10, 6), ty(i64T, 2), ty(i64T, 2), ty(i64T, 2), ty(i64T, 2)},
			consts: map[int]*tensor.Tensor{1: vec(-1, 1), 2: vec(-1000, 100), 3: vec(1, 2), 4: vec(-2, 2)}, want: []string{"f32[N,5,3]"}},
		{name: "slice unknown starts", op: "Slice", opset: 13, in: []ir.Type{ty(f32T, "N", 10), ty(i64T, 1), ty(i64T, 1)}, want: []string{"f32[?,?]"}},
		{name: "slice attributes", op: "Slice", opset: 1, attrs: []ir.Attr{ir.AInts("starts", 1), ir.AInts("ends", 3), ir.AInts("axes", 1)}, in: []ir.Type{ty(f32T, "N", 10)}, want: []string{"f32[N,2]"}},
		{name: "slice zero step", op: "Slice", opset: 13, in: []ir.Type{ty(f32T, 3), ty(i64T, 1), ty(i64T, 1), ty(i64T, 1), ty(i64T, 1)},
			consts: map[int]*tensor.Tensor{1: vec(0), 2: vec(1), 3: vec(0), 4: vec(0)}, err: "step 0"},
		{name: "gather", op: "Gather", opset: 13, attrs: []ir.Attr{ir.AInt("axis", 1)}, in: []ir.Type{ty(f32T, "N", 10, 6), ty(i64T, "K", 2)}, want: []string{"f32[N,K,2,6]"}},
		{name: "gather elements", op: "GatherElements", opset: 13, in: []ir.Type{ty(f32T, 3, 3), ty(i64T, 2, 3)}, want: []string{"f32[2,3]"}},
		{name: "gather nd", op: "GatherND", opset: 13, attrs: []ir.Attr{ir.AInt("batch_dims", 1)}, in: []ir.Type{ty(f32T, "B", 4, 5, 6), ty(i64T, "B", 7, 2)}, want: []string{"f32[B,7,6]"}},
		{name: "scatter", op: "ScatterND", opset: 18, in: []ir.Type{ty(f32T, "N", 4), ty(i64T, 2, 1), ty(f32T, 2, 4)}, want: []string{"f32[N,4]"}},
		{name: "expand const", op: "Expand", opset: 13, in: []ir.Type{ty(f32T, 3, 1), ty(i64T, 3)}, consts: map[int]*tensor.Tensor{1: vec(2, 1, 6)}, want: []string{"f32[2,3,6]"}},
		{name: "expand unknown", op: "Expand", opset: 13, in: []ir.Type{ty(f32T, 3, 1), ty(i64T, 3)}, want: []string{"f32[?,3,?]"}},
		{name: "expand bad", op: "Expand", opset: 13, in: []ir.Type{ty(f32T, 3), ty(i64T, 1)}, consts: map[int]*tensor.Tensor{1: vec(2)}, err: "broadcast"},
		{name: "tile", op: "Tile", opset: 13, in: []ir.Type{ty(f32T, "N", 3), ty(i64T, 2)}, consts: map[int]*tensor.Tensor{1: vec(1, 2)}, want: []string{"f32[N,6]"}},
		{name: "pad", op: "Pad", opset: 18, in: []ir.Type{ty(f32T, "N", 3, 4), ty(i64T, 4), {}, ty(i64T, 2)},
			consts: map[int]*tensor.Tensor{1: vec(1, 0, 2, -1), 3: vec(1, 2)}, want: []string{"f32[N,6,3]"}},
		{name: "pad attribute", op: "Pad", opset: 2, attrs: []ir.Attr{ir.AInts("pads", 1, 1)}, in: []ir.Type{ty(f32T, 3)}, want: []string{"f32[5]"}},
		{name: "shape", op: "Shape", opset: 15, attrs: []ir.Attr{ir.AInt("start", 1)}, in: []ir.Type{ty(f32T, "N", 3, 4)}, want: []string{"i64[2]"}},
		{name: "size", op: "Size", opset: 13, in: []ir.Type{ty(f32T, "N")}, want: []string{"i64[]"}},
		{name: "constant of shape", op: "ConstantOfShape", opset: 20, attrs: []ir.Attr{ir.ATensor("value", vec(1))}, in: []ir.Type{ty(i64T, 2)},
			consts: map[int]*tensor.Tensor{0: vec(2, 5)}, want: []string{"i64[2,5]"}},
		{name: "constant of shape unknown", op: "ConstantOfShape", opset: 20, in: []ir.Type{ty(i64T, 3)}, want: []string{"f32[?,?,?]"}},
		{name: "range", op: "Range", opset: 11, in: []ir.Type{ty(i64T), ty(i64T), ty(i64T)},
			consts: map[int]*tensor.Tensor{0: tensor.Scalar(int64(10)), 1: tensor.Scalar(int64(4)), 2: tensor.Scalar(int64(-2))}, want: []string{"i64[3]"}},
		{name: "range unknown", op: "Range", opset: 11, in: []ir.Type{ty(f32T), ty(f32T), ty(f32T)}, want: []string{"f32[?]"}},
		{name: "eye like", op: "EyeLike", opset: 22, attrs: []ir.Attr{ir.AInt("dtype", int64(tensor.Int64))}, in: []ir.Type{ty(f32T, 2, "M")}, want: []string{"i64[2,M]"}},
		{name: "compress", op: "Compress", opset: 11, attrs: []ir.Attr{ir.AInt("axis", 1)}, in: []ir.Type{ty(f32T, "N", 4), ty(tensor.Bool, 4)}, want: []string{"f32[N,?]"}},
		{name: "non zero", op: "NonZero", opset: 13, in: []ir.Type{ty(f32T, "N", 4)}, want: []string{"i64[2,?]"}},
		{name: "unique", op: "Unique", opset: 11, in: []ir.Type{ty(f32T, 2, 3)}, want: []string{"f32[?]", "i64[?]", "i64[6]", "i64[?]"}},
		{name: "one hot", op: "OneHot", opset: 11, attrs: []ir.Attr{ir.AInt("axis", 0)}, in: []ir.Type{ty(i64T, "N"), ty(i64T), ty(f32T, 2)},
			consts: map[int]*tensor.Tensor{1: tensor.Scalar(int64(5))}, want: []string{"f32[5,N]"}},
		{name: "depth to space", op: "DepthToSpace", opset: 13, attrs: []ir.Attr{ir.AInt("blocksize", 2)}, in: []ir.Type{ty(f32T, "N", 8, 2, 3)}, want: []string{"f32[N,2,4,6]"}},
		{name: "space to depth", op: "SpaceToDepth", opset: 13, attrs: []ir.Attr{ir.AInt("blocksize", 2)}, in: []ir.Type{ty(f32T, "N", 2, 4, 6)}, want: []string{"f32[N,8,2,3]"}},
		{name: "space to depth uneven", op: "SpaceToDepth", opset: 13, attrs: []ir.Attr{ir.AInt("blocksize", 2)}, in: []ir.Type{ty(f32T, 1, 2, 3, 6)}, err: "multiple"},
		{name: "center crop pad", op: "CenterCropPad", opset: 18, attrs: []ir.Attr{ir.AInts("axes", -2, -1)}, in: []ir.Type{ty(f32T, "N", 3, 9, 9), ty(i64T, 2)},
			consts: map[int]*tensor.Tensor{1: vec(5, 12)}, want: []string{"f32[N,3,5,12]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &ir.Node{Op: tc.op, Opset: tc.opset, Attrs: tc.attrs, Schema: ir.LookupSchema("", tc.op, tc.opset)}
			for i, typ := range tc.in {
				if typ.Kind == ir.KindUnknown {
					n.Inputs = append(n.Inputs, nil)
					continue
				}
				n.Inputs = append(n.Inputs, &ir.Value{Name: fmt.Sprint("in", i), Type: typ, Const: tc.consts[i]})
			}
			nOut := max(1, len(tc.want))
			for i := 0; i < nOut; i++ {
				n.Outputs = append(n.Outputs, &ir.Value{Name: fmt.Sprint("out", i)})
			}
			err := ir.InferNode(n, nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				if got := n.Outputs[i].Type.String(); got != w {
					t.Errorf("output %d: got %s, want %s", i, got, w)
				}
			}
		})
	}
}

// TestSchemas checks that every op of the family is declared and has a
// kernel.
func TestSchemas(t *testing.T) {
	ops := []string{"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice",
		"Gather", "GatherElements", "GatherND", "ScatterElements", "Scatter", "ScatterND", "Expand", "Tile",
		"Pad", "Shape", "Size", "ConstantOfShape", "Range", "EyeLike", "Compress", "NonZero", "Unique",
		"Trilu", "OneHot", "DepthToSpace", "SpaceToDepth", "CenterCropPad", "ReverseSequence"}
	for _, op := range ops {
		s := ir.FindSchema("", op)
		if s == nil {
			t.Errorf("%s has no schema", op)
			continue
		}
		n := &ir.Node{Op: op, Opset: s.Versions[len(s.Versions)-1]}
		if op == "Scatter" {
			n.Opset = 10
		}
		if ir.LookupSchema("", op, n.Opset) == nil {
			t.Errorf("%s does not exist at its own last version %d", op, n.Opset)
		}
		if len(lookupKernels(n)) == 0 {
			t.Errorf("%s has no kernel at opset %d", op, n.Opset)
		}
	}
	for _, n := range []*ir.Node{{Op: "Scatter", Opset: 11}, {Op: "Range", Opset: 10}, {Op: "Trilu", Opset: 13}} {
		if len(lookupKernels(n)) != 0 {
			t.Errorf("%s has a kernel at opset %d, where the op does not exist", n.Op, n.Opset)
		}
	}
	if ir.LookupSchema("", "Scatter", 11) != nil {
		t.Errorf("Scatter is still defined at opset 11, where it is deprecated")
	}
}
