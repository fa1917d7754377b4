package reduce

import (
	"fmt"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// TestMalformedInputsDoNotPanic feeds every op of the family inputs of
// wrong ranks, types and sizes, and absent inputs: shape functions and
// kernels must answer with errors, never panic.
func TestMalformedInputsDoNotPanic(t *testing.T) {
	pool := []*tensor.Tensor{
		nil,
		tensor.Scalar(float32(1)),
		f32([]int{3}, 1, 2, 3),
		f32([]int{2, 3}, 1, 2, 3, 4, 5, 6),
		f32([]int{1, 2, 1, 3}, 1, 2, 3, 4, 5, 6),
		tensor.New(tensor.Float32, 0, 3),
		tensor.New(tensor.Float32, 2, 0, 2),
		i64([]int{2}, 1, -7),
		i64([]int{1}, 9),
		tensor.Scalar(int64(-1)),
		mustStrings([]int{1}, "x"),
		tensor.FromSlice([]bool{true, false}),
		tensor.FromSlice([]uint8{1, 2, 3, 4, 5, 6}, 2, 3),
		tensor.New(tensor.Complex64, 2),
	}
	attrSets := [][]ir.Attr{
		nil,
		{ir.AInt("axis", 7), ir.AInts("axes", 0, 0), ir.AInt("keepdims", 0)},
		{ir.AInt("axis", -1), ir.AInt("num_groups", 0), ir.AInt("size", 0), ir.AInt("k", -2), ir.AInt("p", 3)},
		{ir.AString("equation", "ij,jk->ik"), ir.AString("reduction", "none"), ir.AInt("ignore_index", 9), ir.AInt("transA", 1)},
		{ir.AString("equation", "...,i->..."), ir.AInt("training_mode", 1), ir.AInt("stash_type", 8), ir.AInt("num_groups", 5), ir.AInt("size", 4)},
	}
	ops := []struct {
		op     string
		opsets []int
		maxIn  int
		nOut   int
	}{
		{"ReduceSum", []int{11, 13}, 2, 1}, {"ReduceMean", []int{13, 18}, 2, 1}, {"ReduceMax", []int{13, 20}, 2, 1},
		{"ReduceMin", []int{18}, 2, 1}, {"ReduceProd", []int{18}, 2, 1}, {"ReduceL1", []int{18}, 2, 1},
		{"ReduceL2", []int{18}, 2, 1}, {"ReduceLogSum", []int{18}, 2, 1}, {"ReduceLogSumExp", []int{18}, 2, 1},
		{"ReduceSumSquare", []int{18}, 2, 1}, {"ArgMax", []int{13}, 1, 1}, {"ArgMin", []int{13}, 1, 1},
		{"TopK", []int{1, 24}, 2, 2}, {"CumSum", []int{14}, 2, 1},
		{"Softmax", []int{11, 13}, 1, 1}, {"LogSoftmax", []int{13}, 1, 1}, {"Hardmax", []int{11}, 1, 1},
		{"BatchNormalization", []int{7, 15}, 5, 3}, {"InstanceNormalization", []int{22}, 3, 1},
		{"LayerNormalization", []int{17}, 3, 3}, {"GroupNormalization", []int{18, 21}, 3, 1},
		{"RMSNormalization", []int{23}, 2, 1}, {"LpNormalization", []int{22}, 1, 1}, {"LRN", []int{13}, 1, 1},
		{"MeanVarianceNormalization", []int{1, 13}, 1, 1}, {"MatMul", []int{13}, 2, 1}, {"Gemm", []int{13}, 3, 1},
		{"Einsum", []int{12}, 2, 1}, {"Det", []int{22}, 1, 1}, {"MatMulInteger", []int{10}, 4, 1},
		{"NegativeLogLikelihoodLoss", []int{22}, 3, 1}, {"SoftmaxCrossEntropyLoss", []int{13}, 3, 2},
	}
	g := lcg(11)
	pick := func() *tensor.Tensor {
		i := int(uint64(g.next()*1000+1000)) % len(pool)
		return pool[i]
	}
	for _, o := range ops {
		for _, opset := range o.opsets {
			for trial := 0; trial < 150; trial++ {
				n := 1 + trial%o.maxIn
				in := make([]*tensor.Tensor, n)
				for i := range in {
					in[i] = pick()
				}
				attrs := attrSets[trial%len(attrSets)]
				if p := tryOp(o.op, opset, in, o.nOut, attrs); p != "" {
					var names []string
					for _, a := range attrs {
						names = append(names, a.Name)
					}
					t.Errorf("%s-%d with inputs %v and attributes %v: %s", o.op, opset, in, names, p)
				}
			}
		}
	}
}

// tryOp runs the shape function and the kernel of one node and returns a
// description of a panic, or "".
func tryOp(op string, opset int, ins []*tensor.Tensor, nOut int, attrs []ir.Attr) (panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
		}
	}()
	f := ir.NewFunc("robust")
	vals := make([]*ir.Value, len(ins))
	consts := map[*ir.Value]*tensor.Tensor{}
	vs := make([]tensor.Value, len(ins))
	for i, x := range ins {
		if x == nil {
			continue
		}
		vals[i] = f.AddParam(fmt.Sprintf("in%d", i), ir.TensorType(x.DType(), int64s(x.Shape())...))
		consts[vals[i]] = x
		vs[i] = x
	}
	names := make([]string, nOut)
	for i := range names {
		names[i] = fmt.Sprintf("out%d", i)
	}
	n := f.NewNode(op, "", opset, vals, names, attrs...)
	_ = ir.InferNode(n, consts)
	for _, k := range kernels.Lookup(n) {
		func() {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(*tensor.SizeError); ok {
						return
					}
					panic(r)
				}
			}()
			_, _ = k.Run(&kernels.Ctx{Node: n, Opset: opset}, vs)
		}()
	}
	return ""
}
