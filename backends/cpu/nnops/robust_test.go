package nnops

import (
	"fmt"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

var familyOps = []string{"Conv", "ConvInteger", "QLinearConv", "ConvTranspose", "DeformConv", "MaxPool",
	"AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "MaxUnpool", "MaxRoiPool",
	"RoiAlign", "Resize", "Upsample", "GridSample", "AffineGrid", "Col2Im"}

// callSafe runs a node's kernel, turning a panic into an error that
// starts with "panic:".
func callSafe(op string, opset int, attrs []ir.Attr, nOut int, in ...*tensor.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	f := ir.NewFunc("t")
	vals := make([]*ir.Value, len(in))
	ins := make([]tensor.Value, len(in))
	for i, x := range in {
		if x != nil {
			vals[i] = f.AddConst(fmt.Sprint("in", i), x)
			ins[i] = x
		}
	}
	names := make([]string, nOut)
	for i := range names {
		names[i] = fmt.Sprint("out", i)
	}
	n := f.NewNode(op, "", opset, vals, names, attrs...)
	if ierr := inferSafe(n); ierr != nil {
		return ierr
	}
	ks := kernels.Lookup(n)
	if len(ks) == 0 {
		return fmt.Errorf("no kernel")
	}
	_, err = ks[0].Run(&kernels.Ctx{Node: n, Opset: opset}, ins)
	return err
}

func inferSafe(n *ir.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: shape function: %v", r)
		}
	}()
	_ = ir.InferNode(n, nil)
	return nil
}

// TestMalformedNodes feeds every op of the family, at each of its
// versions, nodes with missing inputs, inputs of the wrong type, rank or
// size, odd attributes, and various output counts, to the shape function
// and the kernel: each must return (an error is expected) without
// panicking.
func TestMalformedNodes(t *testing.T) {
	strs, _ := tensor.FromStrings([]int{1, 1, 2, 2}, []string{"a", "b", "c", "d"})
	x4 := iota32([]int{1, 2, 3, 3}, 0)
	inputSets := [][]*tensor.Tensor{
		nil,
		{nil},
		{x4},
		{x4, nil, nil},
		{nil, x4, x4},
		{tensor.Scalar(float32(1)), tensor.Scalar(float32(1)), tensor.Scalar(float32(1))},
		{iota32([]int{3}, 0), iota32([]int{3}, 0), iota32([]int{3}, 0), iota32([]int{3}, 0)},
		{strs, strs, strs, strs},
		{x4, tensor.FromSlice([]int64{0, 1}), tensor.FromSlice([]int64{2, 2}), tensor.FromSlice([]int64{1, 1, 2, 2})},
		{x4, iota32([]int{2, 2, 2, 2}, 0), iota32([]int{1, 16, 2, 2}, 0), iota32([]int{2}, 0), iota32([]int{1, 8, 2, 2}, 0)},
		{tensor.New(tensor.Float32, 0, 2, 3, 3), tensor.New(tensor.Float32, 2, 2, 1, 1), tensor.New(tensor.Float32, 0)},
		{tensor.FromSlice([]uint8{1, 2, 3, 4}, 1, 1, 2, 2), tensor.Scalar(float32(1)), tensor.Scalar(uint8(0)),
			tensor.FromSlice([]int8{1}, 1, 1, 1, 1), tensor.Scalar(float32(1)), tensor.Scalar(int8(0)),
			tensor.Scalar(float32(1)), tensor.Scalar(uint8(0)), tensor.FromSlice([]int32{1, 2})},
	}
	attrSets := [][]ir.Attr{
		nil,
		{ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 1, 1)},
		{ir.AInts("kernel_shape", 3), ir.AInts("pads", -1, 7), ir.AInts("dilations", 0)},
		{ir.AInts("kernel_shape", 1<<40, 1<<40), ir.AInts("output_padding", 9, 9), ir.AInt("group", -3)},
		{ir.AString("mode", "cubic"), ir.AString("auto_pad", "SAME_LOWER"), ir.AInts("pooled_shape", 0, -1),
			ir.AInts("axes", 9), ir.AString("coordinate_transformation_mode", "tf_crop_and_resize")},
	}
	for _, op := range familyOps {
		s := ir.FindSchema("", op)
		if s == nil {
			t.Fatalf("%s is not in the op table", op)
		}
		for _, opset := range s.Versions {
			for k, in := range inputSets {
				for a, attrs := range attrSets {
					for _, nOut := range []int{0, 1, 2} {
						err := callSafe(op, opset, attrs, nOut, in...)
						if err != nil && strings.HasPrefix(err.Error(), "panic:") {
							t.Errorf("%s-%d, inputs %d, attributes %d, %d outputs: %v", op, opset, k, a, nOut, err)
						}
					}
				}
			}
		}
	}
}

// TestMissingInputs checks that a missing required input or a wrong
// element type is reported by name, by the kernel and by the shape
// function.
func TestMissingInputs(t *testing.T) {
	x := iota32([]int{1, 1, 3, 3}, 0)
	_, err := runOp(t, "Conv", 22, nil, 1, x)
	if err == nil || !strings.Contains(err.Error(), "needs input 1 (W)") {
		t.Errorf("Conv without W: error %v", err)
	}
	f := ir.NewFunc("t")
	n := f.NewNode("DeformConv", "", 22, []*ir.Value{f.AddParam("x", ir.TensorType(tensor.Float32, 1, 1, 3, 3)),
		f.AddParam("w", ir.TensorType(tensor.Float32, 1, 1, 2, 2))}, []string{"y"})
	if err := ir.InferNode(n, nil); err == nil || !strings.Contains(err.Error(), "needs input 2 (offset)") {
		t.Errorf("DeformConv shape function without offset: error %v", err)
	}
	_, err = runOp(t, "MaxPool", 22, []ir.Attr{ir.AInts("kernel_shape", 2, 2)}, 1, tensor.New(tensor.Int32, 1, 1, 3, 3))
	if err == nil || !strings.Contains(err.Error(), "has type INT32") {
		t.Errorf("MaxPool on int32: error %v", err)
	}
}
