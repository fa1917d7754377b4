package reduce

import (
	"fmt"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// inferOne runs the shape function of one node whose inputs have the given
// types (consts maps input positions to known constant values) and returns
// the types of its outputs.
func inferOne(op string, opset int, in []ir.Type, consts map[int]*tensor.Tensor, nOut int, attrs ...ir.Attr) ([]ir.Type, error) {
	f := ir.NewFunc("infer")
	vals := make([]*ir.Value, len(in))
	cm := map[*ir.Value]*tensor.Tensor{}
	for i, ty := range in {
		vals[i] = f.AddParam(fmt.Sprintf("in%d", i), ty)
		if c := consts[i]; c != nil {
			cm[vals[i]] = c
		}
	}
	names := make([]string, nOut)
	for i := range names {
		names[i] = fmt.Sprintf("out%d", i)
	}
	n := f.NewNode(op, "", opset, vals, names, attrs...)
	if err := ir.InferNode(n, cm); err != nil {
		return nil, err
	}
	out := make([]ir.Type, nOut)
	for i, o := range n.Outputs {
		out[i] = o.Type
	}
	return out, nil
}

func sym(dims ...any) ir.Type {
	ds := make([]ir.Dim, len(dims))
	for i, d := range dims {
		switch v := d.(type) {
		case int:
			ds[i] = ir.Known(int64(v))
		case string:
			if v == "?" {
				ds[i] = ir.Unknown()
			} else {
				ds[i] = ir.Sym(v)
			}
		}
	}
	return ir.TensorOf(tensor.Float32, ds)
}

func TestShapeFunctions(t *testing.T) {
	axesT := ir.TensorType(tensor.Int64, 1)
	cases := []struct {
		name   string
		op     string
		opset  int
		in     []ir.Type
		consts map[int]*tensor.Tensor
		attrs  []ir.Attr
		want   string
	}{
		{"reduce symbolic", "ReduceSum", 13, []ir.Type{sym("N", 3, 4), axesT}, map[int]*tensor.Tensor{1: i64([]int{1}, -1)}, nil, "f32[N,3,1]"},
		{"reduce unknown axes keepdims", "ReduceMean", 18, []ir.Type{sym("N", 3), axesT}, nil, nil, "f32[?,?]"},
		{"reduce unknown axes", "ReduceMean", 18, []ir.Type{sym("N", 3), axesT}, nil, []ir.Attr{ir.AInt("keepdims", 0)}, "f32[?]"}, // one axis (axes has one element), so rank 1
		{"reduce attr axes", "ReduceMax", 13, []ir.Type{sym("N", 3, 4)}, nil, []ir.Attr{ir.AInts("axes", 0, 2), ir.AInt("keepdims", 0)}, "f32[3]"},
		{"reduce all", "ReduceL2", 18, []ir.Type{sym("N", 3)}, nil, []ir.Attr{ir.AInt("keepdims", 0)}, "f32[]"},
		{"reduce unranked", "ReduceProd", 18, []ir.Type{ir.UnrankedTensor(tensor.Float32)}, nil, nil, "f32[*]"},
		{"argmax", "ArgMax", 13, []ir.Type{sym("N", 5)}, nil, []ir.Attr{ir.AInt("axis", -1), ir.AInt("keepdims", 0)}, "i64[N]"},
		{"topk known k", "TopK", 11, []ir.Type{sym("N", 5), axesT}, map[int]*tensor.Tensor{1: i64([]int{1}, 2)}, nil, "f32[N,2]"},
		{"topk unknown k", "TopK", 11, []ir.Type{sym("N", 5), axesT}, nil, nil, "f32[N,?]"},
		{"layer norm stats", "LayerNormalization", 17, []ir.Type{sym("B", "S", 8), sym(8)}, nil, nil, "f32[B,S,8]"},
		{"matmul batch", "MatMul", 13, []ir.Type{sym("B", 1, 3, 4), sym(5, 4, 6)}, nil, nil, "f32[B,5,3,6]"},
		{"matmul vector", "MatMul", 13, []ir.Type{sym(4), sym("B", 4, 6)}, nil, nil, "f32[B,6]"},
		{"matmul integer", "MatMulInteger", 10, []ir.Type{ir.TensorType(tensor.Uint8, 2, 3), ir.TensorType(tensor.Uint8, 3, 4)}, nil, nil, "i32[2,4]"},
		{"gemm trans", "Gemm", 13, []ir.Type{sym(3, "M"), sym("N", 3)}, nil, []ir.Attr{ir.AInt("transA", 1), ir.AInt("transB", 1)}, "f32[M,N]"},
		{"det", "Det", 22, []ir.Type{sym("B", 3, 3)}, nil, nil, "f32[B]"},
		{"einsum", "Einsum", 12, []ir.Type{sym("B", 2, 3), sym("B", 3, 4)}, nil, []ir.Attr{ir.AString("equation", "bij,bjk->bik")}, "f32[B,2,4]"},
		{"einsum implicit", "Einsum", 12, []ir.Type{sym(2, 3), sym(3, 4)}, nil, []ir.Attr{ir.AString("equation", "ij,jk")}, "f32[2,4]"},
		{"einsum ellipsis", "Einsum", 12, []ir.Type{sym(7, 1, 2, 3), sym(5, 3, 4)}, nil, []ir.Attr{ir.AString("equation", "...ij,...jk")}, "f32[7,5,2,4]"},
		{"nll none", "NegativeLogLikelihoodLoss", 22, []ir.Type{sym("N", 5, 2), ir.TensorOf(tensor.Int64, sym("N", 2).Shape)}, nil,
			[]ir.Attr{ir.AString("reduction", "none")}, "f32[N,2]"},
		{"nll mean", "NegativeLogLikelihoodLoss", 22, []ir.Type{sym("N", 5), ir.TensorOf(tensor.Int64, sym("N").Shape)}, nil, nil, "f32[]"},
		{"softmax", "Softmax", 13, []ir.Type{sym("N", 5)}, nil, nil, "f32[N,5]"},
	}
	for _, tc := range cases {
		out, err := inferOne(tc.op, tc.opset, tc.in, tc.consts, 1, tc.attrs...)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := out[0].String(); got != tc.want {
			t.Errorf("%s: inferred %s, want %s", tc.name, got, tc.want)
		}
	}

	out, err := inferOne("LayerNormalization", 17, []ir.Type{sym("B", "S", 8), sym(8)}, nil, 3, ir.AInt("axis", 1))
	if err != nil {
		t.Fatal(err)
	}
	if got := out[1].String() + " " + out[2].String(); got != "f32[B,1,1] f32[B,1,1]" {
		t.Errorf("layer norm statistics: %s", got)
	}

	bad := []struct {
		name  string
		op    string
		opset int
		in    []ir.Type
		attrs []ir.Attr
		msg   string
	}{
		{"matmul inner", "MatMul", 13, []ir.Type{sym(2, 3), sym(4, 5)}, nil, "inner dims"},
		{"matmul scalar", "MatMul", 13, []ir.Type{sym(), sym(4, 5)}, nil, "rank at least 1"},
		{"gemm rank", "Gemm", 13, []ir.Type{sym(2, 3, 4), sym(4, 5)}, nil, "2-D"},
		{"det not square", "Det", 22, []ir.Type{sym(2, 3)}, nil, "square"},
		{"argmax axis", "ArgMax", 13, []ir.Type{sym(2, 3)}, []ir.Attr{ir.AInt("axis", 2)}, "out of range"},
		{"reduce duplicate", "ReduceSum", 11, []ir.Type{sym(2, 3)}, []ir.Attr{ir.AInts("axes", 1, -1)}, "twice"},
		{"einsum rank", "Einsum", 12, []ir.Type{sym(2, 3)}, []ir.Attr{ir.AString("equation", "ijk->i")}, "rank 2"},
		{"loss reduction", "NegativeLogLikelihoodLoss", 22, []ir.Type{sym(2, 3), sym(2)}, []ir.Attr{ir.AString("reduction", "avg")}, "reduction"},
		{"topk opset 1 without k", "TopK", 1, []ir.Type{sym(2, 3)}, nil, "attribute k"},
	}
	for _, tc := range bad {
		_, err := inferOne(tc.op, tc.opset, tc.in, nil, 1, tc.attrs...)
		expectErr(t, tc.name, err, tc.msg)
	}
}

func TestParseEinsum(t *testing.T) {
	cases := []struct {
		eq, out string
		inputs  []string
	}{
		{"ij,jk->ik", "ik", []string{"ij", "jk"}},
		{"ij,jk", "ik", []string{"ij", "jk"}},
		{"ba", "ab", []string{"ba"}},
		{"ii", "", []string{"ii"}},
		{"...ij,...jk", ".ik", []string{".ij", ".jk"}},
		{" ... ii -> ... i", ".i", []string{".ii"}},
		{"Ab,b", "A", []string{"Ab", "b"}},
	}
	for _, tc := range cases {
		sp, err := ir.ParseEinsum(tc.eq)
		if err != nil {
			t.Errorf("%q: %v", tc.eq, err)
			continue
		}
		if string(sp.Output) != tc.out || len(sp.Inputs) != len(tc.inputs) {
			t.Errorf("%q: output %q, inputs %q", tc.eq, sp.Output, sp.Inputs)
			continue
		}
		for i, in := range tc.inputs {
			if string(sp.Inputs[i]) != in {
				t.Errorf("%q: input %d is %q, want %q", tc.eq, i, sp.Inputs[i], in)
			}
		}
	}
	for _, eq := range []string{"i..j->i", "...i...->i", "ij->ii", "i->j", "i->...", "i-j"} {
		if _, err := ir.ParseEinsum(eq); err == nil {
			t.Errorf("%q: no error", eq)
		}
	}
}
